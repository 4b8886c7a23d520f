//go:build live

// virDomainLxcOpenNamespace against the test bed's libvirtd: tests/c/open_ns
// is run with our library and with the system one, and every scenario must
// give the same result field by field. Besides, each result is checked
// against facts read independently: the namespace inodes of the container's
// init in /proc, and the errors libvirt raises (the daemon's checks in
// docs/PROTOCOL.md §3 and §7, from libvirt's src/lxc/lxc_driver.c; the
// client's in libvirt's src/libvirt-lxc.c), so a fault shared by both runs
// still fails.
package live

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Fields that differ between the two libraries by design; each is checked
// apart. core/new: ours loads its Go core in a multi-threaded caller (and
// keeps the runtime's fds); ms: timing.
var openPerLibrary = []string{"core", "new", "ms"}

// openError is what a failing scenario must report, per libvirt.
type openError struct {
	code, domain, msg, str1, str2, ints, fdlist, connerr, stderrName string
	// daemon: the daemon's answer, not a check made in the client.
	daemon bool
	// report: an ordinary libvirt report of code with the detail str2, so
	// msg and str1 come from the system libvirt's template (left empty here).
	report bool
}

// resolved fills in msg and str1 of an ordinary report from the system
// libvirt's template for its code.
func (e openError) resolved(t *testing.T) openError {
	t.Helper()
	if e.report {
		code, err := strconv.Atoi(e.code)
		if err != nil {
			t.Fatal(err)
		}
		e.str1 = libvirtTemplate(t, code)
		e.msg = libvirtMessage(t, code, e.str2)
	}
	return e
}

const goneUUID = "6f70656e-6e73-4000-8000-676f6e650001" // tests/c/open_ns.c

func flagsError(hex string) openError {
	return openError{"8", "17", "unsupported flags (0x" + hex + ") in function lxcDomainLxcOpenNamespace",
		"lxcDomainLxcOpenNamespace", "flags", "0", "NULL", "8", "LXC Driver", true, false}
}

var (
	errInactive = openError{"55", "20", "", "", "domain is not running",
		"-1", "NULL", "55", "Domain Config", true, true}
	errUnknown = openError{"42", "17", "", "", "no domain with matching uuid '" + goneUUID + "' (lxcgo-open-gone)",
		"-1", "NULL", "42", "LXC Driver", true, true}
	// Client-side checks: *fdlist is left as it was (junk here), as by
	// libvirt, and nothing goes to the daemon.
	errNullDomain = openError{"7", "6", "", "", "virDomainLxcOpenNamespace",
		"-1", "untouched", "", "Domain", false, true}
	errNullFdlist = openError{"8", "0", "fdlist in virDomainLxcOpenNamespace must not be NULL",
		"virDomainLxcOpenNamespace", "fdlist", "0", "none", "8", "", false, false}
	errReadOnly = openError{"29", "0", "", "", "read only access prevents virDomainLxcOpenNamespace",
		"-1", "untouched", "29", "", false, true}
)

// openScenario: what one line of open_ns must say.
type openScenario struct {
	domain string     // success on this domain, or
	err    *openError // this error
	cb     string     // handlers that fired ("none": libvirt's default printed)
}

var openScenarios = map[string]openScenario{
	"plain_mt":               {domain: "lxcgo-plain", cb: "none"},
	"userns_mt":              {domain: "lxcgo-userns", cb: "none"},
	"plain_st":               {domain: "lxcgo-plain", cb: "none"},
	"userns_st":              {domain: "lxcgo-userns", cb: "none"},
	"inactive_mt":            {err: &errInactive, cb: "none"},
	"inactive_st":            {err: &errInactive, cb: "none"},
	"inactive_global_mt":     {err: &errInactive, cb: "global:55"},
	"inactive_conn_st":       {err: &errInactive, cb: "conn:55"},
	"unknown_uuid_mt":        {err: &errUnknown, cb: "none"},
	"unknown_uuid_st":        {err: &errUnknown, cb: "none"},
	"unknown_uuid_conn_mt":   {err: &errUnknown, cb: "conn:42"},
	"unknown_uuid_global_st": {err: &errUnknown, cb: "global:42"},
	"flags_mt":               {err: ptr(flagsError("1")), cb: "none"},
	"flags_st":               {err: ptr(flagsError("1")), cb: "none"},
	"flags_conn_mt":          {err: ptr(flagsError("80000000")), cb: "conn:8"},
	"flags_global_st":        {err: ptr(flagsError("2")), cb: "global:8"},
	"null_domain_mt":         {err: &errNullDomain, cb: "none"},
	"null_domain_global_st":  {err: &errNullDomain, cb: "global:7"},
	"null_fdlist_mt":         {err: &errNullFdlist, cb: "none"},
	"null_fdlist_conn_st":    {err: &errNullFdlist, cb: "conn:8"},
	"readonly_mt":            {err: &errReadOnly, cb: "none"},
	"readonly_st":            {err: &errReadOnly, cb: "none"},
	"readonly_conn_mt":       {err: &errReadOnly, cb: "conn:29"},
	"readonly_global_st":     {err: &errReadOnly, cb: "global:29"},
	"readonly_flags_st":      {err: &errReadOnly, cb: "none"},
	"null_fdlist_flags_mt":   {err: &errNullFdlist, cb: "none"},
}

