/*
 * outofprocess.c: virDomainLxcOpenNamespace through the libvirt-lxc-open
 * helper, so that the caller never loads the Go runtime (see
 * outofprocess.h for why and for the wire protocol).
 *
 * Security: the caller may be setuid root (virt-login-shell's helper). The
 * helper is found relative to this library only, never through the
 * environment; it runs with a fixed environment (plus HOME and the XDG
 * directories the core's socket selection reads, and only when the caller is
 * not in secure-execution mode); it inherits no fd but its socket and
 * stdin/stdout on /dev/null (stderr is kept when open, for crash reports).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "loader.h"
#include "coreload.h"
#include "outofprocess.h"

#define TIMEOUT_MS 60000
#define HELPER_PATH_ENV "PATH=/usr/sbin:/usr/bin:/sbin:/bin"

/* Read by the core's socket selection (internal/core/uri.go), as libvirt's
 * client reads them with secure_getenv(). */
static const char *const passedEnv[] = {
    "HOME", "XDG_CONFIG_HOME", "XDG_RUNTIME_DIR",
};

static long long
nowMs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
remainingMs(long long deadline)
{
    long long left = deadline - nowMs();
    return left < 0 ? 0 : (int)left;
}

int
lxcOpenHelperFind(char *path, size_t len)
{
    return lxcCoreFindFile(LXC_OPEN_HELPER_FILE, path, len);
}

/* Everything the forked child needs, prepared before fork() so that the
 * child only makes async-signal-safe calls. */
typedef struct {
    const char *path;
    char *argv[3];
    char *envp[2 + sizeof(passedEnv) / sizeof(passedEnv[0])];
    sigset_t emptyMask;
    struct sigaction dfl;
    int sock;                 /* the helper's end */
    int maxfd;
    lxcOopReplyHeader fail;   /* sent back if execve() fails */
} childSetup;

static void __attribute__((noreturn))
childExec(childSetup *cs)
{
    int sock = cs->sock;
    int devnull, fd, sig, flags;
    struct sigaction old;

    /* The socket becomes fd 3 without close-on-exec. */
    if (sock == LXC_OOP_FD) {
        if (fcntl(sock, F_SETFD, 0) < 0)
            goto fail;
    } else {
        if (dup2(sock, LXC_OOP_FD) < 0)
            goto fail;
        sock = LXC_OOP_FD;
    }
    /* stdin/stdout on /dev/null; stderr kept only when it is a real
     * inherited fd (not closed, not one of ours marked close-on-exec). */
    if ((devnull = open("/dev/null", O_RDWR)) < 0)
        goto fail;
    for (fd = 0; fd <= 2; fd++) {
        if (fd == devnull)
            continue;
        if (fd == 2 && (flags = fcntl(2, F_GETFD)) >= 0 && !(flags & FD_CLOEXEC))
            continue;
        if (dup2(devnull, fd) < 0)
            goto fail;
    }
    /* Nothing else of the caller's leaks into the helper. */
    if (close_range(LXC_OOP_FD + 1, ~0U, 0) < 0) {
        for (fd = LXC_OOP_FD + 1; fd < cs->maxfd; fd++)
            close(fd);
    }
    /* The parent blocked every signal around fork(): drop the caller's
     * handlers before unblocking so none of them runs in this child, and
     * give the helper default SIGPIPE/SIGCHLD whatever the caller set. */
    for (sig = 1; sig < NSIG; sig++) {
        if (sigaction(sig, NULL, &old) < 0)
            continue;
        if ((old.sa_handler != SIG_IGN && old.sa_handler != SIG_DFL) ||
            sig == SIGPIPE || sig == SIGCHLD)
            sigaction(sig, &cs->dfl, NULL);
    }
    if (sigprocmask(SIG_SETMASK, &cs->emptyMask, NULL) < 0)
        goto fail;
    execve(cs->path, cs->argv, cs->envp);

 fail:
    cs->fail.errnum = errno;
    send(sock, &cs->fail, sizeof(cs->fail), MSG_NOSIGNAL);
    _exit(127);
}

/* One SEQPACKET message of at most @len bytes (0 for EOF), taking every fd
 * it carries into @fds (up to @maxfds; *nfds set). Returns the byte count,
 * -1 on error (errno set; no fd left open), -2 on timeout. */
