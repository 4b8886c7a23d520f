// Package reporttest collects the log records a report.Logger receives,
// for the tests of the packages that make them (rpc, core).
package reporttest

import (
	"strings"
	"testing"

	"github.com/libvirt-lxc-go/libvirt-lxc/internal/report"
)

// Records collects what a Logger receives, as "file func: text".
type Records struct{ Got []string }

// Logger is the report.Logger that appends to r.
func (r *Records) Logger() report.Logger {
	return func(file, function string, line int, text string) {
		if line <= 0 {
			text = "(no line) " + text
		}
		r.Got = append(r.Got, file+" "+function+": "+text)
	}
}

// WantInOrder fails unless r has a record containing each of want, in
// that order.
func (r *Records) WantInOrder(t *testing.T, want []string) {
	t.Helper()
	i := 0
	for _, w := range want {
		for i < len(r.Got) && !strings.Contains(r.Got[i], w) {
			i++
		}
		if i == len(r.Got) {
			t.Fatalf("no record %q (after the ones before it) in:\n%s", w, strings.Join(r.Got, "\n"))
		}
		i++
	}
}
