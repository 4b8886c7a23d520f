// Tests of the router against a fake daemon on a socketpair, and its fixtures.

package rpc

import (
	"encoding/binary"
	"errors"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/libvirt-lxc-go/libvirt-lxc/internal/report"
	"github.com/libvirt-lxc-go/libvirt-lxc/internal/xdr"
)

// Tests of the router (router.go) through the open-namespace call, against a
// fake daemon on the other end of a socketpair. The peer side is a blocking
// fd driven from a goroutine; procedures_test.go uses it too.

func newPair(t *testing.T) (*Conn, int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.SetNonblock(fds[0], true); err != nil {
		t.Fatal(err)
	}
	c := &Conn{fd: fds[0], pid: os.Getpid(), socket: "socketpair"}
	t.Cleanup(func() { c.Close(); unix.Close(fds[1]) })
	return c, fds[1]
}

var far = time.Now().Add(time.Hour)

// peerRead reads one frame on the blocking peer fd.
func peerRead(fd int) (header, []byte, error) {
	var l [4]byte
	if _, err := readFull(fd, l[:], far); err != nil {
		return header{}, nil, err
	}
	buf := make([]byte, binary.BigEndian.Uint32(l[:])-4)
	if _, err := readFull(fd, buf, far); err != nil {
		return header{}, nil, err
	}
	return decodeHeader(buf)
}

func peerWrite(t *testing.T, fd int, b []byte) {
	if err := writeAll(fd, b, far); err != nil {
		t.Errorf("peer write: %v", err)
	}
}

// sendFDs sends each fd alone with a 0x00 data byte, as the daemon does.
func sendFDs(t *testing.T, sock int, fds ...int) {
	for _, fd := range fds {
		if err := unix.Sendmsg(sock, []byte{0}, unix.UnixRights(fd), nil, 0); err != nil {
			t.Errorf("sendmsg: %v", err)
		}
	}
}

func replyFDs(serial uint32, n int) []byte {
	e := xdr.Encoder{}
	e.U32(uint32(n))
	return encodePacket(header{Prog: progLXC, Vers: 1, Proc: 1, Type: typeReplyWithFDs, Serial: serial}, e.Buf)
}

func ping() []byte {
	return encodePacket(header{Prog: progKeepalive, Vers: 1, Proc: procKeepalivePing, Type: typeMessage}, nil)
}

func devNulls(t *testing.T, n int) []int {
	var fds []int
	for i := 0; i < n; i++ {
		fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		fds = append(fds, fd)
	}
	t.Cleanup(func() { closeAll(fds) })
	return fds
}

// openFDs counts this process's open descriptors, to catch leaks.
func openFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

func nsReq() *NamespaceCall { return &NamespaceCall{Name: "t1", UUID: t1UUID, ID: 2741} }

// run starts the peer script and waits for it when the test ends. The
// returned channel closes when the script is done.
func run(t *testing.T, script func()) <-chan struct{} {
	done := make(chan struct{})
	go func() { defer close(done); script() }()
	t.Cleanup(func() {
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("peer script did not finish")
		}
	})
	return done
}

