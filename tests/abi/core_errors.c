/*
 * The errors that both the C library and the Go core raise must reach
 * virGetLastError() with the same fields, whichever language made them.
 * Each language has one way to make each error (C: lxcCoreSetInternal,
 * lxcReport*; Go: internal/report/error.go), and the Go core's errors are
 * raised by lxcRaiseCoreError. This program loads the built core (no
 * daemon is needed: every error below comes before any RPC), makes it fail
 * in each way, makes the C side report the same condition, and compares.
 *
 * Built with capi/lib/error.c (with what it uses) and
 * capi/channel/coreerror.c, the library's own error code, with
 * capi/helper/coreload.c to load the core as the core process does, and
 * linked to libvirt.so.0, whose templates fill the messages.
 *
 * usage: core-errors GO_CORE
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../capi/channel/coreerror.h"
#include "../../capi/helper/coreload.h"
#include "internal.h"

static int failed;

static void
fail(const char *what, const char *fmt, ...) LXC_PRINTF(2, 3);

static void
fail(const char *what, const char *fmt, ...)
{
    va_list ap;

    printf("FAIL: %s: ", what);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    failed = 1;
}

static const char *
show(const char *s)
{
    return s ? s : "(null)";
}

static int
sameStr(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The two lxcCoreError structs are equal field for field. */
static void
compareCore(const char *what, const lxcCoreError *c, const lxcCoreError *go)
{
    if (c->code != go->code || c->domain != go->domain || c->level != go->level ||
        !sameStr(c->message, go->message) || !sameStr(c->str1, go->str1) ||
        !sameStr(c->str2, go->str2) || !sameStr(c->str3, go->str3) ||
        c->int1 != go->int1 || c->int2 != go->int2)
        fail(what, "C %d/%d/%d msg=%s str1=%s str2=%s str3=%s int=%d/%d, "
             "Go %d/%d/%d msg=%s str1=%s str2=%s str3=%s int=%d/%d",
             c->code, c->domain, c->level, show(c->message), show(c->str1),
             show(c->str2), show(c->str3), c->int1, c->int2,
             go->code, go->domain, go->level, show(go->message), show(go->str1),
             show(go->str2), show(go->str3), go->int1, go->int2);
}

/* The last error, copied; code 0 when none is set. */
static virError
lastError(void)
{
    virError copy;

    memset(&copy, 0, sizeof(copy));
    if (virCopyLastError(&copy) < 0)
        copy.code = 0;
    lxcResetError();
    return copy;
}

/* The raised errors are equal field for field; @sameDomain 0 compares
 * all but the domain, which the reporter picks. */
static void
compareRaised(const char *what, virError *c, virError *go, int sameDomain)
{
    if (c->code == 0 || go->code == 0)
        fail(what, "no error raised (C code %d, Go code %d)", c->code, go->code);
    else if (c->code != go->code || (sameDomain && c->domain != go->domain) ||
             c->level != go->level || !sameStr(c->message, go->message) ||
             !sameStr(c->str1, go->str1) || !sameStr(c->str2, go->str2) ||
             !sameStr(c->str3, go->str3) || c->int1 != go->int1 ||
             c->int2 != go->int2)
        fail(what, "C %d/%d/%d \"%s\" str1=%s str2=%s str3=%s int=%d/%d, "
             "Go %d/%d/%d \"%s\" str1=%s str2=%s str3=%s int=%d/%d",
             c->code, c->domain, c->level, show(c->message), show(c->str1),
             show(c->str2), show(c->str3), c->int1, c->int2,
             go->code, go->domain, go->level, show(go->message), show(go->str1),
             show(go->str2), show(go->str3), go->int1, go->int2);
    virResetError(c);
    virResetError(go);
}

/* Runs the core on @req; it must fail. Its error is left in @err. */
static void
coreFails(lxcCoreOpenFunc coreOpen, const char *what, const lxcCoreRequest *req,
          lxcCoreError *err)
{
    int *fds = NULL;
    int n;

    memset(err, 0, sizeof(*err));
    if ((n = coreOpen(req, &fds, err)) >= 0) {
        fail(what, "the core returned %d fds", n);
        while (n > 0)
            close(fds[--n]);
        free(fds);
    }
}

/* A request for a domain of no daemon, over the socket at @path, made for
 * this process. */
static void
socketRequest(lxcCoreRequest *req, char *uri, size_t size, const char *path)
{
    snprintf(uri, size, "lxc:///system?socket=%s", path);
    memset(req, 0, sizeof(*req));
    req->uri = uri;
    req->caller = getpid();
    req->name = "lxcgo-core-errors";
    req->id = -1;
}

/* The Go core's VIR_ERR_INTERNAL_ERROR (a call without a request) and C's
 * (lxcCoreSetInternal) with the same detail. */
static void
internalError(lxcCoreOpenFunc coreOpen)
{
    lxcCoreError go, c;
    virError goRaised, cRaised;

    coreFails(coreOpen, "internal error", NULL, &go);
    if (go.code != VIR_ERR_INTERNAL_ERROR || go.message || !go.str2) {
        fail("internal error", "the core gave code %d message %s detail %s",
             go.code, show(go.message), show(go.str2));
        lxcCoreErrorFree(&go);
        return;
    }
    lxcCoreSetInternal(&c, "%s", go.str2);
    compareCore("internal error", &c, &go);
    lxcRaiseCoreError(&go);
    goRaised = lastError();
    lxcRaiseCoreError(&c);
    cRaised = lastError();
    compareRaised("internal error, raised", &cRaised, &goRaised, 1);
    lxcCoreErrorFree(&go);
    lxcCoreErrorFree(&c);
}

