/*
 * open_helper.c: libvirt-lxc-open, which does virDomainLxcOpenNamespace for
 * a caller of libvirt-lxc.so.0 that must not load the Go runtime itself
 * (see outofprocess.h for why and for the protocol).
 *
 * libvirt-lxc.so.0 runs it with its socket as fd 3 and argv[1] "3". It
 * serves one request: loads the Go core that sits beside it (installed and
 * build-tree layouts both put them in one directory), calls it, sends the
 * answer back and exits. It has no privileges of its own; it runs with the
 * caller's.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "coreabi.h"
#include "coreload.h"
#include "outofprocess.h"

static uint32_t
stringLen(const char *s)
{
    size_t n;

    if (!s)
        return LXC_OOP_NULL_STRING;
    n = strlen(s);
    return n > LXC_OOP_MAX_STRING ? LXC_OOP_MAX_STRING : (uint32_t)n;
}

/* Sends the answer; 0 when the library got all of it. */
static int
sendReply(int sock, int n, const int *fds, const lxcCoreError *err)
{
    lxcOopReplyHeader hdr;
    const char *strs[4] = { NULL, NULL, NULL, NULL };
    char strbuf[4 * LXC_OOP_MAX_STRING];
    size_t total = 0;
    int i;

    memset(&hdr, 0, sizeof(hdr));
    hdr.magic = LXC_OOP_MAGIC;
    hdr.status = n;
    if (n < 0) {
        hdr.status = -1;
        hdr.code = err->code;
        hdr.domain = err->domain;
        hdr.level = err->level;
        hdr.int1 = err->int1;
        hdr.int2 = err->int2;
        strs[0] = err->message;
        strs[1] = err->str1;
        strs[2] = err->str2;
        strs[3] = err->str3;
    }
    for (i = 0; i < 4; i++) {
        hdr.len[i] = stringLen(strs[i]);
        if (hdr.len[i] != LXC_OOP_NULL_STRING) {
            memcpy(strbuf + total, strs[i], hdr.len[i]);
            total += hdr.len[i];
        }
    }
    if (send(sock, &hdr, sizeof(hdr), MSG_NOSIGNAL) != sizeof(hdr))
        return -1;
    if (n < 0)
        return total == 0 ||
               send(sock, strbuf, total, MSG_NOSIGNAL) == (ssize_t)total ? 0 : -1;
    if (n > 0) {
        /* All fds in one SCM_RIGHTS message, riding on one byte. */
        union {
            struct cmsghdr align;
            char buf[CMSG_SPACE(sizeof(int) * LXC_OOP_MAX_FDS)];
        } control;
        char byte = 0;
        struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
        struct msghdr msg;
        struct cmsghdr *cmsg;

        memset(&control, 0, sizeof(control));
        memset(&msg, 0, sizeof(msg));
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.buf;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
        cmsg = CMSG_FIRSTHDR(&msg);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int) * n);
        memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * n);
        if (sendmsg(sock, &msg, MSG_NOSIGNAL) != 1)
            return -1;
    }
    return 0;
}

/* The core's entry point, loaded from this program's own directory. */
static lxcCoreOpenFunc
loadCore(lxcCoreError *err)
{
    char self[PATH_MAX], path[PATH_MAX + 64], detail[PATH_MAX + 256];
    ssize_t len;
    char *slash;
    lxcCoreOpenFunc coreOpen;

    /* The kernel's name for this executable, not argv[0]. */
    len = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (len < 0) {
        lxcCoreSetInternal(err, "cannot find the OpenNamespace helper's own path: %s",
                    strerror(errno));
        return NULL;
    }
    self[len] = '\0';
    if (!(slash = strrchr(self, '/'))) {
        lxcCoreSetInternal(err, "odd path of the OpenNamespace helper: %s", self);
        return NULL;
    }
    *slash = '\0';
    snprintf(path, sizeof(path), "%s/%s", self, LXC_CORE_FILE);
    if (access(path, F_OK) < 0) {
        lxcCoreSetInternal(err, "the Go core of libvirt-lxc.so.0 is missing: "
                    "expected %s", path);
        return NULL;
    }
    if (!(coreOpen = lxcCoreDlopen(path, detail, sizeof(detail))))
        lxcCoreSetInternal(err, "%s", detail);
    return coreOpen;
}

