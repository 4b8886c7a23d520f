//go:build live

package live

// Fork stress (suite slow): children forked from a busy multi-threaded
// host call the functions (tests/c/rel_fork.c).

import (
	"strconv"
	"strings"
	"testing"
)

// 2. Fork stress: zero hangs, zero crashes, Enter* never enter Go.
func TestReliabilityForkStress(t *testing.T) {
	testbed(t)
	prog := program(t, "rel_fork")
	for _, c := range []struct {
		mode string
		n    int
		core string
	}{
		{"enter", 10000, "0"}, // no OpenNamespace before
		{"core", 10000, "0"},  // the parent called OpenNamespace (virsh): its core process runs
		{"open", 300, "0"},    // children forked after that call OpenNamespace
	} {
		t.Run(c.mode, func(t *testing.T) {
			r, _ := runLib(t, prog, false, c.mode, strconv.Itoa(c.n), "3")
			t.Log(strings.TrimSpace(r.out))
			f := fields(r.lines["mode="+c.mode])
			want := map[string]string{"iterations": strconv.Itoa(c.n), "ok": strconv.Itoa(c.n),
				"failed": "0", "hangs": "0", "crashes": "0", "core_loaded": c.core}
			expect(t, c.mode, f, want)
			if th := atoi(t, "threads", f["threads"]); th < 4 {
				t.Errorf("the parent was not multi-threaded (threads=%d)", th)
			}
		})
	}
}
