//go:build live

// What a caller can observe of its core process (tests/c/coreproc.c): no
// signal, no child to reap, no zombie, nothing of the caller's held, gone
// within a second of the caller, one per process and fork generation, and
// faults that fail one call clearly and heal on the next.
package live

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// goneWithin is how long a core process may outlive its caller.
const goneWithin = 1000 * time.Millisecond

// coreproc runs one scenario of tests/c/coreproc with our library and
// returns its line's fields.
func coreproc(t *testing.T, scenario string, args ...string) map[string]string {
	t.Helper()
	testbed(t)
	r := execute(t, program(t, "coreproc"), false, append([]string{scenario}, args...)...)
	if r.lib != ourLib(t) {
		t.Fatalf("coreproc ran with %q, not our %s", r.lib, ourLib(t))
	}
	line, ok := r.lines[scenario]
	if !ok {
		t.Fatalf("coreproc %s printed no line: %v", scenario, r.lines)
	}
	return fields(line)
}

// msAtMost checks a millisecond figure against a limit (-1: never).
func msAtMost(t *testing.T, where, got string, limit time.Duration) {
	t.Helper()
	ms, err := strconv.Atoi(got)
	if err != nil || ms < 0 || time.Duration(ms)*time.Millisecond > limit {
		t.Errorf("%s: %s ms, want at most %v", where, got, limit)
	}
}

func TestCoreProcNoSignalNoChild(t *testing.T) {
	// A caller that is a child subreaper adopts every orphan below it: its
	// core process must still never be its child.
	for _, mode := range []string{"plain", "subreaper"} {
		f := coreproc(t, "sigchld", mode)
		expect(t, "sigchld "+mode, f, map[string]string{"mode": mode, "calls": "20", "ok": "20",
			"threads": "1", "during_calls": "0", "waitpid_sees_child": "0",
			"children": "none", "own_child_sigchld": "1"})
	}
	f := coreproc(t, "reaper")
	expect(t, "reaper", f, map[string]string{"calls": "20", "ok": "20",
		"reaped_own": "1", "reaped_foreign": "0"})
}

func TestCoreProcOwnSession(t *testing.T) {
	f := coreproc(t, "session")
	expect(t, "session", f, map[string]string{"first": "6", "core_found": "1",
		"same_pgrp": "0", "same_session": "0", "survived_sigint": "1",
		"second": "6", "same_core": "1"})
}

func TestCoreProcHoldsNothingOfTheCaller(t *testing.T) {
	f := coreproc(t, "fds")
	expect(t, "fds", f, map[string]string{"calls_ok": "2", "caller_extra_fds": "1",
		"extra_is_cloexec_socket": "1", "core_found": "1", "core_cwd": "/",
		"core_holds_caller_files": "none", "rmdir_cwd": "1"})
}

func TestCoreProcEndsWithItsCaller(t *testing.T) {
	for _, mode := range []string{"exit", "kill", "exec", "forked"} {
		t.Run(mode, func(t *testing.T) {
			f := coreproc(t, "exit", mode)
			expect(t, mode, f, map[string]string{"mode": mode, "core_found": "1"})
			if mode == "exec" {
				expect(t, mode, f, map[string]string{"caller_alive": "1"})
			}
			msAtMost(t, mode, f["gone_ms"], goneWithin)
		})
	}
	t.Run("subreaper", func(t *testing.T) {
		f := coreproc(t, "subreaper")
		// The core process may become the subreaper's child (it is
		// reparented when the caller exits); it must be gone and reaped
		// within the limit, leaving nothing.
		expect(t, "subreaper", f, map[string]string{"core_found": "1",
			"nothing_left": "1", "core_alive": "0"})
		if n := f["reaped_besides_child"]; n != "0" && n != "1" {
			t.Errorf("subreaper reaped %s processes besides its child, want its core process at most", n)
		}
		msAtMost(t, "subreaper", f["left_after_ms"], goneWithin)
	})
}

func TestCoreProcForkGenerations(t *testing.T) {
	f := coreproc(t, "generations")
	expect(t, "generations", f, map[string]string{"parent_core_found": "1",
		"parent_core_same": "1", "child_ok": "1", "child_core_distinct": "1",
		"child_extra_fds": "0", "grandchild_core_distinct": "1"})
}

func TestCoreProcConcurrentFirstCalls(t *testing.T) {
	f := coreproc(t, "concurrent")
	expect(t, "concurrent", f, map[string]string{"calls": "800", "ok": "800",
		"bad": "0", "core_procs": "1", "core_mapped": "0"})
}

