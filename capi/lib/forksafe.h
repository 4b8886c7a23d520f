/*
 * forksafe.h: calls into libvirt.so.0 that a fork() of the caller's never
 * splits (forksafe.c).
 *
 * Hazard: libvirt's logger holds one process-wide mutex while it matches a
 * source against the filters (each source's first record, and the first
 * after the filters change) and while it writes a record, and nearly every
 * libvirt function logs. A child forked while another thread of its parent
 * held that mutex blocks for ever at its own first record, as the thread
 * that would release it is not in the child. libvirt's own virFork holds
 * the mutex across fork(); an application's fork() does not, and libvirt's
 * libvirt-lxc.so.0 hangs such children.
 *
 * So every call this library makes into libvirt.so.0, except those that
 * may run the caller's own code (virDispatchError runs its error
 * handlers), is bracketed by lxcVirEnter()/lxcVirLeave(), and fork() waits
 * until no bracketed call is under way, as libvirt's virFork waits for the
 * logger. The thin wrappers below are the only way this library makes the
 * public calls that log.
 */
#ifndef LXC_FORKSAFE_H
#define LXC_FORKSAFE_H

#include <libvirt/libvirt.h>

/* Brackets may nest in one thread; the outermost one counts. */
void lxcVirEnter(void);
void lxcVirLeave(void);

virConnectPtr lxcVirDomainGetConnect(virDomainPtr dom);
const char *lxcVirDomainGetName(virDomainPtr dom);
int lxcVirDomainGetUUID(virDomainPtr dom, unsigned char *uuid);
unsigned int lxcVirDomainGetID(virDomainPtr dom);
char *lxcVirConnectGetURI(virConnectPtr conn);
const char *lxcVirConnectGetType(virConnectPtr conn);
int lxcVirInitialize(void);

#endif /* LXC_FORKSAFE_H */
