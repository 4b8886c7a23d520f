/*
 * virt.c: libvirt glue (error reporting, object checks) for libvirt-lxc.so.0.
 *
 * libvirt keeps its error setters and object checks in the private version
 * node LIBVIRT_PRIVATE_<release>, renamed by every release. Linking to them
 * would tie this library to one libvirt build, so they are looked up by bare
 * name in whatever libvirt.so.0 the process loaded; every one has a fallback.
 *
 * Error texts come from that libvirt.so.0 too: ordinary and system-error
 * reports go through its own virReportErrorHelper and
 * virReportSystemErrorFull, so message, str1 and str2 are exactly what that
 * release (its templates, "%s" or positional "%1$s", its translations)
 * makes of them. Without those, virErrorMsg's template is filled in here;
 * without that too, the bare detail is the message.
 */
#ifndef _GNU_SOURCE
# define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "internal.h"
#include "log.h"

/* Messages are formatted on the stack when they fit (the usual case), else
 * on the heap: libvirt keeps long texts (a 4 KiB SELinux label) whole. */
#define LXC_MSG_STACK 1024

typedef void (*raiseFunc)(const char *filename, const char *funcname,
                          size_t linenr, int domain, int code, int level,
                          const char *str1, const char *str2, const char *str3,
                          int int1, int int2, const char *fmt, ...);
/* virReportErrorHelper(domain, code, ...) and virReportSystemErrorFull(domain,
 * errno, ...): what libvirt's virReportError and virReportSystemError expand
 * to. */
typedef void (*reportFunc)(int domain, int codeOrErrno, const char *filename,
                           const char *funcname, size_t linenr,
                           const char *fmt, ...);
typedef int (*setErrorFunc)(virErrorPtr err);
typedef void (*dispatchFunc)(virConnectPtr conn);
typedef bool (*isClassFunc)(void *obj, void *klass);
typedef const char *(*errorMsgFunc)(int code, const char *info);

static struct {
    reportFunc reportError;
    reportFunc reportSystem;
    raiseFunc raise;
    setErrorFunc setError;
    dispatchFunc dispatch;
    isClassFunc isClass;
    void **domainClass;   /* address of libvirt's "virClass *virDomainClass" */
    void **connectClass;
    errorMsgFunc errorMsg;
    lxcVirLogMessageFunc logMessage;
    int version;          /* lxcVirVersion() */
} sym;

static pthread_once_t symOnce = PTHREAD_ONCE_INIT;

/* Set when neither setter exists and lxcRaise printed the error itself, so
 * that lxcDispatch does not print it a second time. */
static __thread int printedOnly;

/* The driver of the connection the calling thread's last OpenNamespace was
 * on (lxcConnGetDriver): whose are the final errors the core hands back. */
static __thread lxcCoreDriver currentDriver;

/* The version in the name of the file that defines @fn, libvirt.so.0's
 * "libvirt.so.0.9000.0" for 9.0.0 once symbolic links are resolved; 0 when
 * the name says none. */
static int
lxcVersionOfLibrary(void *fn)
{
    char real[PATH_MAX];
    const char *base;
    unsigned long minor, micro;
    Dl_info info;

    if (!dladdr(fn, &info) || !info.dli_fname || !realpath(info.dli_fname, real))
        return 0;
    base = strrchr(real, '/');
    base = base ? base + 1 : real;
    if (sscanf(base, "libvirt.so.0.%lu.%lu", &minor, &micro) != 2)
        return 0;
    return (int)((minor / 1000) * 1000000 + (minor % 1000) * 1000 + micro);
}

static void
lxcResolve(void)
{
    sym.reportError = (reportFunc)dlsym(RTLD_DEFAULT, "virReportErrorHelper");
    sym.reportSystem = (reportFunc)dlsym(RTLD_DEFAULT, "virReportSystemErrorFull");
    sym.raise = (raiseFunc)dlsym(RTLD_DEFAULT, "virRaiseErrorFull");
    sym.setError = (setErrorFunc)dlsym(RTLD_DEFAULT, "virSetError");
    sym.dispatch = (dispatchFunc)dlsym(RTLD_DEFAULT, "virDispatchError");
    sym.isClass = (isClassFunc)dlsym(RTLD_DEFAULT, "virObjectIsClass");
    sym.domainClass = dlsym(RTLD_DEFAULT, "virDomainClass");
    sym.connectClass = dlsym(RTLD_DEFAULT, "virConnectClass");
    sym.errorMsg = (errorMsgFunc)dlsym(RTLD_DEFAULT, "virErrorMsg");
    sym.logMessage = (lxcVirLogMessageFunc)dlsym(RTLD_DEFAULT, "virLogMessage");
    sym.version = lxcVersionOfLibrary((void *)virGetLastError);
}

