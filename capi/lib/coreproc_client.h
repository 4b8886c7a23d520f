/*
 * coreproc_client.h: the caller's end of the core process (see
 * coreproc_client.c).
 */
#ifndef LXC_COREPROC_CLIENT_H
#define LXC_COREPROC_CLIENT_H

#include "../channel/coreabi.h"

/* Same contract as lxcCoreOpenFunc (coreabi.h), served by this process's
 * core process, which the first call starts. Every failure of the core
 * process itself (missing, cannot start, died, malformed answer, no answer
 * within LXC_PROC_TIMEOUT_MS) is VIR_ERR_INTERNAL_ERROR "internal error:
 * <what happened>", and the next call starts a new one. */
int lxcProcOpenNamespace(const lxcCoreRequest *req, int **fds,
                         lxcCoreError *err);

#endif
