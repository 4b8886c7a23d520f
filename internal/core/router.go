package core

import (
	"encoding/binary"
	"errors"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// The router: calls in flight on one connection, matched to their replies
// by serial, with keepalive answered on the way (libvirt's client does the
// same in src/rpc/virnetclient.c). Procedures (procedures.go) go through
// call; the socket's bytes and fds through fdpass.go.

// conn is one connection to a daemon, shared by concurrent callers as
// libvirt's client shares its one connection: each caller writes its CALL
// whole under wmu, and one of the waiting callers at a time reads for all
// of them, handing each reply (and the fds that follow it) to the caller
// whose serial it carries. When the reader has its own reply it passes the
// reading on to another waiting caller.
type conn struct {
	fd     int
	pid    int    // process that opened it; a forked child must not use it
	socket string // for messages

	wmu sync.Mutex // one frame at a time on the wire

	mu        sync.Mutex
	serial    uint32              // next call serial; the real client starts at 0
	pending   map[uint32]*waiter  // calls sent and not yet answered
	abandoned map[uint32]struct{} // calls whose caller gave up; their replies are dropped
	reading   bool                // a caller is reading for everyone
	active    int                 // callers inside call()
	retired   bool                // close the fd once no caller is inside
	// midFrame is set once any byte of a frame has been read and cleared
	// when the frame is consumed (reader only). An EOF seen while it is
	// clear came before any byte of a pending reply.
	midFrame bool
	broken   bool  // the stream is out of step; never reuse
	brokeBy  error // what broke it, for callers that come later
}

// waiter is one call waiting for its reply.
type waiter struct {
	prog uint32
	proc int32
	wake chan struct{} // capacity 1: "look again" (reply in, or read for all)
	done bool
	r    *reply
	err  error
}

// close closes the fd now if no caller is inside, or when the last one
// leaves; the connection is unusable either way. Closing under a caller
// would let the fd number be reused under its feet.
func (c *conn) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.retired = true
	if !c.broken {
		c.broken = true
		// A call that finds it closed under it may go on a new one.
		c.brokeBy = &callError{err: protocolError("connection closed"), retry: true}
	}
	c.closeIfIdleLocked()
}

func (c *conn) closeIfIdleLocked() {
	if c.retired && c.active == 0 && c.fd >= 0 {
		unix.Close(c.fd)
		c.fd = -1
	}
}

// usable says whether a new call may be started on c by process pid.
func (c *conn) usable(pid int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.broken && !c.retired && c.pid == pid
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
// still in step; any other failure marks the connection broken and fails
// every call pending on it.
func (c *conn) call(prog uint32, proc int32, args []byte, deadline time.Time) (*reply, error) {
	w := &waiter{prog: prog, proc: proc, wake: make(chan struct{}, 1)}
	c.mu.Lock()
	if c.broken {
		err := c.brokeBy
		c.mu.Unlock()
		return nil, err
	}
	serial := c.serial
	c.serial++
	if c.pending == nil {
		c.pending = make(map[uint32]*waiter)
	}
	c.pending[serial] = w
	c.active++
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.active--
		c.closeIfIdleLocked()
		c.mu.Unlock()
	}()

	c.wmu.Lock()
	err := writeAll(c.fd, encodeCall(prog, proc, serial, args), deadline)
	c.wmu.Unlock()
	if err != nil {
		// A partly written frame leaves the stream out of step.
		c.breakAll(c.classify(err, false))
	}
	for {
		c.mu.Lock()
		if w.done {
			c.mu.Unlock()
			return w.r, w.err
		}
		if !c.reading {
			c.reading = true
			c.mu.Unlock()
			c.readFor(serial, deadline)
			continue
		}
		c.mu.Unlock()
		if !waitWake(w.wake, deadline) {
			c.mu.Lock()
			if !w.done {
				c.abandonLocked(serial)
				c.mu.Unlock()
				return nil, &callError{err: &ioError{op: opRead, timeout: true}}
			}
			c.mu.Unlock()
		}
	}
}

