/*
 * coreproc_client.c: virDomainLxcOpenNamespace through the caller's core process.
 *
 * Hazards, and how they are met:
 *   - Any thread may call, concurrently. Each call sends its request record
 *     on the one channel (SEQPACKET records need no lock) and waits for the
 *     reply with its id. One waiting caller at a time reads the channel for
 *     all and hands each reply, with its fds, to the caller it belongs to;
 *     when it has its own, it passes the reading on.
 *   - A child forked after a call inherits its parent's state, possibly
 *     with a lock held by a thread that did not survive the fork. A core
 *     process serves the process that started it (coreProc.owner) only;
 *     a child never touches its parent's coreProc beyond closing its copy
 *     of the channel, and starts a core process of its own.
 *   - The caller may close fds it does not know (a daemon's closefrom()),
 *     so the channel's identity is checked before each use: a reused fd
 *     number is never written to.
 *   - The core process may die or hang: a broken coreProc fails every call
 *     waiting on it, with the core process's last words if it had any
 *     (proto.h), and is replaced by the next call. Its fd is closed when
 *     no caller is inside; the struct itself is never freed (a thread may
 *     still hold a pointer to it), about 70 KiB per such fault.
 *   - A reply whose fds this process has no room for (EMFILE) fails its
 *     call only, saying so: SEQPACKET keeps the channel in step.
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../channel/channel.h"
#include "coreproc_client.h"
#include "../channel/coreerror.h"
#include "log.h"
#include "pidlock.h"
#include "coreproc_locate.h"
#include "coreproc_spawn.h"

#define REQUEST_ON_STACK 1024   /* larger requests are malloc()ed */
#define WHAT_MAX 128            /* what befell a core process, in short */

enum { CALL_RETRY = -2 };       /* the call must go to a new core process */
#define MAX_ATTEMPTS 3          /* core processes one call may start */

typedef struct waiter {
    uint64_t id;
    int logPriority;            /* the least the request asked records at */
    int done;
    pthread_cond_t cond;
    int n;                      /* fd count, or -1 with err set */
    int *fds;
    lxcCoreError err;
    struct waiter *next;
} waiter;

typedef struct {
    pid_t owner;                /* the process this core process serves */
    int fd;                     /* the channel; -1 once closed */
    dev_t dev;                  /* identity of the channel */
    ino_t ino;
    pid_t pid;                  /* the core process */
    char path[LXC_CORE_PLACE_MAX]; /* its program, for messages */
    pthread_mutex_t mu;
    uint64_t lastId;
    waiter *waiters;
    int reading;                /* a caller reads for all */
    int active;                 /* callers inside */
    int broken;                 /* atomic outside mu */
    char brokeBy[LXC_PATH_MSG_MAX + LXC_PROC_MAX_SAID]; /* why, and its words */
    char said[LXC_PROC_MAX_SAID]; /* its first line on its stderr */
    size_t saidLen;
    int saidDone;               /* that line is complete */
    char buf[LXC_PROC_MAX_MSG]; /* the reader's */
} coreProc;

static coreProc *current;       /* atomic */
static lxcLogSource logSource = LXC_LOG_SOURCE_INIT(LXC_LOG_NAME_COREPROC);
static lxcLogSource rpcSource = LXC_LOG_SOURCE_INIT(LXC_LOG_NAME_RPC);
static pid_t creating;          /* lxcPidLock: starting one */

static long long
nowUs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static long long
nowMs(void)
{
    return nowUs() / 1000;
}

static int
channelIsOurs(const coreProc *p)
{
    struct stat st;

    return p->fd >= 0 && fstat(p->fd, &st) == 0 && st.st_dev == p->dev &&
           st.st_ino == p->ino;
}

static void
closeFds(int *fds, int n)
{
    int i;

    for (i = 0; i < n; i++)
        close(fds[i]);
}

/* Marks @p broken: every waiting call fails with @why, and a reader
 * blocked on the channel wakes up (shutdown). */
static void
breakLocked(coreProc *p, const char *why)
{
    waiter *w;

    if (!p->broken) {
        snprintf(p->brokeBy, sizeof(p->brokeBy), "%s", why);
        __atomic_store_n(&p->broken, 1, __ATOMIC_RELEASE);
        if (p->fd >= 0)
            shutdown(p->fd, SHUT_RDWR);
    }
    for (w = p->waiters; w; w = w->next) {
        if (w->done)
            continue;
        w->done = 1;
        w->n = -1;
        lxcCoreSetInternal(&w->err, "%s", p->brokeBy);
        pthread_cond_signal(&w->cond);
    }
}

