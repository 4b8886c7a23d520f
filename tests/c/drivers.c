/*
 * drivers: virDomainLxcOpenNamespace on connections of other libvirt
 * drivers than LXC, where libvirt answers "not supported" (see tc.h for the
 * output).
 *
 *   drivers NAME URI DOMAIN RO [NAME URI DOMAIN RO ...]
 *
 * Each scenario NAME opens URI (read-only when RO is 1), looks up DOMAIN
 * and calls virDomainLxcOpenNamespace with a sentinel in *fdlist; its line
 * adds fdlist=kept (the sentinel is still there), fdlist=null or fdlist=set
 * (then n= fds, closed again). Which of the first two a driver gives is part
 * of libvirt's behaviour: its remote driver clears *fdlist before the call
 * goes to the daemon, a driver of the client's process leaves it alone.
 */
#include "tc.h"

typedef struct {
    const char *uri;
    const char *domain;
    int readonly;
} driverCase;

static int sentinel;

static int
callOpen(void *opaque)
{
    const driverCase *c = opaque;
    virConnectPtr conn = c->readonly ? virConnectOpenReadOnly(c->uri) : virConnectOpen(c->uri);
    virDomainPtr dom;
    int *fdlist = &sentinel;
    int i, ret;

    if (!conn) {
        tcExtra("connect=failed");
        return -2;
    }
    tcOwn(conn, NULL);
    if (!(dom = virDomainLookupByName(conn, c->domain))) {
        tcExtra("lookup=failed");
        return -2;
    }
    tcOwnDomain(dom);
    tcHandlers(conn);
    ret = virDomainLxcOpenNamespace(dom, &fdlist, 0);
    if (fdlist == &sentinel) {
        tcExtra("fdlist=kept");
    } else if (!fdlist) {
        tcExtra("fdlist=null");
    } else {
        tcExtra("fdlist=set n=%d", ret);
        for (i = 0; i < ret; i++)
            close(fdlist[i]);
        free(fdlist);
    }
    return ret;
}

int
main(int argc, char **argv)
{
    int i;

    if (argc < 5 || (argc - 1) % 4 != 0) {
        fprintf(stderr, "usage: drivers NAME URI DOMAIN RO [NAME URI DOMAIN RO ...]\n");
        return 2;
    }
    tcPrintLib();
    for (i = 1; i < argc; i += 4) {
        driverCase c = { .uri = argv[i + 1], .domain = argv[i + 2],
                         .readonly = strcmp(argv[i + 3], "1") == 0 };

        tcRun(argv[i], callOpen, &c);
    }
    return 0;
}
