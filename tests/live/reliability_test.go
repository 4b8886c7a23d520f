//go:build live

package live

// Reliability of libvirt-lxc.so.0 under load, faults and hostile input
// (tests/c/rel_*.c do the work in C; this file runs, judges and compares).
//
//   TestReliabilityNoFdLeft      10 000 calls of each Enter function
//   TestReliabilityForkStress    forks from a busy multi-threaded host
//   TestReliabilityHostilePeer   OpenNamespace against a misbehaving daemon,
//                                SIGPIPE with its default disposition
//   TestReliabilityEnvironment   hostile environment, AT_SECURE process
//   TestReliabilityASan          the C programs on an ASan build
//   TestReliabilityValgrind      the same where no Go runs, under memcheck

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

const daemonSocket = "/var/run/libvirt/libvirt-sock"

// relEnv is the environment of a C program run with our library (system:
// with libvirt's, preloaded in its place).
func relEnv(t *testing.T, system bool, extra ...string) []string {
	env := append(os.Environ(), "LD_LIBRARY_PATH="+buildDir(t), "LANG=C", "LC_ALL=C")
	if system {
		env = append(env, "LD_PRELOAD="+systemLib)
	}
	return append(env, extra...)
}

// relRun runs a program to completion within limit and returns its stdout.
func relRun(t *testing.T, limit time.Duration, env []string, prog string, args ...string) (string, string) {
	t.Helper()
	cmd := exec.Command(prog, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(limit, func() { cmd.Process.Kill() })
	err := cmd.Wait()
	if !timer.Stop() {
		t.Fatalf("%s %v: still running after %v, killed\nstdout: %s\nstderr: %s",
			filepath.Base(prog), args, limit, stdout.String(), stderr.String())
	}
	if err != nil {
		t.Fatalf("%s %v: %v\nstdout: %s\nstderr: %s", filepath.Base(prog), args, err,
			stdout.String(), stderr.String())
	}
	return stdout.String(), stderr.String()
}

// relLines maps the first word of each line to the rest.
func relLines(out string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(l, " "); ok {
			m[k] = v
		}
	}
	return m
}

func atoi(t *testing.T, where, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%s: %q is not a number", where, s)
	}
	return n
}

// 1. No fd left behind by 10 000 calls of each Enter function.
func TestReliabilityNoFdLeft(t *testing.T) {
	testbed(t)
	prog := program(t, "rel_fdleak")
	for _, system := range []bool{false, true} {
		out, _ := relRun(t, 3*time.Minute, relEnv(t, system), prog, "10000")
		lines := relLines(out)
		t.Logf("system=%v:\n%s", system, out)
		for _, fn := range []string{"EnterNamespace", "EnterSecurityLabel", "EnterCGroup"} {
			f := fields(lines[fn])
			if f["calls"] != "10000" {
				t.Errorf("system=%v %s: did not complete: %q", system, fn, lines[fn])
				continue
			}
			ok, bad := atoi(t, fn, f["ok"]), atoi(t, fn, f["err"])
			if ok == 0 || bad == 0 {
				t.Errorf("system=%v %s: want success and error paths mixed, got ok=%d err=%d", system, fn, ok, bad)
			}
			if f["fds_before"] != f["fds_after"] {
				t.Errorf("system=%v %s: fds before %s, after %s", system, fn, f["fds_before"], f["fds_after"])
			}
		}
		// The library's own complaints (an oldfdlist left after an error).
		if strings.Contains(out, "left oldfdlist") {
			t.Errorf("system=%v: %s", system, out)
		}
	}
}

