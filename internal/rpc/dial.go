// Opening the socket of one connection (libvirt's src/rpc/virnetsocket.c
// does the same for its client): connect, then ask the kernel who answers.

package rpc

import (
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/libvirt-lxc-go/libvirt-lxc/internal/report"
)

// Dial connects to a UNIX socket and notes who answers (PeerPid): whether
// that is the caller itself is for package indaemon to say.
func Dial(path string, deadline time.Time, log report.Logger) (*Conn, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, report.SystemError(report.FromRPC, err.(unix.Errno), "Failed to create socket")
	}
	if err := connectUnix(fd, path, deadline); err != nil {
		log.Printf("connect to %s failed: %v", path, err)
		unix.Close(fd)
		return nil, err
	}
	peer := -1
	if cred, err := unix.GetsockoptUcred(fd, unix.SOL_SOCKET, unix.SO_PEERCRED); err == nil {
		peer = int(cred.Pid)
	}
	return &Conn{fd: fd, pid: os.Getpid(), peer: peer, socket: path}, nil
}

// PeerPid is the pid SO_PEERCRED gave for the daemon end when the
// connection was made; -1 when unknown.
func (c *Conn) PeerPid() int { return c.peer }

func connectUnix(fd int, path string, deadline time.Time) *report.Error {
	what := "Failed to connect socket to '" + path + "'"
	if path == "" {
		// libvirt passes the full sockaddr, so an empty path names the
		// all-zero abstract address, which nobody listens on.
		return report.SystemError(report.FromRPC, unix.ECONNREFUSED, what)
	}
	for {
		err := unix.Connect(fd, &unix.SockaddrUnix{Name: path})
		switch err {
		case nil:
			return nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			// Listen backlog full: a blocking connect would wait, so do
			// the same, within the deadline.
			if time.Until(deadline) <= 0 {
				return report.SystemError(report.FromRPC, unix.EAGAIN, what)
			}
			time.Sleep(5 * time.Millisecond)
			continue
		}
		if errno, ok := err.(unix.Errno); ok {
			return report.SystemError(report.FromRPC, errno, what)
		}
		return report.NewError(report.ErrInternal, report.FromRPC, what+": "+err.Error())
	}
}
