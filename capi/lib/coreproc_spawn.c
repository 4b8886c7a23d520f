/*
 * coreproc_spawn.c: starts the core process of a caller of libvirt-lxc.so.0.
 *
 * Hazard: the caller must notice nothing. It may reap with waitpid(-1) or
 * count SIGCHLD, be a child subreaper, sit in a terminal's foreground
 * process group, be setuid, be large (Python, libvirtd), be multi-threaded
 * with locks held, or be a child forked by one. So:
 *
 *   - The core process is a grandchild: the caller clones an intermediate
 *     child without exit signal (no SIGCHLD, invisible to wait() and
 *     waitpid(-1), which see such "clone" children only with __WCLONE or
 *     __WALL) and reaps it at once with __WCLONE; the intermediate starts
 *     the core process and exits, so the core process is an orphan, owned
 *     by init or the nearest subreaper above the caller, and never the
 *     caller's child or zombie. A caller that is itself a subreaper would
 *     adopt it: it stops being one while the intermediate exits (the one
 *     moment orphans of its own descendants would go to the next reaper
 *     up). Only the init of a pid namespace adopts it regardless.
 *   - No copy of the caller's address space is made: both clones share it
 *     (CLONE_VM | CLONE_VFORK, as posix_spawn() does), the calling thread
 *     suspended until the intermediate exits, which it does once the core
 *     process has exec'ed. The children make system calls only, on stacks
 *     of their own, with every signal blocked until the core process has
 *     reset its handlers (no atfork handler of the caller runs).
 *   - The core process calls setsid(): it is in no process group or
 *     session of the caller, so a terminal's Ctrl-C never reaches it. It
 *     runs in "/", with stdin and stdout on /dev/null and its standard
 *     error on its channel (proto.h: nothing it says reaches the caller's
 *     output), its channel, the caller's pidfd, default signal
 *     dispositions and a fixed environment; no other fd of the caller's.
 *   - It exits when the caller goes away (its pidfd becomes readable) or
 *     its channel is closed (the caller's end is close-on-exec).
 *
 * The program is found relative to this library only, never through the
 * environment; a setuid caller hands it no variable at all.
 *
 * Hazard: where the caller stands on its first call need not be where it
 * connected, nor where this library was loaded from: it may have entered a
 * container's mount namespace (setns() with an fd of /proc/<init>/ns/mnt
 * it opened itself) or chroot()ed, and only then make its first call.
 * libvirt's library answers on the connection it already has, so ours
 * must too. There the library's path may lead nowhere, or to files the
 * container controls (running them would hand the container this caller's
 * credentials and pidfd); the daemon's socket path may lead nowhere or to
 * another daemon; and the Go core reads /proc/<caller>/, which a
 * container's /proc (its own pid namespace's) lacks. So the core process
 * starts where the caller stands only when its program is found at the
 * library's path there and /proc/self is this process: one access() more
 * than looking the program up, the normal case's whole cost (and the core
 * process, capi/helper/main.c, no longer reads /proc/self/exe). Anywhere else the core child goes back
 * to the mount namespace of the daemon this caller is connected to
 * (goBack()), where the library's files and the socket its connection was
 * made through are, and starts from there. Where it cannot, the call fails
 * saying so rather than run what it found where the caller stands:
 * going back needs CAP_SYS_ADMIN over the daemon's mount namespace (a
 * caller that also entered a container's user namespace has none left),
 * Linux 5.8 (setns() by pidfd: the container's /proc has no
 * /proc/<daemon>/ns/mnt), and the caller's connection among its fds.
 * Remains: a caller whose new root has the library's files and a /proc of
 * its own pid namespace (a chroot set up as a whole system) is taken at
 * its word: its core process starts there and dials the daemon's socket
 * path as it leads there.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../channel/coreerror.h"
#include "coreproc_locate.h"
#include "../channel/proto.h"
#include "coreproc_spawn.h"

#define HELPER_PATH_ENV "PATH=/usr/sbin:/usr/bin:/sbin:/bin"
#define SCRATCH_FD 10          /* above the fds the child arranges */
#define CHILD_STACK (64 * 1024) /* each of the two children's */
/* The most of the caller's fds goBack() looks at. */
#define SCAN_FDS_MAX 65536

/* Read by the core's socket selection (internal/remoteuri/uri.go), as
 * libvirt's client reads them with secure_getenv(). */
static const char *const passedEnv[] = {
    "HOME", "XDG_CONFIG_HOME", "XDG_RUNTIME_DIR",
};
#define N_PASSED_ENV (sizeof(passedEnv) / sizeof(passedEnv[0]))

