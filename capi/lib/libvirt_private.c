/*
 * libvirt_private.c: reads of libvirt's private struct layouts (virDomain,
 * virConnect) for libvirt-lxc.so.0: a connection's read-only flag and
 * driver, a domain's name and uuid, all without a call into libvirt.
 *
 * Hazard: this is the most release-fragile code of the library. These
 * structs (src/datatypes.h) are libvirt's private business, and any release
 * may reorder or grow them. The layout below was written against libvirt
 * 9.0.0 and is exercised by the releases this project's tests run with
 * (README: Debian 12's 9.0.0 and 11.3.0 from bookworm-backports / Debian
 * 13); no other release was checked. Every read is therefore guarded: the
 * layout is trusted only when the domain's connection pointer sits where it
 * says, the flags are ones libvirt defines, the URI's scheme matches and a
 * driver's name is plausible and agrees with virConnectGetType; otherwise
 * the callers fall back to public calls or report "unknown". A release
 * whose layout passed those checks by chance would be read wrongly.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "libvirt_syms.h"

/*
 * Layout of libvirt's private structs since virObject became a GObject
 * (LP64; src/datatypes.h): a 24-byte object header, then in virDomain the
 * connection pointer, and in virConnect (a lockable object) a pthread mutex
 * followed by the open flags (bit 0 is VIR_CONNECT_RO), the connection's
 * parsed URI (a virURI, whose first field is the scheme) and its hypervisor
 * driver (a virHypervisorDriver, whose first field is the driver's name).
 * Only trusted when the domain's connection pointer is found where this
 * layout puts it and the flags are ones libvirt defines.
 */
#define LXC_OBJ_HEADER (3 * sizeof(void *))
#define LXC_CONN_RO 0x1u
#define LXC_CONN_KNOWN_FLAGS 0x3u  /* RO, NO_ALIASES */
/* The name of libvirt's remote driver (src/remote/remote_driver.c) and of
 * its LXC driver (LXC_DRIVER_NAME, src/lxc/lxc_conf.h); a driver's name is
 * a short word. */
#define LXC_REMOTE_DRIVER_NAME "remote"
#define LXC_LXC_DRIVER_NAME "LXC"
#define LXC_DRIVER_NAME_MAX 32

typedef struct {
    char header[LXC_OBJ_HEADER];
    virConnectPtr conn;
    const char *name;
    int id;
    unsigned char uuid[VIR_UUID_BUFLEN];
} lxcDomainHead;

typedef struct {
    char header[LXC_OBJ_HEADER];
    pthread_mutex_t lock;
    unsigned int flags;
    const char *const *uri;      /* virURI *: &uri->scheme */
    const char *const *driver;   /* virHypervisorDriver *: &driver->name */
} lxcConnHead;

/* @dom's connection seen through the layout above, or NULL when the layout
 * is not recognised. */
static const lxcConnHead *
lxcConnLayout(virDomainPtr dom, virConnectPtr conn)
{
    const lxcConnHead *head = (const lxcConnHead *)(void *)conn;

    if (sizeof(void *) != 8 || ((const lxcDomainHead *)(void *)dom)->conn != conn)
        return NULL;
    if ((head->flags & ~LXC_CONN_KNOWN_FLAGS) != 0)
        return NULL;
    return head;
}

int
lxcConnIsReadOnly(virDomainPtr dom)
{
    virConnectPtr conn;
    const lxcConnHead *head;
    int code;

    if (!dom || !(conn = lxcVirDomainGetConnect(dom))) {
        lxcResetError();
        return -1;
    }

    /* Reading the flag directly has no side effect. The public probe below
     * makes libvirt dispatch an error, which calls the application's error
     * handler or prints a stray line on stderr. */
    if ((head = lxcConnLayout(dom, conn)))
        return (head->flags & LXC_CONN_RO) ? 1 : 0;

    /* Unknown layout. A title with a newline is refused by the client
     * library itself, before any RPC: read-only connections are refused
     * first (29), read-write ones on the newline (8). Nothing changes. */
    virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_TITLE, "\n", NULL, NULL, 0);
    code = virGetLastErrorCode();
    lxcResetError();
    virConnResetLastError(conn);
    if (code == VIR_ERR_OPERATION_DENIED)
        return 1;
    if (code == VIR_ERR_INVALID_ARG)
        return 0;
    return -1;
}

int
lxcDomainIdent(virDomainPtr dom, const char **name, char uuid[VIR_UUID_STRING_BUFLEN])
{
    const lxcDomainHead *head = (const lxcDomainHead *)(void *)dom;
    const unsigned char *u;
    const lxcVirSyms *sym;

    /* Only a pointer libvirt itself confirms to be a domain is read. */
    sym = lxcVirSymbols();
    if (!dom || sizeof(void *) != 8 || !sym->isClass || !sym->domainClass ||
        !*sym->domainClass || !sym->isClass(dom, *sym->domainClass))
        return -1;
    u = head->uuid;
    snprintf(uuid, VIR_UUID_STRING_BUFLEN,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7],
             u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
    *name = head->name;
    return 0;
}

/* A driver's name as libvirt keeps it: NUL-terminated, printable, short. */
static bool
lxcPlausibleName(const char *name)
{
    size_t i;

    if (!name)
        return false;
    for (i = 0; i < LXC_DRIVER_NAME_MAX && name[i]; i++) {
        if (name[i] < '!' || name[i] > '~')
            return false;
    }
    return i > 0 && i < LXC_DRIVER_NAME_MAX;
}

lxcCoreDriver
lxcConnPeekDriver(virDomainPtr dom, const char *uri)
{
    virConnectPtr conn = lxcVirDomainGetConnect(dom);
    const lxcConnHead *head;
    const char *scheme, *name, *type;
    size_t len;

    if (!conn || !uri || !(head = lxcConnLayout(dom, conn)) || !head->uri || !head->driver)
        return LXC_CORE_DRIVER_UNKNOWN;
    /* The URI libvirt formatted from this very virURI starts with its
     * scheme: a check that the pointers are where the layout says. */
    scheme = *head->uri;
    if (!scheme || !lxcPlausibleName(scheme) || strncmp(uri, scheme, len = strlen(scheme)) != 0 ||
        uri[len] != ':')
        return LXC_CORE_DRIVER_UNKNOWN;
    name = *head->driver;
    if (!lxcPlausibleName(name))
        return LXC_CORE_DRIVER_UNKNOWN;
    if (strcmp(name, LXC_REMOTE_DRIVER_NAME) == 0)
        return LXC_CORE_DRIVER_REMOTE;
    /* A driver in this process answers virConnectGetType without any RPC,
     * with its name in some case ("Test" is "TEST"): a second check. */
    type = lxcVirConnectGetType(conn);
    if (!type || strcasecmp(type, name) != 0) {
        lxcResetError();
        return LXC_CORE_DRIVER_UNKNOWN;
    }
    return strcmp(name, LXC_LXC_DRIVER_NAME) == 0 ? LXC_CORE_DRIVER_LXC : LXC_CORE_DRIVER_OTHER;
}
