package core

import (
	"encoding/binary"
	"errors"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// conn is one connection to a daemon. It is used by one caller at a time
// (the pool hands it out exclusively), so it needs no lock of its own.
type conn struct {
	fd     int
	pid    int    // process that opened it; a forked child must not use it
	serial uint32 // next call serial; the real client starts at 0
	socket string // for messages
	// midFrame is set once any byte of a frame has been read and cleared
	// after a whole keepalive/event frame was consumed. An EOF seen while
	// it is clear happened before any byte of our reply arrived.
	midFrame bool
	broken   bool // the stream is out of step; never reuse
}

// errSelf is returned by dial when the socket's peer is this very process:
// we are running inside the daemon.
var errSelf = errors.New("the daemon at the other end of the socket is this process")

// dial connects to a UNIX socket and checks who answers.
func dial(path string, deadline time.Time) (*conn, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, systemError(FromRPC, err.(unix.Errno), "Failed to create socket")
	}
	if err := connectUnix(fd, path, deadline); err != nil {
		unix.Close(fd)
		return nil, err
	}
	// SO_PEERCRED is the authoritative "are we the daemon" test: inside
	// libvirtd a call over the socket would wait on ourselves.
	if cred, err := unix.GetsockoptUcred(fd, unix.SOL_SOCKET, unix.SO_PEERCRED); err == nil && int(cred.Pid) == os.Getpid() {
		unix.Close(fd)
		return nil, errSelf
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

func (c *conn) close() {
	if c.fd >= 0 {
		unix.Close(c.fd)
		c.fd = -1
	}
}

// callError wraps a failure of call() that left no usable reply.
// retry says the daemon went away before any reply byte came back.
type callError struct {
	err   error
	retry bool
}

func (e *callError) Error() string { return e.err.Error() }
func (e *callError) Unwrap() error { return e.err }

// call sends one CALL and waits for its reply. On success the reply's fds are
// the caller's. A daemon error reply comes back as *Error with the stream
// still in step; any other failure marks the connection broken.
func (c *conn) call(prog uint32, proc int32, args []byte, deadline time.Time) (*reply, error) {
	serial := c.serial
	c.serial++
	c.midFrame = false
	if err := writeAll(c.fd, encodeCall(prog, proc, serial, args), deadline); err != nil {
		return nil, c.fail(err)
	}
	for {
		h, payload, err := c.readFrame(deadline)
		if err != nil {
			return nil, c.fail(err)
		}
		if h.Type == typeMessage || h.Type == typeStream || h.Type == 6 {
			// Keepalive, event or stream data where a reply is expected:
			// answer a PING, drop the rest.
			if h.isKeepalive() && h.Proc == procKeepalivePing {
				if err := writeAll(c.fd, pongPacket(), deadline); err != nil {
					return nil, c.fail(err)
				}
			}
			c.midFrame = false
			continue
		}
		if h.Type != typeReply && h.Type != typeReplyWithFDs {
			return nil, c.fail(protocolError("unexpected message type " + strconv.Itoa(int(h.Type))))
		}
		if h.Prog != prog || h.Vers != protoVersion || h.Serial != serial || h.Proc != proc {
			return nil, c.fail(protocolError("reply does not match the call (serial " +
				strconv.FormatUint(uint64(h.Serial), 10) + ", expected " + strconv.FormatUint(uint64(serial), 10) + ")"))
		}
		r := &reply{hdr: h, payload: payload}
		if h.Type == typeReplyWithFDs {
			if r.fds, r.payload, err = c.readFDs(payload, deadline); err != nil {
				return nil, c.fail(err)
			}
		}
		switch h.Status {
		case statusOK:
			return r, nil
		case statusError:
			closeAll(r.fds) // error replies carry none; never leak if one did
			rerr, err := decodeRemoteError(r.payload)
			if err != nil {
				return nil, c.fail(protocolError("malformed error reply: " + err.Error()))
			}
			return nil, rerr
		}
		closeAll(r.fds)
		return nil, c.fail(protocolError("unexpected reply status " + strconv.Itoa(int(h.Status))))
	}
}

// readFrame reads one whole frame with exact-length reads.
func (c *conn) readFrame(deadline time.Time) (header, []byte, error) {
	var lenWord [4]byte
	got, err := readFull(c.fd, lenWord[:], deadline)
	if got > 0 {
		c.midFrame = true
	}
	if err != nil {
		return header{}, nil, err
	}
	n := binary.BigEndian.Uint32(lenWord[:])
	if err := checkLen(n); err != nil {
		return header{}, nil, protocolError(err.Error())
	}
	buf := make([]byte, n-4)
	if _, err := readFull(c.fd, buf, deadline); err != nil {
		return header{}, nil, err
	}
	h, payload, err := decodeHeader(buf)
	if err != nil {
		return header{}, nil, protocolError(err.Error())
	}
	return h, payload, nil
}

// readFDs takes the fd count off the front of a REPLY_WITH_FDS payload and
// receives that many fds, one recvmsg each. On failure none stay open.
func (c *conn) readFDs(payload []byte, deadline time.Time) ([]int, []byte, error) {
	d := decoder{b: payload}
	n := d.u32()
	if d.err != nil {
		return nil, nil, protocolError("reply with descriptors lacks the descriptor count")
	}
	if n > maxFDs {
		return nil, nil, protocolError("the daemon announced " + strconv.FormatUint(uint64(n), 10) +
			" descriptors, more than the limit of 32")
	}
	fds := make([]int, 0, n)
	for i := uint32(0); i < n; i++ {
		fd, err := recvFD(c.fd, deadline)
		if err != nil {
			closeAll(fds)
			return nil, nil, err
		}
		fds = append(fds, fd)
	}
	return fds, d.b, nil
}

// fail marks the connection unusable and classifies the failure.
func (c *conn) fail(err error) error {
	c.broken = true
	var ie *ioError
	if errors.As(err, &ie) && ie.peerGone() && !c.midFrame {
		return &callError{err: err, retry: true}
	}
	return &callError{err: err}
}

type protoErr struct{ msg string }

func (e *protoErr) Error() string { return e.msg }

func protocolError(msg string) error { return &protoErr{msg} }

// toLibvirtError turns a transport or protocol failure into the libvirt
// error a caller sees.
func (c *conn) toLibvirtError(err error) *Error {
	var le *Error
	if errors.As(err, &le) {
		return le
	}
	var ie *ioError
	if errors.As(err, &ie) {
		switch {
		case ie.timeout:
			return newError(ErrTimeout, FromRPC, "no reply from the daemon on '"+c.socket+"' in time; is it hung?")
		case ie.eof:
			return systemError(FromRPC, unix.EIO, "End of file while reading data")
		}
		return systemError(FromRPC, ie.errno, "Cannot "+verb(ie.op)+" '"+c.socket+"'")
	}
	if errors.Is(err, errBadFDMessage) {
		return systemError(FromRPC, unix.EACCES, "Failed to receive a file descriptor from '"+c.socket+"'")
	}
	return newError(ErrRPC, FromRPC, "protocol error talking to '"+c.socket+"': "+err.Error())
}

func verb(op string) string {
	switch op {
	case "writing to the daemon":
		return "write data to"
	case "receiving a file descriptor":
		return "receive a file descriptor from"
	}
	return "read data from"
}

// handshake authenticates and opens the hypervisor connection, as the real
// client does: AUTH_LIST, AUTH_POLKIT if asked, CONNECT_OPEN.
func (c *conn) handshake(name string, readonly bool, deadline time.Time) error {
	r, err := c.call(progRemote, procAuthList, nil, deadline)
	var le *Error
	switch {
	case errors.As(err, &le) && le.Code == ErrNoSupport:
		// A daemon too old to know AUTH_LIST needs no auth step.
	case err != nil:
		return err
	default:
		d := decoder{b: r.payload}
		n := d.u32()
		if d.err == nil && n > 20 {
			return &callError{err: protocolError("AUTH_LIST returned more than 20 types")}
		}
		types := make([]int32, 0, n)
		for i := uint32(0); i < n && d.err == nil; i++ {
			types = append(types, d.i32())
		}
		if err := d.done(); err != nil {
			c.broken = true
			return &callError{err: protocolError("malformed AUTH_LIST reply: " + err.Error())}
		}
		if len(types) > 0 {
			switch types[0] {
			case authNone:
			case authPolkit:
				if _, err := c.call(progRemote, procAuthPolkit, nil, deadline); err != nil {
					return err
				}
			case authSASL:
				return newError(ErrUnsupported, FromRemote,
					"the daemon on '"+c.socket+"' requires SASL authentication, which libvirt-lxc-go does not implement; "+
						"use a socket configured with auth_unix_rw/auth_unix_ro = \"none\" or \"polkit\"")
			default:
				return newError(ErrAuthFailed, FromRemote, "unsupported authentication type "+strconv.Itoa(int(types[0])))
			}
		}
	}
	e := encoder{}
	e.optStr(&name)
	var flags uint32
	if readonly {
		flags = connectFlagReadOnly
	}
	e.u32(flags)
	_, err = c.call(progRemote, procConnectOpen, e.b, deadline)
	return err
}

// openNamespace is the LXC DOMAIN_OPEN_NAMESPACE call.
func (c *conn) openNamespace(req *Request, deadline time.Time) ([]int, error) {
	e := encoder{}
	e.domain(req.Name, req.UUID, req.ID)
	e.u32(req.Flags)
	r, err := c.call(progLXC, procLXCOpenNS, e.b, deadline)
	if err != nil {
		return nil, err
	}
	// The ret type is void: anything left is a protocol mismatch.
	if len(r.payload) != 0 {
		closeAll(r.fds)
		c.broken = true
		return nil, &callError{err: protocolError("unexpected data after the namespace reply")}
	}
	return r.fds, nil
}