/* Everything the child needs, prepared before clone(). */
typedef struct {
    lxcCorePlaces places;      /* where the program may be (coreproc_locate.h) */
    int place;                 /* the one found, or -1 */
    pid_t caller;              /* getpid() of the caller */
    char channelArg[16];       /* argv: LXC_PROC_CHANNEL_FD */
    char callerArg[16];        /* argv: LXC_PROC_CALLER_FD */
    char *argv[4];
    char *envp[2 + N_PASSED_ENV];
    char *envStrings[N_PASSED_ENV];
    int channel;               /* the core process's end */
    int pidfd;                 /* the caller's pidfd, or -1 */
    char *stack;               /* CHILD_STACK for each child */
    pid_t core;                /* set by the intermediate */
    int startErrno;            /* set by either child when it fails */
    int away;                  /* set by the core child: found the program
                                * where the caller stands, which is not
                                * where it connected, and no way back */
} spawnSetup;

/* The kernel's struct sigaction. glibc's sigaction() is not a plain
 * system call: for SIGABRT it takes glibc's abort lock, which another
 * thread of the caller may hold (seen: a child hung for good in
 * __abort_lock_wrlock on glibc 2.41). */
struct kernelSigaction {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)(void);
    unsigned long mask;
};

/* Closes every fd of the child but stdio and @a < @b (either may be -1):
 * the caller may be at its descriptor limit, and the child needs room. */
static int
closeAllBut(int a, int b)
{
    int keep[2] = { a < b ? a : b, a < b ? b : a }, from = STDERR_FILENO + 1, i;

    for (i = 0; i < 2; i++) {
        if (keep[i] < from)
            continue;
        if (keep[i] > from && syscall(SYS_close_range, from, keep[i] - 1, 0) < 0)
            return -1;
        from = keep[i] + 1;
    }
    return (int)syscall(SYS_close_range, from, ~0U, 0);
}

/* The child's fd table: stdin/stdout on /dev/null, stderr and
 * LXC_PROC_CHANNEL_FD the channel, LXC_PROC_CALLER_FD the pidfd, nothing
 * else. The child has an fd table of its own (no CLONE_FILES). */
static int
arrangeFds(const spawnSetup *ss)
{
    int channel, pidfd = -1, devnull;

    if (closeAllBut(ss->channel, ss->pidfd) < 0)
        return -1;
    /* Out of the way, so that the dup2()s below cannot clobber. */
    if ((channel = fcntl(ss->channel, F_DUPFD, SCRATCH_FD)) < 0)
        return -1;
    if (ss->pidfd >= 0 && (pidfd = fcntl(ss->pidfd, F_DUPFD, SCRATCH_FD)) < 0)
        return -1;
    if ((devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0 ||
        (devnull = fcntl(devnull, F_DUPFD_CLOEXEC, SCRATCH_FD)) < 0)
        return -1;
    if (dup2(devnull, STDIN_FILENO) < 0 || dup2(devnull, STDOUT_FILENO) < 0 ||
        dup2(channel, STDERR_FILENO) < 0 ||
        dup2(channel, LXC_PROC_CHANNEL_FD) < 0)
        return -1;
    if (pidfd >= 0 && dup2(pidfd, LXC_PROC_CALLER_FD) < 0)
        return -1;
    return (int)syscall(SYS_close_range, pidfd >= 0 ? LXC_PROC_CALLER_FD + 1
                                                    : LXC_PROC_CHANNEL_FD + 1,
                        ~0U, 0);
}

/* The pid of the process at the other end of the caller's @fd, when @fd
 * is a connection to a daemon: a connected UNIX stream socket with a path,
 * served by root or by the caller's euid (a setuid caller's inherited fds
 * may be anyone's), not the caller itself (socketpairs); else 0.
 * *@libvirt is set when the path is under a libvirt/ directory (the
 * sockets libvirt's clients use: LOCALSTATEDIR/run/libvirt/,
 * $XDG_RUNTIME_DIR/libvirt/). */
static pid_t
daemonPeer(const spawnSetup *ss, int fd, int *libvirt)
{
    struct ucred cred;
    struct sockaddr_un addr;
    socklen_t len = sizeof(cred);
    int type;
    size_t i;

    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
        cred.pid <= 0 || cred.pid == ss->caller ||
        (cred.uid != 0 && cred.uid != geteuid()))
        return 0;
    len = sizeof(type);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM)
        return 0;
    memset(&addr, 0, sizeof(addr));
    len = sizeof(addr) - 1; /* keeps a NUL at the end */
    if (getpeername(fd, (struct sockaddr *)&addr, &len) < 0 ||
        addr.sun_family != AF_UNIX || len <= offsetof(struct sockaddr_un, sun_path) ||
        addr.sun_path[0] != '/')
        return 0;
    *libvirt = 0;
    for (i = 0; addr.sun_path[i]; i++)
        if (strncmp(addr.sun_path + i, "/libvirt/", 9) == 0)
            *libvirt = 1;
    return cred.pid;
}

