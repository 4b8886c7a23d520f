//go:build live

package live

// A hostile daemon (suite slow): every malformed reply a peer can send, to
// a single- and a multi-threaded caller (tests/c/rel_hostile.c, proxy_test.go).

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

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
	cmd := command(t, program(t, "rel_hostile"), uri, "lxcgo-plain", threads)
	cmd.Env = libEnv(t, system)
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
			if f["core_loaded"] != "0" {
				t.Errorf("core_loaded=%s for %s: the Go core was loaded in the caller", f["core_loaded"], r.threads)
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
