/*
 * ns_types.c: the table of namespace types and the decisions made from a
 * type alone (ns_types.h). No I/O here: enter_namespace.c joins.
 */
#ifndef _GNU_SOURCE
# define _GNU_SOURCE
#endif
#include <sched.h>
#include <stdio.h>

#include "ns_types.h"

/* Older libc headers lack the newest flags; the kernel's values. */
#ifndef CLONE_NEWCGROUP
# define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_NEWTIME
# define CLONE_NEWTIME 0x00000080
#endif

const lxcNsType lxcNsTypes[LXC_NS_TYPES] = {
    { CLONE_NEWUSER, "user" }, { CLONE_NEWIPC, "ipc" }, { CLONE_NEWUTS, "uts" },
    { CLONE_NEWNET, "net" }, { CLONE_NEWPID, "pid" }, { CLONE_NEWNS, "mnt" },
    { CLONE_NEWCGROUP, "cgroup" }, { CLONE_NEWTIME, "time" },
};

const char *const lxcNsSaved[LXC_NS_SAVED] = { "user", "ipc", "uts", "net", "pid", "mnt" };

int
lxcNsTypeIndex(int type)
{
    int i;

    for (i = 0; i < LXC_NS_TYPES; i++) {
        if (lxcNsTypes[i].type == type)
            return i;
    }
    return -1;
}

int
lxcNsRetryUnshared(int type)
{
    return lxcNsTypeIndex(type) < 0 || type == CLONE_NEWNS || type == CLONE_NEWUSER;
}

void
lxcNsPidPath(char buf[LXC_NS_PATH_MAX], long long pid, const char *name)
{
    snprintf(buf, LXC_NS_PATH_MAX, "/proc/%lld/ns/%s", pid, name);
}

void
lxcNsThreadPath(char buf[LXC_NS_PATH_MAX], const char *name)
{
    snprintf(buf, LXC_NS_PATH_MAX, "/proc/thread-self/ns/%s", name);
}
