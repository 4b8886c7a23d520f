/*
 * channel.c: the codec of the channel between libvirt-lxc.so.0 and its
 * core process (channel.h). Linked into both ends, so that each record
 * kind is written and read by one piece of code, and every check a
 * decoder makes can be unit-tested without a core process.
 *
 * A record comes from a peer that may be broken (a core process that
 * crashed mid-write, another program on fd 3): every length is checked
 * against LXC_PROC_MAX_STRING and against the record's end before any
 * byte is read through it, and the fixed parts are copied out (memcpy) as
 * the receive buffers have no alignment of theirs.
 */
#include <stdlib.h>
#include <string.h>

#include "channel.h"

static const char *const resultNames[] = {
    [LXC_CHAN_OK] = "ok",
    [LXC_CHAN_WORDS] = "words",
    [LXC_CHAN_KIND] = "wrong kind",
    [LXC_CHAN_SHORT] = "too short",
    [LXC_CHAN_LONG_STRING] = "string too long",
    [LXC_CHAN_OVERRUN] = "strings overrun the record",
    [LXC_CHAN_TRAILING] = "trailing bytes",
    [LXC_CHAN_NUL] = "NUL in a string",
    [LXC_CHAN_PRIORITY] = "log priority out of range",
    [LXC_CHAN_FDS_COUNT] = "fd count differs",
    [LXC_CHAN_NO_MEMORY] = "out of memory",
};

const char *
lxcChanResultName(lxcChanResult r)
{
    if ((size_t)r >= sizeof(resultNames) / sizeof(resultNames[0]) || !resultNames[r])
        return "unknown result";
    return resultNames[r];
}

lxcChanResult
lxcChanClassify(const char *buf, size_t len, lxcProcHeader *hdr)
{
    if (len < sizeof(*hdr))
        return LXC_CHAN_WORDS;
    memcpy(hdr, buf, sizeof(*hdr));
    return hdr->magic == LXC_PROC_MAGIC ? LXC_CHAN_OK : LXC_CHAN_WORDS;
}

/* The fixed part (@fixed bytes, starting with an lxcProcHeader) of a
 * record of @kind into @out; see channel.h for the order of the checks. */
static lxcChanResult
decodeFixed(const char *buf, size_t len, void *out, size_t fixed, uint32_t kind)
{
    lxcProcHeader hdr;

    if (len < fixed)
        return LXC_CHAN_SHORT;
    memcpy(out, buf, fixed);
    memcpy(&hdr, out, sizeof(hdr));
    if (hdr.magic != LXC_PROC_MAGIC)
        return LXC_CHAN_WORDS;
    return hdr.kind == kind ? LXC_CHAN_OK : LXC_CHAN_KIND;
}

/* The length a string is sent with: NULL has one of its own, and a longer
 * one is cut, as the decoders refuse it. */
static uint32_t
stringLen(const char *s)
{
    size_t n;

    if (!s)
        return LXC_PROC_NULL_STRING;
    n = strlen(s);
    return n > LXC_PROC_MAX_STRING ? LXC_PROC_MAX_STRING : (uint32_t)n;
}

/* Writes the @n strings after the first @off bytes of @buf, their lengths
 * into @lens. The new length of the record, or 0 if it does not fit. */
static size_t
encodeStrings(char *buf, size_t size, size_t off, const char *const *strs, int n,
              uint32_t *lens)
{
    int i;

    for (i = 0; i < n; i++) {
        lens[i] = stringLen(strs[i]);
        if (lens[i] == LXC_PROC_NULL_STRING)
            continue;
        if (lens[i] > size - off)
            return 0;
        memcpy(buf + off, strs[i], lens[i]);
        off += lens[i];
    }
    return off;
}

/* Copies the @n strings that follow the first @off bytes of the record
 * into @out (malloc()ed), all of them or none. @nullOk: a string may be
 * NULL (LXC_PROC_NULL_STRING). */
