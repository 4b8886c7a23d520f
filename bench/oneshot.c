/*
 * oneshot.c: a one-shot C caller: connect, look up the domain, one
 * OpenNamespace, exit. Exits 0 only if the call returned namespace fds.
 *
 *   oneshot URI DOMAIN
 *
 * Prints "library <path>" after the call (bench/burst.c starts hundreds at
 * once, and run.sh checks every line).
 */
#include "common.h"

int
main(int argc, char **argv)
{
    virConnectPtr conn;
    virDomainPtr dom;
    int n;

    if (argc != 3) {
        fprintf(stderr, "usage: %s URI DOMAIN\n", argv[0]);
        return 1;
    }
    dom = bench_domain(argv[1], argv[2], &conn);
    n = bench_open_once(dom);
    bench_print_library("library", (void *)virDomainLxcOpenNamespace);
    virDomainFree(dom);
    virConnectClose(conn);
    return n > 0 ? 0 : 4;
}
