/*
 * coreproc_util.c: the helpers every coreproc scenario uses: the domain and
 * one call on it, finding this process's core process in /proc (our
 * program, holding a pidfd on the caller), and watching a process end.
 */
#include "coreproc.h"

const char *domName = "lxcgo-plain";
static virConnectPtr conn;
virDomainPtr dom;

/* A small /proc file into @buf, NUL-terminated; -1 if unreadable. */
int
readSmall(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return -1;
    n = read(fd, buf, size - 1);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return 0;
}

void
openDomain(void)
{
    conn = tcOpen(0);
    tcQuiet(conn);
    dom = tcDomain(conn, domName);
}

void
closeDomain(void)
{
    tcRelease();
}

/* One OpenNamespace; returns its result, the fds closed and freed. */
int
callOnce(void)
{
    int *fds = NULL;
    int n = virDomainLxcOpenNamespace(dom, &fds, 0), i;

    for (i = 0; i < n; i++)
        close(fds[i]);
    free(fds);
    return n;
}

/* The core processes serving @caller: our program with a caller pidfd
 * on @caller. bench/common.h has its own finder, bench_core_proc(), which
 * asks less of how the core process is started (a child, any pidfd, or the
 * other end of a socket) and wants exactly one; this one holds to the
 * caller fd's number and counts them all, which the tests check. */
int
coreProcsOf(pid_t caller, pid_t *out, int max)
{
    char path[PATH_MAX], exe[PATH_MAX], line[256], want[64];
    struct dirent *de;
    DIR *d = opendir("/proc");
    int n = 0;
    ssize_t len;

    if (!d)
        return -1;
    snprintf(want, sizeof(want), "Pid:\t%d\n", (int)caller);
    while ((de = readdir(d))) {
        FILE *f;
        int match = 0;

        if (de->d_name[0] < '0' || de->d_name[0] > '9')
            continue;
        snprintf(path, sizeof(path), "/proc/%s/exe", de->d_name);
        if ((len = readlink(path, exe, sizeof(exe) - 1)) < 0)
            continue;
        exe[len] = '\0';
        if (!strstr(exe, "/" CORE_PROGRAM))
            continue;
        snprintf(path, sizeof(path), "/proc/%s/" CALLER_FD_INFO, de->d_name);
        if (!(f = fopen(path, "re")))
            continue;
        while (fgets(line, sizeof(line), f))
            if (strcmp(line, want) == 0)
                match = 1;
        fclose(f);
        if (match && n < max)
            out[n++] = atoi(de->d_name);
    }
    closedir(d);
    return n;
}

pid_t
theCoreProc(void)
{
    pid_t pids[4];

    return coreProcsOf(getpid(), pids, 4) == 1 ? pids[0] : -1;
}

/* kill() for the pids this program finds, which may be -1 (none found):
 * kill(-1, sig) would signal every process we may signal. */
void
signalPid(pid_t pid, int sig)
{
    if (pid > 0)
        kill(pid, sig);
}

int
alive(pid_t pid)
{
    char path[64], buf[512], *p;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if (readSmall(path, buf, sizeof(buf)) < 0)
        return 0;
    /* A zombie is dead for our purpose. */
    p = strrchr(buf, ')');
    return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

/* Milliseconds until @pid is gone, or -1 if it outlived @maxMs. */
long long
goneAfter(pid_t pid, long long since, int maxMs)
{
    struct timespec pause = { 0, 5 * 1000 * 1000 };

    while (alive(pid)) {
        if (tcNowMs() - since > maxMs)
            return -1;
        nanosleep(&pause, NULL);
    }
    return tcNowMs() - since;
}

/* Milliseconds until every thread of @pid has exited (its pidfd turns
 * readable), and with the last one its fds are closed; -1 if not within
 * @maxMs. Its leader shows as a zombie, and its fd directory as empty,
 * before that. */
long long
allThreadsGoneAfter(pid_t pid, long long since, int maxMs)
{
    struct pollfd pfd = { .fd = (int)syscall(SYS_pidfd_open, pid, 0), .events = POLLIN };
    int r;

    if (pfd.fd < 0)
        return errno == ESRCH ? tcNowMs() - since : -1;
    r = poll(&pfd, 1, maxMs);
    close(pfd.fd);
    return r == 1 ? tcNowMs() - since : -1;
}

/* The children of this process, as the kernel lists them ("" if none):
 * a zombie of ours would be there. */
void
ownChildren(char *out, size_t size)
{
    char path[64];

    snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)getpid(),
             (int)getpid());
    if (readSmall(path, out, size) < 0)
        out[0] = '\0';
    out[strcspn(out, " \n")] = '\0';
}

/* A listening socket held by the host: what makes it a server, which our
 * library serves by a core process even when it is multi-threaded. */
int
listenSomewhere(void)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    /* Abstract name: nothing on disk. */
    snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, "lxcgo-coreproc-%d", (int)getpid());
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0)
        exit(2);
    return fd;
}

