/*
 * channel.h: the codec of the channel between libvirt-lxc.so.0 and its
 * core process (proto.h describes the channel and its records).
 *
 * One encoder and one decoder per record kind, and the classifier that
 * tells a record from the core process's words. They work on byte buffers
 * only: no socket, no lock, no libvirt. Sending and receiving (with the
 * fds of an FDS record as SCM_RIGHTS) stay with the two ends (lib/coreproc_client.c and
 * helper/main.c), so that each record is written and read in one place and the codec can be
 * tested on its own (tests/unit/channel_unit.c).
 *
 * Encoders return the record's length, or 0 when it does not fit in the
 * buffer (or could not be decoded: an OPEN string over
 * LXC_PROC_MAX_STRING). Decoders return an lxcChanResult; every decoder
 * first checks the length of its kind's fixed part (LXC_CHAN_SHORT: nothing
 * decoded), then the magic (LXC_CHAN_WORDS) and the kind (LXC_CHAN_KIND),
 * and decodes the fixed part on any result but LXC_CHAN_SHORT, so that a
 * malformed request can still be answered by its id.
 */
#ifndef LXC_CHANNEL_H
#define LXC_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include "coreabi.h"
#include "proto.h"

/* What a decoder made of a record. The callers name the malformed ones in
 * their own words; lxcChanResultName is for tests and debug output. */
typedef enum {
    LXC_CHAN_OK = 0,
    LXC_CHAN_WORDS,             /* no header or not the magic: the core
                                 * process's words (its stderr) */
    LXC_CHAN_KIND,              /* a record of another kind */
    LXC_CHAN_SHORT,             /* shorter than its kind's fixed part */
    LXC_CHAN_LONG_STRING,       /* a string length over LXC_PROC_MAX_STRING */
    LXC_CHAN_OVERRUN,           /* strings past the end of the record */
    LXC_CHAN_TRAILING,          /* bytes after the record's last string */
    LXC_CHAN_NUL,               /* a NUL inside the URI or the domain name */
    LXC_CHAN_PRIORITY,          /* a log priority outside lxcLogPriority */
    LXC_CHAN_FDS_COUNT,         /* fds on the record other than announced */
    LXC_CHAN_NO_MEMORY,         /* a string could not be copied */
} lxcChanResult;

const char *lxcChanResultName(lxcChanResult r);

/* Words or a record: LXC_CHAN_WORDS, or LXC_CHAN_OK with @hdr (its kind
 * and the id of the request it is for) filled. */
lxcChanResult lxcChanClassify(const char *buf, size_t len, lxcProcHeader *hdr);

/* OPEN, caller -> core: @rq's fields but its magic and kind, then the
 * rq->urilen bytes of @uri and the rq->namelen bytes of @name. */
size_t lxcChanOpenLen(const lxcProcOpen *rq);
size_t lxcChanEncodeOpen(char *buf, size_t size, const lxcProcOpen *rq,
                         const char *uri, const char *name);
/* @strings points into @buf: the URI, then the name, neither terminated. */
lxcChanResult lxcChanDecodeOpen(const char *buf, size_t len, lxcProcOpen *rq,
                                const char **strings);

/* FDS, core -> caller: @nfds fds ride on the record (SCM_RIGHTS). The
 * decoder compares the count announced (*@announced) with the @received
 * fds that came with it (LXC_CHAN_FDS_COUNT). */
size_t lxcChanEncodeFds(char *buf, size_t size, uint64_t id, uint32_t nfds);
lxcChanResult lxcChanDecodeFds(const char *buf, size_t len, int received,
                               uint32_t *announced);

/* ERROR, core -> caller. Strings longer than LXC_PROC_MAX_STRING are cut
 * there. The decoder fills @err on LXC_CHAN_OK only, its strings
 * malloc()ed (lxcCoreErrorFree); on failure @err is zeroed. */
size_t lxcChanEncodeError(char *buf, size_t size, uint64_t id,
                          const lxcCoreError *err);
lxcChanResult lxcChanDecodeError(const char *buf, size_t len, lxcCoreError *err);

/* A LOG record, decoded. */
typedef struct {
    uint64_t id;                /* the request it was made for */
    int priority;               /* lxcLogPriority */
    int line;
    char *file, *func, *text;   /* malloc()ed; set on LXC_CHAN_OK only */
} lxcChanLog;

/* LOG, core -> caller: lxcCoreLogFunc's arguments, strings cut at
 * LXC_PROC_MAX_STRING. No fd rides on it (@nfds must be 0). */
size_t lxcChanEncodeLog(char *buf, size_t size, uint64_t id, int priority,
                        const char *file, const char *func, int line,
                        const char *text);
lxcChanResult lxcChanDecodeLog(const char *buf, size_t len, int nfds,
                               lxcChanLog *log);
void lxcChanLogFree(lxcChanLog *log);

#endif
