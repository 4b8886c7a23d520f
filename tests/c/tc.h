/*
 * tc.h: shared helpers of the C test programs (tests/c, tests/abi) and of
 * the benchmark hosts (bench/common.h includes it). Header-only so that each
 * program is one executable; every function is static and TC_UNUSED, so a
 * program pays only for what it calls.
 *
 * Each program is built against our header and linked to our library; the
 * runner (tests/live) runs it once as is and once with
 * LD_PRELOAD=<system libvirt-lxc.so.0>, which has the same soname and so
 * replaces ours. The first line printed, "lib <path>", names the library
 * that was actually used.
 *
 * Every scenario runs in its own forked child (namespace and cgroup changes
 * must not leak into the next one) and prints exactly one line:
 *   <name> ret=<r> <error fields> cb=<handlers that fired> stderr=<text> [extra]
 * with pids replaced by placeholders so that both runs can be compared. A
 * child that dies prints "<name> crashed signal=<n>".
 *
 * The connections and domains tcOpen() and tcDomain() hand out are freed by
 * tcRelease() (in each scenario's child after its report), so that the
 * sanitizer runs see no leak of the test programs' own.
 */
#ifndef TC_H
#define TC_H

#ifndef _GNU_SOURCE
# define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/libvirt-lxc.h>
#include <libvirt/virterror.h>

#define TC_URI "lxc:///system"

#if defined(__GNUC__)
# define TC_UNUSED __attribute__((unused))
#else
# define TC_UNUSED
#endif

/* The extra text of a scenario line, appended by tcExtra(). */
static char tcExtraBuf[8192];
/* Which error handlers fired, in order. */
static char tcCbBuf[256];
/* Numbers replaced in the output, with their placeholder. */
static struct { long long val; const char *name; } tcSubst[8];
static int tcNSubst;

TC_UNUSED static void
tcAddSubst(long long val, const char *name)
{
    if (val > 0 && tcNSubst < (int)(sizeof(tcSubst) / sizeof(tcSubst[0]))) {
        tcSubst[tcNSubst].val = val;
        tcSubst[tcNSubst].name = name;
        tcNSubst++;
    }
}

TC_UNUSED static void
tcExtra(const char *fmt, ...)
{
    size_t len = strlen(tcExtraBuf);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(tcExtraBuf + len, sizeof(tcExtraBuf) - len, fmt, ap);
    va_end(ap);
}

TC_UNUSED static void
tcGlobalCb(void *opaque, virErrorPtr err)
{
    (void)opaque;
    snprintf(tcCbBuf + strlen(tcCbBuf), sizeof(tcCbBuf) - strlen(tcCbBuf),
             "%sglobal:%d", tcCbBuf[0] ? "," : "", err ? err->code : 0);
}

TC_UNUSED static void
tcConnCb(void *opaque, virErrorPtr err)
{
    (void)opaque;
    snprintf(tcCbBuf + strlen(tcCbBuf), sizeof(tcCbBuf) - strlen(tcCbBuf),
             "%sconn:%d", tcCbBuf[0] ? "," : "", err ? err->code : 0);
}

/* Installs @global as the global error handler and, with a connection,
 * @connCb as its handler. */
TC_UNUSED static void
tcSetErrorFuncs(virConnectPtr conn, virErrorFunc global, virErrorFunc connCb)
{
    virSetErrorFunc(NULL, global);
    if (conn)
        virConnSetErrorFunc(conn, NULL, connCb);
}

/* Install both handlers (else libvirt's default prints on stderr). */
TC_UNUSED static void
tcHandlers(virConnectPtr conn)
{
    tcSetErrorFuncs(conn, tcGlobalCb, tcConnCb);
}

