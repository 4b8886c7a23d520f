// Tests of Resolve: transports, names, socket selection, libvirt.conf.

package remoteuri

import (
	"errors"
	"os"
	"testing"

	"github.com/libvirt-lxc-go/libvirt-lxc/internal/report"

	"github.com/google/go-cmp/cmp"
)

func fakeEnv(euid int, exists []string, files map[string]string) *Env {
	return &Env{
		Euid: euid, Home: "/home/u", XDGRuntime: "/run/user/1000",
		Exists: func(p string) bool {
			for _, e := range exists {
				if e == p {
					return true
				}
			}
			return false
		},
		ReadFile: func(p string) ([]byte, error) {
			if s, ok := files[p]; ok {
				return []byte(s), nil
			}
			return nil, os.ErrNotExist
		},
	}
}

const (
	legacy   = "/var/run/libvirt/libvirt-sock"
	legacyRO = "/var/run/libvirt/libvirt-sock-ro"
	direct   = "/var/run/libvirt/virtlxcd-sock"
	directRO = "/var/run/libvirt/virtlxcd-sock-ro"
)

func TestResolve(t *testing.T) {
	onlyLegacy := fakeEnv(0, []string{legacy, legacyRO}, nil)
	both := fakeEnv(0, []string{legacy, legacyRO, direct, directRO}, nil)
	tests := []struct {
		uri  string
		ro   bool
		env  *Env
		want Target
	}{
		{"lxc:///system", false, onlyLegacy, Target{"unix", legacy, "lxc:///system", false}},
		{"lxc:///system", true, onlyLegacy, Target{"unix", legacyRO, "lxc:///system", true}},
		{"lxc:///", false, onlyLegacy, Target{"unix", legacy, "lxc:///", false}},
		{"lxc://", false, onlyLegacy, Target{"unix", legacy, "lxc://", false}},
		{"lxc+unix:///system", false, onlyLegacy, Target{"unix", legacy, "lxc:///system", false}},
		{"LXC+UNIX:///system", false, onlyLegacy, Target{"unix", legacy, "LXC:///system", false}},
		{"lxc:///system", false, both, Target{"unix", direct, "lxc:///system", false}},
		{"lxc:///system", true, both, Target{"unix", directRO, "lxc:///system", true}},
		{"lxc:///system?mode=legacy", false, both, Target{"unix", legacy, "lxc:///system", false}},
		{"lxc:///system?mode=direct", false, onlyLegacy, Target{"unix", direct, "lxc:///system", false}},
		{"lxc:///system?mode=auto", false, fakeEnv(0, nil, nil), Target{"unix", legacy, "lxc:///system", false}},
		{"lxc:///system?socket=/tmp/s", true, both, Target{"unix", "/tmp/s", "lxc:///system", true}},
		{"lxc:///system?SOCKET=/tmp/s&mode=direct", false, both, Target{"unix", "/tmp/s", "lxc:///system", false}},
		{"lxc:///system?socket=/a;foo=b", false, both, Target{"unix", "/a", "lxc:///system?foo=b", false}},
		{"lxc:///system?socket=/a&socket=/b", false, both, Target{"unix", "/b", "lxc:///system", false}},
		{"lxc:///system?socket=%2Ftmp%2Fx", false, both, Target{"unix", "/tmp/x", "lxc:///system", false}},
		{"lxc:///system?foo=bar", false, both, Target{"unix", direct, "lxc:///system?foo=bar", false}},
		{"lxc:///system?foo=a%20b/c&x&=y&&no_tty=1", false, both, Target{"unix", direct, "lxc:///system?foo=a%20b%2Fc&x=", false}},
		{"lxc:///system?name=lxc:///", false, both, Target{"unix", direct, "lxc:///", false}},
		{"lxc:///system#frag", false, both, Target{"unix", direct, "lxc:///system#frag", false}},
		{"remote:///system", false, onlyLegacy, Target{"unix", legacy, "", false}},
		{"lxc://host/system", false, both, Target{"tls", "", "lxc:///system", false}},
		{"lxc+tcp://user@host:1234/system?foo=1", false, both, Target{"tcp", "", "lxc:///system?foo=1", false}},
		{"lxc+ssh://host/system", false, both, Target{"ssh", legacy, "lxc:///system", false}},
		{"lxc+libssh2://host/system?socket=/s", false, both, Target{"libssh2", "/s", "lxc:///system", false}},
		{"lxc+ext:///system?command=/bin/true", false, both, Target{"ext", "", "lxc:///system", false}},
		// Client config: remote_mode, overridden by the URI.
		{"lxc:///system", false, fakeEnv(0, []string{legacy, direct}, map[string]string{
			"/etc/libvirt/libvirt.conf": "# c\nremote_mode = \"direct\" # why\n"}), Target{"unix", direct, "lxc:///system", false}},
		{"lxc:///system", false, fakeEnv(0, []string{legacy, direct}, map[string]string{
			"/etc/libvirt/libvirt.conf": "remote_mode = \"legacy\"\n"}), Target{"unix", legacy, "lxc:///system", false}},
		{"lxc:///system?mode=direct", false, fakeEnv(0, []string{legacy}, map[string]string{
			"/etc/libvirt/libvirt.conf": "remote_mode = \"legacy\"\n"}), Target{"unix", direct, "lxc:///system", false}},
		// libvirt's parser: the first setting counts, ';' separates.
		{"lxc:///system", false, fakeEnv(0, []string{legacy, direct}, map[string]string{
			"/etc/libvirt/libvirt.conf": "remote_mode = \"legacy\"\nremote_mode = \"direct\"\n"}), Target{"unix", legacy, "lxc:///system", false}},
		{"lxc:///system", false, fakeEnv(0, []string{legacy, direct}, map[string]string{
			"/etc/libvirt/libvirt.conf": "uri_default = \"lxc:///\"; remote_mode = \"legacy\"\n"}), Target{"unix", legacy, "lxc:///system", false}},
		// Non-root reads its own config, not /etc.
		{"lxc:///system", false, fakeEnv(1000, []string{legacy, direct}, map[string]string{
			"/etc/libvirt/libvirt.conf":            "remote_mode = \"legacy\"\n",
			"/home/u/.config/libvirt/libvirt.conf": "remote_mode = \"direct\"\n"}), Target{"unix", direct, "lxc:///system", false}},
		{"lxc:///session", false, fakeEnv(1000, nil, nil), Target{"unix", "/run/user/1000/libvirt/libvirt-sock", "lxc:///session", false}},
	}
	for _, tc := range tests {
		got, err := Resolve(tc.uri, tc.ro, tc.env)
		if err != nil {
			t.Errorf("%s: %v", tc.uri, err)
			continue
		}
		if diff := cmp.Diff(tc.want, *got); diff != "" {
			t.Errorf("%s ro=%v: -want +got\n%s", tc.uri, tc.ro, diff)
		}
	}
}

