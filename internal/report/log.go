// Logger: the debug records of a call's way to the daemon. The core has no
// output of its own: the caller of a Request that wants records gives it a
// Logger, which carries each record back to the caller's process
// (capi/channel/coreabi.h lxcCoreLogFunc), where libvirt's own logger
// writes it under "libvirt-lxc.rpc". Every record is at libvirt's debug
// priority, the one libvirt's RPC client logs the like at
// (src/rpc/virnetclient.c).
//
// The hazard: formatting costs allocations, and a warm call must make none
// (TestWarmCallAllocatesNothing). A nil Logger formats nothing; the warm
// path (message) takes typed arguments, so that nothing is boxed before the
// nil check.

package report

import (
	"fmt"
	"path"
	"runtime"
	"strings"
)

// Logger receives one record: where in the core it was made, and its text.
// nil: logging is off.
type Logger func(file, function string, line int, text string)

// Printf logs a record made by its caller. For the paths that are not
// warm (connect, handshake, reconnect), whose arguments may be boxed.
func (l Logger) Printf(format string, args ...any) {
	if l == nil {
		return
	}
	l.Emit(2, fmt.Sprintf(format, args...))
}

// Emit sends text as made by the function skip frames up: the function
// and the file as "rpc/router.go".
func (l Logger) Emit(skip int, text string) {
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
