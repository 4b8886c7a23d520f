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

/* The kinds of host our library tells apart (capi/hostkind.c), by name:
 *   st      single-threaded: served by its core process
 *   mt      multi-threaded (an idle thread, like virsh): the core in-process
 *   server  multi-threaded and holding a listening socket, like libvirt's
 *           daemons: served by its core process
 * With the system library all three are in-process C. Returns 0, or -1
 * for an unknown name. */
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

#endif
