/*
 * cgroup_move.c: what the kernel charges for moving a process into a cgroup,
 * the step of virDomainLxcEnterCGroup that dominates virsh
 * lxc-enter-namespace (both libraries make the same writes).
 *
 *   cgroup_move IDLE_MS REPEATS
 *
 * A child writes its pid to cgroup.procs of the cgroup2 group it is already
 * in. Such a write takes the kernel's cgroup_threadgroup_rwsem for writing,
 * which waits for an RCU grace period unless another move finished less
 * than about one grace period ago. Printed: "move_idle_ns" for a move after
 * IDLE_MS of quiet (repeated REPEATS times), "move_repeat_ns" for a move
 * right after another one. Prints "cgroup2 none" when no cgroup2 hierarchy
 * is mounted.
 */
#include "common.h"

#include <sys/wait.h>

/* The cgroup.procs file of this process's cgroup2 group, from
 * /proc/self/mountinfo (mount point) and /proc/self/cgroup ("0::path"). */
static int
procsFile(char *out, size_t size)
{
    char line[4096], mnt[PATH_MAX] = "", path[PATH_MAX] = "";
    FILE *f;

    if (!(f = fopen("/proc/self/mountinfo", "re")))
        return -1;
    while (fgets(line, sizeof(line), f)) {
        char *dash = strstr(line, " - cgroup2 ");
        char point[PATH_MAX];
        if (dash && sscanf(line, "%*s %*s %*s %*s %4095s", point) == 1) {
            snprintf(mnt, sizeof(mnt), "%s", point);
            break;
        }
    }
    fclose(f);
    if (!mnt[0] || !(f = fopen("/proc/self/cgroup", "re")))
        return -1;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "0::", 3) == 0) {
            line[strcspn(line, "\n")] = '\0';
            snprintf(path, sizeof(path), "%s", line + 3);
        }
    }
    fclose(f);
    if (!path[0])
        return -1;
    if (snprintf(out, size, "%s%s/cgroup.procs", mnt, path) >= (int)size)
        return -1;
    return 0;
}

/* Forks a child that moves itself; returns the write's duration. */
static uint64_t
moveOnce(const char *procs)
{
    int p[2];
    pid_t pid;
    uint64_t ns = 0;

    if (pipe(p) < 0)
        exit(2);
    if ((pid = fork()) < 0)
        exit(2);
    if (pid == 0) {
        char buf[32];
        int n = snprintf(buf, sizeof(buf), "%d", (int)getpid());
        uint64_t t0 = tcNowNs();
        int fd = open(procs, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, buf, n) != n)
            _exit(1);
        close(fd);
        t0 = tcNowNs() - t0;
        _exit(write(p[1], &t0, sizeof(t0)) == sizeof(t0) ? 0 : 1);
    }
    close(p[1]);
    if (read(p[0], &ns, sizeof(ns)) != sizeof(ns)) {
        fprintf(stderr, "cgroup_move: the child could not write %s\n", procs);
        exit(2);
    }
    close(p[0]);
    waitpid(pid, NULL, 0);
    return ns;
}

int
main(int argc, char **argv)
{
    char procs[PATH_MAX];
    struct timespec idle;
    int i, repeats;

    if (argc != 3) {
        fprintf(stderr, "usage: %s IDLE_MS REPEATS\n", argv[0]);
        return 1;
    }
    if (procsFile(procs, sizeof(procs)) < 0) {
        printf("cgroup2 none\n");
        return 0;
    }
    idle.tv_sec = atoi(argv[1]) / 1000;
    idle.tv_nsec = (long)(atoi(argv[1]) % 1000) * 1000000L;
    repeats = atoi(argv[2]);
    for (i = 0; i < repeats; i++) {
        nanosleep(&idle, NULL);
        printf("move_idle_ns %llu\n", (unsigned long long)moveOnce(procs));
        printf("move_repeat_ns %llu\n", (unsigned long long)moveOnce(procs));
    }
    return 0;
}
