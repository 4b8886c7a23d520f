/*
 * spawn.c: starts the core process of a caller of libvirt-lxc.so.0.
 *
 * Hazard: the caller must notice nothing. It may reap with waitpid(-1) or
 * count SIGCHLD, be a child subreaper, sit in a terminal's foreground
 * process group, be setuid, be large (Python, libvirtd), be multi-threaded
 * with locks held, or be a child forked by one. So:
 *
 *   - The core process is a grandchild: the caller clones an intermediate
 *     child without exit signal (no SIGCHLD, invisible to wait() and
 *     waitpid(-1), which see such "clone" children only with __WCLONE or
 *     __WALL) and reaps it at once with __WCLONE; the intermediate starts
 *     the core process and exits, so the core process is an orphan, owned
 *     by init or the nearest subreaper above the caller, and never the
 *     caller's child or zombie. A caller that is itself a subreaper would
 *     adopt it: it stops being one while the intermediate exits (the one
 *     moment orphans of its own descendants would go to the next reaper
 *     up). Only the init of a pid namespace adopts it regardless.
 *   - No copy of the caller's address space is made: both clones share it
 *     (CLONE_VM | CLONE_VFORK, as posix_spawn() does), the calling thread
 *     suspended until the intermediate exits, which it does once the core
 *     process has exec'ed. The children make system calls only, on stacks
 *     of their own, with every signal blocked until the core process has
 *     reset its handlers (no atfork handler of the caller runs).
 *   - The core process calls setsid(): it is in no process group or
 *     session of the caller, so a terminal's Ctrl-C never reaches it. It
 *     runs in "/", with stdin and stdout on /dev/null and its standard
 *     error on its channel (proto.h: nothing it says reaches the caller's
 *     output), its channel, the caller's pidfd, default signal
 *     dispositions and a fixed environment; no other fd of the caller's.
 *   - It exits when the caller goes away (its pidfd becomes readable) or
 *     its channel is closed (the caller's end is close-on-exec).
 *
 * The program is found relative to this library only, never through the
 * environment; a setuid caller hands it no variable at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "coreload.h"
#include "locate.h"
#include "proto.h"
#include "spawn.h"

#define HELPER_PATH_ENV "PATH=/usr/sbin:/usr/bin:/sbin:/bin"
#define SCRATCH_FD 10          /* above the fds the child arranges */
#define CHILD_STACK (64 * 1024) /* each of the two children's */

/* Read by the core's socket selection (internal/core/uri.go), as libvirt's
 * client reads them with secure_getenv(). */
static const char *const passedEnv[] = {
    "HOME", "XDG_CONFIG_HOME", "XDG_RUNTIME_DIR",
};
#define N_PASSED_ENV (sizeof(passedEnv) / sizeof(passedEnv[0]))

/* Everything the child needs, prepared before clone(). */
typedef struct {
    char path[PATH_MAX + 64];
    char channelArg[16];       /* argv: LXC_PROC_CHANNEL_FD */
    char callerArg[16];        /* argv: LXC_PROC_CALLER_FD */
    char *argv[4];
    char *envp[2 + N_PASSED_ENV];
    char *envStrings[N_PASSED_ENV];
    int channel;               /* the core process's end */
    int pidfd;                 /* the caller's pidfd, or -1 */
    char *stack;               /* CHILD_STACK for each child */
    pid_t core;                /* set by the intermediate */
    int startErrno;            /* set by either child when it fails */
} spawnSetup;

int
lxcProcFindHelper(char *path, size_t len)
{
    return lxcCoreFindFile(LXC_OPEN_HELPER_FILE, path, len);
}

/* The kernel's struct sigaction. glibc's sigaction() is not a plain
 * system call: for SIGABRT it takes glibc's abort lock, which another
 * thread of the caller may hold (seen: a child hung for good in
 * __abort_lock_wrlock on glibc 2.41). */
struct kernelSigaction {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)(void);
    unsigned long mask;
};

/* Closes every fd of the child but stdio and @a < @b (either may be -1):
 * the caller may be at its descriptor limit, and the child needs room. */
