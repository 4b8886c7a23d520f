/*
 * main.c: libvirt-lxc-open, the core process of one caller of
 * libvirt-lxc.so.0 (see channel/proto.h for the channel,
 * lib/coreproc_spawn.c for how it is started and why the caller never
 * sees it). The Go core runs here only: coreload.c loads it.
 *
 * It loads the Go core that sits beside it (installed and build-tree
 * layouts both put them in one directory) as soon as it starts, and serves
 * the caller's OpenNamespace requests until the caller goes away: the
 * channel reaches EOF (the caller exited, exec'ed or closed it) or the
 * caller's pidfd becomes readable (the caller exited while a forked child
 * still holds a copy of the channel). It has no privileges of its own; it
 * runs with the caller's, in the caller's cgroups and under its limits.
 *
 * Threads: as few as can serve. At rest the main thread alone waits, on
 * the channel and the caller's pidfd, beside the Go runtime's own (the
 * thread that ran its init, sysmon, cgo's template thread).
 * Each request is served start to end by the thread that took it. A
 * request that says the caller has other calls in flight (lxcProcOpen's
 * inflight) makes its thread start a spare first, when no thread waits,
 * so that concurrent calls are served concurrently, by at most
 * LXC_CORE_MAX_CALLERS threads (more requests wait in the channel: each
 * thread that calls into Go needs a P of the runtime's); a spare that waits
 * LXC_SPARE_IDLE_MS for nothing ends. When no thread can be started (a
 * task limit), requests are served one after the other.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "../channel/coreabi.h"
#include "coreload.h"
#include "../channel/channel.h"
#include "../channel/coreerror.h"

/* Besides the main thread; see LXC_CORE_MAX_CALLERS. */
#define MAX_SPARES (LXC_CORE_MAX_CALLERS - 1)
#define LXC_SPARE_IDLE_MS 1000
#define REQUEST_MAX (sizeof(lxcProcOpen) + 2 * LXC_PROC_MAX_STRING)
#define MIB (1024 * 1024)
/* The least address space the Go runtime starts in (measured: it reserves
 * its heap arenas' metadata up front). */
#define GO_RUNTIME_MIN_AS (768ULL * MIB)

static const int channel = LXC_PROC_CHANNEL_FD;
static pid_t callerPid;
static lxcCoreOpenFunc coreOpen;
static char loadFailure[LXC_PATH_MSG_MAX]; /* why coreOpen is NULL */
static int waiting, spares;           /* atomics */

static void
sendRecord(struct msghdr *msg)
{
    /* A caller that is gone is noticed by the next receive. */
    while (sendmsg(channel, msg, MSG_NOSIGNAL) < 0 && errno == EINTR)
        ;
}

/* Sends the first @len bytes of @buf, a record without fds. */
static void
sendBytes(char *buf, size_t len)
{
    struct iovec iov = { .iov_base = buf, .iov_len = len };
    struct msghdr msg;

    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    sendRecord(&msg);
}

/* Each thread's record being sent. Every record fits (the encoders cut
 * strings at LXC_PROC_MAX_STRING), but LXC_PROC_MAX_MSG is too much for a
 * stack, and threads answer concurrently. */
static __thread char sendBuf[LXC_PROC_MAX_MSG];

static void
replyError(uint64_t id, const lxcCoreError *err)
{
    sendBytes(sendBuf, lxcChanEncodeError(sendBuf, sizeof(sendBuf), id, err));
}

/* lxcCoreLogFunc: one record of the Go core's, to the caller, who logs it.
 * @opaque is the id of the request being served. */
static void
sendLog(void *opaque, int priority, const char *file, const char *func,
        int line, const char *text)
{
    sendBytes(sendBuf, lxcChanEncodeLog(sendBuf, sizeof(sendBuf),
                                        *(const uint64_t *)opaque, priority,
                                        file, func, line, text));
}

