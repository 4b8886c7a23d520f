/*
 * hostkind.h: where this process's OpenNamespace calls are served.
 */
#ifndef LXC_HOSTKIND_H
#define LXC_HOSTKIND_H

typedef enum {
    LXC_SERVED_BY_CORE_PROCESS = 0, /* capi/coreproc/: the default */
    LXC_SERVED_IN_PROCESS = 1,      /* capi/inprocess.c */
} lxcServedBy;

/* Decided on the first call of each process (a forked child decides
 * again) and kept: see hostkind.c. */
lxcServedBy lxcHostServedBy(void);

#endif
