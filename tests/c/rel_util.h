/*
 * rel_util.h: helpers shared by the reliability programs (rel_*.c), on top
 * of tc.h. Header-only so that each program stays one executable.
 */
#ifndef REL_UTIL_H
#define REL_UTIL_H

#include <dirent.h>
#include <poll.h>
#include <sys/syscall.h>
#include <time.h>

#include <stdint.h>

#include "tc.h"

#if defined(__GNUC__)
# define REL_UNUSED __attribute__((unused))
#else
# define REL_UNUSED
#endif

/* tc.h's scenario runner is not used here; referencing it keeps
 * -Wunused-function quiet without touching the shared header. */
REL_UNUSED static void (*const relTcRun)(const char *, tcScenarioFunc, void *) = tcRun;

REL_UNUSED static long long
relNowMs(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A directory fd on this process's /proc/<pid>/fd, opened up front: after
 * entering a container's mount namespace, /proc is the container's and has
 * no entry for us, but this fd still reads the host's procfs. */
REL_UNUSED static int
relOpenFdDir(void)
{
    char path[64];
    int fd;

    snprintf(path, sizeof(path), "/proc/%d/fd", (int)getpid());
    if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        perror(path);
        exit(2);
    }
    return fd;
}

/* Open fds of this process, the directory fd itself included (so two counts
 * taken with the same @dirfd compare exactly). getdents64 on a rewound fd
 * rather than readdir: no allocation, nothing cached between counts. */
REL_UNUSED static int
relCountFds(int dirfd)
{
    char buf[8192];
    int n = 0;
    long r, off;

    if (lseek(dirfd, 0, SEEK_SET) < 0)
        return -1;
    while ((r = syscall(SYS_getdents64, dirfd, buf, sizeof(buf))) > 0) {
        for (off = 0; off < r;) {
            unsigned short reclen;
            const char *name;

            memcpy(&reclen, buf + off + 16, sizeof(reclen));
            name = buf + off + 19;
            if (name[0] != '.')
                n++;
            off += reclen;
        }
    }
    return r < 0 ? -1 : n;
}

/* Error handler that swallows: thousands of error-path calls would otherwise
 * each print a line on stderr. */
static void
relQuietCb(void *opaque, virErrorPtr err)
{
    (void)opaque;
    (void)err;
}

REL_UNUSED static void
relQuiet(virConnectPtr conn)
{
    virSetErrorFunc(NULL, relQuietCb);
    if (conn)
        virConnSetErrorFunc(conn, NULL, relQuietCb);
}

/* Waits for @pid at most @timeoutMs. Returns 0 with *status set, or 1 when
 * it had to be killed (a hang), the child then reaped. A pidfd wakes us the
 * moment the child exits (a sleep-and-poll loop overshoots each short-lived
 * child by up to its sleep); waitpid(WNOHANG) polling is the fallback. */
REL_UNUSED static int
relWaitTimeout(pid_t pid, int timeoutMs, int *status)
{
    long long deadline = relNowMs() + timeoutMs;
    long delayUs = 10;
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    pid_t r;

    for (;;) {
        r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR) {
            perror("waitpid");
            exit(2);
        }
        if (relNowMs() >= deadline) {
            kill(pid, SIGKILL);
            while (waitpid(pid, status, 0) < 0 && errno == EINTR)
                ;
            if (pidfd >= 0)
                close(pidfd);
            return 1;
        }
        if (pidfd >= 0) {
            struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
            long long left = deadline - relNowMs();
            poll(&pfd, 1, left > 0 ? (int)left : 0);
            continue;
        }
        struct timespec ts = { 0, delayUs * 1000 };
        nanosleep(&ts, NULL);
        if (delayUs < 2000)
            delayUs *= 2;
    }
    if (pidfd >= 0)
        close(pidfd);
    return 0;
}

/* The last libvirt error as key=value fields (for the runner's parser). */
REL_UNUSED static void
relErrorFields(char *out, size_t size)
{
    virErrorPtr e = virGetLastError();

    out[0] = '\0';
    if (!e) {
        snprintf(out, size, "noerror");
        return;
    }
    snprintf(out, size, "code=%d domain=%d level=%d int1=%d msg=",
             e->code, e->domain, e->level, e->int1);
    tcQuote(out, size, e->message);
    snprintf(out + strlen(out), size - strlen(out), " str1=");
    tcQuote(out, size, e->str1);
    snprintf(out + strlen(out), size - strlen(out), " str2=");
    tcQuote(out, size, e->str2);
}

/* Whether the Go core is mapped into this process. */
REL_UNUSED static int
relCoreMapped(void)
{
    char line[4096];
    int found = 0;
    FILE *f = fopen("/proc/self/maps", "re");

    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (strstr(line, "libvirt-lxc-core.so"))
            found = 1;
    fclose(f);
    return found;
}

REL_UNUSED static int
relThreads(void)
{
    char line[256];
    int n = -1;
    FILE *f = fopen("/proc/self/status", "re");

    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "Threads: %d", &n) == 1)
            break;
    fclose(f);
    return n;
}

#endif /* REL_UTIL_H */
