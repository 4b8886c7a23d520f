//go:build live

// Real clients, unchanged, side by side with the system library: virsh
// lxc-enter-namespace, Python's libvirt_lxc, virt-login-shell's helper and a
// Go host that dlopen()s libvirt-lxc.so.0 each run every scenario twice,
// once with the system libvirt-lxc.so.0 and once with ours, and the
// normalised results are compared. Every run also proves which library was
// loaded (a silent fallback to the system library would make every
// comparison pass), and the results are checked against the namespaces of
// the containers' init processes, read independently from /proc.
package live

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const testURI = "lxc:///system"

var nsNames = []string{"user", "ipc", "uts", "net", "pid", "mnt"}

// insideCmd is what the clients run in the container.
const insideCmd = `hostname; id; for n in user ipc uts net pid mnt; do readlink /proc/self/ns/$n; done; cat /proc/self/cgroup`

// systemLibReal is the file behind the system soname.
func systemLibReal(t *testing.T) string {
	t.Helper()
	p, err := filepath.EvalSymlinks(systemLib)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// initNS reads, independently of any library, the namespaces of a running
// domain's init: the domain id is the pid of libvirt_lxc, whose only child
// is the container's init.
func initNS(t *testing.T, dom string) []string {
	t.Helper()
	out, err := command(t, "virsh", "-q", "-c", testURI, "domid", dom).Output()
	if err != nil {
		t.Fatalf("virsh domid %s: %v", dom, err)
	}
	ctl := strings.TrimSpace(string(out))
	kids, err := os.ReadFile(fmt.Sprintf("/proc/%s/task/%s/children", ctl, ctl))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(kids))
	if len(f) != 1 {
		t.Fatalf("controller %s of %s has children %q, want exactly one", ctl, dom, f)
	}
	var ns []string
	for _, n := range nsNames {
		l, err := os.Readlink(fmt.Sprintf("/proc/%s/ns/%s", f[0], n))
		if err != nil {
			t.Fatal(err)
		}
		ns = append(ns, l)
	}
	return ns
}

// loaderInits returns the realpaths of the libraries of the libvirt-lxc
// family that the dynamic loader reported initialising ("calling init:")
// in the LD_DEBUG=libs files under prefix.*, and removes those files.
func loaderInits(t *testing.T, prefix string) []string {
	t.Helper()
	files, _ := filepath.Glob(prefix + ".*")
	if len(files) == 0 {
		t.Fatalf("no loader trace at %s.*", prefix)
	}
	seen := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		os.Remove(f)
		for _, line := range strings.Split(string(b), "\n") {
			_, p, ok := strings.Cut(line, "calling init: ")
			if !ok || !strings.Contains(filepath.Base(p), "libvirt-lxc") {
				continue
			}
			if rp, err := filepath.EvalSymlinks(strings.TrimSpace(p)); err == nil {
				p = rp
			}
			seen[p] = true
		}
	}
	var libs []string
	for p := range seen {
		libs = append(libs, p)
	}
	sort.Strings(libs)
	return libs
}

// wantLibs checks the loader's report: exactly the system library, or our
// library and never our Go core (every call is served by the caller's core
// process).
func wantLibs(t *testing.T, where string, got []string, ours bool) {
	t.Helper()
	var want []string
	if ours {
		want = []string{ourLib(t)}
	} else {
		want = []string{systemLibReal(t)}
	}
	sort.Strings(want)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("%s: libraries initialised by the loader (-want +got):\n%s", where, d)
	}
}

// clientRun is what one client run printed.
type clientRun struct {
	stdout, stderr string
	rc             int
}

func runClient(t *testing.T, cmd *exec.Cmd) clientRun {
	t.Helper()
	var so, se strings.Builder
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	r := clientRun{stdout: so.String(), stderr: se.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.rc = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%v: %v", cmd.Args, err)
	}
	return r
}

