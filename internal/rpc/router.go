// The router: calls in flight on one connection, matched to their replies
// by serial, with keepalive answered on the way (libvirt's client does the
// same in src/rpc/virnetclient.c). Procedures (procedures.go) go through
// call; the socket's bytes and fds through fdpass.go.

package rpc

import (
	"encoding/binary"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/libvirt-lxc-go/libvirt-lxc/internal/report"
	"github.com/libvirt-lxc-go/libvirt-lxc/internal/xdr"
)

// Conn is one connection to a daemon, shared by concurrent callers as
// libvirt's client shares its one connection: each caller writes its CALL
// whole under wmu, and one of the waiting callers at a time reads for all
// of them, handing each reply (and the fds that follow it) to the caller
// whose serial it carries. When the reader has its own reply it passes the
// reading on to another waiting caller.
//
// Every caller is a thread of the core process (a cgo callback), so each
// call is served start to end by its own thread with blocking system calls:
// alone, it writes and reads for itself and no other thread wakes; with
// several in flight, a waiter sleeps on a futex of its own and the reader
// wakes exactly the thread whose reply it read (virnetclient.c does the same
// with its condition variables). No channel, timer or goroutine stands
// between a request and its reply: each of those costs a wake-up of another
// thread of the Go runtime. Buffers and waiters are reused, so a warm call
// allocates nothing and never brings on a garbage collection.
type Conn struct {
	fd     int
	pid    int    // process that opened it; a forked child must not use it
	peer   int    // the daemon end's pid (SO_PEERCRED), -1 if unknown
	socket string // for messages

	wmu sync.Mutex // one frame at a time on the wire

	mu        sync.Mutex
	serial    uint32              // next call serial; the real client starts at 0
	pending   map[uint32]*waiter  // calls sent and not yet answered
	abandoned map[uint32]struct{} // calls whose caller gave up; their replies are dropped
	free      []*waiter           // waiters of finished calls, for the next ones
	reading   bool                // a caller is reading for everyone
	active    int                 // callers inside call()
	retired   bool                // close the fd once no caller is inside
	// midFrame is set once any byte of a frame has been read and cleared
	// when the frame is consumed (reader only). An EOF seen while it is
	// clear came before any byte of a pending reply.
	midFrame bool
	broken   bool  // the stream is out of step; never reuse
	brokeBy  error // what broke it, for callers that come later

	// The reader's own (whoever set reading): the frame being read and
	// the fds that came with it, until they are handed to their waiter.
	rbuf []byte
	rfds []int
	oob  [rightsSpace]byte
}

// keptBuf is the largest buffer kept for reuse: a huge frame (up to
// maxLen) is read into one of its own, not kept for the life of the
// connection.
const keptBuf = 64 << 10

// maxFreeWaiters bounds the waiters kept for reuse: as many as calls ever
// in flight at once, up to this.
const maxFreeWaiters = 64

// waiter is one call: its CALL frame, and its reply once delivered.
type waiter struct {
	serial uint32
	prog   uint32
	proc   int32
	// wake is the futex word the call sleeps on while another caller
	// reads: 0 while asleep, 1 when it must look again (its reply is in,
	// or the reading is its turn). Set under conn.mu.
	wake  uint32
	done  bool
	r     reply
	err   error
	frame []byte        // the CALL: header (filled in by call), then the args
	pbuf  []byte        // storage of r.payload
	fdbuf []int         // storage of r.fds
	log   report.Logger // the call's records, and those of what it reads
}

// newCall takes a waiter for a call on c, with room for the frame's
// header; the caller appends the call's arguments with args(). log gets
// the records of the call (nil: none).
func (c *Conn) newCall(log report.Logger) *waiter {
	c.mu.Lock()
	var w *waiter
	if n := len(c.free); n > 0 {
		w = c.free[n-1]
		c.free = c.free[:n-1]
	}
	c.mu.Unlock()
	if w == nil {
		w = &waiter{}
	}
	w.frame = append(w.frame[:0], make([]byte, minLen)...)
	w.log = log
	return w
}

