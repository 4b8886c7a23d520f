/*
 * Unit tests of the channel's codec (capi/channel/channel.c): a round
 * trip of every record kind, and every way each decoder refuses a record,
 * on byte buffers alone (no core process, no daemon, no root). The
 * malformed records are made by encoding a good one and changing one
 * field, so each case tests one check. Each case is named in the output;
 * the program exits 1 if any fails.
 */
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "unit.h"

/* Room for the largest record and a byte more (trailing-byte cases), at an
 * offset of 1 where a case wants it unaligned. */
static char buf[LXC_PROC_MAX_MSG + 16];
static char big[LXC_PROC_MAX_STRING + 16];   /* "aaa...": long strings */
static char other[LXC_PROC_MAX_STRING + 16]; /* "bbb...", to tell them apart */

static void
expect(const char *name, lxcChanResult got, lxcChanResult want)
{
    check(name, got == want, "got %s, want %s", lxcChanResultName(got),
          lxcChanResultName(want));
}

/* Overwrites the 32-bit field at @off of the record in buf. */
static void
patch32(size_t off, uint32_t v)
{
    memcpy(buf + off, &v, sizeof(v));
}

static int
sameString(const char *got, const char *want, size_t wantLen)
{
    if (!got || !want)
        return got == want;
    return strlen(got) == wantLen && memcmp(got, want, wantLen) == 0;
}

static void
testClassify(void)
{
    const char words[] = "fatal error: runtime: out of memory\n";
    lxcProcHeader hdr;
    size_t len;

    expect("classify/empty is words", lxcChanClassify(buf, 0, &hdr), LXC_CHAN_WORDS);
    expect("classify/stderr text is words",
           lxcChanClassify(words, sizeof(words) - 1, &hdr), LXC_CHAN_WORDS);
    len = lxcChanEncodeFds(buf, sizeof(buf), 42, 0);
    expect("classify/header cut short is words",
           lxcChanClassify(buf, sizeof(hdr) - 1, &hdr), LXC_CHAN_WORDS);
    memset(&hdr, 0, sizeof(hdr));
    expect("classify/record", lxcChanClassify(buf, len, &hdr), LXC_CHAN_OK);
    check("classify/record's kind and id", hdr.kind == LXC_PROC_MSG_FDS && hdr.id == 42,
          "kind %u id %llu", hdr.kind, (unsigned long long)hdr.id);
    patch32(offsetof(lxcProcHeader, magic), LXC_PROC_MAGIC + 1);
    expect("classify/other magic is words", lxcChanClassify(buf, len, &hdr),
           LXC_CHAN_WORDS);
}

/* An OPEN request like the caller's at @at, with @urilen bytes of big and
 * @namelen of other; its length. */
static size_t
encodeOpen(char *at, size_t urilen, size_t namelen)
{
    lxcProcOpen rq;

    memset(&rq, 0, sizeof(rq));
    rq.hdr.id = 7;
    rq.urilen = urilen;
    rq.namelen = namelen;
    rq.domid = -1;
    rq.flags = 0x5;
    rq.driver = LXC_CORE_DRIVER_REMOTE;
    rq.inflight = 3;
    rq.logpriority = LXC_LOG_INFO;
    memset(rq.uuid, 0xab, sizeof(rq.uuid));
    return lxcChanEncodeOpen(at, sizeof(buf) - (size_t)(at - buf), &rq, big, other);
}

static void
openRoundTrip(const char *name, char *at, size_t urilen, size_t namelen)
{
    size_t len = encodeOpen(at, urilen, namelen);
    const char *strings = NULL;
    lxcProcOpen rq;
    lxcChanResult r = lxcChanDecodeOpen(at, len, &rq, &strings);

    check(name, r == LXC_CHAN_OK && len == sizeof(rq) + urilen + namelen &&
          rq.hdr.id == 7 && rq.urilen == urilen && rq.namelen == namelen &&
          rq.domid == -1 && rq.flags == 0x5 && rq.driver == LXC_CORE_DRIVER_REMOTE &&
          rq.inflight == 3 && rq.logpriority == LXC_LOG_INFO && rq.uuid[15] == 0xab &&
          strings == at + sizeof(rq) && memcmp(strings, big, urilen) == 0 &&
          memcmp(strings + urilen, other, namelen) == 0,
          "%s, length %zu", lxcChanResultName(r), len);
}