static ssize_t
recvMessage(int sock, void *buf, size_t len, int *fds, int maxfds, int *nfds,
            long long deadline)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * LXC_OOP_MAX_FDS)];
    } control;
    struct iovec iov = { .iov_base = buf, .iov_len = len };
    struct msghdr msg;
    struct cmsghdr *cmsg;
    struct pollfd pfd = { .fd = sock, .events = POLLIN };
    ssize_t r;
    int got = 0, overflow = 0, i;

    *nfds = 0;
    for (;;) {
        r = poll(&pfd, 1, remainingMs(deadline));
        if (r > 0)
            break;
        if (r == 0)
            return -2;
        if (errno != EINTR)
            return -1;
    }
    for (;;) {
        memset(&msg, 0, sizeof(msg));
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.buf;
        msg.msg_controllen = sizeof(control.buf);
        r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
        if (r >= 0 || errno != EINTR)
            break;
    }
    /* A peer that exits with our request unread resets the connection:
     * for us that is EOF, whose cause the exit status tells. */
    if (r < 0)
        return errno == ECONNRESET ? 0 : -1;
    for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
        int n, *p;
        if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
            continue;
        n = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        p = (int *)CMSG_DATA(cmsg);
        for (i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, p + i, sizeof(fd));
            if (got < maxfds)
                fds[got++] = fd;
            else {
                close(fd);
                overflow = 1;
            }
        }
    }
    if (overflow || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
        for (i = 0; i < got; i++)
            close(fds[i]);
        errno = EMSGSIZE;
        return -1;
    }
    *nfds = got;
    return r;
}

/* Reaps @pid (and only it) within @deadline, killing it when time is up.
 * Returns 0 with *status set, 1 when it had to be killed, -1 when its
 * status is unavailable (the caller ignores SIGCHLD, so the kernel reaped
 * it). */
static int
reapChild(pid_t pid, long long deadline, int *status)
{
    long delayUs = 20;
    pid_t r;

    for (;;) {
        r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return 0;
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (nowMs() >= deadline) {
            kill(pid, SIGKILL);
            while ((r = waitpid(pid, status, 0)) < 0 && errno == EINTR)
                ;
            return 1;
        }
        /* The helper exits right after answering: poll briefly. */
        struct timespec ts = { 0, delayUs * 1000 };
        nanosleep(&ts, NULL);
        if (delayUs < 10000)
            delayUs *= 2;
    }
}

/* Why the helper stopped without a complete answer. */
static void
describeDeath(lxcCoreError *err, const char *path, pid_t pid,
              long long deadline, const char *what)
{
    int status = 0;
    int r = reapChild(pid, deadline, &status);

    if (r == 1)
        lxcCoreSetInternal(err, "the OpenNamespace helper %s did not answer within "
                    "%d s and was killed", path, TIMEOUT_MS / 1000);
    else if (r == 0 && WIFSIGNALED(status))
        lxcCoreSetInternal(err, "the OpenNamespace helper %s was killed by signal "
                    "%d (%s) %s", path, WTERMSIG(status),
                    strsignal(WTERMSIG(status)), what);
    else if (r == 0 && WIFEXITED(status) && WEXITSTATUS(status) != 0)
        lxcCoreSetInternal(err, "the OpenNamespace helper %s exited with status %d "
                    "%s", path, WEXITSTATUS(status), what);
    else
        lxcCoreSetInternal(err, "the OpenNamespace helper %s exited %s",
                    path, what);
}

static char *
takeString(const char **p, uint32_t len)
{
    char *s;

    if (len == LXC_OOP_NULL_STRING)
        return NULL;
    if (!(s = malloc(len + 1)))
        return NULL;
    memcpy(s, *p, len);
    s[len] = '\0';
    *p += len;
    return s;
}

