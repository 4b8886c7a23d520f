package core

import (
	"errors"
	"testing"
	"time"

	"golang.org/x/sys/unix"
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
			decodeRemoteError(data[28:])
		}
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		unix.SetNonblock(fds[0], true)
		c := &conn{fd: fds[0], socket: "fuzz"}
		defer c.close()
		go func() {
			defer unix.Close(fds[1])
			var call [60]byte
			readFull(fds[1], call[:], time.Now().Add(time.Second))
			writeAll(fds[1], data, time.Now().Add(time.Second))
		}()
		got, err := c.openNamespace(&Request{Name: "t1", UUID: t1UUID, ID: 2741}, time.Now().Add(2*time.Second))
		if err != nil {
			if got != nil {
				t.Errorf("fds %v returned with error %v", got, err)
			}
			var le *Error
			var ce *callError
			if !errors.As(err, &le) && !errors.As(err, &ce) {
				t.Errorf("unclassified error %T %v", err, err)
			}
			// Daemon errors are relayed verbatim, level included; only a
			// text is guaranteed (a message, or a detail to format).
			if le := c.toLibvirtError(err); le == nil || le.Error() == "" {
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

// FuzzResolve checks that no URI makes socket selection panic, and that a
// success is coherent.
func FuzzResolve(f *testing.F) {
	for _, s := range []string{"lxc:///system", "lxc+unix:///system?socket=/x&mode=direct", "lxc://h/", "a+ssh://u@[::1]:22/p?q=%41#f"} {
		f.Add(s, false)
	}
	env := fakeEnv(0, []string{legacy}, map[string]string{"/etc/libvirt/libvirt.conf": "remote_mode=\"auto\""})
	f.Fuzz(func(t *testing.T, uri string, ro bool) {
		tg, err := Resolve(uri, ro, env)
		if err != nil {
			var le *Error
			if !errors.As(err, &le) || le.Error() == "" {
				t.Errorf("%q: bad error %v", uri, err)
			}
			return
		}
		if tg.ReadOnly != ro || !contains(transports, tg.Transport) {
			t.Errorf("%q: %+v", uri, tg)
		}
		if tg.Transport == "unix" && tg.Socket == "" && !hasParam(uri, "socket") {
			t.Errorf("%q: unix transport without a socket", uri)
		}
	})
}

func hasParam(uri, name string) bool {
	u, err := parseURI(uri)
	if err != nil {
		return false
	}
	for _, p := range u.params {
		if len(p.name) == len(name) && (p.name == name || equalFold(p.name, name)) {
			return true
		}
	}
	return false
}

func equalFold(a, b string) bool {
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
