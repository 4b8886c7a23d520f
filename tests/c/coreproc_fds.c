/*
 * coreproc_fds.c: the coreproc scenarios about file descriptors and
 * processes that fork: what the caller keeps and what its core process
 * holds of the caller's (fds), and that parent, child and grandchild each
 * get a core process of their own (generations).
 */
#include "coreproc.h"

/* ---- fds ----------------------------------------------------------------- */

/* Bit @fd of @set: the fds open now (below 1024). */
static void
openFds(unsigned char set[128])
{
    int fd;

    memset(set, 0, 128);
    for (fd = 0; fd < 1024; fd++)
        if (fcntl(fd, F_GETFD) >= 0)
            set[fd / 8] |= 1 << (fd % 8);
}

/* How many fds are in @after and not in @before; *cloexecSockets: how
 * many of those are close-on-exec sockets. */
static int
addedFds(const unsigned char before[128], const unsigned char after[128],
         int *cloexecSockets)
{
    char path[64], link[PATH_MAX];
    int fd, added = 0;
    ssize_t len;

    *cloexecSockets = 0;
    for (fd = 0; fd < 1024; fd++) {
        if (!(after[fd / 8] & (1 << (fd % 8))) || (before[fd / 8] & (1 << (fd % 8))))
            continue;
        added++;
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        if ((len = readlink(path, link, sizeof(link) - 1)) < 0)
            continue;
        link[len] = '\0';
        if (strncmp(link, "socket:", 7) == 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC))
            (*cloexecSockets)++;
    }
    return added;
}

/* The files under @dir that process @pid holds open, ","-joined into
 * @list ("" if none). */
static void
filesHeldUnder(pid_t pid, const char *dir, char *list, size_t size)
{
    char path[64], link[PATH_MAX], fdpath[384];
    struct dirent *de;
    ssize_t len;
    DIR *d;

    list[0] = '\0';
    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    if (!(d = opendir(path)))
        return;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(fdpath, sizeof(fdpath), "%s/%s", path, de->d_name);
        if ((len = readlink(fdpath, link, sizeof(link) - 1)) < 0)
            continue;
        link[len] = '\0';
        if (strstr(link, dir) && strlen(list) + strlen(link) + 2 < size) {
            if (list[0])
                strcat(list, ",");
            strcat(list, link);
        }
    }
    closedir(d);
}

/* A file @marker created in @dir, open without close-on-exec (a careless
 * spawner would hand it over) and above the numbers the spawner arranges
 * (a dup2() onto 3 or 4 would hide a leak); -1 on failure. */
static int
openMarker(const char *dir, char *marker, size_t size)
{
    int markerFd, fd;

    snprintf(marker, size, "%s/marker", dir);
    if ((markerFd = open(marker, O_CREAT | O_RDWR, 0600)) < 0)
        return -1;
    fd = fcntl(markerFd, F_DUPFD, 100);
    close(markerFd);
    return fd;
}

int
scenarioFds(const char *unused TC_UNUSED)
{
    char dir[] = "/tmp/lxcgo-coreproc-XXXXXX", marker[PATH_MAX], path[64];
    char cwd[PATH_MAX], list[8192];
    unsigned char before[128], after[128];
    int markerFd, ok, added, addedOk;
    pid_t core;
    ssize_t len;

    if (!mkdtemp(dir) || chdir(dir) < 0)
        return 2;
    if ((markerFd = openMarker(dir, marker, sizeof(marker))) < 0)
        return 2;
    openDomain();
    openFds(before);
    ok = callOnce() == 6;
    ok += callOnce() == 6;
    openFds(after);
    /* What the calls added must be close-on-exec sockets. */
    added = addedFds(before, after, &addedOk);
    core = theCoreProc();
    snprintf(path, sizeof(path), "/proc/%d/cwd", (int)core);
    len = readlink(path, cwd, sizeof(cwd) - 1);
    cwd[len < 0 ? 0 : len] = '\0';
    filesHeldUnder(core, dir, list, sizeof(list));
    printf("fds calls_ok=%d caller_extra_fds=%d extra_is_cloexec_socket=%d "
           "core_found=%d core_cwd=%s core_holds_caller_files=%s",
           ok, added, addedOk, core > 0, cwd[0] ? cwd : "unknown",
           list[0] ? list : "none");
    /* The caller's directory is not kept busy: it can go. */
    close(markerFd);
    unlink(marker);
    if (chdir("/") < 0)
        return 2;
    printf(" rmdir_cwd=%d\n", rmdir(dir) == 0);
    closeDomain();
    return 0;
}

/* ---- generations --------------------------------------------------------- */

/* The grandchild: calls, writes its core process to @wfd, exits. */
static void
generationsGrandchild(int wfd)
{
    pid_t g;

    callOnce();
    g = theCoreProc();
    if (write(wfd, &g, sizeof(g)) != sizeof(g))
        _exit(3);
    _exit(0);
}

/* The child: calls, forks the grandchild, and writes what it saw of both
 * to the pipe @p as the rest of the parent's line. */
static void
generationsChild(pid_t parentCore, const int p[2])
{
    pid_t mine, grand, gcore = -1;
    int q[2], ok, gstatus, before, after, dirfd = relOpenFdDir();

    close(p[0]);
    before = relCountFds(dirfd);
    ok = callOnce() == 6;
    after = relCountFds(dirfd);
    mine = theCoreProc();
    if (pipe(q) < 0)
        _exit(2);
    if ((grand = fork()) == 0) {
        close(q[0]);
        generationsGrandchild(q[1]);
    }
    close(q[1]);
    if (read(q[0], &gcore, sizeof(gcore)) != sizeof(gcore))
        gcore = -1;
    waitpid(grand, &gstatus, 0);
    dprintf(p[1], " child_ok=%d child_core_distinct=%d child_extra_fds=%d "
            "grandchild_core_distinct=%d", ok,
            mine > 0 && mine != parentCore, after - before,
            gcore > 0 && gcore != mine && gcore != parentCore);
    _exit(0);
}

int
scenarioGenerations(const char *unused TC_UNUSED)
{
    pid_t parentCore, again, child;
    int p[2], status;
    char childLine[512] = "";
    ssize_t len;

    openDomain();
    callOnce();
    parentCore = theCoreProc();
    if (pipe(p) < 0)
        return 2;
    if ((child = fork()) == 0)
        generationsChild(parentCore, p);
    close(p[1]);
    len = read(p[0], childLine, sizeof(childLine) - 1);
    childLine[len < 0 ? 0 : len] = '\0';
    close(p[0]);
    waitpid(child, &status, 0);
    callOnce();
    again = theCoreProc();
    printf("generations parent_core_found=%d parent_core_same=%d%s\n",
           parentCore > 0, parentCore > 0 && again == parentCore, childLine);
    closeDomain();
    return 0;
}
