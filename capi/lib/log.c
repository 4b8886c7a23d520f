/*
 * log.c: records through libvirt's logger (log.h), and where libvirt's
 * own libvirt-lxc.so.0 logs and raises what the four functions do.
 *
 * libvirt's log lines name the function and the line of libvirt's source
 * that logged them ("virDomainLxcEnterNamespace:139"), and those lines
 * move between releases. Ours say what the system library of the running
 * release says: the table below has the line numbers of each release whose
 * src/libvirt-lxc.c differs, keyed on the version of the libvirt.so.0 this
 * process loaded (libvirt_syms.c reads it from the library's file name).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/virterror.h>

#include "forksafe.h"
#include "log.h"

/* The releases whose lines are known, each seen with its own library in a
 * side-by-side run (tests/live/logging_test.go) and read in its source.
 * Before 11.3.0, or when the version is unknown, 9.0's lines are used:
 * exact for 9.0 and 9.1, not checked for 9.2 to 11.2 (9.2 joined a
 * template of EnterSecurityLabel onto one line, one line less from there
 * on; a later release shortened EnterNamespace by three). From 11.3.0 on
 * 11.3's are used, not checked for 12.x. */
enum {
    LXC_REL_9_0,    /* Debian 12 */
    LXC_REL_11_3,   /* Debian 13 */
    LXC_REL_COUNT
};
#define LXC_REL_11_3_VERSION 11003000

/* The lines are those of Debian's builds, whose patches move some (11.3's
 * lxc_driver.c by twelve), and the files are named as Debian's build names
 * them (__FILE__, which only the journal output shows, as CODE_FILE). */
#define LXC_FILE_API "../../src/libvirt-lxc.c"
#define LXC_FILE_PROCESS "../../src/util/virprocess.c"
#define LXC_FILE_NETCLIENT "../../src/rpc/virnetclientprogram.c"
#define LXC_FILE_LXC_DRIVER "../../src/lxc/lxc_driver.c"

#define LXC_SITE_ENTRY (-1)   /* a row's kind: the entry record */
#define LOG_TEXT_STACK 1024   /* a record's text longer than this is malloc()ed */

static const char *const lxcApiNames[] = {
    [LXC_API_NONE] = NULL,
    [LXC_API_OPEN_NAMESPACE] = "virDomainLxcOpenNamespace",
    [LXC_API_ENTER_NAMESPACE] = "virDomainLxcEnterNamespace",
    [LXC_API_ENTER_SECLABEL] = "virDomainLxcEnterSecurityLabel",
    [LXC_API_ENTER_CGROUP] = "virDomainLxcEnterCGroup",
};

/* One place libvirt logs or raises something from: @func NULL means the
 * public function itself, else the libvirt helper that raises it. */