static void
testOpenRoundTrip(void)
{
    lxcProcOpen rq;

    openRoundTrip("open/round trip", buf, 14, 12);
    openRoundTrip("open/round trip, empty URI and name", buf, 0, 0);
    openRoundTrip("open/round trip, longest URI and name", buf,
                  LXC_PROC_MAX_STRING, LXC_PROC_MAX_STRING);
    openRoundTrip("open/round trip, unaligned buffer", buf + 1, 14, 12);
    memset(&rq, 0, sizeof(rq));
    rq.urilen = LXC_PROC_MAX_STRING + 1;
    check("open/encoder refuses a URI over the maximum",
          lxcChanEncodeOpen(buf, sizeof(buf), &rq, big, big) == 0, "encoded");
    rq.urilen = 1;
    rq.namelen = LXC_PROC_MAX_STRING + 1;
    check("open/encoder refuses a name over the maximum",
          lxcChanEncodeOpen(buf, sizeof(buf), &rq, big, big) == 0, "encoded");
    rq.namelen = 1;
    check("open/encoder refuses a buffer too small",
          lxcChanEncodeOpen(buf, sizeof(rq) + 1, &rq, big, big) == 0, "encoded");
}

static lxcChanResult
decodeOpen(size_t len, lxcProcOpen *rq)
{
    const char *strings;

    return lxcChanDecodeOpen(buf, len, rq, &strings);
}

static void
testOpenMalformed(void)
{
    size_t len = encodeOpen(buf, 14, 12);
    lxcProcOpen rq;

    expect("open/too short", decodeOpen(sizeof(rq) - 1, &rq), LXC_CHAN_SHORT);
    expect("open/longer than announced", decodeOpen(len + 1, &rq), LXC_CHAN_TRAILING);
    expect("open/shorter than announced", decodeOpen(len - 1, &rq), LXC_CHAN_OVERRUN);
    patch32(offsetof(lxcProcOpen, urilen), LXC_PROC_MAX_STRING + 1);
    expect("open/URI length over the maximum", decodeOpen(len, &rq),
           LXC_CHAN_LONG_STRING);
    patch32(offsetof(lxcProcOpen, urilen), LXC_PROC_NULL_STRING);
    expect("open/URI length UINT32_MAX", decodeOpen(len, &rq), LXC_CHAN_LONG_STRING);
    patch32(offsetof(lxcProcOpen, urilen), 14);
    patch32(offsetof(lxcProcOpen, namelen), LXC_PROC_MAX_STRING + 1);
    expect("open/name length over the maximum", decodeOpen(len, &rq),
           LXC_CHAN_LONG_STRING);
    patch32(offsetof(lxcProcOpen, namelen), 12);
    expect("open/restored", decodeOpen(len, &rq), LXC_CHAN_OK);
    buf[sizeof(rq) + 3] = '\0';
    expect("open/NUL inside the URI", decodeOpen(len, &rq), LXC_CHAN_NUL);
    buf[sizeof(rq) + 3] = 'a';
    buf[len - 1] = '\0';
    expect("open/NUL inside the name", decodeOpen(len, &rq), LXC_CHAN_NUL);
    buf[len - 1] = 'b';
    patch32(offsetof(lxcProcHeader, kind), LXC_PROC_MSG_ERROR);
    expect("open/other kind", decodeOpen(len, &rq), LXC_CHAN_KIND);
    patch32(offsetof(lxcProcHeader, magic), 0x0a0a0a0a);
    rq.hdr.id = 0;
    expect("open/other magic is words", decodeOpen(len, &rq), LXC_CHAN_WORDS);
    /* serve() answers a malformed request by its id. */
    check("open/id decoded from a malformed request", rq.hdr.id == 7,
          "id %llu", (unsigned long long)rq.hdr.id);
}

static void
fdsRoundTrip(const char *name, uint64_t id, uint32_t n)
{
    size_t len = lxcChanEncodeFds(buf, sizeof(buf), id, n);
    uint32_t announced = UINT32_MAX;
    lxcProcHeader hdr;
    lxcChanResult r = lxcChanDecodeFds(buf, len, (int)n, &announced);

    check(name, r == LXC_CHAN_OK && len == sizeof(lxcProcFds) && announced == n &&
          lxcChanClassify(buf, len, &hdr) == LXC_CHAN_OK && hdr.id == id,
          "%s, %u fds", lxcChanResultName(r), announced);
}

