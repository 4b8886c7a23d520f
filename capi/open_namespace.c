/*
 * open_namespace.c: virDomainLxcOpenNamespace, the one call that needs the
 * daemon. The C side checks arguments in libvirt's order and reports errors;
 * the RPC itself is done by the Go core: in this process (loader.c), or in
 * the libvirt-lxc-open helper (outofprocess.c) when this process must stay
 * free of the Go runtime.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

#include <libvirt/libvirt-lxc.h>

#include "coreabi.h"
#include "internal.h"
#include "loader.h"
#include "outofprocess.h"

static void
freeCoreError(lxcCoreError *err)
{
    free(err->message);
    free(err->str1);
    free(err->str2);
    free(err->str3);
}

/* Whether this call goes to the helper. Loading the core here would make a
 * single-threaded caller multi-threaded for good (no more setns() into a
 * user namespace, which virt-login-shell's helper needs next), and a child
 * forked after the core was loaded cannot use the dead Go runtime it
 * inherited. Once the core is loaded in this very process, it is used: the
 * caller is multi-threaded already. Without the helper, the in-process core
 * is the fallback (lxcCoreGet refuses a forked child with a clear error). */
static int
useHelper(void)
{
    char path[PATH_MAX + 64];

    /* A setuid (secure-mode) process must not hand its caller's
     * environment (GODEBUG, GOTRACEBACK, ...) to a Go runtime: the helper
     * runs with a fixed environment, and only it is used there (if it is
     * missing, its error says so). */
    if (getauxval(AT_SECURE))
        return 1;
    if (lxcCoreLoadedHere())
        return 0;
    if (!lxcCoreForkedAfterLoad() && lxcThreadCount() != 1)
        return 0;
    return lxcOpenHelperFind(path, sizeof(path)) == 0;
}

LXC_EXPORT int
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

    /* libvirt refuses read-only connections before sending anything, and
     * leaves *fdlist as the caller had it: its remote driver, which clears
     * it, is never reached. */
    if (lxcConnIsReadOnly(domain) == 1) {
        lxcReportReadOnly(func);
        goto error;
    }
    *fdlist = NULL;

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

    memset(&err, 0, sizeof(err));
    if (useHelper()) {
        n = lxcOpenOutOfProcess(&req, fdlist, &err);
    } else {
        if (!(coreOpen = lxcCoreGet(func)))
            goto error;
        n = coreOpen(&req, fdlist, &err);
    }
    if (n < 0) {
        *fdlist = NULL;
        lxcRaiseCoreError(&err);
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
