// Is the caller the daemon? The one place that answers it. A libvirt daemon
// (libvirtd, virtlxcd) that loads this library calls OpenNamespace while
// serving a client, and must not be answered over its own socket. Three
// pieces of evidence, each asked at its moment by the client (package core):
//
//   - before dialing, ServesSocket: the caller holds the listening socket
//     it would dial;
//   - after connecting, PeerIsCaller: SO_PEERCRED of the connection names
//     the caller;
//   - once the caller is known to be a daemon (or says so, DriverLXC),
//     RunsLXCDriver: it holds the LXC driver's driver.pid lock, so it is
//     the daemon that can serve the call (Host.Open), not another one.
//
// Why: dialing a socket that the daemon itself listens on would park a
// worker of the daemon waiting on another worker of the same daemon, which
// may call us again: a recursion that ends only when its worker pool is
// exhausted. Who listens cannot be told from pids: SO_PEERCRED of a
// socket-activated daemon's socket names whoever called listen() (systemd),
// and a daemon without the LXC driver has no driver.pid. So the test is on
// what the process holds: is the socket we would dial a listening socket
// whose inode is one of the process's own fds? That holds for its own
// listen(), for sockets passed by socket activation (LISTEN_FDS) and for
// sockets kept across a re-exec alike.

package indaemon

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/libvirt-lxc-go/libvirt-lxc/internal/report"
)

// soAcceptCon is the kernel's __SO_ACCEPTCON, the "Flags" bit of a
// listening socket in /proc/net/unix (include/net/af_unix.h, net/unix/af_unix.c).
const soAcceptCon = 1 << 16

// socketLink is how /proc/PID/fd shows a socket: "socket:[inode]".
const socketLinkPrefix, socketLinkSuffix = "socket:[", "]"

// ServesSocket reports whether process pid holds a listening UNIX socket
// bound at path. false with a nil error when nobody could be listening there
// (no such file: dialing fails with libvirt's own error). An error when the
// process's fds or sockets cannot be read: whether a dial would wait on
// itself is then unknown.
func (h *Host) ServesSocket(pid int, path string) (bool, error) {
	var target unix.Stat_t
	if err := unix.Stat(path, &target); err != nil || target.Mode&unix.S_IFMT != unix.S_IFSOCK {
		return false, nil
	}
	proc := h.Proc + "/" + strconv.Itoa(pid)
	held, err := socketInodes(proc + "/fd")
	if err != nil {
		return false, err
	}
	if len(held) == 0 {
		return false, nil
	}
	// The sockets of the process's network namespace, not ours (they are the
	// same for the core process, which is forked from its caller).
	table, err := os.ReadFile(proc + "/net/unix")
	if err != nil {
		return false, report.NewError(report.ErrInternal, report.FromRPC,
			"cannot read "+proc+"/net/unix to tell whether this process serves "+path+": "+err.Error())
	}
	for _, line := range strings.Split(string(table), "\n")[1:] {
		// Num RefCount Protocol Flags Type St Inode [Path]
		f := strings.Fields(line)
		if len(f) < 8 {
			continue
		}
		ino, err := strconv.ParseUint(f[6], 10, 64)
		if err != nil || !held[ino] {
			continue
		}
		flags, err := strconv.ParseUint(f[3], 16, 32)
		if err != nil || flags&soAcceptCon == 0 {
			continue
		}
		// The path as bound; the same file when it names the same inode
		// (/var/run is /run, for one). Abstract names start with '@'.
		bound := f[7]
		if !filepath.IsAbs(bound) || filepath.Base(bound) != filepath.Base(path) {
			continue
		}
		var st unix.Stat_t
		if unix.Stat(bound, &st) == nil && st.Dev == target.Dev && st.Ino == target.Ino {
			return true, nil
		}
	}
	return false, nil
}

