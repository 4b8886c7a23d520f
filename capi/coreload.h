/*
 * coreload.h: what libvirt-lxc.so.0 (loader.c, outofprocess.c) and the
 * libvirt-lxc-open helper (open_helper.c) both do with the Go core.
 */
#ifndef LXC_CORELOAD_H
#define LXC_CORELOAD_H

#include <stddef.h>

#include "coreabi.h"

/* dlopen()s the core at @path and returns its OpenNamespace entry after
 * checking its ABI version; NULL with a sentence in @errbuf on failure. */
lxcCoreOpenFunc lxcCoreDlopen(const char *path, char *errbuf, size_t errlen);

/* Fills @err as libvirt's VIR_ERR_INTERNAL_ERROR: message "internal error:
 * <detail>", str1 "internal error: %s", str2 the detail, ints -1. */
void lxcCoreSetInternal(lxcCoreError *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Frees the strings of @err and clears it. */
void lxcCoreErrorFree(lxcCoreError *err);

#endif
