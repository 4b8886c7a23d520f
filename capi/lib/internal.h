/*
 * internal.h: libvirt glue shared by every function of libvirt-lxc.so.0
 * (error.c, domain.c, libvirt_private.c, libvirt_syms.c, fileio.c).
 *
 * libvirt.so.0 has no public way to set its last error, to validate a
 * virDomainPtr or to read a connection's read-only flag. The functions here
 * reach libvirt's private helpers by name at run time (never by version
 * node, which changes with every libvirt release) and fall back to public
 * calls when a name is missing, so the library runs with any libvirt.so.0.
 *
 * Every report below fills virGetLastError() field for field as libvirt's own
 * libvirt-lxc.so.0 does for the same condition. Reports only set the error;
 * the public entry point calls lxcDispatch() once before returning -1.
 *
 * Post-fork safe: symbol resolution happens once (pthread_once, also run
 * from a constructor at load time); nothing else takes a lock of ours.
 */
#ifndef LXC_INTERNAL_H
#define LXC_INTERNAL_H

#include <sys/types.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "../channel/coreabi.h"
#include "forksafe.h"

#if defined(__GNUC__)
# define LXC_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
# define LXC_PRINTF(a, b)
#endif

/* The library is built with -fvisibility=hidden; the public functions (and
 * only they, as listed in libvirt_lxc.syms) are marked with this. */
#if defined(__GNUC__)
# define LXC_EXPORT __attribute__((visibility("default")))
#else
# define LXC_EXPORT
#endif

/* error.c: the error funnel. */

/* Reset libvirt's last error (public virResetLastError). The first call
 * also runs virInitialize(): libvirt's last-error slot does not exist
 * before it, and libvirt's own library crashes when called that early. */
void lxcResetError(void);

/* Set libvirt's thread-local last error to exactly these fields; @message is
 * the final text. Level is a virErrorLevel. conn/dom/net stay NULL, as in
 * every error libvirt itself raises. */
void lxcRaise(int domain, int code, int level,
              const char *str1, const char *str2, const char *str3,
              int int1, int int2, const char *message);

/* Raise an error of the Go core (coreabi.h): a final one field for field, one
 * to format as libvirt's own report of its code would be in this process. */
void lxcRaiseCoreError(const lxcCoreError *err);

/* NULL argument: 8/0 "<argname> in <funcname> must not be NULL",
 * str1 funcname, str2 argname, ints 0/0. */
void lxcReportInvalidArg(const char *funcname, const char *argname);

/* Other invalid-argument reports (same str/int convention as above, free
 * message text without the "invalid argument: " prefix), e.g. 8/0 "Expected
 * at least one file descriptor" with str1 "virProcessSetNamespaces". */
void lxcReportInvalidArgMsg(const char *funcname, const char *argname,
                            const char *fmt, ...) LXC_PRINTF(3, 4);

/* flags != 0: 8/0 "unsupported flags (0x<flags>) in function <funcname>",
 * str1 funcname, str2 "flags", ints 0/0. */
void lxcReportUnsupportedFlags(const char *funcname, unsigned int flags);

/* libvirt's virReportSystemError: 38/0 "<text>: <strerror(errnum)>", str1
 * libvirt's template for code 38 ("%s" in libvirt 9.0), str2 the full
 * message, int1 errnum, int2 -1. */
void lxcReportSystemError(int errnum, const char *fmt, ...) LXC_PRINTF(2, 3);

/* The same, from error domain @domain (e.g. VIR_FROM_CGROUP). */
void lxcReportSystemErrorFrom(int domain, int errnum, const char *fmt, ...)
    LXC_PRINTF(3, 4);

/* libvirt's virReportError, an ordinary report of @code from error domain
 * @domain: message libvirt's template for @code filled with the detail
 * ("argument unsupported: <detail>"), str1 the template, str2 the detail,
 * ints -1/-1. The templates are those of the running libvirt.so.0. */
void lxcReportError(int domain, int code, const char *fmt, ...) LXC_PRINTF(3, 4);