static const struct {
    lxcApi api;
    int kind;            /* lxcSiteKind or LXC_SITE_ENTRY */
    int code;            /* virErrorNumber, 0 any */
    const char *key;     /* argument name or report format, NULL any */
    const char *file;
    const char *func;
    int line[LXC_REL_COUNT];
} lxcSites[] = {
    { LXC_API_OPEN_NAMESPACE, LXC_SITE_ENTRY, 0, NULL, LXC_FILE_API, NULL, { 72, 72 } },
    { LXC_API_OPEN_NAMESPACE, LXC_SITE_DOMAIN, 0, NULL, LXC_FILE_API, NULL, { 76, 76 } },
    { LXC_API_OPEN_NAMESPACE, LXC_SITE_ARG, 0, "fdlist", LXC_FILE_API, NULL, { 79, 79 } },
    { LXC_API_OPEN_NAMESPACE, LXC_SITE_READONLY, 0, NULL, LXC_FILE_API, NULL, { 80, 80 } },
    { LXC_API_OPEN_NAMESPACE, LXC_SITE_REPORT, VIR_ERR_NO_SUPPORT, NULL, LXC_FILE_API, NULL,
      { 92, 92 } },
    { LXC_API_OPEN_NAMESPACE, LXC_SITE_DAEMON, 0, NULL, LXC_FILE_NETCLIENT,
      "virNetClientProgramDispatchError", { 172, 170 } },
    { LXC_API_OPEN_NAMESPACE, LXC_SITE_DRIVER, VIR_ERR_INVALID_ARG, NULL, LXC_FILE_LXC_DRIVER,
      "lxcDomainLxcOpenNamespace", { 4510, 4652 } },

    { LXC_API_ENTER_NAMESPACE, LXC_SITE_ENTRY, 0, NULL, LXC_FILE_API, NULL, { 133, 133 } },
    { LXC_API_ENTER_NAMESPACE, LXC_SITE_ARG, 0, "flags", LXC_FILE_API, NULL, { 139, 139 } },
    { LXC_API_ENTER_NAMESPACE, LXC_SITE_ARG, 0, "nfdlist", LXC_FILE_PROCESS,
      "virProcessSetNamespaces", { 684, 690 } },
    { LXC_API_ENTER_NAMESPACE, LXC_SITE_REPORT, VIR_ERR_SYSTEM_ERROR, NULL, LXC_FILE_PROCESS,
      "virProcessSetNamespaces", { 699, 705 } },

    { LXC_API_ENTER_SECLABEL, LXC_SITE_ENTRY, 0, NULL, LXC_FILE_API, NULL, { 198, 195 } },
    { LXC_API_ENTER_SECLABEL, LXC_SITE_ARG, 0, "flags", LXC_FILE_API, NULL, { 203, 200 } },
    { LXC_API_ENTER_SECLABEL, LXC_SITE_ARG, 0, "model", LXC_FILE_API, NULL, { 205, 202 } },
    { LXC_API_ENTER_SECLABEL, LXC_SITE_ARG, 0, "label", LXC_FILE_API, NULL, { 206, 203 } },
    { LXC_API_ENTER_SECLABEL, LXC_SITE_REPORT, VIR_ERR_SYSTEM_ERROR,
      "unable to get PID %d security context", LXC_FILE_API, NULL, { 217, 214 } },
    { LXC_API_ENTER_SECLABEL, LXC_SITE_REPORT, VIR_ERR_INTERNAL_ERROR,
      "security label exceeds maximum length: %d", LXC_FILE_API, NULL, { 224, 221 } },
    { LXC_API_ENTER_SECLABEL, LXC_SITE_REPORT, VIR_ERR_SYSTEM_ERROR, "%s", LXC_FILE_API, NULL,
      { 234, 230 } },
    { LXC_API_ENTER_SECLABEL, LXC_SITE_REPORT, VIR_ERR_SYSTEM_ERROR, "Cannot set context %s",
      LXC_FILE_API, NULL, { 241, 237 } },
    { LXC_API_ENTER_SECLABEL, LXC_SITE_REPORT, VIR_ERR_SYSTEM_ERROR,
      "error changing profile to %s", LXC_FILE_API, NULL, { 254, 250 } },
    { LXC_API_ENTER_SECLABEL, LXC_SITE_REPORT, VIR_ERR_ARGUMENT_UNSUPPORTED,
      "Security model %s cannot be entered", LXC_FILE_API, NULL, { 266, 262 } },

    { LXC_API_ENTER_CGROUP, LXC_SITE_ENTRY, 0, NULL, LXC_FILE_API, NULL, { 301, 297 } },
    { LXC_API_ENTER_CGROUP, LXC_SITE_DOMAIN, 0, NULL, LXC_FILE_API, NULL, { 305, 301 } },
    { LXC_API_ENTER_CGROUP, LXC_SITE_READONLY, 0, NULL, LXC_FILE_API, NULL, { 308, 304 } },
    { LXC_API_ENTER_CGROUP, LXC_SITE_ARG, 0, "flags", LXC_FILE_API, NULL, { 309, 305 } },
};

#define LXC_NSITES (sizeof(lxcSites) / sizeof(lxcSites[0]))

/* The public function the calling thread is in (set by its entry record),
 * whose name its errors are raised under. */
static __thread lxcApi lxcCurrentApi;

static lxcLogSource lxcApiSource = LXC_LOG_SOURCE_INIT(LXC_LOG_NAME_API);

static int
lxcRelease(void)
{
    return lxcVirVersion() >= LXC_REL_11_3_VERSION ? LXC_REL_11_3 : LXC_REL_9_0;
}

static lxcSite
lxcSiteOf(size_t row)
{
    lxcSite site;

    site.file = lxcSites[row].file;
    site.func = lxcSites[row].func ? lxcSites[row].func : lxcApiNames[lxcSites[row].api];
    site.line = lxcSites[row].line[lxcRelease()];
    return site;
}

static int
lxcKeyMatches(const char *want, const char *key)
{
    return !want || (key && strcmp(want, key) == 0);
}

lxcSite
lxcErrorSite(lxcSiteKind kind, int code, const char *key, const char *fallback)
{
    lxcApi api = lxcCurrentApi;
    lxcSite site = { __FILE__, fallback, 0 };
    size_t i;

    if (api == LXC_API_NONE)
        return site;
    for (i = 0; i < LXC_NSITES; i++) {
        if (lxcSites[i].api == api && lxcSites[i].kind == (int)kind &&
            (lxcSites[i].code == 0 || lxcSites[i].code == code) &&
            lxcKeyMatches(lxcSites[i].key, key))
            return lxcSiteOf(i);
    }
    /* Raised where libvirt has no like (or in one of its helpers not in
     * the table): under the public function's name, line 0. */
    site.file = LXC_FILE_API;
    site.func = lxcApiNames[api];
    return site;
}

