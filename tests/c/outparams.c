/*
 * outparams: what every error path of the four functions leaves in the
 * caller's out-parameters, run against both libraries (tests/live compares).
 * Each out-parameter starts as a sentinel the libraries cannot produce:
 * *fdlist and *oldfdlist (int *)0x1234 (never dereferenced, so a library
 * that frees or reads it crashes visibly), *noldfdlist 77, and the whole
 * of *oldlabel 0x5a bytes. One line per scenario, see tc.h; the
 * out-parameters are reported as
 *   fdlist=untouched|NULL|set n=<count>          (OpenNamespace)
 *   nold=untouched|<n>|none old=untouched|NULL|list|none
 *   oldfds=<open fds in the list> leaked=<other fds left open>
 *   oldlabel=untouched|zero|set label=<text> tail=zero|pattern|mixed
 *   enforcing=untouched|<n>                      (EnterSecurityLabel)
 *
 * libvirt's behaviour (src/libvirt-lxc.c, remote driver, lxc driver,
 * virprocess.c; the same in 9.0 and 11.3 unless said) and ours, which
 * matches it unless marked "ours:":
 *
 * virDomainLxcOpenNamespace(domain, fdlist, flags)
 *   NULL or invalid domain       *fdlist untouched (checked before anything)
 *   NULL fdlist                  nothing to write
 *   read-only connection         *fdlist untouched (remote driver not reached)
 *   connection driver without    *fdlist untouched (lead's tests: test://,
 *     the call                     qemu://; not here)
 *   reaches the remote driver    *fdlist = NULL before the RPC, so on every
 *                                failure after it (daemon replies: flags,
 *                                domain not running, no such domain; dead
 *                                connection): NULL, no fd open
 *   success                      *fdlist malloc()ed list, or NULL for 0 fds
 *
 * virDomainLxcEnterNamespace(domain, nfdlist, fdlist, noldfdlist,
 *                            oldfdlist, flags)
 *   flags != 0                   both untouched (checked first). libvirt
 *                                then dispatches to domain->conn: a NULL
 *                                domain crashes it; ours: accepted
 *   only one of noldfdlist,      neither written, on any path
 *     oldfdlist given
 *   both given                   *oldfdlist = the caller's namespaces
 *                                (malloc()ed, NULL when none could be
 *                                opened), *noldfdlist = their count, before
 *                                any setns()
 *   nfdlist == 0, setns() fails  with both given: the old fds closed, the
 *     (EBADF, EPERM), a later fd list freed, *oldfdlist = NULL,
 *     fails after earlier ones   *noldfdlist = 0 (joined namespaces stay
 *     were joined                joined); otherwise untouched
 *   fdlist NULL, nfdlist > 0     libvirt crashes (reads fdlist[0]); ours:
 *                                VIR_ERR_INVALID_ARG, old lists as above
 *   setns() EINVAL (an fd that   libvirt: success, lists kept; ours: an
 *     is not a namespace)        error, old lists as above
 *
 * virDomainLxcEnterSecurityLabel(model, label, oldlabel, flags)
 *   flags != 0, NULL model,      *oldlabel untouched (checked in this order
 *     NULL label                   before anything is written)
 *   any other path               *oldlabel zeroed first, then:
 *   "none"                       success, left zero
 *   unknown or empty model       error, left zero
 *   "apparmor" (fails here)      error, left zero (never filled)
 *   "selinux", no context        error (getcon fails), left zero
 *     readable
 *   "selinux", context readable  label copied; enforcing = -1 and an error
 *     but no selinuxfs           when security_getenforce() fails
 *                                (a trailing newline kept, as libselinux
 *                                returns it)
 *   "selinux", context of 4096   libvirt (libselinux reads at most a page
 *     bytes or more              less one byte): its first 4095 bytes as
 *                                label, as if that were the context; ours:
 *                                a context of 4096 bytes whole, a longer one
 *                                VIR_ERR_INTERNAL_ERROR "security label
 *                                exceeds maximum length", label left zero
 *   without oldlabel             nothing to write
 *
 * virDomainLxcEnterCGroup(domain, flags): no out-parameter. Checks NULL or
 *   invalid domain, read-only, flags, in this order; then the domain id is
 *   the controller's pid: one that does not exist fails on its
 *   /proc/<id>/cgroup, id -1 (not running) re-adds the caller to its own.
 *
 * Scenarios named diff_* are the deliberate differences, left out of the
 * line-by-line comparison and asserted by the runner.
 */
