/*
 * enter_cgroup.c: virDomainLxcEnterCGroup, moving the caller into the
 * cgroups of a domain's controller process.
 *
 * Same detection and the same writes as libvirt's cgroup code: the v2
 * backend first (only if a cgroup2 mount has controllers), then v1 for the
 * controllers v2 did not claim; placement from /proc/<pid>/cgroup.
 * Plain files only, no daemon call: safe in a child after fork().
 *
 * This file does the reading and writing; what is decided from what it
 * reads is in cgroup_text.c, tested without root (tests/unit).
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
#include "cgroup_text.h"
#include "internal.h"
#include "log.h"

/* One /proc/mounts entry as getmntent_r decodes it: cgroup mount points
 * and options are far shorter. */
#define CG_MNTENT_MAX 4096
/* A cgroup.controllers file: a few dozen controller names at most. */
#define CG_CONTROLLERS_MAX 4096
/* A pid in decimal, its sign and its NUL. */
#define CG_PID_TEXT_MAX 32

/* v2 counts only when a cgroup2 mount has controllers: a cgroup2 mount
 * used just for process tracking (systemd's) does not. */
static int
lxcCgroupV2Available(void)
{
    char buf[CG_MNTENT_MAX], cont[CG_CONTROLLERS_MAX], path[CG_MOUNT_FILE_MAX];
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
    char buf[CG_MNTENT_MAX];
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

static int
lxcCgroupDetectMounts(lxcCgroup *cg)
{
    char buf[CG_MNTENT_MAX];
    struct mntent ent;
    FILE *f = setmntent("/proc/mounts", "re");

    if (!f) {
        lxcReportSystemErrorFrom(VIR_FROM_CGROUP, errno, "%s",
                                 "Unable to open /proc/mounts");
        return -1;
    }
    while (getmntent_r(f, &ent, buf, sizeof(buf)))
        lxcCgroupNoteMount(cg, ent.mnt_type, ent.mnt_dir, ent.mnt_opts);
    endmntent(f);
    return 0;
}

static int
lxcCgroupDetectPlacement(lxcCgroup *cg, int pid)
{
    char procfile[CG_PROC_FILE_MAX];
    /* fgets() in pieces of this size, as libvirt reads the file: a longer
     * line goes on as a line of its own. */
    char line[CG_PATH_MAX];
    const char *v1name;
    FILE *f;

    lxcCgroupProcFile(procfile, pid);
    if (!(f = fopen(procfile, "re"))) {
        lxcReportSystemErrorFrom(VIR_FROM_CGROUP, errno, "Unable to open '%s'",
                                 procfile);
        return -1;
    }
    while (fgets(line, sizeof(line), f))
        lxcCgroupNotePlacement(cg, line);
    fclose(f);

    switch (lxcCgroupCheckPlacement(cg, &v1name)) {
    case LXC_CG_PLACED:
        return 0;
    case LXC_CG_NO_V2_PLACE:
        lxcReportError(VIR_FROM_CGROUP, VIR_ERR_INTERNAL_ERROR, "%s",
                       "Could not find placement for v2 controller");
        return -1;
    case LXC_CG_NO_V1_PLACE:
        break;
    }
    lxcReportError(VIR_FROM_CGROUP, VIR_ERR_INTERNAL_ERROR,
                   "Could not find placement for v1 controller %s", v1name);
    return -1;
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
    unsigned int v2found = 0;
    int v2devices = 0;

    if (cg->v2) {
        char path[CG_FILE_MAX];
        char buf[CG_CONTROLLERS_MAX];

        lxcCgroupV2File(path, cg, "cgroup.controllers");
        if (lxcReadSmallFile(path, buf, sizeof(buf)) < 0) {
            lxcReportSystemErrorFrom(VIR_FROM_CGROUP, errno,
                                     "Unable to read from '%s'", path);
            return -1;
        }
        v2found = lxcCgroupParseV2Controllers(buf);
        v2devices = lxcCgroupV2DevicesAvailable(cg);
    }
    if (lxcCgroupClaim(cg, v2found, v2devices) == 0) {
        lxcReportSystemErrorFrom(VIR_FROM_CGROUP, ENXIO, "%s",
                                 "At least one cgroup controller is required");
        return -1;
    }
    return 0;
}

static int
lxcCgroupWrite(const char *path, long long pid)
{
    char val[CG_PID_TEXT_MAX];
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

static int
lxcCgroupAddProcess(const lxcCgroup *cg, long long pid)
{
    char path[CG_FILE_MAX];
    unsigned int next = 0;

    while (lxcCgroupNextTarget(cg, &next, path)) {
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
    pid = (int)lxcVirDomainGetID(domain);
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
