/*
 * proto.h: the channel between libvirt-lxc.so.0 and its core process.
 *
 * Each process that calls virDomainLxcOpenNamespace gets one core process
 * of its own (libvirt-lxc-open, capi/helper/main.c), started on its
 * first call (capi/lib/coreproc_spawn.c) and serving every later call of that
 * process over one SOCK_SEQPACKET socketpair, the channel. The Go runtime
 * runs there, never in the caller.
 *
 * Every message is one SEQPACKET record: the kernel keeps its boundaries,
 * so a short, oversized or interleaved message cannot go unnoticed, and
 * concurrent senders on either end need no lock. Each starts with an
 * lxcProcHeader; replies carry the id of the request they answer, so that
 * concurrent calls from many threads share the channel. Integers are
 * native-endian: both ends are one build on one machine.
 *
 *   LXC_PROC_MSG_OPEN      caller -> core: lxcProcOpen, then the URI bytes,
 *                          then the domain name bytes (no NULs)
 *   LXC_PROC_MSG_FDS       core -> caller: lxcProcFds; the fds, in the
 *                          daemon's order, ride on this very record
 *   LXC_PROC_MSG_ERROR     core -> caller: lxcProcError, then the strings
 *                          that have a length (message, str1, str2, str3)
 *   LXC_PROC_MSG_LOG       core -> caller: lxcProcLog, then its file,
 *                          function and text; sent only for a request whose
 *                          logpriority asked for records, before its reply
 *
 * The core process's standard error is the channel too (its fd 2 is a copy
 * of its end): whatever its Go runtime writes there when it fails (a
 * panic, "fatal error: ...") arrives as records without the magic, which
 * the caller keeps as the core process's last words for the error it
 * reports, and never prints.
 *
 * Both ends write and read records through one codec, channel.c
 * (channel.h), which makes every check described here.
 */
#ifndef LXC_CHANNEL_PROTO_H
#define LXC_CHANNEL_PROTO_H

#include <stdint.h>

#include "coreabi.h"

#define LXC_OPEN_HELPER_FILE "libvirt-lxc-open"
#define LXC_CORE_FILE "libvirt-lxc-core.so"

#define LXC_PROC_CHANNEL_FD 3            /* the core process's end */
#define LXC_PROC_CALLER_FD 4             /* a pidfd of the caller, if any */
#define LXC_PROC_NO_FD_ARG "-"           /* argv for "no caller pidfd" */
#define LXC_PROC_MAGIC 0x4c585035u       /* "LXP5": catches a stray peer, or one of another layout */
#define LXC_PROC_MAX_STRING 16384        /* per string, both directions */
#define LXC_PROC_MAX_FDS 64              /* the daemon sends at most 6 */
#define LXC_PROC_NULL_STRING UINT32_MAX  /* length that encodes NULL */
#define LXC_PROC_ERROR_STRINGS 4         /* message, str1, str2, str3 */
#define LXC_PROC_LOG_STRINGS 3           /* file, function, text */
/* A whole call may take the core's own deadline plus starting the
 * process. */
#define LXC_PROC_START_MARGIN_S 5
#define LXC_PROC_TIMEOUT_MS ((LXC_CORE_CALL_TIMEOUT_S + LXC_PROC_START_MARGIN_S) * 1000)
/* The most of the core process's last words a caller keeps. */
#define LXC_PROC_MAX_SAID 512

typedef enum {
    LXC_PROC_MSG_OPEN = 1,
    LXC_PROC_MSG_FDS = 2,
    LXC_PROC_MSG_ERROR = 3,
    LXC_PROC_MSG_LOG = 4,
} lxcProcMsgKind;

typedef struct {
    uint32_t magic;
    uint32_t kind;           /* lxcProcMsgKind */
    uint64_t id;             /* request id */
} lxcProcHeader;

typedef struct {
    lxcProcHeader hdr;
    uint32_t urilen;
    uint32_t namelen;
    int32_t domid;
    uint32_t flags;
    int32_t driver;          /* lxcCoreDriver */
    uint32_t inflight;       /* the caller's calls on the channel, this one
                              * included: more than 1 asks the core process
                              * for a thread to take the next request */
    int32_t logpriority;     /* lxcCoreRequest's logPriority */
    unsigned char uuid[16];
} lxcProcOpen;

typedef struct {
    lxcProcHeader hdr;
    uint32_t nfds;           /* must equal the fds on the record */
} lxcProcFds;

typedef struct {
    lxcProcHeader hdr;
    int32_t code, domain, level, int1, int2;
    uint32_t len[LXC_PROC_ERROR_STRINGS];
} lxcProcError;

typedef struct {
    lxcProcHeader hdr;       /* the id of the request it was made for */
    int32_t priority;        /* lxcLogPriority */
    int32_t line;
    uint32_t len[LXC_PROC_LOG_STRINGS];
} lxcProcLog;

/* The largest record either end sends. */
#define LXC_PROC_MAX_MSG \
    (sizeof(lxcProcError) + LXC_PROC_ERROR_STRINGS * LXC_PROC_MAX_STRING)

#endif
