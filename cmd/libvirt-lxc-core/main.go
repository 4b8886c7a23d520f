// Command libvirt-lxc-core is the cgo main of the private Go core of
// libvirt-lxc.so.0, built with -buildmode=c-shared as libvirt-lxc-core.so
// (cmd/build-so -core). Exports only: the core process (capi/helper)
// dlopen()s it and calls lxcCoreOpenNamespace (see capi/channel/coreabi.h);
// the work is internal/core's. Everything crossing the boundary is plain C
// data; all error reporting stays on the C side, so this code never writes
// to stdout or stderr.
package main

/*
#cgo CFLAGS: -I${SRCDIR}/../../capi/channel
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "coreabi.h"

// When the calling thread last passed through the Go scheduler (see
// passScheduler). Go code of a cgo callback runs on the C caller's thread,
// so a thread-local needs no lock and is gone with its thread. 0: never.
static __thread long long lxcLastPassNs;

// 1 when the calling thread is due a pass (now recorded); its first call
// only records the time.
static int
lxcPassDue(long long intervalNs)
{
    struct timespec ts;
    long long now, last = lxcLastPassNs;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    now = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
    if (last != 0 && now - last < intervalNs)
        return 0;
    lxcLastPassNs = now;
    return last != 0;
}

// Go cannot call a C function pointer itself.
static void
lxcCallLog(lxcCoreLogFunc f, void *opaque, int priority, const char *file,
           const char *func, int line, const char *text)
{
	f(opaque, priority, file, func, line, text);
}
*/
import "C"

import (
	"errors"
	"runtime"
	"runtime/debug"
	"sync"
	"time"
	"unsafe"

	"github.com/libvirt-lxc-go/libvirt-lxc/internal/core"
	"github.com/libvirt-lxc-go/libvirt-lxc/internal/report"
	"github.com/libvirt-lxc-go/libvirt-lxc/internal/rpc"
)

//export lxcCoreABIVersion
func lxcCoreABIVersion() C.int { return C.LXC_CORE_ABI_VERSION }

// connDriver maps the C side's lxcCoreDriver; OTHER never comes (the C
// side answers for it) and is taken as unknown if it does.
func connDriver(d C.int) core.ConnDriver {
	switch d {
	case C.LXC_CORE_DRIVER_REMOTE:
		return core.DriverRemote
	case C.LXC_CORE_DRIVER_LXC:
		return core.DriverLXC
	}
	return core.DriverUnknown
}

//export lxcCoreOpenNamespace
func lxcCoreOpenNamespace(req *C.lxcCoreRequest, fds **C.int, cerr *C.lxcCoreError) C.int {
	if fds != nil {
		*fds = nil
	}
	if req == nil || fds == nil || cerr == nil {
		fillError(cerr, report.InternalError("libvirt-lxc core called without request or result pointers"))
		return -1
	}
	r := core.Request{
		Caller: int(req.caller),
		ID:     int32(req.id),
		Flags:  uint32(req.flags),
		Driver: connDriver(req.driver),
		Log:    callLogger(req),
	}
	r.URI = lastURI.get(req.uri)
	r.Name = lastName.get(req.name)
	for i := range r.UUID {
		r.UUID[i] = byte(req.uuid[i])
	}
	passScheduler()
	var room [rpc.MaxFDs]int // room for any reply's fds, on the stack
	got, err := core.OpenNamespaceAppend(&r, room[:0])
	if err != nil {
		fillError(cerr, err)
		return -1
	}
	if len(got) == 0 {
		return 0
	}
	// cgo's C.malloc aborts instead of returning NULL, so no check here.
	arr := (*C.int)(C.malloc(C.size_t(len(got)) * C.size_t(unsafe.Sizeof(C.int(0)))))
	out := unsafe.Slice(arr, len(got))
	for i, fd := range got {
		out[i] = C.int(fd)
	}
	*fds = arr
	return C.int(len(got))
}

// callLogger is the Logger of one request: nil when the caller logs none
// of the core's records (all at debug priority, internal/report/log.go), so
// that nothing is formatted.
func callLogger(req *C.lxcCoreRequest) report.Logger {
	if req.log == nil || req.logPriority <= 0 || req.logPriority > C.LXC_LOG_DEBUG {
		return nil
	}
	f, opaque := req.log, req.logOpaque
	return func(file, function string, line int, text string) {
		cfile, cfunc, ctext := C.CString(file), C.CString(function), C.CString(text)
		C.lxcCallLog(f, opaque, C.LXC_LOG_DEBUG, cfile, cfunc, C.int(line), ctext)
		C.free(unsafe.Pointer(cfile))
		C.free(unsafe.Pointer(cfunc))
		C.free(unsafe.Pointer(ctext))
	}
}