// waitWake waits for a wake-up until deadline; false on timeout.
func waitWake(wake <-chan struct{}, deadline time.Time) bool {
	d := time.Until(deadline)
	if d <= 0 {
		select {
		case <-wake:
			return true
		default:
			return false
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-wake:
		return true
	case <-t.C:
		return false
	}
}

// abandonLocked forgets a call whose caller stops waiting: its reply, if it
// ever comes, is read and dropped (fds closed). Another waiter takes over
// the reading if needed.
func (c *conn) abandonLocked(serial uint32) {
	delete(c.pending, serial)
	if c.abandoned == nil {
		c.abandoned = make(map[uint32]struct{})
	}
	c.abandoned[serial] = struct{}{}
	c.handOnLocked()
}

// handOnLocked wakes one pending caller to read for the others when nobody
// does.
func (c *conn) handOnLocked() {
	if c.reading {
		return
	}
	for _, w := range c.pending {
		w.poke()
		return
	}
}

// deliverLocked hands a finished call its result.
func (c *conn) deliverLocked(serial uint32, w *waiter, r *reply, err error) {
	delete(c.pending, serial)
	w.r, w.err, w.done = r, err, true
	w.poke()
}

// poke tells w to look again, without waiting: a wake-up already pending
// says the same.
func (w *waiter) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// breakAll marks the connection broken and fails every pending call with
// err: the stream is out of step, or the daemon does not speak the protocol
// we expect.
func (c *conn) breakAll(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.broken {
		c.broken = true
		c.brokeBy = err
		// A caller may be reading for calls that are failed here: make
		// its read end now instead of at its deadline.
		if c.fd >= 0 {
			unix.Shutdown(c.fd, unix.SHUT_RDWR)
		}
	}
	for serial, w := range c.pending {
		c.deliverLocked(serial, w, nil, err)
	}
	c.reading = false
}

// readFor reads frames for every pending call until the one with serial
// own is answered, the connection breaks, or own's deadline passes. It is
// called by the one caller that set c.reading, and clears it.
func (c *conn) readFor(own uint32, deadline time.Time) {
	for {
		h, payload, err := c.readFrame(deadline)
		if err != nil {
			var ie *ioError
			if errors.As(err, &ie) && ie.timeout && !c.midFrame {
				// Nothing half read: the others may go on reading.
				c.mu.Lock()
				c.reading = false
				if w := c.pending[own]; w != nil {
					c.abandonLocked(own)
					w.err, w.done = &callError{err: err}, true
				}
				c.mu.Unlock()
				return
			}
			c.breakAll(c.classify(err, c.midFrame))
			return
		}
		if h.Type == typeMessage || h.Type == typeStream || h.Type == typeStreamHole {
			// Keepalive, event or stream data where a reply is expected:
			// answer a PING, drop the rest.
			c.midFrame = false
			if h.isKeepalive() && h.Proc == procKeepalivePing {
				c.wmu.Lock()
				err := writeAll(c.fd, pongPacket(), deadline)
				c.wmu.Unlock()
				if err != nil {
					c.breakAll(c.classify(err, false))
					return
				}
			}
			continue
		}
		if h.Type != typeReply && h.Type != typeReplyWithFDs {
			c.breakAll(c.classify(protocolError("unexpected message type "+strconv.Itoa(int(h.Type))), true))
			return
		}
		c.mu.Lock()
		w := c.pending[h.Serial]
		_, dropped := c.abandoned[h.Serial]
		c.mu.Unlock()
		if (w == nil && !dropped) || (w != nil && (h.Prog != w.prog || h.Vers != protoVersion || h.Proc != w.proc)) {
			c.breakAll(c.classify(protocolError("reply does not match the call (serial "+
				strconv.FormatUint(uint64(h.Serial), 10)+", expected "+strconv.FormatUint(uint64(own), 10)+")"), true))
			return
		}
		r := &reply{hdr: h, payload: payload}
		if h.Type == typeReplyWithFDs {
			if r.fds, r.payload, err = c.readFDs(payload, deadline); err != nil {
				c.breakAll(c.classify(err, true))
				return
			}
		}
		c.midFrame = false
		if w == nil {
			closeAll(r.fds)
			c.mu.Lock()
			delete(c.abandoned, h.Serial)
			c.mu.Unlock()
			continue
		}
		var rerr error
		switch h.Status {
		case statusOK:
		case statusError:
			closeAll(r.fds) // error replies carry none; never leak if one did
			var derr error
			if rerr, derr = decodeRemoteError(r.payload); derr != nil {
				c.breakAll(c.classify(protocolError("malformed error reply: "+derr.Error()), true))
				return
			}
			r = nil
		default:
			closeAll(r.fds)
			c.breakAll(c.classify(protocolError("unexpected reply status "+strconv.Itoa(int(h.Status))), true))
			return
		}
		c.mu.Lock()
		c.deliverLocked(h.Serial, w, r, rerr)
		if h.Serial == own {
			c.reading = false
			c.handOnLocked()
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
	}
}

// readFrame reads one whole frame with exact-length reads.
func (c *conn) readFrame(deadline time.Time) (header, []byte, error) {
	var lenWord [lenWordLen]byte
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
	buf := make([]byte, n-lenWordLen)
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
			" descriptors, more than the limit of " + strconv.Itoa(maxFDs))
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

// classify wraps a failure that breaks the connection. The daemon going
// away between frames (midFrame clear) is worth one retry on a new
// connection: no reply had started.
func (c *conn) classify(err error, midFrame bool) error {
	var ie *ioError
	if errors.As(err, &ie) && ie.peerGone() && !midFrame {
		return &callError{err: err, retry: true}
	}
	return &callError{err: err}
}

type protoErr struct{ msg string }

func (e *protoErr) Error() string { return e.msg }

func protocolError(msg string) error { return &protoErr{msg} }
