/*
 * open_ns: virDomainLxcOpenNamespace against the test bed's daemon.
 *
 *   open_ns                       one line per scenario (see tc.h)
 *   open_ns stress THREADS CALLS  THREADS threads calling at once, CALLS each
 *   open_ns restart CMD [ARG...]  a call, CMD (restarts the daemon), calls again
 *
 * Every returned fd is identified by comparing its st_dev/st_ino with the
 * container init's /proc/<init>/ns/<name>, read independently of the call,
 * so a wrong or misordered fd shows as such whichever library is loaded.
 *
 * Fields that cannot be the same for both libraries are kept in fields of
 * their own so that the runner can compare the rest and check those apart:
 *   core=yes|no   libvirt-lxc-core.so mapped in this process after the call
 *                 (never: ours runs it in the caller's core process)
 *   new=, cold_new=  fds open after the call(s) that were not before, by
 *                 kind (ours: the channel to its core process)
 *   sockets=+N    socket fds gained over a stress run (both share one
 *                 connection between the threads)
 *   sameconn_*    the call on a connection that died with the daemon
 *   ms=N          elapsed time, for information
 * threads=N (single-threaded scenarios: threads after the call) must be 1
 * for both.
 */
#include <pthread.h>

#include "nsfds.h"

#define GONE_NAME "lxcgo-open-gone"
#define GONE_UUID "6f70656e-6e73-4000-8000-676f6e650001"

/* "fds=<ns>:<cloexec|inherit>,... ino=<inode>,..." for a successful call,
 * then closes and frees the list; free() crashing would show as a crash. */
static void
reportFds(const nsSet *set, int *fds, int n)
{
    int i;

    tcExtra("fdlist=%s", fds == NULL ? "NULL" : fds == JUNK ? "untouched" : "set");
    if (n <= 0)
        return;
    tcExtra(" fds=");
    for (i = 0; i < n; i++) {
        int k = set ? nsIdentify(set, fds[i]) : -1;
        int fl = fcntl(fds[i], F_GETFD);

        tcExtra("%s%s:%s", i ? "," : "", k >= 0 ? nsNames[k] : "?",
                fl < 0 ? "closed" : fl & FD_CLOEXEC ? "cloexec" : "inherit");
    }
    tcExtra(" ino=");
    for (i = 0; i < n; i++) {
        struct stat st;

        memset(&st, 0, sizeof(st));
        fstat(fds[i], &st);
        tcExtra("%s%llu", i ? "," : "", (unsigned long long)st.st_ino);
    }
    for (i = 0; i < n; i++)
        close(fds[i]);
    free(fds);
    tcExtra(" freed=yes");
}

typedef enum {
    DOM_PLAIN,
    DOM_USERNS,
    DOM_OFF,         /* defined, shut off */
    DOM_GONE,        /* a virDomainPtr whose uuid the daemon no longer knows */
    DOM_NULL,
} domKind;

typedef struct {
    domKind dom;
    int multi;           /* start a thread first */
    unsigned int flags;
    int nullList;        /* fdlist = NULL */
    int readonly;
    int handlers;        /* 0 none, 1 global only, 2 connection and global */
} openCase;

/* Defines a throwaway domain and undefines it again, keeping the pointer:
 * its name and uuid stay in the virDomainPtr, unknown to the daemon. */
static virDomainPtr
goneDomain(virConnectPtr conn)
{
    static const char xml[] =
        "<domain type='lxc'><name>" GONE_NAME "</name><uuid>" GONE_UUID "</uuid>"
        "<memory unit='MiB'>128</memory>"
        "<os><type>exe</type><init>/bin/sleep</init></os></domain>";
    virDomainPtr dom = virDomainDefineXML(conn, xml);

    if (!dom || virDomainUndefine(dom) < 0) {
        fprintf(stderr, "cannot define and undefine %s\n", GONE_NAME);
        exit(2);
    }
    virResetLastError();
    return tcOwnDomain(dom);
}