static void
replyFds(uint64_t id, const int *fds, int n)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * LXC_PROC_MAX_FDS)];
    } control;
    char hdr[sizeof(lxcProcFds)];
    struct iovec iov = { .iov_base = hdr };
    struct msghdr msg;
    struct cmsghdr *cmsg;

    iov.iov_len = lxcChanEncodeFds(hdr, sizeof(hdr), id, n);
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (n > 0) {
        memset(&control, 0, sizeof(control));
        msg.msg_control = control.buf;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
        cmsg = CMSG_FIRSTHDR(&msg);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int) * n);
        memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * n);
    }
    sendRecord(&msg);
}

static void *spare(void *arg);

/* Before a request of a caller with other calls in flight is served:
 * someone must be left to take the next one. */
static void
keepOneWaiting(uint32_t inflight)
{
    pthread_t t;
    pthread_attr_t attr;
    int started;

    if (inflight <= 1 || __atomic_load_n(&waiting, __ATOMIC_ACQUIRE) > 0)
        return;
    if (__atomic_add_fetch(&spares, 1, __ATOMIC_ACQ_REL) <= MAX_SPARES) {
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        started = pthread_create(&t, &attr, spare, NULL) == 0;
        pthread_attr_destroy(&attr);
        if (started)
            return;
    }
    __atomic_sub_fetch(&spares, 1, __ATOMIC_ACQ_REL);
}

/* The Go core's answer to one valid request. */
static int
callCore(const lxcProcOpen *rq, const char *strings, int **fds, lxcCoreError *err)
{
    lxcCoreRequest req;
    char *uri, *name;
    int n, i;

    if (!coreOpen) {
        lxcCoreSetInternal(err, "%s", loadFailure);
        return -1;
    }
    uri = strndup(strings, rq->urilen);
    name = strndup(strings + rq->urilen, rq->namelen);
    if (!uri || !name) {
        free(uri);
        free(name);
        lxcCoreSetInternal(err, "out of memory");
        return -1;
    }
    memset(&req, 0, sizeof(req));
    req.uri = uri;
    req.name = name;
    req.caller = callerPid;
    req.id = rq->domid;
    req.flags = rq->flags;
    req.driver = rq->driver;
    memcpy(req.uuid, rq->uuid, sizeof(req.uuid));
    if (rq->logpriority > 0) {
        req.logPriority = rq->logpriority;
        req.log = sendLog;
        req.logOpaque = (void *)&rq->hdr.id;
    }
    n = coreOpen(&req, fds, err);
    free(uri);
    free(name);
    if (n > LXC_PROC_MAX_FDS) {
        for (i = 0; i < n; i++)
            close((*fds)[i]);
        lxcCoreErrorFree(err);
        lxcCoreSetInternal(err, "the Go core returned %d fds (at most %d expected)",
                           n, LXC_PROC_MAX_FDS);
        n = -1;
    }
    return n;
}

/* Answers one request record of @len bytes. */
static void
serve(const char *buf, size_t len)
{
    lxcProcOpen rq;
    lxcCoreError err;
    const char *strings;
    lxcChanResult r;
    int n = -1, *fds = NULL, i;

    memset(&err, 0, sizeof(err));
    r = lxcChanDecodeOpen(buf, len, &rq, &strings);
    if (r == LXC_CHAN_SHORT)
        return; /* no id to answer to; the caller's deadline tells it */
    if (r != LXC_CHAN_OK) {
        lxcCoreSetInternal(&err, "the core process got a malformed request");
    } else {
        keepOneWaiting(rq.inflight);
        n = callCore(&rq, strings, &fds, &err);
    }
    if (n >= 0) {
        replyFds(rq.hdr.id, fds, n);
        for (i = 0; i < n; i++)
            close(fds[i]);
    } else {
        replyError(rq.hdr.id, &err);
    }
    free(fds);
    lxcCoreErrorFree(&err);
}

/* One request from the channel into @buf: its length, 0 at EOF, or -1
 * with errno. No control buffer: the kernel closes any fd sent along. */
