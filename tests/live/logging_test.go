//go:build live

package live

// Logging: what libvirt's logger writes for each of the four functions
// (tests/c/logging.c calls each on its entry and error paths), with our
// library and with the system one in the same run, under the logging
// settings a user turns on to debug a failing call.

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The calls tests/c/logging.c makes: one entry record each.
const loggingCalls = 17

var (
	// "2026-12-07 08:15:00.123+0000: 12345: debug : func:line : text"
	logPrefix = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+[+-]\d{4}: \d+: `)
	// Pointers as %p prints them; flags (0x0, 0x1) are left alone.
	logPointer = regexp.MustCompile(`0x[0-9a-f]{6,}`)
	// The level and the function of a record.
	logRecord = regexp.MustCompile(`^(debug|info|warning|error) : ([A-Za-z0-9_]+):\d+ : `)
)

// logRunProg runs tests/c/logging with our library or the system one and
// the extra environment, and returns what it wrote to stderr.
func logRunProg(t *testing.T, system bool, env ...string) string {
	t.Helper()
	cmd := command(t, program(t, "logging"))
	cmd.Env = libEnv(t, system, env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("logging (system=%v): %v\nstderr: %s\nstdout: %s", system, err, stderr.String(), out)
	}
	r, _ := parse(string(out))
	want := ourLib(t)
	if system {
		if want, err = filepath.EvalSymlinks(systemLib); err != nil {
			t.Fatal(err)
		}
	}
	if r.lib != want {
		t.Fatalf("logging (system=%v) used %q, want %q", system, r.lib, want)
	}
	return stderr.String()
}

// apiRecords picks from a log the records the four functions write (their
// entry records) and every error record, without time and pid, pointers
// replaced.
func apiRecords(log string) []string {
	var recs []string
	for _, line := range strings.Split(log, "\n") {
		line = logPrefix.ReplaceAllString(line, "")
		m := logRecord.FindStringSubmatch(line)
		if m == nil || (m[1] != "error" && !strings.HasPrefix(m[2], "virDomainLxc")) {
			continue
		}
		recs = append(recs, logPointer.ReplaceAllString(line, "0xPTR"))
	}
	return recs
}

// entryRecords counts the entry records among recs.
func entryRecords(recs []string) int {
	n := 0
	for _, r := range recs {
		if strings.HasPrefix(r, "debug : virDomainLxc") {
			n++
		}
	}
	return n
}

// sameRecords fails unless ours and the system library's logs hold the
// same records of the four functions, with wantEntries entry records.
func sameRecords(t *testing.T, ours, sys string, wantEntries int) {
	t.Helper()
	o, s := apiRecords(ours), apiRecords(sys)
	if d := cmp.Diff(s, o); d != "" {
		t.Errorf("log records differ (-system +ours):\n%s", d)
	}
	if n := entryRecords(s); n != wantEntries {
		t.Errorf("system library: %d entry records, want %d:\n%s", n, wantEntries, sys)
	}
	if n := entryRecords(o); n != wantEntries {
		t.Errorf("ours: %d entry records, want %d:\n%s", n, wantEntries, ours)
	}
	if t.Failed() {
		t.Logf("ours:\n%s", ours)
	}
}

func bothLogs(t *testing.T, env ...string) (ours, sys string) {
	t.Helper()
	testbed(t)
	return logRunProg(t, false, env...), logRunProg(t, true, env...)
}

// As a user turns it on for this library: every entry record, every error
// under the function (or libvirt helper) that raised it, line for line.
func TestLoggingFilterStderr(t *testing.T) {
	ours, sys := bothLogs(t, "LIBVIRT_LOG_FILTERS=1:libvirt-lxc", "LIBVIRT_LOG_OUTPUTS=1:stderr")
	sameRecords(t, ours, sys, loggingCalls)
	// Ours must not leak its own function names where libvirt's are due.
	for _, r := range apiRecords(ours) {
		if strings.Contains(r, " : lxc") {
			t.Errorf("record under one of our own functions: %s", r)
		}
	}
}

// LIBVIRT_LOG_OUTPUTS to a file: the records are there, not on stderr.
func TestLoggingFileOutput(t *testing.T) {
	dir := t.TempDir()
	logs := map[bool]string{}
	testbed(t)
	for _, system := range []bool{false, true} {
		file := filepath.Join(dir, map[bool]string{false: "ours.log", true: "system.log"}[system])
		stderr := logRunProg(t, system, "LIBVIRT_LOG_FILTERS=1:libvirt-lxc",
			"LIBVIRT_LOG_OUTPUTS=1:file:"+file)
		if recs := apiRecords(stderr); len(recs) != 0 {
			t.Errorf("system=%v: records on stderr with a file output: %q", system, recs)
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		logs[system] = string(data)
	}
	sameRecords(t, logs[false], logs[true], loggingCalls)
}

// Everything at debug but libvirt-lxc, left at errors by a filter: no entry
// records from either library, the errors (libvirt logs them under
// util.error) still.
func TestLoggingFilterExcludes(t *testing.T) {
	ours, sys := bothLogs(t, "LIBVIRT_DEBUG=1", "LIBVIRT_LOG_FILTERS=4:libvirt-lxc",
		"LIBVIRT_LOG_OUTPUTS=1:stderr")
	sameRecords(t, ours, sys, 0)
	if len(apiRecords(sys)) == 0 {
		t.Errorf("no error record at all:\n%s", sys)
	}
}

// LIBVIRT_DEBUG=1 alone: everything at debug, to stderr.
func TestLoggingDebugAlone(t *testing.T) {
	ours, sys := bothLogs(t, "LIBVIRT_DEBUG=1")
	sameRecords(t, ours, sys, loggingCalls)
}

// daemonLogSettings restarts the test bed's daemon with the library in lib
// ("" the system one) and the extra config text, and puts the usual
// settings back when the test ends.
func daemonLogSettings(t *testing.T, lib, extra string) {
	t.Helper()
	t.Cleanup(func() {
		testbedEnv(t, "LXCGO_DAEMON_LIBRARY_PATH=", "LXCGO_DAEMON_ACTIVATION=", "LXCGO_DAEMON_DRIVERS=",
			"LXCGO_DAEMON_CONF_EXTRA=", "LXCGO_DAEMON_CONFIG_ARG=")
	})
	testbedEnv(t, "LXCGO_DAEMON_LIBRARY_PATH="+lib, "LXCGO_DAEMON_ACTIVATION=", "LXCGO_DAEMON_DRIVERS=",
		"LXCGO_DAEMON_CONF_EXTRA="+extra, "LXCGO_DAEMON_CONFIG_ARG=")
}

// libvirtd serving the client's OpenNamespace calls through libvirt-lxc.so.0
// (ours, then the system one): its log_filters and log_outputs select and
// route the library's records as they do libvirt's.
func TestLoggingInDaemon(t *testing.T) {
	testbed(t)
	logs := map[bool]string{}
	for _, system := range []bool{false, true} {
		file := filepath.Join(t.TempDir(), "libvirtd.log")
		lib := buildDir(t)
		if system {
			lib = ""
		}
		daemonLogSettings(t, lib, "log_filters=\"1:libvirt-lxc\"\nlog_outputs=\"1:file:"+file+"\"")
		logRunProg(t, false)
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		logs[system] = string(data)
	}
	// The calls that reach the daemon: on the running domain, on the one
	// shut off, with flags.
	sameRecords(t, callRecords(logs[false]), callRecords(logs[true]), 3)
	// Ours also logs how it answered (libvirt-lxc.coreproc and .rpc, which
	// "1:libvirt-lxc" selects): its core process, which served the calls
	// from the daemon's own view of the host.
	inOrder(t, callRecords(logs[false]), []string{
		`debug : procNew:\d+ : core process pid=\d+ program=\S+ started for pid=\d+ in \d+ us$`,
		`debug : \S+inHost:\d+ : served from the daemon's own view of the host: the caller \(pid \d+\) is the daemon$`,
		`debug : \S+serveInHost:\d+ : domain [0-9a-f-]{36}: init pid \d+ \(its status file\), 6 of its namespaces opened$`,
	})
}