#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include "tc.h"

#define SENT_PTR ((int *)(uintptr_t)0x1234)
#define SENT_N 77u
#define SENT_BYTE 0x5a

/* A virDomainPtr for a domain the daemon does not know (libvirt's private
 * virGetDomain builds one from name, uuid and id, as the remote driver
 * does for each domain it is sent): nothing is defined on the shared
 * daemon for it. */
#define GONE_NAME "lxcgo-outparams-gone"
#define GONE_UUID "6f757470-6172-4000-8000-676f6e650002"

/* A fake SELinux context for the bind mount over attr/current; one that
 * fills the label field (VIR_SECURITY_LABEL_BUFLEN - 1, a page) and one
 * longer than it. */
#define FAKE_CONTEXT "system_u:system_r:lxcgo_fake_t:s0"
#define PAGE_CONTEXT_LEN (VIR_SECURITY_LABEL_BUFLEN - 1)
#define LONG_CONTEXT_LEN 5000

typedef enum { FN_OPEN, FN_ENTER, FN_LABEL, FN_CGROUP } fnKind;

typedef enum {
    DOM_NULL,
    DOM_BOGUS,      /* not a libvirt object */
    DOM_PLAIN,
    DOM_OFF,        /* defined, shut off */
    DOM_GONE,       /* unknown to the daemon, id -1 */
    DOM_BADID,      /* unknown to the daemon, id a pid that cannot exist */
} domKind;

typedef enum {
    FDS_SKIPPED,    /* {-1}: nothing to join, success */
    FDS_ZERO,       /* nfdlist = 0 */
    FDS_EBADF,      /* {1000}, not open */
    FDS_EPERM,      /* the domain's net namespace, capabilities dropped */
    FDS_PARTIAL,    /* the domain's uts namespace, then {1000} */
    FDS_NULL,       /* fdlist NULL, nfdlist 1 */
    FDS_DEVNULL,    /* {/dev/null}: setns() EINVAL */
} fdsKind;

typedef enum { OLD_NONE, OLD_BOTH, OLD_COUNT_ONLY, OLD_LIST_ONLY } oldKind;

typedef enum { CON_HOST, CON_FAKE, CON_FAKE_NL, CON_PAGE, CON_LONG } conKind;

typedef struct {
    fnKind fn;
    domKind dom;
    int readonly;
    int multi;              /* a second thread alive during the call */
    unsigned int flags;
    int nullFdlist;         /* OpenNamespace: fdlist = NULL */
    fdsKind fds;            /* EnterNamespace */
    oldKind old;
    const char *model;      /* EnterSecurityLabel; NULL: NULL model */
    int nullLabel;
    int oldlabel;           /* pass an oldlabel */
    conKind context;        /* what attr/current reads as */
} opCase;

static pid_t plainInit;
static int badId;

typedef virDomainPtr (*getDomainFunc)(virConnectPtr conn, const char *name,
                                      const unsigned char *uuid, int id);

static virDomainPtr
madeUpDomain(virConnectPtr conn, int id)
{
    getDomainFunc get = (getDomainFunc)dlsym(RTLD_DEFAULT, "virGetDomain");
    unsigned char uuid[VIR_UUID_BUFLEN];
    const char *p = GONE_UUID;
    int i;
    virDomainPtr dom;

    for (i = 0; i < VIR_UUID_BUFLEN; i++) {
        unsigned int byte;

        if (*p == '-')
            p++;
        if (sscanf(p, "%2x", &byte) != 1)
            exit(2);
        uuid[i] = (unsigned char)byte;
        p += 2;
    }
    if (!get || !(dom = get(conn, GONE_NAME, uuid, id))) {
        fprintf(stderr, "cannot make a virDomainPtr with virGetDomain\n");
        exit(2);
    }
    return tcOwnDomain(dom);
}