/* Resolve at load time too: a first dlsym() in the child of a multi-threaded
 * parent could block on a loader lock another thread held at fork(). */
__attribute__((constructor)) static void
lxcVirtInit(void)
{
    pthread_once(&symOnce, lxcResolve);
}

static void
lxcSyms(void)
{
    pthread_once(&symOnce, lxcResolve);
}

lxcVirLogMessageFunc
lxcVirLogMessage(void)
{
    lxcSyms();
    return sym.logMessage;
}

int
lxcVirVersion(void)
{
    lxcSyms();
    return sym.version;
}

static pthread_once_t initOnce = PTHREAD_ONCE_INIT;

static void
lxcVirInit(void)
{
    virInitialize();
}

void
lxcResetError(void)
{
    pthread_once(&initOnce, lxcVirInit);
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

    lxcSyms();
    printedOnly = 0;
    if (!message)
        message = "";
    if (sym.raise) {
        sym.raise(site.file, site.func, site.line, domain, code, level,
                  str1, str2, str3, int1, int2, "%s", message);
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
        if (sym.setError) {
            sym.setError(&err);  /* copies every field */
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

    lxcSyms();
    if (sym.dispatch) {
        sym.dispatch(conn);
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
    lxcSyms();
    return sym.errorMsg ? sym.errorMsg(code, detail) : NULL;
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
    lxcSyms();
    if (sym.reportError) {
        printedOnly = 0;
        sym.reportError(domain, code, site.file, site.func, site.line, "%s", detail);
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
    char ebuf[256];
    const char *estr;
    char *detail;

    lxcSyms();
    if (sym.reportSystem) {
        printedOnly = 0;
        sym.reportSystem(domain, errnum, site.file, site.func, site.line, "%s", text);
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

int
lxcCheckDomain(virDomainPtr dom, const char *funcname)
{
    bool ok = dom != NULL;

    lxcSyms();
    if (ok && sym.isClass && sym.domainClass && *sym.domainClass)
        ok = sym.isClass(dom, *sym.domainClass);
    if (ok && sym.isClass && sym.connectClass && *sym.connectClass) {
        /* The domain is valid, so this public getter cannot fail on it;
         * it returns the connection without taking a reference. */
        virConnectPtr conn = virDomainGetConnect(dom);

        ok = conn && sym.isClass(conn, *sym.connectClass);
    }
    if (!ok) {
        lxcReportInvalidDomain(funcname);
        return -1;
    }
    return 0;
}

virConnectPtr
lxcDomainConn(virDomainPtr dom)
{
    virConnectPtr conn;

    if (!dom)
        return NULL;
    lxcSyms();
    if (sym.isClass && sym.domainClass && *sym.domainClass &&
        !sym.isClass(dom, *sym.domainClass))
        return NULL;
    conn = virDomainGetConnect(dom);
    lxcResetError();
    return conn;
}

/*
 * Layout of libvirt's private structs since virObject became a GObject
 * (LP64; src/datatypes.h): a 24-byte object header, then in virDomain the
 * connection pointer, and in virConnect (a lockable object) a pthread mutex
 * followed by the open flags (bit 0 is VIR_CONNECT_RO), the connection's
 * parsed URI (a virURI, whose first field is the scheme) and its hypervisor
 * driver (a virHypervisorDriver, whose first field is the driver's name).
 * Only trusted when the domain's connection pointer is found where this
 * layout puts it and the flags are ones libvirt defines.
 */
#define LXC_OBJ_HEADER (3 * sizeof(void *))
#define LXC_CONN_RO 0x1u
#define LXC_CONN_KNOWN_FLAGS 0x3u  /* RO, NO_ALIASES */
/* The name of libvirt's remote driver (src/remote/remote_driver.c) and of
 * its LXC driver (LXC_DRIVER_NAME, src/lxc/lxc_conf.h); a driver's name is
 * a short word. */
#define LXC_REMOTE_DRIVER_NAME "remote"
#define LXC_LXC_DRIVER_NAME "LXC"
#define LXC_DRIVER_NAME_MAX 32

typedef struct {
    char header[LXC_OBJ_HEADER];
    virConnectPtr conn;
    const char *name;
    int id;
    unsigned char uuid[VIR_UUID_BUFLEN];
} lxcDomainHead;

typedef struct {
    char header[LXC_OBJ_HEADER];
    pthread_mutex_t lock;
    unsigned int flags;
    const char *const *uri;      /* virURI *: &uri->scheme */
    const char *const *driver;   /* virHypervisorDriver *: &driver->name */
} lxcConnHead;

/* @dom's connection seen through the layout above, or NULL when the layout
 * is not recognised. */
static const lxcConnHead *
lxcConnLayout(virDomainPtr dom, virConnectPtr conn)
{
    const lxcConnHead *head = (const lxcConnHead *)(void *)conn;

    if (sizeof(void *) != 8 || ((const lxcDomainHead *)(void *)dom)->conn != conn)
        return NULL;
    if ((head->flags & ~LXC_CONN_KNOWN_FLAGS) != 0)
        return NULL;
    return head;
}

int
lxcConnIsReadOnly(virDomainPtr dom)
{
    virConnectPtr conn;
    const lxcConnHead *head;
    int code;

    if (!dom || !(conn = virDomainGetConnect(dom))) {
        lxcResetError();
        return -1;
    }

    /* Reading the flag directly has no side effect. The public probe below
     * makes libvirt dispatch an error, which calls the application's error
     * handler or prints a stray line on stderr. */
    if ((head = lxcConnLayout(dom, conn)))
        return (head->flags & LXC_CONN_RO) ? 1 : 0;

    /* Unknown layout. A title with a newline is refused by the client
     * library itself, before any RPC: read-only connections are refused
     * first (29), read-write ones on the newline (8). Nothing changes. */
    virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_TITLE, "\n", NULL, NULL, 0);
    code = virGetLastErrorCode();
    lxcResetError();
    virConnResetLastError(conn);
    if (code == VIR_ERR_OPERATION_DENIED)
        return 1;
    if (code == VIR_ERR_INVALID_ARG)
        return 0;
    return -1;
}

int
lxcDomainIdent(virDomainPtr dom, const char **name, char uuid[VIR_UUID_STRING_BUFLEN])
{
    const lxcDomainHead *head = (const lxcDomainHead *)(void *)dom;
    const unsigned char *u;

    /* Only a pointer libvirt itself confirms to be a domain is read. */
    lxcSyms();
    if (!dom || sizeof(void *) != 8 || !sym.isClass || !sym.domainClass ||
        !*sym.domainClass || !sym.isClass(dom, *sym.domainClass))
        return -1;
    u = head->uuid;
    snprintf(uuid, VIR_UUID_STRING_BUFLEN,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7],
             u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
    *name = head->name;
    return 0;
}

/* A driver's name as libvirt keeps it: NUL-terminated, printable, short. */
static bool
lxcPlausibleName(const char *name)
{
    size_t i;

    if (!name)
        return false;
    for (i = 0; i < LXC_DRIVER_NAME_MAX && name[i]; i++) {
        if (name[i] < '!' || name[i] > '~')
            return false;
    }
    return i > 0 && i < LXC_DRIVER_NAME_MAX;
}

static lxcCoreDriver
lxcConnDriverOf(virDomainPtr dom, const char *uri)
{
    virConnectPtr conn = virDomainGetConnect(dom);
    const lxcConnHead *head;
    const char *scheme, *name, *type;
    size_t len;

    if (!conn || !uri || !(head = lxcConnLayout(dom, conn)) || !head->uri || !head->driver)
        return LXC_CORE_DRIVER_UNKNOWN;
    /* The URI libvirt formatted from this very virURI starts with its
     * scheme: a check that the pointers are where the layout says. */
    scheme = *head->uri;
    if (!scheme || !lxcPlausibleName(scheme) || strncmp(uri, scheme, len = strlen(scheme)) != 0 ||
        uri[len] != ':')
        return LXC_CORE_DRIVER_UNKNOWN;
    name = *head->driver;
    if (!lxcPlausibleName(name))
        return LXC_CORE_DRIVER_UNKNOWN;
    if (strcmp(name, LXC_REMOTE_DRIVER_NAME) == 0)
        return LXC_CORE_DRIVER_REMOTE;
    /* A driver in this process answers virConnectGetType without any RPC,
     * with its name in some case ("Test" is "TEST"): a second check. */
    type = virConnectGetType(conn);
    if (!type || strcasecmp(type, name) != 0) {
        lxcResetError();
        return LXC_CORE_DRIVER_UNKNOWN;
    }
    return strcmp(name, LXC_LXC_DRIVER_NAME) == 0 ? LXC_CORE_DRIVER_LXC : LXC_CORE_DRIVER_OTHER;
}

lxcCoreDriver
lxcConnGetDriver(virDomainPtr dom, const char *uri)
{
    return currentDriver = lxcConnDriverOf(dom, uri);
}