// The thread of a record ("2026-...: 12345: debug : ...").
var logThread = regexp.MustCompile(`^\S+ \S+: (\d+): `)

// callRecords keeps of a daemon's log, whose other threads log errors of
// their own (its start, other clients, a client leaving), the records of
// the threads that served one of the calls, from that call on.
func callRecords(log string) string {
	var keep []string
	serving := map[string]bool{}
	for _, line := range strings.Split(log, "\n") {
		m := logThread.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		if strings.HasPrefix(line[len(m[0]):], "debug : virDomainLxc") {
			serving[m[1]] = true
		}
		if serving[m[1]] {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}

// The records of the way to the daemon, in the order tests/c/logging's
// calls make them: its core process started, the socket chosen and why,
// the connection and its handshake, then each call's message and reply
// (with the six fds), and a daemon's error reply before the error it
// becomes.
var rpcRecordOrder = []string{
	`debug : procNew:\d+ : core process pid=\d+ program=\S+/libvirt-lxc-open started for pid=\d+ in \d+ us$`,
	`debug : \S+open:\d+ : URI lxc:///system: transport unix, socket /\S+-sock \(remote mode \S+: .+\), name "lxc:///system"$`,
	`debug : \S+dial:\d+ : connected to /\S+-sock \(fd \d+, daemon pid \d+\)$`,
	`: RPC message sent: prog=0x20008086 vers=1 proc=66 type=0 status=0 serial=0 len=28 nfds=0$`,
	`: RPC message received: prog=0x20008086 vers=1 proc=66 type=1 status=0 serial=0 len=\d+ nfds=0$`,
	`: RPC message sent: prog=0x20008086 vers=1 proc=1 type=0 status=0 serial=1 len=\d+ nfds=0$`,
	`: RPC message received: prog=0x20008086 vers=1 proc=1 type=1 status=0 serial=1 len=28 nfds=0$`,
	`: connection to /\S+-sock open \(fd \d+\)$`,
	`: RPC message sent: prog=0x68000 vers=1 proc=1 type=0 status=0 serial=2 len=\d+ nfds=0$`,
	`: RPC message received: prog=0x68000 vers=1 proc=1 type=5 status=0 serial=2 len=\d+ nfds=6$`,
	`: RPC message sent: prog=0x68000 vers=1 proc=1 type=0 status=0 serial=3 len=\d+ nfds=0$`,
	`: RPC message received: prog=0x68000 vers=1 proc=1 type=1 status=1 serial=3 len=\d+ nfds=0$`,
	`error : virNetClientProgramDispatchError:\d+ : Requested operation is not valid: domain is not running$`,
}

// inOrder fails unless log has a line matching each of want, in that order.
func inOrder(t *testing.T, log string, want []string) {
	t.Helper()
	lines := strings.Split(log, "\n")
	i := 0
	for _, w := range want {
		re := regexp.MustCompile(w)
		for i < len(lines) && !re.MatchString(lines[i]) {
			i++
		}
		if i == len(lines) {
			t.Fatalf("no record %q (after the ones before it) in:\n%s", w, log)
		}
		i++
	}
}

// With "1:rpc", the filter a user gives libvirt's own RPC modules, and the
// project's filter name for its core process: the records of the way to
// the daemon, logged by the caller's libvirt in the caller's order.
func TestLoggingRPC(t *testing.T) {
	testbed(t)
	ours := logRunProg(t, false, "LIBVIRT_LOG_FILTERS=1:rpc 1:libvirt-lxc.coreproc", "LIBVIRT_LOG_OUTPUTS=1:stderr")
	inOrder(t, ours, rpcRecordOrder)
	// The four functions' records at debug, those two at errors (libvirt
	// takes the first filter that matches): none of those records.
	ours = logRunProg(t, false, "LIBVIRT_LOG_FILTERS=4:libvirt-lxc.rpc 4:libvirt-lxc.coreproc 1:libvirt-lxc",
		"LIBVIRT_LOG_OUTPUTS=1:stderr")
	if !strings.Contains(ours, "debug : virDomainLxcOpenNamespace:") {
		t.Errorf("no entry record with 1:libvirt-lxc:\n%s", ours)
	}
	for _, s := range []string{"RPC message", "core process pid=", "connected to"} {
		if strings.Contains(ours, s) {
			t.Errorf("%q logged with libvirt-lxc.rpc and .coreproc at errors only:\n%s", s, ours)
		}
	}
}
