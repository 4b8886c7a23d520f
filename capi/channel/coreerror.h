/*
 * coreerror.h: making and freeing an lxcCoreError (coreabi.h), the one
 * error record of both programs: the core process fills it when the Go
 * core cannot be asked (helper/main.c), the library when its core process
 * cannot (lib/coreproc_client.c, lib/coreproc_spawn.c), and the channel
 * carries it between them (channel.h's ERROR record, whose decoder
 * malloc()s its strings).
 */
#ifndef LXC_CHANNEL_COREERROR_H
#define LXC_CHANNEL_COREERROR_H

#include <limits.h>

#include "coreabi.h"

/* Room for an error's text that names one path (snprintf cuts what is
 * longer). */
#define LXC_PATH_MSG_MAX (PATH_MAX + 256)

/* Fills @err as a VIR_ERR_INTERNAL_ERROR to format (coreabi.h) with the
 * detail: libvirt-lxc.so.0 raises it with libvirt's template, "internal
 * error: <detail>". */
void lxcCoreSetInternal(lxcCoreError *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Frees the strings of @err and clears it. */
void lxcCoreErrorFree(lxcCoreError *err);

#endif
