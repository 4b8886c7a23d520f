/*
 * load_host.c: a host that links libvirt.so.0 and, when built with
 * -DWITH_LXC, libvirt-lxc.so.0, but never calls either: what every program
 * linked -lvirt-lxc pays for loading the library (virsh list, for one).
 *
 * Built twice by run.sh (with and without WITH_LXC, both linked
 * --no-as-needed so the NEEDED entries stay); the difference in exec-to-exit
 * time and peak RSS, measured by spawn.c, is the load cost of
 * libvirt-lxc.so.0. Both variants do the same work: one dladdr() of a
 * function address and a read of /proc/self/status.
 */
#include "common.h"

int
main(void)
{
#ifdef WITH_LXC
    bench_print_library("library", (void *)virDomainLxcOpenNamespace);
#else
    /* Same work as above, on a libvirt.so.0 symbol. */
    bench_print_library("libvirt", (void *)virConnectOpen);
    printf("library none\n");
#endif
    printf("threads %d\n", tcThreads());
    return 0;
}