static int
openRun(void *opaque)
{
    const openCase *c = opaque;
    virConnectPtr conn = NULL;
    virDomainPtr dom = NULL;
    const nsSet *set = NULL;
    int *fds = JUNK;
    static fdSnap before;
    int ret;

    if (c->dom != DOM_NULL) {
        conn = tcOpen(c->readonly);
        switch (c->dom) {
        case DOM_PLAIN: dom = tcDomain(conn, "lxcgo-plain"); set = &plainNs; break;
        case DOM_USERNS: dom = tcDomain(conn, "lxcgo-userns"); set = &usernsNs; break;
        case DOM_OFF: dom = tcDomain(conn, "lxcgo-off"); break;
        case DOM_GONE: dom = goneDomain(conn); break;
        case DOM_NULL: break;
        }
    }
    if (c->handlers)
        tcHandlers(c->handlers == 2 ? conn : NULL);
    if (c->multi)
        goMultiThreaded();

    snapTake(&before);
    ret = virDomainLxcOpenNamespace(dom, c->nullList ? NULL : &fds, c->flags);
    if (!c->nullList)
        reportFds(set, fds, ret);
    else
        tcExtra("fdlist=none");
    /* Left open by the call once its fds are closed: nothing for libvirt's
     * library; ours may keep what loading the core set up for good. */
    tcExtra(" ");
    snapNew(&before);
    tcExtraConnErr(conn);
    if (!c->multi)
        tcExtra(" threads=%d", tcThreads());
    tcExtra(" core=%s", tcMapped("libvirt-lxc-core") == 1 ? "yes" : "no");
    return ret;
}

/* ---- stress: many threads at once ---------------------------------- */

typedef struct {
    virDomainPtr dom[2];
    const nsSet *set[2];
    pthread_barrier_t *start;
    int index, calls;
    int ok, wrong, errors;
    char firstError[512];
} stressArg;

static void *
stressThread(void *opaque)
{
    stressArg *a = opaque;
    int i, k;

    pthread_barrier_wait(a->start);
    for (i = 0; i < a->calls; i++) {
        int which = (a->index + i) % 2;
        int *fds = JUNK;
        int n = virDomainLxcOpenNamespace(a->dom[which], &fds, 0);

        if (n < 0) {
            virErrorPtr e = virGetLastError();

            if (a->errors++ == 0)
                snprintf(a->firstError, sizeof(a->firstError), "%s",
                         e && e->message ? e->message : "no error set");
            continue;
        }
        if (nsExact(a->set[which], fds, n))
            a->ok++;
        else
            a->wrong++;
        for (k = 0; k < n; k++)
            close(fds[k]);
        free(fds);
    }
    return NULL;
}