/* 7/6 "invalid domain pointer in <funcname>": lxcReportError(VIR_FROM_DOM,
 * VIR_ERR_INVALID_DOMAIN) with the detail funcname. */
void lxcReportInvalidDomain(const char *funcname);

/* 29/0: lxcReportError(VIR_FROM_NONE, VIR_ERR_OPERATION_DENIED) with the
 * detail "read only access prevents <funcname>". */
void lxcReportReadOnly(const char *funcname);

/* virDispatchError(conn): copies the last error into @conn (when non-NULL)
 * and calls the connection's handler, else the global one, else libvirt's
 * default stderr printer. Generic "cause is unknown" error if none is set. */
void lxcDispatch(virConnectPtr conn);

/* domain.c: checks of a virDomainPtr. */

/* 0 if @dom is a valid virDomainPtr (and its connection a valid
 * virConnectPtr). Otherwise reports lxcReportInvalidDomain(funcname) and
 * returns -1; the caller dispatches with NULL, as libvirt does. */
int lxcCheckDomain(virDomainPtr dom, const char *funcname);

/* @dom's connection, for lxcDispatch(); NULL when @dom is NULL or not a
 * valid domain. Reports nothing, but resets the last error: call it before
 * reporting. */
virConnectPtr lxcDomainConn(virDomainPtr dom);

/* libvirt_private.c: reads of libvirt's private struct layouts. */

/* Whether @dom's connection is read-only: 1 yes, 0 no, -1 unknown.
 * Leaves no error set and calls no error handler when it can read the flag
 * directly (see libvirt_private.c); its public-API fallback probe, used only
 * with an unrecognised libvirt.so, does make libvirt dispatch one error. */
int lxcConnIsReadOnly(virDomainPtr dom);

/* The name and formatted uuid of @dom, read without a call into libvirt
 * (whose getters log records of their own). Returns -1 when @dom is not a
 * valid domain or its layout is not recognised. */
int lxcDomainIdent(virDomainPtr dom, const char **name,
                   char uuid[VIR_UUID_STRING_BUFLEN]);

/* The driver behind @dom's connection (coreabi.h), whose virConnectGetURI()
 * is @uri. No RPC, no error left set. */
lxcCoreDriver lxcConnPeekDriver(virDomainPtr dom, const char *uri);

/* lxcConnPeekDriver, remembered (error.c) as the driver whose final errors
 * the core hands back to the calling thread (lxcRaiseCoreError). */
lxcCoreDriver lxcConnGetDriver(virDomainPtr dom, const char *uri);

/* libvirt_syms.c: libvirt's private functions, looked up by name. */

/* libvirt's private virLogMessage(source, priority, filename, linenr,
 * funcname, metadata, fmt, ...), NULL when libvirt.so.0 lacks it; log.h
 * is the way to use it. */
typedef void (*lxcVirLogMessageFunc)(void *source, int priority,
                                     const char *filename, int linenr,
                                     const char *funcname, void *metadata,
                                     const char *fmt, ...);
lxcVirLogMessageFunc lxcVirLogMessage(void);

/* The version of the libvirt.so.0 this process loaded, as major * 1000000
 * + minor * 1000 + micro, read from its file name (libvirt names it
 * libvirt.so.0.<major * 1000 + minor>.<micro>); 0 when unknown. */
int lxcVirVersion(void);

/* fileio.c: fork-safe file I/O. */

/* Small files of procfs, sysfs and cgroupfs, with plain syscalls only (safe
 * in a child after fork()). The reader fills @buf with up to @size - 1
 * bytes, NUL-terminated, and returns the length; the writer writes all of
 * @data at once (these files take one write) and returns 0. Both return -1
 * with errno set. */
ssize_t lxcReadSmallFile(const char *path, char *buf, size_t size);
int lxcWriteSmallFile(const char *path, int flags, const char *data, size_t len);

/* Number of threads of this process from /proc/self/status, 0 if unknown
 * (e.g. inside a container's mount namespace, whose /proc does not show
 * us). Plain read(2): safe in a child after fork(). */
long lxcThreadCount(void);

#endif /* LXC_INTERNAL_H */