/* libvirt's logger for one call, bracketed (forksafe.h) until
 * lxcLogEnd(); NULL when there is none to call (then no lxcLogEnd()). */
static lxcVirLogMessageFunc
lxcLogBegin(void)
{
    lxcVirLogMessageFunc logMessage = lxcVirLogMessage();

#ifdef LXC_LOG_COMPILED_OUT
    /* bench/run.sh's baseline: the library as it was before it logged. */
    logMessage = NULL;
#endif
    if (logMessage)
        lxcVirEnter();
    return logMessage;
}

static void
lxcLogEnd(void)
{
    lxcVirLeave();
}

int
lxcLogLeast(lxcLogSource *src)
{
    lxcVirLogMessageFunc logMessage = lxcLogBegin();

    if (!logMessage)
        return 0;
    /* A record below every priority: libvirt brings @src up to date with
     * its filters and drops the record before formatting anything. */
    logMessage(src, 0, __FILE__, __LINE__, __func__, NULL, "");
    lxcLogEnd();
    return (int)src->priority;
}

int
lxcLogEnabled(lxcLogSource *src, lxcLogPriority priority)
{
    int least = lxcLogLeast(src);

    return least > 0 && (int)priority >= least;
}

/* @fmt with @ap, into @buf when it fits, else into a malloc()ed copy (the
 * caller frees what is not @buf); cut to @buf when out of memory. */
static char *
lxcLogFormat(char *buf, size_t size, const char *fmt, va_list ap)
{
    char *big;
    va_list ap2;
    int n;

    va_copy(ap2, ap);
    n = vsnprintf(buf, size, fmt, ap);
    if (n >= 0 && (size_t)n >= size && (big = malloc((size_t)n + 1))) {
        vsnprintf(big, (size_t)n + 1, fmt, ap2);
        va_end(ap2);
        return big;
    }
    va_end(ap2);
    return buf;
}

void
lxcLogMessage(lxcLogSource *src, lxcLogPriority priority, const char *file,
              const char *funcname, int linenr, const char *fmt, ...)
{
    lxcVirLogMessageFunc logMessage = lxcLogBegin();
    char buf[LOG_TEXT_STACK];
    char *text;
    va_list ap;

    if (!logMessage)
        return;
    va_start(ap, fmt);
    text = lxcLogFormat(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    logMessage(src, priority, file, linenr, funcname, NULL, "%s", text);
    lxcLogEnd();
    if (text != buf)
        free(text);
}

static size_t
lxcEntryRow(lxcApi api)
{
    size_t i;

    for (i = 0; i < LXC_NSITES; i++) {
        if (lxcSites[i].api == api && lxcSites[i].kind == LXC_SITE_ENTRY)
            break;
    }
    return i;
}

/* The entry record of @api, @fmt's text; after libvirt's VIR_DOMAIN_DEBUG
 * prefix when @withDomain (no name and an empty uuid for anything that is
 * not a domain). The caller checked that it is enabled. */
static void
lxcLogEntryV(lxcApi api, int withDomain, virDomainPtr dom, const char *fmt,
             va_list ap)
{
    lxcVirLogMessageFunc logMessage = lxcLogBegin();
    lxcSite site = lxcSiteOf(lxcEntryRow(api));
    char uuid[VIR_UUID_STRING_BUFLEN] = "";
    const char *name = NULL;
    char buf[LOG_TEXT_STACK], *body;

    if (!logMessage)
        return;
    body = lxcLogFormat(buf, sizeof(buf), fmt, ap);
    if (!withDomain)
        logMessage(&lxcApiSource, LXC_LOG_DEBUG, site.file, site.line, site.func,
                   NULL, "%s", body);
    else {
        if (lxcDomainIdent(dom, &name, uuid) < 0) {
            name = NULL;
            uuid[0] = '\0';
        }
        logMessage(&lxcApiSource, LXC_LOG_DEBUG, site.file, site.line, site.func,
                   NULL, "dom=%p, (VM: name=%s, uuid=%s), %s",
                   (void *)dom, name ? name : "<null>", uuid, body);
    }
    lxcLogEnd();
    if (body != buf)
        free(body);
}

void
lxcLogDomainEntry(lxcApi api, virDomainPtr dom, const char *fmt, ...)
{
    va_list ap;

    lxcCurrentApi = api;
    if (!lxcLogEnabled(&lxcApiSource, LXC_LOG_DEBUG))
        return;
    va_start(ap, fmt);
    lxcLogEntryV(api, 1, dom, fmt, ap);
    va_end(ap);
}

void
lxcLogEntry(lxcApi api, const char *fmt, ...)
{
    va_list ap;

    lxcCurrentApi = api;
    if (!lxcLogEnabled(&lxcApiSource, LXC_LOG_DEBUG))
        return;
    va_start(ap, fmt);
    lxcLogEntryV(api, 0, NULL, fmt, ap);
    va_end(ap);
}
