/*
 * open_namespace.c: virDomainLxcOpenNamespace, the one call that needs the
 * daemon. The C side checks arguments in libvirt's order and reports errors;
 * the RPC itself is done by the Go core, always in the caller's core
 * process (capi/coreproc/): no caller ever runs Go.
 */
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt-lxc.h>

#include "coreabi.h"
#include "coreload.h"
#include "coreproc/client.h"
#include "internal.h"
#include "log.h"

LXC_EXPORT int
virDomainLxcOpenNamespace(virDomainPtr domain,
                          int **fdlist,
                          unsigned int flags)
{
    static const char *const func = "virDomainLxcOpenNamespace";
    virConnectPtr conn;
    lxcCoreRequest req;
    lxcCoreError err;
    char *uri = NULL;
    int n;

    lxcLogDomainEntry(LXC_API_OPEN_NAMESPACE, domain, "fdlist=%p flags=0x%x",
                      (void *)fdlist, flags);
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
    if (!(uri = virConnectGetURI(conn)))
        goto error; /* libvirt reported why */

    /* Then the connection's driver decides, as in libvirt: only its remote
     * driver (which clears *fdlist first) and the LXC driver implement the
     * call; any other driver of this process leaves *fdlist alone and is
     * "not supported" (virReportUnsupportedError in src/libvirt-lxc.c). */
    memset(&req, 0, sizeof(req));
    req.driver = lxcConnGetDriver(domain, uri);
    if (req.driver == LXC_CORE_DRIVER_OTHER) {
        lxcReportError(VIR_FROM_NONE, VIR_ERR_NO_SUPPORT, "%s", func);
        goto error;
    }
    *fdlist = NULL;

    req.uri = uri;
    req.name = virDomainGetName(domain);
    if (virDomainGetUUID(domain, req.uuid) < 0)
        goto error;
    req.id = (int)virDomainGetID(domain);
    req.flags = flags;

    memset(&err, 0, sizeof(err));
    n = lxcProcOpenNamespace(&req, fdlist, &err);
    if (n < 0) {
        *fdlist = NULL;
        lxcRaiseCoreError(&err);
        lxcCoreErrorFree(&err);
        goto error;
    }
    free(uri);
    return n;

 error:
    free(uri);
    lxcDispatch(conn);
    return -1;
}
