/*
 * single_threaded: what virt-login-shell's helper does, checked.
 *
 *   single_threaded [URI [DOMAIN]]     (default lxc:///system lxcgo-userns)
 *
 * 1. A single-threaded process calls virDomainLxcOpenNamespace and then
 *    virDomainLxcEnterNamespace with every fd. It must end up in each of the
 *    container init's namespaces, user namespace included (possible only
 *    because it is still single-threaded: the Go core ran in its core
 *    process, so libvirt-lxc-core is not mapped here).
 * 2. A multi-threaded process calls OpenNamespace (its core process serves
 *    it too), then forks; the child calls OpenNamespace again (its own core
 *    process) and enters every namespace the same way.
 *
 * Prints one "ok"/"FAIL" line per check; exits 0 only if all pass.
 */
#include <dirent.h>

#include "tc.h"

/* Namespace links compared: ours (after entering) against init's. */
static const struct {
    const char *self;
    const char *init;
} nsLinks[] = {
    { "ns/user", "ns/user" },
    { "ns/mnt", "ns/mnt" },
    { "ns/net", "ns/net" },
    { "ns/ipc", "ns/ipc" },
    { "ns/uts", "ns/uts" },
    /* setns(CLONE_NEWPID) applies to children only. */
    { "ns/pid_for_children", "ns/pid" },
};
#define NNS (sizeof(nsLinks) / sizeof(nsLinks[0]))

static int failures;

static void
check(int cond, const char *what, const char *detail)
{
    printf("%s: %s%s%s\n", cond ? "ok" : "FAIL", what,
           detail ? ": " : "", detail ? detail : "");
    if (!cond)
        failures++;
}

static const char *
lastError(void)
{
    virErrorPtr e = virGetLastError();
    return e && e->message ? e->message : "(no libvirt error)";
}

/* The container's init: the child of the controller (pid = domain ID) that
 * lives in another mount namespace. */
static pid_t
containerInit(pid_t controller)
{
    char path[64], buf[512];
    struct stat ctl, st;
    struct dirent *de;
    pid_t found = -1;
    DIR *d;

    snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)controller);
    if (stat(path, &ctl) < 0 || !(d = opendir("/proc")))
        return -1;
    while (found < 0 && (de = readdir(d))) {
        int pid = atoi(de->d_name), ppid = 0, fd;
        ssize_t n;
        char *p;
        if (pid <= 0)
            continue;
        snprintf(path, sizeof(path), "/proc/%d/stat", pid);
        if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
            continue;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
            continue;
        buf[n] = '\0';
        /* "pid (comm) state ppid": comm may hold spaces and parens. */
        if (!(p = strrchr(buf, ')')) || sscanf(p + 1, " %*c %d", &ppid) != 1 ||
            ppid != controller)
            continue;
        snprintf(path, sizeof(path), "/proc/%d/ns/mnt", pid);
        if (stat(path, &st) == 0 && st.st_ino != ctl.st_ino)
            found = pid;
    }
    closedir(d);
    return found;
}

/* OpenNamespace, EnterNamespace with every fd, then compare namespaces.
 * Runs in the process that is to enter. */
