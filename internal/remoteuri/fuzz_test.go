// FuzzResolve: no URI makes socket selection panic (seeds in
// testdata/fuzz/FuzzResolve; docs/FUZZING.md).

package remoteuri

import (
	"errors"
	"testing"

	"github.com/libvirt-lxc-go/libvirt-lxc/internal/report"
)

// FuzzResolve checks that no URI makes socket selection panic, and that a
// success is coherent.
func FuzzResolve(f *testing.F) {
	for _, s := range []string{"lxc:///system", "lxc+unix:///system?socket=/x&mode=direct", "lxc://h/", "a+ssh://u@[::1]:22/p?q=%41#f"} {
		f.Add(s, false)
	}
	env := fakeEnv(0, []string{legacy}, map[string]string{"/etc/libvirt/libvirt.conf": "remote_mode=\"auto\""})
	f.Fuzz(func(t *testing.T, uri string, ro bool) {
		tg, err := Resolve(uri, ro, env)
		if err != nil {
			var le *report.Error
			if !errors.As(err, &le) || le.Error() == "" {
				t.Errorf("%q: bad error %v", uri, err)
			}
			return
		}
		if tg.ReadOnly != ro || !contains(transports, tg.Transport) {
			t.Errorf("%q: %+v", uri, tg)
		}
		if tg.Transport == "unix" && tg.Socket == "" && !hasParam(uri, "socket") {
			t.Errorf("%q: unix transport without a socket", uri)
		}
	})
}

func hasParam(uri, name string) bool {
	u, err := parseURI(uri)
	if err != nil {
		return false
	}
	for _, p := range u.params {
		if len(p.name) == len(name) && (p.name == name || equalFold(p.name, name)) {
			return true
		}
	}
	return false
}

func equalFold(a, b string) bool {
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
