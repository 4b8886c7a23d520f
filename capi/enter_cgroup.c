/*
 * enter_cgroup.c: virDomainLxcEnterCGroup, moving the caller into the
 * cgroups of a domain's controller process.
 *
 * Same detection and the same writes as libvirt's cgroup code: the v2
 * backend first (only if a cgroup2 mount has controllers), then v1 for the
 * controllers v2 did not claim; placement from /proc/<pid>/cgroup.
 * Plain files only, no daemon call: safe in a child after fork().
 */
#ifndef _GNU_SOURCE
# define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <libvirt/libvirt-lxc.h>
#include "internal.h"
#include "log.h"

/* libvirt's controller list, in its order (which is also the write order). */
enum {
    CG_CPU, CG_CPUACCT, CG_CPUSET, CG_MEMORY, CG_DEVICES, CG_FREEZER,
    CG_BLKIO, CG_NET_CLS, CG_PERF_EVENT, CG_SYSTEMD, CG_LAST
};
static const char *const cgV1Names[CG_LAST] = {
    "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer",
    "blkio", "net_cls", "perf_event", "name=systemd",
};
/* cgroup v2 names the block I/O controller "io". */
static const char *const cgV2Names[CG_LAST] = {
    "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer",
    "io", "net_cls", "perf_event", "name=systemd",
};

#define CG_PATH_MAX 1024   /* libvirt reads /proc/<pid>/cgroup in 1 KiB lines */

typedef struct {
    int v2;                          /* v2 backend in use */
    int v1;                          /* v1 backend in use */
    char v2Mount[CG_PATH_MAX];
    char v2Place[CG_PATH_MAX];
    int v2HasPlace;
    unsigned int v2Ctrl;             /* bit per CG_* claimed by v2 */
    char v1Mount[CG_LAST][CG_PATH_MAX];
    char v1Place[CG_LAST][CG_PATH_MAX];
    int v1HasMount[CG_LAST];
    int v1HasPlace[CG_LAST];
} lxcCgroup;

static void
lxcCopy(char *dst, const char *src)
{
    snprintf(dst, CG_PATH_MAX, "%s", src);
}

/* Is @name one of the comma-separated words of @list? */
static int
lxcHasWord(const char *list, const char *name)
{
    size_t len = strlen(name);
    const char *p = list;

    while (p) {
        const char *next = strchr(p, ',');
        size_t n = next ? (size_t)(next - p) : strlen(p);

        if (n == len && strncmp(p, name, len) == 0)
            return 1;
        p = next ? next + 1 : NULL;
    }
    return 0;
}

/* v2 counts only when a cgroup2 mount has controllers: a cgroup2 mount
 * used just for process tracking (systemd's) does not. */
static int
lxcCgroupV2Available(void)
{
    char buf[4096], cont[4096], path[CG_PATH_MAX + 32];
    struct mntent ent;
    int ret = 0;
    FILE *f = setmntent("/proc/mounts", "re");

    if (!f)
        return 0;
    while (getmntent_r(f, &ent, buf, sizeof(buf))) {
        ssize_t n;

        if (strcmp(ent.mnt_type, "cgroup2") != 0)
            continue;
        snprintf(path, sizeof(path), "%s/cgroup.controllers", ent.mnt_dir);
        if ((n = lxcReadSmallFile(path, cont, sizeof(cont))) < 0)
            break;
        if (n == 0)
            continue;
        ret = 1;
        break;
    }
    endmntent(f);
    return ret;
}

static int
lxcCgroupV1Available(void)
{
    char buf[4096];
    struct mntent ent;
    int ret = 0;
    FILE *f;

    if (access("/proc/cgroups", F_OK) < 0)
        return 0;
    if (!(f = setmntent("/proc/mounts", "re")))
        return 0;
    while (getmntent_r(f, &ent, buf, sizeof(buf))) {
        if (strcmp(ent.mnt_type, "cgroup") == 0) {
            ret = 1;
            break;
        }
    }
    endmntent(f);
    return ret;
}

/* Later mounts win, as bind mounts of the same hierarchy follow. */
static int
lxcCgroupDetectMounts(lxcCgroup *cg)
{
    char buf[4096];
    struct mntent ent;
    size_t i;
    FILE *f = setmntent("/proc/mounts", "re");

    if (!f) {
        lxcReportSystemErrorFrom(VIR_FROM_CGROUP, errno, "%s",
                                 "Unable to open /proc/mounts");
        return -1;
    }
    while (getmntent_r(f, &ent, buf, sizeof(buf))) {
        if (cg->v2 && strcmp(ent.mnt_type, "cgroup2") == 0)
            lxcCopy(cg->v2Mount, ent.mnt_dir);
        if (cg->v1 && strcmp(ent.mnt_type, "cgroup") == 0) {
            for (i = 0; i < CG_LAST; i++) {
                if (lxcHasWord(ent.mnt_opts, cgV1Names[i])) {
                    lxcCopy(cg->v1Mount[i], ent.mnt_dir);
                    cg->v1HasMount[i] = 1;
                }
            }
        }
    }
    endmntent(f);
    return 0;
}

