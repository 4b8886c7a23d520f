package core

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// A libvirt daemon that loads this library calls OpenNamespace while serving
// a client. Dialing a socket that the daemon itself listens on would park a
// worker of the daemon waiting on another worker of the same daemon, which
// may call us again: a recursion that ends only when its worker pool is
// exhausted. Who listens cannot be told from pids: SO_PEERCRED of a
// socket-activated daemon's socket names whoever called listen() (systemd),
// and a daemon without the LXC driver has no driver.pid. So the test is on
// what the process holds: is the socket we would dial a listening socket
// whose inode is one of the process's own fds? That holds for its own
// listen(), for sockets passed by socket activation (LISTEN_FDS) and for
// sockets kept across a re-exec alike.

// soAcceptCon is the kernel's __SO_ACCEPTCON, the "Flags" bit of a
// listening socket in /proc/net/unix (include/net/af_unix.h, net/unix/af_unix.c).
const soAcceptCon = 1 << 16

// socketLink is how /proc/PID/fd shows a socket: "socket:[inode]".
const socketLinkPrefix, socketLinkSuffix = "socket:[", "]"

// servesSocket reports whether process pid holds a listening UNIX socket
// bound at path. false with a nil error when nobody could be listening there
// (no such file: dialing fails with libvirt's own error). An error when the
// process's fds or sockets cannot be read: whether a dial would wait on
// itself is then unknown.
func servesSocket(pid int, path string) (bool, error) {
	var target unix.Stat_t
	if err := unix.Stat(path, &target); err != nil || target.Mode&unix.S_IFMT != unix.S_IFSOCK {
		return false, nil
	}
	proc := "/proc/" + strconv.Itoa(pid)
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
		return false, newError(ErrInternal, FromRPC,
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
		return nil, newError(ErrInternal, FromRPC,
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
