/*
 * logging: every function of libvirt-lxc.so.0 on its entry and its error
 * paths, one after the other in one process, for tests/live/logging_test.go
 * to compare what libvirt's logger writes (to the LIBVIRT_LOG_OUTPUTS the
 * test sets) with ours and with the system library.
 *
 *   logging    prints "lib <path>", then calls; the log is the output
 *
 * The calls change nothing: each fails before it acts, or acts as a no-op
 * (OpenNamespace's fds are closed, the "none" security model). Errors go
 * to a quiet handler, so that stderr holds only the log.
 */
#include "tc.h"

static void
quiet(void *opaque, virErrorPtr err)
{
    (void)opaque;
    (void)err;
}

static void
openNamespace(virDomainPtr dom, int nullList, unsigned int flags)
{
    int *fds = NULL;
    int i, n = virDomainLxcOpenNamespace(dom, nullList ? NULL : &fds, flags);

    for (i = 0; i < n; i++)
        close(fds[i]);
    free(fds);
}

int
main(void)
{
    virSecurityModel none, bogus;
    virSecurityLabel label;
    virConnectPtr conn, ro;
    virDomainPtr plain, off, plainRO;
    int badfd = 1000;

    tcPrintLib();
    virSetErrorFunc(NULL, quiet);
    conn = tcOpen(0);
    ro = tcOpen(1);
    plain = tcDomain(conn, "lxcgo-plain");
    off = tcDomain(conn, "lxcgo-off");
    plainRO = tcDomain(ro, "lxcgo-plain");

    openNamespace(plain, 0, 0);
    openNamespace(NULL, 0, 0);
    openNamespace(plain, 1, 0);
    openNamespace(plainRO, 0, 0);
    openNamespace(off, 0, 0);
    openNamespace(plain, 0, 1);

    /* (libvirt's own crashes on a NULL domain here: not called.) */
    virDomainLxcEnterNamespace(plain, 0, NULL, NULL, NULL, 1);
    virDomainLxcEnterNamespace(plain, 0, NULL, NULL, NULL, 0);
    virDomainLxcEnterNamespace(plain, 1, &badfd, NULL, NULL, 0);

    memset(&none, 0, sizeof(none));
    memset(&bogus, 0, sizeof(bogus));
    memset(&label, 0, sizeof(label));
    strcpy(none.model, "none");
    strcpy(bogus.model, "bogus");
    strcpy(label.label, "system_u:system_r:svirt_lxc_net_t:s0");
    virDomainLxcEnterSecurityLabel(&none, &label, NULL, 1);
    virDomainLxcEnterSecurityLabel(NULL, &label, NULL, 0);
    virDomainLxcEnterSecurityLabel(&none, NULL, NULL, 0);
    virDomainLxcEnterSecurityLabel(&bogus, &label, NULL, 0);
    virDomainLxcEnterSecurityLabel(&none, &label, NULL, 0);

    virDomainLxcEnterCGroup(NULL, 0);
    virDomainLxcEnterCGroup(plainRO, 0);
    virDomainLxcEnterCGroup(plain, 1);

    tcRelease();
    return 0;
}