static void
testFds(void)
{
    size_t len;
    uint32_t announced;

    fdsRoundTrip("fds/round trip", 9, 6);
    fdsRoundTrip("fds/round trip, zero fds", 10, 0);
    fdsRoundTrip("fds/round trip, most fds", UINT64_MAX, LXC_PROC_MAX_FDS);
    check("fds/encoder refuses a buffer too small",
          lxcChanEncodeFds(buf, sizeof(lxcProcFds) - 1, 1, 1) == 0, "encoded");
    len = lxcChanEncodeFds(buf, sizeof(buf), 11, 3);
    expect("fds/too short", lxcChanDecodeFds(buf, len - 1, 3, &announced),
           LXC_CHAN_SHORT);
    expect("fds/trailing byte", lxcChanDecodeFds(buf, len + 1, 3, &announced),
           LXC_CHAN_TRAILING);
    expect("fds/fewer than announced", lxcChanDecodeFds(buf, len, 2, &announced),
           LXC_CHAN_FDS_COUNT);
    check("fds/announced count decoded", announced == 3, "%u", announced);
    expect("fds/more than announced", lxcChanDecodeFds(buf, len, 4, &announced),
           LXC_CHAN_FDS_COUNT);
    patch32(offsetof(lxcProcFds, nfds), (uint32_t)INT_MAX + 1);
    expect("fds/count over INT_MAX", lxcChanDecodeFds(buf, len, 0, &announced),
           LXC_CHAN_FDS_COUNT);
    patch32(offsetof(lxcProcFds, nfds), 3);
    patch32(offsetof(lxcProcHeader, kind), LXC_PROC_MSG_LOG);
    expect("fds/other kind", lxcChanDecodeFds(buf, len, 3, &announced), LXC_CHAN_KIND);
    patch32(offsetof(lxcProcHeader, magic), 0);
    expect("fds/other magic is words", lxcChanDecodeFds(buf, len, 3, &announced),
           LXC_CHAN_WORDS);
}

/* Encodes @in, decodes it, and compares. */
static void
errorRoundTrip(const char *name, const lxcCoreError *in, const char *const *want,
               const size_t *wantLen)
{
    size_t len = lxcChanEncodeError(buf, sizeof(buf), 5, in);
    lxcCoreError out;
    lxcChanResult r = lxcChanDecodeError(buf, len, &out);

    check(name, r == LXC_CHAN_OK && out.code == in->code && out.domain == in->domain &&
          out.level == in->level && out.int1 == in->int1 && out.int2 == in->int2 &&
          sameString(out.message, want[0], wantLen[0]) &&
          sameString(out.str1, want[1], wantLen[1]) &&
          sameString(out.str2, want[2], wantLen[2]) &&
          sameString(out.str3, want[3], wantLen[3]),
          "%s, length %zu", lxcChanResultName(r), len);
    free(out.message);
    free(out.str1);
    free(out.str2);
    free(out.str3);
}

static void
testErrorRoundTrip(void)
{
    lxcCoreError e = { 1, 10, 2, "internal error: x", "internal error: %s", "x", "",
                       -1, 38 };
    const char *strs[4] = { "internal error: x", "internal error: %s", "x", "" };
    size_t lens[4] = { 17, 18, 1, 0 };
    const char *nulls[4] = { NULL, NULL, "x", NULL };

    errorRoundTrip("error/round trip", &e, strs, lens);
    e.message = e.str1 = e.str3 = NULL;
    errorRoundTrip("error/round trip, NULL strings", &e, nulls, lens);
    e.str2 = NULL;
    nulls[2] = NULL;
    errorRoundTrip("error/round trip, no strings", &e, nulls, lens);
    big[LXC_PROC_MAX_STRING] = '\0';
    e.message = e.str1 = e.str2 = e.str3 = big;
    strs[0] = strs[1] = strs[2] = strs[3] = big;
    lens[0] = lens[1] = lens[2] = lens[3] = LXC_PROC_MAX_STRING;
    errorRoundTrip("error/round trip, longest strings", &e, strs, lens);
    big[LXC_PROC_MAX_STRING] = 'a';
    big[sizeof(big) - 1] = '\0';
    errorRoundTrip("error/encoder cuts strings over the maximum", &e, strs, lens);
    big[sizeof(big) - 1] = 'a';
    e.message = "m";
    e.str1 = e.str2 = e.str3 = NULL;
    check("error/encoder refuses a buffer too small",
          lxcChanEncodeError(buf, sizeof(lxcProcError), 1, &e) == 0 &&
          lxcChanEncodeError(buf, sizeof(lxcProcError) - 1, 1, &e) == 0, "encoded");
}

