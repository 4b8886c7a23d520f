/*
 * coreproc: what a caller can observe of its core process, checked.
 *
 *   coreproc SCENARIO [MODE]     (domain lxcgo-plain, or $LXCGO_DOMAIN)
 *
 * Each scenario prints one line "SCENARIO key=value ..." for
 * tests/live/coreproc_test.go, which says what each value must be:
 *
 *   sigchld [subreaper]  a single-threaded caller counting SIGCHLD and
 *               polling waitpid(-1) during 20 calls; then a child of its
 *               own (subreaper: the caller is a child subreaper, which
 *               adopts every orphan below it)
 *   reaper      a caller whose SIGCHLD handler reaps with waitpid(-1)
 *   session     process group and session of the core process; a SIGINT
 *               to the caller's process group
 *   fds         what the caller keeps, what the core process holds (cwd,
 *               a marker fd of the caller's)
 *   exit MODE   a child calls, then exits, is SIGKILLed, execs, or exits
 *               leaving a child of its own with a copy of the channel
 *               (MODE exit|kill|exec|forked); how long its core process
 *               outlives it
 *   subreaper   the same with this process as the child's subreaper: how
 *               long until nothing is left to reap
 *   generations parent, child and grandchild each get a core process
 *   concurrent  16 threads make their first calls at once (the host holds
 *               a listening socket, so it is served by a core process)
 *   midcall     the core process SIGKILLed while a call waits on it
 *   midterm     the same with SIGTERM, which it can tell the caller about
 *   idlekill    the core process SIGKILLed between two calls
 *   hung        the core process stopped (SIGSTOP) during a call
 *   idle        a call, SECONDS idle (the test bed's daemon drops a client
 *               that asked for keepalive and does not answer within 2 s),
 *               a call: on the same daemon connection?
 *   forkrace MODE  threads make their first calls while another forks
 *               children that call too (MODE plain: a plain multi-
 *               threaded host; server: one that holds a listening socket)
 */
#include <dirent.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include "rel_util.h"

#define CORE_PROGRAM "libvirt-lxc-open"
#define CALLER_FD_INFO "fdinfo/4"   /* LXC_PROC_CALLER_FD */
#define CALLS 20
#define THREADS 16
#define GONE_WAIT_MS 3000

static const char *domName = "lxcgo-plain";
static virConnectPtr conn;
static virDomainPtr dom;

/* A small /proc file into @buf, NUL-terminated; -1 if unreadable. */
static int
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

static void
openDomain(void)
{
    conn = tcOpen(0);
    tcQuiet(conn);
    dom = tcDomain(conn, domName);
}

static void
closeDomain(void)
{
    tcRelease();
}

/* One OpenNamespace; returns its result, the fds closed and freed. */
static int
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
 * on @caller. */
static int
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

static pid_t
theCoreProc(void)
{
    pid_t pids[4];

    return coreProcsOf(getpid(), pids, 4) == 1 ? pids[0] : -1;
}

/* kill() for the pids this program finds, which may be -1 (none found):
 * kill(-1, sig) would signal every process we may signal. */
static void
signalPid(pid_t pid, int sig)
{
    if (pid > 0)
        kill(pid, sig);
}

static int
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
static long long
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
static long long
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
static void
ownChildren(char *out, size_t size)
{
    char path[64];

    snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)getpid(),
             (int)getpid());
    if (readSmall(path, out, size) < 0)
        out[0] = '\0';
    out[strcspn(out, " \n")] = '\0';
}

/* ---- sigchld, reaper ----------------------------------------------------- */

static volatile sig_atomic_t sigchldCount, reapedOwn, reapedForeign;
static volatile pid_t ownChild;

static void
countSigchld(int sig)
{
    (void)sig;
    sigchldCount++;
}

static void
reapAll(int sig)
{
    int saved = errno, status;
    pid_t pid;

    (void)sig;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (pid == ownChild)
            reapedOwn++;
        else
            reapedForeign++;
    }
    errno = saved;
}

