//go:build live

package live

// The three client-side functions side by side with the system library:
// EnterSecurityLabel, EnterCGroup, EnterNamespace (tests/c/enter_*.c), and
// a single-threaded caller that opens and enters.

import (
	"os"
	"strings"
	"testing"
)

func TestEnterSecurityLabel(t *testing.T) {
	both(t, "enter_seclabel")
}

func TestEnterCGroup(t *testing.T) {
	ours, _ := both(t, "enter_cgroup")

	// Both libraries agree (checked above); pin the facts down too.
	expect(t, "running", fields(ours.lines["running"]), map[string]string{
		"ret": "0", "changed": "yes", "stderr": "",
	})
	if th := fields(ours.lines["running"])["thread"]; !strings.Contains(th, "lxc-<plain-id>-lxcgo-plain.libvirt-lxc") {
		t.Errorf("running: caller not placed in the domain's cgroups: %s", th)
	}
	expect(t, "inactive", fields(ours.lines["inactive"]), map[string]string{
		"ret": "0", "changed": "no",
	})
	// The read-only check reads the flag: one error, one stderr line, no
	// stray error from a probe.
	expect(t, "readonly", fields(ours.lines["readonly"]), map[string]string{
		"ret": "-1", "code": "29", "domain": "0",
		"stderr": "libvirt:  error : " + libvirtMessage(t, 29, "read only access prevents virDomainLxcEnterCGroup") + `\n`,
	})
	expect(t, "readonly_handlers", fields(ours.lines["readonly_handlers"]), map[string]string{
		"cb": "global:29",
	})
}

func TestEnterNamespace(t *testing.T) {
	ours, sys := both(t, "enter_ns")
	all := "user:target,ipc:target,uts:target,net:target,pid:target,mnt:target"

	for _, sc := range []string{"plain_single_threaded", "userns_single_threaded",
		"plain_after_cgroup", "userns_after_cgroup"} {
		expect(t, sc, fields(ours.lines[sc]), map[string]string{"ret": "0", "ns": all})
	}
	expect(t, "oldlists_collected", fields(ours.lines["oldlists_collected"]), map[string]string{
		"nold":   "6",
		"oldfds": "user:rdonly:inherit,ipc:rdonly:inherit,uts:rdonly:inherit,net:rdonly:inherit,pid:rdonly:inherit,mnt:rdonly:inherit",
	})
	expect(t, "ebadf_oldlists", fields(ours.lines["ebadf_oldlists"]), map[string]string{
		"code": "38", "int1": "9", "nold": "0", "old": "NULL", "fds_leaked": "0",
	})
	expect(t, "ebadf_handlers", fields(ours.lines["ebadf_handlers"]), map[string]string{
		"cb": "conn:38", "connerr": "38",
	})

	// Deliberate differences.
	t.Run("devnull", func(t *testing.T) {
		// libvirt ignores the EINVAL of an fd that is not a namespace.
		expect(t, "system", fields(sys.lines["diff_devnull"]), map[string]string{"ret": "0"})
		o := fields(ours.lines["diff_devnull"])
		expect(t, "ours", o, map[string]string{"ret": "-1", "code": "38", "domain": "0",
			"level": "2", "int1": "22", "int2": "-1", "str1": libvirtTemplate(t, 38), "connerr": "38"})
		if !strings.Contains(o["msg"], "is not a namespace: Invalid argument") {
			t.Errorf("ours: message %q does not say the fd is not a namespace", o["msg"])
		}
	})
	t.Run("plain_multi_threaded", func(t *testing.T) {
		// libvirt: success without the mount namespace; ours enters it.
		expect(t, "system", fields(sys.lines["diff_plain_multi_threaded"]), map[string]string{
			"ret": "0", "ns": "user:target,ipc:target,uts:target,net:target,pid:target,mnt:orig"})
		expect(t, "ours", fields(ours.lines["diff_plain_multi_threaded"]), map[string]string{
			"ret": "0", "ns": all, "stderr": ""})
	})
	t.Run("userns_multi_threaded", func(t *testing.T) {
		// libvirt: success, in neither the user nor the mount namespace.
		expect(t, "system", fields(sys.lines["diff_userns_multi_threaded"]), map[string]string{
			"ret": "0", "ns": "user:orig,ipc:target,uts:target,net:target,pid:target,mnt:orig"})
		// Ours: one clean error before anything is joined, dispatched to
		// the connection's handler, old fds closed and freed.
		o := fields(ours.lines["diff_userns_multi_threaded"])
		expect(t, "ours", o, map[string]string{"ret": "-1", "code": "38", "domain": "0",
			"int1": "22", "cb": "conn:38", "connerr": "38",
			"ns":   "user:orig,ipc:orig,uts:orig,net:orig,pid:orig,mnt:orig",
			"nold": "0", "old": "NULL", "fds_leaked": "0"})
		for _, want := range []string{"multi-threaded", "single-threaded", "fork()"} {
			if !strings.Contains(o["msg"], want) {
				t.Errorf("ours: message %q does not mention %q", o["msg"], want)
			}
		}
	})
	t.Run("null_domain_error", func(t *testing.T) {
		// libvirt dereferences the NULL domain to dispatch the error.
		if got := sys.lines["diff_null_domain_error"]; got != "crashed signal=11" {
			t.Errorf("system: %q, expected the known crash (signal 11)", got)
		}
		expect(t, "ours", fields(ours.lines["diff_null_domain_error"]), map[string]string{
			"ret": "-1", "code": "38", "int1": "9", "cb": "none",
			"stderr": "libvirt:  error : " + libvirtMessage(t, 38, "Unable to join domain namespace: Bad file descriptor") + `\n`})
	})
}

// single_threaded (tests/c) checks OpenNamespace+EnterNamespace into the
// user-namespaced container with our library only; it exits 0 when all
// its checks pass.
func TestSingleThreadedOpenEnter(t *testing.T) {
	testbed(t)
	cmd := command(t, program(t, "single_threaded"))
	cmd.Env = append(os.Environ(), "LD_LIBRARY_PATH="+buildDir(t))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("single_threaded: %v\n%s", err, out)
	}
}