/* One record from the channel: recvmsg()'s result and flags, and the fds
 * that rode on it (any beyond LXC_PROC_MAX_FDS closed at once). */
typedef struct {
    ssize_t len;
    int errnum;                 /* when len < 0 */
    int msgFlags;
    int fds[LXC_PROC_MAX_FDS];
    int nfds;
    int overflow;
} channelRecord;

static void
receiveRecord(int fd, char *buf, size_t size, channelRecord *rec)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * LXC_PROC_MAX_FDS)];
    } control;
    struct iovec iov = { .iov_base = buf, .iov_len = size };
    struct msghdr msg;
    struct cmsghdr *cmsg;
    int i, n, *data, one;

    rec->nfds = rec->overflow = 0;
    do {
        memset(&msg, 0, sizeof(msg));
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.buf;
        msg.msg_controllen = sizeof(control.buf);
        rec->len = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    } while (rec->len < 0 && errno == EINTR);
    rec->errnum = rec->len < 0 ? errno : 0;
    rec->msgFlags = msg.msg_flags;
    if (rec->len <= 0)
        return;
    for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
        if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
            continue;
        n = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        data = (int *)CMSG_DATA(cmsg);
        for (i = 0; i < n; i++) {
            memcpy(&one, data + i, sizeof(one));
            if (rec->nfds < LXC_PROC_MAX_FDS)
                rec->fds[rec->nfds++] = one;
            else {
                close(one);
                rec->overflow = 1;
            }
        }
    }
}

/* Whether a record of @len bytes is the core process's words (its
 * stderr), not a reply. */
static int
isWords(const char *buf, ssize_t len)
{
    lxcProcHeader hdr;

    return lxcChanClassify(buf, (size_t)len, &hdr) == LXC_CHAN_WORDS;
}

/* A record without the magic: what the core process's runtime wrote to
 * its stderr. Its first line is kept for the error that follows. */
static void
keepWordsLocked(coreProc *p, const char *buf, size_t len)
{
    size_t i;

    for (i = 0; i < len && !p->saidDone; i++) {
        if (buf[i] == '\n') {
            p->saidDone = p->saidLen > 0;
            continue;
        }
        if (p->saidLen < sizeof(p->said))
            p->said[p->saidLen++] = buf[i] >= ' ' ? buf[i] : '?';
    }
}

/* A core process that went away may have said why (its runtime writes
 * to its stderr, the channel, then dies): the records still queued, read
 * without waiting. Replies among them are dropped: every call on @p is
 * about to fail. */
static void
drainWordsLocked(coreProc *p)
{
    char buf[LXC_PROC_MAX_SAID];
    channelRecord rec;

    while (p->fd >= 0 && !p->saidDone) {
        receiveRecord(p->fd, buf, sizeof(buf), &rec);
        if (rec.len <= 0)
            return;
        closeFds(rec.fds, rec.nfds);
        if (isWords(buf, rec.len))
            keepWordsLocked(p, buf, (size_t)rec.len);
    }
}

/* How the Go runtime's cgo says it could not start a thread. */
static const char threadFailure[] = "pthread_create failed";

/* Breaks @p, saying what became of its process. @died: it went away by
 * itself (@what then says when, e.g. "before answering"); otherwise it is
 * given up on and killed (@what says why). */
static void
endLocked(coreProc *p, int died, const char *what)
{
    char why[sizeof(p->brokeBy)];

    if (p->broken)
        return;
    if (died)
        drainWordsLocked(p);
    else
        kill(p->pid, SIGKILL);
    snprintf(why, sizeof(why), "the core process %s (pid %d) of "
             "libvirt-lxc.so.0 %s%s", p->path, (int)p->pid,
             died ? "exited or was killed " : "", what);
    LXC_DEBUG(&logSource, "core process pid=%d %s%s", (int)p->pid,
              died ? "exited or was killed " : "given up: ", what);
    if (p->saidLen)
        snprintf(why + strlen(why), sizeof(why) - strlen(why), "; it said: %.*s%s",
                 (int)p->saidLen, p->said,
                 memmem(p->said, p->saidLen, threadFailure, sizeof(threadFailure) - 1) ?
                 " (no room for another thread: see the pids.max of this "
                 "process's cgroup, RLIMIT_NPROC and RLIMIT_AS)" : "");
    breakLocked(p, why);
}

