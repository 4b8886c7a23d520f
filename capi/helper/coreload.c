/*
 * coreload.c: how the core process (main.c) loads the Go core
 * (libvirt-lxc-core.so) and checks its ABI version. Only the core process
 * loads Go: libvirt-lxc.so.0 never does, it starts this process instead.
 */
#include <dlfcn.h>
#include <stdio.h>

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