func TestHappyPathWithPing(t *testing.T) {
	c, peer := newPair(t)
	src := devNulls(t, 3)
	run(t, func() {
		h, payload, err := peerRead(peer)
		if err != nil {
			t.Error(err)
			return
		}
		wantArgs := encodeCall(progLXC, procLXCOpenNS, 0, nil)[4:]
		if h.Prog != progLXC || h.Proc != 1 || h.Serial != 0 || h.Type != typeCall || len(payload) != 32 {
			t.Errorf("call %+v %x (template %x)", h, payload, wantArgs)
		}
		peerWrite(t, peer, ping())
		h, _, err = peerRead(peer) // the PONG
		if err != nil || !h.isKeepalive() || h.Proc != procKeepalivePong || h.Type != typeMessage {
			t.Errorf("expected PONG, got %+v %v", h, err)
		}
		// An event for someone else, then the reply.
		peerWrite(t, peer, encodePacket(header{Prog: progRemote, Vers: 1, Proc: 315, Type: typeMessage, Serial: 1}, []byte{1, 2, 3, 4}))
		peerWrite(t, peer, replyFDs(0, 3))
		sendFDs(t, peer, src...)
	})
	fds, err := c.openNamespace(nsReq(), time.Now().Add(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll(fds)
	if len(fds) != 3 {
		t.Fatalf("got %d fds", len(fds))
	}
	for _, fd := range fds {
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err != nil || flags&unix.FD_CLOEXEC == 0 {
			t.Errorf("fd %d not close-on-exec (%v)", fd, err)
		}
	}
	if c.serial != 1 || c.broken {
		t.Errorf("serial %d broken %v", c.serial, c.broken)
	}
}

func TestErrorReplyKeepsConnection(t *testing.T) {
	c, peer := newPair(t)
	run(t, func() {
		peerRead(peer)
		pkt := errorVector(t)
		binary.BigEndian.PutUint32(pkt[20:], 0) // serial 0
		peerWrite(t, peer, pkt)
	})
	_, err := c.openNamespace(nsReq(), time.Now().Add(5*time.Second))
	var le *report.Error
	if !errors.As(err, &le) || le.Code != report.ErrNoDomain {
		t.Fatalf("got %v", err)
	}
	if c.broken {
		t.Error("an error reply must leave the connection usable")
	}
}

// Each case makes the peer misbehave; the call must fail, mark the
// connection broken and leave no received fd open.
func TestMisbehavingPeer(t *testing.T) {
	tests := []struct {
		name      string
		script    func(t *testing.T, peer int, src []int)
		wantRetry bool
		wantMsg   string
	}{
		{"truncated frame", func(t *testing.T, peer int, src []int) {
			peerRead(peer)
			peerWrite(t, peer, replyFDs(0, 1)[:20])
			unix.Shutdown(peer, unix.SHUT_WR)
		}, false, "End of file"},
		{"truncated length word", func(t *testing.T, peer int, src []int) {
			peerRead(peer)
			peerWrite(t, peer, []byte{0, 0})
			unix.Shutdown(peer, unix.SHUT_WR)
		}, false, "End of file"},
		{"closed before reply", func(t *testing.T, peer int, src []int) {
			peerRead(peer)
			unix.Shutdown(peer, unix.SHUT_WR)
		}, true, "End of file"},
		{"wrong serial", func(t *testing.T, peer int, src []int) {
			peerRead(peer)
			peerWrite(t, peer, replyFDs(7, 1))
			// The client may already have failed on the serial and closed
			// the socket (EPIPE here); the fd must not leak either way.
			unix.Sendmsg(peer, []byte{0}, unix.UnixRights(src[0]), nil, unix.MSG_NOSIGNAL)
		}, false, "does not match"},
		{"wrong proc", func(t *testing.T, peer int, src []int) {
			peerRead(peer)
			peerWrite(t, peer, encodePacket(header{Prog: progLXC, Vers: 1, Proc: 2, Type: typeReply}, nil))
		}, false, "does not match"},
		{"missing fds", func(t *testing.T, peer int, src []int) {
			peerRead(peer)
			peerWrite(t, peer, replyFDs(0, 3))
			sendFDs(t, peer, src[0], src[1])
			unix.Shutdown(peer, unix.SHUT_WR)
		}, false, "End of file"},
		{"two fds in one message", func(t *testing.T, peer int, src []int) {
			peerRead(peer)
			peerWrite(t, peer, replyFDs(0, 2))
			unix.Sendmsg(peer, []byte{0}, unix.UnixRights(src[0], src[1]), nil, 0)
		}, false, "receive a file descriptor"},
		{"fd message without fd", func(t *testing.T, peer int, src []int) {
			peerRead(peer)
			peerWrite(t, peer, replyFDs(0, 1))
			peerWrite(t, peer, []byte{0})
		}, false, "receive a file descriptor"},
		{"too many fds announced", func(t *testing.T, peer int, src []int) {
			peerRead(peer)
			peerWrite(t, peer, replyFDs(0, 33))
		}, false, "limit of 32"},
		{"oversize length", func(t *testing.T, peer int, src []int) {
			peerRead(peer)
			peerWrite(t, peer, []byte{0x02, 0x00, 0x00, 0x05})
		}, false, "exceeds the protocol maximum"},
		{"undersize length", func(t *testing.T, peer int, src []int) {
			peerRead(peer)
			peerWrite(t, peer, []byte{0, 0, 0, 27})
		}, false, "below the minimum"},
		{"trailing ret bytes", func(t *testing.T, peer int, src []int) {
			peerRead(peer)
			e := xdr.Encoder{}
			e.U32(1)
			e.U32(99)
			peerWrite(t, peer, encodePacket(header{Prog: progLXC, Vers: 1, Proc: 1, Type: typeReplyWithFDs}, e.Buf))
			sendFDs(t, peer, src[0])
		}, false, "unexpected data"},
		{"call type from the daemon", func(t *testing.T, peer int, src []int) {
			peerRead(peer)
			peerWrite(t, peer, encodePacket(header{Prog: progLXC, Vers: 1, Proc: 1, Type: typeCallWithFDs}, nil))
		}, false, "unexpected message type"},
		{"bad status", func(t *testing.T, peer int, src []int) {
			peerRead(peer)
			peerWrite(t, peer, encodePacket(header{Prog: progLXC, Vers: 1, Proc: 1, Type: typeReply, Status: 2}, nil))
		}, false, "status 2"},
		{"malformed error", func(t *testing.T, peer int, src []int) {
			peerRead(peer)
			peerWrite(t, peer, encodePacket(header{Prog: progLXC, Vers: 1, Proc: 1, Type: typeReply, Status: 1}, []byte{0, 0, 0, 1}))
		}, false, "malformed error reply"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := devNulls(t, 2)
			before := openFDs(t)
			c, peer := newPair(t)
			run(t, func() { tc.script(t, peer, src) })
			fds, err := c.openNamespace(nsReq(), time.Now().Add(5*time.Second))
			closeAll(fds)
			if err == nil {
				t.Fatal("no error")
			}
			var ce *callError
			if !errors.As(err, &ce) {
				t.Fatalf("error %T %v is not a transport/protocol failure", err, err)
			}
			if ce.retry != tc.wantRetry {
				t.Errorf("retry = %v, want %v", ce.retry, tc.wantRetry)
			}
			le := c.ToLibvirtError(err)
			if !strings.Contains(le.Error(), tc.wantMsg) {
				t.Errorf("message %q lacks %q", le.Error(), tc.wantMsg)
			}
			if !c.broken {
				t.Error("connection not marked broken")
			}
			c.Close()
			time.Sleep(10 * time.Millisecond) // let the peer script finish
			if after := openFDs(t); after != before+1 {
				t.Errorf("fd leak: %d open before (+1 peer), %d after", before, after)
			}
		})
	}
}

func TestNeverAnswers(t *testing.T) {
	c, peer := newPair(t)
	run(t, func() { peerRead(peer) })
	start := time.Now()
	_, err := c.openNamespace(nsReq(), time.Now().Add(200*time.Millisecond))
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("took %v", el)
	}
	if le := c.ToLibvirtError(err); le.Code != report.ErrTimeout || le.Domain != report.FromRPC {
		t.Errorf("got %+v", le)
	}
}

