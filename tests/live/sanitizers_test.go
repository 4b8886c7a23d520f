//go:build live

package live

// AddressSanitizer and Valgrind runs of the C library (suite slow).

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// relCProgs are the C programs that run under the sanitizers: the Enter
// scenario programs, the fd-leak loop and a single-threaded OpenNamespace
// (served by the helper, so no Go runtime in the process).
var relCProgs = [][]string{
	{"enter_seclabel"}, {"enter_cgroup"}, {"enter_ns"},
	{"rel_fdleak", "1000"},
	{"rel_hostile", testURI, "lxcgo-plain", "single"},
}

// relCheckOutput fails on what the tc.h programs print for a child that
// died or exited non-zero (a sanitizer's exit code included).
func relCheckOutput(t *testing.T, where, out string) {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, " crashed signal=") || strings.Contains(l, " exited status=") ||
			strings.Contains(l, " hung") || strings.Contains(l, "left oldfdlist") {
			t.Errorf("%s: %s", where, l)
		}
	}
	if strings.Contains(out, "fds before=") {
		if r, _ := parse(out); !strings.Contains(r.lines["fds"], "core_loaded=0") {
			t.Errorf("%s: the Go core was loaded in the process: %s", where, r.lines["fds"])
		}
	}
}

// 6a. AddressSanitizer: a separate build directory with -Db_sanitize=address
// (inside the main one, reused across runs), its programs run against its
// library. Only paths without the Go runtime in the process: ASan and the Go
// runtime are not meant to share one.
func TestReliabilityASan(t *testing.T) {
	testbed(t)
	dir := filepath.Join(buildDir(t), "sanitize-asan")
	setup := []string{"setup", dir, repoRoot(t), "-Db_sanitize=address", "-Db_lundef=false"}
	if _, err := os.Stat(filepath.Join(dir, "build.ninja")); err == nil {
		setup = []string{"setup", "--reconfigure", dir, repoRoot(t), "-Db_sanitize=address", "-Db_lundef=false"}
	}
	for _, args := range [][]string{setup, {"compile", "-C", dir}} {
		cmd := command(t, "meson", args...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("meson %v: %v\n%s", args, err, out)
		}
	}
	lib, err := os.ReadFile(filepath.Join(dir, "libvirt-lxc.so.0"))
	if err != nil || !bytes.Contains(lib, []byte("__asan_init")) {
		t.Fatalf("%s/libvirt-lxc.so.0 is not built with ASan (%v)", dir, err)
	}
	for _, pa := range relCProgs {
		prog := filepath.Join(dir, "tests", "c", pa[0])
		cmd := command(t, prog, pa[1:]...)
		cmd.Env = append(os.Environ(), "LD_LIBRARY_PATH="+dir, "LANG=C", "LC_ALL=C",
			"ASAN_OPTIONS=detect_leaks=1:exitcode=97:abort_on_error=0")
		cmd.Stdin = strings.NewReader("go\ngo\n")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if err != nil || strings.Contains(stderr.String(), "Sanitizer") {
			t.Errorf("%v under ASan: %v\nstderr: %s", pa, err, stderr.String())
		}
		if r, _ := parse(stdout.String()); !strings.HasPrefix(r.lib, dir+"/") {
			t.Errorf("%v used %q, not the ASan build", pa, r.lib)
		}
		relCheckOutput(t, pa[0]+" (ASan)", stdout.String())
	}
}

// 6b. Valgrind memcheck, main build, same programs. Valgrind follows the
// tc.h programs' forked children (a child with errors exits 99, which they
// print); it does not follow the helper's exec, so the Go core never runs
// under it. Only definite leaks count (libvirt and glib keep their
// one-time allocations, which valgrind calls reachable). No suppressions:
// the test programs free what they allocate (tc.h's tcRelease).
func TestReliabilityValgrind(t *testing.T) {
	testbed(t)
	if _, err := exec.LookPath("valgrind"); err != nil {
		t.Fatal("valgrind is not installed (tests/testbed/up.sh installs it)")
	}
	for _, pa := range relCProgs {
		args := append([]string{"-q", "--error-exitcode=99", "--leak-check=full",
			"--errors-for-leak-kinds=definite", program(t, pa[0])}, pa[1:]...)
		if pa[0] == "rel_fdleak" {
			args[len(args)-1] = "200" // about 100 times slower under memcheck
		}
		cmd := command(t, "valgrind", args...)
		cmd.Env = libEnv(t, false)
		cmd.Stdin = strings.NewReader("go\ngo\n")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Errorf("%v under valgrind: %v\nstderr: %s", pa, err, stderr.String())
		}
		relCheckOutput(t, pa[0]+" (valgrind)", stdout.String())
	}
}