/* Append @s to @out, quoted, with pids and control characters replaced. */
TC_UNUSED static void
tcQuote(char *out, size_t size, const char *s)
{
    size_t len = strlen(out);
    int prevDigit = 0;
    int i;

    if (!s) {
        snprintf(out + len, size - len, "NULL");
        return;
    }
    if (len < size - 1)
        out[len++] = '"';
    while (*s && len < size - 16) {
        int done = 0;

        if (*s >= '0' && *s <= '9' && !prevDigit) {
            char *end;
            long long v = strtoll(s, &end, 10);

            for (i = 0; i < tcNSubst; i++) {
                if (tcSubst[i].val == v) {
                    len += snprintf(out + len, size - len, "<%s>", tcSubst[i].name);
                    s = end;
                    done = 1;
                    break;
                }
            }
        }
        if (done) {
            prevDigit = 1;
            continue;
        }
        prevDigit = *s >= '0' && *s <= '9';
        if (*s == '\n')
            len += snprintf(out + len, size - len, "\\n");
        else if (*s == '"' || *s == '\\')
            len += snprintf(out + len, size - len, "\\%c", *s);
        else
            out[len++] = *s;
        s++;
    }
    if (*s)
        len += snprintf(out + len, size - len, "...");
    snprintf(out + len, size - len, "\"");
}