static lxcChanResult
decodeStrings(const char *buf, size_t len, size_t off, const uint32_t *lens, int n,
              int nullOk, char **out)
{
    lxcChanResult r = LXC_CHAN_OK;
    int i;

    for (i = 0; i < n; i++)
        out[i] = NULL;
    for (i = 0; i < n && r == LXC_CHAN_OK; i++) {
        if (nullOk && lens[i] == LXC_PROC_NULL_STRING)
            continue;
        if (lens[i] > LXC_PROC_MAX_STRING)
            r = LXC_CHAN_LONG_STRING;
        else if (lens[i] > len - off)
            r = LXC_CHAN_OVERRUN;
        else if (!(out[i] = strndup(buf + off, lens[i])))
            r = LXC_CHAN_NO_MEMORY;
        else
            off += lens[i];
    }
    if (r == LXC_CHAN_OK && off != len)
        r = LXC_CHAN_TRAILING;
    if (r != LXC_CHAN_OK) {
        for (i = 0; i < n; i++) {
            free(out[i]);
            out[i] = NULL;
        }
    }
    return r;
}

/* The header every record starts with. */
static lxcProcHeader
chanHeader(lxcProcMsgKind kind, uint64_t id)
{
    lxcProcHeader h = { .magic = LXC_PROC_MAGIC, .kind = kind, .id = id };

    return h;
}

size_t
lxcChanOpenLen(const lxcProcOpen *rq)
{
    return sizeof(*rq) + (size_t)rq->urilen + rq->namelen;
}

size_t
lxcChanEncodeOpen(char *buf, size_t size, const lxcProcOpen *rq, const char *uri,
                  const char *name)
{
    lxcProcOpen hdr = *rq;

    /* The core process would refuse it. */
    if (rq->urilen > LXC_PROC_MAX_STRING || rq->namelen > LXC_PROC_MAX_STRING ||
        lxcChanOpenLen(rq) > size)
        return 0;
    hdr.hdr = chanHeader(LXC_PROC_MSG_OPEN, rq->hdr.id);
    memcpy(buf, &hdr, sizeof(hdr));
    memcpy(buf + sizeof(hdr), uri, rq->urilen);
    memcpy(buf + sizeof(hdr) + rq->urilen, name, rq->namelen);
    return lxcChanOpenLen(rq);
}

lxcChanResult
lxcChanDecodeOpen(const char *buf, size_t len, lxcProcOpen *rq, const char **strings)
{
    lxcChanResult r = decodeFixed(buf, len, rq, sizeof(*rq), LXC_PROC_MSG_OPEN);

    if (r != LXC_CHAN_OK)
        return r;
    if (rq->urilen > LXC_PROC_MAX_STRING || rq->namelen > LXC_PROC_MAX_STRING)
        return LXC_CHAN_LONG_STRING;
    if (len < lxcChanOpenLen(rq))
        return LXC_CHAN_OVERRUN;
    if (len > lxcChanOpenLen(rq))
        return LXC_CHAN_TRAILING;
    /* The core wants C strings: a NUL would cut them short unseen. */
    if (memchr(buf + sizeof(*rq), '\0', (size_t)rq->urilen + rq->namelen))
        return LXC_CHAN_NUL;
    *strings = buf + sizeof(*rq);
    return LXC_CHAN_OK;
}

size_t
lxcChanEncodeFds(char *buf, size_t size, uint64_t id, uint32_t nfds)
{
    lxcProcFds hdr;

    if (size < sizeof(hdr))
        return 0;
    memset(&hdr, 0, sizeof(hdr));
    hdr.hdr = chanHeader(LXC_PROC_MSG_FDS, id);
    hdr.nfds = nfds;
    memcpy(buf, &hdr, sizeof(hdr));
    return sizeof(hdr);
}

lxcChanResult
lxcChanDecodeFds(const char *buf, size_t len, int received, uint32_t *announced)
{
    lxcProcFds hdr;
    lxcChanResult r = decodeFixed(buf, len, &hdr, sizeof(hdr), LXC_PROC_MSG_FDS);

    if (r == LXC_CHAN_SHORT)
        return r;
    *announced = hdr.nfds;
    if (r != LXC_CHAN_OK)
        return r;
    if (len != sizeof(hdr))
        return LXC_CHAN_TRAILING;
    /* Compared as unsigned: a count over INT_MAX is no fd count. */
    return received >= 0 && hdr.nfds == (uint32_t)received ? LXC_CHAN_OK :
           LXC_CHAN_FDS_COUNT;
}

