/*
 * nsfds.h: the test bed containers' namespaces as fds, for the programs
 * that check what OpenNamespace returns and leaves open (open_ns.c,
 * rel_fdleak.c), on top of tc.h: which namespace an fd is, counts and
 * snapshots of this process's fd table. Header-only, as tc.h.
 */
#ifndef NSFDS_H
#define NSFDS_H

#include <dirent.h>

#include "tc.h"


/* The daemon's order; cgroup and time are looked at too, to catch an fd of
 * a namespace the daemon never sends. */
TC_UNUSED static const char *const nsNames[] = { "user", "ipc", "uts", "net", "pid", "mnt",
                                                 "cgroup", "time" };
#define NSENT 6
#define NNAMES 8

typedef struct {
    pid_t init;
    struct stat st[NNAMES];
} nsSet;

TC_UNUSED static nsSet plainNs, usernsNs;

/* Junk the library must replace with NULL (or leave, where it never gets
 * as far as touching the list). */
TC_UNUSED static int junkInt;
#define JUNK (&junkInt)

TC_UNUSED static int
nsLoad(nsSet *set, pid_t init)
{
    char path[64];
    int i;

    memset(set, 0, sizeof(*set));
    set->init = init;
    for (i = 0; i < NNAMES; i++) {
        snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)init, nsNames[i]);
        if (stat(path, &set->st[i]) < 0 && i < NSENT)
            return -1;
    }
    return 0;
}

/* Index in nsNames of the namespace @fd refers to, or -1. */
TC_UNUSED static int
nsIdentify(const nsSet *set, int fd)
{
    struct stat st;
    int i;

    if (fstat(fd, &st) < 0)
        return -1;
    for (i = 0; i < NNAMES; i++) {
        if (set->st[i].st_ino != 0 && st.st_dev == set->st[i].st_dev &&
            st.st_ino == set->st[i].st_ino)
            return i;
    }
    return -1;
}

/* 1 when @fds are exactly init's six namespaces in the daemon's order, all
 * close-on-exec. */
TC_UNUSED static int
nsExact(const nsSet *set, const int *fds, int n)
{
    int i;

    if (n != NSENT)
        return 0;
    for (i = 0; i < n; i++) {
        int fl = fcntl(fds[i], F_GETFD);

        if (nsIdentify(set, fds[i]) != i || fl < 0 || !(fl & FD_CLOEXEC))
            return 0;
    }
    return 1;
}

/* Open fds of this process by kind: namespaces, sockets, anything else. */
typedef struct {
    int ns, sockets, other;
} fdCount;

TC_UNUSED static fdCount
countFds(void)
{
    fdCount c = { 0, 0, 0 };
    DIR *d = opendir("/proc/self/fd");
    struct dirent *de;
    char path[300], target[256];

    if (!d)
        return c;
    while ((de = readdir(d))) {
        ssize_t n;
        int fd = atoi(de->d_name);

        if (de->d_name[0] == '.' || fd == dirfd(d))
            continue;
        snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
        if ((n = readlink(path, target, sizeof(target) - 1)) < 0)
            continue;
        target[n] = '\0';
        if (strncmp(target, "socket:", 7) == 0)
            c.sockets++;
        else if (target[0] != '/' && strncmp(target, "pipe:", 5) != 0 &&
                 strncmp(target, "anon_inode:", 11) != 0 && strstr(target, ":["))
            c.ns++;  /* nsfs: "<type>:[<inode>]" */
        else
            c.other++;
    }
    closedir(d);
    return c;
}

/* The fd table, to name the fds a call left open: "<kind>:<cloexec|inherit>"
 * with kind "ns" (a namespace), "socket", "pipe", an anon_inode name or a
 * path, so that the runner can tell the Go runtime's own fds from a leak. */
#define MAXFD 4096
typedef struct {
    char *target[MAXFD];
} fdSnap;

TC_UNUSED static void
snapTake(fdSnap *s)
{
    char path[64], target[512];
    int fd;

    for (fd = 0; fd < MAXFD; fd++) {
        ssize_t n;

        s->target[fd] = NULL;
        if (fcntl(fd, F_GETFD) < 0)
            continue;
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        if ((n = readlink(path, target, sizeof(target) - 1)) < 0)
            continue;
        target[n] = '\0';
        s->target[fd] = strdup(target);
    }
}

/* Appends "new=<kind>:<cloexec>,..." for fds open now and not in @s. */
TC_UNUSED static void
snapNew(fdSnap *s)
{
    fdSnap now;
    int fd, first = 1;

    snapTake(&now);
    tcExtra("new=");
    for (fd = 0; fd < MAXFD; fd++) {
        const char *t = now.target[fd];
        char kind[512];
        int fl;

        if (!t || (s->target[fd] && strcmp(s->target[fd], t) == 0))
            continue;
        if (strncmp(t, "socket:", 7) == 0)
            snprintf(kind, sizeof(kind), "socket");
        else if (strncmp(t, "pipe:", 5) == 0)
            snprintf(kind, sizeof(kind), "pipe");
        else if (strncmp(t, "anon_inode:", 11) == 0 || t[0] == '/')
            snprintf(kind, sizeof(kind), "%s", t);
        else if (strstr(t, ":["))
            snprintf(kind, sizeof(kind), "ns");
        else
            snprintf(kind, sizeof(kind), "%s", t);
        fl = fcntl(fd, F_GETFD);
        tcExtra("%s%s:%s", first ? "" : ",", kind,
                fl >= 0 && (fl & FD_CLOEXEC) ? "cloexec" : "inherit");
        first = 0;
    }
    if (first)
        tcExtra("none");
    for (fd = 0; fd < MAXFD; fd++) {
        free(now.target[fd]);
        free(s->target[fd]);
    }
}

/* Makes this process multi-threaded, as most callers are. */
TC_UNUSED static void
goMultiThreaded(void)
{
    if (tcIdleThread() != 0) {
        fprintf(stderr, "pthread_create failed\n");
        exit(2);
    }
}

/* The init pids may change when the daemon restarts a domain; looked up
 * fresh by each mode. */
TC_UNUSED static void
loadNamespaces(void)
{
    virConnectPtr conn = tcOpen(0);

    if (nsLoad(&plainNs, tcInitPid(tcDomain(conn, "lxcgo-plain"))) < 0 ||
        nsLoad(&usernsNs, tcInitPid(tcDomain(conn, "lxcgo-userns"))) < 0) {
        fprintf(stderr, "cannot read the containers' init namespaces\n");
        exit(2);
    }
    tcRelease();
}

#endif /* NSFDS_H */
