/*
 * coreload.c: loading the Go core and describing failures as libvirt
 * errors, for both the library and its core process (libvirt-lxc-open).
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Only for the numbers: the core process does not link libvirt. */
#include <libvirt/virterror.h>

#include "coreload.h"

lxcCoreOpenFunc
lxcCoreDlopen(const char *path, lxcCoreVersionFunc *versionOut, char *errbuf,
              size_t errlen)
{
    void *handle;
    lxcCoreVersionFunc version;
    lxcCoreOpenFunc coreOpen;

    if (!(handle = dlopen(path, RTLD_NOW | RTLD_LOCAL))) {
        snprintf(errbuf, errlen, "cannot load the Go core of libvirt-lxc.so.0: %s",
                 dlerror());
        return NULL;
    }
    /* On a mismatch the handle is kept: a started Go runtime cannot be
     * unloaded. */
    version = (lxcCoreVersionFunc)dlsym(handle, LXC_CORE_VERSION_SYMBOL);
    if (!version || version() != LXC_CORE_ABI_VERSION) {
        snprintf(errbuf, errlen,
                 "%s does not match this libvirt-lxc.so.0 (core ABI %d expected)",
                 path, LXC_CORE_ABI_VERSION);
        return NULL;
    }
    if (!(coreOpen = (lxcCoreOpenFunc)dlsym(handle, LXC_CORE_OPEN_SYMBOL)))
        snprintf(errbuf, errlen, "%s lacks %s", path, LXC_CORE_OPEN_SYMBOL);
    else if (versionOut)
        *versionOut = version;
    return coreOpen;
}

void
lxcCoreSetInternal(lxcCoreError *err, const char *fmt, ...)
{
    char detail[4096 + 512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    /* To format (coreabi.h): the core process has no libvirt.so.0 and so
     * none of its templates, so message and str1 stay NULL. The fields are
     * those of the Go core's InternalError (tests/abi/core_errors.c). */
    memset(err, 0, sizeof(*err));
    err->code = VIR_ERR_INTERNAL_ERROR;
    err->domain = VIR_FROM_NONE;
    err->level = VIR_ERR_ERROR;
    err->str2 = strdup(detail); /* NULL when out of memory: an empty detail */
    err->int1 = -1;
    err->int2 = -1;
}

void
lxcCoreErrorFree(lxcCoreError *err)
{
    free(err->message);
    free(err->str1);
    free(err->str2);
    free(err->str3);
    memset(err, 0, sizeof(*err));
}
