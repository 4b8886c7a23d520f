//go:build live

package live

// No fd left behind by any of the four functions over many calls
// (tests/c/rel_fdleak.c).

import (
	"strconv"
	"strings"
	"testing"
)

// Success and error paths mixed, with either library.
func TestNoFdLeft(t *testing.T) {
	testbed(t)
	// 10 000 calls of each Enter function.
	t.Run("Enter", func(t *testing.T) {
		prog := program(t, "rel_fdleak")
		for _, system := range []bool{false, true} {
			r, _ := runLib(t, prog, system, "10000")
			out, lines := r.out, r.lines
			t.Logf("system=%v:\n%s", system, out)
			for _, fn := range []string{"EnterNamespace", "EnterSecurityLabel", "EnterCGroup"} {
				f := fields(lines[fn])
				if f["calls"] != "10000" {
					t.Errorf("system=%v %s: did not complete: %q", system, fn, lines[fn])
					continue
				}
				ok, bad := atoi(t, fn, f["ok"]), atoi(t, fn, f["err"])
				if ok == 0 || bad == 0 {
					t.Errorf("system=%v %s: want success and error paths mixed, got ok=%d err=%d", system, fn, ok, bad)
				}
				if f["fds_before"] != f["fds_after"] {
					t.Errorf("system=%v %s: fds before %s, after %s", system, fn, f["fds_before"], f["fds_after"])
				}
			}
			// The library's own complaints (an oldfdlist left after an error).
			if strings.Contains(out, "left oldfdlist") {
				t.Errorf("system=%v: %s", system, out)
			}
		}
	})
	// OpenNamespace: successes, flags=1 and an inactive domain mixed,
	// counted after one call of each kind. Single-threaded, ours runs the
	// helper each time (about 7 ms a call), hence fewer calls.
	t.Run("OpenNamespace", func(t *testing.T) {
		for _, c := range []struct {
			mode  string
			calls int
		}{{"mt", 10000}, {"st", 1000}} {
			t.Run(c.mode, func(t *testing.T) {
				ours, sys := executeBoth(t, "rel_fdleak", "open", c.mode, strconv.Itoa(c.calls))
				compareRuns(t, "leak (-ours +system)", ours, sys, "core", "cold_new", "ms")
				total := c.calls + 4
				want := map[string]string{"calls": strconv.Itoa(total),
					"ok": strconv.Itoa(total / 2), "wrong": "0",
					"expected_errors": strconv.Itoa(total / 2), "unexpected": "0",
					"fdlist_set_on_error": "0", "ns_leaked": "0", "other_leaked": "0",
					"sockets_leaked": "0"}
				line := "leak_" + c.mode
				o, s := fields(ours.lines[line]), fields(sys.lines[line])
				expect(t, "ours", o, want)
				expect(t, "system", s, want)
				expect(t, "system", s, map[string]string{"core": "no", "cold_new": "none"})
				expect(t, "ours", o, map[string]string{"core": "no"})
				checkNewFds(t, "ours (from before the first call)", o["cold_new"], servedByCoreProc)
				t.Logf("%d calls %s: ours %s ms, system %s ms", total, c.mode, o["ms"], s["ms"])
			})
		}
	})
}
