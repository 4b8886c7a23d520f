// FuzzDecodeReply: arbitrary bytes from the daemon's side of a call (seeds in
// testdata/fuzz/FuzzDecodeReply, run by plain go test; docs/FUZZING.md).

package rpc

import (
	"errors"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/libvirt-lxc-go/libvirt-lxc/internal/report"
)

// FuzzDecodeReply feeds arbitrary bytes as the daemon's side of an
// OPEN_NAMESPACE call. Whatever arrives, the call must end (no hang, no
// panic), and a failure must leave no descriptor behind. Seeds live in
// testdata/fuzz/FuzzDecodeReply.
func FuzzDecodeReply(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0x1c, 0, 6, 0x80, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		// The error decoder on its own, on everything after a header: it
		// must not panic (an empty message string is legal).
		if len(data) > 28 {
			report.DecodeRemoteError(data[28:])
		}
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		unix.SetNonblock(fds[0], true)
		c := &Conn{fd: fds[0], socket: "fuzz"}
		defer c.Close()
		go func() {
			defer unix.Close(fds[1])
			var call [60]byte
			readFull(fds[1], call[:], time.Now().Add(time.Second))
			writeAll(fds[1], data, time.Now().Add(time.Second))
		}()
		got, err := c.openNamespace(&NamespaceCall{Name: "t1", UUID: t1UUID, ID: 2741}, time.Now().Add(2*time.Second))
		if err != nil {
			if got != nil {
				t.Errorf("fds %v returned with error %v", got, err)
			}
			var le *report.Error
			var ce *callError
			if !errors.As(err, &le) && !errors.As(err, &ce) {
				t.Errorf("unclassified error %T %v", err, err)
			}
			// Daemon errors are relayed verbatim, level included; only a
			// text is guaranteed (a message, or a detail to format).
			if le := c.ToLibvirtError(err); le == nil || le.Error() == "" {
				t.Errorf("bad libvirt error %+v", le)
			}
			return
		}
		// No fds were sent, so success means an empty list.
		if len(got) != 0 {
			closeAll(got)
			t.Errorf("fds out of thin air: %v", got)
		}
	})
}
