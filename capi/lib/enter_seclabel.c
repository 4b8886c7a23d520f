/*
 * enter_seclabel.c: virDomainLxcEnterSecurityLabel.
 *
 * Talks to the kernel the way libselinux (getcon, setexeccon,
 * security_getenforce) and libapparmor (aa_change_profile) do, through
 * procfs and selinuxfs, so neither library is needed.
 *
 * This file does the reading and writing; the files, the checks on what is
 * read and the words written are in seclabel_text.c, tested without root
 * (tests/unit).
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
#include "seclabel_text.h"

/* getcon(): the calling thread's current context, NUL-terminated, into
 * @buf. Returns its length, or -1 with errno set. */
static ssize_t
lxcSelinuxGetcon(char *buf, size_t size)
{
    ssize_t n;

    if ((n = lxcReadSmallFile(LXC_SEC_ATTR_CURRENT, buf, size)) < 0)
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
    char buf[LXC_SELINUX_ENFORCE_MAX];
    ssize_t n;
    int enforcing;

    if ((n = lxcReadSmallFile(LXC_SELINUX_ENFORCE, buf, sizeof(buf))) < 0)
        return -1;
    if ((enforcing = lxcSelinuxParseEnforce(buf, (size_t)n)) < 0)
        errno = EINVAL;
    return enforcing;
}

/* The context this thread had, into @oldlabel, with the enforcing mode. */
static int
lxcSelinuxSaveOld(virSecurityLabelPtr oldlabel)
{
    char ctx[LXC_SEC_CONTEXT_MAX];
    int enforcing;

    if (lxcSelinuxGetcon(ctx, sizeof(ctx)) < 0) {
        lxcReportSystemError(errno, "unable to get PID %d security context",
                             (int)getpid());
        return -1;
    }
    if (lxcSecStoreContext(oldlabel->label, ctx) < 0) {
        lxcReportError(VIR_FROM_NONE, VIR_ERR_INTERNAL_ERROR,
                       "security label exceeds maximum length: %d",
                       VIR_SECURITY_LABEL_BUFLEN - 1);
        return -1;
    }
    if ((enforcing = lxcSelinuxGetenforce()) < 0) {
        oldlabel->enforcing = -1;
        lxcReportSystemError(errno, "%s", "error calling security_getenforce()");
        return -1;
    }
    oldlabel->enforcing = enforcing;
    return 0;
}

static int
lxcEnterSelinux(virSecurityLabelPtr label, virSecurityLabelPtr oldlabel)
{
    if (oldlabel && lxcSelinuxSaveOld(oldlabel) < 0)
        return -1;
    /* setexeccon(): the context for the next exec(), written with its NUL. */
    if (lxcWriteSmallFile(LXC_SEC_ATTR_EXEC, O_RDWR, label->label,
                          lxcSelinuxExecLen(label->label)) < 0) {
        lxcReportSystemError(errno, "Cannot set context %s", label->label);
        return -1;
    }
    return 0;
}

static int
lxcEnterApparmor(virSecurityLabelPtr label)
{
    char cmd[LXC_AA_CMD_MAX];
    struct stat st;
    const char *path = lxcApparmorAttr(stat(LXC_SEC_ATTR_APPARMOR_DIR, &st) == 0);
    int len = lxcApparmorChangeProfile(cmd, label->label);

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

    switch (lxcSecModelOf(model->model)) {
    case LXC_SEC_MODEL_SELINUX:
        if (lxcEnterSelinux(label, oldlabel) < 0)
            goto error;
        break;
    case LXC_SEC_MODEL_APPARMOR:
        if (lxcEnterApparmor(label) < 0)
            goto error;
        break;
    case LXC_SEC_MODEL_NONE:
        break;
    case LXC_SEC_MODEL_UNSUPPORTED:
        lxcReportError(VIR_FROM_NONE, VIR_ERR_ARGUMENT_UNSUPPORTED,
                       "Security model %s cannot be entered", model->model);
        goto error;
    }
    return 0;

 error:
    lxcDispatch(NULL);
    return -1;
}
