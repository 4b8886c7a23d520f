//go:build live

package live

// Helpers of the OpenNamespace tests: the domains' namespaces read straight
// from /proc, and runs compared with each other and with them.

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// initNamespaces reads the inode of each namespace of the domain's init
// straight from /proc, without libvirt-lxc: init is the child of the
// controller, whose pid is the domain id.
func initNamespaces(t *testing.T, domain string) map[string]uint64 {
	t.Helper()
	out, err := command(t, "virsh", "-q", "-c", testURI, "domid", domain).Output()
	if err != nil {
		t.Fatalf("virsh domid %s: %v", domain, err)
	}
	id := strings.TrimSpace(string(out))
	children, err := os.ReadFile("/proc/" + id + "/task/" + id + "/children")
	if err != nil {
		t.Fatalf("controller of %s: %v", domain, err)
	}
	fields := strings.Fields(string(children))
	if len(fields) != 1 {
		t.Fatalf("controller %s of %s has children %q, want one", id, domain, fields)
	}
	ns := map[string]uint64{}
	for _, name := range []string{"user", "ipc", "uts", "net", "pid", "mnt"} {
		fi, err := os.Stat("/proc/" + fields[0] + "/ns/" + name)
		if err != nil {
			t.Fatal(err)
		}
		ns[name] = fi.Sys().(*syscall.Stat_t).Ino
	}
	return ns
}

// wantInodes is the "ino=" field the daemon's answer must produce: init's
// namespaces in the daemon's order.
func wantInodes(ns map[string]uint64) string {
	var s []string
	for _, name := range []string{"user", "ipc", "uts", "net", "pid", "mnt"} {
		s = append(s, strconv.FormatUint(ns[name], 10))
	}
	return strings.Join(s, ",")
}

// compareRuns compares every scenario of a and b field by field, except
// the fields in skip (those that differ by design, checked apart).
func compareRuns(t *testing.T, what string, a, b run, skip ...string) {
	t.Helper()
	if len(a.order) == 0 {
		t.Fatalf("%s: no scenario printed", what)
	}
	if d := cmp.Diff(a.order, b.order); d != "" {
		t.Errorf("%s: scenario lists differ:\n%s", what, d)
	}
	for _, sc := range a.order {
		fa, fb := fields(a.lines[sc]), fields(b.lines[sc])
		for _, k := range skip {
			delete(fa, k)
			delete(fb, k)
		}
		if d := cmp.Diff(fa, fb); d != "" {
			t.Errorf("%s/%s differs (-first +second):\n%s", what, sc, d)
		}
	}
}

// Where a call of ours was served, for what it may leave open.
type servedBy int

const (
	servedNowhere    servedBy = iota // the system library, or a client-side error
	servedByCoreProc                 // ours, by the caller's core process
)

// checkNewFds checks a "new=" list (fds a call left open). libvirt's
// library leaves nothing. Ours served by its core process keeps exactly its
// channel, one close-on-exec socket.
func checkNewFds(t *testing.T, where, list string, by servedBy) {
	t.Helper()
	switch {
	case by == servedByCoreProc && list != "socket:cloexec":
		t.Errorf("%s: fds left open: %q, want exactly the channel to the core process (socket:cloexec)", where, list)
	case by == servedNowhere && list != "none":
		t.Errorf("%s: fds left open: %s", where, list)
	}
}
