/*
 * enter_ns: virDomainLxcEnterNamespace with the namespace fds of the test
 * bed's containers (opened from /proc/<init>/ns/ directly, so this does not
 * depend on OpenNamespace), its error paths, the old-namespace list, and
 * where the calling thread ends up. One line per scenario, see tc.h.
 */
#include "tc.h"

static const char *const nsNames[] = { "user", "ipc", "uts", "net", "pid", "mnt" };
#define NNS 6

typedef enum {
    FDS_NONE,        /* fdlist = {-1} */
    FDS_NEGATIVE,    /* {-1, -5} */
    FDS_EBADF,       /* {1000}, not open */
    FDS_DEVNULL,     /* {/dev/null} */
    FDS_SELF_USER,   /* own user namespace */
    FDS_SELF_ALL,    /* all six own namespaces */
    FDS_DOMAIN,      /* all six of the domain's init */
} fdsKind;

typedef struct {
    const char *domain;       /* looked up; NULL: NULL domain */
    fdsKind fds;
    int zero;                 /* pass nfdlist = 0 */
    int oldlists;
    unsigned int flags;
    int handlers;
    int thread;               /* a second thread alive during the call */
    int cgroup;               /* EnterCGroup first */
    int twice;                /* enter the same namespaces a second time */
} nsCase;

static pid_t plainInit, usernsInit;

