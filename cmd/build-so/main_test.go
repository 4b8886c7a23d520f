// Tests of build-so: its C sources match meson.build's.

package main

import (
	"os"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// meson.build and build-so build the same library; their C source lists
// must not drift apart.
func TestSourcesMatchMeson(t *testing.T) {
	b, err := os.ReadFile("../../meson.build")
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []struct {
		re      string
		sources []string
	}{
		{`(?s)lxc_lib = shared_library\((.*?)install: true\)`, cSources},
		{`(?s)lxc_open_helper = executable\((.*?)install: true`, helperSources},
	} {
		block := regexp.MustCompile(target.re).FindSubmatch(b)
		if block == nil {
			t.Fatalf("no match for %s in meson.build", target.re)
		}
		var meson []string
		for _, m := range regexp.MustCompile(`'(capi/[a-z_/]+\.c)'`).FindAllSubmatch(block[1], -1) {
			meson = append(meson, string(m[1]))
		}
		if diff := cmp.Diff(meson, target.sources); diff != "" {
			t.Errorf("C sources differ between meson.build and build-so (-meson +build-so):\n%s", diff)
		}
	}
}

// libvirt numbers its library files major*1000+minor, micro.
func TestLibFileName(t *testing.T) {
	for v, want := range map[string]string{
		"9.0.0":   "libvirt-lxc.so.0.9000.0",
		"11.3.0":  "libvirt-lxc.so.0.11003.0",
		"10.10.1": "libvirt-lxc.so.0.10010.1",
	} {
		if got, err := libFileName(v); err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", v, got, err, want)
		}
	}
	for _, v := range []string{"", "9.0", "x.y.z"} {
		if got, err := libFileName(v); err == nil {
			t.Errorf("%q: %q, want an error", v, got)
		}
	}
}
