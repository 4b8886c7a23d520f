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
	"strconv"
	"strings"
	"testing"
	"time"

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

// daemonPidFile is where the test bed's libvirtd writes its pid.
const daemonPidFile = "/run/libvirt/lxcgo-libvirtd.pid"

// testbedEnv runs tests/testbed/up.sh with extra environment, e.g.
// LXCGO_DAEMON_LIBRARY_PATH or LXCGO_DAEMON_RESTART.
func testbedEnv(t *testing.T, env ...string) {
	t.Helper()
	cmd := exec.Command("bash", upScript(t))
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

// relEnv is the environment of a C program run with our library (system:
// with libvirt's, preloaded in its place).
func relEnv(t *testing.T, system bool, extra ...string) []string {
	env := append(os.Environ(), "LD_LIBRARY_PATH="+buildDir(t), "LANG=C", "LC_ALL=C")
	if system {
		env = append(env, "LD_PRELOAD="+systemLib)
	}
	return append(env, extra...)
}

// relRun runs a program to completion within limit and returns its stdout.
func relRun(t *testing.T, limit time.Duration, env []string, prog string, args ...string) (string, string) {
	t.Helper()
	cmd := exec.Command(prog, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(limit, func() { cmd.Process.Kill() })
	err := cmd.Wait()
	if !timer.Stop() {
		t.Fatalf("%s %v: still running after %v, killed\nstdout: %s\nstderr: %s",
			filepath.Base(prog), args, limit, stdout.String(), stderr.String())
	}
	if err != nil {
		t.Fatalf("%s %v: %v\nstdout: %s\nstderr: %s", filepath.Base(prog), args, err,
			stdout.String(), stderr.String())
	}
	return stdout.String(), stderr.String()
}

// relLines maps the first word of each line to the rest.
func relLines(out string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(l, " "); ok {
			m[k] = v
		}
	}
	return m
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
