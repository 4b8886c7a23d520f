/*
 * enter_seclabel: every check and outcome of virDomainLxcEnterSecurityLabel
 * on this host (no SELinux, no AppArmor, so those models take their error
 * paths). One line per scenario, see tc.h.
 */
#include "tc.h"

typedef struct {
    const char *model;     /* NULL: pass a NULL model */
    const char *label;     /* NULL: pass a NULL label; "LONG": 4096 x 'a' */
    int oldlabel;          /* pass an oldlabel filled with junk */
    unsigned int flags;
    int handlers;
} slCase;

static int
slRun(void *opaque)
{
    const slCase *c = opaque;
    virSecurityModel model;
    virSecurityLabel label, old;
    int ret;

    memset(&model, 0, sizeof(model));
    memset(&label, 0, sizeof(label));
    memset(&old, 'x', sizeof(old));
    if (c->model)
        snprintf(model.model, sizeof(model.model), "%s", c->model);
    if (c->label && strcmp(c->label, "LONG") == 0)
        memset(label.label, 'a', VIR_SECURITY_LABEL_BUFLEN - 1);
    else if (c->label)
        snprintf(label.label, sizeof(label.label), "%s", c->label);
    if (c->handlers)
        tcHandlers(NULL);

    ret = virDomainLxcEnterSecurityLabel(c->model ? &model : NULL,
                                         c->label ? &label : NULL,
                                         c->oldlabel ? &old : NULL, c->flags);
    if (c->oldlabel) {
        size_t i, junk = 0;

        for (i = 0; i < sizeof(old.label); i++)
            junk += old.label[i] != 0;
        tcExtra("old.label.nonzero=%zu old.enforcing=%d", junk, old.enforcing);
    }
    return ret;
}

int
main(void)
{
    static const struct { const char *name; slCase c; } cases[] = {
        { "flags", { "none", "x", 0, 1, 0 } },
        { "flags_before_null_model", { NULL, NULL, 0, 2, 0 } },
        { "model_null", { NULL, "x", 0, 0, 0 } },
        { "label_null", { "none", NULL, 0, 0, 0 } },
        { "label_null_oldlabel_untouched", { "none", NULL, 1, 0, 0 } },
        { "none", { "none", "x", 0, 0, 0 } },
        { "none_oldlabel_zeroed", { "none", "x", 1, 0, 0 } },
        { "selinux", { "selinux", "system_u:system_r:svirt_lxc_net_t:s0", 0, 0, 0 } },
        { "selinux_oldlabel", { "selinux", "system_u:system_r:svirt_lxc_net_t:s0", 1, 0, 0 } },
        { "selinux_long_label", { "selinux", "LONG", 0, 0, 0 } },
        { "apparmor", { "apparmor", "libvirt-0123", 0, 0, 0 } },
        { "apparmor_oldlabel_zeroed", { "apparmor", "libvirt-0123", 1, 0, 0 } },
        { "unknown_model", { "smack", "x", 0, 0, 0 } },
        { "empty_model", { "", "x", 0, 0, 0 } },
        { "unknown_model_handlers", { "smack", "x", 0, 0, 1 } },
    };
    size_t i;

    /* libvirt's last-error slot exists only after initialisation; the
     * system library crashes without it (ours initialises itself). */
    if (virInitialize() < 0)
        return 2;
    tcPrintLib();
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        tcRun(cases[i].name, slRun, (void *)&cases[i].c);
    return 0;
}