static void
forkOwnChild(void)
{
    struct timespec pause = { 0, 20 * 1000 * 1000 };
    int i;

    if ((ownChild = fork()) == 0)
        _exit(0);
    for (i = 0; i < 100 && !reapedOwn && !sigchldCount; i++)
        nanosleep(&pause, NULL);
}

static int
scenarioSigchld(const char *mode)
{
    struct sigaction sa;
    char children[256];
    int ok = 0, i, anyChild;
    pid_t w;

    if (strcmp(mode, "subreaper") == 0 && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        return 2;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = countSigchld;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGCHLD, &sa, NULL);
    openDomain();
    for (i = 0; i < CALLS; i++)
        ok += callOnce() == 6;
    w = waitpid(-1, NULL, WNOHANG);
    anyChild = !(w < 0 && errno == ECHILD);
    ownChildren(children, sizeof(children));
    printf("sigchld mode=%s calls=%d ok=%d threads=%d during_calls=%d "
           "waitpid_sees_child=%d children=%s", mode[0] ? mode : "plain", CALLS, ok,
           tcThreads(), (int)sigchldCount, anyChild,
           children[0] ? children : "none");
    sigchldCount = 0;
    forkOwnChild();
    waitpid(ownChild, NULL, 0);
    printf(" own_child_sigchld=%d\n", (int)sigchldCount);
    closeDomain();
    return 0;
}

static int
scenarioReaper(void)
{
    struct sigaction sa;
    int ok = 0, i;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = reapAll;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGCHLD, &sa, NULL);
    openDomain();
    for (i = 0; i < CALLS; i++)
        ok += callOnce() == 6;
    forkOwnChild();
    printf("reaper calls=%d ok=%d reaped_own=%d reaped_foreign=%d\n", CALLS, ok,
           (int)reapedOwn, (int)reapedForeign);
    closeDomain();
    return 0;
}

/* ---- session ------------------------------------------------------------- */

/* Fields 5 and 6 of /proc/PID/stat: process group and session. */
static int
groupAndSession(pid_t pid, long *pgrp, long *sid)
{
    char path[64], buf[1024], *p;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if (readSmall(path, buf, sizeof(buf)) < 0 || !(p = strrchr(buf, ')')))
        return -1;
    return sscanf(p + 2, "%*c %*d %ld %ld", pgrp, sid) == 2 ? 0 : -1;
}

static int
scenarioSession(void)
{
    long cg = -1, cs = -1;
    pid_t core, again;
    int first, second;

    /* A group of our own, as a shell gives each job. */
    setpgid(0, 0);
    signal(SIGINT, SIG_IGN);
    openDomain();
    first = callOnce();
    core = theCoreProc();
    groupAndSession(core, &cg, &cs);
    kill(0, SIGINT); /* what a terminal's Ctrl-C sends to its foreground group */
    usleep(100 * 1000);
    second = callOnce();
    again = theCoreProc();
    printf("session first=%d core_found=%d same_pgrp=%d same_session=%d "
           "survived_sigint=%d second=%d same_core=%d\n",
           first, core > 0, cg == (long)getpgrp(), cs == (long)getsid(0),
           core > 0 && alive(core), second, core > 0 && again == core);
    closeDomain();
    return 0;
}

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

