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
 * The connection's driver decides, as in libvirt: a connection through
 * libvirt's remote driver asks its daemon (a QEMU connection gets that
 * daemon's VIR_ERR_NO_SUPPORT, *@fdlist NULL); a connection of a driver
 * that runs in the caller's process and is not LXC (test:///default, for
 * one) fails with VIR_ERR_NO_SUPPORT and leaves *@fdlist as the caller set
 * it.
 * Tested by: TestOpenNamespaceOtherDrivers.
 *
 * Inside libvirt's daemons (libvirtd, virtlxcd and the other modular
 * daemons load this library and call this function while serving a
 * client's call): a call on the daemon's own LXC driver connection is
 * served by the daemon's core process from the LXC driver's state (the
 * domain's status file under /run/libvirt/lxc, the init's /proc/PID/ns
 * files), with the driver's checks and errors in its order; a call on any
 * other driver's connection gets that driver's VIR_ERR_NO_SUPPORT at once.
 * The library never connects to a socket that the calling process itself
 * listens on (its own listen(), sockets passed by socket activation or kept
 * across a re-exec alike): the daemon cannot answer itself, and a worker
 * waiting on its own daemon could wait for ever.
 * Tested by: TestOpenNamespaceDaemonWithOurLibrary,
 * TestClientsWithOurLibraryInDaemon (virsh, Python, virt-login-shell, the
 * Go binding), TestOpenNamespaceSocketActivatedDaemon (systemd-socket-activate, and an
 * activator that keeps the sockets as systemd does),
 * TestOpenNamespaceDaemonWithoutLXCDriver, TestOpenNamespaceOtherDrivers.
 *
 * Differs, inside a daemon: the daemon's access control check
 * (domain:open_namespace, asked for by access_drivers in its config file)
 * cannot be run from here, since only the daemon knows its client. So the
 * call is refused with VIR_ERR_ACCESS_DENIED (VIR_FROM_ACCESS) whenever
 * access control may be on: access_drivers set to any non-empty list
 * (libvirt's "none" included), read with libvirt's own config syntax from
 * the file the daemon was given (-f/--config in any form its option
 * parser takes, relative paths included) or its default; and whenever
 * that is not certain: the file unreadable, not parsable, changed since
 * the daemon started (restart it), an explicit file gone. It is also
 * refused unless the caller holds the lock that libvirt's LXC driver takes
 * on its driver.pid, in the library's pid and mount namespace.
 * Tested by: TestAccessDriversRefused (the daemon's config in each form),
 * internal/virconf's TestConfConformance, internal/indaemon's
 * TestParseDaemonArgs, TestDaemonConfigFile, TestCheckConfigFile,
 * TestCheckAccessControl, TestHoldsDriverLock and
 * TestLxcDriverHereRealLocks.
 *
 * The connection used is the library's own to the same daemon (same socket
 * selection as libvirt's client), kept open for the next call and shared by
 * concurrent callers, several calls in flight, as libvirt's client shares
 * its one connection.
 *
 * Where the call runs: the daemon is called by the library's private Go
 * core, and no caller ever runs Go. The first call of a process starts one
 * core process for it, libvirt-lxc-open (installed beside the library's
 * private core), which serves every later call of that process with its
 * warm connection, concurrent calls concurrently. So a single-threaded
 * caller stays single-threaded (it can still enter the container's user
 * namespace afterwards, as virt-login-shell's helper does), a setuid
 * caller hands a Go runtime nothing of its environment (the core process
 * runs with a fixed one: no GODEBUG, GOTRACEBACK), a Go program never gets
 * a second runtime, a child forked after a call gets a core process of its
 * own, and libvirt's daemons keep their threads.
 *
 * The core process is invisible to its caller: no SIGCHLD, nothing for
 * wait() or waitpid(-1) and never a zombie of the caller's (it is a
 * grandchild, owned by init or the nearest subreaper above the caller; a
 * caller that is itself a subreaper does not adopt it), its own session
 * and process group (a terminal's Ctrl-C does not reach it), no fd of the
 * caller's (not even its stdin, stdout or stderr: what the core process's
 * runtime says goes into the caller's error, never its output), "/" as its
 * directory. It exits when the caller exits, is killed or execs. The caller
 * keeps one close-on-exec fd more, its channel. It runs in the caller's
 * cgroups and under its limits.
 *
 * Differs: the first call of a process costs a few milliseconds more than
 * libvirt's (starting the core process and its connection). Failures of
 * the core process itself (missing, cannot start, killed, no answer within
 * 35 s) fail the call waiting on it with VIR_ERR_INTERNAL_ERROR saying
 * what happened (its last words, when it had any: a caught signal, its
 * runtime's failure), and the next call starts a new one (one killed while
 * idle is replaced without failing a call). A signal that cannot be caught
 * (SIGKILL, the kernel's OOM killer) leaves no words, and the caller, not
 * its parent, has no exit status to read: the error then says the core
 * process "exited or was killed before answering".
 * Tested by: TestCoreProcFaults (killed mid-call, terminated mid-call,
 * killed while idle), TestCoreProcHung, TestDiffersCoreProcessCannotStart (missing,
 * not executable, exits at once); the first call's cost is measured by
 * bench/run.sh.
 *
 * Differs: the core process needs room under the caller's limits: five to
 * seven tasks under the caller's cgroup's pids.max (the Go runtime of a
 * c-shared library starts four threads at least), and an address space
 * limit whose hard value leaves a Go runtime its reservations (a soft one
 * is raised to the hard one in the core process). Where a limit stops it,
 * the error names the limit; libvirt's library needs neither. A caller
 * that has no descriptor free for the six fds gets an error naming
 * RLIMIT_NOFILE, and its next call works once there is room; libvirt's
 * library leaves its connection broken for good.
 * Tested by: TestLimitsTasks, TestLimitsAddressSpace,
 * TestLimitsDescriptors.
 *
 * Differs: a child forked while another thread makes a first call, which
 * then calls itself, never hangs; with libvirt's library it can. Nor does
 * one forked while another thread is in a call of this library that is
 * inside libvirt's logger (holding its one mutex): fork() waits for such
 * calls to leave libvirt, as libvirt's own virFork waits for its logger,
 * where libvirt's library lets the child block for ever on that mutex.
 * libvirt's own virFork, which holds that mutex across fork(), is left
 * alone (libvirt's daemons fork with it).
 * Tested by: TestCoreProcForkRacingFirstCalls (ours only),
 * TestCoreProcForkDuringLogging (both: libvirt's child hangs),
 * TestCoreProcVirFork.
 *
 * Differs: a first call made after the caller entered a container's user
 * namespace and then its mount namespace fails with VIR_ERR_INTERNAL_ERROR
 * saying so, where libvirt's library answers on the connection it has:
 * the core process needs a connection of its own, made from the daemon's
 * filesystem, and such a caller has no privilege left for either. After
 * entering another mount namespace or root alone, the first call works as
 * with libvirt's (its core process starts in its daemon's mount namespace).
 * Tested by: TestDiffersMountNamespaceFirstCallUserns;
 * TestMountNamespaceFirstCall compares the rest.
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
 * freed, *@oldfdlist set to NULL and *@noldfdlist to 0. Namespaces already
 * joined stay joined. Both are left as the caller had them when @flags are
 * refused or when only one of the two is given, as libvirt leaves them.
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
 * both); the old-namespace lists are then treated as on any other failure.
 * Tested by: TestEnterNamespace (tests/c/enter_ns.c scenarios
 * diff_plain_multi_threaded, diff_userns_multi_threaded, diff_devnull,
 * diff_null_domain_error; same_user_ns and same_all_ns compared with
 * libvirt's), TestOutParams (the NULL @fdlist), TestClientPython,
 * TestClientGoBinding.
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
 *            label (SELinux only); left as the caller had it when @flags,
 *            @model or @label is refused, as libvirt leaves it
 * @flags: must be 0
 *
 * Model "selinux": sets the SELinux context for the next exec(). Model
 * "apparmor": changes the AppArmor profile now. Model "none": nothing to do.
 * Any other model fails with VIR_ERR_ARGUMENT_UNSUPPORTED. Does not call into
 * the daemon and needs no SELinux or AppArmor library (procfs and selinuxfs
 * are used directly).
 *
 * Differs: works in a process that has not initialised libvirt yet (it calls
 * virInitialize()); libvirt 9.0's library crashes there (SIGABRT), 11.3's
 * does not.
 * Tested by: TestDiffersEnterSecurityLabelUninitialised.
 *
 * Differs: the current SELinux context is read whole. libvirt's library
 * (libselinux reads at most a page less one byte) returns a context of 4096
 * bytes or more cut to 4095 in @oldlabel, as if that were the context; here
 * one of 4096 bytes (the most @oldlabel holds) is returned whole, and a
 * longer one fails with VIR_ERR_INTERNAL_ERROR ("security label exceeds
 * maximum length"), @oldlabel left zeroed. Tested by: TestOutParams.
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