// checkInside checks the output of insideCmd against the container's init.
func checkInside(t *testing.T, where, dom, stdout string) {
	t.Helper()
	lines := strings.Split(stdout, "\n")
	if len(lines) < 8 {
		t.Errorf("%s: short output %q", where, stdout)
		return
	}
	if lines[0] != dom {
		t.Errorf("%s: hostname %q, want %q", where, lines[0], dom)
	}
	if d := cmp.Diff(initNS(t, dom), lines[2:8]); d != "" {
		t.Errorf("%s: namespaces differ from the init's (-init +client):\n%s", where, d)
	}
	if !strings.Contains(stdout, "-"+dom+".libvirt-lxc\n") {
		t.Errorf("%s: not in the domain's cgroups:\n%s", where, stdout)
	}
}

// virsh lxc-enter-namespace, with the library chosen by LD_LIBRARY_PATH.
func TestClientVirsh(t *testing.T) {
	testbed(t)
	tmp := t.TempDir()
	type scenario struct {
		dom     string
		seclbl  bool
		running bool
	}
	var scs []scenario
	for _, dom := range []string{"lxcgo-plain", "lxcgo-userns", "lxcgo-off", "lxcgo-no-such-domain"} {
		for _, sl := range []bool{false, true} {
			scs = append(scs, scenario{dom, sl, dom == "lxcgo-plain" || dom == "lxcgo-userns"})
		}
	}
	for _, sc := range scs {
		name := sc.dom
		if !sc.seclbl {
			name += "/noseclabel"
		}
		t.Run(name, func(t *testing.T) {
			res := map[bool]clientRun{}
			for _, ours := range []bool{false, true} {
				args := []string{"-q", "-c", testURI, "lxc-enter-namespace", sc.dom}
				if !sc.seclbl {
					args = append(args, "--noseclabel")
				}
				args = append(args, "--", "/bin/sh", "-c", insideCmd)
				cmd := command(t, "virsh", args...)
				trace := filepath.Join(tmp, "ld")
				cmd.Env = append(os.Environ(), "LANG=C", "LC_ALL=C", "LD_DEBUG=libs",
					"LD_DEBUG_OUTPUT="+trace, "LD_LIBRARY_PATH=")
				if ours {
					cmd.Env = append(cmd.Env, "LD_LIBRARY_PATH="+buildDir(t))
				}
				res[ours] = runClient(t, cmd)
				wantLibs(t, fmt.Sprintf("ours=%v", ours), loaderInits(t, trace), ours)
			}
			if d := cmp.Diff(res[false], res[true], cmp.AllowUnexported(clientRun{})); d != "" {
				t.Errorf("virsh output differs (-system +ours):\n%s", d)
			}
			got := res[true]
			switch {
			case sc.running:
				if got.rc != 0 || got.stderr != "" {
					t.Errorf("exit %d, stderr %q", got.rc, got.stderr)
				}
				checkInside(t, "ours", sc.dom, got.stdout)
			case sc.dom == "lxcgo-off":
				if got.rc != 1 || !strings.Contains(got.stderr, libvirtMessage(t, 55, "domain is not running")) {
					t.Errorf("inactive domain: exit %d, stderr %q", got.rc, got.stderr)
				}
			default:
				if got.rc != 1 || !strings.Contains(got.stderr, "failed to get domain 'lxcgo-no-such-domain'") {
					t.Errorf("missing domain: exit %d, stderr %q", got.rc, got.stderr)
				}
			}
		})
	}
}