func ptr[T any](v T) *T { return &v }

// allNs is the fds= field of a full answer: init's six namespaces in the
// daemon's order, each close-on-exec.
const allNs = "user:cloexec,ipc:cloexec,uts:cloexec,net:cloexec,pid:cloexec,mnt:cloexec"

// checkOpenScenarios checks every line of one run of open_ns against the
// facts, for either library.
func checkOpenScenarios(t *testing.T, label string, r run, ours bool, inodes map[string]string) {
	t.Helper()
	if len(r.order) != len(openScenarios) {
		t.Errorf("%s: %d scenarios, want %d: %v", label, len(r.order), len(openScenarios), r.order)
	}
	for _, name := range r.order {
		sc, ok := openScenarios[name]
		if !ok {
			t.Errorf("%s: unexpected scenario %s", label, name)
			continue
		}
		where := label + "/" + name
		f := fields(r.lines[name])
		multi := strings.HasSuffix(name, "_mt")
		var want map[string]string
		if sc.err == nil {
			want = map[string]string{"ret": "6", "cb": sc.cb, "stderr": "",
				"fdlist": "set", "fds": allNs, "ino": inodes[sc.domain], "freed": "yes",
				"connerr": "0"}
		} else {
			e := sc.err.resolved(t)
			stderr := ""
			if sc.cb == "none" {
				// libvirt's default handler: "libvirt: <domain> error : <msg>".
				stderr = "libvirt: " + e.stderrName + " error : " + e.msg + `\n`
			}
			want = map[string]string{"ret": "-1", "code": e.code, "domain": e.domain,
				"level": "2", "msg": e.msg, "str1": e.str1, "str2": e.str2, "str3": "NULL",
				"int1": e.ints, "int2": e.ints, "conn": "NULL", "dom": "NULL",
				"cb": sc.cb, "stderr": stderr, "fdlist": e.fdlist, "connerr": e.connerr,
				"fds": ""}
		}
		if !multi {
			// The single-threaded caller stays single-threaded (ours: the
			// call ran in its core process).
			want["threads"] = "1"
		}
		// Ours serves every call that gets past the client-side checks in
		// the caller's core process, never with the Go core in the caller;
		// libvirt's library has no core.
		by := servedNowhere
		if ours && (sc.err == nil || sc.err.daemon) {
			by = servedByCoreProc
		}
		want["core"] = "no"
		expect(t, where, f, want)
		if _, noerr := f["noerror"]; noerr != (sc.err == nil) {
			t.Errorf("%s: noerror present: %v, want %v", where, noerr, sc.err == nil)
		}
		checkNewFds(t, where, f["new"], by)
	}
}

// openInodes reads the answer each domain must produce.
func openInodes(t *testing.T) map[string]string {
	return map[string]string{
		"lxcgo-plain":  wantInodes(initNamespaces(t, "lxcgo-plain")),
		"lxcgo-userns": wantInodes(initNamespaces(t, "lxcgo-userns")),
	}
}

// openBoth runs open_ns with args against both libraries.
func openBoth(t *testing.T, args ...string) (ours, sys run) {
	t.Helper()
	return executeBoth(t, "open_ns", args...)
}

func TestOpenNamespace(t *testing.T) {
	testbed(t)
	inodes := openInodes(t)
	ours, sys := openBoth(t)
	compareRuns(t, "open_ns (-ours +system)", ours, sys, openPerLibrary...)
	checkOpenScenarios(t, "ours", ours, true, inodes)
	checkOpenScenarios(t, "system", sys, false, inodes)
}

// Issue 5: 16 threads calling at once, 1000 calls each, every answer right
// (six fds, init's namespaces in order, close-on-exec).
func TestOpenNamespaceSixteenThreads(t *testing.T) {
	testbed(t)
	ours, sys := openBoth(t, "stress", "16", "1000")
	compareRuns(t, "stress (-ours +system)", ours, sys, "core", "sockets", "ms")
	want := map[string]string{"threads": "16", "calls": "16000", "ok": "16000",
		"wrong": "0", "errors": "0", "first_error": "", "ns_leaked": "0", "other_leaked": "0"}
	o, s := fields(ours.lines["stress"]), fields(sys.lines["stress"])
	expect(t, "ours", o, want)
	expect(t, "system", s, want)
	// Both share one connection between the threads, opened before the run.
	expect(t, "ours", o, map[string]string{"core": "no", "sockets": "+0"})
	expect(t, "system", s, map[string]string{"core": "no", "sockets": "+0"})
	t.Logf("16x1000 calls: ours %s ms, system %s ms", o["ms"], s["ms"])
}

