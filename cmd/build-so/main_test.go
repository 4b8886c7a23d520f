// Tests of build-so: it builds each program from the files meson.build
// names for it.

package main

import (
	"os"
	"regexp"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// build-so takes every C file of a program's folders; meson.build names
// them one by one (meson does not glob). A file added to a folder but not
// to meson.build, or named there from elsewhere, fails here.
func TestSourcesMatchMeson(t *testing.T) {
	b, err := os.ReadFile("../../meson.build")
	if err != nil {
		t.Fatal(err)
	}
	cFile := regexp.MustCompile(`'(capi/[a-z_/]+\.c)'`)
	named := func(text []byte) []string {
		var files []string
		for _, m := range cFile.FindAllSubmatch(text, -1) {
			files = append(files, string(m[1]))
		}
		return files
	}
	channel := regexp.MustCompile(`(?s)channel_src = files\((.*?)\)`).FindSubmatch(b)
	if channel == nil {
		t.Fatal("no channel_src in meson.build")
	}
	for _, target := range []struct {
		re   string
		dirs []string
	}{
		{`(?s)lxc_lib = shared_library\((.*?)install: true\)`, libDirs},
		{`(?s)lxc_open_helper = executable\((.*?)install: true`, helperDirs},
	} {
		block := regexp.MustCompile(target.re).FindSubmatch(b)
		if block == nil {
			t.Fatalf("no match for %s in meson.build", target.re)
		}
		meson := named(block[1])
		if regexp.MustCompile(`\bchannel_src\b`).Match(block[1]) {
			meson = append(meson, named(channel[1])...)
		}
		want, err := sources("../..", target.dirs)
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(meson)
		sort.Strings(want)
		if diff := cmp.Diff(meson, want); diff != "" {
			t.Errorf("meson.build's C sources differ from %v's files (-meson +folders):\n%s",
				target.dirs, diff)
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
