/*
 * rel_fdleak: no fd left behind by any of the four functions, success and
 * error paths mixed, with either library.
 *
 *   rel_fdleak [N]             the three Enter functions (default 10000
 *                              calls per function)
 *   rel_fdleak open mt|st N    OpenNamespace from a multi-threaded or a
 *                              single-threaded caller
 *
 * Enter: each function runs N times in its own forked child (entering
 * changes the child's namespaces and cgroups), and the child counts its
 * open fds (/proc/<pid>/fd) before and after. One line per function:
 *   <func> calls=N ok=<n> err=<n> fds_before=<n> fds_after=<n>
 * or "<func> crashed signal=<n>" / "<func> exited status=<n>".
 *
 * OpenNamespace: one call of each kind (successes on both domains, flags=1,
 * an inactive domain), then N more, each answer checked against the init's
 * namespaces and the fds counted by kind from after the first four calls:
 *   leak_<mt|st> calls=N+4 ok= wrong= expected_errors= unexpected=
 *       fdlist_set_on_error= ns_leaked= other_leaked= sockets_leaked=
 *       cold_new=<what the first calls set up for good> core= ms=
 *
 * Run with our library and with the system one (LD_PRELOAD) by
 * tests/live/fdleak_test.go, which compares.
 */
#include "nsfds.h"
#include "rel_util.h"

static int iterations = 10000;
static virConnectPtr rwConn, roConn;
static virDomainPtr plainDom, offDom, roDom;
static int containerFds[NSENT], hostFds[NSENT];

static void
openNs(pid_t pid, int *fds)
{
    char path[64];
    int i;

    for (i = 0; i < NSENT; i++) {
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
        ret = virDomainLxcEnterNamespace(plainDom, NSENT, containerFds,
                                         &nold, &old, 0);
        break;
    case 1: /* back to the host's namespaces (a real change every time) */
        ret = virDomainLxcEnterNamespace(plainDom, NSENT, hostFds,
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
        ret = virDomainLxcEnterNamespace(plainDom, NSENT, containerFds,
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

/* ---- OpenNamespace: successes and errors mixed, fds counted ---------- */

static int
leakMain(int multi, int calls)
{
    virConnectPtr conn = tcOpen(0);
    virDomainPtr plain = tcDomain(conn, "lxcgo-plain");
    virDomainPtr userns = tcDomain(conn, "lxcgo-userns");
    virDomainPtr off = tcDomain(conn, "lxcgo-off");
    int ok = 0, wrong = 0, expectedErr = 0, unexpected = 0, listSet = 0, i, k;
    static fdSnap cold;
    fdCount before = { 0, 0, 0 }, after;
    long long t0;

    tcQuiet(NULL);
    if (multi)
        goMultiThreaded();
    snapTake(&cold);
    t0 = tcNowMs();
    for (i = -4; i < calls; i++) {
        int *fds = JUNK, n, want; /* want: the error code, 0 for success */
        virDomainPtr dom;
        unsigned int flags = 0;

        if (i == 0) /* after one call of each kind */
            before = countFds();
        switch ((i + 4) % 4) {
        case 0: dom = plain; want = 0; break;
        case 1: dom = userns; want = 0; break;
        case 2: dom = plain; flags = 1; want = VIR_ERR_INVALID_ARG; break;
        default: dom = off; want = VIR_ERR_OPERATION_INVALID; break;
        }
        n = virDomainLxcOpenNamespace(dom, &fds, flags);
        if (n < 0) {
            virErrorPtr e = virGetLastError();

            if (fds != NULL)
                listSet++;
            if (want && e && e->code == want)
                expectedErr++;
            else
                unexpected++;
            continue;
        }
        if (!want && nsExact(dom == plain ? &plainNs : &usernsNs, fds, n))
            ok++;
        else
            wrong++;
        for (k = 0; k < n; k++)
            close(fds[k]);
        free(fds);
    }
    after = countFds();
    tcPrintLib();
    /* cold: what the first calls set up for good, named like "new". */
    tcExtraBuf[0] = '\0';
    snapNew(&cold);
    printf("leak_%s calls=%d ok=%d wrong=%d expected_errors=%d unexpected=%d "
           "fdlist_set_on_error=%d ns_leaked=%d other_leaked=%d sockets_leaked=%d "
           "cold_%s core=%s ms=%lld\n",
           multi ? "mt" : "st", calls + 4, ok, wrong, expectedErr, unexpected, listSet,
           after.ns - before.ns, after.other - before.other,
           after.sockets - before.sockets, tcExtraBuf,
           tcMapped("libvirt-lxc-core") == 1 ? "yes" : "no", tcNowMs() - t0);
    tcRelease();
    return 0;
}

int
main(int argc, char **argv)
{
    pid_t init;

    if (argc == 4 && strcmp(argv[1], "open") == 0) {
        setvbuf(stdout, NULL, _IOLBF, 0);
        if (virInitialize() < 0)
            return 2;
        loadNamespaces();
        return leakMain(strcmp(argv[2], "mt") == 0, atoi(argv[3]));
    }
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