size_t
lxcChanEncodeError(char *buf, size_t size, uint64_t id, const lxcCoreError *err)
{
    const char *strs[LXC_PROC_ERROR_STRINGS] = {
        err->message, err->str1, err->str2, err->str3,
    };
    lxcProcError hdr;
    size_t len;

    if (size < sizeof(hdr))
        return 0;
    memset(&hdr, 0, sizeof(hdr));
    hdr.hdr = chanHeader(LXC_PROC_MSG_ERROR, id);
    hdr.code = err->code;
    hdr.domain = err->domain;
    hdr.level = err->level;
    hdr.int1 = err->int1;
    hdr.int2 = err->int2;
    len = encodeStrings(buf, size, sizeof(hdr), strs, LXC_PROC_ERROR_STRINGS, hdr.len);
    /* The lengths are known only now. */
    if (len)
        memcpy(buf, &hdr, sizeof(hdr));
    return len;
}

lxcChanResult
lxcChanDecodeError(const char *buf, size_t len, lxcCoreError *err)
{
    lxcProcError hdr;
    char *strs[LXC_PROC_ERROR_STRINGS];
    lxcChanResult r = decodeFixed(buf, len, &hdr, sizeof(hdr), LXC_PROC_MSG_ERROR);

    memset(err, 0, sizeof(*err));
    if (r != LXC_CHAN_OK)
        return r;
    r = decodeStrings(buf, len, sizeof(hdr), hdr.len, LXC_PROC_ERROR_STRINGS, 1, strs);
    if (r != LXC_CHAN_OK)
        return r;
    err->code = hdr.code;
    err->domain = hdr.domain;
    err->level = hdr.level;
    err->message = strs[0];
    err->str1 = strs[1];
    err->str2 = strs[2];
    err->str3 = strs[3];
    err->int1 = hdr.int1;
    err->int2 = hdr.int2;
    return LXC_CHAN_OK;
}

size_t
lxcChanEncodeLog(char *buf, size_t size, uint64_t id, int priority, const char *file,
                 const char *func, int line, const char *text)
{
    const char *strs[LXC_PROC_LOG_STRINGS] = { file, func, text };
    lxcProcLog hdr;
    size_t len;

    if (size < sizeof(hdr))
        return 0;
    memset(&hdr, 0, sizeof(hdr));
    hdr.hdr = chanHeader(LXC_PROC_MSG_LOG, id);
    hdr.priority = priority;
    hdr.line = line;
    len = encodeStrings(buf, size, sizeof(hdr), strs, LXC_PROC_LOG_STRINGS, hdr.len);
    if (len)
        memcpy(buf, &hdr, sizeof(hdr));
    return len;
}

lxcChanResult
lxcChanDecodeLog(const char *buf, size_t len, int nfds, lxcChanLog *log)
{
    lxcProcLog hdr;
    char *strs[LXC_PROC_LOG_STRINGS];
    lxcChanResult r = decodeFixed(buf, len, &hdr, sizeof(hdr), LXC_PROC_MSG_LOG);

    memset(log, 0, sizeof(*log));
    if (r == LXC_CHAN_SHORT)
        return r;
    /* The caller checks whether the request asked for it before it looks
     * at the rest. */
    log->id = hdr.hdr.id;
    log->priority = hdr.priority;
    log->line = hdr.line;
    if (r != LXC_CHAN_OK)
        return r;
    r = decodeStrings(buf, len, sizeof(hdr), hdr.len, LXC_PROC_LOG_STRINGS, 0, strs);
    if (r != LXC_CHAN_OK)
        return r;
    if (nfds != 0)
        r = LXC_CHAN_FDS_COUNT;
    else if (hdr.priority < LXC_LOG_DEBUG || hdr.priority > LXC_LOG_ERROR)
        r = LXC_CHAN_PRIORITY;
    if (r != LXC_CHAN_OK) {
        free(strs[0]);
        free(strs[1]);
        free(strs[2]);
        return r;
    }
    log->file = strs[0];
    log->func = strs[1];
    log->text = strs[2];
    return LXC_CHAN_OK;
}

void
lxcChanLogFree(lxcChanLog *log)
{
    free(log->file);
    free(log->func);
    free(log->text);
    memset(log, 0, sizeof(*log));
}