// args is the encoder for the call's arguments; store its result with
// setArgs.
func (w *waiter) args() xdr.Encoder { return xdr.Encoder{Buf: w.frame} }

func (w *waiter) setArgs(e xdr.Encoder) { w.frame = e.Buf }

// release gives back a waiter whose call has returned and whose reply the
// caller no longer reads (its fds are the caller's by now).
func (c *Conn) release(w *waiter) {
	w.r, w.err, w.log = reply{}, nil, nil
	if cap(w.pbuf) > keptBuf {
		w.pbuf = nil
	}
	if cap(w.frame) > keptBuf {
		w.frame = nil
	}
	c.mu.Lock()
	if len(c.free) < maxFreeWaiters {
		c.free = append(c.free, w)
	}
	c.mu.Unlock()
}

// Close closes the fd now if no caller is inside, or when the last one
// leaves; the connection is unusable either way. Closing under a caller
// would let the fd number be reused under its feet.
func (c *Conn) Close() {
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

func (c *Conn) closeIfIdleLocked() {
	if c.retired && c.active == 0 && c.fd >= 0 {
		unix.Close(c.fd)
		c.fd = -1
	}
}

// Usable says whether a new call may be started on c by process pid.
func (c *Conn) Usable(pid int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.broken && !c.retired && c.pid == pid
}

// Socket is the path the connection was dialed to, for messages.
func (c *Conn) Socket() string { return c.socket }

// FD is the connection's socket fd, for the log.
func (c *Conn) FD() int { return c.fd }

// Retryable says that err, from a call on a connection that was already
// open, means the daemon went away before any reply byte came back: the
// call may be made once more on a new connection.
func Retryable(err error) bool {
	var ce *callError
	return errors.As(err, &ce) && ce.retry
}

// callError wraps a failure of call() that left no usable reply.
// retry says the daemon went away before any reply byte came back.
type callError struct {
	err   error
	retry bool
}

func (e *callError) Error() string { return e.err.Error() }
func (e *callError) Unwrap() error { return e.err }

// call sends w's CALL and waits for its reply, in w.r. On success the
// reply's fds are the caller's. A daemon error reply comes back as
// *report.Error with the stream still in step; any other failure marks the
// connection broken and fails every call pending on it.
func (c *Conn) call(w *waiter, prog uint32, proc int32, deadline time.Time) error {
	serial, err := c.register(w, prog, proc)
	if err != nil {
		return err
	}
	defer c.leave()
	h := header{Prog: prog, Vers: protoVersion, Proc: proc, Type: typeCall, Serial: serial, Status: statusOK}
	putHeader(w.frame, h)
	logMessage(w.log, "sent", h, len(w.frame), 0)
	c.wmu.Lock()
	err = writeAll(c.fd, w.frame, deadline)
	c.wmu.Unlock()
	if err != nil {
		// A partly written frame leaves the stream out of step.
		c.breakAll(c.classify(err, false))
	}
	return c.wait(w, serial, deadline)
}

// register gives w the next serial and makes it pending; the caller is
// inside the connection until leave.
func (c *Conn) register(w *waiter, prog uint32, proc int32) (uint32, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken {
		return 0, c.brokeBy
	}
	serial := c.serial
	c.serial++
	w.serial, w.prog, w.proc = serial, prog, proc
	w.done, w.r, w.err = false, reply{}, nil
	if c.pending == nil {
		c.pending = make(map[uint32]*waiter)
	}
	c.pending[serial] = w
	c.active++
	return serial, nil
}

// leave ends a call's stay inside the connection, closing it if it was
// retired meanwhile and this was the last caller.
func (c *Conn) leave() {
	c.mu.Lock()
	c.active--
	c.closeIfIdleLocked()
	c.mu.Unlock()
}

// wait waits for w's reply: reading for every caller when nobody does,
// else asleep on w's futex until poked or the deadline.
func (c *Conn) wait(w *waiter, serial uint32, deadline time.Time) error {
	for {
		c.mu.Lock()
		if w.done {
			c.mu.Unlock()
			return w.err
		}
		if !c.reading {
			c.reading = true
			c.mu.Unlock()
			c.readFor(w, deadline)
			continue
		}
		// Cleared under mu: a poke from now on is seen by futexWait.
		atomic.StoreUint32(&w.wake, 0)
		c.mu.Unlock()
		if left := time.Until(deadline); left > 0 {
			futexWait(&w.wake, 0, left)
			continue
		}
		c.mu.Lock()
		if !w.done {
			c.abandonLocked(serial)
			c.mu.Unlock()
			return &callError{err: &ioError{op: opRead, timeout: true}}
		}
		c.mu.Unlock()
	}
}

// abandonLocked forgets a call whose caller stops waiting: its reply, if it
// ever comes, is read and dropped (fds closed). Another waiter takes over
// the reading if needed.
func (c *Conn) abandonLocked(serial uint32) {
	delete(c.pending, serial)
	if c.abandoned == nil {
		c.abandoned = make(map[uint32]struct{})
	}
	c.abandoned[serial] = struct{}{}
	c.handOnLocked()
}

// handOnLocked wakes one pending caller to read for the others when nobody
// does.
func (c *Conn) handOnLocked() {
	if c.reading {
		return
	}
	for _, w := range c.pending {
		w.poke()
		return
	}
}

// deliverLocked hands a finished call its result. The payload and fds are
// copied into the waiter's own storage: the reader's buffers are reused for
// the next frame.
func (c *Conn) deliverLocked(w *waiter, r *reply, err error) {
	delete(c.pending, w.serial)
	if r != nil {
		w.pbuf = append(w.pbuf[:0], r.payload...)
		w.fdbuf = append(w.fdbuf[:0], r.fds...)
		w.r = reply{hdr: r.hdr, payload: w.pbuf, fds: w.fdbuf}
	}
	w.err, w.done = err, true
	w.poke()
}

// poke tells w to look again; a wake-up already pending says the same.
// Called under conn.mu.
func (w *waiter) poke() {
	if atomic.SwapUint32(&w.wake, 1) == 0 {
		futexWake(&w.wake)
	}
}

// breakAll marks the connection broken and fails every pending call with
// err: the stream is out of step, or the daemon does not speak the protocol
// we expect.
func (c *Conn) breakAll(err error) {
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
	for _, w := range c.pending {
		c.deliverLocked(w, nil, err)
	}
	c.reading = false
}

// readFor reads frames for every pending call until own is answered, the
// connection breaks, or own's deadline passes. It is called by the one
// caller that set c.reading, and clears it.
func (c *Conn) readFor(own *waiter, deadline time.Time) {
	for {
		h, payload, err := c.readFrame(deadline)
		if err != nil {
			c.readFailed(own, err)
			return
		}
		if h.Type == typeMessage || h.Type == typeStream || h.Type == typeStreamHole {
			if !c.answerMessage(own, h, payload, deadline) {
				return
			}
			continue
		}
		if h.Type != typeReply && h.Type != typeReplyWithFDs {
			c.breakAll(c.classify(protocolError("unexpected message type "+strconv.Itoa(int(h.Type))), true))
			return
		}
		if c.takeReply(own, h, payload, deadline) {
			return
		}
	}
}

// readFailed ends own's reading on a failed frame read: a timeout with
// nothing half read gives up own alone (the others may go on reading);
// anything else breaks the connection.
func (c *Conn) readFailed(own *waiter, err error) {
	var ie *ioError
	if errors.As(err, &ie) && ie.timeout && !c.midFrame {
		c.mu.Lock()
		c.reading = false
		if c.pending[own.serial] == own {
			c.abandonLocked(own.serial)
			own.err, own.done = &callError{err: err}, true
		}
		c.mu.Unlock()
		return
	}
	c.breakAll(c.classify(err, c.midFrame))
}

// answerMessage handles a keepalive, event or stream frame where a reply
// is expected: a PING is answered with a PONG, the rest dropped. false
// when the connection broke.
func (c *Conn) answerMessage(own *waiter, h header, payload []byte, deadline time.Time) bool {
	c.midFrame = false
	logMessage(own.log, "received", h, minLen+len(payload), 0)
	if !h.isKeepalive() || h.Proc != procKeepalivePing {
		return true
	}
	own.log.Printf("keepalive PING from the daemon: answered with PONG")
	c.wmu.Lock()
	err := writeAll(c.fd, pong, deadline)
	c.wmu.Unlock()
	if err != nil {
		c.breakAll(c.classify(err, false))
		return false
	}
	return true
}

// takeReply reads the rest of a reply (its fds) and hands it to its
// waiter, or drops it when its caller gave up. true when the reading is
// over for own: its own reply is in, or the connection broke.
func (c *Conn) takeReply(own *waiter, h header, payload []byte, deadline time.Time) bool {
	// The waiter and what it called, read under mu: once its caller
	// gives up, a waiter is reused for another call.
	c.mu.Lock()
	w := c.pending[h.Serial]
	var wprog uint32
	var wproc int32
	if w != nil {
		wprog, wproc = w.prog, w.proc
	}
	_, dropped := c.abandoned[h.Serial]
	c.mu.Unlock()
	if (w == nil && !dropped) || (w != nil && (h.Prog != wprog || h.Vers != protoVersion || h.Proc != wproc)) {
		c.breakAll(c.classify(protocolError("reply does not match the call (serial "+
			strconv.FormatUint(uint64(h.Serial), 10)+", expected "+strconv.FormatUint(uint64(own.serial), 10)+")"), true))
		return true
	}
	r := reply{hdr: h, payload: payload}
	if h.Type == typeReplyWithFDs {
		var err error
		if r.fds, r.payload, err = c.readFDs(payload, deadline); err != nil {
			c.breakAll(c.classify(err, true))
			return true
		}
	}
	logMessage(own.log, "received", h, minLen+len(payload), len(r.fds))
	c.midFrame = false
	var rerr error
	if w != nil {
		var ok bool
		if rerr, ok = c.replyStatus(&r); !ok {
			return true
		}
	}
	return c.deliver(own, w, &r, rerr)
}

// replyStatus turns an error reply into its *report.Error (and closes any
// fds it carried). false when the reply is malformed: the connection is
// broken then.
func (c *Conn) replyStatus(r *reply) (error, bool) {
	switch r.hdr.Status {
	case statusOK:
		return nil, true
	case statusError:
		closeAll(r.fds) // error replies carry none; never leak if one did
		r.fds = nil
		rerr, derr := report.DecodeRemoteError(r.payload)
		if derr != nil {
			c.breakAll(c.classify(protocolError("malformed error reply: "+derr.Error()), true))
			return nil, false
		}
		return rerr, true
	}
	closeAll(r.fds)
	c.breakAll(c.classify(protocolError("unexpected reply status "+strconv.Itoa(int(r.hdr.Status))), true))
	return nil, false
}

// deliver hands reply r (or rerr) to w, unless w's caller gave up
// meanwhile: then the reply is dropped, fds closed. true when w is own:
// the reading passes on to another caller.
func (c *Conn) deliver(own, w *waiter, r *reply, rerr error) bool {
	c.mu.Lock()
	if w == nil || c.pending[r.hdr.Serial] != w {
		// Its caller gave up meanwhile (or had before): drop it.
		c.mu.Unlock()
		closeAll(r.fds)
		c.mu.Lock()
		delete(c.abandoned, r.hdr.Serial)
		c.mu.Unlock()
		return false
	}
	if rerr != nil {
		c.deliverLocked(w, nil, rerr)
	} else {
		c.deliverLocked(w, r, nil)
	}
	if w == own {
		c.reading = false
		c.handOnLocked()
		c.mu.Unlock()
		return true
	}
	c.mu.Unlock()
	return false
}

// readFrame reads one whole frame with exact-length reads.
func (c *Conn) readFrame(deadline time.Time) (header, []byte, error) {
	var lenWord [lenWordLen]byte
	// The reply is not in yet when its caller starts reading: wait for
	// it first instead of trying a read that would fail.
	if err := waitFD(c.fd, unix.POLLIN, deadline, opRead); err != nil {
		return header{}, nil, err
	}
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
	buf := c.rbuf
	if int(n-lenWordLen) > cap(buf) {
		buf = make([]byte, n-lenWordLen)
		if cap(buf) <= keptBuf {
			c.rbuf = buf
		}
	}
	buf = buf[:n-lenWordLen]
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
func (c *Conn) readFDs(payload []byte, deadline time.Time) ([]int, []byte, error) {
	d := xdr.Decoder{Buf: payload}
	n := d.U32()
	if d.Err != nil {
		return nil, nil, protocolError("reply with descriptors lacks the descriptor count")
	}
	if n > MaxFDs {
		return nil, nil, protocolError("the daemon announced " + strconv.FormatUint(uint64(n), 10) +
			" descriptors, more than the limit of " + strconv.Itoa(MaxFDs))
	}
	fds := c.rfds[:0]
	for i := uint32(0); i < n; i++ {
		fd, err := recvFD(c.fd, c.oob[:], deadline)
		if err != nil {
			closeAll(fds)
			return nil, nil, err
		}
		fds = append(fds, fd)
	}
	c.rfds = fds
	return fds, d.Buf, nil
}

// classify wraps a failure that breaks the connection. The daemon going
// away between frames (midFrame clear) is worth one retry on a new
// connection: no reply had started.
func (c *Conn) classify(err error, midFrame bool) error {
	var ie *ioError
	if errors.As(err, &ie) && ie.peerGone() && !midFrame {
		return &callError{err: err, retry: true}
	}
	return &callError{err: err}
}

type protoErr struct{ msg string }

func (e *protoErr) Error() string { return e.msg }

func protocolError(msg string) error { return &protoErr{msg} }

// ToLibvirtError turns a transport or protocol failure into the libvirt
// error a caller sees.
func (c *Conn) ToLibvirtError(err error) *report.Error {
	var le *report.Error
	if errors.As(err, &le) {
		return le
	}
	var ie *ioError
	if errors.As(err, &ie) {
		switch {
		case ie.timeout:
			return report.NewError(report.ErrTimeout, report.FromRPC, "no reply from the daemon on '"+c.socket+"' in time; is it hung?")
		case ie.eof:
			return report.SystemError(report.FromRPC, unix.EIO, "End of file while reading data")
		}
		return report.SystemError(report.FromRPC, ie.errno, "Cannot "+ie.op.libvirtVerb()+" '"+c.socket+"'")
	}
	if errors.Is(err, errBadFDMessage) {
		return report.SystemError(report.FromRPC, unix.EACCES, "Failed to receive a file descriptor from '"+c.socket+"'")
	}
	return report.NewError(report.ErrRPC, report.FromRPC, "protocol error talking to '"+c.socket+"': "+err.Error())
}

// libvirtVerb is op as libvirt's client words it in "Cannot <verb>
// '<socket>'" (src/rpc/virnetsocket.c).
func (op ioOp) libvirtVerb() string {
	switch op {
	case opWrite:
		return "write data to"
	case opRecvFD:
		return "receive a file descriptor from"
	}
	return "read data from"
}
