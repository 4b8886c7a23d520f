/*
 * spawn.c: runs a command once and reports its exec-to-exit wall time and
 * peak RSS.
 *
 *   spawn CMD [ARGS...]
 *
 * Prints "spawn_wall_ns N", "spawn_cpu_ns N", "spawn_maxrss_kb N" and
 * "spawn_status N" on stderr after the command's own output. CPU time
 * (user + system, all threads, from wait4) is printed beside wall time
 * because it is far less disturbed by other load on the machine. The clock starts just before
 * fork() and stops when wait4() returns, so the shell that runs spawn costs
 * nothing in the figure; ru_maxrss comes from the child's own rusage
 * (wait4), not from this process. The environment (LD_LIBRARY_PATH) is
 * passed through unchanged.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t
now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int
main(int argc, char **argv)
{
    struct rusage ru;
    uint64_t t0, t1;
    pid_t pid;
    int status;

    if (argc < 2) {
        fprintf(stderr, "usage: %s CMD [ARGS...]\n", argv[0]);
        return 1;
    }
    fflush(NULL);
    t0 = now_ns();
    pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0) {
        execvp(argv[1], argv + 1);
        fprintf(stderr, "exec %s: %s\n", argv[1], strerror(errno));
        _exit(127);
    }
    if (wait4(pid, &status, 0, &ru) < 0) {
        perror("wait4");
        return 1;
    }
    t1 = now_ns();
    fprintf(stderr, "spawn_wall_ns %llu\nspawn_cpu_ns %llu\nspawn_maxrss_kb %ld\n"
            "spawn_status %d\n",
            (unsigned long long)(t1 - t0),
            (unsigned long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000u +
            (unsigned long long)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000u,
            ru.ru_maxrss,
            WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    return 0;
}
