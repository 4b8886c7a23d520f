/*
 * open_namespace.c: virDomainLxcOpenNamespace, the one call that needs the
 * daemon. The C side checks arguments in libvirt's order and reports errors;
 * the RPC itself is done by the Go core (loader.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt-lxc.h>

#include "coreabi.h"
#include "internal.h"
#include "loader.h"

static void
freeCoreError(lxcCoreError *err)
{
    free(err->message);
    free(err->str1);
    free(err->str2);
    free(err->str3);
}

int
virDomainLxcOpenNamespace(virDomainPtr domain,
                          int **fdlist,
                          unsigned int flags)
{
    static const char *const func = "virDomainLxcOpenNamespace";
    virConnectPtr conn;
    lxcCoreRequest req;
    lxcCoreError err;
    lxcCoreOpenFunc coreOpen;
    char *uri = NULL;
    int n;

    lxcResetError();
    if (lxcCheckDomain(domain, func) < 0) {
        lxcDispatch(NULL);
        return -1;
    }
    conn = virDomainGetConnect(domain);

    if (!fdlist) {
        lxcReportInvalidArg(func, "fdlist");
        goto error;
    }
    *fdlist = NULL;

    /* libvirt refuses read-only connections before sending anything. */
    if (lxcConnIsReadOnly(domain) == 1) {
        lxcReportReadOnly(func);
        goto error;
    }

    memset(&req, 0, sizeof(req));
    if (!(uri = virConnectGetURI(conn)))
        goto error; /* libvirt reported why */
    req.uri = uri;
    req.readonly = 0;
    req.name = virDomainGetName(domain);
    if (virDomainGetUUID(domain, req.uuid) < 0)
        goto error;
    req.id = (int)virDomainGetID(domain);
    req.flags = flags;

    if (!(coreOpen = lxcCoreGet(func)))
        goto error;

    memset(&err, 0, sizeof(err));
    n = coreOpen(&req, fdlist, &err);
    if (n < 0) {
        *fdlist = NULL;
        lxcRaise(err.domain, err.code, err.level, err.str1, err.str2, err.str3,
                 err.int1, err.int2,
                 err.message ? err.message : "Unknown error");
        freeCoreError(&err);
        goto error;
    }
    free(uri);
    return n;

 error:
    free(uri);
    lxcDispatch(conn);
    return -1;
}
