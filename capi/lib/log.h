/*
 * log.h: logging through the running libvirt's own logger.
 *
 * Records go to libvirt.so.0's virLogMessage (a private symbol, looked up
 * by name at run time like the error setters, libvirt_syms.c), each under a
 * filter name, so that LIBVIRT_DEBUG, LIBVIRT_LOG_FILTERS,
 * LIBVIRT_LOG_OUTPUTS and a daemon's log_filters/log_outputs select and
 * route them as they do libvirt's own records. Without virLogMessage
 * nothing is logged.
 *
 * libvirt matches a filter against a source's name as a glob, a filter
 * without '*' as "*<filter>*": "1:rpc" selects "libvirt-lxc.rpc" as it
 * selects libvirt's "rpc.netclient", and "1:libvirt-lxc" selects every
 * source below.
 *
 * Nothing is formatted when a record's priority is filtered out: every
 * LXC_LOG first asks libvirt (lxcLogEnabled), as libvirt's own logger
 * checks a source's priority before it formats.
 */
#ifndef LXC_LOG_H
#define LXC_LOG_H

#include <libvirt/libvirt.h>

#include "internal.h"

/* lxcLogPriority: libvirt's virLogPriority, in coreabi.h (the core's
 * records carry it too). */

/* libvirt's virLogSource, which its logger reads and updates in place:
 * the name filters match, the priority the filters give it, and the
 * filter generation that priority was computed for. Older releases had a
 * flags word after them; it is kept so that they find room for it. */
typedef struct {
    const char *name;
    unsigned int priority;
    unsigned int serial;
    unsigned int flags;
} lxcLogSource;

/* Filter names: libvirt's for this library (its VIR_LOG_INIT in
 * src/libvirt-lxc.c), and the project's own below it. */
#define LXC_LOG_NAME_API "libvirt-lxc"
#define LXC_LOG_NAME_RPC "libvirt-lxc.rpc"
#define LXC_LOG_NAME_COREPROC "libvirt-lxc.coreproc"

/* A source as libvirt's VIR_LOG_INIT makes one: not yet matched against
 * the filters (serial 0), errors only until it is. */
#define LXC_LOG_SOURCE_INIT(filtername) { (filtername), LXC_LOG_ERROR, 0, 0 }

/* Whether a record of @priority from @src would be logged now. Cheap: one
 * call into libvirt that formats nothing (it refreshes @src when the
 * filters changed). */
int lxcLogEnabled(lxcLogSource *src, lxcLogPriority priority);

/* The least priority of the records from @src that would be logged now,
 * 0 when nothing can be logged (no libvirt logger). */
int lxcLogLeast(lxcLogSource *src);

/* Log one record (the caller checked lxcLogEnabled first: LXC_LOG does).
 * @file, @funcname and @linenr are what libvirt's outputs show (the
 * function and line in every line, the file in the journal's CODE_FILE). */
void lxcLogMessage(lxcLogSource *src, lxcLogPriority priority,
                   const char *file, const char *funcname, int linenr,
                   const char *fmt, ...) LXC_PRINTF(6, 7);

#define LXC_LOG(src, priority, ...) \
    do { \
        if (lxcLogEnabled((src), (priority))) \
            lxcLogMessage((src), (priority), __FILE__, __func__, __LINE__, \
                          __VA_ARGS__); \
    } while (0)

#define LXC_DEBUG(src, ...) LXC_LOG((src), LXC_LOG_DEBUG, __VA_ARGS__)
#define LXC_INFO(src, ...) LXC_LOG((src), LXC_LOG_INFO, __VA_ARGS__)
#define LXC_WARN(src, ...) LXC_LOG((src), LXC_LOG_WARN, __VA_ARGS__)
#define LXC_ERROR(src, ...) LXC_LOG((src), LXC_LOG_ERROR, __VA_ARGS__)

/*
 * The four public functions log and raise errors with the function names
 * and line numbers of libvirt's src/libvirt-lxc.c (and of the libvirt
 * helpers it raises some errors in), those of the running release: see
 * the table in log.c.
 */
typedef enum {
    LXC_API_NONE,
    LXC_API_OPEN_NAMESPACE,
    LXC_API_ENTER_NAMESPACE,
    LXC_API_ENTER_SECLABEL,
    LXC_API_ENTER_CGROUP,
} lxcApi;

/* The entry record of @api, libvirt's VIR_DOMAIN_DEBUG: "dom=<dom>, (VM:
 * name=<name>, uuid=<uuid>), " then @fmt. Also makes @api the calling
 * thread's current function, under whose name its errors are raised. */
void lxcLogDomainEntry(lxcApi api, virDomainPtr dom, const char *fmt, ...)
    LXC_PRINTF(3, 4);

/* The same without a domain (libvirt's plain VIR_DEBUG). */
void lxcLogEntry(lxcApi api, const char *fmt, ...) LXC_PRINTF(2, 3);

/* What an error is, for finding where libvirt raises it. */
typedef enum {
    LXC_SITE_ARG,        /* an invalid argument; key: its name */
    LXC_SITE_DOMAIN,     /* invalid domain pointer */
    LXC_SITE_READONLY,   /* read-only connection */
    LXC_SITE_REPORT,     /* another report; key: its format, NULL any */
    LXC_SITE_DAEMON,     /* an error the daemon sent back */
    LXC_SITE_DRIVER,     /* an error of the LXC driver, in its daemon */
} lxcSiteKind;

typedef struct {
    const char *file;
    const char *func;
    int line;
} lxcSite;

/* Where libvirt raises the error of @kind (@code a virErrorNumber, @key as
 * above) in the calling thread's current function. Outside the four
 * functions: @fallback, this library's own name for the place. */
lxcSite lxcErrorSite(lxcSiteKind kind, int code, const char *key,
                     const char *fallback);

#endif /* LXC_LOG_H */