/* Everything printed by the child after the call, as one line. */
TC_UNUSED static void
tcReport(const char *name, int ret, int errfd)
{
    static char line[65536];
    char err[8192] = "";
    virErrorPtr e = virGetLastError();
    ssize_t n;

    line[0] = '\0';
    snprintf(line, sizeof(line), "%s ret=%d", name, ret);
    if (e) {
        snprintf(line + strlen(line), sizeof(line) - strlen(line),
                 " code=%d domain=%d level=%d msg=", e->code, e->domain, e->level);
        tcQuote(line, sizeof(line), e->message);
        strcat(line, " str1=");
        tcQuote(line, sizeof(line), e->str1);
        strcat(line, " str2=");
        tcQuote(line, sizeof(line), e->str2);
        strcat(line, " str3=");
        tcQuote(line, sizeof(line), e->str3);
        /* conn and dom are deprecated fields libvirt always leaves NULL. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
        snprintf(line + strlen(line), sizeof(line) - strlen(line),
                 " int1=%d int2=%d conn=%s dom=%s", e->int1, e->int2,
                 e->conn ? "set" : "NULL", e->dom ? "set" : "NULL");
#pragma GCC diagnostic pop
    } else {
        strcat(line, " noerror");
    }
    snprintf(line + strlen(line), sizeof(line) - strlen(line), " cb=%s",
             tcCbBuf[0] ? tcCbBuf : "none");

    /* What libvirt's default handler printed, if it ran. */
    fflush(stderr);
    if (errfd >= 0) {
        n = read(errfd, err, sizeof(err) - 1);
        err[n > 0 ? n : 0] = '\0';
    }
    strcat(line, " stderr=");
    tcQuote(line, sizeof(line), err);
    if (tcExtraBuf[0]) {
        strcat(line, " ");
        size_t len = strlen(line);
        snprintf(line + len, sizeof(line) - len, "%s", tcExtraBuf);
    }
    printf("%s\n", line);
    fflush(stdout);
}

/* The libvirt objects tc.h handed out, each with the process that got it:
 * a forked child frees its own and leaves its parent's alone (closing an
 * inherited connection would close the parent's too). */
static struct {
    virConnectPtr conn;   /* a connection, or */
    virDomainPtr dom;     /* a domain */
    pid_t pid;
} tcOwned[64];
static int tcNOwned;

TC_UNUSED static void
tcOwn(virConnectPtr conn, virDomainPtr dom)
{
    if (tcNOwned == (int)(sizeof(tcOwned) / sizeof(tcOwned[0]))) {
        fprintf(stderr, "tc.h: more than %d libvirt objects at once\n", tcNOwned);
        exit(2);
    }
    tcOwned[tcNOwned].conn = conn;
    tcOwned[tcNOwned].dom = dom;
    tcOwned[tcNOwned].pid = getpid();
    tcNOwned++;
}

/* @dom, to be freed by tcRelease(). */
TC_UNUSED static virDomainPtr
tcOwnDomain(virDomainPtr dom)
{
    tcOwn(NULL, dom);
    return dom;
}

/* Frees what tc.h handed out in this process, the latest first (domains
 * before their connections). libvirt resets its last error on each: call
 * it once the error has been reported. */
TC_UNUSED static void
tcRelease(void)
{
    pid_t self = getpid();
    int i, n = 0;

    for (i = tcNOwned - 1; i >= 0; i--) {
        if (tcOwned[i].pid != self)
            continue;
        if (tcOwned[i].dom)
            virDomainFree(tcOwned[i].dom);
        else
            virConnectClose(tcOwned[i].conn);
        tcOwned[i].pid = 0;
    }
    for (i = 0; i < tcNOwned; i++)
        if (tcOwned[i].pid)
            tcOwned[n++] = tcOwned[i];
    tcNOwned = n;
}

typedef int (*tcScenarioFunc)(void *opaque);

/* Run @fn in a forked child whose stderr goes to a pipe, then report. The
 * parent waits; a crash is reported as such. */
TC_UNUSED static void
tcRun(const char *name, tcScenarioFunc fn, void *opaque)
{
    pid_t pid;
    int status;

    fflush(stdout);
    fflush(stderr);
    if ((pid = fork()) < 0) {
        perror("fork");
        exit(2);
    }
    if (pid == 0) {
        int pfd[2];
        int ret;

        /* The child's stderr is read back after the call: small, so a
         * pipe buffer holds it. */
        if (pipe(pfd) < 0)
            _exit(3);
        dup2(pfd[1], STDERR_FILENO);
        close(pfd[1]);
        fcntl(pfd[0], F_SETFL, O_NONBLOCK);
        tcAddSubst(getpid(), "pid");
        tcCbBuf[0] = '\0';
        tcExtraBuf[0] = '\0';
        ret = fn(opaque);
        tcReport(name, ret, pfd[0]);
        tcRelease();
        _exit(0);
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFSIGNALED(status))
        printf("%s crashed signal=%d\n", name, WTERMSIG(status));
    else if (WEXITSTATUS(status) != 0)
        printf("%s exited status=%d\n", name, WEXITSTATUS(status));
    fflush(stdout);
}

/* The file that defines @fn, resolved with realpath() (no /lib vs /usr/lib
 * or symlink differences) into @real. Returns 0; 1 when realpath() failed
 * and @real holds dladdr's name as is; -1 when dladdr() cannot tell. For a
 * library's own definition rather than a PLT stub, build the caller PIE. */
TC_UNUSED static int
tcLibOf(void *fn, char real[PATH_MAX])
{
    Dl_info info;

    if (dladdr(fn, &info) == 0 || !info.dli_fname)
        return -1;
    if (!realpath(info.dli_fname, real)) {
        snprintf(real, PATH_MAX, "%s", info.dli_fname);
        return 1;
    }
    return 0;
}

/* "lib <path>": the libvirt-lxc.so.0 this process really uses. */
TC_UNUSED static void
tcPrintLib(void)
{
    char real[PATH_MAX];

    if (tcLibOf((void *)virDomainLxcEnterNamespace, real) < 0) {
        printf("lib unknown\n");
        return;
    }
    printf("lib %s\n", real);
    fflush(stdout);
}

TC_UNUSED static virConnectPtr
tcOpen(int readonly)
{
    virConnectPtr conn = readonly ? virConnectOpenReadOnly(TC_URI)
                                  : virConnectOpen(TC_URI);

    if (!conn) {
        fprintf(stderr, "cannot open %s\n", TC_URI);
        exit(2);
    }
    tcOwn(conn, NULL);
    return conn;
}

TC_UNUSED static virDomainPtr
tcDomain(virConnectPtr conn, const char *name)
{
    virDomainPtr dom = virDomainLookupByName(conn, name);

    if (!dom) {
        fprintf(stderr, "no domain %s\n", name);
        exit(2);
    }
    return tcOwnDomain(dom);
}

/* The container's init: the only child of the controller (domain id). */
TC_UNUSED static pid_t
tcInitPid(virDomainPtr dom)
{
    char path[64], buf[4096];
    int id = (int)virDomainGetID(dom);
    FILE *f;
    pid_t pid = -1;

    snprintf(path, sizeof(path), "/proc/%d/task/%d/children", id, id);
    if (!(f = fopen(path, "r")))
        return -1;
    if (fgets(buf, sizeof(buf), f))
        pid = atoi(buf);
    fclose(f);
    return pid;
}

/* The cgroup lines of @file (e.g. /proc/self/cgroup), ';'-joined. */
TC_UNUSED static void
tcCgroups(const char *file, char *out, size_t size)
{
    char line[1024];
    FILE *f = fopen(file, "r");

    out[0] = '\0';
    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        snprintf(out + strlen(out), size - strlen(out), "%s%s",
                 out[0] ? ";" : "", line);
    }
    fclose(f);
}