/* Cut @s at the last occurrence of @what. */
static void
lxcCutLast(char *s, const char *what)
{
    char *p = NULL, *q = s;

    while ((q = strstr(q, what))) {
        p = q;
        q++;
    }
    if (p)
        *p = '\0';
}

static int
lxcCgroupDetectPlacement(lxcCgroup *cg, int pid)
{
    char procfile[64];
    char line[CG_PATH_MAX];
    size_t i;
    FILE *f;

    if (pid == -1)
        snprintf(procfile, sizeof(procfile), "/proc/self/cgroup");
    else
        snprintf(procfile, sizeof(procfile), "/proc/%lld/cgroup", (long long)pid);
    if (!(f = fopen(procfile, "re"))) {
        lxcReportSystemErrorFrom(VIR_FROM_CGROUP, errno, "Unable to open '%s'",
                                 procfile);
        return -1;
    }
    while (fgets(line, sizeof(line), f)) {
        char *ctrl = strchr(line, ':');
        char *self = ctrl ? strchr(ctrl + 1, ':') : NULL;
        char *nl;

        if (!ctrl || !self)
            continue;
        if ((nl = strchr(self, '\n')))
            *nl = '\0';
        *self++ = '\0';
        ctrl++;

        /* The v2 line has an empty controller list. A running VM's main
         * thread sits in "emulator", and nested "/libvirt..." groups belong
         * to the domain's own group: both are cut off. */
        if (cg->v2 && !cg->v2HasPlace && ctrl[0] == '\0') {
            lxcCopy(cg->v2Place, self);
            lxcCutLast(cg->v2Place, "/emulator");
            lxcCutLast(cg->v2Place, "/libvirt");
            cg->v2HasPlace = 1;
        }
        if (!cg->v1)
            continue;
        for (i = 0; i < CG_LAST; i++) {
            if (!cg->v1HasMount[i] || cg->v1HasPlace[i] ||
                !lxcHasWord(ctrl, cgV1Names[i]))
                continue;
            lxcCopy(cg->v1Place[i], self);
            lxcCutLast(cg->v1Place[i], "/libvirt");
            cg->v1HasPlace[i] = 1;
        }
    }
    fclose(f);

    if (cg->v2 && !cg->v2HasPlace) {
        lxcReportError(VIR_FROM_CGROUP, VIR_ERR_INTERNAL_ERROR, "%s",
                       "Could not find placement for v2 controller");
        return -1;
    }
    for (i = 0; cg->v1 && i < CG_LAST; i++) {
        if (cg->v1HasMount[i] && !cg->v1HasPlace[i]) {
            lxcReportError(VIR_FROM_CGROUP, VIR_ERR_INTERNAL_ERROR,
                           "Could not find placement for v1 controller %s",
                           cgV1Names[i]);
            return -1;
        }
    }
    return 0;
}

/* The kernel can attach device-control BPF programs to cgroup v2. */
static int
lxcCgroupV2DevicesAvailable(const lxcCgroup *cg)
{
    union bpf_attr attr;
    int fd = open(cg->v2Mount, O_RDONLY | O_CLOEXEC);
    long rc;

    if (fd < 0)
        return 0;
    memset(&attr, 0, sizeof(attr));
    attr.query.target_fd = fd;
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    rc = syscall(SYS_bpf, BPF_PROG_QUERY, &attr, sizeof(attr));
    close(fd);
    return rc >= 0;
}

