/*
 * open_concurrent.c: many threads calling virDomainLxcOpenNamespace at once
 * on one virConnectPtr, as a multi-threaded host (a binding, a service)
 * does.
 *
 *   open_concurrent URI DOMAIN THREADS CALLS
 *
 * After one warm-up call, THREADS threads each make CALLS calls (every fd
 * closed, the array freed). Prints "wall_ns" for all of them together and
 * "client_cpu_ns" (getrusage, all threads) over the same span; every call
 * must return the same number of fds as the warm-up call, or the host
 * exits non-zero. With ours, the host's core process is also looked at
 * rest, after the single warm-up call ("single_core_*") and after the
 * burst ("burst_core_*"): its threads and private dirty memory.
 */
#include "common.h"

typedef struct {
    virDomainPtr dom;
    int calls;
    int want;
    int wrong;
} worker;

static void *
workerMain(void *opaque)
{
    worker *w = opaque;
    int i;

    for (i = 0; i < w->calls; i++)
        if (bench_open_once(w->dom) != w->want)
            w->wrong++;
    return NULL;
}

int
main(int argc, char **argv)
{
    virConnectPtr conn;
    virDomainPtr dom;
    pthread_t *tids;
    worker *w;
    uint64_t t0, t1, c0, c1;
    int threads, calls, want, i, wrong = 0;

    if (argc != 5) {
        fprintf(stderr, "usage: %s URI DOMAIN THREADS CALLS\n", argv[0]);
        return 1;
    }
    threads = atoi(argv[3]);
    calls = atoi(argv[4]);
    if (threads < 1 || calls < 1)
        return 1;
    dom = bench_domain(argv[1], argv[2], &conn);
    want = bench_open_once(dom);
    bench_print_core_at_rest("single");
    tids = calloc(threads, sizeof(*tids));
    w = calloc(threads, sizeof(*w));
    if (!tids || !w)
        return 1;

    c0 = bench_cpu_ns();
    t0 = tcNowNs();
    for (i = 0; i < threads; i++) {
        w[i] = (worker){ .dom = dom, .calls = calls, .want = want };
        if (pthread_create(&tids[i], NULL, workerMain, &w[i]) != 0)
            return 1;
    }
    for (i = 0; i < threads; i++) {
        pthread_join(tids[i], NULL);
        wrong += w[i].wrong;
    }
    t1 = tcNowNs();
    c1 = bench_cpu_ns();
    bench_print_core_at_rest("burst");

    bench_print_library("library", (void *)virDomainLxcOpenNamespace);
    printf("wall_ns %llu\n", (unsigned long long)(t1 - t0));
    printf("client_cpu_ns %llu\n", (unsigned long long)(c1 - c0));
    printf("wrong %d\n", wrong);
    free(tids);
    free(w);
    virDomainFree(dom);
    virConnectClose(conn);
    return wrong ? 4 : 0;
}
