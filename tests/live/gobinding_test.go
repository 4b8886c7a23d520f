//go:build live

package live

// The Go libvirt binding (libvirt/libvirt-go-module), linked and dlopen
// mode, as a real client side by side with the system library.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// goBindingGOPATH is where Debian's golang-github-libvirt-libvirt-go-dev
// (tests/testbed/up.sh installs it) puts the Go libvirt binding: a GOPATH
// tree, which is how tests/clients/gobinding is built.
const goBindingGOPATH = "/usr/share/gocode"

// goBindingReport mirrors what tests/clients/gobinding prints.
type goBindingReport struct {
	Pid             int                       `json:"pid"`
	Lib             string                    `json:"lib"`
	Core            bool                      `json:"core"`
	LibAfter        string                    `json:"lib_after"`
	CoreAfter       bool                      `json:"core_after"`
	OwnNS           []string                  `json:"own_ns"`
	CgroupBefore    string                    `json:"cgroup_before"`
	Calls           map[string]map[string]any `json:"calls"`
	Repeat          int                       `json:"repeat_ok"`
	RepeatTotal     int                       `json:"repeat_total"`
	Concurrent      int                       `json:"concurrent_ok"`
	ConcurrentTotal int                       `json:"concurrent_total"`
}

// buildGoBinding builds tests/clients/gobinding into dir, linked with
// -lvirt -lvirt-lxc by the binding (no rpath: LD_LIBRARY_PATH decides).
func buildGoBinding(t *testing.T, dir string) string {
	t.Helper()
	lxcGo := filepath.Join(goBindingGOPATH, "src/github.com/libvirt/libvirt-go/lxc.go")
	if _, err := os.Stat(lxcGo); err != nil {
		t.Fatalf("the Go libvirt binding is missing (%v): tests/testbed/up.sh installs golang-github-libvirt-libvirt-go-dev", err)
	}
	bin := filepath.Join(dir, "gobinding")
	cmd := command(t, "go", "build", "-o", bin, ".")
	cmd.Dir = filepath.Join(repoRoot(t), "tests", "clients", "gobinding")
	// GOFLAGS: a module-mode flag from the caller's environment would be an
	// error in GOPATH mode; no VCS stamping of this tree either.
	cmd.Env = append(os.Environ(), "GO111MODULE=off", "GOPATH="+goBindingGOPATH, "GOFLAGS=-buildvcs=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build (GOPATH mode) of tests/clients/gobinding: %v\n%s", err, out)
	}
	return bin
}

