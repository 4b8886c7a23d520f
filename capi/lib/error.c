/*
 * error.c: the error funnel of libvirt-lxc.so.0: every error the library
 * raises, and its dispatch to the application, goes through here.
 *
 * Error texts come from the libvirt.so.0 the process loaded: ordinary and
 * system-error reports go through its own virReportErrorHelper and
 * virReportSystemErrorFull, so message, str1 and str2 are exactly what that
 * release (its templates, "%s" or positional "%1$s", its translations)
 * makes of them. Without those, virErrorMsg's template is filled in here;
 * without that too, the bare detail is the message. Those functions are
 * libvirt's private ones, looked up by name (libvirt_syms.c).
 */
#ifndef _GNU_SOURCE
# define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "libvirt_syms.h"
#include "log.h"

/* Messages are formatted on the stack when they fit (the usual case), else
 * on the heap: libvirt keeps long texts (a 4 KiB SELinux label) whole. */
#define LXC_MSG_STACK 1024
/* Room for strerror_r's text of one errno value. */
#define LXC_STRERROR_MAX 256

/* Set when neither setter exists and lxcRaise printed the error itself, so
 * that lxcDispatch does not print it a second time. */
static __thread int printedOnly;

/* The driver of the connection the calling thread's last OpenNamespace was
 * on (lxcConnGetDriver): whose are the final errors the core hands back. */
static __thread lxcCoreDriver currentDriver;

static pthread_once_t initOnce = PTHREAD_ONCE_INIT;

static void
lxcInitializeLibvirt(void)
{
    lxcVirInitialize();
}

void
lxcResetError(void)
{
    pthread_once(&initOnce, lxcInitializeLibvirt);
    printedOnly = 0;
    virResetLastError();
}

/* lxcRaise, logged (by libvirt, when an output is set) as raised at
 * @site. */
static void
lxcRaiseAt(lxcSite site, int domain, int code, int level,
           const char *str1, const char *str2, const char *str3,
           int int1, int int2, const char *message)
{
    int saved = errno;
    const lxcVirSyms *sym;

    sym = lxcVirSymbols();
    printedOnly = 0;
    if (!message)
        message = "";
    if (sym->raise) {
        lxcVirEnter();
        sym->raise(site.file, site.func, site.line, domain, code, level,
                   str1, str2, str3, int1, int2, "%s", message);
        lxcVirLeave();
    } else {
        virError err;

        memset(&err, 0, sizeof(err));
        err.code = code;
        err.domain = domain;
        err.level = level;
        err.message = (char *)message;
        err.str1 = (char *)str1;
        err.str2 = (char *)str2;
        err.str3 = (char *)str3;
        err.int1 = int1;
        err.int2 = int2;
        if (sym->setError) {
            lxcVirEnter();
            sym->setError(&err);  /* copies every field */
            lxcVirLeave();
        } else {
            /* No way to store the error: print it the way libvirt's
             * default handler would, so the user at least sees it. */
            virDefaultErrorFunc(&err);
            printedOnly = 1;
        }
    }
    errno = saved;
}

void
lxcRaise(int domain, int code, int level,
         const char *str1, const char *str2, const char *str3,
         int int1, int int2, const char *message)
{
    lxcRaiseAt(lxcErrorSite(LXC_SITE_REPORT, code, NULL, __func__), domain, code,
               level, str1, str2, str3, int1, int2, message);
}

void
lxcDispatch(virConnectPtr conn)
{
    int saved = errno;
    const lxcVirSyms *sym;

    sym = lxcVirSymbols();
    if (sym->dispatch) {
        sym->dispatch(conn);
    } else if (!printedOnly) {
        /* Without virDispatchError the registered handlers are out of
         * reach; fall back to libvirt's default printer. */
        virErrorPtr err = virGetLastError();

        if (err)
            virDefaultErrorFunc(err);
    }
    printedOnly = 0;
    errno = saved;
}

/* vsnprintf into @buf, or into a malloc()ed buffer when @buf is too small.
 * Returns the text (@buf, the heap copy, or "" when out of memory); the
 * caller frees it when it is not @buf. */