// runPython runs tests/clients/pylxc.py and decodes its report.
func runPython(t *testing.T, ours bool) map[string]any {
	t.Helper()
	cmd := command(t, "/usr/bin/python3", filepath.Join(repoRoot(t), "tests", "clients", "pylxc.py"))
	cmd.Env = append(os.Environ(), "LANG=C", "LC_ALL=C", "LD_LIBRARY_PATH=")
	if ours {
		cmd.Env = append(cmd.Env, "LD_LIBRARY_PATH="+buildDir(t))
	}
	r := runClient(t, cmd)
	if r.rc != 0 || r.stderr != "" {
		t.Fatalf("pylxc.py (ours=%v): exit %d\nstderr: %s", ours, r.rc, r.stderr)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil {
		t.Fatalf("pylxc.py output: %v\n%s", err, r.stdout)
	}
	return m
}

func strs(v any) []string {
	var s []string
	l, _ := v.([]any)
	for _, x := range l {
		s = append(s, fmt.Sprint(x))
	}
	return s
}

func obj(m map[string]any, path ...string) map[string]any {
	for _, p := range path {
		m, _ = m[p].(map[string]any)
	}
	return m
}

// Python's libvirt_lxc and ctypes on the same libvirt-lxc.so.0.
func TestClientPython(t *testing.T) {
	testbed(t)
	res := map[bool]map[string]any{}
	for _, ours := range []bool{false, true} {
		m := runPython(t, ours)
		want := systemLibReal(t)
		if ours {
			want = ourLib(t)
		}
		// /proc/self/maps of the interpreter, before and after, and what
		// ctypes' dlopen() of the soname resolved to (dladdr()).
		for _, k := range []string{"lib", "lib_after"} {
			if d := cmp.Diff([]string{want}, strs(m[k])); d != "" {
				t.Errorf("ours=%v: %s (-want +mapped):\n%s", ours, k, d)
			}
		}
		if m["ctypes_lib"] != want {
			t.Errorf("ours=%v: ctypes resolved libvirt-lxc.so.0 to %v, want %s", ours, m["ctypes_lib"], want)
		}
		res[ours] = m
	}
	sys, ours := res[false], res[true]

	// Deliberate differences: asserted on their own, compared no further.
	if d := cmp.Diff(map[string]any{"ret": 0.0}, sys["diff_enterns_devnull"]); d != "" {
		t.Errorf("system /dev/null EnterNamespace (libvirt ignores EINVAL):\n%s", d)
	}
	dn := obj(ours, "diff_enterns_devnull")
	if dn["ret"] != -1.0 || dn["code"] != 38.0 || dn["int1"] != 22.0 ||
		!strings.Contains(fmt.Sprint(dn["msg"]), "is not a namespace") {
		t.Errorf("ours /dev/null EnterNamespace: %v", dn)
	}
	if d := cmp.Diff(map[string]any{"child_status": 11.0}, sys["diff_enterns_null_domain"]); d != "" {
		t.Errorf("system NULL domain on an error path (known SIGSEGV):\n%s", d)
	}
	nd := obj(ours, "diff_enterns_null_domain")
	if nd["ret"] != -1.0 || nd["code"] != 38.0 || nd["int1"] != 9.0 {
		t.Errorf("ours NULL domain on an error path: %v", nd)
	}

	strip := func(m map[string]any) map[string]any {
		c := map[string]any{}
		for k, v := range m {
			if k != "lib" && k != "lib_after" && k != "ctypes_lib" && !strings.HasPrefix(k, "diff_") {
				c[k] = v
			}
		}
		return c
	}
	if d := cmp.Diff(strip(sys), strip(ours)); d != "" {
		t.Errorf("python results differ (-system +ours):\n%s", d)
	}

	// Independent facts, so that agreeing on a wrong answer fails too.
	if got := strs(ours["binding"]); !reflect.DeepEqual(got, []string{"lxcEnterCGroup", "lxcOpenNamespace"}) {
		t.Errorf("the binding wraps %v", got)
	}
	own := strs(ours["own_ns_ino"])
	for _, dom := range []string{"plain", "userns"} {
		init := initNS(t, "lxcgo-"+dom)
		o := obj(ours, "open_"+dom)
		if d := cmp.Diff(init, strs(o["ns"])); d != "" {
			t.Errorf("open_%s: fds are not the init's namespaces (-init +fds):\n%s", dom, d)
		}
		if d := cmp.Diff(strings.Fields(strings.Repeat("true ", 6)), strs(o["cloexec"])); d != "" {
			t.Errorf("open_%s: fds not close-on-exec:\n%s", dom, d)
		}
		for _, sc := range []string{"enterns_" + dom, "enterns_" + dom + "_noold"} {
			e := obj(ours, sc)
			if e["ret"] != 0.0 {
				t.Errorf("%s: %v", sc, e)
			}
			in := obj(e, "inside")
			if d := cmp.Diff(init, strs(in["ns"])); d != "" {
				t.Errorf("%s: child not in the init's namespaces (-init +child):\n%s", sc, d)
			}
			if in["hostname"] != "lxcgo-"+dom {
				t.Errorf("%s: hostname %v", sc, in["hostname"])
			}
			if !strings.Contains(fmt.Sprint(in["cgroup"]), "-lxcgo-"+dom+".libvirt-lxc\n") {
				t.Errorf("%s: cgroups %v", sc, in["cgroup"])
			}
		}
		e := obj(ours, "enterns_"+dom)
		if d := cmp.Diff(own, strs(e["old_ino"])); d != "" {
			t.Errorf("enterns_%s: old fds are not the caller's namespaces:\n%s", dom, d)
		}
		if d := cmp.Diff(strings.Fields(strings.Repeat("false ", 6)), strs(e["old_cloexec"])); d != "" {
			t.Errorf("enterns_%s: old fds close-on-exec:\n%s", dom, d)
		}
	}
	for sc, code := range map[string]float64{"open_off": 55, "open_readonly": 29,
		"open_flags": 8, "cgroup_readonly": 29, "cgroup_flags": 8,
		"enterns_ebadf": 38, "seclabel_bogus": 74, "seclabel_flags": 8} {
		if e := obj(ours, sc); e["ret"] != -1.0 || e["code"] != code {
			t.Errorf("%s: %v, want error code %v", sc, e, code)
		}
	}
	if c := obj(ours, "cgroup_off"); c["ret"] != 0.0 || c["cgroup"] != ours["cgroup_before"] {
		t.Errorf("cgroup_off: %v (an inactive domain re-adds the caller to its own cgroups)", c)
	}
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// virt-login-shell's helper, run as root as virt-login-shell does, with
// the library in the system's place inside a private mount namespace
// (tests/clients/login-shell.sh): nothing on the host is modified.
func TestClientLoginShell(t *testing.T) {
	testbed(t)
	script := filepath.Join(repoRoot(t), "tests", "clients", "login-shell.sh")
	sums := map[bool]string{false: sha256File(t, systemLibReal(t)), true: sha256File(t, ourLib(t))}
	if sums[false] == sums[true] {
		t.Fatal("our library and the system one have the same contents")
	}
	for i, dom := range []string{"lxcgo-plain", "lxcgo-userns"} {
		t.Run(dom, func(t *testing.T) {
			uid := strconv.Itoa(60901 + i)
			res := map[bool]clientRun{}
			for _, ours := range []bool{false, true} {
				out := t.TempDir()
				build := ""
				if ours {
					build = buildDir(t)
				}
				// The sleep gives the script time to read the maps of the
				// helper, which waits for the command.
				cmd := command(t, script, out, build, dom, uid, uid, "sleep 0.2; "+insideCmd)
				if r := runClient(t, cmd); r.rc != 0 {
					t.Fatalf("login-shell.sh: exit %d\n%s%s", r.rc, r.stdout, r.stderr)
				}
				read := func(name string) string {
					b, err := os.ReadFile(filepath.Join(out, name))
					if err != nil {
						t.Fatal(err)
					}
					return string(b)
				}
				rc, _ := strconv.Atoi(strings.TrimSpace(read("rc")))
				res[ours] = clientRun{read("stdout"), read("stderr"), rc}
				// The kernel's record of the mapped file, by content: the
				// path is the system's in both runs.
				want := systemLibReal(t) + " " + sums[ours] + "\n"
				if got := read("mapped"); got != want {
					t.Errorf("ours=%v: the helper mapped %q, want %q", ours, got, want)
				}
				if got := strings.TrimSpace(read("installed")); got != sums[ours] {
					t.Errorf("ours=%v: the namespace's library is %s, want %s", ours, got, sums[ours])
				}
			}
			if d := cmp.Diff(res[false], res[true], cmp.AllowUnexported(clientRun{})); d != "" {
				t.Errorf("virt-login-shell-helper differs (-system +ours):\n%s", d)
			}
			got := res[true]
			if got.rc != 0 || got.stderr != "" {
				t.Errorf("exit %d, stderr %q", got.rc, got.stderr)
			}
			checkInside(t, "ours", dom, got.stdout)
			if id := strings.Split(got.stdout, "\n")[1]; !strings.HasPrefix(id, "uid="+uid+" gid="+uid) {
				t.Errorf("the shell runs as %q, want uid %s", id, uid)
			}
		})
	}
	// Nothing of the host changed.
	for _, f := range []string{"/etc/passwd", "/etc/group"} {
		if b, _ := os.ReadFile(f); strings.Contains(string(b), "lxcgo-") {
			t.Errorf("%s was modified", f)
		}
	}
	if b, _ := os.ReadFile("/etc/libvirt/virt-login-shell.conf"); strings.Contains(string(b), "lxcgo-") {
		t.Error("/etc/libvirt/virt-login-shell.conf was modified")
	}
}

// godlopenReport mirrors what tests/clients/godlopen prints.
type godlopenReport struct {
	Lib             string                    `json:"lib"`
	Core            bool                      `json:"core"`
	Calls           map[string]map[string]any `json:"calls"`
	Repeat          int                       `json:"repeat_ok"`
	RepeatTotal     int                       `json:"repeat_total"`
	RepeatMs        float64                   `json:"repeat_ms_per_call"`
	Concurrent      int                       `json:"concurrent_ok"`
	ConcurrentTotal int                       `json:"concurrent_total"`
	Before, After   map[string]any
}

// A Go host (cgo) that dlopen()s libvirt-lxc.so.0: with ours, OpenNamespace
// is served by the host's core process, so our Go core never loads into it
// (Go does not support two runtimes in one process); the host's own runtime
// must keep working.
func TestClientGoDlopen(t *testing.T) {
	testbed(t)
	bin := filepath.Join(t.TempDir(), "godlopen")
	build := command(t, "go", "build", "-o", bin, "./tests/clients/godlopen")
	build.Dir = repoRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	res := map[bool]godlopenReport{}
	for _, ours := range []bool{false, true} {
		lib := systemLibReal(t)
		if ours {
			lib = ourLib(t)
		}
		cmd := command(t, bin, "-lib", lib, "-busy", "2s", "-repeat", "20")
		cmd.Env = append(os.Environ(), "LD_LIBRARY_PATH=")
		r := runClient(t, cmd)
		if r.rc != 0 {
			t.Fatalf("godlopen ours=%v: exit %d\n%s", ours, r.rc, r.stderr)
		}
		var rep godlopenReport
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("%v\n%s", err, r.stdout)
		}
		if rep.Lib != lib || rep.Core {
			t.Errorf("ours=%v: mapped %s (core %v), want %s (core false)", ours, rep.Lib, rep.Core, lib)
		}
		t.Logf("ours=%v: %d/%d repeated OpenNamespace calls ok, %.3f ms each; %d/%d concurrent ok; after: %v",
			ours, rep.Repeat, rep.RepeatTotal, rep.RepeatMs, rep.Concurrent, rep.ConcurrentTotal, rep.After)
		if rep.Repeat != rep.RepeatTotal || rep.Concurrent != rep.ConcurrentTotal || rep.RepeatTotal == 0 {
			t.Errorf("ours=%v: repeated calls %d/%d, concurrent %d/%d", ours,
				rep.Repeat, rep.RepeatTotal, rep.Concurrent, rep.ConcurrentTotal)
		}
		// The host's runtime after the calls, against fixed expectations.
		for k, want := range map[string]any{"gc_cycles": 3.0, "goroutines_ok": 100.0,
			"preempted": true, "sigusr1": true,
			"recovered": "runtime error: invalid memory address or nil pointer dereference"} {
			if rep.After[k] != want {
				t.Errorf("ours=%v: after the calls %s = %v, want %v", ours, k, rep.After[k], want)
			}
		}
		if n, _ := rep.After["prof_samples"].(float64); n <= 0 {
			t.Errorf("ours=%v: the CPU profiler (SIGPROF) recorded nothing after the calls", ours)
		}
		res[ours] = rep
	}
	if d := cmp.Diff(res[false].Calls, res[true].Calls); d != "" {
		t.Errorf("calls differ (-system +ours):\n%s", d)
	}
	c := res[true].Calls
	if d := cmp.Diff(initNS(t, "lxcgo-plain"), strs(c["open_plain"]["ns"])); d != "" {
		t.Errorf("open_plain: not the init's namespaces (-init +fds):\n%s", d)
	}
	if c["enterns_own"]["ret"] != 0.0 || c["enterns_ebadf"]["code"] != 38.0 ||
		c["seclabel_none"]["ret"] != 0.0 || c["seclabel_bogus"]["code"] != 74.0 ||
		c["cgroup_readonly"]["code"] != 29.0 || c["open_off"]["code"] != 55.0 {
		t.Errorf("unexpected results: %v", c)
	}
}