func TestCoreProcFaults(t *testing.T) {
	t.Run("killed mid-call", func(t *testing.T) {
		f := coreproc(t, "midcall")
		expectCoreFault(t, f, "exited or was killed before answering")
		msAtMost(t, "midcall", f["ms"], 2*time.Second)
	})
	t.Run("terminated mid-call", func(t *testing.T) {
		// A signal it can catch leaves last words on its stderr, which is
		// the channel: they end the caller's error, never its output.
		f := coreproc(t, "midterm")
		expectCoreFault(t, f, "exited or was killed before answering; it said: killed by signal 15 (Terminated)")
	})
	t.Run("killed while idle", func(t *testing.T) {
		f := coreproc(t, "idlekill")
		expect(t, "idlekill", f, map[string]string{"first": "6", "core_found": "1",
			"second": "6", "new_core": "1"})
	})
}

// A core process that never answers is killed at the channel's deadline
// (35 s), and the next call gets a new one. Slow suite: it waits it out.
func TestCoreProcHung(t *testing.T) {
	f := coreproc(t, "hung")
	expectCoreFault(t, f, "did not answer within 35 s and was killed")
	ms, _ := strconv.Atoi(f["ms"])
	if ms < 34000 || ms > 40000 {
		t.Errorf("hung call took %s ms, want its 35 s deadline", f["ms"])
	}
}

// expectCoreFault checks a failed call's error, naming the core process
// and what, and that the next call worked through a new core process.
func expectCoreFault(t *testing.T, f map[string]string, what string) {
	t.Helper()
	expect(t, "fault", f, map[string]string{"ret": "-1", "code": "1", "domain": "0",
		"level": "2", "next_ret": "6", "new_core": "1", "old_core_alive": "0"})
	if !strings.Contains(f["msg"], what) || !strings.HasPrefix(f["msg"], "internal error: the core process ") {
		t.Errorf("message %q, want the core process named and %q", f["msg"], what)
	}
}

// An idle core process keeps its daemon connection: the test bed's daemon
// (tests/testbed/up.sh) pings every second and drops a client that asked
// for keepalive and leaves 2 pings unanswered, so 5 idle seconds stand for
// an idle hour with the default settings.
func TestCoreProcIdleKeepsConnection(t *testing.T) {
	testbed(t)
	if cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(daemonPid(t)) + "/cmdline"); !strings.Contains(string(cmdline), "lxcgo-testbed/libvirtd.conf") {
		testbedEnv(t, "LXCGO_DAEMON_RESTART=1") // an older test bed daemon
	}
	f := coreproc(t, "idle", "5")
	expect(t, "idle", f, map[string]string{"first": "6", "second": "6", "core_found": "1",
		"same_core": "1", "same_connection": "1"})
}

// A child forked while other threads make their first calls never hangs
// (libvirt's own library can hang such children).
func TestCoreProcForkRacingFirstCalls(t *testing.T) {
	for _, mode := range []string{"plain", "server"} {
		t.Run(mode, func(t *testing.T) {
			f := coreproc(t, "forkrace", mode)
			expect(t, mode, f, map[string]string{"rounds": "10", "children": "40",
				"hung_rounds": "0", "failed_rounds": "0"})
		})
	}
}

// A child forked while another thread is inside libvirt's logger, holding
// its mutex, still gets its fds: ours logs nothing in such a child, where
// libvirt's own library blocks for ever on that mutex.
func TestCoreProcForkDuringLogging(t *testing.T) {
	testbed(t)
	ours, sys := executeBoth(t, "coreproc", "forklog")
	expect(t, "ours", fields(ours.lines["forklog"]),
		map[string]string{"blocked": "1", "child_hung": "0", "child_ok": "1"})
	expect(t, "system", fields(sys.lines["forklog"]),
		map[string]string{"blocked": "1", "child_hung": "1", "child_ok": "0"})
}

// libvirt's own virFork (libvirtd forks with it) never waits for a call of
// ours: it holds libvirt's logger mutex across fork(), which a call of ours
// inside the logger may be waiting for.
func TestCoreProcVirFork(t *testing.T) {
	ours, sys := executeBoth(t, "coreproc", "virfork")
	for _, r := range []run{ours, sys} {
		expect(t, r.lib, fields(r.lines["virfork"]),
			map[string]string{"forks": "300", "hung": "0", "exit": "0"})
	}
}

// No core process of ours is left on the host once its callers are gone.
func TestCoreProcNoneLeft(t *testing.T) {
	coreproc(t, "sigchld")
	deadline := time.Now().Add(goneWithin)
	for {
		var left []int
		for _, pid := range coreProcs(t) {
			if caller := callerOf(pid); caller > 0 && processExists(caller) {
				continue // a live caller's, e.g. the test bed daemon's
			}
			left = append(left, pid)
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("core processes without a caller: %v", left)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func callerOf(corePid int) int {
	info, err := os.ReadFile("/proc/" + strconv.Itoa(corePid) + "/fdinfo/4")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(info), "\n") {
		if v, ok := strings.CutPrefix(line, "Pid:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

func processExists(pid int) bool {
	s := procStatus(pid, "State")
	return s != "" && !strings.HasPrefix(s, "Z")
}