/* The Go core's VIR_ERR_SYSTEM_ERROR (no socket at the URI's path) and C's
 * lxcReportSystemErrorFrom for the same failure. */
static void
systemError(lxcCoreOpenFunc coreOpen, const char *dir)
{
    char path[256], uri[512];
    lxcCoreRequest req;
    lxcCoreError go;
    virError goRaised, cRaised;

    snprintf(path, sizeof(path), "%s/none.sock", dir);
    socketRequest(&req, uri, sizeof(uri), path);
    coreFails(coreOpen, "system error", &req, &go);
    if (go.code != VIR_ERR_SYSTEM_ERROR || go.int1 != ENOENT) {
        fail("system error", "the core gave code %d int1 %d message %s detail %s",
             go.code, go.int1, show(go.message), show(go.str2));
        lxcCoreErrorFree(&go);
        return;
    }
    lxcRaiseCoreError(&go);
    goRaised = lastError();
    lxcReportSystemErrorFrom(VIR_FROM_RPC, ENOENT,
                             "Failed to connect socket to '%s'", path);
    cRaised = lastError();
    compareRaised("system error, raised", &cRaised, &goRaised, 1);
    lxcCoreErrorFree(&go);
}

/* The Go core's "unsupported flags" (a call of the LXC driver's own, as in
 * the daemon: served in-host, where the daemon rejects flags first) and C's
 * lxcReportUnsupportedFlags. The domains differ by design: the daemon's LXC
 * driver reports from VIR_FROM_LXC, the client library from VIR_FROM_NONE. */
static void
flagsError(lxcCoreOpenFunc coreOpen, const char *dir)
{
    static const char func[] = "lxcDomainLxcOpenNamespace";
    char path[256], uri[512];
    lxcCoreRequest req;
    lxcCoreError go;
    virError goRaised, cRaised;

    snprintf(path, sizeof(path), "%s/none.sock", dir);
    socketRequest(&req, uri, sizeof(uri), path);
    req.driver = LXC_CORE_DRIVER_LXC;
    req.flags = 1;
    coreFails(coreOpen, "unsupported flags", &req, &go);
    if (go.code != VIR_ERR_INVALID_ARG || go.domain != VIR_FROM_LXC || !go.message) {
        fail("unsupported flags", "the core gave %d/%d message %s detail %s",
             go.code, go.domain, show(go.message), show(go.str2));
        lxcCoreErrorFree(&go);
        return;
    }
    lxcRaiseCoreError(&go);
    goRaised = lastError();
    lxcReportUnsupportedFlags(func, 1);
    cRaised = lastError();
    if (cRaised.domain != VIR_FROM_NONE)
        fail("unsupported flags", "C reports from domain %d", cRaised.domain);
    compareRaised("unsupported flags, raised", &cRaised, &goRaised, 0);
    lxcCoreErrorFree(&go);
}

/* The Go core's "not supported" (the socket to dial is one this process
 * listens on, and no LXC driver runs here: a daemon's own socket) and C's
 * report for a connection driver without OpenNamespace (open_namespace.c). */
static void
unsupportedError(lxcCoreOpenFunc coreOpen, const char *dir)
{
    struct sockaddr_un sa;
    char uri[512];
    lxcCoreRequest req;
    lxcCoreError go;
    virError goRaised, cRaised;
    int sock;

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/self.sock", dir);
    if ((sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
        bind(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(sock, 4) < 0) {
        fail("not supported", "cannot listen on %s: %s", sa.sun_path,
             strerror(errno));
        if (sock >= 0)
            close(sock);
        return;
    }
    socketRequest(&req, uri, sizeof(uri), sa.sun_path);
    req.driver = LXC_CORE_DRIVER_REMOTE;
    coreFails(coreOpen, "not supported", &req, &go);
    close(sock);
    unlink(sa.sun_path);
    if (go.code != VIR_ERR_NO_SUPPORT || go.message) {
        fail("not supported", "the core gave %d/%d message %s detail %s",
             go.code, go.domain, show(go.message), show(go.str2));
        lxcCoreErrorFree(&go);
        return;
    }
    lxcRaiseCoreError(&go);
    goRaised = lastError();
    lxcReportError(VIR_FROM_NONE, VIR_ERR_NO_SUPPORT, "%s", "virDomainLxcOpenNamespace");
    cRaised = lastError();
    compareRaised("not supported, raised", &cRaised, &goRaised, 1);
    lxcCoreErrorFree(&go);
}

int
main(int argc, char **argv)
{
    char errbuf[1024];
    char dir[] = "/tmp/lxcgo-core-errors.XXXXXX";
    lxcCoreOpenFunc coreOpen;

    if (argc != 2) {
        fprintf(stderr, "usage: %s GO_CORE\n", argv[0]);
        return 2;
    }
    lxcResetError();
    if (!(coreOpen = lxcCoreDlopen(argv[1], NULL, errbuf, sizeof(errbuf)))) {
        printf("FAIL: %s\n", errbuf);
        return 1;
    }
    if (!mkdtemp(dir)) {
        printf("FAIL: mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    internalError(coreOpen);
    systemError(coreOpen, dir);
    flagsError(coreOpen, dir);
    unsupportedError(coreOpen, dir);
    rmdir(dir);
    if (!failed)
        printf("C and Go agree on every error both raise\n");
    return failed;
}
