//go:build live

package live

// A man-in-the-middle proxy in front of the test bed's daemon socket that
// rewrites replies on request: the hostile peer of hostile_peer_test.go.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

const daemonSocket = "/var/run/libvirt/libvirt-sock"

// proxy stands between a client and the real daemon and, from the LXC
// OPEN_NAMESPACE call on, misbehaves as its mode says. Everything before
// (handshake, lookups) is passed through, so that both libraries reach the
// call: libvirt's over the caller's connection, ours over its own.
type proxy struct {
	path  string
	ln    *net.UnixListener
	mode  atomic.Value // string
	mu    sync.Mutex
	conns []*proxyConn
	wg    sync.WaitGroup
	// dropped counts our library's connections closed by "idle_close".
	dropped atomic.Int32
}

type proxyConn struct {
	client, daemon *net.UnixConn
	wmu            sync.Mutex // whole frames / fd messages to the client
	once           sync.Once
	// hijacked: the proxy answers the client itself from now on, so the
	// daemon side going away must not close the client's.
	hijacked atomic.Bool
	// lxc: an LXC program call went through, so this is our library's own
	// connection, not the host's libvirt one.
	lxc atomic.Bool
}

func (c *proxyConn) close() {
	c.once.Do(func() {
		c.client.Close()
		c.daemon.Close()
	})
}

func newProxy(t *testing.T) *proxy {
	t.Helper()
	dir := "/run/lxcgo-test"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := &proxy{path: filepath.Join(dir, fmt.Sprintf("proxy-%d.sock", os.Getpid()))}
	os.Remove(p.path)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: p.path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	p.ln = ln
	p.mode.Store("pass")
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.closeAll()
		p.wg.Wait()
		os.Remove(p.path)
	})
	return p
}

func (p *proxy) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.close()
	}
	p.conns = nil
}

// setMode switches the misbehaviour; "idle_close" also drops our
// library's idle connections now, as a daemon restart does. The host's own
// libvirt connection is left alone: libvirt's client writes to it without
// MSG_NOSIGNAL, so dropping it would kill a host that keeps the default
// SIGPIPE disposition with either library, which is not what this tests.
func (p *proxy) setMode(m string) {
	p.mode.Store(m)
	if m == "idle_close" {
		p.closeLXC()
	}
}

func (p *proxy) closeLXC() {
	p.mu.Lock()
	defer p.mu.Unlock()
	kept := p.conns[:0]
	for _, c := range p.conns {
		if c.lxc.Load() {
			c.close()
			p.dropped.Add(1)
		} else {
			kept = append(kept, c)
		}
	}
	p.conns = kept
}

func (p *proxy) serve() {
	defer p.wg.Done()
	for {
		cl, err := p.ln.AcceptUnix()
		if err != nil {
			return
		}
		d, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: daemonSocket, Net: "unix"})
		if err != nil {
			cl.Close()
			continue
		}
		c := &proxyConn{client: cl, daemon: d}
		p.mu.Lock()
		p.conns = append(p.conns, c)
		p.mu.Unlock()
		p.wg.Add(2)
		go p.fromClient(c)
		go p.fromDaemon(c)
	}
}

// The proxy's own view of libvirt's framing (see internal/rpc): a
// length word, then program, version, procedure, type, serial, status.
const (
	progLXC       = 0x00068000
	progKeepalive = 0x6b656570
	procLXCOpenNS = 1
	frameHeader   = 28 // the length word and the six header words
)

func frame(prog, proc, typ, serial, status uint32, payload []byte) []byte {
	b := make([]byte, frameHeader, frameHeader+len(payload))
	binary.BigEndian.PutUint32(b[0:], uint32(frameHeader+len(payload)))
	for i, v := range []uint32{prog, 1, proc, typ, serial, status} {
		binary.BigEndian.PutUint32(b[4+4*i:], v)
	}
	return append(b, payload...)
}

func (p *proxy) fromClient(c *proxyConn) {
	defer p.wg.Done()
	defer c.close()
	for {
		var lw [4]byte
		if _, err := io.ReadFull(c.client, lw[:]); err != nil {
			return
		}
		n := binary.BigEndian.Uint32(lw[:])
		if n < frameHeader || n > 1<<20 {
			return
		}
		rest := make([]byte, n-4)
		if _, err := io.ReadFull(c.client, rest); err != nil {
			return
		}
		prog := binary.BigEndian.Uint32(rest[0:])
		proc := binary.BigEndian.Uint32(rest[8:])
		serial := binary.BigEndian.Uint32(rest[16:])
		mode := p.mode.Load().(string)
		if prog == progLXC {
			c.lxc.Store(true)
		}
		if prog == progLXC && proc == procLXCOpenNS && mode != "pass" && mode != "idle_close" {
			c.hijacked.Store(true)
			c.daemon.Close() // the daemon side is done with
			p.misbehave(c, mode, serial)
			return
		}
		if _, err := c.daemon.Write(append(lw[:], rest...)); err != nil {
			return
		}
	}
}

