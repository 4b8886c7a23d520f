/*
 * rel_fork: fork stress from a busy multi-threaded host.
 *
 *   rel_fork MODE N [THREADS]
 *
 * The host starts THREADS (default 3) threads that keep allocating and
 * freeing (so malloc's locks are often held at fork time), then forks N
 * children, up to 8 at a time. Each child exits right after its calls; the
 * parent gives each 10 s, then kills it and counts a hang.
 *
 *   enter  children call EnterSecurityLabel("none"), EnterCGroup and
 *          EnterNamespace (fds from /proc/<init>/ns); the core is never
 *          loaded.
 *   core   the same, but the parent first calls OpenNamespace once (as
 *          virsh does; its core process then runs, and the Go core must
 *          never be mapped here) and the children enter with those fds.
 *   open   as core; each child calls OpenNamespace (its own core process
 *          serves it) and checks it got the fds.
 *
 * Prints one line:
 *   mode=<m> iterations=N ok=<n> failed=<n> hangs=<n> crashes=<n>
 *     core_loaded=<0|1> threads=<n> elapsed_ms=<n>
 * and, for the first failed child, "first_failure <what the child said>".
 */
#include <poll.h>
#include <pthread.h>

#include "rel_util.h"

#define NSCOUNT 5
#define MAXFLIGHT 8
static const char *const nsNames[NSCOUNT] = { "ipc", "uts", "net", "pid", "mnt" };

static volatile int stopThreads;

static void *
busy(void *opaque)
{
    unsigned int seed = (unsigned int)(uintptr_t)opaque;
    void *keep[64] = { NULL };

    while (!stopThreads) {
        int slot = rand_r(&seed) % 64;

        free(keep[slot]);
        keep[slot] = malloc(1 + rand_r(&seed) % 65536);
        if (keep[slot])
            memset(keep[slot], slot, 16);
        /* Leave the CPU now and then: 2 cores, and the children must run. */
        if (rand_r(&seed) % 256 == 0)
            sched_yield();
    }
    for (seed = 0; seed < 64; seed++)
        free(keep[seed]);
    return NULL;
}

/* The child's work; its exit status says what failed (0: all fine). */
static void __attribute__((noreturn))
child(const char *mode, virDomainPtr dom, int nfds, int *fds, int report)
{
    virSecurityModel model;
    virSecurityLabel label;
    int *got = NULL, n, i;

    if (strcmp(mode, "open") == 0) {
        n = virDomainLxcOpenNamespace(dom, &got, 0);
        if (n <= 0) {
            if (report) {
                virErrorPtr e = virGetLastError();
                printf("first_failure OpenNamespace ret=%d %s\n", n,
                       e && e->message ? e->message : "(no error)");
                fflush(stdout);
            }
            _exit(11);
        }
        for (i = 0; i < n; i++)
            close(got[i]);
        free(got);
        _exit(0);
    }

    memset(&model, 0, sizeof(model));
    memset(&label, 0, sizeof(label));
    strcpy(model.model, "none");
    strcpy(label.label, "none");
    if (virDomainLxcEnterSecurityLabel(&model, &label, NULL, 0) < 0)
        n = 12;
    else if (virDomainLxcEnterCGroup(dom, 0) < 0)
        n = 13;
    else if (virDomainLxcEnterNamespace(dom, nfds, fds, NULL, NULL, 0) < 0)
        n = 14;
    else
        n = 0;
    if (n && report) {
        virErrorPtr e = virGetLastError();
        printf("first_failure status=%d %s\n", n,
               e && e->message ? e->message : "(no error)");
        fflush(stdout);
    }
    _exit(n);
}

