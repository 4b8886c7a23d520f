/*
 * coreproc_concurrency.c: the coreproc scenarios about threads: first
 * calls made by many threads at once in a server host (concurrent), while
 * another thread forks children that call too (forkrace), in a child
 * forked while another thread held libvirt's logger (forklog), and libvirt's
 * own virFork while a thread logs through this library (virfork).
 */
#include "coreproc.h"

#define THREADS 16

/* ---- concurrent ---------------------------------------------------------- */

static pthread_barrier_t barrier;
static int concurrentOk, concurrentBad;
static char wantInodes[512];

/* "ino,ino,..." of the fds, in order. */
static void
inodesOf(const int *fds, int n, char *out, size_t size)
{
    struct stat st;
    int i;

    out[0] = '\0';
    for (i = 0; i < n; i++) {
        if (fstat(fds[i], &st) < 0)
            st.st_ino = 0;
        snprintf(out + strlen(out), size - strlen(out), "%s%lu", i ? "," : "",
                 (unsigned long)st.st_ino);
    }
}

static void *
concurrentMain(void *arg)
{
    char got[512];
    int i, j;

    (void)arg;
    pthread_barrier_wait(&barrier);
    for (i = 0; i < 50; i++) {
        int *fds = NULL;
        int n = virDomainLxcOpenNamespace(dom, &fds, 0);
        inodesOf(fds, n, got, sizeof(got));
        if (n == 6 && strcmp(got, wantInodes) == 0)
            __atomic_add_fetch(&concurrentOk, 1, __ATOMIC_RELAXED);
        else
            __atomic_add_fetch(&concurrentBad, 1, __ATOMIC_RELAXED);
        for (j = 0; j < n; j++)
            close(fds[j]);
        free(fds);
    }
    return NULL;
}

/* The namespaces the daemon must hand out, read straight from /proc. */
static void
initInodes(void)
{
    static const char *const ns[] = { "user", "ipc", "uts", "net", "pid", "mnt" };
    pid_t init = tcInitPid(dom);
    char path[64];
    struct stat st;
    size_t i;

    wantInodes[0] = '\0';
    for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
        snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)init, ns[i]);
        if (stat(path, &st) < 0)
            st.st_ino = 0;
        snprintf(wantInodes + strlen(wantInodes), sizeof(wantInodes) - strlen(wantInodes),
                 "%s%lu", i ? "," : "", (unsigned long)st.st_ino);
    }
}

int
scenarioConcurrent(const char *unused TC_UNUSED)
{
    pthread_t t[THREADS];
    pid_t procs[8];
    int i, lfd = listenSomewhere();

    openDomain();
    initInodes();
    pthread_barrier_init(&barrier, NULL, THREADS);
    for (i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, concurrentMain, NULL);
    for (i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    printf("concurrent calls=%d ok=%d bad=%d core_procs=%d core_mapped=%d\n",
           THREADS * 50, concurrentOk, concurrentBad, coreProcsOf(getpid(), procs, 8),
           tcMapped("libvirt-lxc-core"));
    close(lfd);
    closeDomain();
    return 0;
}

/* ---- forkrace ------------------------------------------------------------ */

#define RACE_ROUNDS 10
#define RACE_CALLERS 4
#define RACE_CHILDREN 4

static void *
raceCaller(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&barrier);
    callOnce();
    return NULL;
}

/* One process: RACE_CALLERS threads make their first calls while the main
 * thread forks RACE_CHILDREN children that call too. Exits 0 if every
 * child got its fds within 10 s. */
static int
raceOnce(int listen)
{
    pthread_t t[RACE_CALLERS];
    pid_t kids[RACE_CHILDREN];
    int i, status, bad = 0;

    if (listen)
        listenSomewhere();
    openDomain();
    pthread_barrier_init(&barrier, NULL, RACE_CALLERS + 1);
    for (i = 0; i < RACE_CALLERS; i++)
        pthread_create(&t[i], NULL, raceCaller, NULL);
    pthread_barrier_wait(&barrier);
    for (i = 0; i < RACE_CHILDREN; i++) {
        if ((kids[i] = fork()) == 0)
            _exit(callOnce() == 6 ? 0 : 1);
        usleep(200 * i);
    }
    for (i = 0; i < RACE_CHILDREN; i++) {
        if (relWaitTimeout(kids[i], 10000, &status) == 1)
            bad |= 2; /* hung */
        else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            bad |= 1;
    }
    for (i = 0; i < RACE_CALLERS; i++)
        pthread_join(t[i], NULL);
    _exit(bad);
}

int
scenarioForkRace(const char *mode)
{
    int round, status, hangs = 0, failed = 0, listen = strcmp(mode, "server") == 0;
    pid_t pid;

    for (round = 0; round < RACE_ROUNDS; round++) {
        if ((pid = fork()) == 0)
            raceOnce(listen);
        if (relWaitTimeout(pid, 60000, &status) == 1 || !WIFEXITED(status)) {
            hangs++;
            continue;
        }
        hangs += (WEXITSTATUS(status) & 2) != 0;
        failed += (WEXITSTATUS(status) & 1) != 0;
    }
    printf("forkrace mode=%s rounds=%d children=%d hung_rounds=%d failed_rounds=%d\n",
           mode, RACE_ROUNDS, RACE_ROUNDS * RACE_CHILDREN, hangs, failed);
    return 0;
}


/* ---- forklog ------------------------------------------------------------- */

#define FORKLOG_STALL_MS 300     /* no progress this long: the logger blocks */
#define FORKLOG_DRAIN_MS 500     /* the FIFO is drained this long after */
#define FORKLOG_CHILD_MS 5000    /* what the child gets to call */

