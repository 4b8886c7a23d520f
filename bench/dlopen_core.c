/*
 * dlopen_core.c: how long loading the Go core takes on its own.
 *
 *   dlopen_core PATH
 *
 * A core process dlopen()s libvirt-lxc-core.so before its first call;
 * loading it starts the Go runtime (its threads, its signal handlers).
 * This isolates that part of the first call's cost from the daemon round
 * trips. Same flags as capi/helper/coreload.c.
 */
#include "common.h"

int
main(int argc, char **argv)
{
    uint64_t t0, t1;
    void *h;

    if (argc != 2) {
        fprintf(stderr, "usage: %s PATH\n", argv[0]);
        return 1;
    }
    t0 = tcNowNs();
    h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    t1 = tcNowNs();
    if (!h) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 1;
    }
    printf("dlopen_ns %llu\n", (unsigned long long)(t1 - t0));
    printf("threads %d\n", tcThreads());
    return 0;
}
