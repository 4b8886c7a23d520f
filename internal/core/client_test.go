// Tests of the Client against a fake daemon in a child process.

package core

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/libvirt-lxc-go/libvirt-lxc/internal/report"
)

// A fake daemon in a child process (so SO_PEERCRED sees another pid). It
// speaks just enough protocol: AUTH_LIST -> [none], CONNECT_OPEN -> ok,
// OPEN_NAMESPACE -> two fds. It logs every frame to a file.

func TestFakeDaemonHelper(t *testing.T) {
	sock := os.Getenv("LXCGO_FAKE_DAEMON")
	if sock == "" {
		t.Skip("helper process only")
	}
	logf, _ := os.OpenFile(os.Getenv("LXCGO_FAKE_LOG"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	var logMu sync.Mutex
	logLine := func(s string) {
		logMu.Lock()
		logf.WriteString(s + "\n")
		logMu.Unlock()
	}
	drop := os.Getenv("LXCGO_FAKE_DROP") != ""
	// Bound under another name and renamed once listening: the test
	// takes the socket's file as "ready", and a connect between bind and
	// listen would be refused.
	lfd, _ := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err := unix.Bind(lfd, &unix.SockaddrUnix{Name: sock + ".new"}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(lfd, 16); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(sock+".new", sock); err != nil {
		t.Fatal(err)
	}
	null, _ := unix.Open("/dev/null", unix.O_RDONLY, 0)
	for n := 0; ; n++ {
		fd, _, err := unix.Accept(lfd)
		if err != nil {
			continue
		}
		go func(n, fd int) {
			defer unix.Close(fd)
			for {
				h, err := fakeReadCall(fd)
				if err != nil {
					logLine(fmt.Sprintf("conn %d closed", n))
					return
				}
				logLine(fmt.Sprintf("conn %d prog %x proc %d serial %d", n, h.prog, h.proc, h.serial))
				switch {
				case h.prog == fakeProgRemote && h.proc == fakeProcAuthList:
					fakeWrite(fd, fakeReply(h, fakeTypeReply, []byte{0, 0, 0, 1, 0, 0, 0, 0}))
				case h.prog == fakeProgRemote:
					fakeWrite(fd, fakeReply(h, fakeTypeReply, nil))
				case h.prog == fakeProgLXC:
					fakeWrite(fd, fakeReply(h, fakeTypeReplyWithFDs, []byte{0, 0, 0, 2}))
					unix.Sendmsg(fd, []byte{0}, unix.UnixRights(null), nil, 0)
					unix.Sendmsg(fd, []byte{0}, unix.UnixRights(null), nil, 0)
					if drop {
						time.Sleep(20 * time.Millisecond)
						logLine(fmt.Sprintf("conn %d dropped", n))
						return
					}
				}
			}
		}(n, fd)
	}
}

// The fake daemon's own reading of the wire (docs/PROTOCOL.md §1-§3),
// apart from package rpc's so that it checks rather than mirrors it.
const (
	fakeProgRemote       = 0x20008086 // REMOTE_PROGRAM
	fakeProgLXC          = 0x00068000 // LXC_PROGRAM
	fakeProcAuthList     = 66         // REMOTE_PROC_AUTH_LIST
	fakeTypeReply        = 1          // VIR_NET_REPLY
	fakeTypeReplyWithFDs = 5          // VIR_NET_REPLY_WITH_FDS
	fakeHeaderLen        = 4 + 24     // length word and header
)

// fakeCall is the header of a call the fake daemon read.
type fakeCall struct{ prog, proc, serial uint32 }

// fakeReadCall reads one frame off a blocking fd.
func fakeReadCall(fd int) (fakeCall, error) {
	var head [fakeHeaderLen]byte
	if err := fakeReadFull(fd, head[:]); err != nil {
		return fakeCall{}, err
	}
	n := binary.BigEndian.Uint32(head[0:])
	if n < fakeHeaderLen {
		return fakeCall{}, errors.New("short frame")
	}
	if err := fakeReadFull(fd, make([]byte, n-fakeHeaderLen)); err != nil {
		return fakeCall{}, err
	}
	return fakeCall{prog: binary.BigEndian.Uint32(head[4:]), proc: binary.BigEndian.Uint32(head[12:]),
		serial: binary.BigEndian.Uint32(head[20:])}, nil
}

func fakeReadFull(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := unix.Read(fd, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n == 0 {
			return errors.New("closed")
		}
		b = b[n:]
	}
	return nil
}

// fakeReply frames the reply of typ to call h, status OK.
func fakeReply(h fakeCall, typ uint32, payload []byte) []byte {
	b := make([]byte, fakeHeaderLen, fakeHeaderLen+len(payload))
	for i, v := range []uint32{uint32(fakeHeaderLen + len(payload)), h.prog, 1, h.proc, typ, h.serial, 0} {
		binary.BigEndian.PutUint32(b[4*i:], v)
	}
	return append(b, payload...)
}

func fakeWrite(fd int, b []byte) {
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return
		}
		b = b[n:]
	}
}

type fakeDaemon struct {
	uri, log string
}

func startFakeDaemon(t *testing.T, drop bool) *fakeDaemon {
	dir := t.TempDir()
	sock := filepath.Join(dir, "sock")
	d := &fakeDaemon{uri: "lxc:///system?socket=" + sock, log: filepath.Join(dir, "log")}
	cmd := exec.Command(os.Args[0], "-test.run=^TestFakeDaemonHelper$")
	cmd.Env = append(os.Environ(), "LXCGO_FAKE_DAEMON="+sock, "LXCGO_FAKE_LOG="+d.log)
	if drop {
		cmd.Env = append(cmd.Env, "LXCGO_FAKE_DROP=1")
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for i := 0; i < 200; i++ {
		if _, err := os.Stat(sock); err == nil {
			return d
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("fake daemon did not start")
	return nil
}

func (d *fakeDaemon) lines(t *testing.T) []string {
	time.Sleep(50 * time.Millisecond)
	f, err := os.Open(d.log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		out = append(out, s.Text())
	}
	return out
}

func testClient() *Client {
	return &Client{Timeout: 5 * time.Second}
}

func mustOpen(t *testing.T, c *Client, uri string) {
	t.Helper()
	fds, err := c.OpenNamespace(&Request{URI: uri, Name: "t1", UUID: t1UUID, ID: 2741})
	if err != nil {
		t.Fatal(err)
	}
	if len(fds) != 2 {
		t.Errorf("got %d fds", len(fds))
	}
	closeAll(fds)
}

func TestClientWarmCallsAndSerials(t *testing.T) {
	d := startFakeDaemon(t, false)
	c := testClient()
	defer c.CloseIdle()
	for i := 0; i < 3; i++ {
		mustOpen(t, c, d.uri)
	}
	want := []string{
		"conn 0 prog 20008086 proc 66 serial 0",
		"conn 0 prog 20008086 proc 1 serial 1",
		"conn 0 prog 68000 proc 1 serial 2",
		"conn 0 prog 68000 proc 1 serial 3",
		"conn 0 prog 68000 proc 1 serial 4",
	}
	if got := d.lines(t); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("daemon saw:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestClientReconnectsAfterDaemonDrop(t *testing.T) {
	d := startFakeDaemon(t, true)
	c := testClient()
	defer c.CloseIdle()
	mustOpen(t, c, d.uri)
	time.Sleep(100 * time.Millisecond) // the daemon drops the idle connection
	mustOpen(t, c, d.uri)
	got := strings.Join(d.lines(t), "\n")
	if !strings.Contains(got, "conn 0 dropped") || !strings.Contains(got, "conn 1 prog 68000 proc 1 serial 2") {
		t.Errorf("daemon saw:\n%s", got)
	}
}

// A connection inherited across fork must be dropped without a byte sent.
func TestClientDropsInheritedConnection(t *testing.T) {
	d := startFakeDaemon(t, false)
	c := testClient()
	defer c.CloseIdle()
	mustOpen(t, c, d.uri)
	parent := os.Getpid()
	c.getpid = func() int { return parent + 1 } // as seen from a forked child
	mustOpen(t, c, d.uri)
	got := d.lines(t)
	// Per connection: when the daemon's side of the inherited one sees
	// its close, relative to the new one's traffic, is the scheduler's.
	want := map[string][]string{
		"conn 0": {"conn 0 prog 20008086 proc 66 serial 0", "conn 0 prog 20008086 proc 1 serial 1",
			"conn 0 prog 68000 proc 1 serial 2", "conn 0 closed"},
		"conn 1": {"conn 1 prog 20008086 proc 66 serial 0", "conn 1 prog 20008086 proc 1 serial 1",
			"conn 1 prog 68000 proc 1 serial 2"},
	}
	per := map[string][]string{}
	for _, l := range got {
		f := strings.Fields(l)
		if len(f) < 2 {
			t.Fatalf("daemon log line %q", l)
		}
		per[f[0]+" "+f[1]] = append(per[f[0]+" "+f[1]], l)
	}
	if d := cmp.Diff(want, per); d != "" {
		t.Errorf("daemon saw (-want +got):\n%s\nall:\n%s", d, strings.Join(got, "\n"))
	}
}

func TestClientConcurrent(t *testing.T) {
	d := startFakeDaemon(t, false)
	c := testClient()
	before := openFDs(t)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				fds, err := c.OpenNamespace(&Request{URI: d.uri, Name: "t1", UUID: t1UUID})
				if err != nil || len(fds) != 2 {
					t.Errorf("call: %v %v", fds, err)
				}
				closeAll(fds)
			}
		}()
	}
	wg.Wait()
	c.CloseIdle()
	if after := openFDs(t); after != before {
		t.Errorf("fds open before %d, after %d", before, after)
	}
	// All the callers shared one connection, as with libvirt's client.
	for _, l := range d.lines(t) {
		if !strings.HasPrefix(l, "conn 0 ") {
			t.Errorf("a second connection was opened: %s", l)
			break
		}
	}
}

// In the daemon, the socket to dial is one this process listens on: it is
// never even connected to, and the request is served in the host when the
// LXC driver runs here, else refused as libvirt refuses a driver without
// OpenNamespace.
func TestClientNeverDialsItsOwnSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "sock")
	lfd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(lfd)
	if err := unix.Bind(lfd, &unix.SockaddrUnix{Name: sock}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(lfd, 4); err != nil {
		t.Fatal(err)
	}
	served := false
	c := testClient()
	c.InHost = func(*Request) ([]int, error) { served = true; return nil, nil }
	_, err = c.OpenNamespace(&Request{URI: "lxc:///system?socket=" + sock})
	// This test process runs no LXC driver (no driver.pid names it).
	if served {
		t.Error("served in the host by a process without the LXC driver")
	}
	if diff := cmp.Diff(unsupportedError(), err); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
	if _, _, err := unix.Accept(lfd); err != unix.EAGAIN {
		t.Errorf("accept on our own socket: %v, want EAGAIN (nobody connected)", err)
	}
}

func TestClientErrorsWithoutNetwork(t *testing.T) {
	c := testClient()
	// A file that is not a socket: connect() says ECONNREFUSED, as for
	// libvirt with ?socket=/etc/passwd (as root; others get EACCES there).
	notSock := filepath.Join(t.TempDir(), "file")
	os.WriteFile(notSock, nil, 0o600)
	// Errors the core raises itself are left for the C library to format
	// with the running libvirt's templates: only code, domain, the detail
	// and the ints travel.
	tests := []struct {
		req          Request
		code, domain int
		detail       string
		int1         int
	}{
		{Request{URI: "lxc+ssh://host/system"}, 1, 7,
			"Receiving file descriptors is not supported on this socket", -1},
		{Request{URI: "lxc+tcp://host/system"}, 1, 7,
			"Receiving file descriptors is not supported on this socket", -1},
		{Request{URI: "lxc:///system?socket=/nonexistent"}, 38, 7,
			"Failed to connect socket to '/nonexistent'", 2},
		{Request{URI: "lxc:///system?socket=" + notSock}, 38, 7,
			"Failed to connect socket to '" + notSock + "'", 111},
		{Request{URI: "lxc:///system?socket="}, 38, 7,
			"Failed to connect socket to ''", 111},
	}
	for _, tc := range tests {
		_, err := c.OpenNamespace(&tc.req)
		var le *report.Error
		if !errors.As(err, &le) {
			t.Errorf("%+v: %v", tc.req, err)
			continue
		}
		want := &report.Error{Code: tc.code, Domain: tc.domain, Level: 2, Str2: sp(tc.detail),
			Int1: tc.int1, Int2: -1, ToFormat: true}
		if diff := cmp.Diff(want, le); diff != "" {
			t.Errorf("%s: -want +got\n%s", tc.req.URI, diff)
		}
	}
}

// t1UUID is the uuid the fake daemon's callers ask for.
var t1UUID = [16]byte{0x05, 0x07, 0x9f, 0x07, 0x35, 0x13, 0x48, 0x42, 0xae, 0x92, 0x99, 0x72, 0x49, 0x36, 0x2e, 0x1b}

func sp(s string) *string { return &s }

func closeAll(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}

// openFDs counts this process's open descriptors, to catch leaks.
func openFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}