static int
scenarioFds(void)
{
    char dir[] = "/tmp/lxcgo-coreproc-XXXXXX", marker[PATH_MAX], path[64];
    char link[PATH_MAX], cwd[PATH_MAX], list[8192] = "";
    unsigned char before[128], after[128];
    int markerFd, ok, fd, added = 0, addedOk = 0;
    struct dirent *de;
    pid_t core;
    ssize_t len;
    DIR *d;

    if (!mkdtemp(dir) || chdir(dir) < 0)
        return 2;
    snprintf(marker, sizeof(marker), "%s/marker", dir);
    /* Not close-on-exec: a careless spawner would hand it over. */
    if ((markerFd = open(marker, O_CREAT | O_RDWR, 0600)) < 0)
        return 2;
    /* Above the numbers the spawner arranges (a dup2() onto 3 or 4 would
     * hide a leak). */
    if ((fd = fcntl(markerFd, F_DUPFD, 100)) < 0)
        return 2;
    close(markerFd);
    markerFd = fd;
    openDomain();
    openFds(before);
    ok = callOnce() == 6;
    ok += callOnce() == 6;
    openFds(after);
    /* What the calls added must be close-on-exec sockets. */
    for (fd = 0; fd < 1024; fd++) {
        if (!(after[fd / 8] & (1 << (fd % 8))) || (before[fd / 8] & (1 << (fd % 8))))
            continue;
        added++;
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        if ((len = readlink(path, link, sizeof(link) - 1)) < 0)
            continue;
        link[len] = '\0';
        if (strncmp(link, "socket:", 7) == 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC))
            addedOk++;
    }
    core = theCoreProc();
    snprintf(path, sizeof(path), "/proc/%d/cwd", (int)core);
    len = readlink(path, cwd, sizeof(cwd) - 1);
    cwd[len < 0 ? 0 : len] = '\0';
    snprintf(path, sizeof(path), "/proc/%d/fd", (int)core);
    if ((d = opendir(path))) {
        while ((de = readdir(d))) {
            char fdpath[384];
            if (de->d_name[0] == '.')
                continue;
            snprintf(fdpath, sizeof(fdpath), "%s/%s", path, de->d_name);
            if ((len = readlink(fdpath, link, sizeof(link) - 1)) < 0)
                continue;
            link[len] = '\0';
            if (strstr(link, dir) && strlen(list) + strlen(link) + 2 < sizeof(list)) {
                if (list[0])
                    strcat(list, ",");
                strcat(list, link);
            }
        }
        closedir(d);
    }
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

/* ---- exit, subreaper ----------------------------------------------------- */

/* A child that calls, tells us its core process, then ends as @mode says.
 * Returns the child's pid; *core is its core process. */
static pid_t
callerChild(const char *mode, pid_t *core)
{
    int p[2];
    pid_t child;

    if (pipe2(p, O_CLOEXEC) < 0)
        exit(2);
    if ((child = fork()) == 0) {
        pid_t mine;
        openDomain();
        callOnce();
        mine = theCoreProc();
        if (write(p[1], &mine, sizeof(mine)) != sizeof(mine))
            _exit(3);
        if (strcmp(mode, "exec") == 0) {
            execl("/bin/sleep", "sleep", "3", (char *)NULL);
            _exit(4);
        }
        if (strcmp(mode, "kill") == 0)
            pause();
        /* A child that keeps a copy of the channel and outlives us: the
         * core process must still end with us (its pidfd of us). */
        if (strcmp(mode, "forked") == 0 && fork() == 0) {
            sleep(3);
            _exit(0);
        }
        _exit(0);
    }
    close(p[1]);
    if (read(p[0], core, sizeof(*core)) != sizeof(*core))
        *core = -1;
    close(p[0]);
    return child;
}

static int
scenarioExit(const char *mode)
{
    long long since;
    pid_t core, child = callerChild(mode, &core);
    int status;

    if (strcmp(mode, "kill") == 0)
        signalPid(child, SIGKILL);
    if (strcmp(mode, "exec") == 0) {
        /* The exec'ed program runs on (3 s): only the channel ended. */
        usleep(100 * 1000);
        since = tcNowMs();
        printf("exit mode=%s core_found=%d gone_ms=%lld caller_alive=%d\n", mode,
               core > 0, core > 0 ? goneAfter(core, since, GONE_WAIT_MS) : -1,
               waitpid(child, &status, WNOHANG) == 0);
        signalPid(child, SIGKILL);
        waitpid(child, &status, 0);
        return 0;
    }
    waitpid(child, &status, 0);
    since = tcNowMs();
    printf("exit mode=%s core_found=%d gone_ms=%lld\n", mode, core > 0,
           core > 0 ? goneAfter(core, since, GONE_WAIT_MS) : -1);
    return 0;
}