static void
leaveLocked(coreProc *p, waiter *self)
{
    waiter **pp;

    for (pp = &p->waiters; *pp; pp = &(*pp)->next) {
        if (*pp == self) {
            *pp = self->next;
            break;
        }
    }
    p->active--;
    if (p->broken && p->active == 0 && p->fd >= 0) {
        close(p->fd);
        p->fd = -1;
    }
}

/* Why the channel is given up on a record of a kind or size no reply has. */
static const char unexpectedRecord[] = "sent a malformed answer (unexpected record)";

/* A record of the Go core's (LXC_PROC_MSG_LOG), decoded as @r, logged as
 * this process's own under LXC_LOG_NAME_RPC. A record the request did not
 * ask for breaks the channel's contract: logging off costs no byte on it. */
static void
logRecordLocked(coreProc *p, lxcChanResult r, const lxcChanLog *lr)
{
    waiter *w;

    for (w = p->waiters; w && w->id != lr->id; w = w->next)
        ;
    if (w && (w->logPriority <= 0 || lr->priority < w->logPriority)) {
        endLocked(p, 0, "sent a log record that was not asked for");
        return;
    }
    if (r != LXC_CHAN_OK) {
        endLocked(p, 0, "sent a malformed answer (log record)");
        return;
    }
    if (lxcLogEnabled(&rpcSource, lr->priority))
        lxcLogMessage(&rpcSource, lr->priority, lr->file, lr->func, lr->line, "%s",
                      lr->text);
}

/* An FDS record for @w, with the @nfds fds that rode on it (closed unless
 * handed to @w). 1 when @w is answered, 0 when the channel was given up. */
static int
routeFdsLocked(coreProc *p, waiter *w, ssize_t len, int *fds, int nfds, int fdsLost)
{
    uint32_t announced = 0;
    lxcChanResult r = lxcChanDecodeFds(p->buf, (size_t)len, nfds, &announced);

    if (r == LXC_CHAN_FDS_COUNT && fdsLost && (int)announced > nfds) {
        /* The kernel found no room for them here. */
        closeFds(fds, nfds);
        w->n = -1;
        lxcCoreSetInternal(&w->err, "cannot receive the %u namespace fds: "
                           "%s%s", announced, strerror(fdsLost),
                           lxcProcLimitHint(fdsLost));
        return 1;
    }
    if (r != LXC_CHAN_OK) {
        closeFds(fds, nfds);
        endLocked(p, 0, r == LXC_CHAN_FDS_COUNT ? "passed fewer fds than it announced" :
                  unexpectedRecord);
        return 0;
    }
    w->fds = NULL;
    if (nfds > 0) {
        if (!(w->fds = malloc(sizeof(int) * nfds))) {
            closeFds(fds, nfds);
            w->n = -1;
            lxcCoreSetInternal(&w->err, "out of memory");
            return 1;
        }
        memcpy(w->fds, fds, sizeof(int) * nfds);
    }
    w->n = nfds;
    return 1;
}

/* An ERROR record for @w. 1 when @w is answered, 0 when the channel was
 * given up. */
static int
routeErrorLocked(coreProc *p, waiter *w, ssize_t len)
{
    lxcCoreError err;
    lxcChanResult r = lxcChanDecodeError(p->buf, (size_t)len, &err);

    if (r != LXC_CHAN_OK) {
        endLocked(p, 0, r == LXC_CHAN_SHORT ? unexpectedRecord :
                  "sent a malformed answer (error strings)");
        return 0;
    }
    w->err = err;
    w->n = -1;
    return 1;
}