// 2. Fork stress: zero hangs, zero crashes, Enter* never enter Go.
func TestReliabilityForkStress(t *testing.T) {
	testbed(t)
	prog := program(t, "rel_fork")
	for _, c := range []struct {
		mode string
		n    int
		core string
	}{
		{"enter", 10000, "0"}, // the core never loaded
		{"core", 10000, "1"},  // the core loaded in the parent (virsh)
		{"open", 300, "1"},    // children forked after the load call OpenNamespace
	} {
		t.Run(c.mode, func(t *testing.T) {
			out, _ := relRun(t, 4*time.Minute, relEnv(t, false), prog, c.mode, strconv.Itoa(c.n), "3")
			t.Log(strings.TrimSpace(out))
			f := fields(relLines(out)["mode="+c.mode])
			want := map[string]string{"iterations": strconv.Itoa(c.n), "ok": strconv.Itoa(c.n),
				"failed": "0", "hangs": "0", "crashes": "0", "core_loaded": c.core}
			expect(t, c.mode, f, want)
			if th := atoi(t, "threads", f["threads"]); th < 4 {
				t.Errorf("the parent was not multi-threaded (threads=%d)", th)
			}
		})
	}
}

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

const (
	progLXC       = 0x00068000
	progKeepalive = 0x6b656570
	procLXCOpenNS = 1
)

func frame(prog, proc, typ, serial, status uint32, payload []byte) []byte {
	b := make([]byte, 28, 28+len(payload))
	binary.BigEndian.PutUint32(b[0:], uint32(28+len(payload)))
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
		if n < 28 || n > 1<<20 {
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

// hostileRun drives one rel_hostile process: warm call, call under mode,
// recovery call. limit bounds the call under test.
type hostileResult struct {
	lines  map[string]map[string]string
	hung   bool
	out    string
	stderr string
	exit   error
}

func hostileRun(t *testing.T, p *proxy, mode, threads string, system bool, limit time.Duration) hostileResult {
	t.Helper()
	uri := "lxc:///system?socket=" + p.path
	cmd := exec.Command(program(t, "rel_hostile"), uri, "lxcgo-plain", threads)
	cmd.Env = relEnv(t, system)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	p.setMode("pass")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 16)
	var all strings.Builder
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	res := hostileResult{lines: map[string]map[string]string{}}
	next := func(want string, d time.Duration) bool {
		timer := time.NewTimer(d)
		defer timer.Stop()
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					return false
				}
				all.WriteString(l + "\n")
				k, v, _ := strings.Cut(l, " ")
				res.lines[k] = fields(v)
				if k == want {
					return true
				}
			case <-timer.C:
				return false
			}
		}
	}
	ok := next("warm", 30*time.Second)
	if ok {
		p.setMode(mode)
		io.WriteString(stdin, "go\n")
		if !next("call", limit) {
			res.hung = true
		} else {
			p.setMode("pass")
			io.WriteString(stdin, "go\n")
			next("fds", 60*time.Second)
		}
	}
	stdin.Close()
	cmd.Process.Kill()
	for range lines {
	}
	res.exit = cmd.Wait()
	res.out, res.stderr = all.String(), stderr.String()
	p.setMode("pass")
	return res
}

