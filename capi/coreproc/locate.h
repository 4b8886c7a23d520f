/* loader.h: the Go core, loaded on first use (see loader.c). */
#ifndef LXC_LOADER_H
#define LXC_LOADER_H

#include <stddef.h>

#include "coreabi.h"

/* The core's OpenNamespace entry, loading the core on the first call.
 * NULL with a libvirt error set when it cannot be loaded or must not be
 * used (a child forked after it was loaded). */
lxcCoreOpenFunc lxcCoreGet(const char *funcname);

/* 1 when the core is loaded and usable in this very process, else 0. */
int lxcCoreLoadedHere(void);

/* Finds @file where the core is looked for: <dir of libvirt-lxc.so.0>/
 * LXC_CORE_SUBDIR/@file (installed), else <dir>/@file (build tree).
 * 0 with @path set; -1 with @path naming the installed location, or empty
 * when the library's own directory is unknown. */
int lxcCoreFindFile(const char *file, char *path, size_t len);

/* 1 in a child forked after the core was loaded, else 0. */
int lxcCoreForkedAfterLoad(void);

#endif
