package core

import (
	"fmt"
	"path"
	"runtime"
	"strings"
)

// Logging of the way to the daemon. The core has no output of its own: the
// caller of a Request that wants records gives it a Logger, which carries
// each record back to the caller's process (capi/coreabi.h lxcCoreLogFunc),
// where libvirt's own logger writes it under "libvirt-lxc.rpc". Every
// record is at libvirt's debug priority, the one libvirt's RPC client logs
// the like at (src/rpc/virnetclient.c).
//
// The hazard: formatting costs allocations, and a warm call must make none
// (TestWarmCallAllocatesNothing). A nil Logger formats nothing; the warm
// path (message) takes typed arguments, so that nothing is boxed before the
// nil check.

// Logger receives one record: where in the core it was made, and its text.
// nil: logging is off.
type Logger func(file, function string, line int, text string)

// printf logs a record made by its caller. For the paths that are not
// warm (connect, handshake, reconnect), whose arguments may be boxed.
func (l Logger) printf(format string, args ...any) {
	if l == nil {
		return
	}
	l.emit(2, fmt.Sprintf(format, args...))
}

// message logs one RPC message sent or received, with the fields of its
// header libvirt's client logs, and the fds that came with it.
func (l Logger) message(dir string, h header, size, nfds int) {
	if l == nil {
		return
	}
	l.emit(2, fmt.Sprintf("RPC message %s: prog=%#x vers=%d proc=%d type=%d status=%d serial=%d len=%d nfds=%d",
		dir, h.Prog, h.Vers, h.Proc, h.Type, h.Status, h.Serial, size, nfds))
}

// emit sends text as made by the function skip frames up: the function
// and the file as "core/router.go".
func (l Logger) emit(skip int, text string) {
	fn, file, line := "?", "?", 0
	if pc, f, n, ok := runtime.Caller(skip); ok {
		file, line = path.Join(path.Base(path.Dir(f)), path.Base(f)), n
		if rf := runtime.FuncForPC(pc); rf != nil {
			fn = rf.Name()
			if i := strings.LastIndexByte(fn, '/'); i >= 0 {
				fn = fn[i+1:]
			}
		}
	}
	l(file, fn, line, text)
}
