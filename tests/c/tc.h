/*
 * tc.h: shared helpers of the live C test programs (enter_ns, enter_cgroup,
 * enter_seclabel). Header-only so that each program is one executable.
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
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

static void
tcGlobalCb(void *opaque, virErrorPtr err)
{
    (void)opaque;
    snprintf(tcCbBuf + strlen(tcCbBuf), sizeof(tcCbBuf) - strlen(tcCbBuf),
             "%sglobal:%d", tcCbBuf[0] ? "," : "", err ? err->code : 0);
}

static void
tcConnCb(void *opaque, virErrorPtr err)
{
    (void)opaque;
    snprintf(tcCbBuf + strlen(tcCbBuf), sizeof(tcCbBuf) - strlen(tcCbBuf),
             "%sconn:%d", tcCbBuf[0] ? "," : "", err ? err->code : 0);
}

/* Install both handlers (else libvirt's default prints on stderr). */
TC_UNUSED static void
tcHandlers(virConnectPtr conn)
{
    virSetErrorFunc(NULL, tcGlobalCb);
    if (conn)
        virConnSetErrorFunc(conn, NULL, tcConnCb);
}

/* Append @s to @out, quoted, with pids and control characters replaced. */
static void
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
static void
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

typedef int (*tcScenarioFunc)(void *opaque);

/* Run @fn in a forked child whose stderr goes to a pipe, then report. The
 * parent waits; a crash is reported as such. */
static void
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

/* "lib <path>": the libvirt-lxc.so.0 this process really uses. */
static void
tcPrintLib(void)
{
    Dl_info info;
    char real[PATH_MAX];

    if (dladdr((void *)virDomainLxcEnterNamespace, &info) == 0 || !info.dli_fname) {
        printf("lib unknown\n");
        return;
    }
    if (!realpath(info.dli_fname, real))
        snprintf(real, sizeof(real), "%s", info.dli_fname);
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
    return dom;
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

#endif /* TC_H */
