/*
 * floor_connect.c: the floor of a first call on a new daemon connection:
 * libvirt's own client opening a connection (connect, AUTH_LIST,
 * CONNECT_OPEN: the handshake) and making its first OpenNamespace on it.
 *
 *   floor_connect URI DOMAIN TIMES
 *
 * In one process with libvirt already initialised (one untimed round
 * first), TIMES times: a new connection (timed), the domain looked up on it
 * (not timed: a core process is handed the domain by its caller and needs
 * no lookup), the first OpenNamespace (timed), the connection closed.
 * Prints the medians of the connection, the call and their sum. Run with
 * the system library only: it is the floor, not a figure of ours.
 */
#include "common.h"

int
main(int argc, char **argv)
{
    uint64_t *conn_ns, *call_ns, *sum_ns;
    long times, i;

    if (argc != 4 || (times = atol(argv[3])) < 1) {
        fprintf(stderr, "usage: %s URI DOMAIN TIMES\n", argv[0]);
        return 1;
    }
    conn_ns = calloc(times, sizeof(uint64_t));
    call_ns = calloc(times, sizeof(uint64_t));
    sum_ns = calloc(times, sizeof(uint64_t));
    if (!conn_ns || !call_ns || !sum_ns)
        return 1;
    for (i = -1; i < times; i++) {
        virConnectPtr conn;
        virDomainPtr dom;
        uint64_t t0 = tcNowNs(), t1, t2, t3;

        if (!(conn = virConnectOpen(argv[1])))
            return 2;
        t1 = tcNowNs();
        if (!(dom = virDomainLookupByName(conn, argv[2])))
            return 2;
        t2 = tcNowNs();
        bench_open_once(dom);
        t3 = tcNowNs();
        virDomainFree(dom);
        virConnectClose(conn);
        if (i >= 0) {
            conn_ns[i] = t1 - t0;
            call_ns[i] = t3 - t2;
            sum_ns[i] = conn_ns[i] + call_ns[i];
        }
    }
    qsort(conn_ns, times, sizeof(uint64_t), bench_cmp_u64);
    qsort(call_ns, times, sizeof(uint64_t), bench_cmp_u64);
    qsort(sum_ns, times, sizeof(uint64_t), bench_cmp_u64);
    bench_print_library("library", (void *)virDomainLxcOpenNamespace);
    printf("connect_ns %llu\n", (unsigned long long)conn_ns[times / 2]);
    printf("call_ns %llu\n", (unsigned long long)call_ns[times / 2]);
    printf("connect_call_ns %llu\n", (unsigned long long)sum_ns[times / 2]);
    return 0;
}
