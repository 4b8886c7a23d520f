/*
 * A host that links libvirt-lxc.so.0 (and libvirt.so.0) but never calls
 * OpenNamespace must pay nothing for the Go core: still one thread, no Go
 * runtime mapped, no signal handler installed behind its back.
 */
#include "../c/tc.h"

int
main(int argc, char **argv)
{
    int sig, fail = 0;
    char ours[PATH_MAX], sys[PATH_MAX];

    (void)argv;
    /* Never true: a real call keeps libvirt-lxc.so.0 NEEDED under
     * --as-needed, so the checks below look at a host that links it. */
    if (argc > 1000)
        return virDomainLxcOpenNamespace(NULL, NULL, 0);

    /* Which libvirt-lxc.so.0 is this? It must not be the system one, or
     * the test proves nothing about ours. */
    if (tcLibOf((void *)virDomainLxcOpenNamespace, ours) != 0) {
        printf("FAIL: cannot tell which libvirt-lxc.so.0 is loaded\n");
        return 1;
    }
    if (realpath("/usr/lib/x86_64-linux-gnu/libvirt-lxc.so.0", sys) &&
        strcmp(ours, sys) == 0) {
        printf("FAIL: the system libvirt-lxc.so.0 is loaded, not ours\n");
        return 1;
    }
    if (tcThreads() != 1) {
        printf("FAIL: %d threads in a host that never called the library\n", tcThreads());
        fail = 1;
    }
    if (tcMapped("libvirt-lxc-core") != 0) {
        printf("FAIL: the Go core is mapped\n");
        fail = 1;
    }
    for (sig = 1; sig < 32; sig++) {
        struct sigaction sa;
        if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, NULL, &sa) < 0)
            continue;
        if (sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN) {
            printf("FAIL: a handler for signal %d (%s) was installed\n", sig, strsignal(sig));
            fail = 1;
        }
    }
    if (!fail)
        printf("ok: %s: 1 thread, no Go core mapped, no signal handlers\n", ours);
    return fail;
}
