/*
 * enter.c: virDomainLxcEnterNamespace and virDomainLxcEnterCGroup per call.
 *
 *   enter URI DOMAIN CALLS
 *
 * Set up as virsh lxc-enter-namespace does: a multi-threaded parent (an idle
 * thread) gets the namespace fds with OpenNamespace, then each call runs in
 * a new child forked from it, once per child, as virsh does per command:
 *   - EnterCGroup (the child joins the domain's cgroups);
 *   - EnterNamespace with no old-fd list (what virsh passes);
 *   - EnterNamespace returning the old fds too (closed and freed).
 * CALLS children each; the median and p90 of the per-call times are
 * printed. The time includes what a first call in a fresh child pays (page
 * faults on memory shared copy-on-write with the parent), as in virsh.
 * Last, one child enters twice, to check that joining namespaces it is
 * already in succeeds, as with libvirt's library ("enter_again_ok").
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

/* One timed call in this (forked, single-threaded) child: 0 EnterCGroup,
 * 1 EnterNamespace without old fds, 2 with old fds (closed, freed). */
static int
one_call(virDomainPtr dom, int *fds, int nfds, int which, int again,
         uint64_t *ns)
{
    unsigned int nold = 0, j;
    int *old = NULL;
    uint64_t t0 = tcNowNs();
    int rc;

    if (which == 0)
        rc = virDomainLxcEnterCGroup(dom, 0);
    else
        rc = virDomainLxcEnterNamespace(dom, (unsigned int)nfds, fds,
                                        which == 2 ? &nold : NULL,
                                        which == 2 ? &old : NULL, 0);
    if (rc == 0) {
        for (j = 0; j < nold; j++)
            close(old[j]);
        free(old);
    }
    *ns = tcNowNs() - t0;
    if (rc < 0 && !again)
        fprintf(stderr, "%s: %s\n", which ? "EnterNamespace" : "EnterCGroup",
                virGetLastErrorMessage());
    return rc;
}

/* Runs one call in a new child of this multi-threaded process, as virsh
 * does once per lxc-enter-namespace, and returns its time (0 on failure).
 * With @again the child then calls the same function a second time and
 * only that second call's success is reported (time 1 = it succeeded). */
static uint64_t
in_child(virDomainPtr dom, int *fds, int nfds, int which, int again)
{
    int pipefd[2], status;
    uint64_t ns = 0;
    pid_t pid;

    if (pipe(pipefd) < 0 || (pid = fork()) < 0)
        return 0;
    if (pid == 0) {
        int procself = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        /* Looked up before entering: afterwards /proc is the container's. */
        int mntfd = find_ns(fds, nfds, "mnt"), netfd = find_ns(fds, nfds, "net");
        uint64_t t = 0;

        close(pipefd[0]);
        if (one_call(dom, fds, nfds, which, 0, &t) < 0)
            _exit(1);
        /* A library that returns 0 without entering must not be timed. */
        if (which != 0 &&
            (!in_namespace(procself, mntfd, "mnt") ||
             !in_namespace(procself, netfd, "net"))) {
            fprintf(stderr, "EnterNamespace returned 0 but did not enter "
                    "the mount or net namespace\n");
            _exit(1);
        }
        if (again) {
            uint64_t t2;
            /* Only success matters here: keep libvirt's error printer quiet. */
            tcQuiet(NULL);
            t = one_call(dom, fds, nfds, which, 1, &t2) == 0;
        }
        if (write(pipefd[1], &t, sizeof(t)) != sizeof(t))
            _exit(1);
        /* _exit: the parent owns the connection and its atexit work. */
        _exit(0);
    }
    close(pipefd[1]);
    if (read(pipefd[0], &ns, sizeof(ns)) != sizeof(ns))
        ns = 0;
    close(pipefd[0]);
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
        ns = 0;
    return ns;
}

int
main(int argc, char **argv)
{
    virConnectPtr conn;
    virDomainPtr dom;
    bench_idle_thread idle;
    uint64_t *ns;
    int *fds = NULL;
    int nfds, which;
    long calls;

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
        static const char *const names[] = { "cgroup", "enter", "enter_old" };
        long i;
        for (i = 0; i < calls; i++) {
            if (!(ns[i] = in_child(dom, fds, nfds, which, 0))) {
                fprintf(stderr, "%s failed in a child\n", names[which]);
                return 4;
            }
        }
        report(names[which], ns, calls);
    }
    /* Entering the namespaces the child is already in must succeed too
     * (libvirt's library treats that as success): checked, not timed. */
    printf("enter_again_ok %d\n", in_child(dom, fds, nfds, 1, 1) == 1);
    bench_idle_stop(&idle);
    return 0;
}
