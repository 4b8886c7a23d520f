/*
 * libvirt_syms.h: libvirt.so.0's private functions and classes, for the
 * glue that calls them (error.c, domain.c, libvirt_private.c).
 *
 * libvirt_syms.c looks them up by bare name at run time; each one may be
 * missing from the libvirt.so.0 the process loaded, and its user then falls
 * back to public calls.
 */
#ifndef LXC_LIBVIRT_SYMS_H
#define LXC_LIBVIRT_SYMS_H

#include <stdbool.h>
#include <stddef.h>

#include "internal.h"

typedef void (*lxcVirRaiseFunc)(const char *filename, const char *funcname,
                          size_t linenr, int domain, int code, int level,
                          const char *str1, const char *str2, const char *str3,
                          int int1, int int2, const char *fmt, ...);
/* virReportErrorHelper(domain, code, ...) and virReportSystemErrorFull(domain,
 * errno, ...): what libvirt's virReportError and virReportSystemError expand
 * to. */
typedef void (*lxcVirReportFunc)(int domain, int codeOrErrno, const char *filename,
                           const char *funcname, size_t linenr,
                           const char *fmt, ...);
typedef int (*lxcVirSetErrorFunc)(virErrorPtr err);
typedef void (*lxcVirDispatchFunc)(virConnectPtr conn);
typedef bool (*lxcVirIsClassFunc)(void *obj, void *klass);
typedef const char *(*lxcVirErrorMsgFunc)(int code, const char *info);

/* The symbols, each NULL when libvirt.so.0 lacks it. */
typedef struct {
    lxcVirReportFunc reportError;
    lxcVirReportFunc reportSystem;
    lxcVirRaiseFunc raise;
    lxcVirSetErrorFunc setError;
    lxcVirDispatchFunc dispatch;
    lxcVirIsClassFunc isClass;
    void **domainClass;   /* address of libvirt's "virClass *virDomainClass" */
    void **connectClass;
    lxcVirErrorMsgFunc errorMsg;
    lxcVirLogMessageFunc logMessage;
    int version;          /* lxcVirVersion() */
} lxcVirSyms;

/* The symbols of the libvirt.so.0 this process loaded, looked up once (at
 * load time, or on the first call). */
const lxcVirSyms *lxcVirSymbols(void);

#endif /* LXC_LIBVIRT_SYMS_H */
