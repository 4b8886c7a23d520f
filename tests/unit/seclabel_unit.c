/*
 * Unit tests of the text side of virDomainLxcEnterSecurityLabel
 * (capi/lib/seclabel_text.c): model names, the length check on a context read
 * back, selinuxfs's enforce file, setexeccon's length and AppArmor's
 * "changeprofile" command, on strings alone (no LSM, no daemon, no root).
 * Each case is named in the output; the program exits 1 if any fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seclabel_text.h"
#include "unit.h"

/* A context of every length up to past the label field. */
static char ctx[LXC_SEC_CONTEXT_MAX];

static void
checkInt(const char *name, long got, long want)
{
    check(name, got == want, "got %ld, want %ld", got, want);
}

/* ctx as @len letters 'c'. */
static const char *
context(size_t len)
{
    memset(ctx, 'c', len);
    ctx[len] = '\0';
    return ctx;
}

static void
testModel(void)
{
    checkInt("model/selinux", lxcSecModelOf("selinux"), LXC_SEC_MODEL_SELINUX);
    checkInt("model/apparmor", lxcSecModelOf("apparmor"), LXC_SEC_MODEL_APPARMOR);
    checkInt("model/none", lxcSecModelOf("none"), LXC_SEC_MODEL_NONE);
    checkInt("model/empty is unsupported", lxcSecModelOf(""), LXC_SEC_MODEL_UNSUPPORTED);
    checkInt("model/dac is unsupported", lxcSecModelOf("dac"), LXC_SEC_MODEL_UNSUPPORTED);
    checkInt("model/case matters", lxcSecModelOf("SELinux"), LXC_SEC_MODEL_UNSUPPORTED);
    checkInt("model/prefix is no name", lxcSecModelOf("selinux2"),
             LXC_SEC_MODEL_UNSUPPORTED);
}

static void
testStoreContext(void)
{
    char label[VIR_SECURITY_LABEL_BUFLEN];

    checkInt("context/selinux", lxcSecStoreContext(label,
             "system_u:system_r:svirt_lxc_net_t:s0:c1,c2"), 0);
    check("context/selinux copied", strcmp(label,
          "system_u:system_r:svirt_lxc_net_t:s0:c1,c2") == 0, "got \"%s\"", label);
    checkInt("context/apparmor, newline kept", lxcSecStoreContext(label,
             "libvirt-0123 (enforce)\n"), 0);
    check("context/apparmor copied", strcmp(label, "libvirt-0123 (enforce)\n") == 0,
          "got \"%s\"", label);
    checkInt("context/empty", lxcSecStoreContext(label, ""), 0);
    check("context/empty copied", label[0] == '\0', "got \"%s\"", label);
    checkInt("context/longest that fits",
             lxcSecStoreContext(label, context(VIR_SECURITY_LABEL_BUFLEN - 1)), 0);
    check("context/longest copied whole",
          strlen(label) == VIR_SECURITY_LABEL_BUFLEN - 1, "length %zu", strlen(label));
    strcpy(label, "before");
    checkInt("context/one too long",
             lxcSecStoreContext(label, context(VIR_SECURITY_LABEL_BUFLEN)), -1);
    checkInt("context/longer than the field",
             lxcSecStoreContext(label, context(LXC_SEC_CONTEXT_MAX - 1)), -1);
    check("context/too long leaves the label", strcmp(label, "before") == 0,
          "got \"%.20s...\"", label);
}

static void
testEnforce(void)
{
    checkInt("enforce/1", lxcSelinuxParseEnforce("1", 1), 1);
    checkInt("enforce/0", lxcSelinuxParseEnforce("0", 1), 0);
    checkInt("enforce/with newline", lxcSelinuxParseEnforce("1\n", 2), 1);
    checkInt("enforce/any other number enforces", lxcSelinuxParseEnforce("2", 1), 1);
    checkInt("enforce/no number is permissive", lxcSelinuxParseEnforce("x", 1), 0);
    checkInt("enforce/empty file", lxcSelinuxParseEnforce("", 0), -1);
}

static void
testExecLen(void)
{
    char label[VIR_SECURITY_LABEL_BUFLEN];

    checkInt("exec/context and its NUL", lxcSelinuxExecLen("a:b:c:s0"), 9);
    checkInt("exec/empty context, the NUL alone", lxcSelinuxExecLen(""), 1);
    memset(label, 'l', sizeof(label));
    checkInt("exec/unterminated field, not past it", lxcSelinuxExecLen(label),
             VIR_SECURITY_LABEL_BUFLEN);
}

static void
testApparmor(void)
{
    char cmd[LXC_AA_CMD_MAX];
    char label[VIR_SECURITY_LABEL_BUFLEN];
    int len;

    check("apparmor/shared attribute", strcmp(lxcApparmorAttr(0),
          "/proc/thread-self/attr/current") == 0, "%s", lxcApparmorAttr(0));
    check("apparmor/stacked LSMs: its own", strcmp(lxcApparmorAttr(1),
          "/proc/thread-self/attr/apparmor/current") == 0, "%s", lxcApparmorAttr(1));

    len = lxcApparmorChangeProfile(cmd, "libvirt-0123");
    check("apparmor/command", len == (int)strlen("changeprofile libvirt-0123") &&
          strcmp(cmd, "changeprofile libvirt-0123") == 0, "%d \"%s\"", len, cmd);
    len = lxcApparmorChangeProfile(cmd, "a profile//with hat");
    check("apparmor/spaces and hats as they are",
          strcmp(cmd, "changeprofile a profile//with hat") == 0, "%d \"%s\"", len, cmd);
    len = lxcApparmorChangeProfile(cmd, "");
    check("apparmor/empty label", len == (int)strlen("changeprofile ") &&
          strcmp(cmd, "changeprofile ") == 0, "%d \"%s\"", len, cmd);
    memset(label, 'p', sizeof(label));
    len = lxcApparmorChangeProfile(cmd, label);
    checkInt("apparmor/unterminated label cut at the field",
             len, (long)strlen("changeprofile ") + VIR_SECURITY_LABEL_BUFLEN - 1);
    checkInt("apparmor/command's length as written", (long)strlen(cmd), len);
}

int
main(void)
{
    testModel();
    testStoreContext();
    testEnforce();
    testExecLen();
    testApparmor();
    return unitSummary();
}
