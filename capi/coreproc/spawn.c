/*
 * spawn.c: starts the core process of a caller of libvirt-lxc.so.0.
 *
 * Hazard: the caller must notice nothing. It may reap with waitpid(-1) or
 * count SIGCHLD, sit in a terminal's foreground process group, be setuid,
 * be multi-threaded with locks held, or be a child forked by one. So:
 *
 *   - The core process is a grandchild: the caller clones an intermediate
 *     child without exit signal (no SIGCHLD, invisible to wait() and
 *     waitpid(-1), which see such "clone" children only with __WCLONE or
 *     __WALL) and reaps it at once with __WCLONE; the intermediate starts
 *     the core process and exits, so the core process belongs to init (or
 *     to the nearest subreaper) and is never the caller's zombie.
 *   - The intermediate calls setsid(): the core process is in no process
 *     group or session of the caller, so a terminal's Ctrl-C never reaches
 *     it. It runs in "/", inherits no fd but its channel, the caller's
 *     pidfd and stdio (stdin/stdout on /dev/null), default signal
 *     dispositions and a fixed environment.
 *   - Between clone() and execve() only async-signal-safe system calls run:
 *     both children are raw clones (no atfork handler of the caller runs),
 *     and everything they use is prepared before.
 *   - The core process exits when the caller goes away (its pidfd becomes
 *     readable) or its channel is closed (the caller's end is close-on-exec).
 *
 * The helper is found relative to this library only, never through the
 * environment; a setuid caller hands it no variable at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "coreload.h"
#include "locate.h"
#include "proto.h"
#include "spawn.h"

#define HELPER_PATH_ENV "PATH=/usr/sbin:/usr/bin:/sbin:/bin"
#define SCRATCH_FD 10          /* above the fds the children arrange */

/* Read by the core's socket selection (internal/core/uri.go), as libvirt's
 * client reads them with secure_getenv(). */
static const char *const passedEnv[] = {
    "HOME", "XDG_CONFIG_HOME", "XDG_RUNTIME_DIR",
};
#define N_PASSED_ENV (sizeof(passedEnv) / sizeof(passedEnv[0]))

/* Everything both children need, prepared before the first clone. */
typedef struct {
    char path[PATH_MAX + 64];
    char *argv[4];
    char *envp[2 + N_PASSED_ENV];
    char *envStrings[N_PASSED_ENV];
    int channel;               /* the core process's end */
    int pidfd;                 /* the caller's pidfd, or -1 */
    lxcProcStarted started;    /* sent by the intermediate */
    lxcProcStarted failed;     /* sent by the intermediate if execve fails */
} spawnSetup;

int
lxcProcFindHelper(char *path, size_t len)
{
    return lxcCoreFindFile(LXC_OPEN_HELPER_FILE, path, len);
}

/* fork() without SIGCHLD, atfork handlers or glibc's bookkeeping: the
 * child only makes system calls until it execs or exits. */
static pid_t
rawClone(unsigned long exitSignal)
{
    return (pid_t)syscall(SYS_clone, exitSignal, NULL, NULL, NULL, 0UL);
}

/* The kernel's struct sigaction. glibc's sigaction() is not a plain
 * system call: for SIGABRT it takes glibc's abort lock, which another
 * thread of the caller may hold when we clone (seen: the intermediate hung
 * for good in __abort_lock_wrlock on glibc 2.41). */
struct kernelSigaction {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)(void);
    unsigned long mask;
};

static void
rawSigaction(int sig, const struct kernelSigaction *act)
{
    syscall(SYS_rt_sigaction, sig, act, NULL, sizeof(act->mask));
}

static void
sendStart(int fd, const lxcProcStarted *msg)
{
    while (send(fd, msg, sizeof(*msg), MSG_NOSIGNAL) < 0 && errno == EINTR)
        ;
}

/* The intermediate's fd table: channel as LXC_PROC_CHANNEL_FD, pidfd as
 * LXC_PROC_CALLER_FD, stdin/stdout on /dev/null, stderr kept only when it
 * is a real inherited fd, nothing else. */
