package core

import (
	"errors"
	"time"

	"golang.org/x/sys/unix"
)

// The socket layer works on a raw, non-blocking fd with poll() for deadlines.
// net.UnixConn is avoided on purpose: its finalizer and the netpoller would
// own the fd, and its buffered paths could read past a frame, which makes
// the kernel drop the fd riding on the next byte (docs/PROTOCOL.md §4).

// ioOp is what a transport failure interrupted.
type ioOp int

const (
	opRead   ioOp = iota // reading a frame
	opWrite              // writing a frame
	opRecvFD             // receiving one passed descriptor
)

// String names op in a transport failure's text.
func (op ioOp) String() string {
	switch op {
	case opWrite:
		return "writing to the daemon"
	case opRecvFD:
		return "receiving a file descriptor"
	}
	return "reading from the daemon"
}

// ioError is a transport failure. eof marks an orderly close by the peer.
type ioError struct {
	op      ioOp
	errno   unix.Errno
	eof     bool
	timeout bool
}

func (e *ioError) Error() string {
	switch {
	case e.eof:
		return e.op.String() + ": the daemon closed the connection"
	case e.timeout:
		return e.op.String() + ": timed out"
	}
	return e.op.String() + ": " + strerror(e.errno)
}

// peerGone reports the failures that mean "the daemon went away", after
// which a call that received nothing yet may be retried on a new socket.
func (e *ioError) peerGone() bool {
	return e.eof || e.errno == unix.EPIPE || e.errno == unix.ECONNRESET
}

// waitFD polls fd for events until the deadline.
func waitFD(fd int, events int16, deadline time.Time, op ioOp) error {
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return &ioError{op: op, timeout: true}
		}
		ms := int(left / time.Millisecond)
		if left%time.Millisecond != 0 {
			ms++ // round up so a short remainder still waits
		}
		pfd := []unix.PollFd{{Fd: int32(fd), Events: events}}
		n, err := unix.Poll(pfd, ms)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return &ioError{op: op, errno: err.(unix.Errno)}
		}
		if n > 0 {
			// POLLHUP/POLLERR are left for the following read or write
			// to report with a precise errno.
			return nil
		}
	}
}

// readFull reads exactly len(buf) bytes, never asking the kernel for more
// than what remains. got is how many bytes arrived before any error.
func readFull(fd int, buf []byte, deadline time.Time) (got int, err error) {
	for got < len(buf) {
		n, rerr := unix.Read(fd, buf[got:])
		switch {
		case rerr == unix.EINTR:
			continue
		case rerr == unix.EAGAIN:
			if err := waitFD(fd, unix.POLLIN, deadline, opRead); err != nil {
				return got, err
			}
			continue
		case rerr != nil:
			return got, &ioError{op: opRead, errno: rerr.(unix.Errno)}
		case n == 0:
			return got, &ioError{op: opRead, eof: true}
		}
		got += n
	}
	return got, nil
}

// writeAll sends buf with MSG_NOSIGNAL, so a closed peer gives EPIPE instead
// of a SIGPIPE that would hit the host program.
func writeAll(fd int, buf []byte, deadline time.Time) error {
	for len(buf) > 0 {
		n, err := unix.SendmsgN(fd, buf, nil, nil, unix.MSG_NOSIGNAL)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			if err := waitFD(fd, unix.POLLOUT, deadline, opWrite); err != nil {
				return err
			}
			continue
		case err != nil:
			return &ioError{op: opWrite, errno: err.(unix.Errno)}
		}
		buf = buf[n:]
	}
	return nil
}

// cmsgSpace is the control buffer for exactly one fd, as libvirt's sender
// uses: with room for only one, a peer cannot smuggle in extra fds.
var cmsgSpace = unix.CmsgSpace(fdSize)

// fdSize is the size of one fd (a C int) in an SCM_RIGHTS message.
const fdSize = 4

var errBadFDMessage = errors.New("the daemon sent a file descriptor message without exactly one descriptor")

// recvFD receives one fd: a 1-byte message whose SCM_RIGHTS control message
// carries a single descriptor. MSG_CMSG_CLOEXEC makes it close-on-exec
// atomically, so a concurrent fork+exec in the host cannot inherit it.
func recvFD(fd int, deadline time.Time) (int, error) {
	var data [1]byte
	oob := make([]byte, cmsgSpace)
	for {
		n, oobn, flags, _, err := unix.Recvmsg(fd, data[:], oob, unix.MSG_CMSG_CLOEXEC)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			if err := waitFD(fd, unix.POLLIN, deadline, opRecvFD); err != nil {
				return -1, err
			}
			continue
		case err != nil:
			return -1, &ioError{op: opRecvFD, errno: err.(unix.Errno)}
		}
		got := parseRights(oob[:oobn])
		if n == 0 && len(got) == 0 {
			return -1, &ioError{op: opRecvFD, eof: true}
		}
		if len(got) != 1 || n != 1 || flags&unix.MSG_CTRUNC != 0 {
			closeAll(got)
			return -1, errBadFDMessage
		}
		return got[0], nil
	}
}

// parseRights returns every fd found in SCM_RIGHTS messages, so the caller
// can close them all if the message is not what was expected.
func parseRights(oob []byte) []int {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil
	}
	var fds []int
	for i := range msgs {
		if msgs[i].Header.Level != unix.SOL_SOCKET || msgs[i].Header.Type != unix.SCM_RIGHTS {
			continue
		}
		r, err := unix.ParseUnixRights(&msgs[i])
		if err == nil {
			fds = append(fds, r...)
		}
	}
	return fds
}

func closeAll(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}