// The daemon restarted between two calls. Ours keeps its own
// connection, which dies with the daemon: the next call must succeed
// without the caller noticing. The caller's virConnectPtr dies too; with
// libvirt's library a call on it fails, with ours it does not (ours never
// sends on the caller's connection): sameconn_* is checked apart.
func TestOpenNamespaceDaemonRestart(t *testing.T) {
	testbed(t)
	inodes := openInodes(t)
	restart := []string{"restart", "env", "LXCGO_DAEMON_RESTART=1", "bash", upScript(t)}
	prog := program(t, "open_ns")

	pid0 := daemonPid(t)
	ours := execute(t, prog, false, restart...)
	pid1 := daemonPid(t)
	sys := execute(t, prog, true, restart...)
	pid2 := daemonPid(t)
	checkLibs(t, ours, sys)
	if pid0 == pid1 || pid1 == pid2 {
		t.Fatalf("the daemon was not restarted: pids %d, %d, %d", pid0, pid1, pid2)
	}
	compareRuns(t, "restart (-ours +system)", ours, sys, "core", "sameconn_ret",
		"sameconn_exact", "sameconn_code", "sameconn_msg")
	want := map[string]string{"ret": "6", "code": "", "before": "ok", "restart_rc": "0",
		"fds": allNs, "ino": inodes["lxcgo-plain"], "freed": "yes"}
	o, s := fields(ours.lines["restart"]), fields(sys.lines["restart"])
	expect(t, "ours", o, want)
	expect(t, "system", s, want)
	expect(t, "ours", o, map[string]string{"core": "no",
		"sameconn_ret": "6", "sameconn_exact": "yes", "sameconn_code": "0"})
	expect(t, "system", s, map[string]string{"core": "no", "sameconn_ret": "-1"})
	t.Logf("call on the dead connection, system library: code %s %q", s["sameconn_code"], s["sameconn_msg"])
}

// libvirtd itself loading our libvirt-lxc.so.0: its remote dispatcher calls
// virDomainLxcOpenNamespace through it, and the daemon's one core process
// serves the call from the daemon's state files; the Go core never loads in
// the daemon, whose threads stay those it has with libvirt's library.
// Clients with either library must get exactly what the daemon with
// libvirt's library gives.
func TestOpenNamespaceDaemonWithOurLibrary(t *testing.T) {
	sysLibReal, err := filepath.EvalSymlinks(systemLib)
	if err != nil {
		t.Fatal(err)
	}
	core := filepath.Join(buildDir(t), "libvirt-lxc-core.so")

	testbedEnv(t, "LXCGO_DAEMON_LIBRARY_PATH=")
	if m := mappedFiles(t, daemonPid(t)); !m[sysLibReal] || m[ourLib(t)] {
		t.Fatalf("daemon with the system library: system mapped %v, ours mapped %v", m[sysLibReal], m[ourLib(t)])
	}
	inodes := openInodes(t)
	baseOurs, baseSys := openBoth(t)
	openBoth(t, "stress", "16", "100")
	sysThreads := daemonFixedThreads(t, daemonPid(t))

	t.Cleanup(func() { testbedEnv(t, "LXCGO_DAEMON_LIBRARY_PATH=") })
	testbedEnv(t, "LXCGO_DAEMON_LIBRARY_PATH="+buildDir(t))
	pid := daemonPid(t)
	m := mappedFiles(t, pid)
	if !m[ourLib(t)] || m[sysLibReal] {
		t.Fatalf("daemon %d: our %s mapped %v, system one mapped %v", pid, ourLib(t), m[ourLib(t)], m[sysLibReal])
	}
	// Loaded on demand only. (Another test talking to the daemon at this
	// very moment could load it first; nothing else here does.)
	if m[core] {
		t.Errorf("daemon %d mapped %s before any OpenNamespace call", pid, core)
	}

	ours, sys := openBoth(t)
	stressOurs, stressSys := openBoth(t, "stress", "16", "100")
	if got := daemonPid(t); got != pid {
		t.Fatalf("the daemon changed while the scenarios ran (pid %d, then %d)", pid, got)
	}
	if mappedFiles(t, pid)[core] {
		t.Errorf("daemon %d loaded %s: the Go core must run in its core process", pid, core)
	}
	if procs := coreProcsOf(t, pid); len(procs) != 1 {
		t.Errorf("daemon %d is served by core processes %v, want exactly one", pid, procs)
	}
	if got := daemonFixedThreads(t, pid); got != sysThreads {
		t.Errorf("daemon %d has %d threads besides its worker pools, %d with the system library",
			pid, got, sysThreads)
	}

	compareRuns(t, "client ours: daemon system (-) vs ours (+)", baseOurs, ours)
	compareRuns(t, "client system: daemon system (-) vs ours (+)", baseSys, sys)
	checkOpenScenarios(t, "ours", ours, true, inodes)
	checkOpenScenarios(t, "system", sys, false, inodes)
	want := map[string]string{"calls": "1600", "ok": "1600", "wrong": "0", "errors": "0"}
	expect(t, "stress, client ours", fields(stressOurs.lines["stress"]), want)
	expect(t, "stress, client system", fields(stressSys.lines["stress"]), want)
}
