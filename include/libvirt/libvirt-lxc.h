/*
 * libvirt-lxc.h: LXC-specific functions of libvirt, as provided by the
 * libvirt-lxc-go implementation of libvirt-lxc.so.0.
 *
 * Same prototypes, symbol versions and soname as libvirt's own library, so a
 * program built against either runs with either. Errors are reported through
 * libvirt itself: after a failure (-1), virGetLastError() describes it and the
 * connection's, or the global, error handler has been called.
 *
 * Deliberate differences from libvirt's library are marked "Differs:".
 */
#ifndef LIBVIR_LXC_H
#define LIBVIR_LXC_H

#include <libvirt/libvirt.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * virDomainLxcOpenNamespace:
 * @domain: a running LXC domain
 * @fdlist: where to store the list of file descriptors
 * @flags: passed to the daemon; it accepts only 0
 *
 * Asks the daemon that owns @domain's connection for file descriptors of the
 * container's namespaces: user, ipc, uts, net, pid and mnt, in that order,
 * skipping any the daemon could not open. Only local UNIX-socket connections
 * can carry file descriptors.
 *
 * On success *@fdlist is a malloc()ed array that the caller free()s, and each
 * fd in it is close-on-exec and owned by the caller. With 0 fds *@fdlist is
 * NULL. When the daemon was asked and the call failed, *@fdlist is NULL and
 * no fd is left open; when the call failed before that (invalid @domain,
 * read-only connection), *@fdlist is left as the caller set it, as libvirt
 * leaves it.
 *
 * Errors: invalid @domain (VIR_ERR_INVALID_DOMAIN), NULL @fdlist
 * (VIR_ERR_INVALID_ARG), a read-only connection (VIR_ERR_OPERATION_DENIED,
 * checked before anything is sent); the daemon's errors verbatim.
 *
 * The connection used is the library's own to the same daemon (same socket
 * selection as libvirt's client), kept open for the next call and shared by
 * concurrent callers, several calls in flight, as libvirt's client shares
 * its one connection.
 *
 * A single-threaded caller stays single-threaded, as with libvirt's library,
 * so it can still enter the container's user namespace afterwards (what
 * virt-login-shell's helper does): its call, like a call in a child forked
 * after a previous call (where the inherited Go runtime is dead), is served
 * by a short-lived helper program, libvirt-lxc-open, installed beside the
 * library's private core, over a connection of its own. So is every call in
 * a secure-execution (setuid) process, multi-threaded or not: the helper
 * runs with a fixed environment, so nothing of the caller's (GODEBUG,
 * GOTRACEBACK, ...) reaches a Go runtime there.
 *
 * Differs: such a call costs a few milliseconds (a process and a connection
 * each time), and the helper's own failures (missing, killed, no answer
 * within 60 s) are VIR_ERR_INTERNAL_ERROR. If the helper is not installed, a
 * single-threaded caller loads the core in-process instead (and becomes
 * multi-threaded), a child forked after a previous call fails with
 * VIR_ERR_OPERATION_INVALID, and a setuid caller gets the error that the
 * helper is missing.
 *
 * Differs: in a Go program (cgo) the call loads the library's Go core, so the
 * process then holds two Go runtimes. The Go project does not support that
 * (golang/go#18976). Measured on Linux amd64 with a go1.26 host: the calls
 * work, repeatedly and from several goroutines, and the host's GC,
 * preemption, timers, os/signal, CPU profiling and nil-dereference panics
 * keep working (tests/clients/godlopen). Not measured: other Go versions
 * or architectures, or a process that already holds a Go c-shared library.
 *
 * Returns the number of fds in *@fdlist, or -1 on error.
 */
int virDomainLxcOpenNamespace(virDomainPtr domain,
                              int **fdlist,
                              unsigned int flags);

/**
 * virDomainLxcEnterNamespace:
 * @domain: the domain the fds came from (used only to report errors)
 * @nfdlist: number of entries in @fdlist, at least 1
 * @fdlist: namespace fds, as from virDomainLxcOpenNamespace(); negative
 *          entries are skipped
 * @noldfdlist: where to store the number of fds in @oldfdlist, or NULL
 * @oldfdlist: where to store fds of the caller's current namespaces, or NULL
 * @flags: must be 0
 *
 * Moves the calling process (thread) into each namespace of @fdlist in order
 * with setns(). When both @noldfdlist and @oldfdlist are non-NULL, fds of the
 * caller's namespaces (user, ipc, uts, net, pid, mnt, those that can be
 * opened) are returned first, in a malloc()ed array the caller free()s; they
 * are not close-on-exec, as in libvirt. On failure they are closed, the array
 * freed and *@noldfdlist set to 0. Namespaces already joined stay joined.
 *
 * Does not call into the daemon: safe in a child after fork() of a
 * multi-threaded process, which is how virsh uses it. The pid namespace
 * applies to children created afterwards.
 *
 * Differs: libvirt's library ignores EINVAL from setns(), so in a
 * multi-threaded process it returns success without entering the mount or
 * user namespace. Here the mount namespace is entered (the calling thread
 * first stops sharing its filesystem attributes), and a namespace that cannot
 * be entered (a user namespace from a multi-threaded process, an fd that is
 * not a namespace) fails with VIR_ERR_SYSTEM_ERROR and a message that says
 * why. Joining a namespace the caller is already in is still a success.
 * A NULL @domain is accepted on error paths too, and a NULL @fdlist with a
 * non-zero @nfdlist fails with VIR_ERR_INVALID_ARG (libvirt's crashes on
 * both).
 *
 * Returns 0 on success, -1 on error.
 */
int virDomainLxcEnterNamespace(virDomainPtr domain,
                               unsigned int nfdlist,
                               int *fdlist,
                               unsigned int *noldfdlist,
                               int **oldfdlist,
                               unsigned int flags);

/**
 * virDomainLxcEnterSecurityLabel:
 * @model: the security model (from virNodeGetSecurityModel())
 * @label: the label to enter (from virDomainGetSecurityLabel())
 * @oldlabel: if non-NULL, zeroed and then filled with the caller's current
 *            label (SELinux only)
 * @flags: must be 0
 *
 * Model "selinux": sets the SELinux context for the next exec(). Model
 * "apparmor": changes the AppArmor profile now. Model "none": nothing to do.
 * Any other model fails with VIR_ERR_ARGUMENT_UNSUPPORTED. Does not call into
 * the daemon and needs no SELinux or AppArmor library (procfs and selinuxfs
 * are used directly).
 *
 * Differs: works in a process that has not initialised libvirt yet (it calls
 * virInitialize()); libvirt's library crashes there.
 *
 * Returns 0 on success, -1 on error.
 */
int virDomainLxcEnterSecurityLabel(virSecurityModelPtr model,
                                   virSecurityLabelPtr label,
                                   virSecurityLabelPtr oldlabel,
                                   unsigned int flags);

/**
 * virDomainLxcEnterCGroup:
 * @domain: a domain on a read-write connection
 * @flags: must be 0
 *
 * Adds the caller to the cgroups of the domain's controller process (the
 * domain id is its pid): the whole process on cgroup v2 (cgroup.procs), the
 * calling thread on cgroup v1 (tasks), as libvirt does. For an inactive domain
 * (id -1) this re-adds the caller to its own cgroups, as libvirt does.
 *
 * Does not call into the daemon: safe in a child after fork().
 *
 * Returns 0 on success, -1 on error.
 */
int virDomainLxcEnterCGroup(virDomainPtr domain,
                            unsigned int flags);

#ifdef __cplusplus
}
#endif

#endif /* LIBVIR_LXC_H */