/* " connerr=<code>": the last error of @conn, if there is a connection. */
TC_UNUSED static void
tcExtraConnErr(virConnectPtr conn)
{
    if (conn) {
        virErrorPtr ce = virConnGetLastError(conn);
        tcExtra(" connerr=%d", ce ? ce->code : 0);
    }
}

/* Error handler that swallows: for errors that are expected (or thousands
 * of them), which libvirt's default handler would print on stderr. */
TC_UNUSED static void
tcQuietCb(void *opaque, virErrorPtr err)
{
    (void)opaque;
    (void)err;
}

/* tcQuietCb as the global handler and, with a connection, as its own. */
TC_UNUSED static void
tcQuiet(virConnectPtr conn)
{
    tcSetErrorFuncs(conn, tcQuietCb, tcQuietCb);
}

/* ---- this process, from /proc ------------------------------------------ */

/* <name> under @procSelf, a directory fd on /proc/self (or /proc/<pid>)
 * opened before entering a container's mount namespace: there /proc is the
 * container's and has no entry for us, but the fd still reads the host's
 * procfs. With AT_FDCWD: /proc/self/<name> as the process sees it now. */
TC_UNUSED static FILE *
tcProcOpen(int procSelf, const char *name)
{
    char path[64];
    FILE *f;
    int fd;

    if (procSelf == AT_FDCWD) {
        snprintf(path, sizeof(path), "/proc/self/%s", name);
        return fopen(path, "re");
    }
    if ((fd = openat(procSelf, name, O_RDONLY | O_CLOEXEC)) < 0)
        return NULL;
    if (!(f = fdopen(fd, "r")))
        close(fd);
    return f;
}

/* Threads of this process ("Threads:" of status), or -1. */
TC_UNUSED static int
tcThreadsIn(int procSelf)
{
    char line[256];
    int n = -1;
    FILE *f = tcProcOpen(procSelf, "status");

    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "Threads: %d", &n) == 1)
            break;
    fclose(f);
    return n;
}

TC_UNUSED static int
tcThreads(void)
{
    return tcThreadsIn(AT_FDCWD);
}

/* 1 when a line of this process's maps contains @needle (e.g.
 * "libvirt-lxc-core": the Go core is loaded), 0 when none does, -1. */
TC_UNUSED static int
tcMappedIn(int procSelf, const char *needle)
{
    char line[4096];
    int found = 0;
    FILE *f = tcProcOpen(procSelf, "maps");

    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (strstr(line, needle))
            found = 1;
    fclose(f);
    return found;
}

TC_UNUSED static int
tcMapped(const char *needle)
{
    return tcMappedIn(AT_FDCWD, needle);
}

/* ---- time and threads ---------------------------------------------------- */

/* Monotonic clock, in nanoseconds and in milliseconds. */
TC_UNUSED static uint64_t
tcNowNs(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

TC_UNUSED static long long
tcNowMs(void)
{
    return (long long)(tcNowNs() / 1000000);
}

TC_UNUSED static void *
tcIdleMain(void *opaque)
{
    (void)opaque;
    for (;;)
        pause();
    return NULL;
}

/* Starts a thread that does nothing, for good: the process is then
 * multi-threaded, as most callers are. Returns pthread_create's result. */
TC_UNUSED static int
tcIdleThread(void)
{
    pthread_t t;

    return pthread_create(&t, NULL, tcIdleMain, NULL);
}

#endif /* TC_H */
