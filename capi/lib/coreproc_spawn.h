/*
 * coreproc_spawn.h: starting a caller's core process, invisibly (see
 * coreproc_spawn.c).
 */
#ifndef LXC_COREPROC_SPAWN_H
#define LXC_COREPROC_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

#include "../channel/coreabi.h"

/* Starts libvirt-lxc-open for this process (see coreproc_spawn.c). On success returns 0 with
 * *fd the caller's end of the channel (close-on-exec), *pid the core
 * process and @path (of @pathlen bytes) the program that runs it. On
 * failure returns -1 with @err set (VIR_ERR_INTERNAL_ERROR saying what
 * failed) and nothing left behind. */
int lxcProcSpawn(int *fd, pid_t *pid, char *path, size_t pathlen,
                 lxcCoreError *err);

/* For an error text about a failure with @errnum: names the limit that
 * was hit (" (...)" for EMFILE, ENFILE, EAGAIN), "" for any other errno. */
const char *lxcProcLimitHint(int errnum);

#endif
