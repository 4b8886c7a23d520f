/*
 * common.h: helpers shared by the benchmark hosts in bench/.
 *
 * Every host prints "library <path>": the file that really provides
 * virDomainLxcOpenNamespace in this process, so that run.sh can reject a run
 * in which LD_LIBRARY_PATH did not select the library it meant to measure.
 * Results are printed as "<key> <value>" lines that run.sh collects.
 *
 * The helpers that are not about benchmarking (monotonic clock, thread
 * count, which file defines a function, a quiet error handler) are the test
 * programs' ones, from tests/c/tc.h: static and unused unless called, so a
 * host pays only for what it uses. Found relative to this file, so no -I.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include "../tests/c/tc.h"

#include <dirent.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>

/* Prints the resolved path of the object that defines @fn. The hosts are
 * built as PIE, so a function's address is the library's own definition and
 * not a PLT stub in the executable. realpath() removes the /lib vs /usr/lib
 * and symlink differences, so run.sh can compare paths exactly. */
static inline int
bench_print_library(const char *what, void *fn)
{
    char real[PATH_MAX];

    if (tcLibOf(fn, real) < 0) {
        printf("library unknown\n");
        return -1;
    }
    printf("%s %s\n", what, real);
    fflush(stdout);
    return 0;
}

/* An idle thread, started before measuring so that the host is
 * multi-threaded like virsh (which runs libvirt's event loop in a second
 * thread). It blocks on a pipe until the host closes the write end. */
typedef struct {
    pthread_t tid;
    int pipefd[2];
} bench_idle_thread;

static void *
bench_idle_main(void *opaque)
{
    bench_idle_thread *t = opaque;
    char c;

    while (read(t->pipefd[0], &c, 1) > 0)
        ;
    return NULL;
}

static inline int
bench_idle_start(bench_idle_thread *t)
{
    if (pipe(t->pipefd) < 0)
        return -1;
    if (pthread_create(&t->tid, NULL, bench_idle_main, t) != 0)
        return -1;
    return 0;
}

static inline void
bench_idle_stop(bench_idle_thread *t)
{
    close(t->pipefd[1]);
    pthread_join(t->tid, NULL);
    close(t->pipefd[0]);
}

/* The kinds of host that call the library, by name:
 *   st      single-threaded (virt-login-shell's helper, a one-shot tool)
 *   mt      multi-threaded (an idle thread, like virsh's event loop)
 *   server  multi-threaded and holding a listening socket, like libvirt's
 *           daemons
 * Ours serves every kind through the caller's core process; the kinds
 * differ in what the host is, which is what a benchmark must not assume
 * away. Returns 0, or -1 for an unknown name. */
static inline int
bench_host_start(const char *kind, bench_idle_thread *idle)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;

    if (strcmp(kind, "st") == 0)
        return 0;
    if (strcmp(kind, "mt") != 0 && strcmp(kind, "server") != 0)
        return -1;
    if (bench_idle_start(idle) < 0)
        return -1;
    if (strcmp(kind, "server") == 0) {
        /* An abstract name: nothing on disk. Kept open for good. */
        snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, "lxcgo-bench-%d",
                 (int)getpid());
        if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
            bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0)
            return -1;
    }
    return 0;
}

/* Opens @uri read-write and looks up @name; exits on failure, since a
 * benchmark without its domain measures nothing. */
static inline virDomainPtr
bench_domain(const char *uri, const char *name, virConnectPtr *connp)
{
    virConnectPtr conn = virConnectOpen(uri);
    virDomainPtr dom;

    if (!conn) {
        fprintf(stderr, "cannot open %s: %s\n", uri, virGetLastErrorMessage());
        exit(2);
    }
    if (!(dom = virDomainLookupByName(conn, name))) {
        fprintf(stderr, "no domain %s: %s\n", name, virGetLastErrorMessage());
        exit(2);
    }
    *connp = conn;
    return dom;
}