static int
lxcCgroupDetectControllers(lxcCgroup *cg)
{
    unsigned int avail = 0;
    size_t i;

    if (cg->v2) {
        char path[2 * CG_PATH_MAX + 32];
        char buf[4096];
        char *tok, *save = NULL;

        snprintf(path, sizeof(path), "%s%s/cgroup.controllers",
                 cg->v2Mount, cg->v2Place);
        if (lxcReadSmallFile(path, buf, sizeof(buf)) < 0) {
            lxcReportSystemErrorFrom(VIR_FROM_CGROUP, errno,
                                     "Unable to read from '%s'", path);
            return -1;
        }
        for (tok = strtok_r(buf, " \t\n", &save); tok;
             tok = strtok_r(NULL, " \t\n", &save)) {
            for (i = 0; i < CG_LAST; i++) {
                if (strcmp(tok, cgV2Names[i]) == 0)
                    cg->v2Ctrl |= 1u << i;
            }
        }
        /* v2 has no cpuacct controller: cpu.stat always has the usage. */
        cg->v2Ctrl |= 1u << CG_CPUACCT;
        if (lxcCgroupV2DevicesAvailable(cg))
            cg->v2Ctrl |= 1u << CG_DEVICES;
        avail |= cg->v2Ctrl;
    }
    if (cg->v1) {
        for (i = 0; i < CG_LAST; i++) {
            if (cg->v2Ctrl & (1u << i))
                cg->v1HasMount[i] = cg->v1HasPlace[i] = 0;
            if (cg->v1HasMount[i])
                avail |= 1u << i;
        }
    }
    if (avail == 0) {
        lxcReportSystemErrorFrom(VIR_FROM_CGROUP, ENXIO, "%s",
                                 "At least one cgroup controller is required");
        return -1;
    }
    return 0;
}

static int
lxcCgroupWrite(const char *path, long long pid)
{
    char val[32];
    int len = snprintf(val, sizeof(val), "%lld", pid);

    if (lxcWriteSmallFile(path, O_WRONLY | O_TRUNC, val, len) == 0)
        return 0;
    if (errno == EINVAL && strrchr(path, '/')) {
        lxcReportSystemErrorFrom(VIR_FROM_CGROUP, errno,
                                 "Invalid value '%s' for '%s'",
                                 val, strrchr(path, '/') + 1);
        return -1;
    }
    lxcReportSystemErrorFrom(VIR_FROM_CGROUP, errno,
                             "Unable to write to '%s'", path);
    return -1;
}

/* Whole process on v2 (cgroup.procs), calling thread on v1 (tasks); never
 * the systemd hierarchy. */
static int
lxcCgroupAddProcess(const lxcCgroup *cg, long long pid)
{
    char path[2 * CG_PATH_MAX + 32];
    size_t i;

    if (cg->v2) {
        snprintf(path, sizeof(path), "%s%s/cgroup.procs", cg->v2Mount, cg->v2Place);
        if (lxcCgroupWrite(path, pid) < 0)
            return -1;
    }
    for (i = 0; cg->v1 && i < CG_LAST; i++) {
        if (!cg->v1HasMount[i] || i == CG_SYSTEMD)
            continue;
        snprintf(path, sizeof(path), "%s%s/tasks", cg->v1Mount[i], cg->v1Place[i]);
        if (lxcCgroupWrite(path, pid) < 0)
            return -1;
    }
    return 0;
}

LXC_EXPORT int
virDomainLxcEnterCGroup(virDomainPtr domain,
                        unsigned int flags)
{
    lxcCgroup *cg = NULL;
    int pid;

    lxcLogDomainEntry(LXC_API_ENTER_CGROUP, domain, "flags=0x%x", flags);
    lxcResetError();

    if (lxcCheckDomain(domain, __func__) < 0)
        goto error;
    if (lxcConnIsReadOnly(domain) == 1) {
        lxcReportReadOnly(__func__);
        goto error;
    }
    if (flags != 0) {
        lxcReportUnsupportedFlags(__func__, flags);
        goto error;
    }

    /* The domain id is the controller's pid, -1 (as unsigned) when the
     * domain is not running: then libvirt reads /proc/self/cgroup. */
    pid = (int)virDomainGetID(domain);
    lxcResetError();

    /* About 22 KiB: too much for a thread stack of unknown size. */
    if (!(cg = calloc(1, sizeof(*cg)))) {
        lxcReportSystemErrorFrom(VIR_FROM_CGROUP, ENOMEM, "%s",
                                 "Unable to allocate cgroup state");
        goto error;
    }
    cg->v2 = lxcCgroupV2Available();
    cg->v1 = lxcCgroupV1Available();
    if (!cg->v2 && !cg->v1) {
        lxcReportError(VIR_FROM_CGROUP, VIR_ERR_INTERNAL_ERROR, "%s",
                       "no cgroup backend available");
        goto error;
    }
    if (lxcCgroupDetectMounts(cg) < 0 ||
        lxcCgroupDetectPlacement(cg, pid) < 0 ||
        lxcCgroupDetectControllers(cg) < 0 ||
        lxcCgroupAddProcess(cg, getpid()) < 0)
        goto error;

    free(cg);
    return 0;

 error:
    free(cg);
    lxcDispatch(NULL);
    return -1;
}