static int
scenarioSubreaper(void)
{
    long long since, lastMs = -1;
    int status, others = 0, nothingLeft = 0;
    pid_t core, child, pid;

    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        return 2;
    child = callerChild("exit", &core);
    /* Reap everything that comes, until nothing is left, within the
     * limit: the child, and its core process once it is ours. */
    since = -1;
    for (;;) {
        pid = waitpid(-1, &status, WNOHANG);
        if (pid < 0 && errno == ECHILD) {
            nothingLeft = 1;
            break;
        }
        if (pid == child)
            since = tcNowMs();
        else if (pid > 0)
            others++;
        if (pid > 0 && since >= 0)
            lastMs = tcNowMs() - since;
        if (since >= 0 && tcNowMs() - since > GONE_WAIT_MS)
            break;
        if (pid <= 0)
            usleep(2000);
    }
    printf("subreaper core_found=%d reaped_besides_child=%d nothing_left=%d "
           "left_after_ms=%lld core_alive=%d\n", core > 0, others,
           nothingLeft, lastMs < 0 ? 0 : lastMs,
           core > 0 && alive(core));
    return 0;
}

/* ---- generations --------------------------------------------------------- */

static int
scenarioGenerations(void)
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
    if ((child = fork()) == 0) {
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
            pid_t g;
            close(q[0]);
            callOnce();
            g = theCoreProc();
            if (write(q[1], &g, sizeof(g)) != sizeof(g))
                _exit(3);
            _exit(0);
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

/* ---- concurrent ---------------------------------------------------------- */

static pthread_barrier_t barrier;
static int concurrentOk, concurrentBad;
static char wantInodes[512];

/* "ino,ino,..." of the fds, in order. */
static void
inodesOf(const int *fds, int n, char *out, size_t size)
{
    struct stat st;
    int i;

    out[0] = '\0';
    for (i = 0; i < n; i++) {
        if (fstat(fds[i], &st) < 0)
            st.st_ino = 0;
        snprintf(out + strlen(out), size - strlen(out), "%s%lu", i ? "," : "",
                 (unsigned long)st.st_ino);
    }
}

static void *
concurrentMain(void *arg)
{
    char got[512];
    int i, j;

    (void)arg;
    pthread_barrier_wait(&barrier);
    for (i = 0; i < 50; i++) {
        int *fds = NULL;
        int n = virDomainLxcOpenNamespace(dom, &fds, 0);
        inodesOf(fds, n, got, sizeof(got));
        if (n == 6 && strcmp(got, wantInodes) == 0)
            __atomic_add_fetch(&concurrentOk, 1, __ATOMIC_RELAXED);
        else
            __atomic_add_fetch(&concurrentBad, 1, __ATOMIC_RELAXED);
        for (j = 0; j < n; j++)
            close(fds[j]);
        free(fds);
    }
    return NULL;
}

/* A listening socket held by the host: what makes it a server, which our
 * library serves by a core process even when it is multi-threaded. */
static int
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

/* The namespaces the daemon must hand out, read straight from /proc. */
static void
initInodes(void)
{
    static const char *const ns[] = { "user", "ipc", "uts", "net", "pid", "mnt" };
    pid_t init = tcInitPid(dom);
    char path[64];
    struct stat st;
    size_t i;

    wantInodes[0] = '\0';
    for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
        snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)init, ns[i]);
        if (stat(path, &st) < 0)
            st.st_ino = 0;
        snprintf(wantInodes + strlen(wantInodes), sizeof(wantInodes) - strlen(wantInodes),
                 "%s%lu", i ? "," : "", (unsigned long)st.st_ino);
    }
}

