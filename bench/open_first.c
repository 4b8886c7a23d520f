/*
 * open_first.c: the first virDomainLxcOpenNamespace in a fresh process.
 *
 *   open_first URI DOMAIN KIND
 *
 * Times, in one new process: opening the caller's connection and looking up
 * the domain (libvirt.so.0's work, the same for both libraries), then the
 * first OpenNamespace call (for our library this includes loading the Go
 * core and setting up its own connection), then a second call for
 * comparison. KIND (st, mt, server) is the kind of host, see
 * bench_host_start() in common.h.
 */
#include "common.h"

int
main(int argc, char **argv)
{
    virConnectPtr conn;
    virDomainPtr dom;
    bench_idle_thread idle;
    uint64_t t0, t1, t2, t3;

    if (argc != 4) {
        fprintf(stderr, "usage: %s URI DOMAIN st|mt|server\n", argv[0]);
        return 1;
    }
    if (bench_host_start(argv[3], &idle) < 0)
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
    return 0;
}
