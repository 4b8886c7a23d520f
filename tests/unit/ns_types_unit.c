/*
 * Unit tests of the namespace type table of virDomainLxcEnterNamespace
 * (capi/lib/ns_types.c): lookups by CLONE_NEW* flag, the names and order
 * libvirt uses, which refusals are retried after unshare(CLONE_FS), and
 * the /proc paths, without joining anything (no daemon, no root). Each
 * case is named in the output; the program exits 1 if any fails.
 */
#ifndef _GNU_SOURCE
# define _GNU_SOURCE
#endif
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "ns_types.h"
#include "unit.h"


/* The name the table gives @type, "" for none. */
static const char *
nameOf(int type)
{
    int idx = lxcNsTypeIndex(type);

    return idx < 0 ? "" : lxcNsTypes[idx].name;
}

static void
checkName(const char *name, int type, const char *want)
{
    check(name, strcmp(nameOf(type), want) == 0, "got \"%s\", want \"%s\"",
          nameOf(type), want);
}

static void
testLookup(void)
{
    int i, j, dup = 0;

    checkName("lookup/user", CLONE_NEWUSER, "user");
    checkName("lookup/ipc", CLONE_NEWIPC, "ipc");
    checkName("lookup/uts", CLONE_NEWUTS, "uts");
    checkName("lookup/net", CLONE_NEWNET, "net");
    checkName("lookup/pid", CLONE_NEWPID, "pid");
    checkName("lookup/mnt", CLONE_NEWNS, "mnt");
    /* The kernel's values, whether or not libc's headers have them. */
    checkName("lookup/cgroup", 0x02000000, "cgroup");
    checkName("lookup/time", 0x00000080, "time");
    check("lookup/ioctl's -1 is no type", lxcNsTypeIndex(-1) == -1, "%d",
          lxcNsTypeIndex(-1));
    check("lookup/0 is no type", lxcNsTypeIndex(0) == -1, "%d", lxcNsTypeIndex(0));
    check("lookup/two flags are no type",
          lxcNsTypeIndex(CLONE_NEWNS | CLONE_NEWUSER) == -1, "%d",
          lxcNsTypeIndex(CLONE_NEWNS | CLONE_NEWUSER));
    for (i = 0; i < LXC_NS_TYPES; i++) {
        for (j = i + 1; j < LXC_NS_TYPES; j++)
            dup |= lxcNsTypes[i].type == lxcNsTypes[j].type ||
                   strcmp(lxcNsTypes[i].name, lxcNsTypes[j].name) == 0;
    }
    check("lookup/types and names unique", !dup, "duplicate entry");
}

static void
testSaved(void)
{
    static const char *const want[] = { "user", "ipc", "uts", "net", "pid", "mnt" };
    int i, same = 1, known = 1;

    check("saved/count", sizeof(want) / sizeof(want[0]) == LXC_NS_SAVED, "%d",
          LXC_NS_SAVED);
    for (i = 0; i < LXC_NS_SAVED; i++) {
        int j, found = 0;

        same &= strcmp(lxcNsSaved[i], want[i]) == 0;
        for (j = 0; j < LXC_NS_TYPES; j++)
            found |= strcmp(lxcNsSaved[i], lxcNsTypes[j].name) == 0;
        known &= found;
    }
    check("saved/libvirt's order", same, "differs");
    check("saved/each a known type", known, "unknown name");
}

static void
testRetry(void)
{
    check("retry/mnt", lxcNsRetryUnshared(CLONE_NEWNS), "not retried");
    check("retry/user", lxcNsRetryUnshared(CLONE_NEWUSER), "not retried");
    check("retry/unknown type", lxcNsRetryUnshared(-1), "not retried");
    check("retry/not net", !lxcNsRetryUnshared(CLONE_NEWNET), "retried");
    check("retry/not pid", !lxcNsRetryUnshared(CLONE_NEWPID), "retried");
    check("retry/not cgroup", !lxcNsRetryUnshared(0x02000000), "retried");
}

static void
testPaths(void)
{
    char buf[LXC_NS_PATH_MAX];

    lxcNsPidPath(buf, 4242, "user");
    check("paths/pid", strcmp(buf, "/proc/4242/ns/user") == 0, "%s", buf);
    lxcNsPidPath(buf, 2147483647, "cgroup");
    check("paths/largest pid, longest name",
          strcmp(buf, "/proc/2147483647/ns/cgroup") == 0, "%s", buf);
    lxcNsThreadPath(buf, "mnt");
    check("paths/thread", strcmp(buf, "/proc/thread-self/ns/mnt") == 0, "%s", buf);
}

int
main(void)
{
    testLookup();
    testSaved();
    testRetry();
    testPaths();
    return unitSummary();
}
