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
