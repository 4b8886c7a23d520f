// The socket layer works on a raw, non-blocking fd with poll() for deadlines.
// net.UnixConn is avoided on purpose: its finalizer and the netpoller would
// own the fd, and its buffered paths could read past a frame, which makes
// the kernel drop the fd riding on the next byte (docs/PROTOCOL.md §4).

package rpc

import (
	"errors"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/libvirt-lxc-go/libvirt-lxc/internal/report"
)

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
	return e.op.String() + ": " + report.Strerror(e.errno)
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
		pfd := [1]unix.PollFd{{Fd: int32(fd), Events: events}}
		n, err := unix.Poll(pfd[:], ms)
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
		n, err := send(fd, buf)
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

// send is send(2) with MSG_NOSIGNAL.
func send(fd int, buf []byte) (int, error) {
	n, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)),
		unix.MSG_NOSIGNAL, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// rightsSpace is the control buffer for exactly one fd, as libvirt's sender
// uses: with room for only one, a peer cannot smuggle in extra fds.
const rightsSpace = 24 // CMSG_SPACE(sizeof(int)) on 64-bit Linux

// fdSize is the size of one fd (a C int) in an SCM_RIGHTS message.
const fdSize = 4

var errBadFDMessage = errors.New("the daemon sent a file descriptor message without exactly one descriptor")

// recvFD receives one fd: a 1-byte message whose SCM_RIGHTS control message
// carries a single descriptor; oob is the caller's rightsSpace buffer.
// MSG_CMSG_CLOEXEC makes it close-on-exec atomically, so a concurrent
// fork+exec in the host cannot inherit it. recvmsg is called directly with
// a msghdr on the stack: x/sys's Recvmsg allocates the sender's address and
// the parsed messages on every call.
func recvFD(fd int, oob []byte, deadline time.Time) (int, error) {
	var data [1]byte
	var iov unix.Iovec
	iov.Base = &data[0]
	iov.SetLen(1)
	for {
		var msg unix.Msghdr
		msg.Iov = &iov
		msg.Iovlen = 1
		msg.Control = &oob[0]
		msg.SetControllen(len(oob))
		n, _, e := unix.Syscall(unix.SYS_RECVMSG, uintptr(fd), uintptr(unsafe.Pointer(&msg)), unix.MSG_CMSG_CLOEXEC)
		switch {
		case e == unix.EINTR:
			continue
		case e == unix.EAGAIN:
			if err := waitFD(fd, unix.POLLIN, deadline, opRecvFD); err != nil {
				return -1, err
			}
			continue
		case e != 0:
			return -1, &ioError{op: opRecvFD, errno: e}
		}
		control := oob[:msg.Controllen]
		if got, ok := oneRight(control); ok && n == 1 && msg.Flags&unix.MSG_CTRUNC == 0 {
			return got, nil
		}
		got := parseRights(control)
		if n == 0 && len(got) == 0 {
			return -1, &ioError{op: opRecvFD, eof: true}
		}
		closeAll(got)
		return -1, errBadFDMessage
	}
}

// oneRight returns the fd of a control buffer that holds exactly one
// SCM_RIGHTS message with one fd, the common case, without allocating.
func oneRight(control []byte) (int, bool) {
	if len(control) < unix.CmsgLen(fdSize) {
		return -1, false
	}
	h := (*unix.Cmsghdr)(unsafe.Pointer(&control[0]))
	if h.Level != unix.SOL_SOCKET || h.Type != unix.SCM_RIGHTS || int(h.Len) != unix.CmsgLen(fdSize) ||
		len(control) > unix.CmsgSpace(fdSize) {
		return -1, false
	}
	return int(*(*int32)(unsafe.Pointer(&control[unix.CmsgLen(0)]))), true
}

// Futex operations (linux/futex.h); x/sys has no names for them. Private:
// the words are never shared with another process.
const (
	futexWaitPrivate = 0 | 128 // FUTEX_WAIT | FUTEX_PRIVATE_FLAG
	futexWakePrivate = 1 | 128 // FUTEX_WAKE | FUTEX_PRIVATE_FLAG
)

// futexWait sleeps while *addr == val, for at most d (or until a
// futexWake, or a signal: the caller looks again in any case).
func futexWait(addr *uint32, val uint32, d time.Duration) {
	ts := unix.NsecToTimespec(int64(d))
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWaitPrivate,
		uintptr(val), uintptr(unsafe.Pointer(&ts)), 0, 0)
}

// futexWake wakes the thread sleeping on addr, if any.
func futexWake(addr *uint32) {
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWakePrivate, 1, 0, 0, 0)
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
