package core

import (
	"errors"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Opening the socket of one connection (libvirt's src/rpc/virnetsocket.c
// does the same for its client): connect, then ask the kernel who answers.

// errSelf is returned by dial when the socket's peer is this very process:
// we are running inside the daemon.
var errSelf = errors.New("the daemon at the other end of the socket is this process")

// dial connects to a UNIX socket and checks who answers: caller is the
// process the call is made for.
func dial(path string, caller int, deadline time.Time, log Logger) (*conn, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, systemError(FromRPC, err.(unix.Errno), "Failed to create socket")
	}
	if err := connectUnix(fd, path, deadline); err != nil {
		log.printf("connect to %s failed: %v", path, err)
		unix.Close(fd)
		return nil, err
	}
	// SO_PEERCRED is the authoritative "are we the daemon" test: inside
	// libvirtd a call over the socket would wait on ourselves.
	cred, err := unix.GetsockoptUcred(fd, unix.SOL_SOCKET, unix.SO_PEERCRED)
	if err == nil && int(cred.Pid) == caller {
		log.printf("connected to %s, whose daemon is the caller (pid %d)", path, caller)
		unix.Close(fd)
		return nil, errSelf
	}
	if err == nil {
		log.printf("connected to %s (fd %d, daemon pid %d)", path, fd, cred.Pid)
	}
	return &conn{fd: fd, pid: os.Getpid(), socket: path}, nil
}

func connectUnix(fd int, path string, deadline time.Time) *Error {
	what := "Failed to connect socket to '" + path + "'"
	if path == "" {
		// libvirt passes the full sockaddr, so an empty path names the
		// all-zero abstract address, which nobody listens on.
		return systemError(FromRPC, unix.ECONNREFUSED, what)
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
				return systemError(FromRPC, unix.EAGAIN, what)
			}
			time.Sleep(5 * time.Millisecond)
			continue
		}
		if errno, ok := err.(unix.Errno); ok {
			return systemError(FromRPC, errno, what)
		}
		return newError(ErrInternal, FromRPC, what+": "+err.Error())
	}
}
