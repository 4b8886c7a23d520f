/*
 * ns_types.h: the namespace types virDomainLxcEnterNamespace knows, by
 * CLONE_NEW* flag (what NS_GET_NSTYPE answers) and by the name
 * /proc/<pid>/ns/ gives them, and what is decided from a type alone.
 *
 * No I/O: enter_namespace.c does the setns(), ioctl() and stat() calls;
 * these are tested on their own (tests/unit/ns_types_unit.c).
 */
#ifndef LXC_NS_TYPES_H
#define LXC_NS_TYPES_H

typedef struct {
    int type;                        /* CLONE_NEW* */
    const char *name;                /* its entry in /proc/<pid>/ns/ */
} lxcNsType;

/* Every type the kernel names (enter_namespace.c keeps a record per type). */
enum { LXC_NS_TYPES = 8 };
extern const lxcNsType lxcNsTypes[LXC_NS_TYPES];

/* The namespaces libvirt hands back as the caller's old ones, in its
 * order: the first six, without cgroup and time. */
enum { LXC_NS_SAVED = 6 };
extern const char *const lxcNsSaved[LXC_NS_SAVED];

/* @type's index in lxcNsTypes, -1 for none (NS_GET_NSTYPE's -1 too). */
int lxcNsTypeIndex(int type);

/* Whether a setns() into a namespace of @type refused with EINVAL is worth
 * a retry after unshare(CLONE_FS): the kernel refuses mnt and user
 * namespaces while other threads share the caller's root and cwd, and an
 * unknown type may be one of them. */
int lxcNsRetryUnshared(int type);

/* "/proc/<pid>/ns/<name>" and "/proc/thread-self/ns/<name>", into @buf of
 * LXC_NS_PATH_MAX bytes (room for any pid and name). */
#define LXC_NS_PATH_MAX 64
void lxcNsPidPath(char buf[LXC_NS_PATH_MAX], long long pid, const char *name);
void lxcNsThreadPath(char buf[LXC_NS_PATH_MAX], const char *name);

#endif /* LXC_NS_TYPES_H */
