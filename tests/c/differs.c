/*
 * differs: the "Differs:" claims of libvirt-lxc.h that no other program
 * checks, for tests/live/differs_test.go.
 *
 *   differs label
 *       Each scenario in its own child whose very first libvirt call is
 *       virDomainLxcEnterSecurityLabel: nothing has initialised libvirt.
 *       One tc.h line per scenario.
 *
 *   differs corestart [FROM TO]   (domain lxcgo-plain, or $LXCGO_DOMAIN)
 *       A single-threaded caller (always served by a core process) whose
 *       library's core process program was made missing or unstartable
 *       by the runner: two calls, then, with FROM and TO, rename(FROM, TO)
 *       (the runner's working program put in place) and a third call.
 *       Prints a line per call, "first|second|third ret=N <error fields>";
 *       "corestart key=value ...": what the two failed calls left behind;
 *       "restored key=value ...": what the third left.
 */
#include <dirent.h>

#include "rel_util.h"

/* ---- label --------------------------------------------------------------- */

typedef struct {
    const char *model;
    unsigned int flags;
} labelCase;

static int
labelRun(void *opaque)
{
    const labelCase *c = opaque;
    virSecurityModel model = { .model = "" };
    virSecurityLabel label = { .label = "x" };
    virSecurityLabel old;

    snprintf(model.model, sizeof(model.model), "%s", c->model);
    memset(&old, 'x', sizeof(old));
    return virDomainLxcEnterSecurityLabel(&model, &label, &old, c->flags);
}

static int
scenarioLabel(void)
{
    static const struct { const char *name; labelCase c; } cases[] = {
        { "label_none", { .model = "none" } },
        { "label_none_flags", { .model = "none", .flags = 1 } },
        { "label_unknown_model", { .model = "bogus" } },
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        tcRun(cases[i].name, labelRun, (void *)&cases[i].c);
    return 0;
}

/* ---- corestart ----------------------------------------------------------- */

static virDomainPtr dom;

/* One OpenNamespace, its fds closed; prints "@which ret=N <error>". */
static int
callOnce(const char *which)
{
    char err[4096];
    int *fds = NULL;
    int n = virDomainLxcOpenNamespace(dom, &fds, 0), i;

    if (n < 0)
        relErrorFields(err, sizeof(err));
    else
        snprintf(err, sizeof(err), "noerror");
    printf("%s ret=%d %s\n", which, n, err);
    for (i = 0; i < n; i++)
        close(fds[i]);
    free(fds);
    return n;
}

/* Processes holding a pidfd of this process ("Pid:" in an fdinfo): a core
 * process, or anything a failed start left running with one. The parent
 * is not counted (Go's os/exec holds one of its child). */
static int
pidfdHolders(void)
{
    char path[PATH_MAX], line[256], want[64];
    struct dirent *de, *fe;
    DIR *d = opendir("/proc"), *fd;
    int n = 0;

    if (!d)
        return -1;
    snprintf(want, sizeof(want), "Pid:\t%d\n", (int)getpid());
    while ((de = readdir(d))) {
        pid_t pid = atoi(de->d_name);
        int match = 0;

        if (de->d_name[0] < '0' || de->d_name[0] > '9' || pid == getpid() || pid == getppid())
            continue;
        snprintf(path, sizeof(path), "/proc/%s/fdinfo", de->d_name);
        if (!(fd = opendir(path)))
            continue;
        while (!match && (fe = readdir(fd))) {
            FILE *f;

            if (fe->d_name[0] == '.')
                continue;
            snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s", de->d_name, fe->d_name);
            if (!(f = fopen(path, "re")))
                continue;
            while (fgets(line, sizeof(line), f))
                if (strcmp(line, want) == 0)
                    match = 1;
            fclose(f);
        }
        closedir(fd);
        n += match;
    }
    closedir(d);
    return n;
}

/* "none", or what waitpid() finds among this process's children (any
 * kind, __WALL): a zombie's pid, or "running". */
static void
children(char *out, size_t size)
{
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG | __WALL);

    if (pid < 0 && errno == ECHILD)
        snprintf(out, size, "none");
    else if (pid == 0)
        snprintf(out, size, "running");
    else
        snprintf(out, size, "zombie");
}

static int
scenarioCoreStart(const char *from, const char *to)
{
    const char *name = getenv("LXCGO_DOMAIN") ? getenv("LXCGO_DOMAIN") : "lxcgo-plain";
    int dirfd = relOpenFdDir(), before, after, threads, holders;
    virConnectPtr conn = tcOpen(0);
    char kids[32];

    tcQuiet(conn);
    dom = tcDomain(conn, name);
    before = relCountFds(dirfd);
    callOnce("first");
    callOnce("second");
    after = relCountFds(dirfd);
    threads = tcThreads();
    children(kids, sizeof(kids));
    holders = pidfdHolders();
    printf("corestart threads=%d extra_fds=%d children=%s pidfd_holders=%d\n",
           threads, after - before, kids, holders);
    if (from && to) {
        if (rename(from, to) < 0) {
            perror("rename");
            return 2;
        }
        callOnce("third");
        printf("restored extra_fds=%d pidfd_holders=%d\n", relCountFds(dirfd) - before,
               pidfdHolders());
    }
    tcRelease();
    return 0;
}

int
main(int argc, char **argv)
{
    const char *s = argc > 1 ? argv[1] : "";

    setvbuf(stdout, NULL, _IOLBF, 0);
    tcPrintLib();
    if (strcmp(s, "label") == 0)
        return scenarioLabel();
    if (strcmp(s, "corestart") == 0)
        return scenarioCoreStart(argc > 3 ? argv[2] : NULL, argc > 3 ? argv[3] : NULL);
    fprintf(stderr, "usage: %s label | corestart [FROM TO]\n", argv[0]);
    return 2;
}
