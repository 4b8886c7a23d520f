/*
 * server.c: libvirt-lxc-open, the core process of one caller of
 * libvirt-lxc.so.0 (see proto.h for the channel, spawn.c for how it is
 * started and why the caller never sees it).
 *
 * It loads the Go core that sits beside it (installed and build-tree
 * layouts both put them in one directory) and serves the caller's
 * OpenNamespace requests until the caller goes away: the channel reaches
 * EOF (the caller exited, exec'ed or closed it) or the caller's pidfd
 * becomes readable (the caller exited while a forked child still holds a
 * copy of the channel). It has no privileges of its own; it runs with the
 * caller's.
 *
 * Concurrency: workers block in recvmsg() on the one channel, and the
 * kernel hands each request record to one of them; a worker that takes
 * the last idle slot starts another, so that a slow call never delays the
 * next one. Each reply is one record, sent whole, tagged with its request's
 * id.
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
#include <sys/socket.h>
#include <unistd.h>

#include "coreabi.h"
#include "coreload.h"
#include "proto.h"

#define MAX_WORKERS 64
#define REQUEST_MAX (sizeof(lxcProcOpen) + 2 * LXC_PROC_MAX_STRING)

static const int channel = LXC_PROC_CHANNEL_FD;
static pid_t callerPid;
static pthread_once_t loadOnce = PTHREAD_ONCE_INIT;
static lxcCoreOpenFunc coreOpen;
static lxcCoreVersionFunc coreVersion;
static lxcCoreError loadError;        /* why coreOpen is NULL */
static int idleWorkers, allWorkers;   /* atomics */

static uint32_t
stringLen(const char *s)
{
    size_t n;

    if (!s)
        return LXC_PROC_NULL_STRING;
    n = strlen(s);
    return n > LXC_PROC_MAX_STRING ? LXC_PROC_MAX_STRING : (uint32_t)n;
}

static void
sendRecord(struct msghdr *msg)
{
    /* A caller that is gone is noticed by the next recvmsg(). */
    while (sendmsg(channel, msg, MSG_NOSIGNAL) < 0 && errno == EINTR)
        ;
}

static void
replyError(uint64_t id, const lxcCoreError *err)
{
    static __thread char buf[LXC_PROC_MAX_MSG];
    const char *strs[LXC_PROC_ERROR_STRINGS] = {
        err->message, err->str1, err->str2, err->str3,
    };
    lxcProcError hdr;
    size_t total = sizeof(hdr);
    struct iovec iov;
    struct msghdr msg;
    int i;

    memset(&hdr, 0, sizeof(hdr));
    hdr.hdr.magic = LXC_PROC_MAGIC;
    hdr.hdr.kind = LXC_PROC_MSG_ERROR;
    hdr.hdr.id = id;
    hdr.code = err->code;
    hdr.domain = err->domain;
    hdr.level = err->level;
    hdr.int1 = err->int1;
    hdr.int2 = err->int2;
    for (i = 0; i < LXC_PROC_ERROR_STRINGS; i++) {
        hdr.len[i] = stringLen(strs[i]);
        if (hdr.len[i] != LXC_PROC_NULL_STRING) {
            memcpy(buf + total, strs[i], hdr.len[i]);
            total += hdr.len[i];
        }
    }
    memcpy(buf, &hdr, sizeof(hdr));
    iov.iov_base = buf;
    iov.iov_len = total;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    sendRecord(&msg);
}

static void
replyFds(uint64_t id, const int *fds, int n)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * LXC_PROC_MAX_FDS)];
    } control;
    lxcProcFds hdr;
    struct iovec iov = { .iov_base = &hdr, .iov_len = sizeof(hdr) };
    struct msghdr msg;
    struct cmsghdr *cmsg;

    memset(&hdr, 0, sizeof(hdr));
    hdr.hdr.magic = LXC_PROC_MAGIC;
    hdr.hdr.kind = LXC_PROC_MSG_FDS;
    hdr.hdr.id = id;
    hdr.nfds = n;
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

/* Answers one request record of @len bytes. */
static void
serve(const char *buf, size_t len)
{
    lxcProcOpen rq;
    lxcCoreRequest req;
    lxcCoreError err;
    char *uri = NULL, *name = NULL;
    int n = -1, *fds = NULL, i;

    memset(&err, 0, sizeof(err));
    if (len < sizeof(rq))
        return; /* no id to answer to; the caller's deadline tells it */
    memcpy(&rq, buf, sizeof(rq));
    if (rq.hdr.magic != LXC_PROC_MAGIC || rq.hdr.kind != LXC_PROC_MSG_OPEN ||
        rq.urilen > LXC_PROC_MAX_STRING || rq.namelen > LXC_PROC_MAX_STRING ||
        len != sizeof(rq) + rq.urilen + rq.namelen ||
        memchr(buf + sizeof(rq), '\0', rq.urilen + rq.namelen)) {
        lxcCoreSetInternal(&err, "the core process got a malformed request");
        goto reply;
    }
    if (!coreOpen) {
        replyError(rq.hdr.id, &loadError);
        return;
    }
    uri = strndup(buf + sizeof(rq), rq.urilen);
    name = strndup(buf + sizeof(rq) + rq.urilen, rq.namelen);
    if (!uri || !name) {
        lxcCoreSetInternal(&err, "out of memory");
        goto reply;
    }
    memset(&req, 0, sizeof(req));
    req.uri = uri;
    req.name = name;
    req.caller = callerPid;
    req.id = rq.domid;
    req.flags = rq.flags;
    req.driver = rq.driver;
    memcpy(req.uuid, rq.uuid, sizeof(req.uuid));
    n = coreOpen(&req, &fds, &err);
    if (n > LXC_PROC_MAX_FDS) {
        for (i = 0; i < n; i++)
            close(fds[i]);
        lxcCoreErrorFree(&err);
        lxcCoreSetInternal(&err, "the Go core returned %d fds (at most %d expected)",
                           n, LXC_PROC_MAX_FDS);
        n = -1;
    }

 reply:
    if (n >= 0) {
        replyFds(rq.hdr.id, fds, n);
        for (i = 0; i < n; i++)
            close(fds[i]);
    } else {
        replyError(rq.hdr.id, &err);
    }
    free(fds);
    free(uri);
    free(name);
    lxcCoreErrorFree(&err);
}

