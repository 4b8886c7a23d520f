/*
 * A host that links libvirt-lxc.so.0 (and libvirt.so.0) but never calls
 * OpenNamespace must pay nothing for the Go core: still one thread, no Go
 * runtime mapped, no signal handler installed behind its back.
 */
#define _GNU_SOURCE /* dladdr */
#include <dlfcn.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <libvirt/libvirt-lxc.h>

static int
threads(void)
{
    char line[256];
    int n = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "Threads: %d", &n) == 1)
            break;
    fclose(f);
    return n;
}

static int
mapped(const char *needle)
{
    char line[4096];
    int found = 0;
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (strstr(line, needle))
            found = 1;
    fclose(f);
    return found;
}

int
main(int argc, char **argv)
{
    int sig, fail = 0;
    Dl_info info;
    char ours[PATH_MAX], sys[PATH_MAX];

    (void)argv;
    /* Never true: a real call keeps libvirt-lxc.so.0 NEEDED under
     * --as-needed, so the checks below look at a host that links it. */
    if (argc > 1000)
        return virDomainLxcOpenNamespace(NULL, NULL, 0);

    /* Which libvirt-lxc.so.0 is this? It must not be the system one, or
     * the test proves nothing about ours. */
    if (!dladdr((void *)virDomainLxcOpenNamespace, &info) || !info.dli_fname ||
        !realpath(info.dli_fname, ours)) {
        printf("FAIL: cannot tell which libvirt-lxc.so.0 is loaded\n");
        return 1;
    }
    if (realpath("/usr/lib/x86_64-linux-gnu/libvirt-lxc.so.0", sys) &&
        strcmp(ours, sys) == 0) {
        printf("FAIL: the system libvirt-lxc.so.0 is loaded, not ours\n");
        return 1;
    }
    if (threads() != 1) {
        printf("FAIL: %d threads in a host that never called the library\n", threads());
        fail = 1;
    }
    if (mapped("libvirt-lxc-core") != 0) {
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
