/*
 * burst.c: COUNT copies of a command started at once, as many one-shot
 * tools run by a script or a login storm.
 *
 *   burst COUNT CMD [ARGS...]
 *
 * Forks COUNT children back to back, each exec'ing CMD (environment passed
 * through), then reaps them all. Prints "burst_wall_ns" from the first
 * fork to the last exit, "burst_failed", the number of children that did
 * not exit 0 (a fork that failed counts as a failed child), and
 * "burst_count", COUNT. The
 * children's output is left as is.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
    int count, started = 0, failed = 0, status, i;
    uint64_t t0;

    if (argc < 3 || (count = atoi(argv[1])) < 1) {
        fprintf(stderr, "usage: %s COUNT CMD [ARGS...]\n", argv[0]);
        return 1;
    }
    fflush(NULL);
    t0 = now_ns();
    for (i = 0; i < count; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            failed++;
            continue;
        }
        if (pid == 0) {
            execvp(argv[2], argv + 2);
            fprintf(stderr, "exec %s: %s\n", argv[2], strerror(errno));
            _exit(127);
        }
        started++;
    }
    for (i = 0; i < started; i++)
        if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            failed++;
    printf("burst_wall_ns %llu\nburst_failed %d\nburst_count %d\n",
           (unsigned long long)(now_ns() - t0), failed, count);
    return 0;
}
