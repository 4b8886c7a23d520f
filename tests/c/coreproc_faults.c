/*
 * coreproc_faults.c: the coreproc scenarios about a core process that
 * fails or waits: killed, terminated or stopped during a call (midcall,
 * midterm, hung), killed between calls (idlekill), and a caller idle for
 * longer than the daemon's keepalive (idle).
 */
#include "coreproc.h"

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

int
scenarioMidcall(const char *unused TC_UNUSED)
{
    return scenarioFault("midcall", SIGKILL);
}

int
scenarioMidterm(const char *unused TC_UNUSED)
{
    return scenarioFault("midterm", SIGTERM);
}

int
scenarioHung(const char *unused TC_UNUSED)
{
    return scenarioFault("hung", 0);
}

int
scenarioIdleKill(const char *unused TC_UNUSED)
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

int
scenarioIdle(const char *seconds)
{
    char before[512], after[512];
    int first, second;
    pid_t core;

    if (!seconds[0])
        seconds = "5";
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

