//go:build live

package live

// The caller's environment: hostile variables (a default URI, XDG and HOME
// dirs, Go runtime settings) do not reach the core process or change the
// answer, and a setuid caller (tests/c/rel_secure.c).

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// helperEnvs returns the environment of each exec of libvirt-lxc-open (the
// core process) in an strace -f log.
func helperEnvs(t *testing.T, log string) [][]string {
	t.Helper()
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`execve\("[^"]*libvirt-lxc-open", \[[^\]]*\], \[([^\]]*)\]`)
	var envs [][]string
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		var env []string
		for _, s := range regexp.MustCompile(`"((?:[^"\\]|\\.)*)"`).FindAllStringSubmatch(m[1], -1) {
			env = append(env, s[1])
		}
		envs = append(envs, env)
	}
	return envs
}

// 5. The caller's environment, and a secure-execution (setuid) caller.
func TestReliabilityEnvironment(t *testing.T) {
	testbed(t)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "libvirt"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Honoured by libvirt for unprivileged users only: this would send
	// lxc:///system to virtlxcd's socket, which does not exist here.
	if err := os.WriteFile(filepath.Join(dir, "libvirt", "libvirt.conf"),
		[]byte("remote_mode = \"direct\"\nuri_default = \"test:///default\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	hostile := []string{
		"LIBVIRT_DEFAULT_URI=lxc:///system?socket=/nonexistent",
		"XDG_CONFIG_HOME=" + dir, "XDG_RUNTIME_DIR=" + dir, "HOME=" + dir,
		"GODEBUG=inittrace=1", "GOTRACEBACK=crash", "GOMAXPROCS=1", "GOGC=off",
		"LIBVIRT_LXC_GO_EVIL=1",
	}
	prog := program(t, "rel_hostile")

	for _, th := range []string{"threads", "single"} {
		for _, system := range []bool{false, true} {
			log := filepath.Join(dir, "strace-"+th)
			cmd := command(t, "strace", "-f", "-qq", "-e", "trace=execve", "-v", "-s", "4096",
				"-o", log, prog, testURI, "lxcgo-plain", th)
			cmd.Env = libEnv(t, system, hostile...)
			cmd.Stdin = strings.NewReader("go\ngo\n")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%s system=%v: %v\n%s\nstderr: %s", th, system, err, out, stderr.String())
			}
			r, _ := parse(string(out))
			l := r.lines
			for _, k := range []string{"warm", "call", "recover"} {
				// LIBVIRT_DEFAULT_URI and the user libvirt.conf are not
				// for a root caller with an explicit URI: same daemon.
				if n := atoi(t, k, fields(l[k])["ret"]); n <= 0 {
					t.Errorf("%s system=%v %s: %s", th, system, k, l[k])
				}
			}
			if f := fields(l["fds"]); f["before"] != f["after"] {
				t.Errorf("%s system=%v: fds %v", th, system, f)
			}
			if system {
				continue
			}
			envs := helperEnvs(t, log)
			// One core process serves all three calls of the process,
			// multi-threaded or not.
			if len(envs) != 1 {
				t.Fatalf("%s: the core process was started %d times, want 1 (strace log %s)", th, len(envs), log)
			}
			for _, env := range envs {
				for _, kv := range env {
					k, _, _ := strings.Cut(kv, "=")
					switch k {
					case "PATH", "HOME", "XDG_CONFIG_HOME", "XDG_RUNTIME_DIR":
					default:
						t.Errorf("the helper got %q from the caller", kv)
					}
				}
				if env[0] != "PATH=/usr/sbin:/usr/bin:/sbin:/bin" {
					t.Errorf("the helper's PATH: %v", env)
				}
			}
			if strings.Contains(stderr.String(), "init ") {
				t.Errorf("%s: the helper's Go runtime honoured GODEBUG: %s", th, stderr.String())
			}
		}
	}

	t.Run("setuid", func(t *testing.T) { relSetuid(t, hostile, "") })
	t.Run("setuid-threads", func(t *testing.T) { relSetuid(t, hostile, "threads") })
}

// relSetuid runs a setuid-root copy of rel_secure as nobody; with mode
// "threads" the process is multi-threaded when it calls OpenNamespace, and
// must still be served by the helper (no Go runtime reading its caller's
// environment in a secure process).
func relSetuid(t *testing.T, hostile []string, mode string) {
	dir, err := os.MkdirTemp("", "lxcgo-suid-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	src, err := os.ReadFile(program(t, "rel_secure"))
	if err != nil {
		t.Fatal(err)
	}
	suid := filepath.Join(dir, "rel_secure")
	if err := os.WriteFile(suid, src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(suid, 0o4755|os.ModeSetuid); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "strace")
	// strace -u honours the setuid bit (its tracer is root) and shows the
	// helper's execve; the AT_SECURE line proves the mode held.
	args := []string{"-f", "-qq", "-e", "trace=execve", "-v", "-s", "4096",
		"-o", log, "-u", "nobody", suid, testURI, "lxcgo-plain"}
	if mode != "" {
		args = append(args, mode)
	}
	cmd := command(t, "strace", args...)
	// No LD_LIBRARY_PATH: ignored in secure mode; rel_secure's absolute
	// rpath finds our library.
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "LANG=C"}, hostile...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Logf("setuid rel_secure:\n%s", out)
	r, _ := parse(string(out))
	l := r.lines
	if r.lib != ourLib(t) {
		t.Fatalf("the setuid copy used %q, not our library", r.lib)
	}
	expect(t, "secure", fields(l["secure"]), map[string]string{"at_secure": "1", "uid": "65534", "euid": "0"})
	// libvirt itself refuses to initialise while uid != euid.
	if !strings.HasPrefix(l["setuid_open"], "refused") || !strings.Contains(l["setuid_open"], "setuid") {
		t.Errorf("libvirt accepted a setuid caller? %q", l["setuid_open"])
	}
	t.Logf("EnterSecurityLabel in the setuid process: %s", l["setuid_seclabel"])
	o := fields(l["open"])
	threads := "1"
	if mode == "threads" {
		threads = "2"
	}
	if atoi(t, "open", o["ret"]) <= 0 || o["threads"] != threads || o["core_loaded"] != "0" {
		t.Errorf("OpenNamespace after uid := euid: %q", l["open"])
	}
	envs := helperEnvs(t, log)
	if len(envs) != 1 {
		t.Fatalf("the helper ran %d times, want 1", len(envs))
	}
	if len(envs[0]) != 1 || envs[0][0] != "PATH=/usr/sbin:/usr/bin:/sbin:/bin" {
		t.Errorf("AT_SECURE caller: the helper's environment is %q, want PATH only", envs[0])
	}
}
