/*
 * mntns_first: a single-threaded caller that connects, then stands
 * somewhere else in the filesystem, and only then makes its first
 * virDomainLxcOpenNamespace call (so its core process starts from there).
 *
 *   mntns_first MODE [hold]
 *
 * MODE:
 *   mnt          setns() into lxcgo-plain's init's mount namespace, with an
 *                fd of /proc/<init>/ns/mnt it opened itself
 *   root         the same, then fchdir()+chroot() into /proc/<init>/root
 *                (opened before), as a caller entering a container would
 *   chroot=DIR   chroot() into DIR (an empty directory): neither the
 *                library's files nor the daemon's socket are there
 *   userns       setns() into lxcgo-userns's init's user namespace, then
 *                its mount namespace: no privilege is left over the
 *                daemon's mount namespace (a deliberate difference)
 *
 * Prints "lib <path>", one scenario line (tc.h) with "exact=1" when the fds
 * are the container init's six namespaces in the daemon's order, and
 * "threads=<n>" (1: it was single-threaded when it moved). With "hold" it
 * then prints "caller <pid>" and waits for its stdin to close, so that
 * the runner can look at its core process.
 */
#include <sched.h>

#include "nsfds.h"

static int
moveAway(const char *mode, pid_t init)
{
    char path[64];
    int mnt = -1, root = -1, user = -1, ret = -1;

    if (strncmp(mode, "chroot=", 7) == 0)
        return chroot(mode + 7) == 0 && chdir("/") == 0 ? 0 : -1;
    snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)init);
    if ((mnt = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return -1;
    snprintf(path, sizeof(path), "/proc/%d/root", (int)init);
    if (strcmp(mode, "root") == 0 &&
        (root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
        goto cleanup;
    snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)init);
    if (strcmp(mode, "userns") == 0 &&
        ((user = open(path, O_RDONLY | O_CLOEXEC)) < 0 || setns(user, CLONE_NEWUSER) < 0))
        goto cleanup;
    if (setns(mnt, CLONE_NEWNS) < 0)
        goto cleanup;
    if (root >= 0 && (fchdir(root) < 0 || chroot(".") < 0 || chdir("/") < 0))
        goto cleanup;
    ret = 0;
 cleanup:
    if (root >= 0)
        close(root);
    if (user >= 0)
        close(user);
    close(mnt);
    return ret;
}

int
main(int argc, char **argv)
{
    virConnectPtr conn;
    virDomainPtr dom, where;
    nsSet init;
    int *fds = NULL, n, i, threads;
    char buf[64];

    if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "hold") != 0)) {
        fprintf(stderr, "usage: mntns_first mnt|root|chroot=DIR|userns [hold]\n");
        return 2;
    }
    tcPrintLib();
    conn = tcOpen(0);
    dom = tcDomain(conn, "lxcgo-plain");
    tcHandlers(conn);
    if (nsLoad(&init, tcInitPid(dom)) < 0) {
        fprintf(stderr, "cannot see lxcgo-plain's init's namespaces\n");
        return 2;
    }
    where = strcmp(argv[1], "userns") == 0 ? tcDomain(conn, "lxcgo-userns") : dom;
    threads = tcThreads();
    if (moveAway(argv[1], tcInitPid(where)) < 0) {
        fprintf(stderr, "cannot move to %s: %s\n", argv[1], strerror(errno));
        return 2;
    }

    n = virDomainLxcOpenNamespace(dom, &fds, 0);
    tcExtra("exact=%d threads=%d", n > 0 && nsExact(&init, fds, n), threads);
    tcAddSubst(getpid(), "pid");
    tcReport(argv[1], n, -1);
    for (i = 0; i < n; i++)
        close(fds[i]);
    free(fds);

    if (argc == 3) {
        printf("caller %d\n", (int)getpid());
        fflush(stdout);
        while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
            ;
    }
    tcRelease();
    return 0;
}
