/*
 * open_first.c: the first virDomainLxcOpenNamespace in a fresh process.
 *
 *   open_first URI DOMAIN THREADED
 *
 * Times, in one new process: opening the caller's connection and looking up
 * the domain (libvirt.so.0's work, the same for both libraries), then the
 * first OpenNamespace call (for our library this includes loading the Go
 * core and setting up its own connection), then a second call for
 * comparison. THREADED=1 starts an idle thread first, as virsh is
 * multi-threaded; THREADED=0 keeps the host single-threaded.
 */
#include "common.h"

int
main(int argc, char **argv)
{
    virConnectPtr conn;
    virDomainPtr dom;
    bench_idle_thread idle;
    uint64_t t0, t1, t2, t3;
    int threaded;

    if (argc != 4) {
        fprintf(stderr, "usage: %s URI DOMAIN THREADED\n", argv[0]);
        return 1;
    }
    threaded = atoi(argv[3]);
    if (threaded && bench_idle_start(&idle) < 0)
        return 1;

    t0 = tcNowNs();
    dom = bench_domain(argv[1], argv[2], &conn);
    t1 = tcNowNs();
    bench_open_once(dom);
    t2 = tcNowNs();
    bench_open_once(dom);
    t3 = tcNowNs();

    /* Printed after the timed part so that stdio costs nothing above. */
    bench_print_library("library", (void *)virDomainLxcOpenNamespace);
    printf("setup_ns %llu\n", (unsigned long long)(t1 - t0));
    printf("first_ns %llu\n", (unsigned long long)(t2 - t1));
    printf("second_ns %llu\n", (unsigned long long)(t3 - t2));
    printf("threads %d\n", tcThreads());

    virDomainFree(dom);
    virConnectClose(conn);
    if (threaded)
        bench_idle_stop(&idle);
    return 0;
}
