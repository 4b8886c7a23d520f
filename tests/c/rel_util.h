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

/* A directory fd on this process's /proc/<pid>/fd, opened up front: after
 * entering a container's mount namespace, /proc is the container's and has
 * no entry for us, but this fd still reads the host's procfs. */
TC_UNUSED static int
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
TC_UNUSED static int
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

/* Waits for @pid at most @timeoutMs. Returns 0 with *status set, or 1 when
 * it had to be killed (a hang), the child then reaped. A pidfd wakes us the
 * moment the child exits (a sleep-and-poll loop overshoots each short-lived
 * child by up to its sleep); waitpid(WNOHANG) polling is the fallback. */
TC_UNUSED static int
relWaitTimeout(pid_t pid, int timeoutMs, int *status)
{
    long long deadline = tcNowMs() + timeoutMs;
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
        if (tcNowMs() >= deadline) {
            kill(pid, SIGKILL);
            while (waitpid(pid, status, 0) < 0 && errno == EINTR)
                ;
            if (pidfd >= 0)
                close(pidfd);
            return 1;
        }
        if (pidfd >= 0) {
            struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
            long long left = deadline - tcNowMs();
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
TC_UNUSED static void
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

#endif /* REL_UTIL_H */