/* One OpenNamespace call whose result is discarded the way a careful
 * caller would: every fd closed and the array freed. */
static inline int
bench_open_once(virDomainPtr dom)
{
    int *fds = NULL;
    int n = virDomainLxcOpenNamespace(dom, &fds, 0);
    int i;

    if (n < 0) {
        fprintf(stderr, "virDomainLxcOpenNamespace: %s\n",
                virGetLastErrorMessage());
        exit(3);
    }
    for (i = 0; i < n; i++)
        close(fds[i]);
    free(fds);
    return n;
}

/* A getrusage() time in nanoseconds. */
static inline uint64_t
bench_tv_ns(struct timeval tv)
{
    return (uint64_t)tv.tv_sec * 1000000000u + (uint64_t)tv.tv_usec * 1000u;
}

/* CPU time of all threads of this process so far. */
static inline uint64_t
bench_cpu_ns(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return bench_tv_ns(ru.ru_utime) + bench_tv_ns(ru.ru_stime);
}

static inline int
bench_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The program our library starts as a caller's core process. */
#define BENCH_CORE_PROGRAM "/libvirt-lxc-open"

/* The inode of the socket at the other end of unix socket @ino, from the
 * kernel's unix sock_diag (0 if none or unknown). */
static inline unsigned long
bench_peer_inode(unsigned long ino)
{
    struct {
        struct nlmsghdr nlh;
        struct unix_diag_req req;
    } q = {
        .nlh = { .nlmsg_len = sizeof(q), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
                 .nlmsg_flags = NLM_F_REQUEST },
        .req = { .sdiag_family = AF_UNIX, .udiag_states = ~0u,
                 .udiag_ino = (unsigned)ino, .udiag_show = UDIAG_SHOW_PEER,
                 .udiag_cookie = { ~0u, ~0u } },
    };
    union { struct nlmsghdr nlh; char buf[1024]; } r;
    unsigned long peer = 0;
    struct nlmsghdr *h = &r.nlh;
    ssize_t n;
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);

    if (fd < 0)
        return 0;
    if (send(fd, &q, sizeof(q), 0) == (ssize_t)sizeof(q) &&
        (n = recv(fd, r.buf, sizeof(r.buf), 0)) > 0 && NLMSG_OK(h, (size_t)n) &&
        h->nlmsg_type == SOCK_DIAG_BY_FAMILY) {
        struct unix_diag_msg *m = NLMSG_DATA(h);
        struct rtattr *a = (struct rtattr *)(m + 1);
        int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*m));

        for (; RTA_OK(a, len); a = RTA_NEXT(a, len))
            if (a->rta_type == UNIX_DIAG_PEER)
                peer = *(uint32_t *)RTA_DATA(a);
    }
    close(fd);
    return peer;
}

/* Whether process @pid (a /proc entry name) holds socket inode @ino. */
static inline int
bench_holds_socket(const char *pid, unsigned long ino)
{
    char path[PATH_MAX], link[64], want[64];
    struct dirent *de;
    DIR *d;
    int found = 0;

    snprintf(path, sizeof(path), "/proc/%s/fd", pid);
    snprintf(want, sizeof(want), "socket:[%lu]", ino);
    if (!(d = opendir(path)))
        return 0;
    while (!found && (de = readdir(d))) {
        ssize_t n;
        snprintf(path, sizeof(path), "/proc/%s/fd/%s", pid, de->d_name);
        if ((n = readlink(path, link, sizeof(link) - 1)) > 0) {
            link[n] = '\0';
            found = strcmp(link, want) == 0;
        }
    }
    closedir(d);
    return found;
}

/* Whether process @pid is this process's core process: its parent is this
 * process, or it holds a pidfd on it, or it holds the other end of one of
 * this process's unix sockets (the channel). Any one will do, so the
 * finder does not depend on how the core process is started. */
