/*
 * rel_hostile: one OpenNamespace against a peer the runner controls.
 *
 *   rel_hostile URI DOMAIN threads|single
 *
 * The runner points URI (lxc:///system?socket=<path>) at a proxy in front of
 * the real daemon and chooses how the proxy misbehaves. Steps, each gated by
 * a line on stdin so that the runner can switch the proxy in between:
 *   1. "warm": a call through the well-behaved proxy (loads the core and
 *      leaves a warm connection in threads mode); the fds are closed.
 *   2. wait; count fds; "call": the call under test, timed.
 *   3. wait; "recover": another call (the runner made the proxy behave);
 *      its fds closed; count fds again.
 * threads: a second thread runs first (multi-threaded, as virsh).
 * single: the process stays single-threaded (as virt-login-shell's helper).
 * SIGPIPE keeps its default disposition: a write into the closed socket
 * that raised it would kill this process.
 *
 * Lines: "start sigpipe=<dfl|ign|handler> threads=<n>", then
 *   warm|call|recover ret=<n> elapsed_ms=<n> <error fields>
 *   fds before=<n> after=<n> core_loaded=<0|1> threads=<n> sigpipe=<...>
 */
#include "rel_util.h"

static const char *
sigpipeDisposition(void)
{
    struct sigaction sa;

    if (sigaction(SIGPIPE, NULL, &sa) < 0)
        return "unknown";
    if (sa.sa_handler == SIG_DFL)
        return "dfl";
    if (sa.sa_handler == SIG_IGN)
        return "ign";
    return "handler";
}

static void
waitLine(void)
{
    char buf[64];

    fflush(stdout);
    if (!fgets(buf, sizeof(buf), stdin))
        exit(0); /* the runner went away */
}

static int
call(const char *what, virDomainPtr dom)
{
    char err[8192];
    int *fds = NULL, n, i;
    long long t0 = tcNowMs();

    n = virDomainLxcOpenNamespace(dom, &fds, 0);
    relErrorFields(err, sizeof(err));
    printf("%s ret=%d elapsed_ms=%lld fdlist=%s %s\n", what, n,
           tcNowMs() - t0, fds ? "set" : "NULL", n < 0 ? err : "noerror");
    fflush(stdout);
    for (i = 0; i < n; i++)
        close(fds[i]);
    free(fds);
    return n;
}

int
main(int argc, char **argv)
{
    virConnectPtr conn;
    virDomainPtr dom;
    int dirfd, before, after;

    if (argc != 4) {
        fprintf(stderr, "usage: rel_hostile URI DOMAIN threads|single\n");
        return 2;
    }
    dirfd = relOpenFdDir();
    tcPrintLib();
    if (strcmp(argv[3], "threads") == 0)
        tcIdleThread();
    printf("start sigpipe=%s threads=%d\n", sigpipeDisposition(), tcThreads());

    if (!(conn = virConnectOpen(argv[1]))) {
        char err[8192];
        relErrorFields(err, sizeof(err));
        printf("open failed %s\n", err);
        return 2;
    }
    tcQuiet(conn);
    if (!(dom = virDomainLookupByName(conn, argv[2]))) {
        printf("no domain %s\n", argv[2]);
        return 2;
    }

    call("warm", dom);
    waitLine();
    before = relCountFds(dirfd);
    call("call", dom);
    waitLine();
    call("recover", dom);
    after = relCountFds(dirfd);
    printf("fds before=%d after=%d core_loaded=%d threads=%d sigpipe=%s\n",
           before, after, tcMapped("libvirt-lxc-core.so"), tcThreads(), sigpipeDisposition());
    fflush(stdout);
    /* Released so that a leak checker sees only the library's leaks. */
    virDomainFree(dom);
    virConnectClose(conn);
    return 0;
}