static int
arrangeFds(spawnSetup *ss)
{
    int channel, pidfd = -1, devnull, fd, flags;

    /* Out of the way first, so that the dup2()s below cannot clobber. */
    if ((channel = fcntl(ss->channel, F_DUPFD, SCRATCH_FD)) < 0)
        return -1;
    if (ss->pidfd >= 0 && (pidfd = fcntl(ss->pidfd, F_DUPFD, SCRATCH_FD)) < 0)
        return -1;
    if ((devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
        return -1;
    if ((devnull = fcntl(devnull, F_DUPFD_CLOEXEC, SCRATCH_FD)) < 0)
        return -1;
    for (fd = 0; fd <= 2; fd++) {
        if (fd == 2 && (flags = fcntl(2, F_GETFD)) >= 0 && !(flags & FD_CLOEXEC))
            continue;
        if (dup2(devnull, fd) < 0)
            return -1;
    }
    if (dup2(channel, LXC_PROC_CHANNEL_FD) < 0)
        return -1;
    if (pidfd >= 0 && dup2(pidfd, LXC_PROC_CALLER_FD) < 0)
        return -1;
    if (syscall(SYS_close_range, pidfd >= 0 ? LXC_PROC_CALLER_FD + 1
                                            : LXC_PROC_CHANNEL_FD + 1,
                ~0U, 0) < 0)
        return -1;
    return 0;
}

/* Runs in the intermediate child; never returns. */
static void __attribute__((noreturn))
intermediate(spawnSetup *ss)
{
    struct kernelSigaction dfl;
    unsigned long none = 0;
    int sig, errnum, execResult[2];
    ssize_t r;
    pid_t pid;

    if (arrangeFds(ss) < 0)
        goto fail;
    /* The caller blocked every signal around clone(): drop its handlers
     * before anything is unblocked, so none of them runs here. */
    memset(&dfl, 0, sizeof(dfl));
    dfl.handler = SIG_DFL;
    for (sig = 1; sig < NSIG; sig++)
        rawSigaction(sig, &dfl);
    if (setsid() < 0 || chdir("/") < 0)
        goto fail;

    /* The core process's execve() result, before anything is sent: a
     * failure to start is then always reported as such, never raced by the
     * caller's first request (its end of the channel closed when both
     * children are gone). The pipe closes on a successful execve(). */
    if (pipe2(execResult, O_CLOEXEC) < 0)
        goto fail;
    if ((pid = rawClone(SIGCHLD)) == 0) {
        syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, sizeof(none));
        execve(ss->path, ss->argv, ss->envp);
        errnum = errno;
        while (write(execResult[1], &errnum, sizeof(errnum)) < 0 && errno == EINTR)
            ;
        _exit(127);
    }
    if (pid < 0)
        goto fail;
    close(execResult[1]);
    while ((r = read(execResult[0], &errnum, sizeof(errnum))) < 0 && errno == EINTR)
        ;
    if (r == (ssize_t)sizeof(errnum)) {
        /* Gone, with its copies of the caller's fds, before the caller
         * hears of it. */
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        ss->failed.errnum = errnum;
        sendStart(LXC_PROC_CHANNEL_FD, &ss->failed);
        _exit(127);
    }
    ss->started.pid = pid;
    sendStart(LXC_PROC_CHANNEL_FD, &ss->started);
    _exit(0);

 fail:
    ss->failed.errnum = errno;
    /* The channel may not have its final number yet. */
    sendStart(fcntl(LXC_PROC_CHANNEL_FD, F_GETFD) >= 0 ? LXC_PROC_CHANNEL_FD
                                                       : ss->channel,
              &ss->failed);
    _exit(127);
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
            lxcCoreSetInternal(err, "cannot find the directory of libvirt-lxc.so.0");
        return -1;
    }
    ss->argv[0] = (char *)LXC_OPEN_HELPER_FILE;
    ss->argv[1] = (char *)"3";                 /* LXC_PROC_CHANNEL_FD */
    ss->argv[2] = (char *)LXC_PROC_NO_FD_ARG;  /* or "4", below */
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
    ss->started.hdr.magic = ss->failed.hdr.magic = LXC_PROC_MAGIC;
    ss->started.hdr.kind = LXC_PROC_MSG_STARTED;
    ss->failed.hdr.kind = LXC_PROC_MSG_EXEC_FAILED;
    return 0;
}

/* The intermediate's one message, queued before it exited. */
static int
readStarted(int fd, const char *path, pid_t *pid, lxcCoreError *err)
{
    lxcProcStarted msg;
    ssize_t r;

    while ((r = recv(fd, &msg, sizeof(msg), MSG_DONTWAIT)) < 0 && errno == EINTR)
        ;
    if (r != (ssize_t)sizeof(msg) || msg.hdr.magic != LXC_PROC_MAGIC) {
        lxcCoreSetInternal(err, "the core process %s did not start: its starter "
                           "exited without a word", path);
        return -1;
    }
    if (msg.hdr.kind == LXC_PROC_MSG_EXEC_FAILED) {
        lxcCoreSetInternal(err, "cannot start the core process %s: %s", path,
                           strerror(msg.errnum));
        return -1;
    }
    if (msg.hdr.kind != LXC_PROC_MSG_STARTED || msg.pid <= 0) {
        lxcCoreSetInternal(err, "the core process %s did not start: unexpected "
                           "message %u", path, msg.hdr.kind);
        return -1;
    }
    *pid = msg.pid;
    return 0;
}

int
lxcProcSpawn(int *fd, pid_t *pid, char *path, size_t pathlen, lxcCoreError *err)
{
    spawnSetup ss;
    sigset_t all, saved;
    int sv[2] = { -1, -1 }, status, saveErrno, ret = -1;
    pid_t child;

    if (setupPrepare(&ss, err) < 0)
        return -1;
    snprintf(path, pathlen, "%s", ss.path);
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        lxcCoreSetInternal(err, "cannot create the channel to the core process: %s",
                           strerror(errno));
        goto cleanup;
    }
    ss.channel = sv[1];
    /* Without pidfds (Linux < 5.3) the core process still ends with its
     * channel; with them also when a forked child keeps a copy of it. */
    ss.pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
    if (ss.pidfd >= 0)
        ss.argv[2] = (char *)"4";              /* LXC_PROC_CALLER_FD */

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &saved);
    child = rawClone(0);
    if (child == 0)
        intermediate(&ss);
    saveErrno = errno;
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    close(sv[1]);
    sv[1] = -1;
    if (child < 0) {
        lxcCoreSetInternal(err, "cannot start the core process %s: clone: %s",
                           ss.path, strerror(saveErrno));
        goto cleanup;
    }
    /* The intermediate exits right after starting the core process. When
     * the caller ignores SIGCHLD the kernel reaps it itself (ECHILD). */
    while (waitpid(child, &status, __WCLONE) < 0 && errno == EINTR)
        ;
    if (readStarted(sv[0], ss.path, pid, err) < 0)
        goto cleanup;
    *fd = sv[0];
    sv[0] = -1;
    ret = 0;

 cleanup:
    if (sv[0] >= 0)
        close(sv[0]);
    if (ss.pidfd >= 0)
        close(ss.pidfd);
    setupFree(&ss);
    return ret;
}
