// virterror.h's numbers, checked against the installed libvirt header.

package report

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The core cannot include libvirt's headers, so it names virterror.h's
// numbers itself; they must be the numbers of the header the C library is
// built with (libvirt-dev, as for the build).
func TestConstantsMatchLibvirt(t *testing.T) {
	out, err := exec.Command("pkg-config", "--variable=includedir", "libvirt").Output()
	if err != nil {
		t.Fatalf("pkg-config --variable=includedir libvirt: %v (is libvirt-dev installed?)", err)
	}
	header := filepath.Join(strings.TrimSpace(string(out)), "libvirt", "virterror.h")
	text, err := os.ReadFile(header)
	if err != nil {
		t.Fatal(err)
	}
	libvirt := map[string]int{}
	for _, m := range regexp.MustCompile(`(?m)^\s*(VIR_[A-Z_]+)\s*=\s*([0-9]+)`).FindAllSubmatch(text, -1) {
		n, _ := strconv.Atoi(string(m[2]))
		libvirt[string(m[1])] = n
	}
	for name, ours := range map[string]int{
		"VIR_ERR_INTERNAL_ERROR":         ErrInternal,
		"VIR_ERR_NO_SUPPORT":             ErrNoSupport,
		"VIR_ERR_INVALID_ARG":            ErrInvalidArg,
		"VIR_ERR_OPERATION_FAILED":       ErrOperationFail,
		"VIR_ERR_OPERATION_DENIED":       ErrOperationDeny,
		"VIR_ERR_SYSTEM_ERROR":           ErrSystem,
		"VIR_ERR_RPC":                    ErrRPC,
		"VIR_ERR_NO_DOMAIN":              ErrNoDomain,
		"VIR_ERR_AUTH_FAILED":            ErrAuthFailed,
		"VIR_ERR_OPERATION_INVALID":      ErrOperationInval,
		"VIR_ERR_OPERATION_TIMEOUT":      ErrTimeout,
		"VIR_ERR_OPERATION_UNSUPPORTED":  ErrUnsupported,
		"VIR_ERR_ACCESS_DENIED":          ErrAccessDenied,
		"VIR_ERR_INVALID_NWFILTER":       errInvalidNWFilter,
		"VIR_ERR_BUILD_FIREWALL":         errBuildFirewall,
		"VIR_WAR_NO_SECRET":              warNoSecret,
		"VIR_ERR_INVALID_SECRET":         errInvalidSecret,
		"VIR_ERR_MIGRATE_PERSIST_FAILED": errMigratePersistFailed,
		"VIR_FROM_NONE":                  FromNone,
		"VIR_FROM_XEN":                   FromXen,
		"VIR_FROM_DOM":                   FromDomain,
		"VIR_FROM_RPC":                   FromRPC,
		"VIR_FROM_QEMU":                  FromQEMU,
		"VIR_FROM_REMOTE":                FromRemote,
		"VIR_FROM_LXC":                   FromLXC,
		"VIR_FROM_DOMAIN":                FromConfig,
		"VIR_FROM_NWFILTER":              FromNWFilt,
		"VIR_FROM_URI":                   FromURI,
		"VIR_FROM_ACCESS":                FromAccess,
		"VIR_ERR_ERROR":                  LevelError,
	} {
		want, ok := libvirt[name]
		if !ok {
			t.Errorf("%s is not in %s", name, header)
		} else if ours != want {
			t.Errorf("%s is %d in %s, %d here", name, want, header, ours)
		}
	}
}