func TestEndlessPings(t *testing.T) {
	c, peer := newPair(t)
	stop := make(chan struct{})
	pongs := 0
	done := run(t, func() {
		peerRead(peer)
		for {
			select {
			case <-stop:
				return
			default:
			}
			peerWrite(t, peer, ping())
			if h, _, err := peerRead(peer); err == nil && h.Proc == procKeepalivePong {
				pongs++
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
	start := time.Now()
	_, err := c.openNamespace(nsReq(), time.Now().Add(300*time.Millisecond))
	close(stop)
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("took %v", el)
	}
	if le := c.ToLibvirtError(err); le.Code != report.ErrTimeout {
		t.Errorf("got %+v", le)
	}
	c.Close() // unblocks the peer's pending read
	<-done
	if pongs == 0 {
		t.Error("no PONG was sent")
	}
}

// A peer that is gone before we write must give EPIPE, not SIGPIPE.
func TestPeerClosedNoSIGPIPE(t *testing.T) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGPIPE)
	defer signal.Stop(sig)
	c, peer := newPair(t)
	unix.Close(peer)
	_, err := c.openNamespace(nsReq(), time.Now().Add(time.Second))
	var ce *callError
	if !errors.As(err, &ce) || !ce.retry {
		t.Fatalf("got %v, want a retryable failure", err)
	}
	select {
	case <-sig:
		t.Error("SIGPIPE was raised")
	case <-time.After(50 * time.Millisecond):
	}
}

// Each kind of transport failure has its own words, in the core's text and
// in libvirt's report.
func TestIOOpWords(t *testing.T) {
	for op, want := range map[ioOp][2]string{
		opRead:   {"reading from the daemon", "read data from"},
		opWrite:  {"writing to the daemon", "write data to"},
		opRecvFD: {"receiving a file descriptor", "receive a file descriptor from"},
	} {
		if got := [2]string{op.String(), op.libvirtVerb()}; got != want {
			t.Errorf("op %d: %q, want %q", op, got, want)
		}
	}
}
