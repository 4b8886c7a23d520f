/*
 * coreload.h: what libvirt-lxc.so.0 (inprocess.c, coreproc/client.c) and
 * its core process (coreproc/server.c) both do with the Go core.
 */
#ifndef LXC_CORELOAD_H
#define LXC_CORELOAD_H

#include <stddef.h>

#include "coreabi.h"

/* dlopen()s the core at @path and returns its OpenNamespace entry after
 * checking its ABI version (a call into Go: it binds the calling thread to
 * the Go runtime); NULL with a sentence in @errbuf on failure. @version,
 * when not NULL, gets the core's version function. */
lxcCoreOpenFunc lxcCoreDlopen(const char *path, lxcCoreVersionFunc *version,
                              char *errbuf, size_t errlen);

/* Fills @err as a VIR_ERR_INTERNAL_ERROR to format (coreabi.h) with the
 * detail: libvirt-lxc.so.0 raises it with libvirt's template, "internal
 * error: <detail>". */
void lxcCoreSetInternal(lxcCoreError *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Frees the strings of @err and clears it. */
void lxcCoreErrorFree(lxcCoreError *err);

#endif
