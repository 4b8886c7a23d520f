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
#define _GNU_SOURCE /* dladdr */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/libvirt-lxc.h>
#include <libvirt/virterror.h>

static uint64_t
nowNs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
threads(void)
{
    char line[256];
    int n = -1;
    FILE *f = fopen("/proc/self/status", "re");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "Threads: %d", &n) == 1)
            break;
    fclose(f);
    return n;
}

static int
cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* One timed call; exits on failure so that no bogus figure is printed. */
static uint64_t
openOnce(virDomainPtr dom)
{
    int *fds = NULL, n, i;
    uint64_t t0 = nowNs(), t1;

    n = virDomainLxcOpenNamespace(dom, &fds, 0);
    t1 = nowNs();
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
    qsort(ns, calls, sizeof(ns[0]), cmp);
    printf("%-24s median %8.1f us  p10 %8.1f us  p90 %8.1f us  (%ld calls)\n",
           mode, ns[calls / 2] / 1e3, ns[calls / 10] / 1e3,
           ns[calls * 9 / 10] / 1e3, calls);
}

static void *
idle(void *arg)
{
    (void)arg;
    pause();
    return NULL;
}

int
main(int argc, char **argv)
{
    virConnectPtr conn;
    virDomainPtr dom;
    pthread_t thread;
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

    if (threads() != 1) {
        fprintf(stderr, "not single-threaded at start\n");
        return 1;
    }
    for (i = 0; i < calls; i++)
        ns[i] = openOnce(dom);
    report("single-threaded caller", ns, calls);
    printf("threads after them: %d\n", threads());

    if (pthread_create(&thread, NULL, idle, NULL) != 0)
        return 1;
    for (i = 0; i < 5; i++)
        openOnce(dom);
    for (i = 0; i < calls; i++)
        ns[i] = openOnce(dom);
    report("multi-threaded, warm", ns, calls);
    printf("threads after them: %d\n", threads());
    free(ns);
    return 0;
}
