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
        { "flags", { .model = "none", .label = "x", .flags = 1 } },
        { "flags_before_null_model", { .model = NULL, .label = NULL, .flags = 2 } },
        { "model_null", { .model = NULL, .label = "x" } },
        { "label_null", { .model = "none", .label = NULL } },
        { "label_null_oldlabel_untouched", { .model = "none", .label = NULL, .oldlabel = 1 } },
        { "none", { .model = "none", .label = "x" } },
        { "none_oldlabel_zeroed", { .model = "none", .label = "x", .oldlabel = 1 } },
        { "selinux", { .model = "selinux", .label = "system_u:system_r:svirt_lxc_net_t:s0" } },
        { "selinux_oldlabel",
          { .model = "selinux", .label = "system_u:system_r:svirt_lxc_net_t:s0", .oldlabel = 1 } },
        { "selinux_long_label", { .model = "selinux", .label = "LONG" } },
        { "apparmor", { .model = "apparmor", .label = "libvirt-0123" } },
        { "apparmor_oldlabel_zeroed",
          { .model = "apparmor", .label = "libvirt-0123", .oldlabel = 1 } },
        { "unknown_model", { .model = "smack", .label = "x" } },
        { "empty_model", { .model = "", .label = "x" } },
        { "unknown_model_handlers", { .model = "smack", .label = "x", .handlers = 1 } },
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