static int logLoopCalls, forkLogStop, logFifo = -1;

/* Logs an entry record per call until told to stop: it blocks inside
 * libvirt's logger, holding its mutex, whenever the log FIFO is full. */
static void *
logLoop(void *arg)
{
    virSecurityModel model;
    virSecurityLabel label;

    (void)arg;
    memset(&model, 0, sizeof(model));
    memset(&label, 0, sizeof(label));
    strcpy(model.model, "none");
    strcpy(label.label, "none");
    while (!__atomic_load_n(&forkLogStop, __ATOMIC_RELAXED)) {
        virDomainLxcEnterSecurityLabel(&model, &label, NULL, 0);
        __atomic_add_fetch(&logLoopCalls, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static void
drain(int fd)
{
    char buf[65536];

    while (read(fd, buf, sizeof(buf)) > 0)
        ;
}

/* Drains the FIFO, FORKLOG_DRAIN_MS after it is started (the main thread
 * forks meanwhile), until told to stop. */
static void *
drainLater(void *arg)
{
    (void)arg;
    usleep(FORKLOG_DRAIN_MS * 1000);
    while (!__atomic_load_n(&forkLogStop, __ATOMIC_RELAXED)) {
        drain(logFifo);
        usleep(1000);
    }
    drain(logFifo);
    return NULL;
}

/* Whether logLoop stopped making progress within 10 s. */
static int
logLoopBlocks(void)
{
    long long deadline = tcNowMs() + 10000;
    int last = -1;

    while (tcNowMs() < deadline) {
        int now = __atomic_load_n(&logLoopCalls, __ATOMIC_RELAXED);

        if (now == last)
            return 1;
        last = now;
        usleep(FORKLOG_STALL_MS * 1000);
    }
    return 0;
}

/* Sets libvirt's environment, before libvirt reads it, so that every
 * record of this library goes to the file @path. */
static void
logThisLibraryTo(const char *path)
{
    char outputs[PATH_MAX + 16];

    snprintf(outputs, sizeof(outputs), "1:file:%s", path);
    setenv("LIBVIRT_LOG_OUTPUTS", outputs, 1);
    setenv("LIBVIRT_LOG_FILTERS", "1:libvirt-lxc", 1);
}

/* Opens a FIFO that this library's records go to (logThisLibraryTo).
 * Returns the read end, -1 on failure. */
static int
logToFifo(char *dir, char *path, size_t size)
{
    int fd;

    if (!mkdtemp(dir))
        return -1;
    snprintf(path, size, "%s/log", dir);
    if (mkfifo(path, 0600) < 0 || (fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
        return -1;
    logThisLibraryTo(path);
    return fd;
}

/* A thread logs to a FIFO until it blocks inside libvirt's logger, holding
 * its mutex; another drains the FIFO half a second later, while the main
 * thread forks a child that calls OpenNamespace. */
int
scenarioForkLog(const char *unused TC_UNUSED)
{
    char dir[] = "/tmp/coreproc-forklog.XXXXXX", path[PATH_MAX];
    int status, blocked, hung, ok = 0;
    pthread_t logger, drainer;
    pid_t pid;

    if ((logFifo = logToFifo(dir, path, sizeof(path))) < 0)
        return 2;
    openDomain();
    drain(logFifo);
    pthread_create(&logger, NULL, logLoop, NULL);
    blocked = logLoopBlocks();
    pthread_create(&drainer, NULL, drainLater, NULL);
    if ((pid = fork()) == 0)
        _exit(callOnce() == 6 ? 0 : 1);
    hung = relWaitTimeout(pid, FORKLOG_CHILD_MS, &status) == 1;
    if (!hung)
        ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    __atomic_store_n(&forkLogStop, 1, __ATOMIC_RELAXED);
    pthread_join(drainer, NULL);
    pthread_join(logger, NULL);
    printf("forklog blocked=%d child_hung=%d child_ok=%d\n", blocked, hung, ok);
    close(logFifo);
    unlink(path);
    rmdir(dir);
    closeDomain();
    return 0;
}

/* ---- virfork ------------------------------------------------------------- */

#define VIRFORK_FORKS 300

/* libvirt's own virFork (as libvirtd forks), many times, while another
 * thread logs through this library: virFork holds libvirt's logger mutex
 * across fork(), so fork() must not wait there for a call of this library
 * that waits for that mutex. Runs in a child, so that a deadlock is seen
 * as a hang. */
static void __attribute__((noreturn))
virForkLoop(pid_t (*virForkFn)(void))
{
    pthread_t logger;
    pid_t pid;
    int i, status;

    pthread_create(&logger, NULL, logLoop, NULL);
    for (i = 0; i < VIRFORK_FORKS; i++) {
        if ((pid = virForkFn()) == 0)
            _exit(0);
        if (pid < 0 || waitpid(pid, &status, 0) != pid)
            _exit(3);
    }
    __atomic_store_n(&forkLogStop, 1, __ATOMIC_RELAXED);
    pthread_join(logger, NULL);
    _exit(0);
}

int
scenarioVirFork(const char *unused TC_UNUSED)
{
    pid_t (*virForkFn)(void) = (pid_t (*)(void))dlsym(RTLD_DEFAULT, "virFork");
    int status, hung;
    pid_t pid;

    if (!virForkFn)
        return 2;
    logThisLibraryTo("/dev/null");
    virInitialize();
    if ((pid = fork()) == 0)
        virForkLoop(virForkFn);
    hung = relWaitTimeout(pid, 60000, &status) == 1;
    printf("virfork forks=%d hung=%d exit=%d\n", VIRFORK_FORKS, hung,
           hung ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    return 0;
}
