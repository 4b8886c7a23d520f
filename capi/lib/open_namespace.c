/*
 * open_namespace.c: virDomainLxcOpenNamespace, the one call that needs the
 * daemon. The C side checks arguments in libvirt's order and reports errors;
 * the RPC itself is done by the Go core, always in the caller's core
 * process (coreproc_client.c; the core process is capi/helper): no
 * caller ever runs Go.
 */
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt-lxc.h>

#include "../channel/coreabi.h"
#include "../channel/coreerror.h"
#include "coreproc_client.h"
#include "internal.h"
#include "log.h"

static const char *const lxcOpenFunc = "virDomainLxcOpenNamespace";

/* The request for @domain on the connection @uri names. The connection's
 * driver decides first, as in libvirt: only its remote driver (which
 * clears *@fdlist first) and the LXC driver implement the call; any other
 * driver of this process leaves *@fdlist alone and is "not supported"
 * (virReportUnsupportedError in src/libvirt-lxc.c). -1 with the error
 * reported. */
static int
lxcOpenRequest(virDomainPtr domain, char *uri, int **fdlist, unsigned int flags,
               lxcCoreRequest *req)
{
    memset(req, 0, sizeof(*req));
    req->driver = lxcConnGetDriver(domain, uri);
    if (req->driver == LXC_CORE_DRIVER_OTHER) {
        lxcReportError(VIR_FROM_NONE, VIR_ERR_NO_SUPPORT, "%s", lxcOpenFunc);
        return -1;
    }
    *fdlist = NULL;
    req->uri = uri;
    req->name = lxcVirDomainGetName(domain);
    if (lxcVirDomainGetUUID(domain, req->uuid) < 0)
        return -1;
    req->id = (int)lxcVirDomainGetID(domain);
    req->flags = flags;
    return 0;
}

LXC_EXPORT int
virDomainLxcOpenNamespace(virDomainPtr domain,
                          int **fdlist,
                          unsigned int flags)
{
    virConnectPtr conn;
    lxcCoreRequest req;
    lxcCoreError err;
    char *uri = NULL;
    int n;

    lxcLogDomainEntry(LXC_API_OPEN_NAMESPACE, domain, "fdlist=%p flags=0x%x",
                      (void *)fdlist, flags);
    lxcResetError();
    if (lxcCheckDomain(domain, lxcOpenFunc) < 0) {
        lxcDispatch(NULL);
        return -1;
    }
    conn = lxcVirDomainGetConnect(domain);

    if (!fdlist) {
        lxcReportInvalidArg(lxcOpenFunc, "fdlist");
        goto error;
    }
    /* libvirt refuses read-only connections before sending anything, and
     * leaves *fdlist as the caller had it: its remote driver, which clears
     * it, is never reached. */
    if (lxcConnIsReadOnly(domain) == 1) {
        lxcReportReadOnly(lxcOpenFunc);
        goto error;
    }
    if (!(uri = lxcVirConnectGetURI(conn)))
        goto error; /* libvirt reported why */
    if (lxcOpenRequest(domain, uri, fdlist, flags, &req) < 0)
        goto error;

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