static int
closeAllBut(int a, int b)
{
    int keep[2] = { a < b ? a : b, a < b ? b : a }, from = STDERR_FILENO + 1, i;

    for (i = 0; i < 2; i++) {
        if (keep[i] < from)
            continue;
        if (keep[i] > from && syscall(SYS_close_range, from, keep[i] - 1, 0) < 0)
            return -1;
        from = keep[i] + 1;
    }
    return (int)syscall(SYS_close_range, from, ~0U, 0);
}

/* The child's fd table: stdin/stdout on /dev/null, stderr and
 * LXC_PROC_CHANNEL_FD the channel, LXC_PROC_CALLER_FD the pidfd, nothing
 * else. The child has an fd table of its own (no CLONE_FILES). */
static int
arrangeFds(const spawnSetup *ss)
{
    int channel, pidfd = -1, devnull;

    if (closeAllBut(ss->channel, ss->pidfd) < 0)
        return -1;
    /* Out of the way, so that the dup2()s below cannot clobber. */
    if ((channel = fcntl(ss->channel, F_DUPFD, SCRATCH_FD)) < 0)
        return -1;
    if (ss->pidfd >= 0 && (pidfd = fcntl(ss->pidfd, F_DUPFD, SCRATCH_FD)) < 0)
        return -1;
    if ((devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0 ||
        (devnull = fcntl(devnull, F_DUPFD_CLOEXEC, SCRATCH_FD)) < 0)
        return -1;
    if (dup2(devnull, STDIN_FILENO) < 0 || dup2(devnull, STDOUT_FILENO) < 0 ||
        dup2(channel, STDERR_FILENO) < 0 ||
        dup2(channel, LXC_PROC_CHANNEL_FD) < 0)
        return -1;
    if (pidfd >= 0 && dup2(pidfd, LXC_PROC_CALLER_FD) < 0)
        return -1;
    return (int)syscall(SYS_close_range, pidfd >= 0 ? LXC_PROC_CALLER_FD + 1
                                                    : LXC_PROC_CHANNEL_FD + 1,
                        ~0U, 0);
}

/* The core process until it execs, on its own stack, in the caller's
 * memory. */
static int
coreChild(void *arg)
{
    spawnSetup *ss = arg;
    struct kernelSigaction dfl;
    unsigned long none = 0;
    int sig;

    if (arrangeFds(ss) < 0)
        goto fail;
    /* The caller blocked every signal around clone(): drop its handlers
     * (in this child's own copy of the table) before anything is
     * unblocked, so none of them runs here. */
    memset(&dfl, 0, sizeof(dfl));
    dfl.handler = SIG_DFL;
    for (sig = 1; sig < NSIG; sig++)
        syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(dfl.mask));
    if (setsid() < 0 || chdir("/") < 0)
        goto fail;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, sizeof(none));
    execve(ss->path, ss->argv, ss->envp);
 fail:
    /* errno is the suspended calling thread's (shared memory). */
    ss->startErrno = errno ? errno : EINVAL;
    return 127;
}

/* The intermediate: starts the core process and exits, orphaning it.
 * Resumes once the core process has exec'ed (or failed to). */
static int
intermediate(void *arg)
{
    spawnSetup *ss = arg;

    ss->core = clone(coreChild, ss->stack + 2 * CHILD_STACK,
                     CLONE_VM | CLONE_VFORK | SIGCHLD, ss);
    if (ss->core < 0)
        ss->startErrno = errno;
    return 0;
}

static void
setupFree(spawnSetup *ss)
{
    size_t i;

    for (i = 0; i < N_PASSED_ENV; i++)
        free(ss->envStrings[i]);
}