/* Reads the one request; NULL strings in @req on a bad one (err set).
 * Returns 0, or -1 when there is nobody to answer (EOF, not a socket). */
static int
readRequest(int sock, lxcCoreRequest *req, lxcCoreError *err)
{
    static char buf[sizeof(lxcOopRequestHeader) + 2 * LXC_OOP_MAX_STRING];
    lxcOopRequestHeader rh;
    struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
    struct msghdr msg;
    ssize_t r;

    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    /* No control buffer: the kernel closes any fd sent along. */
    while ((r = recvmsg(sock, &msg, 0)) < 0 && errno == EINTR)
        ;
    if (r <= 0)
        return -1;
    if ((msg.msg_flags & MSG_TRUNC) || (size_t)r < sizeof(rh)) {
        lxcCoreSetInternal(err, "the OpenNamespace helper got a malformed request");
        return 0;
    }
    memcpy(&rh, buf, sizeof(rh));
    if (rh.magic != LXC_OOP_MAGIC || rh.urilen > LXC_OOP_MAX_STRING ||
        rh.namelen > LXC_OOP_MAX_STRING ||
        (size_t)r != sizeof(rh) + rh.urilen + rh.namelen ||
        memchr(buf + sizeof(rh), '\0', rh.urilen + rh.namelen)) {
        lxcCoreSetInternal(err, "the OpenNamespace helper got a malformed request");
        return 0;
    }
    req->uri = strndup(buf + sizeof(rh), rh.urilen);
    req->name = strndup(buf + sizeof(rh) + rh.urilen, rh.namelen);
    if (!req->uri || !req->name) {
        lxcCoreSetInternal(err, "out of memory");
        return 0;
    }
    req->id = rh.id;
    req->flags = rh.flags;
    req->readonly = rh.readonly;
    memcpy(req->uuid, rh.uuid, sizeof(req->uuid));
    return 0;
}

int
main(int argc, char **argv)
{
    const int sock = LXC_OOP_FD;
    lxcCoreRequest req;
    lxcCoreError err;
    lxcCoreOpenFunc coreOpen;
    int type, n = -1, *fds = NULL, i;
    socklen_t typelen = sizeof(type);

    if (argc != 2 || strcmp(argv[1], "3") != 0 ||
        getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &typelen) < 0 ||
        type != SOCK_SEQPACKET) {
        fprintf(stderr, "%s: internal helper of libvirt-lxc.so.0, run by it "
                "with a socket as fd 3; not for use by hand\n",
                argc > 0 ? argv[0] : "libvirt-lxc-open");
        return 2;
    }
    /* Nothing the core might start should inherit the socket. */
    fcntl(sock, F_SETFD, FD_CLOEXEC);

    memset(&req, 0, sizeof(req));
    memset(&err, 0, sizeof(err));
    if (readRequest(sock, &req, &err) < 0)
        return 1;
    if (req.uri && req.name && (coreOpen = loadCore(&err)))
        n = coreOpen(&req, &fds, &err);
    if (n > LXC_OOP_MAX_FDS) {
        for (i = 0; i < n; i++)
            close(fds[i]);
        lxcCoreSetInternal(&err, "the Go core returned %d fds (at most %d expected)",
                    n, LXC_OOP_MAX_FDS);
        n = -1;
    }
    /* Exit without tearing anything down: the fds are in flight or the
     * answer is lost either way. */
    _exit(sendReply(sock, n, fds, &err) == 0 ? 0 : 1);
}
