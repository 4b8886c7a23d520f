/*
 * rel_secure: our library in a secure-execution (AT_SECURE) process.
 *
 *   rel_secure URI DOMAIN [threads]
 *
 * Run by the live runner as a setuid-root copy executed by an unprivileged
 * user (and once normally, as a control). Lines:
 *   secure at_secure=<0|1> uid=<n> euid=<n>
 *   setuid_open ok|refused <error fields>   (only while uid != euid)
 *   setuid_seclabel ret=<n> <error fields>  (only while uid != euid)
 *   open ret=<n> <error fields>             (after uid := euid)
 *
 * libvirt.so refuses to initialise while uid != euid ("not safe to use from
 * setuid/setgid programs"), so nothing that needs a connection can run
 * then. A setuid program that first makes its real uid its effective one
 * (as virt-login-shell does) keeps AT_SECURE for its whole life but passes
 * libvirt's check: that is where our OpenNamespace runs in a secure process,
 * single-threaded, hence through the helper with its fixed environment.
 * With "threads", a second thread is started first: a secure process is
 * served by the helper even when multi-threaded, so that no Go runtime
 * ever reads its caller's environment (GODEBUG, GOTRACEBACK, ...).
 */
#include <sys/auxv.h>

#include "rel_util.h"

int
main(int argc, char **argv)
{
    char err[8192];
    virConnectPtr conn;
    virDomainPtr dom;
    int *fds = NULL, n, i;

    if (argc != 3 && !(argc == 4 && strcmp(argv[3], "threads") == 0)) {
        fprintf(stderr, "usage: rel_secure URI DOMAIN [threads]\n");
        return 2;
    }
    tcPrintLib();
    printf("secure at_secure=%lu uid=%d euid=%d\n", getauxval(AT_SECURE),
           (int)getuid(), (int)geteuid());
    fflush(stdout);

    if (getuid() != geteuid()) {
        pid_t pid;
        int status;

        /* In a child: libvirt's failed initialisation is final for the
         * process, and the parent still has to initialise it. */
        fflush(stdout);
        if ((pid = fork()) == 0) {
            virSecurityModel model;
            virSecurityLabel label;

            tcQuiet(NULL);
            conn = virConnectOpen(argv[1]);
            relErrorFields(err, sizeof(err));
            printf("setuid_open %s %s\n", conn ? "ok" : "refused", conn ? "" : err);
            /* The one entry point that needs no connection. */
            memset(&model, 0, sizeof(model));
            memset(&label, 0, sizeof(label));
            strcpy(model.model, "none");
            strcpy(label.label, "none");
            n = virDomainLxcEnterSecurityLabel(&model, &label, NULL, 0);
            relErrorFields(err, sizeof(err));
            printf("setuid_seclabel ret=%d %s\n", n, n < 0 ? err : "noerror");
            fflush(stdout);
            _exit(0);
        }
        if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
            printf("setuid_child failed\n");
        if (setresgid(getegid(), getegid(), getegid()) < 0 ||
            setresuid(geteuid(), geteuid(), geteuid()) < 0) {
            perror("setresuid");
            return 2;
        }
    }

    if (!(conn = virConnectOpen(argv[1]))) {
        relErrorFields(err, sizeof(err));
        printf("open ret=-2 connect failed %s\n", err);
        return 0;
    }
    tcQuiet(conn);
    if (!(dom = virDomainLookupByName(conn, argv[2]))) {
        printf("open ret=-2 no domain\n");
        return 0;
    }
    if (argc == 4 && tcIdleThread() != 0) {
        printf("open ret=-2 pthread_create failed\n");
        return 0;
    }
    n = virDomainLxcOpenNamespace(dom, &fds, 0);
    relErrorFields(err, sizeof(err));
    printf("open ret=%d threads=%d core_loaded=%d %s\n", n, tcThreads(),
           tcMapped("libvirt-lxc-core.so"), n < 0 ? err : "noerror");
    for (i = 0; i < n; i++)
        close(fds[i]);
    free(fds);
    virDomainFree(dom);
    virConnectClose(conn);
    return 0;
}