// socketInodes returns the inodes of the sockets among the fds listed in dir
// (/proc/PID/fd).
func socketInodes(dir string) (map[uint64]bool, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, report.NewError(report.ErrInternal, report.FromRPC,
			"cannot read "+dir+" to tell whether the socket to dial is this process's own: "+err.Error())
	}
	held := make(map[uint64]bool)
	for _, e := range ents {
		link, err := os.Readlink(dir + "/" + e.Name())
		if err != nil || !strings.HasPrefix(link, socketLinkPrefix) || !strings.HasSuffix(link, socketLinkSuffix) {
			continue // closed meanwhile, or not a socket
		}
		ino, err := strconv.ParseUint(link[len(socketLinkPrefix):len(link)-len(socketLinkSuffix)], 10, 64)
		if err == nil {
			held[ino] = true
		}
	}
	return held, nil
}

// PeerIsCaller reports whether the daemon end of a connection, as
// SO_PEERCRED named it (peer, -1 when unknown), is the caller: dialing
// caller's own socket reached caller, which would wait on itself.
// It backs ServesSocket up (the kernel's word on who is at the other end),
// before anything is sent.
func PeerIsCaller(peer, caller int) bool { return peer > 0 && peer == caller }

// driverPidFile is the file the LXC driver locks while it runs
// (src/lxc/lxc_driver.c, lxcStateInitialize: virPidFileAcquire(stateDir,
// "driver", getpid())).
const driverPidFile = "driver.pid"

// RunsLXCDriver returns nil when caller runs libvirt's LXC driver:
// driver.pid holds caller's pid and caller holds the lock the driver takes
// on it, as read from a /proc of our pid namespace in our mount namespace.
// Requiring that very lock rules out a stale file whose pid was reused.
// Otherwise it returns an *report.Error saying what is missing.
func (h *Host) RunsLXCDriver(caller int) error {
	fail := func(why string) error {
		return report.NewError(report.ErrInternal, report.FromLXC, "cannot confirm that process "+strconv.Itoa(caller)+" runs libvirt's LXC driver: "+why)
	}
	path := h.StateDir + "/" + driverPidFile
	// Closing any fd of a file drops every POSIX lock the closing process
	// holds on it: inside the daemon itself, opening driver.pid would
	// release the driver's lock. There the lock alone decides (the driver
	// writes its pid only once it holds the lock).
	if caller != os.Getpid() {
		data, err := os.ReadFile(path)
		if err != nil {
			return fail("cannot read " + path + ": " + err.Error())
		}
		if got := strings.TrimSpace(string(data)); got != strconv.Itoa(caller) {
			return fail(path + " holds pid " + strconv.Quote(got))
		}
	}
	if err := h.sameView(caller); err != nil {
		return fail(err.Error())
	}
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return fail("cannot stat " + path + ": " + err.Error())
	}
	locks, err := os.ReadFile(h.Proc + "/locks")
	if err != nil {
		return fail("cannot read " + h.Proc + "/locks: " + err.Error())
	}
	if !holdsDriverLock(string(locks), caller, uint64(st.Dev), st.Ino) {
		return fail("it does not hold the LXC driver's write lock on " + path)
	}
	return nil
}

// holdsDriverLock looks in /proc/locks text for the lock
// virPidFileAcquirePath takes (src/util/virpidfile.c, through virFileLock
// in src/util/virfile.c: fcntl F_SETLK, F_WRLCK, start 0, length 1) held by
// pid on the inode dev:ino. The kernel prints it as
// "N: POSIX  ADVISORY  WRITE <pid> <major>:<minor>:<ino> 0 0", device
// numbers in hex; lines of waiting locks have "->" after the number.
func holdsDriverLock(locks string, pid int, dev, ino uint64) bool {
	want := []string{"POSIX", "ADVISORY", "WRITE", strconv.Itoa(pid),
		hex2(unix.Major(dev)) + ":" + hex2(unix.Minor(dev)) + ":" + strconv.FormatUint(ino, 10), "0", "0"}
	for _, line := range strings.Split(locks, "\n") {
		f := strings.Fields(line)
		if len(f) == len(want)+1 && equalStrings(f[1:], want) {
			return true
		}
	}
	return false
}

// hex2 is printf's %02x, as the kernel prints device numbers in /proc/locks.
func hex2(n uint32) string {
	s := strconv.FormatUint(uint64(n), 16)
	if len(s) < 2 {
		s = "0" + s
	}
	return s
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