static void *worker(void *arg);
static void loadCore(void);

static int
startWorker(void)
{
    pthread_t t;
    pthread_attr_t attr;
    int r;

    __atomic_add_fetch(&allWorkers, 1, __ATOMIC_ACQ_REL);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if ((r = pthread_create(&t, &attr, worker, NULL)) != 0)
        __atomic_sub_fetch(&allWorkers, 1, __ATOMIC_ACQ_REL);
    pthread_attr_destroy(&attr);
    return r;
}

/* Keeps one worker idle while there is room for more. */
static void
tookRequest(void)
{
    if (__atomic_sub_fetch(&idleWorkers, 1, __ATOMIC_ACQ_REL) > 0 ||
        __atomic_load_n(&allWorkers, __ATOMIC_ACQUIRE) >= MAX_WORKERS)
        return;
    startWorker();
}

static void *
worker(void *arg)
{
    static __thread char buf[REQUEST_MAX];
    struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
    struct msghdr msg;
    ssize_t r;

    (void)arg;
    /* The first worker loads the core. Every call into Go binds the
     * calling thread to the runtime the first time: each later worker does
     * that now, while idle, not on the path of the call it will serve. */
    pthread_once(&loadOnce, loadCore);
    if (coreVersion)
        coreVersion();
    for (;;) {
        __atomic_add_fetch(&idleWorkers, 1, __ATOMIC_ACQ_REL);
        memset(&msg, 0, sizeof(msg));
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        /* No control buffer: the kernel closes any fd sent along. */
        while ((r = recvmsg(channel, &msg, 0)) < 0 && errno == EINTR)
            ;
        if (r <= 0)
            _exit(0); /* the caller is gone: nothing to tear down */
        tookRequest();
        serve(buf, (msg.msg_flags & MSG_TRUNC) ? 0 : (size_t)r);
    }
    return NULL;
}

static void *
watchCaller(void *arg)
{
    struct pollfd pfd = { .fd = LXC_PROC_CALLER_FD, .events = POLLIN };

    (void)arg;
    while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
        ;
    _exit(0);
}

/* The core, loaded from this program's own directory. */
static void
loadCore(void)
{
    char self[PATH_MAX], path[PATH_MAX + 64], detail[PATH_MAX + 256];
    ssize_t len;
    char *slash;

    /* The kernel's name for this executable, not argv[0]. */
    len = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (len < 0) {
        lxcCoreSetInternal(&loadError, "cannot find the core process's own path: %s",
                           strerror(errno));
        return;
    }
    self[len] = '\0';
    if (!(slash = strrchr(self, '/'))) {
        lxcCoreSetInternal(&loadError, "odd path of the core process: %s", self);
        return;
    }
    *slash = '\0';
    snprintf(path, sizeof(path), "%s/%s", self, LXC_CORE_FILE);
    if (access(path, F_OK) < 0) {
        lxcCoreSetInternal(&loadError, "the Go core of libvirt-lxc.so.0 is missing: "
                           "expected %s", path);
        return;
    }
    if (!(coreOpen = lxcCoreDlopen(path, &coreVersion, detail, sizeof(detail))))
        lxcCoreSetInternal(&loadError, "%s", detail);
}

static int
usage(const char *argv0)
{
    fprintf(stderr, "%s: the core process of libvirt-lxc.so.0, started by it "
            "with its channel as fd 3; not for use by hand\n",
            argv0 ? argv0 : LXC_OPEN_HELPER_FILE);
    return 2;
}

int
main(int argc, char **argv)
{
    struct ucred cred;
    socklen_t credlen = sizeof(cred);
    int type, watch;
    socklen_t typelen = sizeof(type);

    if (argc != 3 || strcmp(argv[1], "3") != 0 ||
        getsockopt(channel, SOL_SOCKET, SO_TYPE, &type, &typelen) < 0 ||
        type != SOCK_SEQPACKET)
        return usage(argc > 0 ? argv[0] : NULL);
    watch = strcmp(argv[2], "4") == 0;
    if (!watch && strcmp(argv[2], LXC_PROC_NO_FD_ARG) != 0)
        return usage(argv[0]);
    /* Nothing the core might start should inherit these. */
    fcntl(channel, F_SETFD, FD_CLOEXEC);
    if (watch)
        fcntl(LXC_PROC_CALLER_FD, F_SETFD, FD_CLOEXEC);
    signal(SIGPIPE, SIG_IGN);
    /* The creator of the socketpair: the process we serve, whose identity
     * the core needs (inside a daemon, it must not call that daemon). */
    if (getsockopt(channel, SOL_SOCKET, SO_PEERCRED, &cred, &credlen) < 0)
        return 1;
    callerPid = cred.pid;

    /* The core is loaded, and called, by the workers only: binding the main
     * thread to the Go runtime would cost glibc a read of /proc/self/maps
     * (about 0.6 ms, on the first call's path). */
    if (startWorker() != 0)
        return 1;
    if (watch)
        watchCaller(NULL);
    for (;;)
        pause();
}