// What our error message says for each misbehaviour.
var hostileWant = map[string]string{
	"close":              "End of file while reading data",
	"truncated":          "End of file while reading data",
	"overlimit":          "packet length 2147483647 exceeds the protocol maximum",
	"underlimit":         "packet length 8 is below the minimum",
	"wrong_serial":       "reply does not match the call",
	"extra_fds":          "Failed to receive a file descriptor",
	"missing_fds":        "End of file while reading data",
	"fd_byte_without_fd": "Failed to receive a file descriptor",
	"too_many_fds":       "announced 1000 descriptors",
	// A PONG written after the close fails with EPIPE (and must not raise
	// SIGPIPE); if the close reset the connection first (our unread PONGs),
	// the next read fails with ECONNRESET. Either is the peer's doing.
	"pings_close": "Cannot write data to|Cannot read data from",
	"silent":      "no reply from the daemon",
	"ping_flood":  "no reply from the daemon",
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// 3 and 4. A hostile peer, end to end through the C library.
func TestReliabilityHostilePeer(t *testing.T) {
	testbed(t)
	p := newProxy(t)
	fast := []string{"close", "truncated", "overlimit", "underlimit", "wrong_serial",
		"extra_fds", "missing_fds", "fd_byte_without_fd", "too_many_fds", "pings_close"}
	type run struct {
		mode, threads string
		limit         time.Duration
	}
	var runs []run
	for _, th := range []string{"threads", "single"} {
		for _, m := range fast {
			runs = append(runs, run{m, th, 10 * time.Second})
		}
	}
	// A daemon restart between calls: ours reconnects transparently.
	runs = append(runs, run{"idle_close", "threads", 10 * time.Second})
	// The slow ones once each: they end at the core's 30 s deadline.
	runs = append(runs, run{"silent", "threads", 45 * time.Second},
		run{"ping_flood", "single", 45 * time.Second})

	var report []string
	for _, r := range runs {
		t.Run(r.mode+"/"+r.threads, func(t *testing.T) {
			testbed(t) // someone may have restarted the daemon
			res := hostileRun(t, p, r.mode, r.threads, false, r.limit)
			if res.hung {
				t.Fatalf("no answer within %v (hang)\n%s\nstderr: %s", r.limit, res.out, res.stderr)
			}
			// 4: SIGPIPE has its default disposition and nothing died.
			if res.lines["start"]["sigpipe"] != "dfl" {
				t.Fatalf("rel_hostile did not start with SIGPIPE at its default: %s", res.out)
			}
			if res.lines["warm"]["ret"] == "" || atoi(t, "warm", res.lines["warm"]["ret"]) <= 0 {
				t.Fatalf("warm call through the proxy failed: %s\nstderr: %s", res.out, res.stderr)
			}
			if _, ok := res.lines["fds"]; !ok {
				t.Fatalf("the host did not get through (killed? %v)\n%s\nstderr: %s", res.exit, res.out, res.stderr)
			}
			if res.exit != nil {
				// Killed by us after it printed everything: fine; any
				// other status is not.
				if ee, ok := res.exit.(*exec.ExitError); ok {
					if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() != syscall.SIGKILL {
						t.Errorf("host died: %v\n%s", res.exit, res.out)
					}
				}
			}
			c := res.lines["call"]
			elapsed := atoi(t, "elapsed", c["elapsed_ms"])
			t.Logf("%s/%s: %s", r.mode, r.threads, strings.TrimSpace(res.out))
			if r.mode == "idle_close" {
				if p.dropped.Load() == 0 {
					t.Errorf("the proxy dropped no connection of our library: nothing was tested")
				}
				if atoi(t, "call", c["ret"]) <= 0 {
					t.Errorf("after the peer dropped an idle connection: %v", c)
				}
			} else {
				if c["ret"] != "-1" || c["fdlist"] != "NULL" {
					t.Errorf("want ret=-1 and fdlist NULL: %v", c)
				}
				if c["code"] == "" || c["code"] == "0" || c["msg"] == "" || c["level"] != "2" {
					t.Errorf("no clear libvirt error: %v", c)
				}
				// The error names what went wrong, so a proxy that failed
				// to misbehave as asked (a plain EOF for all) shows here.
				if want := hostileWant[r.mode]; !containsAny(c["msg"], strings.Split(want, "|")) {
					t.Errorf("message %q does not say %q", c["msg"], want)
				}
				if r.limit < 30*time.Second && elapsed > 5000 {
					t.Errorf("took %d ms for a peer that misbehaved at once", elapsed)
				}
				if r.limit >= 30*time.Second && (elapsed < 29000 || elapsed > 40000) {
					t.Errorf("took %d ms, want the 30 s deadline", elapsed)
				}
			}
			f := res.lines["fds"]
			if f["before"] != f["after"] {
				t.Errorf("fds before %s, after %s", f["before"], f["after"])
			}
			if atoi(t, "recover", res.lines["recover"]["ret"]) <= 0 {
				t.Errorf("the next call did not recover: %v", res.lines["recover"])
			}
			wantCore := map[string]string{"threads": "1", "single": "0"}[r.threads]
			if f["core_loaded"] != wantCore {
				t.Errorf("core_loaded=%s, want %s for %s", f["core_loaded"], wantCore, r.threads)
			}
			report = append(report, fmt.Sprintf("ours %-20s %-7s %6d ms code=%s %s", r.mode, r.threads, elapsed, c["code"], c["msg"]))
		})
	}

	// libvirt's own library against the same proxy: informational. Its
	// call goes over the caller's connection, which the proxy carries.
	for _, m := range append(fast, "silent") {
		res := hostileRun(t, p, m, "threads", true, 5*time.Second)
		c := res.lines["call"]
		what := fmt.Sprintf("ret=%s code=%s msg=%q elapsed=%sms", c["ret"], c["code"], c["msg"], c["elapsed_ms"])
		switch {
		case res.hung:
			what = "no answer within 5 s (hangs)"
		case res.lines["fds"] == nil:
			what += fmt.Sprintf(" then the host died: %v", res.exit)
		default:
			what += fmt.Sprintf(" recover ret=%s fds %s->%s", res.lines["recover"]["ret"],
				res.lines["fds"]["before"], res.lines["fds"]["after"])
		}
		report = append(report, fmt.Sprintf("libvirt %-20s threads: %s", m, what))
	}
	t.Logf("hostile peer summary:\n%s", strings.Join(report, "\n"))
}

// helperEnvs returns the environment of each exec of libvirt-lxc-open (the
// core process) in an strace -f log.
func helperEnvs(t *testing.T, log string) [][]string {
	t.Helper()
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`execve\("[^"]*libvirt-lxc-open", \[[^\]]*\], \[([^\]]*)\]`)
	var envs [][]string
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		var env []string
		for _, s := range regexp.MustCompile(`"((?:[^"\\]|\\.)*)"`).FindAllStringSubmatch(m[1], -1) {
			env = append(env, s[1])
		}
		envs = append(envs, env)
	}
	return envs
}

