/*
 * coreproc_children.c: the coreproc scenarios about signals and children:
 * what a caller's SIGCHLD handling, waitpid(-1), process group and session
 * see of its core process (sigchld, reaper, session), and how long a core
 * process outlives a caller that ends (exit, subreaper).
 */
#include "coreproc.h"

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

/* A child of the caller's own that exits at once. SIGCHLD is held until
 * its pid is known: a handler that ran first (the child may exit before
 * fork() returns in the parent) would take it for a foreign one. */
static void
forkOwnChild(void)
{
    struct timespec pause = { 0, 20 * 1000 * 1000 };
    sigset_t chld, old;
    int i;

    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &old);
    if ((ownChild = fork()) == 0)
        _exit(0);
    sigprocmask(SIG_SETMASK, &old, NULL);
    for (i = 0; i < 100 && !reapedOwn && !sigchldCount; i++)
        nanosleep(&pause, NULL);
}

int
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

int
scenarioReaper(const char *unused TC_UNUSED)
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

int
scenarioSession(const char *unused TC_UNUSED)
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

int
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

int
scenarioSubreaper(const char *unused TC_UNUSED)
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