static inline int
bench_serves_me(const char *pid)
{
    char path[PATH_MAX], link[64], line[256], me[64], parent[64];
    struct dirent *de;
    int found = 0;
    FILE *f;
    DIR *d;

    snprintf(me, sizeof(me), "Pid:\t%d\n", (int)getpid());
    snprintf(parent, sizeof(parent), "PPid:\t%d\n", (int)getpid());
    snprintf(path, sizeof(path), "/proc/%s/status", pid);
    if ((f = fopen(path, "re"))) {
        while (fgets(line, sizeof(line), f))
            found |= strcmp(line, parent) == 0;
        fclose(f);
    }
    snprintf(path, sizeof(path), "/proc/%s/fdinfo", pid);
    if (!found && (d = opendir(path))) {
        while (!found && (de = readdir(d))) {
            snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s", pid, de->d_name);
            if (!(f = fopen(path, "re")))
                continue;
            while (fgets(line, sizeof(line), f))
                found |= strcmp(line, me) == 0;
            fclose(f);
        }
        closedir(d);
    }
    if (!found && (d = opendir("/proc/self/fd"))) {
        while (!found && (de = readdir(d))) {
            unsigned long ino, peer;
            ssize_t n;
            snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
            if ((n = readlink(path, link, sizeof(link) - 1)) <= 0)
                continue;
            link[n] = '\0';
            if (sscanf(link, "socket:[%lu]", &ino) == 1 &&
                (peer = bench_peer_inode(ino)) != 0)
                found = bench_holds_socket(pid, peer);
        }
        closedir(d);
    }
    return found;
}

/* The pid of this process's core process, or -1 if it has none (the
 * system library) or more than one. */
static inline pid_t
bench_core_proc(void)
{
    char path[PATH_MAX], exe[PATH_MAX];
    struct dirent *de;
    DIR *d = opendir("/proc");
    pid_t found = -1;
    int n = 0;
    ssize_t len;

    if (!d)
        return -1;
    while ((de = readdir(d))) {
        if (de->d_name[0] < '0' || de->d_name[0] > '9')
            continue;
        snprintf(path, sizeof(path), "/proc/%s/exe", de->d_name);
        if ((len = readlink(path, exe, sizeof(exe) - 1)) < 0)
            continue;
        exe[len] = '\0';
        if (!strstr(exe, BENCH_CORE_PROGRAM) || !bench_serves_me(de->d_name))
            continue;
        found = atoi(de->d_name);
        n++;
    }
    closedir(d);
    return n == 1 ? found : -1;
}

/* The "Key: N" field of a /proc file, or -1. */
static inline long
bench_proc_field(pid_t pid, const char *file, const char *key)
{
    char path[PATH_MAX], line[256];
    size_t klen = strlen(key);
    long v = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
    if (!(f = fopen(path, "re")))
        return -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, key, klen) == 0 && line[klen] == ':')
            v = atol(line + klen + 1);
    fclose(f);
    return v;
}

/* How long a core process is left alone before it counts as at rest. */
#define BENCH_SETTLE_MS 1000

/* Prints @what_core_threads, @what_core_private_dirty_kb and
 * @what_core_rss_kb of this process's core process after
 * BENCH_SETTLE_MS at rest; nothing if it has none (the system library). */
static inline void
bench_print_core_at_rest(const char *what)
{
    struct timespec settle = { BENCH_SETTLE_MS / 1000, (BENCH_SETTLE_MS % 1000) * 1000000L };
    pid_t core = bench_core_proc();

    if (core < 0)
        return;
    nanosleep(&settle, NULL);
    printf("core_settle_ms %d\n", BENCH_SETTLE_MS);
    printf("%s_core_threads %ld\n", what, bench_proc_field(core, "status", "Threads"));
    printf("%s_core_private_dirty_kb %ld\n", what,
           bench_proc_field(core, "smaps_rollup", "Private_Dirty"));
    printf("%s_core_rss_kb %ld\n", what, bench_proc_field(core, "smaps_rollup", "Rss"));
    fflush(stdout);
}

#endif