static int
stressMain(int nthreads, int calls)
{
    virConnectPtr conn = tcOpen(0);
    pthread_barrier_t start;
    stressArg *args = calloc(nthreads, sizeof(*args));
    pthread_t *tids = calloc(nthreads, sizeof(*tids));
    virDomainPtr dom[2] = { tcDomain(conn, "lxcgo-plain"), tcDomain(conn, "lxcgo-userns") };
    const nsSet *set[2] = { &plainNs, &usernsNs };
    int ok = 0, wrong = 0, errors = 0, i, k, *fds;
    const char *firstError = "";
    fdCount before, after;
    long long t0;

    if (!args || !tids)
        return 2;
    goMultiThreaded();
    /* Warm: the measured fds exclude what the first call sets up for good
     * (ours: the Go runtime and its shared connection). */
    for (k = 0; k < 2; k++) {
        int n = virDomainLxcOpenNamespace(dom[k], &fds, 0);

        for (i = 0; i < n; i++)
            close(fds[i]);
        if (n > 0)
            free(fds);
    }
    before = countFds();
    pthread_barrier_init(&start, NULL, nthreads);
    t0 = tcNowMs();
    for (i = 0; i < nthreads; i++) {
        args[i].dom[0] = dom[0];
        args[i].dom[1] = dom[1];
        args[i].set[0] = set[0];
        args[i].set[1] = set[1];
        args[i].start = &start;
        args[i].index = i;
        args[i].calls = calls;
        if (pthread_create(&tids[i], NULL, stressThread, &args[i]) != 0)
            return 2;
    }
    for (i = 0; i < nthreads; i++) {
        pthread_join(tids[i], NULL);
        ok += args[i].ok;
        wrong += args[i].wrong;
        errors += args[i].errors;
        if (!firstError[0] && args[i].firstError[0])
            firstError = args[i].firstError;
    }
    after = countFds();
    tcPrintLib();
    printf("stress threads=%d calls=%d ok=%d wrong=%d errors=%d first_error=",
           nthreads, nthreads * calls, ok, wrong, errors);
    tcExtraBuf[0] = '\0';
    tcQuote(tcExtraBuf, sizeof(tcExtraBuf), firstError);
    printf("%s ns_leaked=%d other_leaked=%d sockets=%+d core=%s ms=%lld\n",
           tcExtraBuf, after.ns - before.ns, after.other - before.other,
           after.sockets - before.sockets,
           tcMapped("libvirt-lxc-core") == 1 ? "yes" : "no", tcNowMs() - t0);
    free(args);
    free(tids);
    tcRelease();
    return 0;
}

/* ---- restart: the daemon goes away between two calls ----------------- */

static char **restartCmd;

/* Runs the restart command, without the library choice of this process:
 * the daemon it starts must not inherit LD_PRELOAD or LD_LIBRARY_PATH. */
static int
runRestart(void)
{
    pid_t pid;
    int status;

    fflush(stdout);
    if ((pid = fork()) < 0)
        return -1;
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);

        unsetenv("LD_PRELOAD");
        unsetenv("LD_LIBRARY_PATH");
        /* up.sh talks on stderr; keep it out of the scenario's stderr. */
        dup2(devnull, STDOUT_FILENO);
        dup2(devnull, STDERR_FILENO);
        execvp(restartCmd[0], restartCmd);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* One call on a connection, restart, then (a) a call on the same, now dead,
 * connection, and (b) the reported call on a new connection. Ours keeps its
 * own connection to the daemon; it died too and must be replaced
 * without the caller noticing. */
static int
restartRun(void *opaque)
{
    virConnectPtr conn, conn2;
    virDomainPtr dom;
    virErrorPtr e;
    int *fds = JUNK, n, rc;

    (void)opaque;
    /* The dead connection's failure (libvirt's) is reported in the
     * sameconn_* fields, not by the default handler on stderr. */
    tcQuiet(NULL);
    /* libvirt's client writes to the dead socket: SIGPIPE would kill the
     * process, as it would virsh if virsh did not ignore it. */
    signal(SIGPIPE, SIG_IGN);
    goMultiThreaded();
    conn = tcOpen(0);
    dom = tcDomain(conn, "lxcgo-plain");
    n = virDomainLxcOpenNamespace(dom, &fds, 0);
    tcExtra("before=%s ", nsExact(&plainNs, fds, n) ? "ok" : "wrong");
    if (n > 0) {
        for (rc = 0; rc < n; rc++)
            close(fds[rc]);
        free(fds);
    }
    rc = runRestart();
    tcExtra("restart_rc=%d ", rc);

    fds = JUNK;
    n = virDomainLxcOpenNamespace(dom, &fds, 0);
    e = virGetLastError();
    tcExtra("sameconn_ret=%d sameconn_exact=%s sameconn_code=%d sameconn_msg=",
            n, nsExact(&plainNs, fds, n) ? "yes" : "no", e ? e->code : 0);
    tcQuote(tcExtraBuf, sizeof(tcExtraBuf), e ? e->message : NULL);
    tcExtra(" ");
    if (n > 0) {
        for (rc = 0; rc < n; rc++)
            close(fds[rc]);
        free(fds);
    }
    virResetLastError();

    conn2 = tcOpen(0);
    dom = tcDomain(conn2, "lxcgo-plain");
    fds = JUNK;
    n = virDomainLxcOpenNamespace(dom, &fds, 0);
    reportFds(&plainNs, fds, n);
    tcExtra(" core=%s", tcMapped("libvirt-lxc-core") == 1 ? "yes" : "no");
    return n;
}

