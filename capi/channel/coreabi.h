/*
 * coreabi.h: the boundary between C and the private Go core
 * (libvirt-lxc-core.so, built -buildmode=c-shared from cmd/libvirt-lxc-core).
 *
 * The core process (capi/helper) dlopen()s the core and looks up
 * LXC_CORE_OPEN_SYMBOL; libvirt-lxc.so.0 (capi/lib) gets the same records
 * (an lxcCoreError, log records) over the channel (proto.h). Everything that
 * crosses is plain C data: the core never sees a libvirt object and never
 * calls libvirt, so the core needs no libvirt headers and the C side owns
 * all error reporting.
 */
#ifndef LXC_COREABI_H
#define LXC_COREABI_H

#define LXC_CORE_ABI_VERSION 4

/* The most threads of the core process that call into the core at once
 * (its main thread and its spares, capi/helper/main.c); the core sizes
 * the Go runtime for them (cmd/libvirt-lxc-core/main.go). */
#define LXC_CORE_MAX_CALLERS 4
/* The Go core's deadline for one whole call, connecting included: the
 * daemon drops a client that stops answering keepalives after about 30 s,
 * so waiting longer gains nothing. The core takes it from here
 * (cmd/libvirt-lxc-core/main.go), and the caller's wait for its core process is
 * derived from it (LXC_PROC_TIMEOUT_MS), so that the core always gives up
 * first and says why. */
#define LXC_CORE_CALL_TIMEOUT_S 30
#define LXC_CORE_OPEN_SYMBOL "lxcCoreOpenNamespace"
#define LXC_CORE_VERSION_SYMBOL "lxcCoreABIVersion"

/* A libvirt error on its way from the core to the caller, in one of two
 * forms. The core does not load libvirt.so.0, so only libvirt-lxc.so.0 in
 * the caller's process can look up the message templates of the libvirt
 * release that runs there ("internal error: %s" in 9.0, "internal error:
 * %1$s" in 11.x, translated in the caller's locale); the core never holds
 * one.
 *
 *  - Final, message != NULL: raised with every field as it is. Errors
 *    relayed from the daemon's remote_error are final (the daemon formatted
 *    them), and so are the few whose text is no template of libvirt's error
 *    table (the daemon's "unsupported flags" report).
 *  - To format, message == NULL: an error the core raises itself. Only
 *    code, domain and str2 (the detail), and for VIR_ERR_SYSTEM_ERROR (38)
 *    int1 (the errno), count; level, str1, str3 and int2 are ignored. The C
 *    side raises it exactly as libvirt's own reports would in the caller's
 *    process: virReportError(code, "%s", str2) from domain (message the
 *    code's template filled with str2, str1 the template, str2 the detail,
 *    ints -1), or for code 38 virReportSystemError(int1, "%s", str2)
 *    (detail "<str2>: <strerror(int1)>", int1 the errno, int2 -1).
 *
 * Strings are malloc()ed by the core (or NULL) and freed by the C side. */
typedef struct {
    int code;
    int domain;
    int level;
    char *message;
    char *str1;
    char *str2;
    char *str3;
    int int1;
    int int2;
} lxcCoreError;

/* The libvirt driver behind the caller's connection. Only the remote driver
 * talks to a daemon; the LXC driver runs inside the daemon, so a call on it
 * is the daemon's own, made while serving a client; no other driver has
 * OpenNamespace (the C side reports that itself: OTHER never crosses).
 * UNKNOWN: libvirt's connection object has a layout the C side does not
 * know; the core then treats the connection as remote. */
typedef enum {
    LXC_CORE_DRIVER_UNKNOWN,
    LXC_CORE_DRIVER_REMOTE,
    LXC_CORE_DRIVER_LXC,
    LXC_CORE_DRIVER_OTHER,
} lxcCoreDriver;

/* libvirt's virLogPriority: the priorities of log records, which cross
 * from the core to the caller's libvirt logger (lxcCoreLogFunc). */
typedef enum {
    LXC_LOG_DEBUG = 1,
    LXC_LOG_INFO,
    LXC_LOG_WARN,
    LXC_LOG_ERROR,
} lxcLogPriority;

/* Receives one record of the core's way to the daemon (the socket chosen,
 * connect, handshake, each message, keepalives, reconnects), made while a
 * request was served; the C side hands it to the caller's libvirt logger
 * (capi/lib/log.h, filter name "libvirt-lxc.rpc"). @file, @func and @line are
 * where in the Go core it was made. Called on the thread of the request,
 * before the request returns. */
typedef void (*lxcCoreLogFunc)(void *opaque, int priority, const char *file,
                               const char *func, int line, const char *text);

/* One OpenNamespace request, taken from the public getters of the caller's
 * virDomainPtr and its connection. (The read-only check is done before, by
 * the C side, as libvirt's client does it.) */
typedef struct {
    const char *uri;          /* virConnectGetURI() of the domain's connection */
    int caller;               /* pid of the process the call is made for: the
                               * core must not call a daemon that is it */
    const char *name;         /* virDomainGetName() */
    unsigned char uuid[16];   /* virDomainGetUUID() */
    int id;                   /* virDomainGetID(), -1 when inactive */
    unsigned int flags;       /* passed to the daemon unchanged */
    int driver;               /* lxcCoreDriver of the connection */
    int logPriority;          /* the least lxcLogPriority the caller logs
                               * for the core's records, 0 none: the core
                               * then formats nothing */
    lxcCoreLogFunc log;       /* NULL when logPriority is 0 */
    void *logOpaque;
} lxcCoreRequest;

/* Returns the number of fds (>= 0) and sets *fds to a malloc()ed array of
 * close-on-exec fds (NULL when 0), in the daemon's order. On failure returns
 * -1, sets *fds to NULL, leaves no fd open and fills *err. */
typedef int (*lxcCoreOpenFunc)(const lxcCoreRequest *req, int **fds,
                               lxcCoreError *err);
typedef int (*lxcCoreVersionFunc)(void);

#endif