/* Decodes the first @len bytes of buf as an ERROR record: @want, and a
 * refused record leaves nothing behind. */
static void
expectError(const char *name, size_t len, lxcChanResult want)
{
    lxcCoreError e;
    lxcChanResult r;
    int zeroed;

    memset(&e, 0x55, sizeof(e));
    r = lxcChanDecodeError(buf, len, &e);
    zeroed = !e.message && !e.str1 && !e.str2 && !e.str3 && e.code == 0;
    check(name, r == want && (r == LXC_CHAN_OK || zeroed), "got %s, want %s%s",
          lxcChanResultName(r), lxcChanResultName(want),
          r != LXC_CHAN_OK && !zeroed ? ", error left set" : "");
    if (r == LXC_CHAN_OK) {
        free(e.message);
        free(e.str1);
        free(e.str2);
        free(e.str3);
    }
}

static void
testErrorMalformed(void)
{
    lxcCoreError e = { 1, 10, 2, "message", "str1", NULL, "str3", 0, 0 };
    size_t len = lxcChanEncodeError(buf, sizeof(buf), 5, &e);
    size_t lens = offsetof(lxcProcError, len);

    expectError("error/too short", sizeof(lxcProcError) - 1, LXC_CHAN_SHORT);
    expectError("error/trailing byte", len + 1, LXC_CHAN_TRAILING);
    expectError("error/strings overrun the record", len - 1, LXC_CHAN_OVERRUN);
    patch32(lens + 4, LXC_PROC_MAX_STRING + 1);
    expectError("error/string length over the maximum", len, LXC_CHAN_LONG_STRING);
    patch32(lens + 4, LXC_PROC_NULL_STRING - 1);
    expectError("error/string length UINT32_MAX-1", len, LXC_CHAN_LONG_STRING);
    patch32(lens + 4, 4);
    patch32(lens + 8, 0);
    expectError("error/NULL string made empty still decodes", len, LXC_CHAN_OK);
    patch32(lens + 0, 7 + 4);
    expectError("error/string runs into the next", len, LXC_CHAN_OVERRUN);
    patch32(lens + 0, 7);
    patch32(lens + 12, LXC_PROC_NULL_STRING);
    expectError("error/last string made NULL leaves trailing bytes", len,
                LXC_CHAN_TRAILING);
    patch32(lens + 12, 4);
    expectError("error/restored", len, LXC_CHAN_OK);
    patch32(offsetof(lxcProcHeader, kind), LXC_PROC_MSG_OPEN);
    expectError("error/other kind", len, LXC_CHAN_KIND);
    patch32(offsetof(lxcProcHeader, magic), LXC_PROC_MAGIC ^ 1);
    expectError("error/other magic is words", len, LXC_CHAN_WORDS);
}

static void
logRoundTrip(const char *name, int priority, const char *file, const char *func,
             const char *text, size_t maxLen)
{
    size_t len = lxcChanEncodeLog(buf, sizeof(buf), 77, priority, file, func, 123, text);
    lxcChanLog lr;
    lxcChanResult r = lxcChanDecodeLog(buf, len, 0, &lr);

    check(name, r == LXC_CHAN_OK && lr.id == 77 && lr.priority == priority &&
          lr.line == 123 && sameString(lr.file, file, strnlen(file, maxLen)) &&
          sameString(lr.func, func, strnlen(func, maxLen)) &&
          sameString(lr.text, text, strnlen(text, maxLen)),
          "%s, length %zu", lxcChanResultName(r), len);
    lxcChanLogFree(&lr);
    check("log/freed and cleared", !lr.file && !lr.func && !lr.text, "left set");
}

static void
testLogRoundTrip(void)
{
    logRoundTrip("log/round trip, debug", LXC_LOG_DEBUG, "rpc.go", "core.dial", "connect",
                 LXC_PROC_MAX_STRING);
    logRoundTrip("log/round trip, error", LXC_LOG_ERROR, "a", "b", "c",
                 LXC_PROC_MAX_STRING);
    logRoundTrip("log/round trip, empty strings", LXC_LOG_INFO, "", "", "",
                 LXC_PROC_MAX_STRING);
    big[LXC_PROC_MAX_STRING] = '\0';
    logRoundTrip("log/round trip, longest strings", LXC_LOG_WARN, big, big, big,
                 LXC_PROC_MAX_STRING);
    big[LXC_PROC_MAX_STRING] = 'a';
    big[sizeof(big) - 1] = '\0';
    logRoundTrip("log/encoder cuts strings over the maximum", LXC_LOG_WARN, big, "f", big,
                 LXC_PROC_MAX_STRING);
    big[sizeof(big) - 1] = 'a';
    check("log/encoder refuses a buffer too small",
          lxcChanEncodeLog(buf, sizeof(lxcProcLog) + 2, 1, LXC_LOG_INFO, "a", "b", 1,
                           "c") == 0 &&
          lxcChanEncodeLog(buf, sizeof(lxcProcLog) - 1, 1, LXC_LOG_INFO, "", "", 1,
                           "") == 0, "encoded");
}