// lastString keeps the Go copy of the latest string seen in one field of
// the requests: a caller calls with the same URI and domain name again and
// again, and a new copy per call would be garbage.
type lastString struct {
	mu sync.Mutex
	s  string
}

var lastURI, lastName lastString

// get returns cs as a Go string ("" for NULL), the kept one if equal.
func (l *lastString) get(cs *C.char) string {
	if cs == nil {
		return ""
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(cs)), C.strlen(cs))
	l.mu.Lock()
	defer l.mu.Unlock()
	if string(b) != l.s {
		l.s = string(b)
	}
	return l.s
}

// passInterval is below the runtime's forcePreemptNS (10 ms), which sysmon
// counts from the moment it first sees a P's schedtick: a pass every 8 ms at
// most keeps every caller's P clear of it, at half the passes of 4 ms.
const passInterval = 8 * time.Millisecond

// passScheduler sends the calling goroutine through the Go scheduler at most
// once every passInterval per calling thread.
//
// A C thread that calls into Go again and again runs its callbacks on the
// same P without ever passing through the scheduler, so the P's schedtick
// never changes. After 10 ms the runtime's sysmon takes that for a goroutine
// running too long: at each of its ticks (every 20 µs while it is busy) it
// sends SIGURG to the thread, even while it runs the host's C code, and
// takes the P away whenever the thread is in a system call (waiting for the
// daemon's reply) or back in C between calls, handing it to another thread
// and waking itself up again when the caller takes a P back. Measured on a
// warm loop of calls: about 1.5 extra context switches and 30-50 µs of CPU
// per call. One Gosched every few milliseconds (the P goes to another
// thread and back) makes the schedtick move and ends all of that.
func passScheduler() {
	if C.lxcPassDue(C.longlong(passInterval)) != 0 {
		runtime.Gosched()
	}
}

// fillError copies err into the C struct; strings are malloc()ed (the C side
// frees them), absent ones are NULL. An error to format goes with a NULL
// message and str1: the C side takes libvirt's template for its code (see
// lxcCoreError).
func fillError(cerr *C.lxcCoreError, err error) {
	if cerr == nil {
		return
	}
	var e *report.Error
	if !errors.As(err, &e) {
		e = report.InternalError(err.Error())
	}
	cerr.code = C.int(e.Code)
	cerr.domain = C.int(e.Domain)
	cerr.level = C.int(e.Level)
	cerr.message, cerr.str1 = nil, nil
	if !e.ToFormat {
		cerr.message = C.CString(e.Message)
		cerr.str1 = cstr(e.Str1)
	}
	cerr.str2 = cstr(e.Str2)
	cerr.str3 = cstr(e.Str3)
	cerr.int1 = C.int(e.Int1)
	cerr.int2 = C.int(e.Int2)
}

func cstr(s *string) *C.char {
	if s == nil {
		return nil
	}
	return C.CString(*s)
}

func main() {}

// The Go runtime's knobs, set for the core process (capi/helper/main.c),
// the one host of this library: its C worker threads call
// lxcCoreOpenNamespace, each as a cgo callback.
//
// GOMAXPROCS is maxCallers+1. A C thread that calls into Go takes a P and
// keeps it (in the syscall state) when it goes back to C; the next C thread
// to call in needs another one. With no idle P left it waits until sysmon
// takes one back, which sysmon does after one of its ticks (20 µs to 10 ms)
// and then hands to a new or woken M: measured with three C workers taking
// turns over one caller's warm calls and the default GOMAXPROCS (2 on the
// 2-core test VM), 3.7-5.3 voluntary context switches per call in the core
// process; with 4 Ps, 2.4 (the floor is 2: the request and the daemon's
// reply each wake the serving thread once). With a P to spare, sysmon
// leaves a P in a syscall alone for 10 ms. So the C side must keep at most
// maxCallers threads calling in at once (more requests wait in the
// channel); 4 calls in flight keep both the daemon and this process busy on
// 2 cores. More Ps are not free: each idle P is one more M the GC may start
// for idle mark work, and Ms never exit.
//
// GC: a warm call allocates nothing (internal/core's
// TestWarmCallAllocatesNothing), so garbage comes only from new connections
// and the daemon's own calls. GOGC is off and the memory limit bounds the
// heap instead: the GC then runs only when there is garbage to collect,
// never the forced collection every 2 minutes that would wake an idle core
// process, start Ms on its idle Ps and keep them for good.
const (
	maxCallers  = C.LXC_CORE_MAX_CALLERS
	memoryLimit = 8 << 20 // the runtime's own memory is 2-3 MiB of it
)

func init() {
	// The C side waits for this deadline and a margin (capi/channel/coreabi.h).
	core.SetTimeout(C.LXC_CORE_CALL_TIMEOUT_S * time.Second)
	runtime.GOMAXPROCS(maxCallers + 1)
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(memoryLimit)
}
