// Command core is the private Go half of libvirt-lxc.so.0, built with
// -buildmode=c-shared as libvirt-lxc-core.so. The C library dlopen()s it and
// calls lxcCoreOpenNamespace (see ../coreabi.h). Everything crossing the
// boundary is plain C data; all error reporting stays on the C side, so this
// code never writes to stdout or stderr.
package main

/*
#cgo CFLAGS: -I${SRCDIR}/..
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
*/
import "C"

import (
	"errors"
	"runtime"
	"time"
	"unsafe"

	"github.com/libvirt-lxc-go/libvirt-lxc/internal/core"
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
		fillError(cerr, core.InternalError("libvirt-lxc core called without request or result pointers"))
		return -1
	}
	r := core.Request{
		Caller: int(req.caller),
		ID:     int32(req.id),
		Flags:  uint32(req.flags),
		Driver: connDriver(req.driver),
	}
	if req.uri != nil {
		r.URI = C.GoString(req.uri)
	}
	if req.name != nil {
		r.Name = C.GoString(req.name)
	}
	for i := range r.UUID {
		r.UUID[i] = byte(req.uuid[i])
	}
	passScheduler()
	got, err := core.OpenNamespace(&r)
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

// passInterval is below the runtime's forcePreemptNS (10 ms).
const passInterval = 4 * time.Millisecond

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
	var e *core.Error
	if !errors.As(err, &e) {
		e = core.InternalError(err.Error())
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
