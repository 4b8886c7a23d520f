/*
 * coreproc: what a caller can observe of its core process, checked.
 *
 *   coreproc SCENARIO [ARG]     (domain lxcgo-plain, or $LXCGO_DOMAIN)
 *
 * Each scenario prints one line "SCENARIO key=value ..." for
 * tests/live/coreproc_test.go, which says what each value must be. This
 * file is the table of scenarios and the main() that picks one; the
 * scenarios live in coreproc_<subject>.c, their shared helpers in
 * coreproc_util.c (declared in coreproc.h).
 */
#include "coreproc.h"

typedef struct {
    const char *name;
    int (*run)(const char *arg);  /* "" when no ARG was given */
    const char *arg;              /* the ARG it reads, for the usage; NULL: none */
    const char *about;
} coreprocScenario;

static const coreprocScenario scenarios[] = {
    /* coreproc_children.c */
    { "sigchld", scenarioSigchld, "[subreaper]",
      "a single-threaded caller counting SIGCHLD and polling waitpid(-1) during "
      "20 calls; then a child of its own (subreaper: the caller is a child "
      "subreaper, which adopts every orphan below it)" },
    { "reaper", scenarioReaper, NULL,
      "a caller whose SIGCHLD handler reaps with waitpid(-1)" },
    { "session", scenarioSession, NULL,
      "process group and session of the core process; a SIGINT to the caller's "
      "process group" },
    { "exit", scenarioExit, "exit|kill|exec|forked",
      "a child calls, then exits, is SIGKILLed, execs, or exits leaving a child "
      "of its own with a copy of the channel; how long its core process outlives it" },
    { "subreaper", scenarioSubreaper, NULL,
      "exit with this process as the child's subreaper: how long until nothing "
      "is left to reap" },
    /* coreproc_fds.c */
    { "fds", scenarioFds, NULL,
      "what the caller keeps, what the core process holds (cwd, a marker fd of "
      "the caller's)" },
    { "generations", scenarioGenerations, NULL,
      "parent, child and grandchild each get a core process" },
    /* coreproc_concurrency.c */
    { "concurrent", scenarioConcurrent, NULL,
      "16 threads make their first calls at once (the host holds a listening "
      "socket, so it is served by a core process)" },
    { "forkrace", scenarioForkRace, "plain|server",
      "threads make their first calls while another forks children that call "
      "too (plain: a plain multi-threaded host; server: one that holds a "
      "listening socket)" },
    { "forklog", scenarioForkLog, NULL,
      "a child forked while another thread is inside libvirt's logger, holding "
      "its mutex (logging to a full FIFO), calls" },
    { "virfork", scenarioVirFork, NULL,
      "libvirt's own virFork, 300 times, while another thread logs through "
      "this library (no daemon needed)" },
    /* coreproc_faults.c */
    { "midcall", scenarioMidcall, NULL,
      "the core process SIGKILLed while a call waits on it" },
    { "midterm", scenarioMidterm, NULL,
      "the same with SIGTERM, which it can tell the caller about" },
    { "hung", scenarioHung, NULL,
      "the core process stopped (SIGSTOP) during a call" },
    { "idlekill", scenarioIdleKill, NULL,
      "the core process SIGKILLed between two calls" },
    { "idle", scenarioIdle, "[SECONDS]",
      "a call, SECONDS (5) idle (the test bed's daemon drops a client that asked "
      "for keepalive and does not answer within 2 s), a call: on the same daemon "
      "connection?" },
};

static void
usage(const char *prog)
{
    size_t i;

    fprintf(stderr, "usage: %s SCENARIO [ARG]\n", prog);
    for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
        fprintf(stderr, "  %-11s %-21s %s\n", scenarios[i].name,
                scenarios[i].arg ? scenarios[i].arg : "", scenarios[i].about);
}

int
main(int argc, char **argv)
{
    const char *s = argc > 1 ? argv[1] : "";
    const char *arg = argc > 2 ? argv[2] : "";
    size_t i;

    if (getenv("LXCGO_DOMAIN"))
        domName = getenv("LXCGO_DOMAIN");
    setvbuf(stdout, NULL, _IOLBF, 0);
    tcPrintLib();
    for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
        if (strcmp(s, scenarios[i].name) == 0)
            return scenarios[i].run(arg);
    usage(argv[0]);
    return 2;
}