/* Hands one received record to its waiter. */
static void
routeLocked(coreProc *p, ssize_t len, int *fds, int nfds, int fdsLost)
{
    lxcProcHeader hdr;
    lxcChanResult r;
    lxcChanLog lr;
    waiter *w;
    int answered;

    if (lxcChanClassify(p->buf, (size_t)len, &hdr) == LXC_CHAN_WORDS) {
        closeFds(fds, nfds);
        keepWordsLocked(p, p->buf, (size_t)len);
        return;
    }
    /* Logged even when its call gave up. One shorter than a log record
     * goes the way of any other record of its id: an unexpected one. */
    if (hdr.kind == LXC_PROC_MSG_LOG &&
        (r = lxcChanDecodeLog(p->buf, (size_t)len, nfds, &lr)) != LXC_CHAN_SHORT) {
        closeFds(fds, nfds);
        logRecordLocked(p, r, &lr);
        lxcChanLogFree(&lr);
        return;
    }
    for (w = p->waiters; w && w->id != hdr.id; w = w->next)
        ;
    if (!w || w->done) {
        closeFds(fds, nfds); /* a call that gave up; never leak */
        return;
    }
    if (hdr.kind == LXC_PROC_MSG_FDS) {
        answered = routeFdsLocked(p, w, len, fds, nfds, fdsLost);
    } else if (hdr.kind == LXC_PROC_MSG_ERROR) {
        closeFds(fds, nfds);
        answered = routeErrorLocked(p, w, len);
    } else {
        closeFds(fds, nfds);
        endLocked(p, 0, unexpectedRecord);
        answered = 0;
    }
    if (answered) {
        w->done = 1;
        pthread_cond_signal(&w->cond);
    }
}

/* Why the kernel passed fewer fds than were sent (MSG_CTRUNC with room
 * for them all in the control buffer): no descriptor free here (EMFILE,
 * ENFILE), or else a security module refused them (EPERM). */
static int
fdShortage(void)
{
    int probe = fcntl(0, F_DUPFD_CLOEXEC, 0), errnum = errno;

    if (probe >= 0) {
        close(probe);
        return EPERM;
    }
    return errnum == EMFILE || errnum == ENFILE ? errnum : EPERM;
}

/* Reads one record for whoever it is for, until @deadline. Called by the
 * one caller that set p->reading, without p->mu. 0 when a record (or the
 * end) was handled, -1 on timeout with nothing read. */
static int
readOne(coreProc *p, long long deadline)
{
    struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
    channelRecord rec;
    int fdsLost = 0, left, r;

    for (;;) {
        left = (int)(deadline - nowMs());
        if (left <= 0)
            return -1;
        r = poll(&pfd, 1, left);
        if (r > 0)
            break;
        if (r < 0 && errno != EINTR)
            break; /* the receive below reports it */
    }
    receiveRecord(p->fd, p->buf, sizeof(p->buf), &rec);
    if (rec.len < 0 && rec.errnum == EAGAIN)
        return 0; /* woken for nothing: look again */
    if (rec.len > 0 && !rec.overflow && (rec.msgFlags & MSG_CTRUNC))
        fdsLost = fdShortage();
    pthread_mutex_lock(&p->mu);
    /* A peer that dies with our request unread resets the channel. */
    if (rec.len == 0 || (rec.len < 0 && rec.errnum == ECONNRESET))
        endLocked(p, 1, "before answering");
    else if (rec.len < 0) {
        char what[WHAT_MAX];
        snprintf(what, sizeof(what), "cannot be read from: %s", strerror(rec.errnum));
        endLocked(p, 0, what);
    } else if (rec.overflow || (rec.msgFlags & MSG_TRUNC)) {
        closeFds(rec.fds, rec.nfds);
        endLocked(p, 0, "sent a malformed answer (oversized record)");
    } else {
        routeLocked(p, rec.len, rec.fds, rec.nfds, fdsLost);
    }
    pthread_mutex_unlock(&p->mu);
    return 0;
}

/* Gives up on @p after a whole call's time without an answer. */
static void
breakHungLocked(coreProc *p)
{
    char what[WHAT_MAX];

    if (p->broken)
        return;
    snprintf(what, sizeof(what), "did not answer within %d s and was killed",
             LXC_PROC_TIMEOUT_MS / 1000);
    endLocked(p, 0, what);
}

static void
wakeReaderLocked(coreProc *p, waiter *self)
{
    waiter *w;

    for (w = p->waiters; w; w = w->next) {
        if (w != self && !w->done) {
            pthread_cond_signal(&w->cond);
            return;
        }
    }
}

static void
deadlineTimespec(long long deadline, struct timespec *ts)
{
    ts->tv_sec = deadline / 1000;
    ts->tv_nsec = (deadline % 1000) * 1000000;
}