// 5. The caller's environment, and a secure-execution (setuid) caller.
func TestReliabilityEnvironment(t *testing.T) {
	testbed(t)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "libvirt"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Honoured by libvirt for unprivileged users only: this would send
	// lxc:///system to virtlxcd's socket, which does not exist here.
	if err := os.WriteFile(filepath.Join(dir, "libvirt", "libvirt.conf"),
		[]byte("remote_mode = \"direct\"\nuri_default = \"test:///default\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	hostile := []string{
		"LIBVIRT_DEFAULT_URI=lxc:///system?socket=/nonexistent",
		"XDG_CONFIG_HOME=" + dir, "XDG_RUNTIME_DIR=" + dir, "HOME=" + dir,
		"GODEBUG=inittrace=1", "GOTRACEBACK=crash", "GOMAXPROCS=1", "GOGC=off",
		"LIBVIRT_LXC_GO_EVIL=1",
	}
	prog := program(t, "rel_hostile")

	for _, th := range []string{"threads", "single"} {
		for _, system := range []bool{false, true} {
			log := filepath.Join(dir, "strace-"+th)
			cmd := exec.Command("strace", "-f", "-qq", "-e", "trace=execve", "-v", "-s", "4096",
				"-o", log, prog, testURI, "lxcgo-plain", th)
			cmd.Env = relEnv(t, system, hostile...)
			cmd.Stdin = strings.NewReader("go\ngo\n")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%s system=%v: %v\n%s\nstderr: %s", th, system, err, out, stderr.String())
			}
			l := relLines(string(out))
			for _, k := range []string{"warm", "call", "recover"} {
				// LIBVIRT_DEFAULT_URI and the user libvirt.conf are not
				// for a root caller with an explicit URI: same daemon.
				if n := atoi(t, k, fields(l[k])["ret"]); n <= 0 {
					t.Errorf("%s system=%v %s: %s", th, system, k, l[k])
				}
			}
			if f := fields(l["fds"]); f["before"] != f["after"] {
				t.Errorf("%s system=%v: fds %v", th, system, f)
			}
			if system {
				continue
			}
			envs := helperEnvs(t, log)
			if th == "threads" {
				// The Go runtime in the caller's process reads GO* itself:
				// recorded, not something the library can filter.
				t.Logf("in-process core, GODEBUG=inittrace=1: stderr has %d runtime trace lines",
					strings.Count(stderr.String(), "init "))
				if len(envs) != 0 {
					t.Errorf("threads: the helper ran %d times, want 0", len(envs))
				}
				continue
			}
			// One core process serves all three calls of the process.
			if len(envs) != 1 {
				t.Fatalf("single: the core process was started %d times, want 1 (strace log %s)", len(envs), log)
			}
			for _, env := range envs {
				for _, kv := range env {
					k, _, _ := strings.Cut(kv, "=")
					switch k {
					case "PATH", "HOME", "XDG_CONFIG_HOME", "XDG_RUNTIME_DIR":
					default:
						t.Errorf("the helper got %q from the caller", kv)
					}
				}
				if env[0] != "PATH=/usr/sbin:/usr/bin:/sbin:/bin" {
					t.Errorf("the helper's PATH: %v", env)
				}
			}
			if strings.Contains(stderr.String(), "init ") {
				t.Errorf("single: the helper's Go runtime honoured GODEBUG: %s", stderr.String())
			}
		}
	}

	t.Run("setuid", func(t *testing.T) { relSetuid(t, hostile, "") })
	t.Run("setuid-threads", func(t *testing.T) { relSetuid(t, hostile, "threads") })
}

