/*
 * seclabel_text.h: what virDomainLxcEnterSecurityLabel reads and writes,
 * as text, without I/O: the procfs and selinuxfs files libselinux and
 * libapparmor use, which model a name is, the checks on a context read
 * back, and the words written to enter a label.
 *
 * enter_seclabel.c does the reading and writing; these are tested on
 * strings alone (tests/unit/seclabel_unit.c).
 */
#ifndef LXC_SECLABEL_TEXT_H
#define LXC_SECLABEL_TEXT_H

#include <stddef.h>

#include <libvirt/libvirt.h>

/* The calling thread's context (getcon) and the one for its next exec()
 * (setexeccon); AppArmor's own directory when several LSMs are stacked. */
#define LXC_SEC_ATTR_CURRENT "/proc/thread-self/attr/current"
#define LXC_SEC_ATTR_EXEC "/proc/thread-self/attr/exec"
#define LXC_SEC_ATTR_APPARMOR_DIR "/proc/thread-self/attr/apparmor"
#define LXC_SEC_ATTR_APPARMOR_CURRENT LXC_SEC_ATTR_APPARMOR_DIR "/current"
/* security_getenforce(): "0" or "1"; absent without selinuxfs. */
#define LXC_SELINUX_ENFORCE "/sys/fs/selinux/enforce"
#define LXC_SELINUX_ENFORCE_MAX 16

/* A context as read: larger than the label field, so that a longer
 * context is reported as too long instead of being cut. */
#define LXC_SEC_CONTEXT_MAX (VIR_SECURITY_LABEL_BUFLEN + 2)

typedef enum {
    LXC_SEC_MODEL_NONE,              /* "none": nothing to enter */
    LXC_SEC_MODEL_SELINUX,
    LXC_SEC_MODEL_APPARMOR,
    LXC_SEC_MODEL_UNSUPPORTED,       /* any other name */
} lxcSecModel;

lxcSecModel lxcSecModelOf(const char *model);

/* Copies the context @ctx (NUL-terminated, as read back) into @label; -1
 * with @label untouched when it does not fit with its NUL. */
int lxcSecStoreContext(char label[VIR_SECURITY_LABEL_BUFLEN], const char *ctx);

/* The enforce file's @len bytes of @text (NUL-terminated): 1 enforcing,
 * 0 permissive (any number but 0 enforces, as atoi reads it), -1 for an
 * empty file. */
int lxcSelinuxParseEnforce(const char *text, size_t len);

/* How many bytes of @label setexeccon writes: the context and its NUL,
 * never past the label field. */
size_t lxcSelinuxExecLen(const char *label);

/* aa_change_profile()'s file: AppArmor's own when the kernel has the
 * directory (@stacked), else the shared one. */
const char *lxcApparmorAttr(int stacked);

/* aa_change_profile()'s command, "changeprofile <label>", into @cmd; the
 * label is cut at the label field's length. Returns the command's length. */
#define LXC_AA_CHANGE_PROFILE "changeprofile "
#define LXC_AA_CMD_MAX (sizeof(LXC_AA_CHANGE_PROFILE) + VIR_SECURITY_LABEL_BUFLEN)
int lxcApparmorChangeProfile(char cmd[LXC_AA_CMD_MAX], const char *label);

#endif /* LXC_SECLABEL_TEXT_H */
