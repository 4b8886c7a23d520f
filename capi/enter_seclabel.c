/*
 * enter_seclabel.c: virDomainLxcEnterSecurityLabel.
 *
 * Talks to the kernel the way libselinux (getcon, setexeccon,
 * security_getenforce) and libapparmor (aa_change_profile) do, through
 * procfs and selinuxfs, so neither library is needed.
 */
#ifndef _GNU_SOURCE
# define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libvirt/libvirt-lxc.h>
#include "internal.h"
#include "log.h"

/* getcon(): the calling thread's current context, NUL-terminated, into
 * @buf. Returns its length, or -1 with errno set. */
static ssize_t
lxcSelinuxGetcon(char *buf, size_t size)
{
    ssize_t n;

    if ((n = lxcReadSmallFile("/proc/thread-self/attr/current", buf, size)) < 0)
        return -1;
    /* Up to the first NUL (SELinux ends the context with one), a newline
     * kept (AppArmor ends its label with one), as libselinux returns it. */
    return strlen(buf);
}

/* security_getenforce(): 0 permissive, 1 enforcing, -1 with errno set
 * (ENOENT when selinuxfs is not mounted). */
static int
lxcSelinuxGetenforce(void)
{
    char buf[16];
    ssize_t n;

    if ((n = lxcReadSmallFile("/sys/fs/selinux/enforce", buf, sizeof(buf))) <= 0) {
        errno = n < 0 ? errno : EINVAL;
        return -1;
    }
    return atoi(buf) ? 1 : 0;
}

static int
lxcEnterSelinux(virSecurityLabelPtr label, virSecurityLabelPtr oldlabel)
{
    if (oldlabel) {
        /* A larger buffer than the label field: a longer context must be
         * reported as too long, not cut. */
        char ctx[VIR_SECURITY_LABEL_BUFLEN + 2];
        ssize_t n;
        int enforcing;

        if ((n = lxcSelinuxGetcon(ctx, sizeof(ctx))) < 0) {
            lxcReportSystemError(errno, "unable to get PID %d security context",
                                 (int)getpid());
            return -1;
        }
        if ((size_t)n >= VIR_SECURITY_LABEL_BUFLEN) {
            lxcReportError(VIR_FROM_NONE, VIR_ERR_INTERNAL_ERROR,
                           "security label exceeds maximum length: %d",
                           VIR_SECURITY_LABEL_BUFLEN - 1);
            return -1;
        }
        memcpy(oldlabel->label, ctx, n + 1);
        if ((enforcing = lxcSelinuxGetenforce()) < 0) {
            oldlabel->enforcing = -1;
            lxcReportSystemError(errno, "%s", "error calling security_getenforce()");
            return -1;
        }
        oldlabel->enforcing = enforcing;
    }

    /* setexeccon(): the context for the next exec(), written with its NUL. */
    if (lxcWriteSmallFile("/proc/thread-self/attr/exec", O_RDWR, label->label,
                          strnlen(label->label, VIR_SECURITY_LABEL_BUFLEN - 1) + 1) < 0) {
        lxcReportSystemError(errno, "Cannot set context %s", label->label);
        return -1;
    }
    return 0;
}

static int
lxcEnterApparmor(virSecurityLabelPtr label)
{
    char cmd[sizeof("changeprofile ") + VIR_SECURITY_LABEL_BUFLEN];
    const char *path = "/proc/thread-self/attr/current";
    struct stat st;
    int len;

    /* aa_change_profile(): the AppArmor-specific attribute directory when
     * the kernel has one (several LSMs stacked), else the shared one. */
    if (stat("/proc/thread-self/attr/apparmor", &st) == 0)
        path = "/proc/thread-self/attr/apparmor/current";
    len = snprintf(cmd, sizeof(cmd), "changeprofile %.*s",
                   VIR_SECURITY_LABEL_BUFLEN - 1, label->label);
    if (lxcWriteSmallFile(path, O_WRONLY, cmd, len) < 0) {
        lxcReportSystemError(errno, "error changing profile to %s", label->label);
        return -1;
    }
    return 0;
}

LXC_EXPORT int
virDomainLxcEnterSecurityLabel(virSecurityModelPtr model,
                               virSecurityLabelPtr label,
                               virSecurityLabelPtr oldlabel,
                               unsigned int flags)
{
    lxcLogEntry(LXC_API_ENTER_SECLABEL, "model=%p, label=%p, oldlabel=%p, flags=0x%x",
                (void *)model, (void *)label, (void *)oldlabel, flags);
    lxcResetError();

    if (flags != 0) {
        lxcReportUnsupportedFlags(__func__, flags);
        goto error;
    }
    if (!model) {
        lxcReportInvalidArg(__func__, "model");
        goto error;
    }
    if (!label) {
        lxcReportInvalidArg(__func__, "label");
        goto error;
    }

    if (oldlabel)
        memset(oldlabel, 0, sizeof(*oldlabel));

    if (strcmp(model->model, "selinux") == 0) {
        if (lxcEnterSelinux(label, oldlabel) < 0)
            goto error;
    } else if (strcmp(model->model, "apparmor") == 0) {
        if (lxcEnterApparmor(label) < 0)
            goto error;
    } else if (strcmp(model->model, "none") != 0) {
        lxcReportError(VIR_FROM_NONE, VIR_ERR_ARGUMENT_UNSUPPORTED,
                       "Security model %s cannot be entered", model->model);
        goto error;
    }
    return 0;

 error:
    lxcDispatch(NULL);
    return -1;
}
