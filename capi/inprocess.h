/*
 * inprocess.h: the Go core loaded into the caller itself, for the one kind
 * of host that may run it (see hostkind.c).
 */
#ifndef LXC_INPROCESS_H
#define LXC_INPROCESS_H

#include "coreabi.h"

/* Same contract as lxcCoreOpenFunc (coreabi.h); the first call loads the
 * core (a failure to load is VIR_ERR_INTERNAL_ERROR saying why). */
int lxcInProcessOpen(const lxcCoreRequest *req, int **fds, lxcCoreError *err);

#endif