static ssize_t
receive(char *buf, size_t size, int flags)
{
    struct iovec iov = { .iov_base = buf, .iov_len = size };
    struct msghdr msg;
    ssize_t r;

    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    __atomic_add_fetch(&waiting, 1, __ATOMIC_ACQ_REL);
    r = recvmsg(channel, &msg, flags);
    __atomic_sub_fetch(&waiting, 1, __ATOMIC_ACQ_REL);
    if (r > 0 && (msg.msg_flags & MSG_TRUNC))
        r = (ssize_t)size + 1; /* serve() refuses it */
    return r;
}

static void *
spare(void *arg)
{
    static __thread char buf[REQUEST_MAX + 1];
    ssize_t r;

    (void)arg;
    for (;;) {
        /* SO_RCVTIMEO (main) bounds this wait: an idle spare ends. */
        r = receive(buf, sizeof(buf), 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            __atomic_sub_fetch(&spares, 1, __ATOMIC_ACQ_REL);
            return NULL;
        }
        if (r <= 0)
            _exit(0); /* the caller is gone: nothing to tear down */
        serve(buf, (size_t)r);
    }
}

/* Last words for the signals that can end this process and can be
 * caught: written to stderr, which is the channel (proto.h), so that the
 * caller's error says what ended it. */
static const int fatalSignals[] = {
    SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM,
};
static char lastWords[NSIG][64];

static void
sayAndDie(int sig)
{
    ssize_t r = write(STDERR_FILENO, lastWords[sig], strlen(lastWords[sig]));

    (void)r;
    signal(sig, SIG_DFL);
    raise(sig);
}

static void
prepareLastWords(void)
{
    size_t i;
    int sig;

    for (i = 0; i < sizeof(fatalSignals) / sizeof(fatalSignals[0]); i++) {
        sig = fatalSignals[i];
        snprintf(lastWords[sig], sizeof(lastWords[sig]), "killed by signal %d (%s)\n",
                 sig, strsignal(sig));
        signal(sig, sayAndDie);
    }
}

/* Serves until the caller is gone; the main thread. */
static void __attribute__((noreturn))
serveMain(int watch)
{
    static char buf[REQUEST_MAX + 1];
    struct pollfd pfd[2] = {
        { .fd = channel, .events = POLLIN },
        { .fd = LXC_PROC_CALLER_FD, .events = POLLIN },
    };
    ssize_t r;

    for (;;) {
        /* Counted as waiting while it polls, so that a request taken by a
         * spare needs no other. */
        __atomic_add_fetch(&waiting, 1, __ATOMIC_ACQ_REL);
        r = poll(pfd, watch ? 2 : 1, -1);
        __atomic_sub_fetch(&waiting, 1, __ATOMIC_ACQ_REL);
        if (r < 0 && errno != EINTR)
            _exit(1);
        if (watch && pfd[1].revents)
            _exit(0); /* the caller exited */
        if (r <= 0 || !pfd[0].revents)
            continue;
        r = receive(buf, sizeof(buf), MSG_DONTWAIT);
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            continue; /* a spare took it */
        if (r <= 0)
            _exit(0); /* the caller is gone, exec'ed or closed its end */
        serve(buf, (size_t)r);
    }
}

/* Soft limits up to their hard limits, where the Go runtime needs room;
 * a hard limit that leaves it none is named in every answer. */
static int
raiseLimits(void)
{
    const int which[] = { RLIMIT_AS, RLIMIT_DATA };
    struct rlimit rl;
    size_t i;

    for (i = 0; i < sizeof(which) / sizeof(which[0]); i++) {
        if (getrlimit(which[i], &rl) < 0 || rl.rlim_cur == rl.rlim_max)
            continue;
        rl.rlim_cur = rl.rlim_max;
        setrlimit(which[i], &rl);
    }
    if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_max != RLIM_INFINITY &&
        rl.rlim_max < GO_RUNTIME_MIN_AS) {
        snprintf(loadFailure, sizeof(loadFailure), "the core process of "
                 "libvirt-lxc.so.0 cannot start its Go runtime: the caller's "
                 "address space limit (RLIMIT_AS, ulimit -Hv) is %llu MiB, and "
                 "it needs %llu MiB",
                 (unsigned long long)rl.rlim_max / MIB,
                 (unsigned long long)GO_RUNTIME_MIN_AS / MIB);
        return -1;
    }
    return 0;
}

