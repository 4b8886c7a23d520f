// Command build-so builds the three programs of this project without meson,
// and the Go core for meson.
//
//	go run ./cmd/build-so -core -o DIR/libvirt-lxc-core.so
//	go run ./cmd/build-so -o DIR [-prefix /usr/local]
//
// With -core it builds only the private Go core (c-shared, stripped): that is
// what meson calls. Without it, it builds everything meson would into DIR:
// libvirt-lxc.so.0.<libvirt's version number, e.g. 9000.0> with its soname,
// version script and symlinks, the core and the core process
// (libvirt-lxc-open) in DIR/libvirt-lxc-go/, and DIR/pkgconfig/libvirt-lxc.pc.
// Run it from the module root.
//
// Each program is built from its folders (README.md, "How it is built"):
// every C file there goes in, so that no second list of sources can drift
// from meson.build's (main_test.go checks that meson names the same files).
package main

import (
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

const (
	soname   = "libvirt-lxc.so.0"
	coreDir  = "libvirt-lxc-go" // must match LXC_CORE_SUBDIR in meson.build
	coreName = "libvirt-lxc-core.so"
	// The core process (capi/helper), installed beside the core.
	helperName = "libvirt-lxc-open"
	// The Go core's cgo main (exports only).
	corePackage = "./cmd/libvirt-lxc-core"
)

// The folders of each C program; capi/channel is both ends of the channel.
var (
	libDirs    = []string{"capi/lib", "capi/channel"}
	helperDirs = []string{"capi/helper", "capi/channel"}
)

// sources lists the C files of @dirs, relative to @root.
func sources(root string, dirs []string) ([]string, error) {
	var all []string
	for _, dir := range dirs {
		files, err := fs.Glob(os.DirFS(root), dir+"/*.c")
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("no C files in %s (run build-so from the module root)", dir)
		}
		all = append(all, files...)
	}
	return all, nil
}

func main() {
	coreOnly := flag.Bool("core", false, "build only the Go core, into the file named by -o")
	out := flag.String("o", "", "output file (-core) or directory")
	prefix := flag.String("prefix", "/usr/local", "prefix written into the pkg-config file")
	flag.Parse()
	if *out == "" {
		fail(fmt.Errorf("-o is required"))
	}
	if *coreOnly {
		fail(buildCore(*out))
		return
	}
	fail(buildAll(*out, *prefix))
}

func fail(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "build-so:", err)
		os.Exit(1)
	}
}

func run(env []string, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return nil
}

// buildCore builds the Go core stripped: it is loaded into every process
// that calls OpenNamespace, so its size is paid in memory there.
func buildCore(out string) error {
	out, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	err = run([]string{"CGO_ENABLED=1"}, "go", "build", "-buildmode=c-shared",
		"-trimpath", "-ldflags=-s -w", "-o", out, corePackage)
	// go writes a C header beside a c-shared library; nobody needs it.
	os.Remove(strings.TrimSuffix(out, filepath.Ext(out)) + ".h")
	return err
}

func pkgConfig(name string, args ...string) ([]string, error) {
	b, err := exec.Command("pkg-config", append(args, name)...).Output()
	if err != nil {
		return nil, fmt.Errorf("pkg-config %s %s: %w (is libvirt-dev installed?)",
			strings.Join(args, " "), name, err)
	}
	return strings.Fields(string(b)), nil
}

// libFileName is the library's file name for libvirt version v ("9.0.0"):
// named after the libvirt it is built against, as libvirt's own
// libvirt-lxc.so.0 is (9.0.0: libvirt-lxc.so.0.9000.0), like meson.build.
func libFileName(v string) (string, error) {
	var major, minor, micro int
	if n, err := fmt.Sscanf(v, "%d.%d.%d", &major, &minor, &micro); n != 3 || err != nil {
		return "", fmt.Errorf("libvirt version %q is not MAJOR.MINOR.MICRO", v)
	}
	return fmt.Sprintf("%s.%d.%d", soname, major*1000+minor, micro), nil
}

func buildAll(dir, prefix string) error {
	if err := os.MkdirAll(filepath.Join(dir, "pkgconfig"), 0o755); err != nil {
		return err
	}
	modversion, err := pkgConfig("libvirt", "--modversion")
	if err != nil {
		return err
	}
	if len(modversion) != 1 {
		return fmt.Errorf("pkg-config --modversion libvirt: %q", modversion)
	}
	version := modversion[0]
	realName, err := libFileName(version)
	if err != nil {
		return err
	}
	if err := buildCore(filepath.Join(dir, coreDir, coreName)); err != nil {
		return err
	}
	cflags, err := pkgConfig("libvirt", "--cflags")
	if err != nil {
		return err
	}
	libs, err := pkgConfig("libvirt", "--libs")
	if err != nil {
		return err
	}
	cc := os.Getenv("CC")
	if cc == "" {
		cc = "cc"
	}
	if err := buildLibrary(cc, filepath.Join(dir, realName), cflags, libs); err != nil {
		return err
	}
	if err := buildHelper(cc, filepath.Join(dir, coreDir, helperName), cflags); err != nil {
		return err
	}
	for _, link := range []string{soname, "libvirt-lxc.so"} {
		p := filepath.Join(dir, link)
		os.Remove(p)
		if err := os.Symlink(realName, p); err != nil {
			return err
		}
	}
	return writePC(filepath.Join(dir, "pkgconfig", "libvirt-lxc.pc"), prefix, version)
}

// buildLibrary compiles and links libvirt-lxc.so.0 at out.
func buildLibrary(cc, out string, cflags, libs []string) error {
	cSources, err := sources(".", libDirs)
	if err != nil {
		return err
	}
	args := []string{"-shared", "-fPIC", "-O2", "-g", "-std=gnu11",
		"-Wall", "-Wextra", "-Werror", "-fvisibility=hidden", "-D_GNU_SOURCE",
		"-DLXC_CORE_SUBDIR=\"" + coreDir + "\"", "-Iinclude",
		"-Wl,-soname," + soname, "-Wl,--version-script=libvirt_lxc.syms",
		"-Wl,--no-undefined", "-Wl,-z,relro", "-Wl,-z,now",
		"-o", out}
	args = append(args, cflags...)
	args = append(args, cSources...)
	args = append(args, libs...)
	args = append(args, "-ldl", "-lpthread")
	return run(nil, cc, args...)
}

// buildHelper compiles the core process at out.
func buildHelper(cc, out string, cflags []string) error {
	helperSources, err := sources(".", helperDirs)
	if err != nil {
		return err
	}
	helperArgs := []string{"-O2", "-g", "-std=gnu11", "-Wall", "-Wextra",
		"-Werror", "-D_GNU_SOURCE", "-Wl,-z,relro", "-Wl,-z,now",
		"-o", out}
	// libvirt's headers for virterror.h's numbers; libvirt.so.0 is not
	// linked.
	helperArgs = append(helperArgs, cflags...)
	helperArgs = append(helperArgs, helperSources...)
	return run(nil, cc, append(helperArgs, "-ldl", "-lpthread")...)
}

// writePC writes the pkg-config file of the library at path.
func writePC(path, prefix, version string) error {
	pc := fmt.Sprintf(`prefix=%s
libdir=${prefix}/lib
includedir=${prefix}/include

Name: libvirt-lxc
Description: libvirt LXC specific library (libvirt-lxc-go)
Version: %s
Requires: libvirt
Libs: -L${libdir} -lvirt-lxc
Cflags: -I${includedir}
`, prefix, version)
	return os.WriteFile(path, []byte(pc), 0o644)
}