// Errors checked against libvirt's own client (python binding): code,
// domain and the detail its reports fill libvirt's template with (the
// template itself is the C library's business, in the caller's process).
func TestResolveErrors(t *testing.T) {
	env := fakeEnv(0, []string{legacy}, nil)
	tests := []struct {
		uri    string
		env    *Env
		code   int
		domain int
		detail string
	}{
		{"lxc+unix://host/system", env, 8, 13, "using unix socket and remote server 'host' is not supported."},
		{"lxc:///system?mode=bogus", env, 8, 13, "Unknown remote mode 'bogus'"},
		{"lxc:///system?mode=bogus&socket=/x", env, 8, 13, "Unknown remote mode 'bogus'"},
		{"lxc:///system", fakeEnv(0, nil, map[string]string{"/etc/libvirt/libvirt.conf": "remote_mode='weird'"}),
			8, 13, "Unknown remote mode 'weird'"},
		{"lxc+foo:///system", env, 8, 13, "remote_open: transport in URL not recognised (should be tls|unix|ssh|ext|tcp|libssh2|libssh)"},
		{"lxc+ssh:///system?mode=direct", env, 84, 13, "Cannot use direct socket mode for ssh transport"},
		{"lxc+ext:///system", env, 8, 13, "remote_open: for 'ext' transport, command is required"},
		{"lxc:///system?no_verify=x", env, 8, 13, "Failed to parse value of URI component no_verify"},
		{"not a uri", env, 1, 45, "Unable to parse URI not a uri"},
	}
	for _, tc := range tests {
		_, err := Resolve(tc.uri, false, tc.env)
		var le *report.Error
		if !errors.As(err, &le) {
			t.Errorf("%s: got %v", tc.uri, err)
			continue
		}
		want := &report.Error{Code: tc.code, Domain: tc.domain, Level: 2, Str2: sp(tc.detail),
			Int1: -1, Int2: -1, ToFormat: true}
		if diff := cmp.Diff(want, le); diff != "" {
			t.Errorf("%s: -want +got\n%s", tc.uri, diff)
		}
	}
}

func sp(s string) *string { return &s }