/* Into the mount namespace of @pid, where the program must then be found:
 * 0, or -1 (nothing changed when setns() failed). */
static int
enterMountsOf(spawnSetup *ss, pid_t pid)
{
    int fd = (int)syscall(SYS_pidfd_open, pid, 0), r;

    if (fd < 0)
        return -1;
    r = setns(fd, CLONE_NEWNS); /* Linux 5.8: a pidfd */
    close(fd);
    if (r < 0)
        return -1;
    ss->place = lxcCoreFirstPlace(ss->places);
    return ss->place < 0 ? -1 : 0;
}

/* Back to where this caller connected (see the top of this file): the
 * mount namespace (and so root) of the daemon at the other end of one of
 * its fds, one under libvirt/ first. Only this child's fs and namespaces
 * change (no CLONE_FS); the caller's fd table is scanned on this child's
 * copy of it. 0 when the program is found there. */
static int
goBack(spawnSetup *ss)
{
    struct rlimit rl;
    pid_t peer, libvirtPeer = 0, otherPeer = 0;
    int fd, last = SCAN_FDS_MAX, libvirt;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)last)
        last = (int)rl.rlim_cur;
    for (fd = 0; fd < last && !libvirtPeer; fd++) {
        if (fd == ss->channel || fd == ss->pidfd ||
            !(peer = daemonPeer(ss, fd, &libvirt)))
            continue;
        if (libvirt)
            libvirtPeer = peer;
        else if (!otherPeer)
            otherPeer = peer;
    }
    if (libvirtPeer && enterMountsOf(ss, libvirtPeer) == 0)
        return 0;
    if (otherPeer && enterMountsOf(ss, otherPeer) == 0)
        return 0;
    return -1;
}

/* The core process until it execs, on its own stack, in the caller's
 * memory. */
static int
coreChild(void *arg)
{
    spawnSetup *ss = arg;
    struct kernelSigaction dfl;
    unsigned long none = 0;
    int sig, foundHere = ss->place >= 0;

    /* Where the caller stands is where it connected, or it goes back. */
    if ((!foundHere || access("/proc/self", F_OK) < 0) && goBack(ss) < 0) {
        ss->away = foundHere;
        errno = foundHere ? EPERM : ENOENT;
        goto fail;
    }
    if (arrangeFds(ss) < 0)
        goto fail;
    /* The caller blocked every signal around clone(): drop its handlers
     * (in this child's own copy of the table) before anything is
     * unblocked, so none of them runs here. */
    memset(&dfl, 0, sizeof(dfl));
    dfl.handler = SIG_DFL;
    for (sig = 1; sig < NSIG; sig++)
        syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(dfl.mask));
    if (setsid() < 0 || chdir("/") < 0)
        goto fail;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, sizeof(none));
    execve(ss->places[ss->place], ss->argv, ss->envp);
 fail:
    /* errno is the suspended calling thread's (shared memory). */
    ss->startErrno = errno ? errno : EINVAL;
    return 127;
}

/* The intermediate: starts the core process and exits, orphaning it.
 * Resumes once the core process has exec'ed (or failed to). */
static int
intermediate(void *arg)
{
    spawnSetup *ss = arg;

    ss->core = clone(coreChild, ss->stack + 2 * CHILD_STACK,
                     CLONE_VM | CLONE_VFORK | SIGCHLD, ss);
    if (ss->core < 0)
        ss->startErrno = errno;
    return 0;
}

static void
setupFree(spawnSetup *ss)
{
    size_t i;

    for (i = 0; i < N_PASSED_ENV; i++)
        free(ss->envStrings[i]);
}

static int
setupPrepare(spawnSetup *ss, lxcCoreError *err)
{
    size_t i, n = 0;

    memset(ss, 0, sizeof(*ss));
    ss->channel = ss->pidfd = -1;
    if (lxcCoreFilePlaces(LXC_OPEN_HELPER_FILE, ss->places) < 0) {
        lxcCoreSetInternal(err, "cannot find the directory of libvirt-lxc.so.0: "
                           "%s%s", strerror(errno), lxcProcLimitHint(errno));
        return -1;
    }
    /* Not found here: the core child looks again where the caller
     * connected. */
    ss->place = lxcCoreFirstPlace(ss->places);
    snprintf(ss->channelArg, sizeof(ss->channelArg), "%d", LXC_PROC_CHANNEL_FD);
    snprintf(ss->callerArg, sizeof(ss->callerArg), "%d", LXC_PROC_CALLER_FD);
    ss->argv[0] = (char *)LXC_OPEN_HELPER_FILE;
    ss->argv[1] = ss->channelArg;
    ss->argv[2] = (char *)LXC_PROC_NO_FD_ARG;  /* or the pidfd's, below */
    ss->argv[3] = NULL;
    ss->envp[0] = (char *)HELPER_PATH_ENV;
    if (!getauxval(AT_SECURE)) {
        for (i = 0; i < N_PASSED_ENV; i++) {
            const char *v = getenv(passedEnv[i]);
            if (v && asprintf(&ss->envStrings[n], "%s=%s", passedEnv[i], v) >= 0) {
                ss->envp[1 + n] = ss->envStrings[n];
                n++;
            }
        }
    }
    ss->envp[1 + n] = NULL;
    return 0;
}