int
main(int argc, char **argv)
{
    static const struct { const char *name; openCase c; } cases[] = {
        { "plain_mt", { .dom = DOM_PLAIN, .multi = 1 } },
        { "userns_mt", { .dom = DOM_USERNS, .multi = 1 } },
        { "plain_st", { .dom = DOM_PLAIN } },
        { "userns_st", { .dom = DOM_USERNS } },
        { "inactive_mt", { .dom = DOM_OFF, .multi = 1 } },
        { "inactive_st", { .dom = DOM_OFF } },
        { "inactive_global_mt", { .dom = DOM_OFF, .multi = 1, .handlers = 1 } },
        { "inactive_conn_st", { .dom = DOM_OFF, .handlers = 2 } },
        { "unknown_uuid_mt", { .dom = DOM_GONE, .multi = 1 } },
        { "unknown_uuid_st", { .dom = DOM_GONE } },
        { "unknown_uuid_conn_mt", { .dom = DOM_GONE, .multi = 1, .handlers = 2 } },
        { "unknown_uuid_global_st", { .dom = DOM_GONE, .handlers = 1 } },
        { "flags_mt", { .dom = DOM_PLAIN, .multi = 1, .flags = 1 } },
        { "flags_st", { .dom = DOM_PLAIN, .flags = 1 } },
        { "flags_conn_mt", { .dom = DOM_USERNS, .multi = 1, .flags = 0x80000000u, .handlers = 2 } },
        { "flags_global_st", { .dom = DOM_USERNS, .flags = 2, .handlers = 1 } },
        { "null_domain_mt", { .dom = DOM_NULL, .multi = 1 } },
        { "null_domain_global_st", { .dom = DOM_NULL, .handlers = 1 } },
        { "null_fdlist_mt", { .dom = DOM_PLAIN, .multi = 1, .nullList = 1 } },
        { "null_fdlist_conn_st", { .dom = DOM_PLAIN, .nullList = 1, .handlers = 2 } },
        { "readonly_mt", { .dom = DOM_PLAIN, .multi = 1, .readonly = 1 } },
        { "readonly_st", { .dom = DOM_USERNS, .readonly = 1 } },
        { "readonly_conn_mt", { .dom = DOM_PLAIN, .multi = 1, .readonly = 1, .handlers = 2 } },
        { "readonly_global_st", { .dom = DOM_PLAIN, .readonly = 1, .handlers = 1 } },
        /* Checked before the domain is looked at: flags and read-only. */
        { "readonly_flags_st", { .dom = DOM_OFF, .flags = 1, .readonly = 1 } },
        { "null_fdlist_flags_mt", { .dom = DOM_OFF, .multi = 1, .flags = 1, .nullList = 1 } },
    };
    size_t i;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (virInitialize() < 0)
        return 2;
    loadNamespaces();

    if (argc == 4 && strcmp(argv[1], "stress") == 0)
        return stressMain(atoi(argv[2]), atoi(argv[3]));
    if (argc >= 3 && strcmp(argv[1], "restart") == 0) {
        restartCmd = argv + 2;
        tcPrintLib();
        tcRun("restart", restartRun, NULL);
        return 0;
    }
    if (argc != 1) {
        fprintf(stderr, "usage: open_ns [stress THREADS CALLS | restart CMD...]\n");
        return 2;
    }

    tcPrintLib();
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        tcRun(cases[i].name, openRun, (void *)&cases[i].c);
    return 0;
}