int
lxcOpenOutOfProcess(const lxcCoreRequest *req, int **fds, lxcCoreError *err)
{
    char path[PATH_MAX + 64];
    childSetup cs;
    lxcOopRequestHeader rh;
    lxcOopReplyHeader hdr;
    char *reqbuf = NULL, *strbuf = NULL;
    char *envStrings[sizeof(passedEnv) / sizeof(passedEnv[0])] = { NULL };
    int got[LXC_OOP_MAX_FDS];
    int sv[2] = { -1, -1 };
    int ngot = 0, nenv = 0, ret = -1, answered = 0, i, status;
    size_t urilen, namelen, reqlen, total;
    sigset_t all, saved;
    long long deadline = 0;
    pid_t pid = -1;
    ssize_t r;

    *fds = NULL;
    memset(err, 0, sizeof(*err));

    if (lxcOpenHelperFind(path, sizeof(path)) < 0) {
        if (path[0])
            lxcCoreSetInternal(err, "the OpenNamespace helper of libvirt-lxc.so.0 is "
                        "missing: expected %s", path);
        else
            lxcCoreSetInternal(err, "cannot find the directory of libvirt-lxc.so.0");
        return -1;
    }
    if (!req->uri || !req->name) {
        lxcCoreSetInternal(err, "OpenNamespace request without %s",
                    req->uri ? "a domain name" : "a URI");
        return -1;
    }
    urilen = strlen(req->uri);
    namelen = strlen(req->name);
    if (urilen > LXC_OOP_MAX_STRING || namelen > LXC_OOP_MAX_STRING) {
        lxcCoreSetInternal(err, "the connection URI or domain name is longer than "
                    "%d bytes", LXC_OOP_MAX_STRING);
        return -1;
    }

    memset(&rh, 0, sizeof(rh));
    rh.magic = LXC_OOP_MAGIC;
    rh.urilen = urilen;
    rh.namelen = namelen;
    rh.id = req->id;
    rh.flags = req->flags;
    rh.readonly = req->readonly;
    memcpy(rh.uuid, req->uuid, sizeof(rh.uuid));
    reqlen = sizeof(rh) + urilen + namelen;
    if (!(reqbuf = malloc(reqlen))) {
        lxcCoreSetInternal(err, "out of memory");
        return -1;
    }
    memcpy(reqbuf, &rh, sizeof(rh));
    memcpy(reqbuf + sizeof(rh), req->uri, urilen);
    memcpy(reqbuf + sizeof(rh) + urilen, req->name, namelen);

    memset(&cs, 0, sizeof(cs));
    cs.path = path;
    cs.argv[0] = (char *)LXC_OPEN_HELPER_FILE;
    cs.argv[1] = (char *)"3"; /* LXC_OOP_FD: the helper checks it */
    cs.argv[2] = NULL;
    cs.envp[0] = (char *)HELPER_PATH_ENV;
    if (!getauxval(AT_SECURE)) {
        for (i = 0; i < (int)(sizeof(passedEnv) / sizeof(passedEnv[0])); i++) {
            const char *v = getenv(passedEnv[i]);
            if (v && asprintf(&envStrings[nenv], "%s=%s", passedEnv[i], v) >= 0)
                cs.envp[1 + nenv] = envStrings[nenv], nenv++;
        }
    }
    cs.envp[1 + nenv] = NULL;
    sigemptyset(&cs.emptyMask);
    cs.dfl.sa_handler = SIG_DFL;
    sigemptyset(&cs.dfl.sa_mask);
    cs.maxfd = (int)sysconf(_SC_OPEN_MAX);
    if (cs.maxfd <= 0 || cs.maxfd > 65536)
        cs.maxfd = 65536;
    cs.fail.magic = LXC_OOP_MAGIC;
    cs.fail.status = LXC_OOP_EXEC_FAILED;

    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        lxcCoreSetInternal(err, "cannot create a socket for the OpenNamespace "
                    "helper: %s", strerror(errno));
        goto cleanup;
    }
    cs.sock = sv[1];

    /* No signal handler of the caller may run in the child before exec. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &saved);
    pid = fork();
    if (pid == 0)
        childExec(&cs);
    i = errno;
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    close(sv[1]);
    sv[1] = -1;
    if (pid < 0) {
        lxcCoreSetInternal(err, "cannot start the OpenNamespace helper %s: fork: %s",
                    path, strerror(i));
        goto cleanup;
    }
    deadline = nowMs() + TIMEOUT_MS;

    /* A failed send is not fatal yet: a child whose execve() failed has
     * closed its end, and its reason waits in our queue. */
    while (send(sv[0], reqbuf, reqlen, MSG_NOSIGNAL) < 0 && errno == EINTR)
        ;

    r = recvMessage(sv[0], &hdr, sizeof(hdr), got, LXC_OOP_MAX_FDS, &ngot,
                    deadline);
    if (r == -2 || r == 0) {
        describeDeath(err, path, pid, deadline, "before answering");
        pid = -1;
        goto cleanup;
    }
    if (r < 0 || r != sizeof(hdr) || ngot || hdr.magic != LXC_OOP_MAGIC) {
        lxcCoreSetInternal(err, "the OpenNamespace helper %s sent a malformed "
                    "answer: %s", path,
                    r < 0 ? strerror(errno) : "unexpected header");
        goto cleanup;
    }

    if (hdr.status == LXC_OOP_EXEC_FAILED) {
        lxcCoreSetInternal(err, "cannot run the OpenNamespace helper %s: %s",
                    path, strerror(hdr.errnum));
        goto cleanup;
    }

    if (hdr.status == -1) {
        const char *p;
        total = 0;
        for (i = 0; i < 4; i++) {
            if (hdr.len[i] == LXC_OOP_NULL_STRING)
                continue;
            if (hdr.len[i] > LXC_OOP_MAX_STRING)
                break;
            total += hdr.len[i];
        }
        if (i < 4 || !(strbuf = malloc(total + 1))) {
            lxcCoreSetInternal(err, "the OpenNamespace helper %s sent a malformed "
                        "answer: %s", path,
                        i < 4 ? "error string too long" : "out of memory");
            goto cleanup;
        }
        if (total > 0) {
            r = recvMessage(sv[0], strbuf, total, got, LXC_OOP_MAX_FDS, &ngot,
                            deadline);
            if (r == -2 || r == 0) {
                describeDeath(err, path, pid, deadline, "in the middle of its answer");
                pid = -1;
                goto cleanup;
            }
            if (r != (ssize_t)total || ngot) {
                lxcCoreSetInternal(err, "the OpenNamespace helper %s sent a malformed "
                            "answer: %s", path,
                            r < 0 ? strerror(errno) : "bad error strings");
                goto cleanup;
            }
        }
        p = strbuf;
        err->code = hdr.code;
        err->domain = hdr.domain;
        err->level = hdr.level;
        err->int1 = hdr.int1;
        err->int2 = hdr.int2;
        err->message = takeString(&p, hdr.len[0]);
        err->str1 = takeString(&p, hdr.len[1]);
        err->str2 = takeString(&p, hdr.len[2]);
        err->str3 = takeString(&p, hdr.len[3]);
        answered = 1;
        goto cleanup;
    }

    if (hdr.status < 0 || hdr.status > LXC_OOP_MAX_FDS) {
        lxcCoreSetInternal(err, "the OpenNamespace helper %s sent a malformed "
                    "answer: status %d", path, (int)hdr.status);
        goto cleanup;
    }
    if (hdr.status > 0) {
        char byte;
        r = recvMessage(sv[0], &byte, 1, got, LXC_OOP_MAX_FDS, &ngot, deadline);
        if (r == -2 || r == 0) {
            describeDeath(err, path, pid, deadline, "before passing the fds");
            pid = -1;
            goto cleanup;
        }
        if (r != 1 || ngot != hdr.status) {
            lxcCoreSetInternal(err, "the OpenNamespace helper %s passed %d fds "
                        "instead of %d%s%s", path, ngot, (int)hdr.status,
                        r < 0 ? ": " : "", r < 0 ? strerror(errno) : "");
            goto cleanup;
        }
        if (!(*fds = malloc(sizeof(int) * ngot))) {
            lxcCoreSetInternal(err, "out of memory");
            goto cleanup;
        }
        memcpy(*fds, got, sizeof(int) * ngot);
        ngot = 0; /* now the caller's */
    }
    ret = hdr.status;
    answered = 1;

 cleanup:
    for (i = 0; i < ngot; i++)
        close(got[i]);
    if (sv[0] >= 0)
        close(sv[0]);
    if (sv[1] >= 0)
        close(sv[1]);
    /* After a complete answer the helper only has to exit: give it until the
     * deadline. After a bad one, do not wait for it. */
    if (pid > 0)
        reapChild(pid, answered ? deadline : nowMs(), &status);
    for (i = 0; i < nenv; i++)
        free(envStrings[i]);
    free(reqbuf);
    free(strbuf);
    return ret;
}
