//go:build live

// Package live runs the C scenario programs of tests/c against our
// libvirt-lxc.so.0 and against the system one, and compares.
//
// Each program prints "lib <path>" and then one line per scenario (see
// tests/c/tc.h). Scenarios named diff_* are the deliberate differences; they
// are left out of the comparison and checked by their own assertions.
package live

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const systemLib = "/usr/lib/x86_64-linux-gnu/libvirt-lxc.so.0"

// run is the parsed output of one program run.
type run struct {
	lib   string
	lines map[string]string // scenario name -> rest of its line
	order []string
}

func buildDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("LXCGO_BUILDDIR")
	if dir == "" {
		t.Fatal("LXCGO_BUILDDIR is not set: point it at the meson build directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the source tree")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// testbed brings the daemon and the three domains up (idempotent).
func testbed(t *testing.T) {
	t.Helper()
	cmd := exec.Command("bash", filepath.Join(repoRoot(t), "tests", "testbed", "up.sh"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tests/testbed/up.sh: %v\n%s", err, out)
	}
}

// program returns the path of a C test program of the build directory.
func program(t *testing.T, name string) string {
	t.Helper()
	for _, p := range []string{
		filepath.Join(buildDir(t), "tests", "c", name),
		filepath.Join(buildDir(t), name),
	} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatalf("%s not found under %s (build it first)", name, buildDir(t))
	return ""
}

// ourLib is the library the build produced.
func ourLib(t *testing.T) string {
	t.Helper()
	p, err := filepath.EvalSymlinks(filepath.Join(buildDir(t), "libvirt-lxc.so.0"))
	if err != nil {
		t.Fatalf("our library: %v", err)
	}
	return p
}

// execute runs prog (with args) with our library, or with the system one
// preloaded (same soname, so it takes the place of ours).
func execute(t *testing.T, prog string, system bool, args ...string) run {
	t.Helper()
	cmd := exec.Command(prog, args...)
	cmd.Env = append(os.Environ(), "LD_LIBRARY_PATH="+buildDir(t), "LANG=C", "LC_ALL=C")
	if system {
		cmd.Env = append(cmd.Env, "LD_PRELOAD="+systemLib)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v (system=%v): %v\nstderr: %s\nstdout: %s", prog, args, system, err, stderr.String(), out)
	}
	r := run{lines: map[string]string{}}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		name, rest, _ := strings.Cut(sc.Text(), " ")
		if name == "lib" {
			r.lib = rest
			continue
		}
		if _, dup := r.lines[name]; dup {
			t.Fatalf("%s: scenario %s printed twice", prog, name)
		}
		r.lines[name] = rest
		r.order = append(r.order, name)
	}
	return r
}

// both runs prog in both modes, checks which library each run used, and
// compares every scenario that is not a deliberate difference.
func both(t *testing.T, name string) (ours, sys run) {
	t.Helper()
	testbed(t)
	prog := program(t, name)
	ours = execute(t, prog, false)
	sys = execute(t, prog, true)

	if ours.lib != ourLib(t) {
		t.Fatalf("%s used %q, want our %q", name, ours.lib, ourLib(t))
	}
	wantSys, err := filepath.EvalSymlinks(systemLib)
	if err != nil {
		t.Fatal(err)
	}
	if sys.lib != wantSys {
		t.Fatalf("%s with LD_PRELOAD used %q, want %q", name, sys.lib, wantSys)
	}
	if len(ours.order) == 0 {
		t.Fatalf("%s printed no scenario", name)
	}
	if d := cmp.Diff(ours.order, sys.order); d != "" {
		t.Errorf("%s: scenario lists differ (-ours +system):\n%s", name, d)
	}
	for _, sc := range ours.order {
		if strings.HasPrefix(sc, "diff_") {
			continue
		}
		if d := cmp.Diff(sys.lines[sc], ours.lines[sc]); d != "" {
			t.Errorf("%s/%s differs (-system +ours):\n%s", name, sc, d)
		}
	}
	return ours, sys
}

// fields turns "k=v k2=\"quoted v\" word ..." into a map (quotes kept off;
// a bare word such as "noerror" maps to "").
func fields(line string) map[string]string {
	m := map[string]string{}
	for len(line) > 0 {
		line = strings.TrimLeft(line, " ")
		k, rest, ok := strings.Cut(line, "=")
		if sp := strings.IndexByte(line, ' '); sp >= 0 && (!ok || sp < len(k)) {
			m[line[:sp]] = ""
			line = line[sp+1:]
			continue
		}
		if !ok {
			m[line] = ""
			break
		}
		if strings.HasPrefix(rest, "\"") {
			i := 1
			for i < len(rest) && rest[i] != '"' {
				if rest[i] == '\\' {
					i++
				}
				i++
			}
			m[k] = rest[1:min(i, len(rest))]
			line = rest[min(i+1, len(rest)):]
			continue
		}
		v, next, _ := strings.Cut(rest, " ")
		m[k] = v
		line = next
	}
	return m
}

func expect(t *testing.T, where string, got map[string]string, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s = %q, want %q (line: %v)", where, k, got[k], v, got)
		}
	}
}

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
	cmd := exec.Command(program(t, "single_threaded"))
	cmd.Env = append(os.Environ(), "LD_LIBRARY_PATH="+buildDir(t))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("single_threaded: %v\n%s", err, out)
	}
}
