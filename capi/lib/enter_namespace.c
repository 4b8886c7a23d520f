/*
 * enter_namespace.c: virDomainLxcEnterNamespace, joining a container's
 * namespaces from fds (usually from virDomainLxcOpenNamespace).
 *
 * No daemon call, no lock: callers run it in a child after fork().
 * The table of namespace types, and what is decided from a type alone, is
 * in ns_types.c, tested without root (tests/unit).
 */
#ifndef _GNU_SOURCE
# define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <libvirt/libvirt-lxc.h>
#include "internal.h"
#include "log.h"
#include "ns_types.h"

#ifndef NS_GET_NSTYPE
# define NS_GET_NSTYPE _IO(0xb7, 0x3)   /* linux/nsfs.h, Linux 4.11 */
#endif
#ifndef NSFS_MAGIC
# define NSFS_MAGIC 0x6e736673
#endif

/* fds of the namespaces of the process (main thread: /proc/<getpid()>, as
 * libvirt), not close-on-exec, skipping any that cannot be opened. */
static int
lxcGetNamespaces(unsigned int *nfds, int **fds)
{
    char path[LXC_NS_PATH_MAX];
    size_t i;
    int *list;
    unsigned int n = 0;

    *nfds = 0;
    *fds = NULL;
    if (!(list = malloc(LXC_NS_SAVED * sizeof(int)))) {
        lxcReportSystemError(ENOMEM, "%s",
                             "Unable to allocate the list of current namespaces");
        return -1;
    }
    for (i = 0; i < LXC_NS_SAVED; i++) {
        int fd;

        lxcNsPidPath(path, getpid(), lxcNsSaved[i]);
        if ((fd = open(path, O_RDONLY)) >= 0)
            list[n++] = fd;
    }
    if (n == 0) {
        free(list);
        list = NULL;
    }
    *nfds = n;
    *fds = list;
    return 0;
}

/* The user namespace this thread last entered (or found itself in)
 * through this function: the one type whose setns() into the namespace the
 * thread is already in fails (EINVAL). Once the thread is in a container's
 * mount namespace, /proc is the container's and no longer shows it, so a
 * later call can tell "already there" only from this record. Per thread,
 * like namespaces; a child of fork() inherits it with the namespaces. Only
 * the user namespace's slot is filled: a fstat() per fd would cost every
 * call for nothing. */
static __thread struct {
    dev_t dev;
    ino_t ino;
} lxcEntered[LXC_NS_TYPES];

static void
lxcRemember(int fd)
{
    struct stat st;
    int type = ioctl(fd, NS_GET_NSTYPE), idx = lxcNsTypeIndex(type);

    if (type == CLONE_NEWUSER && idx >= 0 && fstat(fd, &st) == 0) {
        lxcEntered[idx].dev = st.st_dev;
        lxcEntered[idx].ino = st.st_ino;
    }
}

/* Whether the calling thread is already in the namespace @st names, of type
 * index @idx, or (@idx < 0, type unknown) of any type. /proc is asked first
 * (it also sees changes made without this library); the record is the
 * answer where /proc does not show this thread. */
static int
lxcInNamespace(const struct stat *st, int idx)
{
    char path[LXC_NS_PATH_MAX];
    struct stat cur;
    size_t i;
    int seen = 0;

    for (i = 0; i < LXC_NS_TYPES; i++) {
        if (idx >= 0 && (size_t)idx != i)
            continue;
        lxcNsThreadPath(path, lxcNsTypes[i].name);
        if (stat(path, &cur) < 0)
            continue;
        seen = 1;
        if (cur.st_dev == st->st_dev && cur.st_ino == st->st_ino)
            return 1;
    }
    if (seen || idx < 0)
        return 0;
    return lxcEntered[idx].ino == st->st_ino && lxcEntered[idx].dev == st->st_dev &&
           st->st_ino != 0;
}

/*
 * setns(fd, 0) failed with EINVAL, which libvirt ignores. Tell the cases
 * apart: already there (success), mnt or user namespace refused because the
 * thread shares its filesystem attributes with other threads (stop sharing
 * them and retry), or a real refusal (error).
 */
