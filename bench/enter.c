/*
 * enter.c: virDomainLxcEnterNamespace and virDomainLxcEnterCGroup per call.
 *
 *   enter URI DOMAIN CALLS
 *
 * Set up as virsh lxc-enter-namespace does: a multi-threaded parent (an idle
 * thread) gets the namespace fds with OpenNamespace, then the Enter*
 * functions run in a child forked from it. Each measurement gets its own
 * child, because entering the container's mount namespace changes what
 * /proc and /sys show to later calls:
 *   - EnterCGroup, CALLS times (the child joins the domain's cgroups again
 *     each time; the first call moves it, the rest re-add it);
 *   - EnterNamespace with no old-fd list (what virsh passes), CALLS times
 *     into the same namespaces; after the first call the child is already
 *     in them, which is still a full set of setns() calls;
 *   - EnterNamespace returning the old fds too (closed and freed each time).
 * Each child prints the median and p90 of its per-call times.
 */
#include <fcntl.h>
#include <sys/wait.h>

#include "common.h"

static void
report(const char *name, uint64_t *ns, long calls)
{
    qsort(ns, (size_t)calls, sizeof(*ns), bench_cmp_u64);
    printf("%s_median_ns %llu\n", name, (unsigned long long)ns[calls / 2]);
    printf("%s_p90_ns %llu\n", name, (unsigned long long)ns[calls * 9 / 10]);
}

/* 1 when this process is now in the namespace that @fd refers to: both
 * links read "mnt:[inode]" for the same namespace. @procself is this
 * process's /proc directory, opened before entering: once in the
 * container's mount namespace, /proc is the container's and does not show
 * this process (it is not in the container's pid namespace). */
static int
in_namespace(int procself, int fd, const char *ns)
{
    char path[64], want[128], have[128];
    ssize_t n;

    snprintf(path, sizeof(path), "fd/%d", fd);
    if ((n = readlinkat(procself, path, want, sizeof(want) - 1)) < 0)
        return 0;
    want[n] = '\0';
    snprintf(path, sizeof(path), "ns/%s", ns);
    if ((n = readlinkat(procself, path, have, sizeof(have) - 1)) < 0)
        return 0;
    have[n] = '\0';
    return strcmp(want, have) == 0;
}

/* The fd in @fds for namespace type @ns, found by its /proc link
 * ("net:[4026...]") rather than assumed from the daemon's order. */
static int
find_ns(const int *fds, int nfds, const char *ns)
{
    char path[64], link[128];
    int i;

    for (i = 0; i < nfds; i++) {
        ssize_t n;
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[i]);
        if ((n = readlink(path, link, sizeof(link) - 1)) < 0)
            continue;
        link[n] = '\0';
        if (strncmp(link, ns, strlen(ns)) == 0 && link[strlen(ns)] == ':')
            return fds[i];
    }
    return -1;
}

static int
child_cgroup(virDomainPtr dom, uint64_t *ns, long calls)
{
    long i;

    for (i = 0; i < calls; i++) {
        uint64_t t0 = bench_now_ns();
        if (virDomainLxcEnterCGroup(dom, 0) < 0) {
            fprintf(stderr, "EnterCGroup: %s\n", virGetLastErrorMessage());
            return 1;
        }
        ns[i] = bench_now_ns() - t0;
    }
    report("cgroup", ns, calls);
    return 0;
}

static int
child_namespace(virDomainPtr dom, int *fds, int nfds, int withold,
                uint64_t *ns, long calls)
{
    long i;
    int j, procself = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    /* Looked up before entering: afterwards /proc is the container's. */
    int mntfd = find_ns(fds, nfds, "mnt"), netfd = find_ns(fds, nfds, "net");

    if (procself < 0 || mntfd < 0 || netfd < 0)
        return 1;

    for (i = 0; i < calls; i++) {
        unsigned int nold = 0;
        int *old = NULL;
        uint64_t t0 = bench_now_ns();
        if (virDomainLxcEnterNamespace(dom, (unsigned int)nfds, fds,
                                       withold ? &nold : NULL,
                                       withold ? &old : NULL, 0) < 0) {
            fprintf(stderr, "EnterNamespace: %s\n", virGetLastErrorMessage());
            return 1;
        }
        for (j = 0; j < (int)nold; j++)
            close(old[j]);
        free(old);
        ns[i] = bench_now_ns() - t0;
    }
    /* Check that the mount namespace and the (private) net namespace were
     * entered, so that a library that "succeeds" without entering is not
     * timed. */
    if (!in_namespace(procself, mntfd, "mnt") ||
        !in_namespace(procself, netfd, "net")) {
        fprintf(stderr, "EnterNamespace returned 0 but did not enter the mount or net namespace\n");
        return 1;
    }
    report(withold ? "enter_old" : "enter", ns, calls);
    return 0;
}

int
main(int argc, char **argv)
{
    virConnectPtr conn;
    virDomainPtr dom;
    bench_idle_thread idle;
    uint64_t *ns;
    int *fds = NULL;
    int nfds, which, status;
    long calls;
    pid_t pid;

    if (argc != 4) {
        fprintf(stderr, "usage: %s URI DOMAIN CALLS\n", argv[0]);
        return 1;
    }
    calls = atol(argv[3]);
    if (calls < 1 || !(ns = calloc((size_t)calls, sizeof(*ns))))
        return 1;
    if (bench_idle_start(&idle) < 0)
        return 1;
    dom = bench_domain(argv[1], argv[2], &conn);
    bench_print_library("library", (void *)virDomainLxcOpenNamespace);
    if ((nfds = virDomainLxcOpenNamespace(dom, &fds, 0)) <= 0) {
        fprintf(stderr, "OpenNamespace: %d fds: %s\n", nfds,
                virGetLastErrorMessage());
        return 3;
    }
    printf("fds %d\n", nfds);
    fflush(stdout);

    for (which = 0; which < 3; which++) {
        if ((pid = fork()) < 0)
            return 1;
        if (pid == 0) {
            int rc = which == 0 ? child_cgroup(dom, ns, calls) :
                child_namespace(dom, fds, nfds, which == 2, ns, calls);
            fflush(stdout);
            /* _exit: the parent owns the connection and its atexit work. */
            _exit(rc);
        }
        if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0) {
            fprintf(stderr, "child %d failed\n", which);
            return 4;
        }
    }
    bench_idle_stop(&idle);
    return 0;
}
