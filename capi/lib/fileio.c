/*
 * fileio.c: fork-safe reads and writes of small kernel files (procfs, sysfs,
 * cgroupfs) for libvirt-lxc.so.0, and the thread count read from procfs.
 *
 * Plain open/read/write/close only, no stdio and no locks: these run in the
 * child of a fork() in a multi-threaded caller, where only async-signal-safe
 * calls are allowed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* Room for all of /proc/self/status (about 1.5 KiB on current kernels). */
#define LXC_PROC_STATUS_MAX 4096

ssize_t
lxcReadSmallFile(const char *path, char *buf, size_t size)
{
    size_t len = 0;
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return -1;
    while (len < size - 1) {
        n = read(fd, buf + len, size - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;
            close(fd);
            errno = saved;
            return -1;
        }
        if (n == 0)
            break;
        len += n;
    }
    close(fd);
    buf[len] = '\0';
    return len;
}

int
lxcWriteSmallFile(const char *path, int flags, const char *data, size_t len)
{
    ssize_t n;
    int fd, saved;

    if ((fd = open(path, flags | O_CLOEXEC)) < 0)
        return -1;
    do {
        n = write(fd, data, len);
    } while (n < 0 && errno == EINTR);
    if (n == (ssize_t)len)
        return close(fd) == 0 ? 0 : -1;
    saved = n < 0 ? errno : EIO;
    close(fd);
    errno = saved;
    return -1;
}

long
lxcThreadCount(void)
{
    char buf[LXC_PROC_STATUS_MAX];
    char *p;

    if (lxcReadSmallFile("/proc/self/status", buf, sizeof(buf)) <= 0)
        return 0;
    if (!(p = strstr(buf, "\nThreads:")))
        return 0;
    return strtol(p + strlen("\nThreads:"), NULL, 10);
}