static char *
lxcVFormat(char *buf, size_t size, const char *fmt, va_list ap)
{
    va_list ap2;
    char *big;
    int n;

    va_copy(ap2, ap);
    n = vsnprintf(buf, size, fmt, ap);
    if (n < 0) {
        va_end(ap2);
        buf[0] = '\0';
        return buf;
    }
    if ((size_t)n < size) {
        va_end(ap2);
        return buf;
    }
    if (!(big = malloc((size_t)n + 1))) {
        va_end(ap2);
        return buf;  /* truncated, better than nothing */
    }
    vsnprintf(big, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return big;
}

static char *
lxcFormat(char *buf, size_t size, const char *fmt, ...) LXC_PRINTF(3, 4);

static char *
lxcFormat(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    char *ret;

    va_start(ap, fmt);
    ret = lxcVFormat(buf, size, fmt, ap);
    va_end(ap);
    return ret;
}

static void
lxcFree(char *text, const char *buf)
{
    if (text != buf)
        free(text);
}

/* libvirt's template for @code with a detail, as its reports use it for
 * str1 and the message: "internal error: %s" in libvirt 9.0, "internal
 * error: %1$s" in 11.x, translated in the caller's locale. NULL without
 * virErrorMsg or for a code that libvirt.so.0 does not know. */
static const char *
lxcTemplate(int code, const char *detail)
{
    const lxcVirSyms *sym = lxcVirSymbols();

    return sym->errorMsg ? sym->errorMsg(code, detail) : NULL;
}

/* @tmpl with each "%s" or "%1$s" (the only conversions libvirt's templates
 * hold, with a detail) replaced by @detail and "%%" by "%": what libvirt's
 * printf makes of it, without handing a run-time format to printf. Into
 * @buf when it fits, else a malloc()ed copy (the caller frees what is not
 * @buf); "" when out of memory. */
static char *
lxcExpand(char *buf, size_t size, const char *tmpl, const char *detail)
{
    size_t dlen = strlen(detail), n, cap = size;
    char *out = buf;
    const char *p;

    for (;;) {
        n = 0;
        for (p = tmpl; *p;) {
            const char *piece = p;
            size_t len = 1, skip = 1;

            if (p[0] == '%' && p[1] == '%') {
                skip = 2;
            } else if (p[0] == '%' && p[1] == 's') {
                piece = detail, len = dlen, skip = 2;
            } else if (strncmp(p, "%1$s", 4) == 0) {
                piece = detail, len = dlen, skip = 4;
            }
            if (n + len < cap)
                memcpy(out + n, piece, len);
            n += len;
            p += skip;
        }
        if (n < cap) {
            out[n] = '\0';
            return out;
        }
        if (out != buf || !(out = malloc(n + 1))) {
            buf[0] = '\0';
            return buf;
        }
        cap = n + 1;
    }
}

/* An error of @code with @detail raised the way libvirt's reports raise
 * it, for when libvirt.so.0 lacks the report functions themselves: with
 * libvirt's template when it has virErrorMsg, else (no template to be had)
 * with the bare detail as the message and no str1. */
static void
lxcRaiseTemplated(lxcSite site, int domain, int code, const char *detail,
                  int int1, int int2)
{
    const char *tmpl = lxcTemplate(code, detail);
    char buf[LXC_MSG_STACK];
    char *msg;

    if (!tmpl) {
        lxcRaiseAt(site, domain, code, VIR_ERR_ERROR, NULL, detail, NULL, int1, int2,
                   detail);
        return;
    }
    msg = lxcExpand(buf, sizeof(buf), tmpl, detail);
    lxcRaiseAt(site, domain, code, VIR_ERR_ERROR, tmpl, detail, NULL, int1, int2, msg);
    lxcFree(msg, buf);
}

/* libvirt's virReportError(code, "%s", detail) from @domain: its own
 * virReportErrorHelper when libvirt.so.0 has it, so message, str1 and str2
 * are whatever that release makes of them. */
static void
lxcReportDetail(lxcSite site, int domain, int code, const char *detail)
{
    const lxcVirSyms *sym = lxcVirSymbols();

    if (sym->reportError) {
        printedOnly = 0;
        lxcVirEnter();
        sym->reportError(domain, code, site.file, site.func, site.line, "%s", detail);
        lxcVirLeave();
        return;
    }
    lxcRaiseTemplated(site, domain, code, detail, -1, -1);
}

/* libvirt's virReportSystemError(errnum, "%s", text) from @domain: its own
 * virReportSystemErrorFull when libvirt.so.0 has it, else the same fields
 * built here ("<text>: <strerror>"). */
static void
lxcReportSystemText(lxcSite site, int domain, int errnum, const char *text)
{
    char buf[LXC_MSG_STACK];
    char ebuf[LXC_STRERROR_MAX];
    const char *estr;
    char *detail;
    const lxcVirSyms *sym;

    sym = lxcVirSymbols();
    if (sym->reportSystem) {
        printedOnly = 0;
        lxcVirEnter();
        sym->reportSystem(domain, errnum, site.file, site.func, site.line, "%s", text);
        lxcVirLeave();
        return;
    }
    estr = strerror_r(errnum, ebuf, sizeof(ebuf));
    detail = lxcFormat(buf, sizeof(buf), "%s: %s", text, estr);
    lxcRaiseTemplated(site, domain, VIR_ERR_SYSTEM_ERROR, detail, errnum, -1);
    lxcFree(detail, buf);
}

void
lxcRaiseCoreError(const lxcCoreError *err)
{
    const char *detail = err->str2 ? err->str2 : "";
    /* Final errors are the daemon's, raised by libvirt's client where it
     * reads the daemon's answer, or in a daemon the LXC driver's own. */
    lxcSiteKind kind = !err->message ? LXC_SITE_REPORT :
                       currentDriver == LXC_CORE_DRIVER_LXC ? LXC_SITE_DRIVER : LXC_SITE_DAEMON;
    lxcSite site = lxcErrorSite(kind, err->code, NULL, __func__);

    if (err->message)
        lxcRaiseAt(site, err->domain, err->code, err->level, err->str1, err->str2,
                   err->str3, err->int1, err->int2, err->message);
    else if (err->code == VIR_ERR_SYSTEM_ERROR)
        lxcReportSystemText(site, err->domain, err->int1, detail);
    else
        lxcReportDetail(site, err->domain, err->code, detail);
}

static void
lxcReportErrorV(lxcSite site, int domain, int code, const char *fmt, va_list ap)
{
    char buf[LXC_MSG_STACK];
    char *detail = lxcVFormat(buf, sizeof(buf), fmt, ap);

    lxcReportDetail(site, domain, code, detail);
    lxcFree(detail, buf);
}

static void
lxcReportErrorAt(lxcSite site, int domain, int code, const char *fmt, ...)
    LXC_PRINTF(4, 5);

static void
lxcReportErrorAt(lxcSite site, int domain, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    lxcReportErrorV(site, domain, code, fmt, ap);
    va_end(ap);
}

void
lxcReportError(int domain, int code, const char *fmt, ...)
{
    lxcSite site = lxcErrorSite(LXC_SITE_REPORT, code, fmt, __func__);
    va_list ap;

    va_start(ap, fmt);
    lxcReportErrorV(site, domain, code, fmt, ap);
    va_end(ap);
}

void
lxcReportInvalidDomain(const char *funcname)
{
    lxcReportDetail(lxcErrorSite(LXC_SITE_DOMAIN, VIR_ERR_INVALID_DOMAIN, NULL, funcname),
                    VIR_FROM_DOM, VIR_ERR_INVALID_DOMAIN, funcname);
}

void
lxcReportReadOnly(const char *funcname)
{
    lxcReportErrorAt(lxcErrorSite(LXC_SITE_READONLY, VIR_ERR_OPERATION_DENIED, NULL,
                                  funcname),
                     VIR_FROM_NONE, VIR_ERR_OPERATION_DENIED,
                     "read only access prevents %s", funcname);
}

void
lxcReportInvalidArgMsg(const char *funcname, const char *argname,
                       const char *fmt, ...)
{
    char buf[LXC_MSG_STACK];
    char *msg;
    va_list ap;

    va_start(ap, fmt);
    msg = lxcVFormat(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    lxcRaiseAt(lxcErrorSite(LXC_SITE_ARG, VIR_ERR_INVALID_ARG, argname, funcname),
               VIR_FROM_NONE, VIR_ERR_INVALID_ARG, VIR_ERR_ERROR,
               funcname, argname, NULL, 0, 0, msg);
    lxcFree(msg, buf);
}

void
lxcReportInvalidArg(const char *funcname, const char *argname)
{
    lxcReportInvalidArgMsg(funcname, argname, "%s in %s must not be NULL",
                           argname, funcname);
}

void
lxcReportUnsupportedFlags(const char *funcname, unsigned int flags)
{
    lxcReportInvalidArgMsg(funcname, "flags",
                           "unsupported flags (0x%x) in function %s",
                           flags, funcname);
}

static void
lxcReportSystemErrorV(int domain, int errnum, const char *fmt, va_list ap)
{
    char buf[LXC_MSG_STACK];
    lxcSite site = lxcErrorSite(LXC_SITE_REPORT, VIR_ERR_SYSTEM_ERROR, fmt, __func__);
    char *text = lxcVFormat(buf, sizeof(buf), fmt, ap);

    lxcReportSystemText(site, domain, errnum, text);
    lxcFree(text, buf);
}

void
lxcReportSystemError(int errnum, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    lxcReportSystemErrorV(VIR_FROM_NONE, errnum, fmt, ap);
    va_end(ap);
}

void
lxcReportSystemErrorFrom(int domain, int errnum, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    lxcReportSystemErrorV(domain, errnum, fmt, ap);
    va_end(ap);
}

lxcCoreDriver
lxcConnGetDriver(virDomainPtr dom, const char *uri)
{
    return currentDriver = lxcConnPeekDriver(dom, uri);
}