static int
scenarioConcurrent(void)
{
    pthread_t t[THREADS];
    pid_t procs[8];
    int i, lfd = listenSomewhere();

    openDomain();
    initInodes();
    pthread_barrier_init(&barrier, NULL, THREADS);
    for (i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, concurrentMain, NULL);
    for (i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    printf("concurrent calls=%d ok=%d bad=%d core_procs=%d core_mapped=%d\n",
           THREADS * 50, concurrentOk, concurrentBad, coreProcsOf(getpid(), procs, 8),
           tcMapped("libvirt-lxc-core"));
    close(lfd);
    closeDomain();
    return 0;
}

/* ---- faults -------------------------------------------------------------- */

typedef struct {
    int ret;
    long long ms;
    char err[2048];
} callResult;

static void *
timedCall(void *arg)
{
    callResult *r = arg;
    long long t0 = tcNowMs();

    r->ret = callOnce();
    r->ms = tcNowMs() - t0;
    relErrorFields(r->err, sizeof(r->err));
    return NULL;
}

/* A call that meets a stopped core process, which @fault then ends with
 * signal @sig (or not, 0: the caller's deadline must end it). */
static int
scenarioFault(const char *name, int sig)
{
    pthread_t t;
    callResult r;
    pid_t core, next;
    int first, second;

    openDomain();
    first = callOnce();
    core = theCoreProc();
    signalPid(core, SIGSTOP);
    memset(&r, 0, sizeof(r));
    pthread_create(&t, NULL, timedCall, &r);
    if (sig) {
        usleep(200 * 1000);
        signalPid(core, sig);
        signalPid(core, SIGCONT); /* a caught signal is handled only now */
    }
    pthread_join(t, NULL);
    /* Not resumed: a hung one must have been killed by the library. */
    second = callOnce();
    next = theCoreProc();
    printf("%s first=%d core_found=%d ret=%d ms=%lld %s next_ret=%d new_core=%d "
           "old_core_alive=%d\n", name, first, core > 0, r.ret, r.ms, r.err,
           second, next > 0 && next != core, alive(core));
    closeDomain();
    return 0;
}

static int
scenarioIdleKill(void)
{
    pid_t core, next;
    int first, second;
    char err[2048];

    openDomain();
    first = callOnce();
    core = theCoreProc();
    signalPid(core, SIGKILL);
    allThreadsGoneAfter(core, tcNowMs(), GONE_WAIT_MS);
    second = callOnce();
    relErrorFields(err, sizeof(err));
    next = theCoreProc();
    printf("idlekill first=%d core_found=%d second=%d new_core=%d %s\n", first,
           core > 0, second, next > 0 && next != core, second == 6 ? "noerror" : err);
    closeDomain();
    return 0;
}

/* ---- idle ---------------------------------------------------------------- */

/* The sockets of @pid other than its channel (fd 3), as "ino,ino,...". */
static void
socketsBesidesChannel(pid_t pid, char *out, size_t size)
{
    char path[64], link[128], fdpath[384];
    struct dirent *de;
    ssize_t len;
    DIR *d;

    out[0] = '\0';
    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    if (!(d = opendir(path)))
        return;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.' || strcmp(de->d_name, "3") == 0)
            continue;
        snprintf(fdpath, sizeof(fdpath), "%s/%s", path, de->d_name);
        if ((len = readlink(fdpath, link, sizeof(link) - 1)) < 0)
            continue;
        link[len] = '\0';
        if (strncmp(link, "socket:", 7) == 0 && strlen(out) + strlen(link) + 2 < size) {
            if (out[0])
                strcat(out, ",");
            strcat(out, link + 7);
        }
    }
    closedir(d);
}

static int
scenarioIdle(const char *seconds)
{
    char before[512], after[512];
    int first, second;
    pid_t core;

    openDomain();
    first = callOnce();
    core = theCoreProc();
    socketsBesidesChannel(core, before, sizeof(before));
    sleep((unsigned)atoi(seconds));
    second = callOnce();
    socketsBesidesChannel(core, after, sizeof(after));
    printf("idle first=%d second=%d core_found=%d same_core=%d daemon_sockets=%s "
           "same_connection=%d\n", first, second, core > 0, theCoreProc() == core,
           before[0] ? before : "none", before[0] && strcmp(before, after) == 0);
    closeDomain();
    return 0;
}

