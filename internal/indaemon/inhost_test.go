// Tests of Host.Open on fake state dirs.

package indaemon

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/libvirt-lxc-go/libvirt-lxc/internal/report"
)

// fakeState is a Host on temporary state and config dirs, on which this
// process looks like a libvirtd started with -f on a config file holding
// daemonConf, running the LXC driver. Each Host is a daemon of its own:
// none confirmed by an earlier one.
func fakeState(t *testing.T, daemonConf string) (h *Host, state, config string) {
	state, config = t.TempDir(), t.TempDir()
	confPath := filepath.Join(t.TempDir(), "libvirtd.conf")
	os.WriteFile(confPath, []byte(daemonConf), 0o600)
	pidFile := filepath.Join(state, driverPidFile)
	os.WriteFile(pidFile, []byte(strconv.Itoa(os.Getpid())), 0o644)
	h = fakeProc(t, procDaemon{exe: "/usr/sbin/libvirtd", argv: []string{"/usr/sbin/libvirtd", "-f", confPath},
		cwd: "/", start: time.Now().Add(time.Hour), locks: lockLine(t, pidFile, os.Getpid())})
	h.StateDir, h.ConfigDir = state, config
	return h, state, config
}

const uuidText = "05079f07-3513-4842-ae92-9972493621b1"

var uuidBytes = [16]byte{0x05, 0x07, 0x9f, 0x07, 0x35, 0x13, 0x48, 0x42, 0xae, 0x92, 0x99, 0x72, 0x49, 0x36, 0x21, 0xb1}

func statusXML(initPid string) string {
	s := "<domstatus state='running' reason='booted' pid='1'>\n"
	if initPid != "" {
		s += "  <init pid='" + initPid + "'/>\n"
	}
	return s + "  <domain type='lxc' id='1'>\n    <name>t1</name>\n    <uuid>" + uuidText + "</uuid>\n" +
		"    <os><init>/bin/sh</init></os>\n  </domain>\n</domstatus>\n"
}

