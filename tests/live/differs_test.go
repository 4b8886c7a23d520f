//go:build live

// The "Differs:" claims of libvirt-lxc.h that no other test covers
// (tests/c/differs.c): a core process that is missing or cannot start, and
// EnterSecurityLabel in a process that has not initialised libvirt.
package live

import (
	"io"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// coreSubdir is where an installed libvirt-lxc.so.0 looks for its core
// process's program first (core_subdir in meson.build).
const coreSubdir = "libvirt-lxc-go"

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(to, mode); err != nil { // not cut by the umask
		t.Fatal(err)
	}
}

// installedCopy lays our library out as installed, in a directory of its
// own: DIR/libvirt-lxc.so.0, DIR/libvirt-lxc-go/libvirt-lxc-core.so, and
// the core process's program set up by place (at the path it is given),
// with a working copy of it at DIR/working for the test to move there.
func installedCopy(t *testing.T, place func(core string)) (dir, core, working string) {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, coreSubdir), 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, ourLib(t), filepath.Join(dir, "libvirt-lxc.so.0"), 0o755)
	copyFile(t, filepath.Join(buildDir(t), "libvirt-lxc-core.so"),
		filepath.Join(dir, coreSubdir, "libvirt-lxc-core.so"), 0o644)
	core = filepath.Join(dir, coreSubdir, filepath.Base(coreProgram(t)))
	working = filepath.Join(dir, "working")
	copyFile(t, coreProgram(t), working, 0o755)
	place(core)
	return dir, core, working
}

// A single-threaded caller (always served by a core process) whose core
// process program is missing or cannot start: each call fails with
// VIR_ERR_INTERNAL_ERROR saying what happened, the next call fails the
// same way, nothing is left behind, and once the program is back the next
// call works.
func TestDiffersCoreProcessCannotStart(t *testing.T) {
	testbed(t)
	cases := []struct {
		name  string
		place func(t *testing.T, core string)
		msg   func(core string) *regexp.Regexp
	}{
		{
			name:  "missing",
			place: func(t *testing.T, core string) {},
			msg: func(core string) *regexp.Regexp {
				return literal("internal error: the core process of libvirt-lxc.so.0 is missing: expected " + core)
			},
		},
		{
			name: "not executable",
			place: func(t *testing.T, core string) {
				copyFile(t, coreProgram(t), core, 0o644)
			},
			msg: func(core string) *regexp.Regexp {
				return literal("internal error: cannot start the core process " + core + ": Permission denied")
			},
		},
		{
			name: "exits at once",
			place: func(t *testing.T, core string) {
				copyFile(t, "/bin/true", core, 0o755)
			},
			msg: func(core string) *regexp.Regexp {
				return regexp.MustCompile("^" + regexp.QuoteMeta("internal error: the core process "+core+" (pid ") +
					"[0-9]+" + regexp.QuoteMeta(") of libvirt-lxc.so.0 exited or was killed before answering") + "$")
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir, core, working := installedCopy(t, func(core string) { c.place(t, core) })
			cmd := command(t, program(t, "differs"), "corestart", working, core)
			cmd.Env = append(os.Environ(), "LD_LIBRARY_PATH="+dir, "LANG=C", "LC_ALL=C")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("differs corestart: %v\n%s", err, out)
			}
			r, dups := parse(string(out))
			if len(dups) > 0 {
				t.Fatalf("%s printed twice:\n%s", dups[0], out)
			}
			if want := filepath.Join(dir, "libvirt-lxc.so.0"); r.lib != want {
				t.Fatalf("ran with %q, want the copy %s", r.lib, want)
			}
			for _, call := range []string{"first", "second"} {
				f := fields(r.lines[call])
				expect(t, call, f, map[string]string{"ret": "-1", "code": "1", "domain": "0", "level": "2"})
				if !c.msg(core).MatchString(f["msg"]) {
					t.Errorf("%s call: message %q, want %v", call, f["msg"], c.msg(core))
				}
			}
			// Single-threaded (so served by a core process); no fd, no
			// child or zombie, no process holding a pidfd of the caller.
			expect(t, "after the failed calls", fields(r.lines["corestart"]), map[string]string{
				"threads": "1", "extra_fds": "0", "children": "none", "pidfd_holders": "0"})
			expect(t, "third call, the program back", fields(r.lines["third"]), map[string]string{
				"ret": "6", "noerror": ""})
			expect(t, "after the third call", fields(r.lines["restored"]), map[string]string{
				"extra_fds": "1", "pidfd_holders": "1"})
		})
	}
}

func literal(s string) *regexp.Regexp {
	return regexp.MustCompile("^" + regexp.QuoteMeta(s) + "$")
}

// virDomainLxcEnterSecurityLabel as a process's first libvirt call: ours
// initialises libvirt and behaves as in any other process
// (tests/c/enter_seclabel.c's none and flags scenarios). libvirt 9.0's
// frees the last error it has not set up and dies by glibc's abort;
// libvirt 11.3's (Debian 13) sets itself up and answers as ours does. Which
// one the system library is, is taken from the system library itself: a
// crash on one scenario must be a crash on all, an answer ours exactly.
// abortedLine is the line tc.h prints for a scenario killed by SIGABRT.
const abortedLine = "crashed signal=6"

func TestDiffersEnterSecurityLabelUninitialised(t *testing.T) {
	ours, sys := executeBoth(t, "differs", "label")
	want := map[string]map[string]string{
		"label_none":          {"ret": "0", "noerror": "", "cb": "none"},
		"label_none_flags":    {"ret": "-1", "code": "8", "domain": "0", "str2": "flags"},
		"label_unknown_model": {"ret": "-1", "code": "74", "domain": "0"},
	}
	if len(ours.order) != len(want) {
		t.Errorf("ours printed %d scenarios, want %d: %v", len(ours.order), len(want), ours.order)
	}
	crashes := sys.lines["label_none"] == abortedLine
	t.Logf("the system library before initialisation: crashes=%v", crashes)
	for name, w := range want {
		expect(t, "ours/"+name, fields(ours.lines[name]), w)
		got := sys.lines[name]
		switch {
		case crashes && got != abortedLine:
			t.Errorf("system/%s: %q, where its other scenarios crashed (%s)", name, got, abortedLine)
		case !crashes && got != ours.lines[name]:
			t.Errorf("system/%s: %q, ours %q: a system library that does not crash must answer as ours", name, got, ours.lines[name])
		}
	}
}
