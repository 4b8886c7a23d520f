//go:build live

// The caller's resource limits (tests/c/limits.c): where a limit stops a
// call of ours, the error names that limit, and the next call works once
// it is lifted.
package live

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// limits runs one scenario of tests/c/limits with one library: its line,
// and the error fields of its two calls.
func limits(t *testing.T, system bool, scenario string, env ...string) (line, first, second map[string]string) {
	t.Helper()
	testbed(t)
	cmd := command(t, program(t, "limits"), scenario)
	cmd.Env = libEnv(t, system, env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("limits %s (system=%v): %v\n%s", scenario, system, err, out)
	}
	r, _ := parse(string(out))
	return fields(r.lines[scenario]), fields(r.lines[scenario+"-first"]), fields(r.lines[scenario+"-second"])
}

func wantMsg(t *testing.T, where string, f map[string]string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(f["msg"], p) {
			t.Errorf("%s: message %q does not say %q", where, f["msg"], p)
		}
	}
}

// No descriptor left: the first call (which must start the core process)
// and a later one (which must receive six fds) fail naming the descriptor
// limit, and the next call succeeds on the same core process. libvirt's
// own connection is left broken by the later case.
func TestLimitsDescriptors(t *testing.T) {
	for _, sc := range []string{"nofile-first", "nofile-later"} {
		t.Run(sc, func(t *testing.T) {
			o, of, _ := limits(t, false, sc)
			s, sf, _ := limits(t, true, sc)
			expect(t, "ours", o, map[string]string{"first": "-1", "second": "6", "threads": "1"})
			expect(t, "ours", of, map[string]string{"code": "1", "domain": "0"})
			wantMsg(t, "ours", of, "Too many open files", "RLIMIT_NOFILE")
			if s["first"] != "-1" {
				t.Errorf("system: first=%s: the scenario left room for the call", s["first"])
			}
			t.Logf("system: first=%s second=%s: %s", s["first"], s["second"], sf["msg"])
		})
	}
}

// A soft address-space limit is raised to the hard one in the core
// process, where the Go runtime needs the room; a hard limit below what it
// needs is named.
func TestLimitsAddressSpace(t *testing.T) {
	o, _, _ := limits(t, false, "as-soft")
	s, _, _ := limits(t, true, "as-soft")
	expect(t, "system", s, map[string]string{"first": "6", "second": "6"})
	expect(t, "ours", o, map[string]string{"first": "6", "second": "6", "threads": "1"})

	o, of, _ := limits(t, false, "as-hard")
	expect(t, "ours as-hard", o, map[string]string{"first": "-1", "second": "-1"})
	wantMsg(t, "ours as-hard", of, "RLIMIT_AS", "400 MiB")
}

// pidsCgroup makes a cgroup whose pids.max is max and returns the file to
// write a pid to.
func pidsCgroup(t *testing.T, max int) string {
	t.Helper()
	root := "/sys/fs/cgroup/pids" // cgroup v1's pids hierarchy
	if _, err := os.Stat(root); err != nil {
		root = "/sys/fs/cgroup" // cgroup v2
		if err := os.WriteFile(filepath.Join(root, "cgroup.subtree_control"), []byte("+pids"), 0); err != nil {
			t.Fatalf("no pids controller to limit tasks with: %v", err)
		}
	}
	dir, err := os.MkdirTemp(root, "lxcgo-pids-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(dir) })
	if err := os.WriteFile(filepath.Join(dir, "pids.max"), []byte(strconv.Itoa(max)), 0); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "cgroup.procs")
}

// coreTasks bounds what a core process holds while it starts and serves
// one call at a time: its main thread and the Go runtime's threads (the
// one that ran the runtime's init, sysmon, cgo's template thread, and
// those it starts to run goroutines while others wait), 5-7 as measured
// with Go 1.22-1.26, and one to spare.
const coreTasks = 8

// Under a task limit (pids.max of the caller's cgroup), ours succeeds
// wherever there is room for the caller and its core process, and where
// there is not the error names the limit. libvirt's library needs no task
// of its own: it works with less (the header says so).
func TestLimitsTasks(t *testing.T) {
	testbed(t)
	prog := program(t, "limits")
	smallest := 0
	for max := 2; max <= 1+coreTasks; max++ {
		ok := map[bool]bool{}
		for _, system := range []bool{true, false} {
			procs := pidsCgroup(t, max)
			cmd := command(t, "sh", "-c", `echo $$ > "$1" && shift && exec "$@"`, "sh", procs, prog, "calls")
			cmd.Env = libEnv(t, system)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("pids.max %d system=%v: %v\n%s", max, system, err, out)
			}
			r, _ := parse(string(out))
			f := fields(r.lines["calls"])
			ok[system] = f["first"] == "6" && f["second"] == "6"
			if !system && !ok[system] {
				e := fields(r.lines["calls-first"])
				if f["first"] == "6" {
					e = fields(r.lines["calls-second"])
				}
				wantMsg(t, "ours pids.max "+strconv.Itoa(max), e, "pids.max")
			}
		}
		t.Logf("pids.max %d: system ok=%v, ours ok=%v", max, ok[true], ok[false])
		if ok[false] && smallest == 0 {
			smallest = max
		}
		if max == 1+coreTasks && !ok[false] {
			t.Errorf("pids.max %d: room for the caller and its core process, and ours failed", max)
		}
	}
	t.Logf("ours works from pids.max %d (the caller and %d tasks)", smallest, smallest-1)
}
