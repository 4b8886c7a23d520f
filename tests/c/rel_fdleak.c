/*
 * rel_fdleak: no fd left behind by the three Enter functions.
 *
 *   rel_fdleak [N]        (default 10000 calls per function)
 *
 * Each function runs N times in its own forked child (entering changes the
 * child's namespaces and cgroups), success and error paths mixed, and the
 * child counts its open fds (/proc/<pid>/fd) before and after. One line per
 * function:
 *   <func> calls=N ok=<n> err=<n> fds_before=<n> fds_after=<n>
 * or "<func> crashed signal=<n>" / "<func> exited status=<n>".
 *
 * Run with our library and with the system one (LD_PRELOAD) by the live
 * runner, which compares.
 */
#include "rel_util.h"

#define NSCOUNT 6
static const char *const nsNames[NSCOUNT] = { "user", "ipc", "uts", "net", "pid", "mnt" };

static int iterations = 10000;
static virConnectPtr rwConn, roConn;
static virDomainPtr plainDom, offDom, roDom;
static int containerFds[NSCOUNT], hostFds[NSCOUNT];

static void
openNs(pid_t pid, int *fds)
{
    char path[64];
    int i;

    for (i = 0; i < NSCOUNT; i++) {
        snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, nsNames[i]);
        if ((fds[i] = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
            perror(path);
            exit(2);
        }
    }
}

static void
closeOld(unsigned int nold, int *old)
{
    unsigned int i;

    for (i = 0; i < nold; i++)
        close(old[i]);
    free(old);
}

/* One call, chosen by @i among the success and error cases. */
static int
nsCall(int i)
{
    unsigned int nold = 0;
    int *old = NULL;
    int devnull, bad[1], ret;

    switch (i % 6) {
    case 0: /* into the container, collecting the old namespaces */
        ret = virDomainLxcEnterNamespace(plainDom, NSCOUNT, containerFds,
                                         &nold, &old, 0);
        break;
    case 1: /* back to the host's namespaces (a real change every time) */
        ret = virDomainLxcEnterNamespace(plainDom, NSCOUNT, hostFds,
                                         &nold, &old, 0);
        break;
    case 2: /* not a namespace: an error with ours, ignored by libvirt's */
        devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        ret = virDomainLxcEnterNamespace(plainDom, 1, &devnull, &nold, &old, 0);
        close(devnull);
        break;
    case 3: /* a closed fd: EBADF */
        bad[0] = 1000;
        ret = virDomainLxcEnterNamespace(plainDom, 1, bad, &nold, &old, 0);
        break;
    case 4: /* no fd at all */
        ret = virDomainLxcEnterNamespace(plainDom, 0, containerFds, &nold, &old, 0);
        break;
    default: /* unknown flag */
        ret = virDomainLxcEnterNamespace(plainDom, NSCOUNT, containerFds,
                                         &nold, &old, 1);
        break;
    }
    /* The caller owns the old fds on success only; on failure the library
     * must have closed and freed them (the header says so). */
    if (ret == 0)
        closeOld(nold, old);
    else if (old || nold) {
        printf("EnterNamespace left oldfdlist=%p nold=%u after an error (call %d)\n",
               (void *)old, nold, i);
        closeOld(nold, old);
    }
    return ret;
}

static int
slCall(int i)
{
    virSecurityModel model;
    virSecurityLabel label, old;
    unsigned int flags = 0;
    const char *m;

    switch (i % 5) {
    case 0: m = "none"; break;
    case 1: m = "selinux"; break;     /* not enabled here: error */
    case 2: m = "apparmor"; break;    /* not enabled here: error */
    case 3: m = "bogus"; break;
    default: m = "none"; flags = 1; break;
    }
    memset(&model, 0, sizeof(model));
    memset(&label, 0, sizeof(label));
    snprintf(model.model, sizeof(model.model), "%s", m);
    snprintf(label.label, sizeof(label.label), "%s",
             "system_u:system_r:svirt_lxc_net_t:s0:c1,c2");
    return virDomainLxcEnterSecurityLabel(&model, &label, i & 1 ? &old : NULL, flags);
}

static int
cgCall(int i)
{
    switch (i % 5) {
    case 0: return virDomainLxcEnterCGroup(plainDom, 0);
    case 1: return virDomainLxcEnterCGroup(offDom, 0);   /* not running */
    case 2: return virDomainLxcEnterCGroup(roDom, 0);    /* read-only */
    case 3: return virDomainLxcEnterCGroup(plainDom, 1); /* unknown flag */
    default: return virDomainLxcEnterCGroup(NULL, 0);
    }
}

static void
runFunc(const char *name, int (*call)(int))
{
    pid_t pid;
    int status;

    fflush(stdout);
    if ((pid = fork()) < 0) {
        perror("fork");
        exit(2);
    }
    if (pid == 0) {
        int dirfd = relOpenFdDir();
        int before, after, i, ok = 0, err = 0;

        before = relCountFds(dirfd);
        for (i = 0; i < iterations; i++) {
            if (call(i) == 0)
                ok++;
            else
                err++;
        }
        after = relCountFds(dirfd);
        printf("%s calls=%d ok=%d err=%d fds_before=%d fds_after=%d\n",
               name, iterations, ok, err, before, after);
        fflush(stdout);
        _exit(0);
    }
    /* Generous: the system library's EnterCGroup is the slowest, about
     * 1 ms a call here. */
    if (relWaitTimeout(pid, 120000, &status))
        printf("%s hung\n", name);
    else if (WIFSIGNALED(status))
        printf("%s crashed signal=%d\n", name, WTERMSIG(status));
    else if (WEXITSTATUS(status) != 0)
        printf("%s exited status=%d\n", name, WEXITSTATUS(status));
    fflush(stdout);
}

int
main(int argc, char **argv)
{
    pid_t init;

    if (argc > 1)
        iterations = atoi(argv[1]);
    tcPrintLib();
    rwConn = tcOpen(0);
    roConn = tcOpen(1);
    tcQuiet(rwConn);
    tcQuiet(roConn);
    plainDom = tcDomain(rwConn, "lxcgo-plain");
    offDom = tcDomain(rwConn, "lxcgo-off");
    roDom = tcDomain(roConn, "lxcgo-plain");
    if ((init = tcInitPid(plainDom)) <= 0) {
        fprintf(stderr, "cannot find lxcgo-plain's init\n");
        return 2;
    }
    openNs(init, containerFds);
    openNs(getpid(), hostFds);

    runFunc("EnterNamespace", nsCall);
    runFunc("EnterSecurityLabel", slCall);
    runFunc("EnterCGroup", cgCall);
    tcRelease();
    return 0;
}
