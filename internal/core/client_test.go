package core

import (
	"bufio"
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
				h, _, err := peerRead(fd)
				if err != nil {
					logLine(fmt.Sprintf("conn %d closed", n))
					return
				}
				logLine(fmt.Sprintf("conn %d prog %x proc %d serial %d", n, h.Prog, h.Proc, h.Serial))
				rh := header{Prog: h.Prog, Vers: 1, Proc: h.Proc, Type: typeReply, Serial: h.Serial}
				switch {
				case h.Prog == progRemote && h.Proc == procAuthList:
					writeAll(fd, encodePacket(rh, []byte{0, 0, 0, 1, 0, 0, 0, 0}), far)
				case h.Prog == progRemote:
					writeAll(fd, encodePacket(rh, nil), far)
				case h.Prog == progLXC:
					rh.Type = typeReplyWithFDs
					writeAll(fd, encodePacket(rh, []byte{0, 0, 0, 2}), far)
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
	c.mu.Lock()
	for _, sl := range c.slots {
		sl.cn.pid = -1 // as seen from a forked child
	}
	c.mu.Unlock()
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
		var le *Error
		if !errors.As(err, &le) {
			t.Errorf("%+v: %v", tc.req, err)
			continue
		}
		want := &Error{Code: tc.code, Domain: tc.domain, Level: 2, Str2: sp(tc.detail),
			Int1: tc.int1, Int2: -1, ToFormat: true}
		if diff := cmp.Diff(want, le); diff != "" {
			t.Errorf("%s: -want +got\n%s", tc.req.URI, diff)
		}
	}
}