static virDomainPtr
scenarioDomain(const opCase *c, virConnectPtr *conn)
{
    static char bogus[256];

    *conn = NULL;
    switch (c->dom) {
    case DOM_NULL: return NULL;
    case DOM_BOGUS: return (virDomainPtr)bogus;
    default: break;
    }
    *conn = tcOpen(c->readonly);
    switch (c->dom) {
    case DOM_PLAIN: return tcDomain(*conn, "lxcgo-plain");
    case DOM_OFF: return tcDomain(*conn, "lxcgo-off");
    case DOM_GONE: return madeUpDomain(*conn, -1);
    default: return madeUpDomain(*conn, badId);
    }
}

static int
openFdCount(void)
{
    int n = 0, fd;

    for (fd = 0; fd < 1024; fd++)
        n += fcntl(fd, F_GETFD) >= 0;
    return n;
}

/* ---- virDomainLxcOpenNamespace ----------------------------------------- */

static int
openRun(const opCase *c, virDomainPtr dom)
{
    int *fds = SENT_PTR;
    int ret, i;

    ret = virDomainLxcOpenNamespace(dom, c->nullFdlist ? NULL : &fds, c->flags);
    if (c->nullFdlist) {
        tcExtra("fdlist=none");
        return ret;
    }
    if (fds == SENT_PTR) {
        tcExtra("fdlist=untouched");
        return ret;
    }
    if (!fds) {
        tcExtra("fdlist=NULL");
        return ret;
    }
    tcExtra("fdlist=set n=%d", ret);
    for (i = 0; i < ret; i++)
        close(fds[i]);
    free(fds);
    return ret;
}

/* ---- virDomainLxcEnterNamespace ---------------------------------------- */

static int
dropCapabilities(void)
{
    struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

    memset(data, 0, sizeof(data));
    return (int)syscall(SYS_capset, &hdr, data);
}

static int
domainNsFd(const char *name)
{
    char path[64];

    snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)plainInit, name);
    return open(path, O_RDONLY | O_CLOEXEC);
}

