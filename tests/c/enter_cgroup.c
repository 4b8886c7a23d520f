/*
 * enter_cgroup: virDomainLxcEnterCGroup on the test bed's domains, its
 * checks in order, where errors are dispatched, and where the caller ends
 * up (read back from /proc/self/cgroup and /proc/thread-self/cgroup). One
 * line per scenario, see tc.h.
 */
#include "tc.h"

typedef struct {
    const char *domain;    /* NULL: NULL domain; "BOGUS": not a domain */
    int readonly;
    unsigned int flags;
    int handlers;
    int thread;            /* run with a second thread alive */
} cgCase;

static int
cgRun(void *opaque)
{
    const cgCase *c = opaque;
    static char bogus[256];
    char before[4096], after[4096], thread[4096];
    virConnectPtr conn = NULL;
    virDomainPtr dom = NULL;
    int ret;

    if (c->domain && strcmp(c->domain, "BOGUS") == 0) {
        dom = (virDomainPtr)bogus;
    } else if (c->domain) {
        conn = tcOpen(c->readonly);
        dom = tcDomain(conn, c->domain);
    }
    if (c->handlers)
        tcHandlers(conn);
    if (c->thread)
        tcIdleThread();

    tcCgroups("/proc/self/cgroup", before, sizeof(before));
    ret = virDomainLxcEnterCGroup(dom, c->flags);
    tcCgroups("/proc/self/cgroup", after, sizeof(after));
    tcCgroups("/proc/thread-self/cgroup", thread, sizeof(thread));

    /* Placement as paths; the controller pid in them is replaced by the
     * caller's placeholder <id>. */
    tcExtra("changed=%s thread=", strcmp(before, after) ? "yes" : "no");
    tcQuote(tcExtraBuf, sizeof(tcExtraBuf), thread);
    tcExtra(" process=");
    tcQuote(tcExtraBuf, sizeof(tcExtraBuf), after);
    tcExtraConnErr(conn);
    return ret;
}

int
main(void)
{
    static const struct { const char *name; cgCase c; } cases[] = {
        { "null_domain", { .domain = NULL } },
        { "bogus_domain", { .domain = "BOGUS" } },
        { "null_domain_handlers", { .domain = NULL, .handlers = 1 } },
        { "flags", { .domain = "lxcgo-plain", .flags = 1 } },
        { "flags_handlers", { .domain = "lxcgo-plain", .flags = 4, .handlers = 1 } },
        { "readonly", { .domain = "lxcgo-plain", .readonly = 1 } },
        { "readonly_before_flags", { .domain = "lxcgo-plain", .readonly = 1, .flags = 1 } },
        { "readonly_handlers", { .domain = "lxcgo-plain", .readonly = 1, .handlers = 1 } },
        { "running", { .domain = "lxcgo-plain" } },
        { "running_handlers", { .domain = "lxcgo-plain", .handlers = 1 } },
        { "running_userns", { .domain = "lxcgo-userns" } },
        { "running_two_threads", { .domain = "lxcgo-plain", .thread = 1 } },
        { "inactive", { .domain = "lxcgo-off" } },
    };
    virConnectPtr conn;
    size_t i;

    if (virInitialize() < 0)
        return 2;
    conn = tcOpen(0);
    tcAddSubst(virDomainGetID(tcDomain(conn, "lxcgo-plain")), "plain-id");
    tcAddSubst(virDomainGetID(tcDomain(conn, "lxcgo-userns")), "userns-id");
    tcRelease();

    tcPrintLib();
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        tcRun(cases[i].name, cgRun, (void *)&cases[i].c);
    return 0;
}