// runGoBinding runs the client with our library or the system one and,
// while it still runs (-hold), lists the core processes serving it and
// whether each has our Go core mapped.
func runGoBinding(t *testing.T, bin string, ours bool) (goBindingReport, map[int]bool) {
	t.Helper()
	cmd := command(t, bin, "-hold", "-repeat", "20", "-goroutines", "4")
	cmd.Env = append(os.Environ(), "LANG=C", "LC_ALL=C", "LD_LIBRARY_PATH=")
	if ours {
		cmd.Env = append(cmd.Env, "LD_LIBRARY_PATH="+buildDir(t))
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var rep goBindingReport
	decErr := json.NewDecoder(stdout).Decode(&rep)
	served := map[int]bool{}
	if decErr == nil {
		core := filepath.Join(buildDir(t), "libvirt-lxc-core.so")
		for _, pid := range coreProcsOf(t, cmd.Process.Pid) {
			maps, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/maps")
			served[pid] = strings.Contains(string(maps), core)
		}
	}
	stdin.Close()
	werr := cmd.Wait()
	if decErr != nil || werr != nil || stderr.Len() != 0 {
		t.Fatalf("gobinding (ours=%v): report %v, exit %v\nstderr: %s", ours, decErr, werr, stderr.String())
	}
	if rep.Pid != cmd.Process.Pid {
		t.Fatalf("gobinding (ours=%v) reports pid %d, started as %d", ours, rep.Pid, cmd.Process.Pid)
	}
	return rep, served
}

// A Go program using the Go libvirt binding (linked mode) and its own LXC
// API, with the system library and with ours. With ours, OpenNamespace must
// be served by one core process of the program's own, and our Go core must
// never be mapped into the program: Go does not support a second runtime
// in a process.
func TestClientGoBinding(t *testing.T) {
	testbed(t)
	bin := buildGoBinding(t, t.TempDir())
	res := map[bool]goBindingReport{}
	for _, ours := range []bool{false, true} {
		rep, served := runGoBinding(t, bin, ours)
		lib := systemLibReal(t)
		if ours {
			lib = ourLib(t)
		}
		if rep.Lib != lib || rep.LibAfter != lib {
			t.Errorf("ours=%v: mapped %q at start and %q after the calls, want %s", ours, rep.Lib, rep.LibAfter, lib)
		}
		if rep.Core || rep.CoreAfter {
			t.Errorf("ours=%v: libvirt-lxc-core.so mapped in the Go program (at start %v, after the calls %v)",
				ours, rep.Core, rep.CoreAfter)
		}
		switch {
		case !ours && len(served) != 0:
			t.Errorf("system: core processes serve the Go program (pid: core mapped): %v", served)
		case ours && len(served) != 1:
			t.Errorf("ours: %d core processes serve the Go program (pid: core mapped: %v), want exactly one",
				len(served), served)
		}
		for pid, core := range served {
			if !core {
				t.Errorf("ours=%v: core process %d has no libvirt-lxc-core.so mapped", ours, pid)
			}
		}
		if rep.RepeatTotal == 0 || rep.Repeat != rep.RepeatTotal || rep.ConcurrentTotal == 0 ||
			rep.Concurrent != rep.ConcurrentTotal {
			t.Errorf("ours=%v: repeated calls %d/%d, from goroutines %d/%d with the same namespaces",
				ours, rep.Repeat, rep.RepeatTotal, rep.Concurrent, rep.ConcurrentTotal)
		}
		res[ours] = rep
	}
	sys, ours := res[false], res[true]

	strip := func(m map[string]map[string]any) map[string]map[string]any {
		c := map[string]map[string]any{}
		for k, v := range m {
			if !strings.HasPrefix(k, "diff_") {
				c[k] = v
			}
		}
		return c
	}
	if d := cmp.Diff(strip(sys.Calls), strip(ours.Calls)); d != "" {
		t.Errorf("calls differ (-system +ours):\n%s", d)
	}

	// Independent facts, so that agreeing on a wrong answer fails too.
	init := initNS(t, "lxcgo-plain")
	c := ours.Calls
	if d := cmp.Diff(init, strs(c["open_plain"]["ns"])); d != "" {
		t.Errorf("open_plain: fds are not the init's namespaces (-init +fds):\n%s", d)
	}
	if d := cmp.Diff(strings.Fields(strings.Repeat("true ", 6)), strs(c["open_plain"]["cloexec"])); d != "" {
		t.Errorf("open_plain: fds not close-on-exec:\n%s", d)
	}
	for sc, code := range map[string]float64{"open_off": 55, "open_readonly": 29, "open_flags": 8,
		"enterns_ebadf": 38, "seclabel_bogus": 74, "seclabel_flags": 8,
		"cgroup_readonly": 29, "cgroup_flags": 8} {
		if c[sc]["ret"] != -1.0 || c[sc]["code"] != code {
			t.Errorf("%s: %v, want error code %v", sc, c[sc], code)
		}
	}
	if c["open_off"]["domain"] != 20.0 || c["open_off"]["msg"] != "Requested operation is not valid: domain is not running" {
		t.Errorf("open_off: %v", c["open_off"])
	}
	if c["seclabel_none"]["ret"] != 0.0 {
		t.Errorf("seclabel_none: %v", c["seclabel_none"])
	}
	if c["cgroup_off"]["ret"] != 0.0 || c["cgroup_off"]["cgroup"] != ours.CgroupBefore {
		t.Errorf("cgroup_off: %v (an inactive domain re-adds the caller to its own cgroups)", c["cgroup_off"])
	}

	// Deliberate difference: EnterNamespace on one thread of the Go
	// program. libvirt's library ignores setns()'s EINVAL for the mount
	// namespace of a multi-threaded process; ours enters it.
	sysInit := append(append([]string{}, init[:5]...), sys.OwnNS[5])
	for who, want := range map[string][]string{"system": sysInit, "ours": init} {
		e := res[who == "ours"].Calls["diff_enterns_plain"]
		if e["ret"] != 0.0 {
			t.Errorf("%s: EnterNamespace: %v", who, e)
			continue
		}
		if d := cmp.Diff(want, strs(e["thread"])); d != "" {
			t.Errorf("%s: the thread's namespaces after EnterNamespace (-want +got):\n%s", who, d)
		}
		if d := cmp.Diff(res[who == "ours"].OwnNS, strs(e["ns"])); d != "" {
			t.Errorf("%s: old fds are not the program's namespaces (-own +old):\n%s", who, d)
		}
		if d := cmp.Diff(strings.Fields(strings.Repeat("false ", 6)), strs(e["cloexec"])); d != "" {
			t.Errorf("%s: old fds close-on-exec:\n%s", who, d)
		}
	}
}
