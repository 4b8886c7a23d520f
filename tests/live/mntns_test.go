//go:build live

// A first OpenNamespace call made from somewhere else in the filesystem
// than where the caller connected (tests/c/mntns_first.c): libvirt's
// library answers on the connection it has; ours must start its core
// process from the library's own files and reach the same daemon.
package live

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// mntnsSystem runs one mode of mntns_first with the system library: its
// scenario line.
func mntnsSystem(t *testing.T, mode string) string {
	t.Helper()
	r := execute(t, program(t, "mntns_first"), true, mode)
	return r.lines[mode]
}

// mntnsOurs runs one mode with our library and returns its scenario line;
// inspect is given the caller's core processes while the caller is still
// there.
func mntnsOurs(t *testing.T, mode string, inspect func(cores []int)) string {
	t.Helper()
	cmd := command(t, program(t, "mntns_first"), mode, "hold")
	cmd.Env = libEnv(t, false)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("mntns_first %s: %v", mode, err)
		}
	}()
	var out []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		out = append(out, sc.Text())
		if pid, ok := strings.CutPrefix(sc.Text(), "caller "); ok {
			inspect(coreProcsOf(t, atoi(t, "caller", pid)))
			break
		}
	}
	r, _ := parse(strings.Join(out, "\n"))
	if r.lib != ourLib(t) {
		t.Fatalf("mntns_first %s ran with %q, not %s\n%s", mode, r.lib, ourLib(t), r.out)
	}
	return r.lines[mode]
}

// mntNsOf is the mount namespace of a process.
func mntNsOf(t *testing.T, pid int) string {
	t.Helper()
	ns, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/mnt")
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

func TestMountNamespaceFirstCall(t *testing.T) {
	testbed(t)
	empty := t.TempDir()
	for _, mode := range []string{"mnt", "root", "chroot=" + empty} {
		t.Run(strings.SplitN(mode, "=", 2)[0], func(t *testing.T) {
			sys := mntnsSystem(t, mode)
			if f := fields(sys); f["ret"] != "6" || f["exact"] != "1" || f["threads"] != "1" {
				t.Fatalf("system library: %s (want the six namespaces, single-threaded)", sys)
			}
			ours := mntnsOurs(t, mode, func(cores []int) {
				if len(cores) != 1 {
					t.Fatalf("%s: core processes %v, want one", mode, cores)
				}
				core := cores[0]
				// Started from the library's own files, in the world where
				// they and the daemon's socket are: the daemon's.
				want := filepath.Join(buildDir(t), "libvirt-lxc-core.so")
				if !mappedFiles(t, core)[want] {
					t.Errorf("%s: core process %d has not mapped %s", mode, core, want)
				}
				if got, daemon := mntNsOf(t, core), mntNsOf(t, daemonPid(t)); got != daemon {
					t.Errorf("%s: core process in mount namespace %s, the daemon in %s",
						mode, got, daemon)
				}
			})
			if d := cmp.Diff(sys, ours); d != "" {
				t.Errorf("%s differs (-system +ours):\n%s", mode, d)
			}
		})
	}
}

// Differs: a caller that entered a container's user namespace too has no
// privilege left over its daemon's mount namespace, nor for a connection
// of its own as the root it was: its first call fails, saying so, where
// libvirt's library answers on the connection it has.
func TestDiffersMountNamespaceFirstCallUserns(t *testing.T) {
	testbed(t)
	if f := fields(mntnsSystem(t, "userns")); f["ret"] != "6" || f["exact"] != "1" {
		t.Fatalf("system library: %v (want the six namespaces)", f)
	}
	ours := fields(mntnsOurs(t, "userns", func(cores []int) {
		if len(cores) != 0 {
			t.Errorf("core processes %v started from the container's files", cores)
		}
	}))
	expect(t, "userns", ours, map[string]string{"ret": "-1", "code": "1", "exact": "0", "threads": "1"})
	wantMsg(t, "userns", ours, "from another mount namespace or root than the one this process connected in",
		"found no way back to its daemon's", "CAP_SYS_ADMIN")
}