/* The core, loaded from this program's own directory: named by the path
 * this program was started by (AT_EXECFN), which coreproc_spawn.c resolved where
 * this process stands (the caller's mount namespace and root, or its
 * daemon's: coreproc_spawn.c), and which leads to the same directory here. Not
 * /proc/self/exe: in a container's mount namespace /proc is the container's
 * pid namespace's, where this process has no entry. */
static void
loadCore(void)
{
    const char *exe = (const char *)getauxval(AT_EXECFN);
    const char *slash = exe ? strrchr(exe, '/') : NULL;
    char path[PATH_MAX + sizeof(LXC_CORE_FILE) + 1];

    if (!slash || (size_t)(slash - exe) >= PATH_MAX) {
        snprintf(loadFailure, sizeof(loadFailure), "odd path of the core process: %s",
                 exe ? exe : "(none)");
        return;
    }
    snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - exe), exe, LXC_CORE_FILE);
    if (access(path, F_OK) < 0) {
        snprintf(loadFailure, sizeof(loadFailure),
                 "the Go core of libvirt-lxc.so.0 is missing: expected %s", path);
        return;
    }
    coreOpen = lxcCoreDlopen(path, NULL, loadFailure, sizeof(loadFailure));
}

static int
usage(const char *argv0)
{
    fprintf(stderr, "%s: the core process of libvirt-lxc.so.0, started by it "
            "with its channel as fd %d; not for use by hand\n",
            argv0 ? argv0 : LXC_OPEN_HELPER_FILE, LXC_PROC_CHANNEL_FD);
    return 2;
}

/* "N" for fd N, as coreproc_spawn.c writes it. */
static int
isFdArg(const char *arg, int fd)
{
    char want[16];

    snprintf(want, sizeof(want), "%d", fd);
    return strcmp(arg, want) == 0;
}

int
main(int argc, char **argv)
{
    struct timeval idle = { LXC_SPARE_IDLE_MS / 1000, (LXC_SPARE_IDLE_MS % 1000) * 1000 };
    struct ucred cred;
    socklen_t credlen = sizeof(cred);
    int type, watch;
    socklen_t typelen = sizeof(type);

    if (argc != 3 || !isFdArg(argv[1], LXC_PROC_CHANNEL_FD) ||
        getsockopt(channel, SOL_SOCKET, SO_TYPE, &type, &typelen) < 0 ||
        type != SOCK_SEQPACKET)
        return usage(argc > 0 ? argv[0] : NULL);
    watch = isFdArg(argv[2], LXC_PROC_CALLER_FD);
    if (!watch && strcmp(argv[2], LXC_PROC_NO_FD_ARG) != 0)
        return usage(argv[0]);
    /* Nothing the core might start should inherit these. */
    fcntl(channel, F_SETFD, FD_CLOEXEC);
    fcntl(STDERR_FILENO, F_SETFD, FD_CLOEXEC);
    if (watch)
        fcntl(LXC_PROC_CALLER_FD, F_SETFD, FD_CLOEXEC);
    signal(SIGPIPE, SIG_IGN);
    prepareLastWords();
    setsockopt(channel, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof(idle));
    /* The creator of the socketpair: the process we serve, whose identity
     * the core needs (inside a daemon, it must not call that daemon). */
    if (getsockopt(channel, SOL_SOCKET, SO_PEERCRED, &cred, &credlen) < 0)
        return 1;
    callerPid = cred.pid;

    /* Loaded now, while the caller's first request is on its way: its
     * runtime starts on a thread of its own meanwhile. */
    if (raiseLimits() == 0)
        loadCore();
    serveMain(watch);
}