// fromDaemon forwards bytes and fds. A recvmsg that returns fds stops after
// the 1-byte message carrying them, which must stay a message of its own:
// a reader that takes it with plain data loses the fd.
func (p *proxy) fromDaemon(c *proxyConn) {
	defer p.wg.Done()
	defer func() {
		if !c.hijacked.Load() {
			c.close()
		}
	}()
	buf := make([]byte, 65536)
	oob := make([]byte, 4096)
	for {
		n, oobn, _, _, err := c.daemon.ReadMsgUnix(buf, oob)
		if err != nil || n == 0 {
			return
		}
		var fds []int
		if oobn > 0 {
			msgs, _ := unix.ParseSocketControlMessage(oob[:oobn])
			for _, m := range msgs {
				if r, err := unix.ParseUnixRights(&m); err == nil {
					fds = append(fds, r...)
				}
			}
		}
		c.wmu.Lock()
		if len(fds) == 0 {
			_, err = c.client.Write(buf[:n])
		} else {
			if n > 1 {
				_, err = c.client.Write(buf[:n-1])
			}
			if err == nil {
				_, _, err = c.client.WriteMsgUnix(buf[n-1:n], unix.UnixRights(fds...), nil)
			}
			for _, fd := range fds {
				unix.Close(fd)
			}
		}
		c.wmu.Unlock()
		if err != nil {
			return
		}
	}
}

// sendFds sends one 1-byte message carrying n fds of /dev/null (none when n
// is 0), as the daemon sends each namespace fd.
func sendFds(c *proxyConn, n int) {
	var fds []int
	for i := 0; i < n; i++ {
		if fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0); err == nil {
			fds = append(fds, fd)
		}
	}
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	c.client.WriteMsgUnix([]byte{0}, oob, nil)
	for _, fd := range fds {
		unix.Close(fd)
	}
}

func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// misbehave answers the OPEN_NAMESPACE call of serial as mode says. Modes
// that keep the connection open leave it to the peer, or to the end of the
// test.
func (p *proxy) misbehave(c *proxyConn, mode string, serial uint32) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	ping := frame(progKeepalive, 1, 2, 0, 0, nil)
	keep := func() { io.Copy(io.Discard, c.client) } // until the client gives up
	switch mode {
	case "close": // closes mid-call
	case "truncated": // a frame cut short, then EOF
		c.client.Write(frame(progLXC, procLXCOpenNS, 1, serial, 0, make([]byte, 12))[:14])
	case "overlimit": // a length word over the protocol maximum
		b := frame(progLXC, procLXCOpenNS, 1, serial, 0, nil)
		binary.BigEndian.PutUint32(b, 0x7fffffff)
		c.client.Write(b)
		keep()
	case "underlimit": // a length word below the header size
		b := frame(progLXC, procLXCOpenNS, 1, serial, 0, nil)
		binary.BigEndian.PutUint32(b, 8)
		c.client.Write(b)
		keep()
	case "wrong_serial":
		c.client.Write(frame(progLXC, procLXCOpenNS, 1, serial+7, 0, nil))
		keep()
	case "extra_fds": // announces 1 fd, sends 3 in its message
		c.client.Write(frame(progLXC, procLXCOpenNS, 5, serial, 0, u32(1)))
		sendFds(c, 3)
		keep()
	case "missing_fds": // announces 3, sends 1, closes
		c.client.Write(frame(progLXC, procLXCOpenNS, 5, serial, 0, u32(3)))
		sendFds(c, 1)
	case "fd_byte_without_fd": // the fd's byte comes without an fd
		c.client.Write(frame(progLXC, procLXCOpenNS, 5, serial, 0, u32(1)))
		sendFds(c, 0)
		keep()
	case "too_many_fds": // announces more than the protocol allows
		c.client.Write(frame(progLXC, procLXCOpenNS, 5, serial, 0, u32(1000)))
		keep()
	case "pings_close": // PINGs then close: the PONGs hit a closed socket
		c.client.Write(bytes.Repeat(ping, 64))
	case "ping_flood": // PINGs forever, never the reply
		for {
			if _, err := c.client.Write(ping); err != nil {
				return
			}
			c.wmu.Unlock()
			time.Sleep(20 * time.Millisecond)
			c.wmu.Lock()
		}
	case "silent": // never answers
		keep()
	}
}
