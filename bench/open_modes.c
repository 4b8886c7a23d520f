/*
 * open_modes.c: what the out-of-process virDomainLxcOpenNamespace costs.
 *
 *   open_modes URI DOMAIN CALLS
 *
 * First CALLS calls while the process is single-threaded (with our library:
 * each one runs the libvirt-lxc-open helper), then an idle thread is started,
 * a few warm-up calls load the Go core in-process, and CALLS more calls are
 * timed. Each call is timed alone (fds closed, array freed, outside the
 * timing); prints median, 10th and 90th percentile in microseconds per mode.
 * With the system library both modes are in-process C.
 */
#include "common.h"

/* One timed call; exits on failure so that no bogus figure is printed. */
static uint64_t
openOnce(virDomainPtr dom)
{
    int *fds = NULL, n, i;
    uint64_t t0 = tcNowNs(), t1;

    n = virDomainLxcOpenNamespace(dom, &fds, 0);
    t1 = tcNowNs();
    if (n <= 0) {
        virErrorPtr e = virGetLastError();
        fprintf(stderr, "OpenNamespace: %s\n", e ? e->message : "no fds");
        exit(2);
    }
    for (i = 0; i < n; i++)
        close(fds[i]);
    free(fds);
    return t1 - t0;
}

static void
report(const char *mode, uint64_t *ns, long calls)
{
    qsort(ns, calls, sizeof(ns[0]), bench_cmp_u64);
    printf("%-24s median %8.1f us  p10 %8.1f us  p90 %8.1f us  (%ld calls)\n",
           mode, ns[calls / 2] / 1e3, ns[calls / 10] / 1e3,
           ns[calls * 9 / 10] / 1e3, calls);
}

int
main(int argc, char **argv)
{
    virConnectPtr conn;
    virDomainPtr dom;
    Dl_info info;
    uint64_t *ns;
    long calls, i;

    if (argc != 4 || (calls = atol(argv[3])) < 10) {
        fprintf(stderr, "usage: %s URI DOMAIN CALLS(>=10)\n", argv[0]);
        return 1;
    }
    if (!(conn = virConnectOpen(argv[1])) ||
        !(dom = virDomainLookupByName(conn, argv[2])))
        return 1;
    if (dladdr((void *)virDomainLxcOpenNamespace, &info))
        printf("library %s\n", info.dli_fname);
    ns = calloc(calls, sizeof(ns[0]));

    if (tcThreads() != 1) {
        fprintf(stderr, "not single-threaded at start\n");
        return 1;
    }
    for (i = 0; i < calls; i++)
        ns[i] = openOnce(dom);
    report("single-threaded caller", ns, calls);
    printf("threads after them: %d\n", tcThreads());

    if (tcIdleThread() != 0)
        return 1;
    for (i = 0; i < 5; i++)
        openOnce(dom);
    for (i = 0; i < calls; i++)
        ns[i] = openOnce(dom);
    report("multi-threaded, warm", ns, calls);
    printf("threads after them: %d\n", tcThreads());
    free(ns);
    return 0;
}
