//go:build live

// Package live runs the C scenario programs of tests/c against our
// libvirt-lxc.so.0 and against the system one, and compares.
//
// Each program prints "lib <path>" and then one line per scenario (see
// tests/c/tc.h). Scenarios named diff_* are the deliberate differences; they
// are left out of the comparison and checked by their own assertions.
//
// Where to look:
//
//	harness_test.go        this harness: build tree, test bed, running programs
//	                       (every one bounded by subprocessTimeout), parsing
//	enter_test.go          the three Enter functions (tests/c/enter_*.c)
//	open_test.go           OpenNamespace (tests/c/open_ns.c); helpers_open_test.go
//	coreproc_test.go       the core process (tests/c/coreproc.c); coreproc_helpers_test.go
//	clients_test.go        virsh, Python, virt-login-shell, a Go host dlopen()ing us
//	gobinding_test.go      the Go libvirt binding
//	fdleak_test.go         no fd left behind by any function (tests/c/rel_fdleak.c)
//	fork_stress_test.go    forks from a busy multi-threaded host (tests/c/rel_fork.c)
//	hostile_peer_test.go   a misbehaving daemon (tests/c/rel_hostile.c), through
//	proxy_test.go          the man-in-the-middle proxy that plays it
//	environment_test.go    a hostile environment, a setuid caller (tests/c/rel_secure.c)
//	sanitizers_test.go     the C programs under ASan and valgrind
//	templates_test.go      libvirt's own error messages, read from libvirt.so.0
//	differs_test.go        header "Differs:" claims tested nowhere else (tests/c/differs.c)
package live

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const systemLib = "/usr/lib/x86_64-linux-gnu/libvirt-lxc.so.0"

// subprocessTimeout bounds every program a test runs (C programs, clients,
// builds, tests/testbed/up.sh): a hang fails that test, with what the
// program printed, rather than the whole run at go test's -timeout. The
// longest run, one mode of the fork stress, takes about a minute. A limit
// that is the behaviour under test (a call's deadline) is the test's own.
const subprocessTimeout = 5 * time.Minute

// command is exec.Command bounded by subprocessTimeout: a program still
// running then is killed, and the test fails saying so.
func command(t *testing.T, name string, args ...string) *exec.Cmd {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), subprocessTimeout)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Cancel = func() error {
		t.Errorf("%s %v: still running after %v, killed", filepath.Base(name), args, subprocessTimeout)
		return cmd.Process.Kill()
	}
	return cmd
}

// run is the parsed output of one program run.
type run struct {
	lib   string
	lines map[string]string // scenario name -> rest of its line
	order []string
	out   string // stdout as printed
}

// parse splits a program's output into its "lib" line and a map from the
// first word of every other line to the rest (the last line wins), and
// lists the first words printed more than once.
func parse(out string) (r run, dups []string) {
	r = run{lines: map[string]string{}, out: out}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		name, rest, _ := strings.Cut(sc.Text(), " ")
		if name == "lib" {
			r.lib = rest
			continue
		}
		if _, dup := r.lines[name]; dup {
			dups = append(dups, name)
		} else {
			r.order = append(r.order, name)
		}
		r.lines[name] = rest
	}
	return r, dups
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
	testbedEnv(t)
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

// libEnv is the environment of a program run with our library, or with the
// system one preloaded (same soname, so it takes the place of ours), plus
// extra.
func libEnv(t *testing.T, system bool, extra ...string) []string {
	env := append(os.Environ(), "LD_LIBRARY_PATH="+buildDir(t), "LANG=C", "LC_ALL=C")
	if system {
		env = append(env, "LD_PRELOAD="+systemLib)
	}
	return append(env, extra...)
}

// runLib runs prog (with args) with our library, or with the system one,
// and parses what it printed, listing the first words printed more than
// once; the test fails unless the program exits 0.
func runLib(t *testing.T, prog string, system bool, args ...string) (run, []string) {
	t.Helper()
	cmd := command(t, prog, args...)
	cmd.Env = libEnv(t, system)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v (system=%v): %v\nstderr: %s\nstdout: %s", prog, args, system, err, stderr.String(), out)
	}
	return parse(string(out))
}

// execute is runLib for a program of scenarios: each prints one line.
func execute(t *testing.T, prog string, system bool, args ...string) run {
	t.Helper()
	r, dups := runLib(t, prog, system, args...)
	if len(dups) > 0 {
		t.Fatalf("%s: scenario %s printed twice", prog, dups[0])
	}
	return r
}

// executeBoth runs prog (with args) with each library and checks which
// library each run used.
func executeBoth(t *testing.T, name string, args ...string) (ours, sys run) {
	t.Helper()
	prog := program(t, name)
	ours = execute(t, prog, false, args...)
	sys = execute(t, prog, true, args...)
	checkLibs(t, ours, sys)
	return ours, sys
}

// checkLibs fails unless ours ran our library and sys the system one.
func checkLibs(t *testing.T, ours, sys run) {
	t.Helper()
	if ours.lib != ourLib(t) {
		t.Fatalf("ours used %q, want %q", ours.lib, ourLib(t))
	}
	want, err := filepath.EvalSymlinks(systemLib)
	if err != nil {
		t.Fatal(err)
	}
	if sys.lib != want {
		t.Fatalf("LD_PRELOAD run used %q, want %q", sys.lib, want)
	}
}

// both runs prog in both modes, checks which library each run used, and
// compares every scenario that is not a deliberate difference.
func both(t *testing.T, name string) (ours, sys run) {
	t.Helper()
	testbed(t)
	ours, sys = executeBoth(t, name)
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

// daemonPidFile is where the test bed's libvirtd writes its pid.
const daemonPidFile = "/run/libvirt/lxcgo-libvirtd.pid"

// testbedEnv runs tests/testbed/up.sh with extra environment, e.g.
// LXCGO_DAEMON_LIBRARY_PATH or LXCGO_DAEMON_RESTART.
func testbedEnv(t *testing.T, env ...string) {
	t.Helper()
	cmd := command(t, "bash", upScript(t))
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v tests/testbed/up.sh: %v\n%s", env, err, out)
	}
}

func upScript(t *testing.T) string {
	return filepath.Join(repoRoot(t), "tests", "testbed", "up.sh")
}

// daemonPid is the pid of the test bed's libvirtd.
func daemonPid(t *testing.T) int {
	t.Helper()
	data, err := os.ReadFile(daemonPidFile)
	if err != nil {
		t.Fatalf("test bed daemon: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatalf("%s: %v", daemonPidFile, err)
	}
	return pid
}

// mappedFiles lists the files mapped by process pid.
func mappedFiles(t *testing.T, pid int) map[string]bool {
	t.Helper()
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/maps")
	if err != nil {
		t.Fatalf("maps of %d: %v", pid, err)
	}
	files := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		if i := strings.Index(line, "/"); i >= 0 {
			files[line[i:]] = true
		}
	}
	return files
}

func atoi(t *testing.T, where, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%s: %q is not a number", where, s)
	}
	return n
}

// TestMain drops what would make the dynamic loader pick a libvirt-lxc.so.0
// behind a test's back: meson test points LD_LIBRARY_PATH at the build
// tree, which would turn every "system library" run into one of ours. Each
// test sets the library it means explicitly, and proves which one loaded.
func TestMain(m *testing.M) {
	os.Unsetenv("LD_LIBRARY_PATH")
	os.Unsetenv("LD_PRELOAD")
	os.Exit(m.Run())
}
