//go:build live

package live

import (
	"os"
	"testing"
)

// TestMain drops what would make the dynamic loader pick a libvirt-lxc.so.0
// behind a test's back: meson test points LD_LIBRARY_PATH at the build
// tree, which would turn every "system library" run into one of ours. Each
// test sets the library it means explicitly, and proves which one loaded.
func TestMain(m *testing.M) {
	os.Unsetenv("LD_LIBRARY_PATH")
	os.Unsetenv("LD_PRELOAD")
	os.Exit(m.Run())
}
