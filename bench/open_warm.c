/*
 * open_warm.c: warm virDomainLxcOpenNamespace on an open connection.
 *
 *   open_warm URI DOMAIN WARMUP BATCHES PER_BATCH DAEMON_PID FLOOR [KIND]
 *
 * KIND (st, mt, server; default mt) is the kind of host, see
 * bench_host_start() in common.h: mt models virsh and other multi-threaded
 * callers, with an idle thread started before the first call. After WARMUP
 * calls (connection set-up, Go core load or core process start, caches),
 * BATCHES batches of PER_BATCH calls are timed; each call closes the
 * returned fds and frees the array, so the loop leaks nothing and keeps the
 * daemon's work per call constant.
 *
 * Besides wall time per call it prints where the time goes: CPU used by this
 * process (all its threads, getrusage) and by the daemon (sum of its
 * threads' on-CPU time from each /proc/PID/task/TID/schedstat), per call, and the
 * voluntary context switches of this process per call. Wall time minus both
 * CPU figures is time spent waiting for wake-ups. Last, FLOOR calls of a
 * trivial RPC (virDomainIsActive) on libvirt's own connection give the
 * round-trip floor of this daemon (0 skips it, for syscall counting).
 */
#include <dirent.h>

#include "common.h"

/* On-CPU nanoseconds of all threads of @pid (first field of schedstat). */
static uint64_t
daemon_cpu_ns(const char *pid)
{
    char path[PATH_MAX];
    struct dirent *de;
    uint64_t sum = 0;
    DIR *d;

    snprintf(path, sizeof(path), "/proc/%s/task", pid);
    if (!(d = opendir(path)))
        return 0;
    while ((de = readdir(d))) {
        unsigned long long ns;
        FILE *f;
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "/proc/%s/task/%s/schedstat", pid, de->d_name);
        if (!(f = fopen(path, "re")))
            continue;
        if (fscanf(f, "%llu", &ns) == 1)
            sum += ns;
        fclose(f);
    }
    closedir(d);
    return sum;
}

int
main(int argc, char **argv)
{
    virConnectPtr conn;
    virDomainPtr dom;
    bench_idle_thread idle;
    struct rusage r0, r1;
    uint64_t d0, d1, t0, t1, total = 0;
    long warmup, batches, per, floor, b, i, calls;
    int nfds = 0;

    if (argc != 8 && argc != 9) {
        fprintf(stderr, "usage: %s URI DOMAIN WARMUP BATCHES PER_BATCH DAEMON_PID FLOOR "
                "[st|mt|server]\n", argv[0]);
        return 1;
    }
    warmup = atol(argv[3]);
    batches = atol(argv[4]);
    per = atol(argv[5]);
    floor = atol(argv[7]);
    if (warmup < 1 || batches < 1 || per < 1)
        return 1;

    if (bench_host_start(argc == 9 ? argv[8] : "mt", &idle) < 0) {
        perror("host set-up");
        return 1;
    }
    dom = bench_domain(argv[1], argv[2], &conn);
    bench_print_library("library", (void *)virDomainLxcOpenNamespace);

    for (i = 0; i < warmup; i++)
        nfds = bench_open_once(dom);
    printf("fds %d\n", nfds);
    printf("threads %d\n", tcThreads());

    getrusage(RUSAGE_SELF, &r0);
    d0 = daemon_cpu_ns(argv[6]);
    for (b = 0; b < batches; b++) {
        t0 = tcNowNs();
        for (i = 0; i < per; i++)
            bench_open_once(dom);
        t1 = tcNowNs();
        total += t1 - t0;
        printf("batch_ns %.1f\n", (double)(t1 - t0) / (double)per);
    }
    d1 = daemon_cpu_ns(argv[6]);
    getrusage(RUSAGE_SELF, &r1);
    calls = batches * per;

    printf("wall_ns %.1f\n", (double)total / (double)calls);
    printf("client_cpu_ns %.1f\n",
           (double)(bench_tv_ns(r1.ru_utime) + bench_tv_ns(r1.ru_stime) -
                    bench_tv_ns(r0.ru_utime) - bench_tv_ns(r0.ru_stime)) / (double)calls);
    printf("client_sys_ns %.1f\n",
           (double)(bench_tv_ns(r1.ru_stime) - bench_tv_ns(r0.ru_stime)) / (double)calls);
    printf("daemon_cpu_ns %.1f\n", (double)(d1 - d0) / (double)calls);
    printf("client_vcsw %.2f\n",
           (double)(r1.ru_nvcsw - r0.ru_nvcsw) / (double)calls);

    /* A trivial RPC on libvirt's own client and connection (the same in
     * both runs): the floor that any daemon round trip pays here. */
    if (floor > 0) {
        t0 = tcNowNs();
        for (i = 0; i < floor; i++)
            if (virDomainIsActive(dom) < 0)
                return 3;
        t1 = tcNowNs();
        printf("rpc_floor_ns %.1f\n", (double)(t1 - t0) / (double)floor);
    }

    virDomainFree(dom);
    virConnectClose(conn);
    return 0;
}
