/*
 * domain.c: the checks of a virDomainPtr that every entry point makes before
 * using it, with libvirt's private virObjectIsClass when libvirt.so.0 has it
 * (libvirt_syms.c).
 */
#include <stdbool.h>

#include "internal.h"
#include "libvirt_syms.h"

int
lxcCheckDomain(virDomainPtr dom, const char *funcname)
{
    bool ok = dom != NULL;
    const lxcVirSyms *sym;

    sym = lxcVirSymbols();
    if (ok && sym->isClass && sym->domainClass && *sym->domainClass)
        ok = sym->isClass(dom, *sym->domainClass);
    if (ok && sym->isClass && sym->connectClass && *sym->connectClass) {
        /* The domain is valid, so this public getter cannot fail on it;
         * it returns the connection without taking a reference. */
        virConnectPtr conn = lxcVirDomainGetConnect(dom);

        ok = conn && sym->isClass(conn, *sym->connectClass);
    }
    if (!ok) {
        lxcReportInvalidDomain(funcname);
        return -1;
    }
    return 0;
}

virConnectPtr
lxcDomainConn(virDomainPtr dom)
{
    virConnectPtr conn;
    const lxcVirSyms *sym;

    if (!dom)
        return NULL;
    sym = lxcVirSymbols();
    if (sym->isClass && sym->domainClass && *sym->domainClass &&
        !sym->isClass(dom, *sym->domainClass))
        return NULL;
    conn = lxcVirDomainGetConnect(dom);
    lxcResetError();
    return conn;
}
