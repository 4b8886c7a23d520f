/* loader.h: the Go core, loaded on first use (see loader.c). */
#ifndef LXC_LOADER_H
#define LXC_LOADER_H

#include "coreabi.h"

/* The core's OpenNamespace entry, loading the core on the first call.
 * NULL with a libvirt error set when it cannot be loaded or must not be
 * used (a child forked after it was loaded). */
lxcCoreOpenFunc lxcCoreGet(const char *funcname);

/* 1 in a child forked after the core was loaded, else 0. */
int lxcCoreForkedAfterLoad(void);

#endif