// relSetuid runs a setuid-root copy of rel_secure as nobody; with mode
// "threads" the process is multi-threaded when it calls OpenNamespace, and
// must still be served by the helper (no Go runtime reading its caller's
// environment in a secure process).
func relSetuid(t *testing.T, hostile []string, mode string) {
	dir, err := os.MkdirTemp("", "lxcgo-suid-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	src, err := os.ReadFile(program(t, "rel_secure"))
	if err != nil {
		t.Fatal(err)
	}
	suid := filepath.Join(dir, "rel_secure")
	if err := os.WriteFile(suid, src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(suid, 0o4755|os.ModeSetuid); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "strace")
	// strace -u honours the setuid bit (its tracer is root) and shows the
	// helper's execve; the AT_SECURE line proves the mode held.
	args := []string{"-f", "-qq", "-e", "trace=execve", "-v", "-s", "4096",
		"-o", log, "-u", "nobody", suid, testURI, "lxcgo-plain"}
	if mode != "" {
		args = append(args, mode)
	}
	cmd := exec.Command("strace", args...)
	// No LD_LIBRARY_PATH: ignored in secure mode; rel_secure's absolute
	// rpath finds our library.
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "LANG=C"}, hostile...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Logf("setuid rel_secure:\n%s", out)
	l := relLines(string(out))
	if l["lib"] != ourLib(t) {
		t.Fatalf("the setuid copy used %q, not our library", l["lib"])
	}
	expect(t, "secure", fields(l["secure"]), map[string]string{"at_secure": "1", "uid": "65534", "euid": "0"})
	// libvirt itself refuses to initialise while uid != euid.
	if !strings.HasPrefix(l["setuid_open"], "refused") || !strings.Contains(l["setuid_open"], "setuid") {
		t.Errorf("libvirt accepted a setuid caller? %q", l["setuid_open"])
	}
	t.Logf("EnterSecurityLabel in the setuid process: %s", l["setuid_seclabel"])
	o := fields(l["open"])
	threads := "1"
	if mode == "threads" {
		threads = "2"
	}
	if atoi(t, "open", o["ret"]) <= 0 || o["threads"] != threads || o["core_loaded"] != "0" {
		t.Errorf("OpenNamespace after uid := euid: %q", l["open"])
	}
	envs := helperEnvs(t, log)
	if len(envs) != 1 {
		t.Fatalf("the helper ran %d times, want 1", len(envs))
	}
	if len(envs[0]) != 1 || envs[0][0] != "PATH=/usr/sbin:/usr/bin:/sbin:/bin" {
		t.Errorf("AT_SECURE caller: the helper's environment is %q, want PATH only", envs[0])
	}
}

// relCProgs are the C programs that run under the sanitizers: the Enter
// scenario programs, the fd-leak loop and a single-threaded OpenNamespace
// (served by the helper, so no Go runtime in the process).
var relCProgs = [][]string{
	{"enter_seclabel"}, {"enter_cgroup"}, {"enter_ns"},
	{"rel_fdleak", "1000"},
	{"rel_hostile", testURI, "lxcgo-plain", "single"},
}

