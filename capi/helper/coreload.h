/*
 * coreload.h: how the core process (main.c) loads the Go core; the only
 * place where C loads Go.
 */
#ifndef LXC_HELPER_CORELOAD_H
#define LXC_HELPER_CORELOAD_H

#include <stddef.h>

#include "../channel/coreabi.h"

/* dlopen()s the core at @path and returns its OpenNamespace entry after
 * checking its ABI version (a call into Go: it binds the calling thread to
 * the Go runtime); NULL with a sentence in @errbuf on failure. @version,
 * when not NULL, gets the core's version function. */
lxcCoreOpenFunc lxcCoreDlopen(const char *path, lxcCoreVersionFunc *version,
                              char *errbuf, size_t errlen);

#endif
