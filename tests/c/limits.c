/*
 * limits: OpenNamespace under the caller's resource limits.
 *
 *   limits SCENARIO     (domain lxcgo-plain, or $LXCGO_DOMAIN)
 *
 * Each scenario connects first (libvirt's own client needs room too), then
 * narrows one limit and prints one line "SCENARIO key=value ...":
 *
 *   nofile-first  no descriptor free at the first call; then room again
 *   nofile-later  a first call; then room for fewer fds than the call
 *                 returns; then room again
 *   as-soft       RLIMIT_AS soft limit 512 MiB, hard limit as it was
 *   as-hard       RLIMIT_AS hard limit 400 MiB
 *   calls         a few calls, nothing narrowed (tests/live runs it in a
 *                 cgroup with a small pids.max)
 *
 * Fields: first=/second= the calls' results, threads= of this process;
 * then the lines "SCENARIO-first" and "SCENARIO-second" with each call's
 * error fields (rel_util.h).
 */
#include <sys/resource.h>

#include "rel_util.h"

#define MIB (1024ULL * 1024)
#define SPARE_FDS 2        /* room left for a call that needs 6 */
#define MAX_FILLERS 4096

static virDomainPtr dom;
static int fillers[MAX_FILLERS], nfillers;

/* One OpenNamespace; its result, the fds closed and freed, its error
 * fields in @err. */
static int
callOnce(char *err, size_t errlen)
{
    int *fds = NULL, n = virDomainLxcOpenNamespace(dom, &fds, 0), i;

    relErrorFields(err, errlen);
    for (i = 0; i < n; i++)
        close(fds[i]);
    free(fds);
    return n;
}

/* Takes descriptors until only @spare are left under the soft limit,
 * which it first lowers to just above the fds now open. */
static void
fillFds(int spare)
{
    struct rlimit rl;
    int fd, dirfd = relOpenFdDir();


    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = relCountFds(dirfd) + 16;
    close(dirfd);
    setrlimit(RLIMIT_NOFILE, &rl);
    while (nfillers < MAX_FILLERS && (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
        fillers[nfillers++] = fd;
    while (spare-- > 0 && nfillers > 0)
        close(fillers[--nfillers]);
}

static void
freeFds(void)
{
    struct rlimit rl;

    while (nfillers > 0)
        close(fillers[--nfillers]);
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
}

/* Runs @narrow between a first call (when @callFirst) and the calls
 * printed, and @widen before the second printed call. */
static void
run(const char *name, int callFirst, void (*narrow)(void), void (*widen)(void))
{
    char err[2048], err2[2048];
    int first, second;

    if (callFirst)
        callOnce(err, sizeof(err));
    narrow();
    first = callOnce(err, sizeof(err));
    if (widen)
        widen();
    second = callOnce(err2, sizeof(err2));
    printf("%s first=%d second=%d threads=%d\n", name, first, second, tcThreads());
    printf("%s-first %s\n%s-second %s\n", name, err, name, err2);
}

static void noFds(void) { fillFds(0); }
static void fewFds(void) { fillFds(SPARE_FDS); }

static void
asLimit(int hard, unsigned long long bytes)
{
    struct rlimit rl;

    getrlimit(RLIMIT_AS, &rl);
    rl.rlim_cur = bytes;
    if (hard)
        rl.rlim_max = bytes;
    setrlimit(RLIMIT_AS, &rl);
}

static void asSoft(void) { asLimit(0, 512 * MIB); }
static void asHard(void) { asLimit(1, 400 * MIB); }
static void nothing(void) { }

static const struct {
    const char *name;
    int callFirst;
    void (*narrow)(void);
    void (*widen)(void);
} scenarios[] = {
    { .name = "nofile-first", .narrow = noFds, .widen = freeFds },
    { .name = "nofile-later", .callFirst = 1, .narrow = fewFds, .widen = freeFds },
    { .name = "as-soft", .narrow = asSoft },
    { .name = "as-hard", .narrow = asHard },
    { .name = "calls", .narrow = nothing },
};

int
main(int argc, char **argv)
{
    const char *want = argc > 1 ? argv[1] : "";
    virConnectPtr conn;
    size_t i;

    setvbuf(stdout, NULL, _IOLBF, 0);
    tcPrintLib();
    for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
        if (strcmp(want, scenarios[i].name) != 0)
            continue;
        conn = tcOpen(0);
        tcQuiet(conn);
        dom = tcDomain(conn, getenv("LXCGO_DOMAIN") ? getenv("LXCGO_DOMAIN")
                                                     : "lxcgo-plain");
        run(scenarios[i].name, scenarios[i].callFirst, scenarios[i].narrow,
            scenarios[i].widen);
        tcRelease();
        return 0;
    }
    fprintf(stderr, "usage: %s SCENARIO (see limits.c)\n", argv[0]);
    return 2;
}