func TestInHost(t *testing.T) {
	self := strconv.Itoa(os.Getpid())
	req := func(name string, flags uint32) *Call {
		return &Call{Name: name, UUID: uuidBytes, Flags: flags, Caller: os.Getpid()}
	}
	t.Run("running", func(t *testing.T) {
		h, state, _ := fakeState(t, "")
		// Named differently from the request: the lookup is by UUID.
		os.WriteFile(filepath.Join(state, "other.xml"), []byte(statusXML(self)), 0o600)
		fds, err := h.Open(req("t1", 0))
		if err != nil {
			t.Fatal(err)
		}
		defer closeAll(fds)
		var got, want []string
		for i, fd := range fds {
			got = append(got, nsInode(t, "/proc/self/fd/"+strconv.Itoa(fd)))
			want = append(want, nsInode(t, "/proc/self/ns/"+nsNames[i]))
		}
		if len(fds) != 6 || !cmp.Equal(got, want) {
			t.Errorf("got %v want %v", got, want)
		}
	})
	tests := []struct {
		name, status, config, daemonConf string
		flags                            uint32
		want                             *report.Error
	}{
		{"flags", statusXML(self), "", "", 1, &report.Error{Code: 8, Domain: 17, Level: 2,
			Message: "unsupported flags (0x1) in function lxcDomainLxcOpenNamespace",
			Str1:    sp("lxcDomainLxcOpenNamespace"), Str2: sp("flags")}},
		// The daemon checks flags before access control.
		{"flags, access driver", statusXML(self), "", "access_drivers = [ \"polkit\" ]\n", 2, &report.Error{Code: 8, Domain: 17, Level: 2,
			Message: "unsupported flags (0x2) in function lxcDomainLxcOpenNamespace",
			Str1:    sp("lxcDomainLxcOpenNamespace"), Str2: sp("flags")}},
		// The daemon's own reports, left for the C library to format with
		// the running libvirt's templates.
		{"inactive", "", "<domain><uuid>" + uuidText + "</uuid></domain>", "", 0,
			&report.Error{Code: 55, Domain: 20, Level: 2, Str2: sp("domain is not running"), Int1: -1, Int2: -1, ToFormat: true}},
		{"unknown", "", "", "", 0,
			&report.Error{Code: 42, Domain: 17, Level: 2, Str2: sp("no domain with matching uuid '" + uuidText + "' (t1)"), Int1: -1, Int2: -1, ToFormat: true}},
		{"no init pid", statusXML(""), "", "", 0,
			&report.Error{Code: 55, Domain: 17, Level: 2, Str2: sp("Init pid is not yet available"), Int1: -1, Int2: -1, ToFormat: true}},
		{"access driver", statusXML(self), "", "access_drivers = [ \"polkit\" ]\n", 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, state, config := fakeState(t, tc.daemonConf)
			if tc.status != "" {
				os.WriteFile(filepath.Join(state, "t1.xml"), []byte(tc.status), 0o600)
			}
			if tc.config != "" {
				os.WriteFile(filepath.Join(config, "t1.xml"), []byte(tc.config), 0o600)
			}
			fds, err := h.Open(req("t1", tc.flags))
			closeAll(fds)
			le, ok := err.(*report.Error)
			if !ok {
				t.Fatalf("got %v", err)
			}
			if tc.want == nil {
				if le.Code != report.ErrAccessDenied || le.Domain != report.FromAccess {
					t.Errorf("got %+v", le)
				}
				return
			}
			if diff := cmp.Diff(tc.want, le); diff != "" {
				t.Errorf("-want +got\n%s", diff)
			}
		})
	}
	t.Run("LXC driver lock not held", func(t *testing.T) {
		h, state, _ := fakeState(t, "")
		os.WriteFile(filepath.Join(state, "t1.xml"), []byte(statusXML(self)), 0o600)
		os.WriteFile(filepath.Join(h.Proc, "locks"), nil, 0o644)
		fds, err := h.Open(req("t1", 0))
		closeAll(fds)
		if le, ok := err.(*report.Error); !ok || le.Code != report.ErrInternal || le.Domain != report.FromLXC ||
			!strings.Contains(le.Error(), "does not hold the LXC driver's write lock") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("commented access driver", func(t *testing.T) {
		h, state, _ := fakeState(t, "#access_drivers = [ \"polkit\" ]\naccess_drivers = []\n")
		os.WriteFile(filepath.Join(state, "t1.xml"), []byte(statusXML(self)), 0o600)
		fds, err := h.Open(req("t1", 0))
		closeAll(fds)
		if err != nil {
			t.Error(err)
		}
	})
}

func TestInitPidAndUUID(t *testing.T) {
	if got := initPid(statusXML("2300")); got != 2300 {
		t.Errorf("initPid %d", got)
	}
	if got := initPid(`<init pid="7"/>`); got != 7 {
		t.Errorf("double quotes: %d", got)
	}
	if got := formatUUID(uuidBytes); got != uuidText {
		t.Errorf("uuid %s", got)
	}
}

// nsInode is the "type:[inode]" identity of a namespace fd.
func nsInode(t testing.TB, path string) string {
	s, err := os.Readlink(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The status file is read once per change: a call on an unchanged file
// reuses what was read, and any change of the file (a new inode, size or
// mtime) is read again.
func TestStatusFileReadOncePerChange(t *testing.T) {
	h, state, _ := fakeState(t, "")
	p := filepath.Join(state, "t1.xml")
	pidOf := func() int {
		t.Helper()
		st, err := h.findStatus(&Call{Name: "t1", UUID: uuidBytes})
		if err != nil {
			t.Fatal(err)
		}
		return st.initPid
	}
	os.WriteFile(p, []byte(statusXML("1111")), 0o600)
	if got := pidOf(); got != 1111 {
		t.Fatalf("init pid %d, want 1111", got)
	}
	fi, _ := os.Stat(p)
	// Other bytes behind the same inode, size and mtime: not read again.
	os.WriteFile(p, []byte(statusXML("2222")), 0o600)
	os.Chtimes(p, fi.ModTime(), fi.ModTime())
	if got := pidOf(); got != 1111 {
		t.Errorf("unchanged file read again: init pid %d, want the kept 1111", got)
	}
	// A rewrite in place, same size: the new mtime tells.
	os.Chtimes(p, fi.ModTime(), fi.ModTime().Add(time.Second))
	if got := pidOf(); got != 2222 {
		t.Errorf("after a rewrite in place: init pid %d, want 2222", got)
	}
	// A new file renamed over it, as libvirt writes it: a new inode.
	tmp := p + ".new"
	os.WriteFile(tmp, []byte(statusXML("3333")), 0o600)
	st2, _ := os.Stat(p)
	os.Chtimes(tmp, st2.ModTime(), st2.ModTime())
	os.Rename(tmp, p)
	if got := pidOf(); got != 3333 {
		t.Errorf("after a rename over it: init pid %d, want 3333", got)
	}
	// Another size.
	os.WriteFile(p, []byte(statusXML("44444")), 0o600)
	os.Chtimes(p, st2.ModTime(), st2.ModTime())
	if got := pidOf(); got != 44444 {
		t.Errorf("after a change of size: init pid %d, want 44444", got)
	}
}

func closeAll(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}

func sp(s string) *string { return &s }
