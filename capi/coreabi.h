/*
 * The boundary between libvirt-lxc.so.0 (C) and the private Go core
 * (libvirt-lxc-core.so, built -buildmode=c-shared from capi/core).
 *
 * The C library dlopen()s the core on the first OpenNamespace call and looks
 * up LXC_CORE_OPEN_SYMBOL. Everything that crosses is plain C data: the core
 * never sees a libvirt object and never calls libvirt, so the core needs no
 * libvirt headers and the C side owns all error reporting.
 */
#ifndef LXC_COREABI_H
#define LXC_COREABI_H

#define LXC_CORE_ABI_VERSION 2
#define LXC_CORE_OPEN_SYMBOL "lxcCoreOpenNamespace"
#define LXC_CORE_VERSION_SYMBOL "lxcCoreABIVersion"

/* A libvirt error, field for field as virGetLastError() shows it. Strings
 * are malloc()ed by the core (or NULL) and freed by the C side. */
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
} lxcCoreRequest;

/* Returns the number of fds (>= 0) and sets *fds to a malloc()ed array of
 * close-on-exec fds (NULL when 0), in the daemon's order. On failure returns
 * -1, sets *fds to NULL, leaves no fd open and fills *err. */
typedef int (*lxcCoreOpenFunc)(const lxcCoreRequest *req, int **fds,
                               lxcCoreError *err);
typedef int (*lxcCoreVersionFunc)(void);

#endif
