// Tests of the router with several calls in flight on one connection.

package rpc

import (
	"errors"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/libvirt-lxc-go/libvirt-lxc/internal/report"
	"github.com/libvirt-lxc-go/libvirt-lxc/internal/xdr"
)

// Tests of the router with several calls in flight on one connection, as
// concurrent callers share it (fixtures in router_test.go).

// rdevOf identifies which file an fd refers to.
func rdevOf(t *testing.T, fd int) uint64 {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		t.Fatal(err)
	}
	return st.Rdev
}

func openDev(t *testing.T, path string) int {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

type callResult struct {
	fds []int
	err error
}

// startCall runs one openNamespace in a goroutine.
func startCall(c *Conn, timeout time.Duration) <-chan callResult {
	ch := make(chan callResult, 1)
	go func() {
		fds, err := c.openNamespace(nsReq(), time.Now().Add(timeout))
		ch <- callResult{fds, err}
	}()
	return ch
}

// twoInFlight starts two calls on c: the first alone, so that it reads for
// both, then the second once the peer has read the first. The peer reads
// both CALLs (serials 0 and 1, in that order) and then runs answer.
func twoInFlight(t *testing.T, c *Conn, peer int, first, second time.Duration, answer func()) (<-chan callResult, <-chan callResult) {
	read := make(chan struct{}, 2)
	run(t, func() {
		for i := uint32(0); i < 2; i++ {
			h, _, err := peerRead(peer)
			if err != nil {
				t.Error(err)
				return
			}
			if h.Serial != i {
				t.Errorf("call %d has serial %d", i, h.Serial)
			}
			read <- struct{}{}
		}
		answer()
	})
	a := startCall(c, first)
	<-read
	b := startCall(c, second)
	<-read
	return a, b
}

// Replies come back in another order than the calls went out; each reply's
// fds go to the call with its serial.
func TestRepliesOutOfOrder(t *testing.T) {
	before := openFDs(t)
	null, zero := openDev(t, "/dev/null"), openDev(t, "/dev/zero")
	c, peer := newPair(t)
	first, second := twoInFlight(t, c, peer, 5*time.Second, 5*time.Second, func() {
		// Serial 1 first, with one fd, then serial 0 with two.
		peerWrite(t, peer, replyFDs(1, 1))
		sendFDs(t, peer, zero)
		peerWrite(t, peer, replyFDs(0, 2))
		sendFDs(t, peer, null, null)
	})
	a, b := <-first, <-second
	if a.err != nil || b.err != nil {
		t.Fatalf("errors %v, %v", a.err, b.err)
	}
	defer closeAll(a.fds)
	defer closeAll(b.fds)
	if len(a.fds) != 2 || rdevOf(t, a.fds[0]) != rdevOf(t, null) || rdevOf(t, a.fds[1]) != rdevOf(t, null) {
		t.Errorf("serial 0 got %v, want two /dev/null", a.fds)
	}
	if len(b.fds) != 1 || rdevOf(t, b.fds[0]) != rdevOf(t, zero) {
		t.Errorf("serial 1 got %v, want one /dev/zero", b.fds)
	}
	if c.broken {
		t.Error("connection marked broken")
	}
	closeAll(a.fds)
	closeAll(b.fds)
	a.fds, b.fds = nil, nil
	c.Close()
	time.Sleep(10 * time.Millisecond)
	if after := openFDs(t); after != before+3 { // peer, null, zero
		t.Errorf("fd leak: %d before (+3), %d after", before, after)
	}
}

// A caller that gives up leaves the connection usable: its late reply is
// read and dropped, fds closed, and the other call gets its own, whether
// the one that gave up was reading for both or waiting.
func TestCallerGivesUp(t *testing.T) {
	for _, readerGivesUp := range []bool{true, false} {
		name := "waiter gives up"
		if readerGivesUp {
			name = "reader gives up"
		}
		t.Run(name, func(t *testing.T) {
			before := openFDs(t)
			src := devNulls(t, 3)
			c, peer := newPair(t)
			release := make(chan struct{})
			short, long := 100*time.Millisecond, 5*time.Second
			if !readerGivesUp {
				short, long = long, short
			}
			// The first call is alone, so it reads for both.
			first, second := twoInFlight(t, c, peer, short, long, func() {
				<-release
				// The late reply to the call that gave up, then the other.
				late, other := uint32(0), uint32(1)
				if !readerGivesUp {
					late, other = 1, 0
				}
				peerWrite(t, peer, replyFDs(late, 2))
				sendFDs(t, peer, src[0], src[1])
				peerWrite(t, peer, replyFDs(other, 1))
				sendFDs(t, peer, src[2])
			})
			quitter, stayer := first, second
			if !readerGivesUp {
				quitter, stayer = second, first
			}
			q := <-quitter
			if le := c.ToLibvirtError(q.err); q.fds != nil || le.Code != report.ErrTimeout {
				t.Errorf("the call that gave up got %v %+v", q.fds, le)
			}
			close(release)
			s := <-stayer
			if s.err != nil || len(s.fds) != 1 {
				t.Fatalf("the other call got %v %v", s.fds, s.err)
			}
			closeAll(s.fds)
			if c.broken {
				t.Error("connection marked broken")
			}
			// And the connection still works.
			again := startCall(c, 5*time.Second)
			run(t, func() {
				h, _, _ := peerRead(peer)
				peerWrite(t, peer, replyFDs(h.Serial, 0))
			})
			if r := <-again; r.err != nil || len(r.fds) != 0 {
				t.Errorf("call after: %v %v", r.fds, r.err)
			}
			c.Close()
			time.Sleep(10 * time.Millisecond)
			if after := openFDs(t); after != before+3+1 { // src, peer
				t.Errorf("fd leak: %d before (+4), %d after", before, after)
			}
		})
	}
}

// A broken stream fails every call in flight, and none keeps an fd.
func TestBreakFailsAllPending(t *testing.T) {
	before := openFDs(t)
	src := devNulls(t, 1)
	c, peer := newPair(t)
	first, second := twoInFlight(t, c, peer, 5*time.Second, 5*time.Second, func() {
		peerWrite(t, peer, replyFDs(1, 2))
		sendFDs(t, peer, src[0])
		unix.Shutdown(peer, unix.SHUT_WR)
	})
	for i, ch := range []<-chan callResult{first, second} {
		r := <-ch
		var ce *callError
		if r.fds != nil || !errors.As(r.err, &ce) || ce.retry {
			t.Errorf("call %d: %v %v (want a failure, no retry)", i, r.fds, r.err)
		}
	}
	if !c.broken {
		t.Error("connection not marked broken")
	}
	// A call started afterwards fails at once, without writing.
	if _, err := c.openNamespace(nsReq(), time.Now().Add(time.Second)); err == nil {
		t.Error("a call on a broken connection succeeded")
	}
	c.Close()
	time.Sleep(10 * time.Millisecond)
	if after := openFDs(t); after != before+2 { // src, peer
		t.Errorf("fd leak: %d before (+2), %d after", before, after)
	}
}

// A call that finds the stream broken while another one is reading for it
// must not leave that one waiting until its deadline.
func TestBreakWakesReader(t *testing.T) {
	src := devNulls(t, 1)
	c, peer := newPair(t)
	start := time.Now()
	first, second := twoInFlight(t, c, peer, 10*time.Second, 10*time.Second, func() {
		// A reply to the second call with data after it: the second
		// caller breaks the connection; the first one's reply never comes.
		e := xdr.Encoder{}
		e.U32(1)
		e.U32(99)
		peerWrite(t, peer, encodePacket(header{Prog: progLXC, Vers: 1, Proc: 1, Type: typeReplyWithFDs, Serial: 1}, e.Buf))
		sendFDs(t, peer, src[0])
	})
	for i, ch := range []<-chan callResult{first, second} {
		if r := <-ch; r.err == nil || r.fds != nil {
			t.Errorf("call %d: %v %v", i, r.fds, r.err)
		}
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("took %v: the reading call waited for its deadline", el)
	}
}

// Many calls in flight: one caller reads for all and hands each reply to
// the thread whose serial it carries, which wakes at once (not at its
// deadline). Replies come back in reverse order, call i getting i+1 fds.
func TestReaderHandsRepliesOn(t *testing.T) {
	const calls = 8
	src := devNulls(t, 1)
	c, peer := newPair(t)
	serials := make(chan uint32, calls)
	run(t, func() {
		for i := 0; i < calls; i++ {
			h, _, err := peerRead(peer)
			if err != nil {
				t.Error(err)
				return
			}
			serials <- h.Serial
		}
		for s := uint32(calls); s > 0; s-- {
			peerWrite(t, peer, replyFDs(s-1, int(s)))
			for i := uint32(0); i < s; i++ {
				sendFDs(t, peer, src[0])
			}
		}
	})
	// Each call starts once the previous one is on the wire, so that
	// serial i is call i.
	start := time.Now()
	results := make([]<-chan callResult, calls)
	for i := range results {
		results[i] = startCall(c, time.Minute)
		if s := <-serials; s != uint32(i) {
			t.Fatalf("call %d went out with serial %d", i, s)
		}
	}
	for i, ch := range results {
		select {
		case r := <-ch:
			if r.err != nil || len(r.fds) != i+1 {
				t.Errorf("call %d got %d fds, %v; want %d", i, len(r.fds), r.err, i+1)
			}
			closeAll(r.fds)
		case <-time.After(10 * time.Second):
			t.Fatalf("call %d was not handed its reply", i)
		}
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("took %v", el)
	}
	if c.broken || len(c.pending) != 0 || c.reading {
		t.Errorf("after: broken %v, %d pending, reading %v", c.broken, len(c.pending), c.reading)
	}
}

// A PING that comes while two calls wait is answered by whichever of them
// reads, before any reply: the daemon drops a client that stays silent.
func TestKeepaliveWhileCallsWait(t *testing.T) {
	src := devNulls(t, 2)
	c, peer := newPair(t)
	first, second := twoInFlight(t, c, peer, 5*time.Second, 5*time.Second, func() {
		peerWrite(t, peer, ping())
		h, _, err := peerRead(peer)
		if err != nil || !h.isKeepalive() || h.Proc != procKeepalivePong {
			t.Errorf("expected a PONG, got %+v %v", h, err)
		}
		peerWrite(t, peer, replyFDs(1, 1))
		sendFDs(t, peer, src[1])
		peerWrite(t, peer, replyFDs(0, 1))
		sendFDs(t, peer, src[0])
	})
	for i, ch := range []<-chan callResult{first, second} {
		r := <-ch
		if r.err != nil || len(r.fds) != 1 {
			t.Errorf("call %d: %v %v", i, r.fds, r.err)
		}
		closeAll(r.fds)
	}
}
