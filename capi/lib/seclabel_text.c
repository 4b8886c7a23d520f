/*
 * seclabel_text.c: the text side of virDomainLxcEnterSecurityLabel
 * (seclabel_text.h), read and written as libselinux and libapparmor do.
 * No I/O here: enter_seclabel.c reads and writes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seclabel_text.h"

lxcSecModel
lxcSecModelOf(const char *model)
{
    if (strcmp(model, "selinux") == 0)
        return LXC_SEC_MODEL_SELINUX;
    if (strcmp(model, "apparmor") == 0)
        return LXC_SEC_MODEL_APPARMOR;
    if (strcmp(model, "none") == 0)
        return LXC_SEC_MODEL_NONE;
    return LXC_SEC_MODEL_UNSUPPORTED;
}

int
lxcSecStoreContext(char label[VIR_SECURITY_LABEL_BUFLEN], const char *ctx)
{
    size_t n = strlen(ctx);

    if (n >= VIR_SECURITY_LABEL_BUFLEN)
        return -1;
    memcpy(label, ctx, n + 1);
    return 0;
}

int
lxcSelinuxParseEnforce(const char *text, size_t len)
{
    if (len == 0)
        return -1;
    return atoi(text) ? 1 : 0;
}

size_t
lxcSelinuxExecLen(const char *label)
{
    return strnlen(label, VIR_SECURITY_LABEL_BUFLEN - 1) + 1;
}

const char *
lxcApparmorAttr(int stacked)
{
    return stacked ? LXC_SEC_ATTR_APPARMOR_CURRENT : LXC_SEC_ATTR_CURRENT;
}

int
lxcApparmorChangeProfile(char cmd[LXC_AA_CMD_MAX], const char *label)
{
    return snprintf(cmd, LXC_AA_CMD_MAX, LXC_AA_CHANGE_PROFILE "%.*s",
                    VIR_SECURITY_LABEL_BUFLEN - 1, label);
}