/* One request record: lxcProcOpen, URI, name. */
static int
sendRequest(coreProc *p, const waiter *w, int inflight, const lxcCoreRequest *req,
            size_t urilen, size_t namelen)
{
    char onStack[REQUEST_ON_STACK], *buf = onStack;
    lxcProcOpen rq;
    size_t len;
    ssize_t r;

    memset(&rq, 0, sizeof(rq));
    rq.hdr.id = w->id;
    rq.urilen = urilen;
    rq.namelen = namelen;
    rq.domid = req->id;
    rq.flags = req->flags;
    rq.driver = req->driver;
    rq.inflight = (uint32_t)inflight;
    rq.logpriority = w->logPriority;
    memcpy(rq.uuid, req->uuid, sizeof(rq.uuid));
    len = lxcChanOpenLen(&rq);
    if (len > sizeof(onStack) && !(buf = malloc(len)))
        return -1;
    /* It fits: lxcProcOpenNamespace checked the lengths. */
    lxcChanEncodeOpen(buf, len, &rq, req->uri, req->name);
    while ((r = send(p->fd, buf, len, MSG_NOSIGNAL)) < 0 && errno == EINTR)
        ;
    if (buf != onStack)
        free(buf);
    return r == (ssize_t)len ? 0 : -1;
}

/* Its request could not be sent: @p is ended. CALL_RETRY when it had gone
 * away (killed while idle: nothing was asked of it) and @retry allows the
 * call to go to a new one; otherwise 0, and the call waits for the end to
 * reach it. Called with @p->mu held. */
static int
sendFailedLocked(coreProc *p, waiter *w, int errnum, int retry)
{
    int gone = errnum == EPIPE || errnum == ECONNRESET;
    char what[WHAT_MAX];

    /* Gone is gone, whether before the request or after it (readOne). */
    snprintf(what, sizeof(what), "cannot be written to: %s", strerror(errnum));
    endLocked(p, gone, gone ? "before answering" : what);
    if (!gone || !retry)
        return 0;
    leaveLocked(p, w);
    lxcCoreErrorFree(&w->err);
    return CALL_RETRY;
}

/* Until @w is answered: reads for every waiting call when nobody else
 * does, else sleeps until woken or the deadline. Called with @p->mu held. */
static void
awaitLocked(coreProc *p, waiter *w, long long deadline)
{
    struct timespec ts;
    int n;

    deadlineTimespec(deadline, &ts);
    while (!w->done) {
        if (!p->reading) {
            p->reading = 1;
            pthread_mutex_unlock(&p->mu);
            n = readOne(p, deadline);
            pthread_mutex_lock(&p->mu);
            p->reading = 0;
            if (n < 0 && !w->done)
                breakHungLocked(p);
            if (w->done)
                wakeReaderLocked(p, w);
        } else if (pthread_cond_timedwait(&w->cond, &p->mu, &ts) == ETIMEDOUT &&
                   !w->done) {
            breakHungLocked(p);
        }
    }
}

static void
waiterInit(waiter *w)
{
    pthread_condattr_t ca;

    memset(w, 0, sizeof(*w));
    /* Records of the way to the daemon only when they would be logged. */
    w->logPriority = lxcLogLeast(&rpcSource);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cond, &ca);
    pthread_condattr_destroy(&ca);
}

/* One call on @p. CALL_RETRY when it must go to a new core process: @p
 * was broken before the call got in, or (when @retry) died while idle. */
static int
procCall(coreProc *p, const lxcCoreRequest *req, size_t urilen, size_t namelen,
         int retry, int **fds, lxcCoreError *err)
{
    long long deadline = nowMs() + LXC_PROC_TIMEOUT_MS;
    waiter w;
    int inflight;

    waiterInit(&w);
    pthread_mutex_lock(&p->mu);
    if (p->broken) {
        pthread_mutex_unlock(&p->mu);
        pthread_cond_destroy(&w.cond);
        return CALL_RETRY;
    }
    w.id = ++p->lastId;
    w.next = p->waiters;
    p->waiters = &w;
    inflight = ++p->active;
    pthread_mutex_unlock(&p->mu);

    if (sendRequest(p, &w, inflight, req, urilen, namelen) < 0) {
        int errnum = errno;

        pthread_mutex_lock(&p->mu);
        if (sendFailedLocked(p, &w, errnum, retry) == CALL_RETRY) {
            pthread_mutex_unlock(&p->mu);
            pthread_cond_destroy(&w.cond);
            return CALL_RETRY;
        }
        pthread_mutex_unlock(&p->mu);
    }

    pthread_mutex_lock(&p->mu);
    awaitLocked(p, &w, deadline);
    leaveLocked(p, &w);
    pthread_mutex_unlock(&p->mu);
    pthread_cond_destroy(&w.cond);

    *fds = w.fds;
    *err = w.err;
    return w.n;
}