// relCheckOutput fails on what the tc.h programs print for a child that
// died or exited non-zero (a sanitizer's exit code included).
func relCheckOutput(t *testing.T, where, out string) {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, " crashed signal=") || strings.Contains(l, " exited status=") ||
			strings.Contains(l, " hung") || strings.Contains(l, "left oldfdlist") {
			t.Errorf("%s: %s", where, l)
		}
	}
	if strings.Contains(out, "fds before=") {
		if f := relLines(out)["fds"]; !strings.Contains(f, "core_loaded=0") {
			t.Errorf("%s: the Go core was loaded in the process: %s", where, f)
		}
	}
}

// 6a. AddressSanitizer: a separate build directory with -Db_sanitize=address
// (inside the main one, reused across runs), its programs run against its
// library. Only paths without the Go runtime in the process: ASan and the Go
// runtime are not meant to share one.
func TestReliabilityASan(t *testing.T) {
	testbed(t)
	dir := filepath.Join(buildDir(t), "sanitize-asan")
	setup := []string{"setup", dir, repoRoot(t), "-Db_sanitize=address", "-Db_lundef=false"}
	if _, err := os.Stat(filepath.Join(dir, "build.ninja")); err == nil {
		setup = []string{"setup", "--reconfigure", dir, repoRoot(t), "-Db_sanitize=address", "-Db_lundef=false"}
	}
	for _, args := range [][]string{setup, {"compile", "-C", dir}} {
		cmd := exec.Command("meson", args...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("meson %v: %v\n%s", args, err, out)
		}
	}
	lib, err := os.ReadFile(filepath.Join(dir, "libvirt-lxc.so.0"))
	if err != nil || !bytes.Contains(lib, []byte("__asan_init")) {
		t.Fatalf("%s/libvirt-lxc.so.0 is not built with ASan (%v)", dir, err)
	}
	for _, pa := range relCProgs {
		prog := filepath.Join(dir, "tests", "c", pa[0])
		cmd := exec.Command(prog, pa[1:]...)
		cmd.Env = append(os.Environ(), "LD_LIBRARY_PATH="+dir, "LANG=C", "LC_ALL=C",
			"ASAN_OPTIONS=detect_leaks=1:exitcode=97:abort_on_error=0")
		cmd.Stdin = strings.NewReader("go\ngo\n")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if err != nil || strings.Contains(stderr.String(), "Sanitizer") {
			t.Errorf("%v under ASan: %v\nstderr: %s", pa, err, stderr.String())
		}
		if l := relLines(stdout.String())["lib"]; !strings.HasPrefix(l, dir+"/") {
			t.Errorf("%v used %q, not the ASan build", pa, l)
		}
		relCheckOutput(t, pa[0]+" (ASan)", stdout.String())
	}
}

// 6b. Valgrind memcheck, main build, same programs. Valgrind follows the
// tc.h programs' forked children (a child with errors exits 99, which they
// print); it does not follow the helper's exec, so the Go core never runs
// under it. Only definite leaks count (libvirt and glib keep their
// one-time allocations, which valgrind calls reachable). No suppressions:
// the test programs free what they allocate (tc.h's tcRelease).
func TestReliabilityValgrind(t *testing.T) {
	testbed(t)
	if _, err := exec.LookPath("valgrind"); err != nil {
		t.Fatal("valgrind is not installed (tests/testbed/up.sh installs it)")
	}
	for _, pa := range relCProgs {
		args := append([]string{"-q", "--error-exitcode=99", "--leak-check=full",
			"--errors-for-leak-kinds=definite", program(t, pa[0])}, pa[1:]...)
		if pa[0] == "rel_fdleak" {
			args[len(args)-1] = "200" // about 100 times slower under memcheck
		}
		cmd := exec.Command("valgrind", args...)
		cmd.Env = relEnv(t, false)
		cmd.Stdin = strings.NewReader("go\ngo\n")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Errorf("%v under valgrind: %v\nstderr: %s", pa, err, stderr.String())
		}
		relCheckOutput(t, pa[0]+" (valgrind)", stdout.String())
	}
}