/* ---- forkrace ------------------------------------------------------------ */

#define RACE_ROUNDS 10
#define RACE_CALLERS 4
#define RACE_CHILDREN 4

static void *
raceCaller(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&barrier);
    callOnce();
    return NULL;
}

/* One process: RACE_CALLERS threads make their first calls while the main
 * thread forks RACE_CHILDREN children that call too. Exits 0 if every
 * child got its fds within 10 s. */
static int
raceOnce(int listen)
{
    pthread_t t[RACE_CALLERS];
    pid_t kids[RACE_CHILDREN];
    int i, status, bad = 0;

    if (listen)
        listenSomewhere();
    openDomain();
    pthread_barrier_init(&barrier, NULL, RACE_CALLERS + 1);
    for (i = 0; i < RACE_CALLERS; i++)
        pthread_create(&t[i], NULL, raceCaller, NULL);
    pthread_barrier_wait(&barrier);
    for (i = 0; i < RACE_CHILDREN; i++) {
        if ((kids[i] = fork()) == 0)
            _exit(callOnce() == 6 ? 0 : 1);
        usleep(200 * i);
    }
    for (i = 0; i < RACE_CHILDREN; i++) {
        if (relWaitTimeout(kids[i], 10000, &status) == 1)
            bad |= 2; /* hung */
        else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            bad |= 1;
    }
    for (i = 0; i < RACE_CALLERS; i++)
        pthread_join(t[i], NULL);
    _exit(bad);
}

static int
scenarioForkRace(const char *mode)
{
    int round, status, hangs = 0, failed = 0, listen = strcmp(mode, "server") == 0;
    pid_t pid;

    for (round = 0; round < RACE_ROUNDS; round++) {
        if ((pid = fork()) == 0)
            raceOnce(listen);
        if (relWaitTimeout(pid, 60000, &status) == 1 || !WIFEXITED(status)) {
            hangs++;
            continue;
        }
        hangs += (WEXITSTATUS(status) & 2) != 0;
        failed += (WEXITSTATUS(status) & 1) != 0;
    }
    printf("forkrace mode=%s rounds=%d children=%d hung_rounds=%d failed_rounds=%d\n",
           mode, RACE_ROUNDS, RACE_ROUNDS * RACE_CHILDREN, hangs, failed);
    return 0;
}

int
main(int argc, char **argv)
{
    const char *s = argc > 1 ? argv[1] : "";
    const char *arg = argc > 2 ? argv[2] : "";

    if (getenv("LXCGO_DOMAIN"))
        domName = getenv("LXCGO_DOMAIN");
    setvbuf(stdout, NULL, _IOLBF, 0);
    tcPrintLib();
    if (strcmp(s, "sigchld") == 0)
        return scenarioSigchld(arg);
    if (strcmp(s, "reaper") == 0)
        return scenarioReaper();
    if (strcmp(s, "session") == 0)
        return scenarioSession();
    if (strcmp(s, "fds") == 0)
        return scenarioFds();
    if (strcmp(s, "exit") == 0)
        return scenarioExit(arg);
    if (strcmp(s, "subreaper") == 0)
        return scenarioSubreaper();
    if (strcmp(s, "generations") == 0)
        return scenarioGenerations();
    if (strcmp(s, "concurrent") == 0)
        return scenarioConcurrent();
    if (strcmp(s, "midcall") == 0)
        return scenarioFault("midcall", SIGKILL);
    if (strcmp(s, "midterm") == 0)
        return scenarioFault("midterm", SIGTERM);
    if (strcmp(s, "hung") == 0)
        return scenarioFault("hung", 0);
    if (strcmp(s, "idlekill") == 0)
        return scenarioIdleKill();
    if (strcmp(s, "idle") == 0)
        return scenarioIdle(arg[0] ? arg : "5");
    if (strcmp(s, "forkrace") == 0)
        return scenarioForkRace(arg);
    fprintf(stderr, "usage: %s SCENARIO [ARG]\n", argv[0]);
    return 2;
}