/* The intermediate, with every signal blocked, and reaped: the core
 * process's pid, or -1 with ss->startErrno set. */
static pid_t
startCore(spawnSetup *ss)
{
    sigset_t all, saved;
    int status, subreaper = 0;
    pid_t child;

    ss->stack = mmap(NULL, 2 * CHILD_STACK, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (ss->stack == MAP_FAILED) {
        ss->startErrno = errno;
        return -1;
    }
    if (prctl(PR_GET_CHILD_SUBREAPER, &subreaper) == 0 && subreaper)
        prctl(PR_SET_CHILD_SUBREAPER, 0);
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &saved);
    /* Exit signal 0: a clone child. Returns once it has exited. */
    child = clone(intermediate, ss->stack + CHILD_STACK, CLONE_VM | CLONE_VFORK, ss);
    if (child < 0)
        ss->startErrno = errno;
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    if (subreaper)
        prctl(PR_SET_CHILD_SUBREAPER, 1);
    /* When the caller ignores SIGCHLD the kernel reaps it itself (ECHILD). */
    while (child > 0 && waitpid(child, &status, __WCLONE) < 0 && errno == EINTR)
        ;
    munmap(ss->stack, 2 * CHILD_STACK);
    if (child < 0 || ss->startErrno)
        return -1;
    return ss->core;
}

static void
spawnFailed(const spawnSetup *ss, lxcCoreError *err)
{
    if (ss->away)
        lxcCoreSetInternal(err, "cannot start the core process of libvirt-lxc.so.0 "
                           "from another mount namespace or root than the one "
                           "this process connected in, and found no way back "
                           "to its daemon's (going back needs CAP_SYS_ADMIN "
                           "over that mount namespace)");
    else if (ss->place < 0 && ss->startErrno == ENOENT)
        lxcCoreSetInternal(err, "the core process of libvirt-lxc.so.0 is "
                           "missing: expected %s", ss->places[0]);
    else
        lxcCoreSetInternal(err, "cannot start the core process %s: %s%s",
                           ss->places[ss->place < 0 ? 0 : ss->place],
                           strerror(ss->startErrno), lxcProcLimitHint(ss->startErrno));
}

int
lxcProcSpawn(int *fd, pid_t *pid, char *path, size_t pathlen, lxcCoreError *err)
{
    spawnSetup ss;
    int sv[2] = { -1, -1 }, ret = -1;
    pid_t child;

    if (setupPrepare(&ss, err) < 0)
        return -1;
    snprintf(path, pathlen, "%s", ss.places[ss.place < 0 ? 0 : ss.place]);
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        lxcCoreSetInternal(err, "cannot create the channel to the core process: %s%s",
                           strerror(errno), lxcProcLimitHint(errno));
        goto cleanup;
    }
    ss.channel = sv[1];
    /* Without pidfds (Linux < 5.3) the core process still ends with its
     * channel; with them also when a forked child keeps a copy of it. */
    ss.caller = getpid();
    ss.pidfd = (int)syscall(SYS_pidfd_open, ss.caller, 0);
    if (ss.pidfd >= 0)
        ss.argv[2] = ss.callerArg;

    if ((child = startCore(&ss)) < 0) {
        spawnFailed(&ss, err);
        goto cleanup;
    }
    snprintf(path, pathlen, "%s", ss.places[ss.place]);
    *pid = child;
    *fd = sv[0];
    sv[0] = -1;
    ret = 0;

 cleanup:
    if (sv[0] >= 0)
        close(sv[0]);
    if (sv[1] >= 0)
        close(sv[1]);
    if (ss.pidfd >= 0)
        close(ss.pidfd);
    setupFree(&ss);
    return ret;
}

const char *
lxcProcLimitHint(int errnum)
{
    static __thread char hint[160];
    struct rlimit rl;

    switch (errnum) {
    case ENFILE:
        return " (the system's file table is full: see fs.file-max)";
    case EAGAIN:
        return " (no room for another task: see the pids.max of this "
               "process's cgroup, and RLIMIT_NPROC)";
    case EMFILE:
        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
            break;
        snprintf(hint, sizeof(hint), " (this process is at its descriptor "
                 "limit, RLIMIT_NOFILE %llu: raise it with ulimit -n)",
                 (unsigned long long)rl.rlim_cur);
        return hint;
    }
    return "";
}