static void
openAndEnter(virDomainPtr dom, const char *label)
{
    struct stat want[NNS], got;
    char what[256], detail[256];
    int *fds = NULL, n, i, procSelf, threads;
    pid_t init;

    init = containerInit((pid_t)virDomainGetID(dom));
    snprintf(what, sizeof(what), "%s: found the container's init", label);
    check(init > 0, what, NULL);
    if (init <= 0)
        return;
    for (i = 0; i < (int)NNS; i++) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/%s", (int)init, nsLinks[i].init);
        if (stat(path, &want[i]) < 0) {
            snprintf(what, sizeof(what), "%s: stat %s", label, path);
            check(0, what, strerror(errno));
            return;
        }
    }
    procSelf = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    n = virDomainLxcOpenNamespace(dom, &fds, 0);
    snprintf(what, sizeof(what), "%s: virDomainLxcOpenNamespace", label);
    snprintf(detail, sizeof(detail), "%d fds%s%s", n, n < 0 ? ": " : "",
             n < 0 ? lastError() : "");
    check(n > 0, what, detail);
    if (n <= 0) {
        close(procSelf);
        return;
    }
    for (i = 0; i < n; i++) {
        int fl = fcntl(fds[i], F_GETFD);
        if (fl < 0 || !(fl & FD_CLOEXEC))
            break;
    }
    snprintf(what, sizeof(what), "%s: every fd is close-on-exec", label);
    check(i == n, what, NULL);

    threads = tcThreadsIn(procSelf);
    snprintf(what, sizeof(what), "%s: still single-threaded after Open", label);
    snprintf(detail, sizeof(detail), "Threads: %d", threads);
    check(threads == 1, what, detail);
    snprintf(what, sizeof(what), "%s: libvirt-lxc-core is not mapped", label);
    check(tcMappedIn(procSelf, "libvirt-lxc-core") == 0, what, NULL);

    snprintf(what, sizeof(what), "%s: virDomainLxcEnterNamespace", label);
    i = virDomainLxcEnterNamespace(dom, n, fds, NULL, NULL, 0);
    check(i == 0, what, i == 0 ? NULL : lastError());

    for (i = 0; i < (int)NNS; i++) {
        snprintf(what, sizeof(what), "%s: %s is init's %s", label,
                 nsLinks[i].self, nsLinks[i].init);
        if (fstatat(procSelf, nsLinks[i].self, &got, 0) < 0) {
            check(0, what, strerror(errno));
            continue;
        }
        snprintf(detail, sizeof(detail), "inode %lu, want %lu",
                 (unsigned long)got.st_ino, (unsigned long)want[i].st_ino);
        check(got.st_ino == want[i].st_ino && got.st_dev == want[i].st_dev,
              what, detail);
    }
    for (i = 0; i < n; i++)
        close(fds[i]);
    free(fds);
    close(procSelf);
}

/* openAndEnter in a forked child, so that this process stays outside the
 * container; @what: the check that the child passed all of its checks. */
static void
inChild(virDomainPtr dom, const char *label, const char *what)
{
    int status;
    pid_t pid;

    fflush(stdout);
    if ((pid = fork()) == 0) {
        openAndEnter(dom, label);
        fflush(stdout);
        _exit(failures ? 1 : 0);
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    check(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0, what, NULL);
}

int
main(int argc, char **argv)
{
    const char *uri = argc > 1 ? argv[1] : "lxc:///system";
    const char *name = argc > 2 ? argv[2] : "lxcgo-userns";
    virConnectPtr conn;
    virDomainPtr dom;
    int *fds = NULL, n, i, procSelf;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!(conn = virConnectOpen(uri)) ||
        !(dom = virDomainLookupByName(conn, name))) {
        printf("FAIL: cannot reach domain %s on %s: %s\n", name, uri,
               lastError());
        return 1;
    }
    procSelf = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    check(tcThreadsIn(procSelf) == 1, "the test starts single-threaded", NULL);

    /* 1. In a child, so that the parent stays outside the container. */
    inChild(dom, "single-threaded", "single-threaded case");

    /* 2. Multi-threaded now: still served by the core process, whose Go
     * core is never loaded here. */
    if (tcIdleThread() != 0) {
        printf("FAIL: pthread_create\n");
        return 1;
    }
    n = virDomainLxcOpenNamespace(dom, &fds, 0);
    check(n > 0, "multi-threaded: virDomainLxcOpenNamespace",
          n > 0 ? NULL : lastError());
    for (i = 0; i < n; i++)
        close(fds[i]);
    free(fds);
    check(tcMappedIn(procSelf, "libvirt-lxc-core") == 0,
          "multi-threaded: libvirt-lxc-core is not loaded in the caller", NULL);

    inChild(dom, "forked after a call", "forked-after-a-call case");

    close(procSelf);
    virDomainFree(dom);
    virConnectClose(conn);
    printf("%s\n", failures ? "FAILED" : "PASSED");
    return failures ? 1 : 0;
}