static int
setupPrepare(spawnSetup *ss, lxcCoreError *err)
{
    size_t i, n = 0;

    memset(ss, 0, sizeof(*ss));
    ss->channel = ss->pidfd = -1;
    if (lxcProcFindHelper(ss->path, sizeof(ss->path)) < 0) {
        if (ss->path[0])
            lxcCoreSetInternal(err, "the core process of libvirt-lxc.so.0 is "
                               "missing: expected %s", ss->path);
        else
            lxcCoreSetInternal(err, "cannot find the directory of libvirt-lxc.so.0: "
                               "%s%s", strerror(errno), lxcProcLimitHint(errno));
        return -1;
    }
    snprintf(ss->channelArg, sizeof(ss->channelArg), "%d", LXC_PROC_CHANNEL_FD);
    snprintf(ss->callerArg, sizeof(ss->callerArg), "%d", LXC_PROC_CALLER_FD);
    ss->argv[0] = (char *)LXC_OPEN_HELPER_FILE;
    ss->argv[1] = ss->channelArg;
    ss->argv[2] = (char *)LXC_PROC_NO_FD_ARG;  /* or the pidfd's, below */
    ss->argv[3] = NULL;
    ss->envp[0] = (char *)HELPER_PATH_ENV;
    if (!getauxval(AT_SECURE)) {
        for (i = 0; i < N_PASSED_ENV; i++) {
            const char *v = getenv(passedEnv[i]);
            if (v && asprintf(&ss->envStrings[n], "%s=%s", passedEnv[i], v) >= 0) {
                ss->envp[1 + n] = ss->envStrings[n];
                n++;
            }
        }
    }
    ss->envp[1 + n] = NULL;
    return 0;
}

/* The intermediate, with every signal blocked, and reaped: the core
 * process's pid, or -1 with ss->startErrno set. */
static pid_t
startCore(spawnSetup *ss)
{
    sigset_t all, saved;
    int status, subreaper = 0;
    pid_t child;

    ss->stack = mmap(NULL, 2 * CHILD_STACK, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (ss->stack == MAP_FAILED) {
        ss->startErrno = errno;
        return -1;
    }
    if (prctl(PR_GET_CHILD_SUBREAPER, &subreaper) == 0 && subreaper)
        prctl(PR_SET_CHILD_SUBREAPER, 0);
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &saved);
    /* Exit signal 0: a clone child. Returns once it has exited. */
    child = clone(intermediate, ss->stack + CHILD_STACK, CLONE_VM | CLONE_VFORK, ss);
    if (child < 0)
        ss->startErrno = errno;
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    if (subreaper)
        prctl(PR_SET_CHILD_SUBREAPER, 1);
    /* When the caller ignores SIGCHLD the kernel reaps it itself (ECHILD). */
    while (child > 0 && waitpid(child, &status, __WCLONE) < 0 && errno == EINTR)
        ;
    munmap(ss->stack, 2 * CHILD_STACK);
    if (child < 0 || ss->startErrno)
        return -1;
    return ss->core;
}

int
lxcProcSpawn(int *fd, pid_t *pid, char *path, size_t pathlen, lxcCoreError *err)
{
    spawnSetup ss;
    int sv[2] = { -1, -1 }, ret = -1;
    pid_t child;

    if (setupPrepare(&ss, err) < 0)
        return -1;
    snprintf(path, pathlen, "%s", ss.path);
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        lxcCoreSetInternal(err, "cannot create the channel to the core process: %s%s",
                           strerror(errno), lxcProcLimitHint(errno));
        goto cleanup;
    }
    ss.channel = sv[1];
    /* Without pidfds (Linux < 5.3) the core process still ends with its
     * channel; with them also when a forked child keeps a copy of it. */
    ss.pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
    if (ss.pidfd >= 0)
        ss.argv[2] = ss.callerArg;

    if ((child = startCore(&ss)) < 0) {
        lxcCoreSetInternal(err, "cannot start the core process %s: %s%s", ss.path,
                           strerror(ss.startErrno), lxcProcLimitHint(ss.startErrno));
        goto cleanup;
    }
    *pid = child;
    *fd = sv[0];
    sv[0] = -1;
    ret = 0;

 cleanup:
    if (sv[0] >= 0)
        close(sv[0]);
    if (sv[1] >= 0)
        close(sv[1]);
    if (ss.pidfd >= 0)
        close(ss.pidfd);
    setupFree(&ss);
    return ret;
}

const char *
lxcProcLimitHint(int errnum)
{
    static __thread char hint[160];
    struct rlimit rl;

    switch (errnum) {
    case ENFILE:
        return " (the system's file table is full: see fs.file-max)";
    case EAGAIN:
        return " (no room for another task: see the pids.max of this "
               "process's cgroup, and RLIMIT_NPROC)";
    case EMFILE:
        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
            break;
        snprintf(hint, sizeof(hint), " (this process is at its descriptor "
                 "limit, RLIMIT_NOFILE %llu: raise it with ulimit -n)",
                 (unsigned long long)rl.rlim_cur);
        return hint;
    }
    return "";
}