/* Decodes the first @len bytes of buf as a LOG record with @nfds fds:
 * @want, and a refused record leaves no string behind. */
static void
expectLog(const char *name, size_t len, int nfds, lxcChanResult want)
{
    lxcChanLog lr;
    lxcChanResult r = lxcChanDecodeLog(buf, len, nfds, &lr);
    int clean = r == LXC_CHAN_OK || (!lr.file && !lr.func && !lr.text);

    check(name, r == want && clean, "got %s, want %s%s", lxcChanResultName(r),
          lxcChanResultName(want), clean ? "" : ", strings left set");
    lxcChanLogFree(&lr);
}

static void
testLogMalformed(void)
{
    size_t len = lxcChanEncodeLog(buf, sizeof(buf), 77, LXC_LOG_INFO, "file", "func", 9,
                                  "text");
    size_t lens = offsetof(lxcProcLog, len);
    lxcChanLog lr;

    expectLog("log/too short", sizeof(lxcProcLog) - 1, 0, LXC_CHAN_SHORT);
    expectLog("log/trailing byte", len + 1, 0, LXC_CHAN_TRAILING);
    expectLog("log/strings overrun the record", len - 1, 0, LXC_CHAN_OVERRUN);
    expectLog("log/an fd on it", len, 1, LXC_CHAN_FDS_COUNT);
    patch32(lens + 4, LXC_PROC_MAX_STRING + 1);
    expectLog("log/string length over the maximum", len, 0, LXC_CHAN_LONG_STRING);
    patch32(lens + 4, LXC_PROC_NULL_STRING);
    expectLog("log/NULL string", len, 0, LXC_CHAN_LONG_STRING);
    patch32(lens + 4, 8);
    expectLog("log/string runs into the next", len, 0, LXC_CHAN_OVERRUN);
    patch32(lens + 4, 4);
    patch32(offsetof(lxcProcLog, priority), LXC_LOG_DEBUG - 1);
    expectLog("log/priority below debug", len, 0, LXC_CHAN_PRIORITY);
    patch32(offsetof(lxcProcLog, priority), LXC_LOG_ERROR + 1);
    expect("log/priority above error", lxcChanDecodeLog(buf, len, 0, &lr),
           LXC_CHAN_PRIORITY);
    /* The library (lib/coreproc_client.c) checks whether it was asked
     * for before anything else. */
    check("log/id and priority decoded from a refused record",
          lr.id == 77 && lr.priority == LXC_LOG_ERROR + 1 && lr.line == 9, "id %llu, %d",
          (unsigned long long)lr.id, lr.priority);
    patch32(offsetof(lxcProcLog, priority), LXC_LOG_INFO);
    expectLog("log/restored", len, 0, LXC_CHAN_OK);
    patch32(offsetof(lxcProcHeader, kind), LXC_PROC_MSG_FDS);
    expectLog("log/other kind", len, 0, LXC_CHAN_KIND);
    patch32(offsetof(lxcProcHeader, magic), 0x21636970);
    expectLog("log/other magic is words", len, 0, LXC_CHAN_WORDS);
}

static void
testResultNames(void)
{
    int r, named = 1;

    for (r = LXC_CHAN_OK; r <= LXC_CHAN_NO_MEMORY; r++)
        named &= strcmp(lxcChanResultName(r), "unknown result") != 0;
    check("results/each named", named && strcmp(lxcChanResultName(LXC_CHAN_NO_MEMORY + 1),
                                                "unknown result") == 0, "unnamed");
}

int
main(void)
{
    memset(big, 'a', sizeof(big));
    memset(other, 'b', sizeof(other));
    testClassify();
    testOpenRoundTrip();
    testOpenMalformed();
    testFds();
    testErrorRoundTrip();
    testErrorMalformed();
    testLogRoundTrip();
    testLogMalformed();
    testResultNames();
    return unitSummary();
}
