/*
 * outofprocess.h: virDomainLxcOpenNamespace done by a helper program.
 *
 * Loading the Go core starts the Go runtime, which makes the caller
 * multi-threaded for good, and a multi-threaded process can never setns()
 * into another user namespace. So a caller that is still single-threaded
 * (virt-login-shell's helper), or a child forked after the core was loaded
 * in its parent (where the inherited Go runtime is dead), gets its fds from
 * a short-lived helper, libvirt-lxc-open, that lives beside the core and
 * loads it instead.
 *
 * Wire protocol over a SOCK_SEQPACKET socketpair (message boundaries come
 * from the kernel, so a short or oversized message is always detected), the
 * helper's end being its fd 3. Integers are native-endian: both ends are the
 * same build on the same machine.
 *
 *   request  (library -> helper), one message:
 *     lxcOopRequestHeader, then uri bytes, then name bytes (no NULs)
 *   reply    (helper -> library):
 *     1. one message: lxcOopReplyHeader
 *     2. status > 0: one message of 1 byte carrying ALL status fds in a single
 *        SCM_RIGHTS control message, in the daemon's order;
 *        status == -1: one message with the error strings that have a length
 *        (message, str1, str2, str3 concatenated, no NULs); none if all are
 *        NULL; status == 0: nothing.
 *   status == LXC_OOP_EXEC_FAILED is sent by the forked child itself when
 *   execve() fails, with errnum set.
 */
#ifndef LXC_OUTOFPROCESS_H
#define LXC_OUTOFPROCESS_H

#include <stddef.h>
#include <stdint.h>

#include "coreabi.h"

#define LXC_OPEN_HELPER_FILE "libvirt-lxc-open"
#define LXC_CORE_FILE "libvirt-lxc-core.so"
#define LXC_OOP_FD 3                     /* the helper's end of the socket */
#define LXC_OOP_MAGIC 0x4c584f31u        /* "LXO1": catches a stray peer */
#define LXC_OOP_MAX_STRING 16384         /* per string, both directions */
#define LXC_OOP_MAX_FDS 64               /* the daemon sends at most 6 */
#define LXC_OOP_NULL_STRING UINT32_MAX   /* length that encodes NULL */
#define LXC_OOP_EXEC_FAILED (-2)

typedef struct {
    uint32_t magic;
    uint32_t urilen;
    uint32_t namelen;
    int32_t id;
    uint32_t flags;
    int32_t readonly;
    unsigned char uuid[16];
} lxcOopRequestHeader;

typedef struct {
    uint32_t magic;
    int32_t status;          /* fd count, -1 error, LXC_OOP_EXEC_FAILED */
    int32_t errnum;          /* errno of a failed execve() */
    int32_t code, domain, level, int1, int2;
    uint32_t len[4];         /* message, str1, str2, str3 */
} lxcOopReplyHeader;

/* Same contract as lxcCoreOpenFunc (coreabi.h). Every failure of the helper
 * itself (missing, cannot run, crashed, malformed answer, 60 s timeout)
 * becomes VIR_ERR_INTERNAL_ERROR "internal error: <what happened>". */
int lxcOpenOutOfProcess(const lxcCoreRequest *req, int **fds,
                        lxcCoreError *err);

/* 0 when the helper exists beside the core (path in @path), else -1. */
int lxcOpenHelperFind(char *path, size_t len);

#endif