static int
usable(coreProc *p, pid_t self)
{
    return p && p->owner == self && !__atomic_load_n(&p->broken, __ATOMIC_ACQUIRE) &&
           channelIsOurs(p);
}

/* Takes @p out of use by this process. */
static void
retire(coreProc *p, pid_t self)
{
    if (p->owner != self) {
        /* A parent's: only our inherited copy of its channel goes. */
        if (channelIsOurs(p))
            close(p->fd);
        return;
    }
    pthread_mutex_lock(&p->mu);
    if (!channelIsOurs(p))
        p->fd = -1; /* closed by someone else; the number is not ours */
    endLocked(p, 0, "lost its channel");
    if (p->active == 0 && p->fd >= 0) {
        close(p->fd);
        p->fd = -1;
    }
    pthread_mutex_unlock(&p->mu);
}

static coreProc *
procNew(pid_t self, lxcCoreError *err)
{
    coreProc *p;
    struct stat st;
    long long started;

    if (!(p = calloc(1, sizeof(*p)))) {
        lxcCoreSetInternal(err, "out of memory");
        return NULL;
    }
    started = nowUs();
    if (lxcProcSpawn(&p->fd, &p->pid, p->path, sizeof(p->path), err) < 0) {
        LXC_DEBUG(&logSource, "cannot start a core process: %s",
                  err->str2 ? err->str2 : "");
        free(p);
        return NULL;
    }
    LXC_DEBUG(&logSource, "core process pid=%d program=%s started for pid=%d in %lld us",
              (int)p->pid, p->path, (int)self, nowUs() - started);
    if (fstat(p->fd, &st) < 0) {
        lxcCoreSetInternal(err, "cannot stat the channel to the core process: %s",
                           strerror(errno));
        close(p->fd);
        kill(p->pid, SIGKILL);
        free(p);
        return NULL;
    }
    p->dev = st.st_dev;
    p->ino = st.st_ino;
    p->owner = self;
    pthread_mutex_init(&p->mu, NULL);
    return p;
}

/* This process's core process, started if there is none usable. */
static coreProc *
procGet(lxcCoreError *err)
{
    pid_t self = getpid();
    coreProc *p = __atomic_load_n(&current, __ATOMIC_ACQUIRE);

    if (usable(p, self))
        return p;
    lxcPidLock(&creating, self);
    p = __atomic_load_n(&current, __ATOMIC_ACQUIRE);
    if (!usable(p, self)) {
        if (p)
            retire(p, self);
        p = procNew(self, err);
        __atomic_store_n(&current, p, __ATOMIC_RELEASE);
    }
    lxcPidUnlock(&creating);
    return p;
}

int
lxcProcOpenNamespace(const lxcCoreRequest *req, int **fds, lxcCoreError *err)
{
    size_t urilen, namelen;
    coreProc *p;
    int n, attempt;

    *fds = NULL;
    memset(err, 0, sizeof(*err));
    if (!req->uri || !req->name) {
        lxcCoreSetInternal(err, "OpenNamespace request without %s",
                           req->uri ? "a domain name" : "a URI");
        return -1;
    }
    urilen = strlen(req->uri);
    namelen = strlen(req->name);
    if (urilen > LXC_PROC_MAX_STRING || namelen > LXC_PROC_MAX_STRING) {
        lxcCoreSetInternal(err, "the connection URI or domain name is longer "
                           "than %d bytes", LXC_PROC_MAX_STRING);
        return -1;
    }
    for (attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        if (!(p = procGet(err)))
            return -1;
        n = procCall(p, req, urilen, namelen, attempt == 0, fds, err);
        if (n != CALL_RETRY)
            return n;
    }
    pthread_mutex_lock(&p->mu);
    lxcCoreSetInternal(err, "%s", p->brokeBy);
    pthread_mutex_unlock(&p->mu);
    n = -1;
    return n;
}
