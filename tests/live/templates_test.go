//go:build live

package live

// libvirt's own error templates and messages, read from the running
// libvirt, that the tests compare ours against.

import (
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"
)

var templates struct {
	sync.Mutex
	byCode map[int]string
}

// libvirtTemplate is the message template the system libvirt.so.0 has for
// an error code with a detail ("internal error: %s" in libvirt 9.0,
// "internal error: %1$s" in 11.x): what libvirt's own reports put in str1
// and fill in for the message. Read from the library itself in this run
// (its virErrorMsg, found by name), never written down here.
func libvirtTemplate(t *testing.T, code int) string {
	t.Helper()
	templates.Lock()
	defer templates.Unlock()
	if s, ok := templates.byCode[code]; ok {
		return s
	}
	out, err := command(t, "python3", "-c", `import ctypes, json, sys
f = ctypes.CDLL("libvirt.so.0").virErrorMsg
f.restype, f.argtypes = ctypes.c_char_p, [ctypes.c_int, ctypes.c_char_p]
r = f(int(sys.argv[1]), b"detail")
print(json.dumps(r.decode() if r is not None else None))`, strconv.Itoa(code)).Output()
	if err != nil {
		t.Fatalf("libvirt's template for code %d: %v", code, err)
	}
	var s *string
	if err := json.Unmarshal(out, &s); err != nil || s == nil {
		t.Fatalf("libvirt's template for code %d: %q", code, out)
	}
	if templates.byCode == nil {
		templates.byCode = map[int]string{}
	}
	templates.byCode[code] = *s
	return *s
}

// libvirtMessage is the message libvirt's own report of code with detail
// gives: its template filled in, as its printf does.
func libvirtMessage(t *testing.T, code int, detail string) string {
	t.Helper()
	return strings.NewReplacer("%%", "%", "%1$s", detail, "%s", detail).Replace(libvirtTemplate(t, code))
}
