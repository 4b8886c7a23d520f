/*
 * coreerror.c: making and freeing an lxcCoreError, in both programs
 * (coreerror.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Only for the numbers: the core process does not link libvirt. */
#include <libvirt/virterror.h>

#include "coreerror.h"

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
