package main

import "testing"

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
