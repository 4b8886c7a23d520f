// The config reader's conformance table and error wording.

package virconf

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/libvirt-lxc-go/libvirt-lxc/internal/virconf/virconftest"
)

// confOutcome says what the reader makes of key in text, in virconftest.Rows' terms.
func confOutcome(text, key string, list bool) string {
	c, err := Parse("test.conf", []byte(text))
	if err != nil {
		var ce *confError
		if !errors.As(err, &ce) {
			return "unexpected error " + err.Error()
		}
		return "syntax"
	}
	if list {
		l, ok, err := c.StringList(key)
		switch {
		case err != nil:
			return "type"
		case !ok:
			return "absent"
		}
		return fmt.Sprintf("%q", l)
	}
	s, ok, err := c.StringValue(key)
	switch {
	case err != nil:
		return "type"
	case !ok:
		return "absent"
	}
	return "=" + s
}

func TestConfConformance(t *testing.T) {
	for _, r := range virconftest.Rows {
		if got := confOutcome(r.Text, "access_drivers", true); got != r.Access {
			t.Errorf("%s: access_drivers: got %s want %s", r.Name, got, r.Access)
		}
		if got := confOutcome(r.Text, "remote_mode", false); got != r.Mode {
			t.Errorf("%s: remote_mode: got %s want %s", r.Name, got, r.Mode)
		}
	}
	// For checking the table against libvirt's own parser: each row as a
	// file, to be read with virConfReadFile.
	if dir := os.Getenv("LXCGO_CONF_ROWS_DIR"); dir != "" {
		for i, r := range virconftest.Rows {
			base := filepath.Join(dir, strconv.Itoa(i))
			os.WriteFile(base+".conf", []byte(r.Text), 0o600)
			os.WriteFile(base+".want", []byte(r.Access+"\n"+r.Mode+"\n"+r.Name+"\n"), 0o600)
		}
	}
}

func TestConfErrors(t *testing.T) {
	tests := []struct{ text, want string }{
		{"\n\n", "f:3: expecting a name"},
		{"x = 1\ny = [ \"a\" \"b\" ]", "f:2: expecting a separator in list"},
		{"x", "f:1: expecting an assignment"},
		{"x = ", "f:1: expecting a value"},
		{"x = \"a", "f:1: unterminated string"},
		{"x = 1 2", "f:1: expecting a separator"},
		{"x = [", "f:1: list is not closed with ]"},
		{"x = +", "f:1: unterminated number"},
	}
	for _, tc := range tests {
		_, err := Parse("f", []byte(tc.text))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q: got %v want %s", tc.text, err, tc.want)
		}
	}
}

func TestConfLookup(t *testing.T) {
	text := "a = \"x#y\" # c\n#access_drivers = [ \"polkit\" ]\naccess_drivers = [\n \"polkit\",\n \"nop\" ]\nn = 5\ne = []\n"
	c, err := Parse("t", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if v, ok, err := c.StringList("access_drivers"); !ok || err != nil || len(v) != 2 || v[0] != "polkit" || v[1] != "nop" {
		t.Errorf("access_drivers: %v %v %v", v, ok, err)
	}
	if v, ok, err := c.StringValue("a"); !ok || err != nil || v != "x#y" {
		t.Errorf("a: %v", v)
	}
	if v, ok, err := c.StringList("e"); !ok || err != nil || len(v) != 0 {
		t.Errorf("e: %v %v %v", v, ok, err)
	}
	if v := c.get("n"); v == nil || v.kind != confULLong || v.num != 5 {
		t.Errorf("n: %+v", v)
	}
	if _, ok, _ := c.StringValue("missing"); ok {
		t.Error("missing found")
	}
}