static int
lxcJoinAfterEinval(int fd)
{
    struct stat st;
    struct statfs sfs;
    const char *name = NULL;
    int type, idx;

    if (fstat(fd, &st) < 0) {
        lxcReportSystemError(errno, "Unable to join domain namespace: "
                             "cannot inspect file descriptor %d", fd);
        return -1;
    }
    type = ioctl(fd, NS_GET_NSTYPE);
    if ((idx = lxcNsTypeIndex(type)) >= 0)
        name = lxcNsTypes[idx].name;

    if (lxcInNamespace(&st, idx)) {
        lxcRemember(fd);
        return 0;
    }

    if (fstatfs(fd, &sfs) < 0 || sfs.f_type != NSFS_MAGIC) {
        lxcReportSystemError(EINVAL, "Unable to join domain namespace: "
                             "file descriptor %d is not a namespace", fd);
        return -1;
    }

    if (lxcNsRetryUnshared(type)) {
        /* Unsharing affects the calling thread only. */
        if (unshare(CLONE_FS) < 0) {
            lxcReportSystemError(errno, "Unable to join domain namespace: "
                                 "cannot stop sharing filesystem attributes");
            return -1;
        }
        if (setns(fd, 0) == 0) {
            lxcRemember(fd);
            return 0;
        }
        if (errno != EINVAL) {
            lxcReportSystemError(errno, "%s", "Unable to join domain namespace");
            return -1;
        }
    }

    if (type == CLONE_NEWUSER && lxcThreadCount() > 1) {
        lxcReportSystemError(EINVAL, "Unable to join domain user namespace: "
                             "a multi-threaded process cannot enter a user "
                             "namespace; call virDomainLxcEnterNamespace from a "
                             "single-threaded process, for example in a child "
                             "after fork()");
        return -1;
    }
    lxcReportSystemError(EINVAL, "Unable to join domain %s namespace "
                         "(file descriptor %d)", name ? name : "", fd);
    return -1;
}

static int
lxcSetNamespaces(unsigned int nfdlist, int *fdlist)
{
    unsigned int i;

    if (nfdlist == 0) {
        /* The same report as libvirt's, including its helper's name. */
        lxcReportInvalidArgMsg("virProcessSetNamespaces", "nfdlist", "%s",
                               "Expected at least one file descriptor");
        return -1;
    }
    if (!fdlist) {
        lxcReportInvalidArg("virDomainLxcEnterNamespace", "fdlist");
        return -1;
    }
    for (i = 0; i < nfdlist; i++) {
        if (fdlist[i] < 0)
            continue;
        if (setns(fdlist[i], 0) == 0) {
            lxcRemember(fdlist[i]);
            continue;
        }
        if (errno != EINVAL) {
            lxcReportSystemError(errno, "%s", "Unable to join domain namespace");
            return -1;
        }
        if (lxcJoinAfterEinval(fdlist[i]) < 0)
            return -1;
    }
    return 0;
}

LXC_EXPORT int
virDomainLxcEnterNamespace(virDomainPtr domain,
                           unsigned int nfdlist,
                           int *fdlist,
                           unsigned int *noldfdlist,
                           int **oldfdlist,
                           unsigned int flags)
{
    /* Taken before anything is reported: the getter resets the last error. */
    virConnectPtr conn;
    unsigned int i;

    lxcLogDomainEntry(LXC_API_ENTER_NAMESPACE, domain,
                      "nfdlist=%d, fdlist=%p, noldfdlist=%p, oldfdlist=%p, flags=0x%x",
                      (int)nfdlist, (void *)fdlist, (void *)noldfdlist,
                      (void *)oldfdlist, flags);
    lxcResetError();
    conn = lxcDomainConn(domain);

    if (flags != 0) {
        lxcReportUnsupportedFlags(__func__, flags);
        goto error;
    }

    if (noldfdlist && oldfdlist &&
        lxcGetNamespaces(noldfdlist, oldfdlist) < 0)
        goto error;

    if (lxcSetNamespaces(nfdlist, fdlist) < 0) {
        if (noldfdlist && oldfdlist) {
            for (i = 0; i < *noldfdlist; i++)
                close((*oldfdlist)[i]);
            free(*oldfdlist);
            *oldfdlist = NULL;
            *noldfdlist = 0;
        }
        goto error;
    }
    return 0;

 error:
    lxcDispatch(conn);
    return -1;
}