static int
nsEq(const struct stat *a, const struct stat *b)
{
    return a->st_ino != 0 && a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static int
nsOpenFds(void)
{
    int n = 0, fd;

    for (fd = 0; fd < 1024; fd++)
        n += fcntl(fd, F_GETFD) >= 0;
    return n;
}

static int
nsRun(void *opaque)
{
    const nsCase *c = opaque;
    virConnectPtr conn = NULL;
    virDomainPtr dom = NULL;
    int fds[NNS];
    unsigned int nfds = 0, nold = 12345, i;
    int *old = (int *)&nold;  /* junk: must be replaced */
    char host[NNS][64], target[NNS][64];
    struct stat hostSt[NNS], targetSt[NNS];
    pid_t init = 0;
    int before, ret, nsdir;

    if (c->domain) {
        conn = tcOpen(0);
        dom = tcDomain(conn, c->domain);
        init = strcmp(c->domain, "lxcgo-userns") == 0 ? usernsInit : plainInit;
    }
    if (c->handlers)
        tcHandlers(conn);

    for (i = 0; i < NNS; i++) {
        snprintf(host[i], sizeof(host[i]), "/proc/%d/ns/%s", (int)getpid(), nsNames[i]);
        snprintf(target[i], sizeof(target[i]), "/proc/%d/ns/%s", (int)init, nsNames[i]);
        memset(&hostSt[i], 0, sizeof(hostSt[i]));
        memset(&targetSt[i], 0, sizeof(targetSt[i]));
        stat(host[i], &hostSt[i]);
        if (init)
            stat(target[i], &targetSt[i]);
    }
    /* Namespaces are looked at through this task's ns directory, opened
     * now: once in the container's mount namespace, /proc is the
     * container's and does not show this process. */
    nsdir = open("/proc/thread-self/ns", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    switch (c->fds) {
    case FDS_NONE: fds[nfds++] = -1; break;
    case FDS_NEGATIVE: fds[nfds++] = -1; fds[nfds++] = -5; break;
    case FDS_EBADF: fds[nfds++] = 1000; break;
    case FDS_DEVNULL: fds[nfds++] = open("/dev/null", O_RDONLY | O_CLOEXEC); break;
    case FDS_SELF_USER: fds[nfds++] = open(host[0], O_RDONLY | O_CLOEXEC); break;
    case FDS_SELF_ALL:
    case FDS_DOMAIN:
        for (i = 0; i < NNS; i++)
            fds[nfds++] = open(c->fds == FDS_SELF_ALL ? host[i] : target[i],
                               O_RDONLY | O_CLOEXEC);
        break;
    }
    if (c->zero)
        nfds = 0;

    if (c->cgroup) {
        int r = virDomainLxcEnterCGroup(dom, 0);
        char cg[4096];

        tcCgroups("/proc/self/cgroup", cg, sizeof(cg));
        tcExtra("cgroup_ret=%d cgroup=", r);
        tcQuote(tcExtraBuf, sizeof(tcExtraBuf), cg);
        tcExtra(" ");
    }
    if (c->thread)
        tcIdleThread();

    before = nsOpenFds();
    ret = virDomainLxcEnterNamespace(dom, nfds, fds,
                                     c->oldlists ? &nold : NULL,
                                     c->oldlists ? &old : NULL, c->flags);
    /* Again, now from inside: the container's /proc does not show this
     * process, so nothing may depend on /proc/self to see where it is. */
    if (c->twice && ret == 0) {
        tcExtra("first=0 ");
        ret = virDomainLxcEnterNamespace(dom, nfds, fds, NULL, NULL, 0);
    }

    /* Where the calling thread is now, per namespace: in the target's,
     * still in the original one, or elsewhere. */
    tcExtra("ns=");
    for (i = 0; i < NNS; i++) {
        struct stat cur;

        memset(&cur, 0, sizeof(cur));
        /* pid: setns changes what children get, pid_for_children. */
        fstatat(nsdir, strcmp(nsNames[i], "pid") == 0 ? "pid_for_children"
                                                       : nsNames[i], &cur, 0);
        tcExtra("%s%s:%s", i ? "," : "", nsNames[i],
                init && nsEq(&cur, &targetSt[i]) ? "target" :
                nsEq(&cur, &hostSt[i]) ? "orig" : "other");
    }

    if (c->oldlists) {
        tcExtra(" nold=%u old=%s", nold, ret < 0 ? (old ? "set" : "NULL") : "list");
        if (ret == 0) {
            tcExtra(" oldfds=");
            for (i = 0; i < nold; i++) {
                int fl = fcntl(old[i], F_GETFL), fdfl = fcntl(old[i], F_GETFD);
                const char *what = "?";
                size_t k;

                struct stat st;

                if (fstat(old[i], &st) == 0) {
                    for (k = 0; k < NNS; k++) {
                        if (nsEq(&st, &hostSt[k]))
                            what = nsNames[k];
                    }
                }
                tcExtra("%s%s:%s:%s", i ? "," : "", what,
                        (fl & O_ACCMODE) == O_RDONLY ? "rdonly" : "rw",
                        fdfl & FD_CLOEXEC ? "cloexec" : "inherit");
            }
        }
    }
    tcExtra(" fds_leaked=%d", nsOpenFds() - before - (ret == 0 && c->oldlists ? (int)nold : 0));
    /* The old namespaces are the caller's: close and free them. */
    if (ret == 0 && c->oldlists) {
        for (i = 0; i < nold; i++)
            close(old[i]);
        free(old);
    }
    close(nsdir);
    tcExtraConnErr(conn);
    return ret;
}

int
main(void)
{
    static const struct { const char *name; nsCase c; } cases[] = {
        { "flags", { .domain = "lxcgo-plain", .fds = FDS_NONE, .flags = 1 } },
        { "flags_oldlists_untouched",
          { .domain = "lxcgo-plain", .fds = FDS_NONE, .oldlists = 1, .flags = 1 } },
        { "nfdlist_zero", { .domain = "lxcgo-plain", .fds = FDS_NONE, .zero = 1 } },
        { "nfdlist_zero_oldlists",
          { .domain = "lxcgo-plain", .fds = FDS_NONE, .zero = 1, .oldlists = 1 } },
        { "ebadf", { .domain = "lxcgo-plain", .fds = FDS_EBADF } },
        { "ebadf_oldlists", { .domain = "lxcgo-plain", .fds = FDS_EBADF, .oldlists = 1 } },
        { "ebadf_handlers", { .domain = "lxcgo-plain", .fds = FDS_EBADF, .handlers = 1 } },
        { "negative_skipped", { .domain = "lxcgo-plain", .fds = FDS_NEGATIVE } },
        { "oldlists_collected", { .domain = "lxcgo-plain", .fds = FDS_NEGATIVE, .oldlists = 1 } },
        { "same_user_ns", { .domain = "lxcgo-plain", .fds = FDS_SELF_USER } },
        { "same_all_ns", { .domain = "lxcgo-plain", .fds = FDS_SELF_ALL } },
        { "null_domain_success", { .domain = NULL, .fds = FDS_NEGATIVE } },
        { "plain_single_threaded", { .domain = "lxcgo-plain", .fds = FDS_DOMAIN, .oldlists = 1 } },
        { "userns_single_threaded", { .domain = "lxcgo-userns", .fds = FDS_DOMAIN } },
        { "plain_after_cgroup", { .domain = "lxcgo-plain", .fds = FDS_DOMAIN, .cgroup = 1 } },
        { "userns_after_cgroup", { .domain = "lxcgo-userns", .fds = FDS_DOMAIN, .cgroup = 1 } },
        { "plain_twice", { .domain = "lxcgo-plain", .fds = FDS_DOMAIN, .twice = 1 } },
        { "userns_twice", { .domain = "lxcgo-userns", .fds = FDS_DOMAIN, .twice = 1 } },
        /* Deliberate differences (asserted separately by the runner). */
        { "diff_devnull", { .domain = "lxcgo-plain", .fds = FDS_DEVNULL } },
        { "diff_plain_multi_threaded",
          { .domain = "lxcgo-plain", .fds = FDS_DOMAIN, .thread = 1 } },
        { "diff_userns_multi_threaded",
          { .domain = "lxcgo-userns", .fds = FDS_DOMAIN, .oldlists = 1, .handlers = 1, .thread = 1 } },
        { "diff_null_domain_error", { .domain = NULL, .fds = FDS_EBADF } },
    };
    virConnectPtr conn;
    size_t i;

    if (virInitialize() < 0)
        return 2;
    conn = tcOpen(0);
    plainInit = tcInitPid(tcDomain(conn, "lxcgo-plain"));
    usernsInit = tcInitPid(tcDomain(conn, "lxcgo-userns"));
    tcAddSubst(virDomainGetID(tcDomain(conn, "lxcgo-plain")), "plain-id");
    tcAddSubst(virDomainGetID(tcDomain(conn, "lxcgo-userns")), "userns-id");
    tcRelease();
    if (plainInit <= 0 || usernsInit <= 0) {
        fprintf(stderr, "cannot find the containers' init processes\n");
        return 2;
    }

    tcPrintLib();
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        tcRun(cases[i].name, nsRun, (void *)&cases[i].c);
    return 0;
}
