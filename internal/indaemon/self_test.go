// Tests of ServesSocket on real sockets and processes.

package indaemon

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// listenAt binds a UNIX socket at path; listening only when listen is set.
func listenAt(t *testing.T, path string, listen bool) int {
	t.Helper()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		t.Fatal(err)
	}
	if listen {
		if err := unix.Listen(fd, 1); err != nil {
			t.Fatal(err)
		}
	}
	return fd
}

func wantServes(t *testing.T, what string, pid int, path string, want bool) {
	t.Helper()
	got, err := System().ServesSocket(pid, path)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if got != want {
		t.Errorf("%s: System().ServesSocket(%d, %s) = %v, want %v", what, pid, path, got, want)
	}
}

func TestServesSocket(t *testing.T) {
	dir := t.TempDir()
	own := filepath.Join(dir, "own")
	listenAt(t, own, true)
	wantServes(t, "own listening socket", os.Getpid(), own, true)

	// The same socket through another name of its directory (/var/run is
	// /run on the hosts libvirt runs on).
	alias := filepath.Join(t.TempDir(), "alias")
	if err := os.Symlink(dir, alias); err != nil {
		t.Fatal(err)
	}
	wantServes(t, "own socket by another path", os.Getpid(), filepath.Join(alias, "own"), true)

	bound := filepath.Join(dir, "bound")
	listenAt(t, bound, false)
	wantServes(t, "bound, not listening", os.Getpid(), bound, false)

	wantServes(t, "no such file", os.Getpid(), filepath.Join(dir, "none"), false)

	notSock := filepath.Join(dir, "file")
	if err := os.WriteFile(notSock, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	wantServes(t, "not a socket", os.Getpid(), notSock, false)

	// A socket another process listens on, and one handed to a child the
	// way socket activation does (LISTEN_FDS: inherited across exec): the
	// child serves it, we do not any more once we close our copy.
	other := filepath.Join(dir, "other")
	fd := listenAt(t, other, true)
	child := exec.Command("/bin/sleep", "30")
	child.ExtraFiles = []*os.File{os.NewFile(uintptr(dupFd(t, fd)), "listener")}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { child.Process.Kill(); child.Wait() })
	child.ExtraFiles[0].Close()
	unix.Close(fd)
	waitExec(t, child.Process.Pid)
	wantServes(t, "socket passed to a child", child.Process.Pid, other, true)
	wantServes(t, "socket given away", os.Getpid(), other, false)
	wantServes(t, "our socket, asked for the child", child.Process.Pid, own, false)
}

func dupFd(t *testing.T, fd int) int {
	t.Helper()
	d, err := unix.Dup(fd)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// waitExec waits until pid runs the program it execs (its fds are then the
// ones it keeps).
func waitExec(t *testing.T, pid int) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if exe, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe"); exe == "/usr/bin/sleep" || exe == "/bin/sleep" {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("process %d did not exec", pid)
}

// A process whose fds cannot be read: whether it serves the socket is not
// known, and that is an error, never "no".
func TestServesSocketUnknown(t *testing.T) {
	own := filepath.Join(t.TempDir(), "own")
	listenAt(t, own, true)
	if _, err := System().ServesSocket(1<<30, own); err == nil {
		t.Error("ServesSocket of a process that does not exist: no error")
	}
}