int
main(int argc, char **argv)
{
    const char *mode;
    int iterations, nthreads = 3, i, ok = 0, failed = 0, hangs = 0, crashes = 0;
    int nfds = NSCOUNT, fds[64], *opened = NULL, status;
    pthread_t threads[16];
    virConnectPtr conn;
    virDomainPtr dom;
    struct {
        pid_t pid;
        int pidfd;
        long long deadline;
    } flight[MAXFLIGHT];
    int started, inFlight = 0;
    long long start;
    pid_t init, pid;

    if (argc < 3) {
        fprintf(stderr, "usage: rel_fork enter|core|open N [THREADS]\n");
        return 2;
    }
    mode = argv[1];
    iterations = atoi(argv[2]);
    if (argc > 3)
        nthreads = atoi(argv[3]);
    if (nthreads < 1 || nthreads > 16)
        nthreads = 3;

    tcPrintLib();
    conn = tcOpen(0);
    tcQuiet(conn);
    dom = tcDomain(conn, "lxcgo-plain");
    for (i = 0; i < nthreads; i++)
        pthread_create(&threads[i], NULL, busy, (void *)(uintptr_t)(i + 1));

    if (strcmp(mode, "enter") == 0) {
        char path[64];
        if ((init = tcInitPid(dom)) <= 0) {
            fprintf(stderr, "cannot find lxcgo-plain's init\n");
            return 2;
        }
        for (i = 0; i < NSCOUNT; i++) {
            snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)init, nsNames[i]);
            if ((fds[i] = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
                perror(path);
                return 2;
            }
        }
    } else {
        /* Multi-threaded already: the core loads here, as in virsh. */
        nfds = virDomainLxcOpenNamespace(dom, &opened, 0);
        if (nfds <= 0 || nfds > 64) {
            virErrorPtr e = virGetLastError();
            fprintf(stderr, "OpenNamespace in the parent: %d %s\n", nfds,
                    e && e->message ? e->message : "");
            return 2;
        }
        memcpy(fds, opened, sizeof(int) * nfds);
    }

    /* Several children in flight: each spends most of its few ms waiting
     * in the kernel (moving into a cgroup waits for an RCU grace period),
     * and concurrent waits share grace periods. Each has its own 10 s. */
    start = tcNowMs();
    for (i = 0; i < MAXFLIGHT; i++)
        flight[i].pid = 0;
    started = 0;
    while (started < iterations || inFlight > 0) {
        struct pollfd pfds[MAXFLIGHT];
        int np = 0;
        long long now;

        for (i = 0; i < MAXFLIGHT && started < iterations; i++) {
            if (flight[i].pid)
                continue;
            fflush(stdout);
            if ((pid = fork()) < 0) {
                perror("fork");
                return 2;
            }
            if (pid == 0)
                child(mode, dom, nfds, fds, failed + hangs + crashes == 0);
            flight[i].pid = pid;
            flight[i].pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
            flight[i].deadline = tcNowMs() + 10000;
            started++;
            inFlight++;
        }
        for (i = 0; i < MAXFLIGHT; i++) {
            if (!flight[i].pid || flight[i].pidfd < 0)
                continue;
            pfds[np].fd = flight[i].pidfd;
            pfds[np].events = POLLIN;
            np++;
        }
        /* Without pidfds (old kernel), poll on nothing for 1 ms. */
        poll(pfds, np, np ? 1000 : 1);
        now = tcNowMs();
        for (i = 0; i < MAXFLIGHT; i++) {
            pid_t r;

            if (!flight[i].pid)
                continue;
            r = waitpid(flight[i].pid, &status, WNOHANG);
            if (r == 0 && now < flight[i].deadline)
                continue;
            if (r == 0) {
                /* Hung: kill and count. */
                kill(flight[i].pid, SIGKILL);
                while (waitpid(flight[i].pid, &status, 0) < 0 && errno == EINTR)
                    ;
                hangs++;
            } else if (r < 0) {
                perror("waitpid");
                return 2;
            } else if (WIFSIGNALED(status)) {
                crashes++;
            } else if (WEXITSTATUS(status) != 0) {
                failed++;
            } else {
                ok++;
            }
            if (flight[i].pidfd >= 0)
                close(flight[i].pidfd);
            flight[i].pid = 0;
            inFlight--;
        }
    }
    printf("mode=%s iterations=%d ok=%d failed=%d hangs=%d crashes=%d "
           "core_loaded=%d threads=%d elapsed_ms=%lld\n",
           mode, iterations, ok, failed, hangs, crashes,
           tcMapped("libvirt-lxc-core.so"), tcThreads(), tcNowMs() - start);
    fflush(stdout);
    stopThreads = 1;
    for (i = 0; i < nthreads; i++)
        pthread_join(threads[i], NULL);
    for (i = 0; i < nfds; i++)
        close(fds[i]);
    free(opened);
    tcRelease();
    return 0;
}