static int
sameNs(const char *a, const char *b)
{
    struct stat sa, sb;

    return stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
           sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int
enterRun(const opCase *c, virDomainPtr dom)
{
    unsigned int nold = SENT_N, nfds = 0, i;
    int *old = SENT_PTR;
    int fds[2], *list = fds;
    int before, ret, nOpen = 0;
    char domUts[64];

    snprintf(domUts, sizeof(domUts), "/proc/%d/ns/uts", (int)plainInit);
    switch (c->fds) {
    case FDS_SKIPPED: fds[nfds++] = -1; break;
    case FDS_ZERO: break;
    case FDS_EBADF: fds[nfds++] = 1000; break;
    case FDS_EPERM: fds[nfds++] = domainNsFd("net"); break;
    case FDS_PARTIAL: fds[nfds++] = domainNsFd("uts"); fds[nfds++] = 1000; break;
    case FDS_NULL: list = NULL; nfds = 1; break;
    case FDS_DEVNULL: fds[nfds++] = open("/dev/null", O_RDONLY | O_CLOEXEC); break;
    }
    if (c->fds == FDS_EPERM && dropCapabilities() < 0) {
        perror("capset");
        exit(2);
    }

    before = openFdCount();
    ret = virDomainLxcEnterNamespace(dom, nfds, list,
                                     c->old == OLD_BOTH || c->old == OLD_COUNT_ONLY ? &nold : NULL,
                                     c->old == OLD_BOTH || c->old == OLD_LIST_ONLY ? &old : NULL,
                                     c->flags);

    if (c->old == OLD_BOTH || c->old == OLD_COUNT_ONLY) {
        if (nold == SENT_N)
            tcExtra("nold=untouched");
        else
            tcExtra("nold=%u", nold);
    } else {
        tcExtra("nold=none");
    }
    if (c->old == OLD_BOTH || c->old == OLD_LIST_ONLY)
        tcExtra(" old=%s", old == SENT_PTR ? "untouched" : old ? "list" : "NULL");
    else
        tcExtra(" old=none");
    /* The list's fds are the caller's; count those really open, close and
     * free them (free() of a wrong pointer shows as a crash). */
    if (old != SENT_PTR && old && nold != SENT_N) {
        for (i = 0; i < nold; i++) {
            if (fcntl(old[i], F_GETFD) >= 0) {
                nOpen++;
                close(old[i]);
            }
        }
        free(old);
        tcExtra(" oldfds=%d", nOpen);
    }
    tcExtra(" leaked=%d", openFdCount() - before);
    if (c->fds == FDS_PARTIAL)
        tcExtra(" uts=%s", sameNs("/proc/thread-self/ns/uts", domUts) ? "joined" : "orig");
    return ret;
}

/* ---- virDomainLxcEnterSecurityLabel ------------------------------------ */

/* Makes /proc/thread-self/attr/current read as the context @kind names,
 * with a bind mount in a mount namespace of this scenario's own. */
static void
fakeContext(conKind kind)
{
    static char buf[LONG_CONTEXT_LEN + 1];
    char tmpl[] = "/tmp/lxcgo-outparams-con.XXXXXX";
    size_t len;
    int fd;

    if (kind == CON_HOST)
        return;
    if (kind == CON_PAGE || kind == CON_LONG) {
        len = kind == CON_PAGE ? PAGE_CONTEXT_LEN : LONG_CONTEXT_LEN;
        memset(buf, 'a', len);
    } else {
        len = (size_t)snprintf(buf, sizeof(buf), "%s%s", FAKE_CONTEXT,
                               kind == CON_FAKE_NL ? "\n" : "");
    }
    if ((fd = mkstemp(tmpl)) < 0 || write(fd, buf, len) != (ssize_t)len) {
        perror("fake context file");
        exit(2);
    }
    close(fd);
    if (unshare(CLONE_NEWNS) < 0 ||
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
        mount(tmpl, "/proc/thread-self/attr/current", NULL, MS_BIND, NULL) < 0) {
        perror("bind mount over attr/current");
        unlink(tmpl);
        exit(2);
    }
    unlink(tmpl);
}

static const char *
bytesState(const unsigned char *p, size_t n)
{
    size_t i, zero = 0, pattern = 0;

    for (i = 0; i < n; i++) {
        zero += p[i] == 0;
        pattern += p[i] == SENT_BYTE;
    }
    return zero == n ? "zero" : pattern == n ? "pattern" : "mixed";
}

static int
labelRun(const opCase *c)
{
    virSecurityModel model;
    virSecurityLabel label, old;
    int ret, sentEnforcing;

    memset(&model, 0, sizeof(model));
    memset(&label, 0, sizeof(label));
    memset(&old, SENT_BYTE, sizeof(old));
    memset(&sentEnforcing, SENT_BYTE, sizeof(sentEnforcing));
    if (c->model)
        snprintf(model.model, sizeof(model.model), "%s", c->model);
    snprintf(label.label, sizeof(label.label), "system_u:system_r:svirt_lxc_net_t:s0");
    fakeContext(c->context);

    ret = virDomainLxcEnterSecurityLabel(c->model ? &model : NULL,
                                         c->nullLabel ? NULL : &label,
                                         c->oldlabel ? &old : NULL, c->flags);
    if (!c->oldlabel) {
        tcExtra("oldlabel=none");
        return ret;
    }
    if (strcmp(bytesState((unsigned char *)&old, sizeof(old)), "pattern") == 0) {
        tcExtra("oldlabel=untouched");
    } else if (strcmp(bytesState((unsigned char *)&old, sizeof(old)), "zero") == 0) {
        tcExtra("oldlabel=zero");
    } else {
        size_t len = strnlen(old.label, sizeof(old.label));
        char shown[64];

        /* The text (its start, for a long one), its length, and what
         * follows its NUL. */
        snprintf(shown, sizeof(shown), "%.*s", (int)(len < 40 ? len : 40), old.label);
        tcExtra("oldlabel=set label=");
        tcQuote(tcExtraBuf, sizeof(tcExtraBuf), shown);
        tcExtra(" label_len=%zu tail=%s", len,
                len + 1 < sizeof(old.label)
                    ? bytesState((unsigned char *)old.label + len + 1,
                                 sizeof(old.label) - len - 1)
                    : "none");
        if (old.enforcing == sentEnforcing)
            tcExtra(" enforcing=untouched");
        else
            tcExtra(" enforcing=%d", old.enforcing);
    }
    return ret;
}

/* ---- virDomainLxcEnterCGroup ------------------------------------------- */

static int
cgroupRun(const opCase *c, virDomainPtr dom)
{
    char before[4096], after[4096];
    int ret;

    tcCgroups("/proc/self/cgroup", before, sizeof(before));
    ret = virDomainLxcEnterCGroup(dom, c->flags);
    tcCgroups("/proc/self/cgroup", after, sizeof(after));
    tcExtra("changed=%s", strcmp(before, after) ? "yes" : "no");
    return ret;
}

static int
scenario(void *opaque)
{
    const opCase *c = opaque;
    virConnectPtr conn = NULL;
    virDomainPtr dom = NULL;
    int ret = -1;

    if (c->fn != FN_LABEL)
        dom = scenarioDomain(c, &conn);
    if (c->multi)
        tcIdleThread();
    switch (c->fn) {
    case FN_OPEN: ret = openRun(c, dom); break;
    case FN_ENTER: ret = enterRun(c, dom); break;
    case FN_LABEL: ret = labelRun(c); break;
    case FN_CGROUP: ret = cgroupRun(c, dom); break;
    }
    tcExtraConnErr(conn);
    return ret;
}

/* pid_max: pids are below it, so no process ever has it. */
static int
impossiblePid(void)
{
    char buf[32];
    FILE *f = fopen("/proc/sys/kernel/pid_max", "r");
    int n = 0;

    if (f && fgets(buf, sizeof(buf), f))
        n = atoi(buf);
    if (f)
        fclose(f);
    if (n <= 0) {
        fprintf(stderr, "cannot read pid_max\n");
        exit(2);
    }
    return n;
}

int
main(void)
{
    static const struct { const char *name; opCase c; } cases[] = {
        /* virDomainLxcOpenNamespace */
        { "open_null_domain", { .fn = FN_OPEN, .dom = DOM_NULL } },
        { "open_bogus_domain", { .fn = FN_OPEN, .dom = DOM_BOGUS } },
        { "open_null_fdlist", { .fn = FN_OPEN, .dom = DOM_PLAIN, .nullFdlist = 1 } },
        { "open_readonly", { .fn = FN_OPEN, .dom = DOM_PLAIN, .readonly = 1 } },
        { "open_readonly_mt", { .fn = FN_OPEN, .dom = DOM_PLAIN, .readonly = 1, .multi = 1 } },
        { "open_readonly_flags", { .fn = FN_OPEN, .dom = DOM_OFF, .readonly = 1, .flags = 1 } },
        { "open_flags", { .fn = FN_OPEN, .dom = DOM_PLAIN, .flags = 1 } },
        { "open_flags_mt", { .fn = FN_OPEN, .dom = DOM_PLAIN, .flags = 1, .multi = 1 } },
        { "open_inactive", { .fn = FN_OPEN, .dom = DOM_OFF } },
        { "open_inactive_mt", { .fn = FN_OPEN, .dom = DOM_OFF, .multi = 1 } },
        { "open_gone", { .fn = FN_OPEN, .dom = DOM_GONE } },
        { "open_gone_mt", { .fn = FN_OPEN, .dom = DOM_GONE, .multi = 1 } },
        { "open_gone_flags", { .fn = FN_OPEN, .dom = DOM_BADID, .flags = 4 } },
        { "open_success", { .fn = FN_OPEN, .dom = DOM_PLAIN } },
        { "open_success_mt", { .fn = FN_OPEN, .dom = DOM_PLAIN, .multi = 1 } },

        /* virDomainLxcEnterNamespace */
        { "enter_flags_both", { .fn = FN_ENTER, .dom = DOM_PLAIN, .flags = 1,
                                .fds = FDS_SKIPPED, .old = OLD_BOTH } },
        { "enter_flags_count_only", { .fn = FN_ENTER, .dom = DOM_PLAIN, .flags = 2,
                                      .fds = FDS_SKIPPED, .old = OLD_COUNT_ONLY } },
        { "enter_flags_list_only", { .fn = FN_ENTER, .dom = DOM_PLAIN, .flags = 1,
                                     .fds = FDS_EBADF, .old = OLD_LIST_ONLY } },
        { "enter_zero_both", { .fn = FN_ENTER, .dom = DOM_PLAIN, .fds = FDS_ZERO,
                               .old = OLD_BOTH } },
        { "enter_zero_count_only", { .fn = FN_ENTER, .dom = DOM_PLAIN, .fds = FDS_ZERO,
                                     .old = OLD_COUNT_ONLY } },
        { "enter_ebadf_both", { .fn = FN_ENTER, .dom = DOM_PLAIN, .fds = FDS_EBADF,
                                .old = OLD_BOTH } },
        { "enter_ebadf_count_only", { .fn = FN_ENTER, .dom = DOM_PLAIN, .fds = FDS_EBADF,
                                      .old = OLD_COUNT_ONLY } },
        { "enter_ebadf_list_only", { .fn = FN_ENTER, .dom = DOM_PLAIN, .fds = FDS_EBADF,
                                     .old = OLD_LIST_ONLY } },
        { "enter_ebadf_none", { .fn = FN_ENTER, .dom = DOM_PLAIN, .fds = FDS_EBADF } },
        { "enter_eperm_both", { .fn = FN_ENTER, .dom = DOM_PLAIN, .fds = FDS_EPERM,
                                .old = OLD_BOTH } },
        { "enter_eperm_list_only", { .fn = FN_ENTER, .dom = DOM_PLAIN, .fds = FDS_EPERM,
                                     .old = OLD_LIST_ONLY } },
        { "enter_partial_both", { .fn = FN_ENTER, .dom = DOM_PLAIN, .fds = FDS_PARTIAL,
                                  .old = OLD_BOTH } },
        { "enter_partial_count_only", { .fn = FN_ENTER, .dom = DOM_PLAIN,
                                        .fds = FDS_PARTIAL, .old = OLD_COUNT_ONLY } },
        { "enter_success_both", { .fn = FN_ENTER, .dom = DOM_PLAIN, .fds = FDS_SKIPPED,
                                  .old = OLD_BOTH } },
        { "enter_success_count_only", { .fn = FN_ENTER, .dom = DOM_PLAIN,
                                        .fds = FDS_SKIPPED, .old = OLD_COUNT_ONLY } },
        { "enter_success_list_only", { .fn = FN_ENTER, .dom = DOM_PLAIN,
                                       .fds = FDS_SKIPPED, .old = OLD_LIST_ONLY } },
        /* Deliberate differences. */
        { "diff_enter_flags_null_domain", { .fn = FN_ENTER, .dom = DOM_NULL, .flags = 1,
                                            .fds = FDS_SKIPPED, .old = OLD_BOTH } },
        { "diff_enter_null_fdlist_both", { .fn = FN_ENTER, .dom = DOM_PLAIN,
                                           .fds = FDS_NULL, .old = OLD_BOTH } },
        { "diff_enter_ebadf_null_domain_both", { .fn = FN_ENTER, .dom = DOM_NULL,
                                                 .fds = FDS_EBADF, .old = OLD_BOTH } },
        { "diff_enter_devnull_both", { .fn = FN_ENTER, .dom = DOM_PLAIN,
                                       .fds = FDS_DEVNULL, .old = OLD_BOTH } },

        /* virDomainLxcEnterSecurityLabel */
        { "label_flags", { .fn = FN_LABEL, .model = "none", .flags = 1, .oldlabel = 1 } },
        { "label_flags_null_model", { .fn = FN_LABEL, .flags = 2, .oldlabel = 1 } },
        { "label_null_model", { .fn = FN_LABEL, .oldlabel = 1 } },
        { "label_null_label", { .fn = FN_LABEL, .model = "selinux", .nullLabel = 1,
                                .oldlabel = 1 } },
        { "label_none", { .fn = FN_LABEL, .model = "none", .oldlabel = 1 } },
        { "label_unknown_model", { .fn = FN_LABEL, .model = "smack", .oldlabel = 1 } },
        { "label_empty_model", { .fn = FN_LABEL, .model = "", .oldlabel = 1 } },
        { "label_apparmor", { .fn = FN_LABEL, .model = "apparmor", .oldlabel = 1 } },
        { "label_apparmor_no_oldlabel", { .fn = FN_LABEL, .model = "apparmor" } },
        { "label_selinux", { .fn = FN_LABEL, .model = "selinux", .oldlabel = 1 } },
        { "label_selinux_no_oldlabel", { .fn = FN_LABEL, .model = "selinux" } },
        { "label_selinux_context", { .fn = FN_LABEL, .model = "selinux", .oldlabel = 1,
                                     .context = CON_FAKE } },
        { "label_selinux_context_newline", { .fn = FN_LABEL, .model = "selinux",
                                             .oldlabel = 1, .context = CON_FAKE_NL } },
        { "diff_label_selinux_context_page", { .fn = FN_LABEL, .model = "selinux",
                                               .oldlabel = 1, .context = CON_PAGE } },
        { "diff_label_selinux_context_long", { .fn = FN_LABEL, .model = "selinux",
                                               .oldlabel = 1, .context = CON_LONG } },

        /* virDomainLxcEnterCGroup */
        { "cgroup_null_domain", { .fn = FN_CGROUP, .dom = DOM_NULL } },
        { "cgroup_bogus_domain", { .fn = FN_CGROUP, .dom = DOM_BOGUS, .flags = 1 } },
        { "cgroup_readonly", { .fn = FN_CGROUP, .dom = DOM_PLAIN, .readonly = 1 } },
        { "cgroup_readonly_flags", { .fn = FN_CGROUP, .dom = DOM_PLAIN, .readonly = 1,
                                     .flags = 1 } },
        { "cgroup_flags", { .fn = FN_CGROUP, .dom = DOM_PLAIN, .flags = 8 } },
        { "cgroup_bad_id", { .fn = FN_CGROUP, .dom = DOM_BADID } },
        { "cgroup_bad_id_flags", { .fn = FN_CGROUP, .dom = DOM_BADID, .flags = 1 } },
        { "cgroup_gone", { .fn = FN_CGROUP, .dom = DOM_GONE } },
    };
    virConnectPtr conn;
    size_t i;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (virInitialize() < 0)
        return 2;
    conn = tcOpen(0);
    plainInit = tcInitPid(tcDomain(conn, "lxcgo-plain"));
    tcRelease();
    if (plainInit <= 0) {
        fprintf(stderr, "cannot find lxcgo-plain's init process\n");
        return 2;
    }
    badId = impossiblePid();
    tcAddSubst(badId, "badid");

    tcPrintLib();
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        tcRun(cases[i].name, scenario, (void *)&cases[i].c);
    return 0;
}
