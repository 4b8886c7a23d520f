//go:build live

package live

// access_drivers in the daemon's config (issue 10): libvirtd runs its
// access driver on every call; our library, serving
// virDomainLxcOpenNamespace inside the daemon, cannot, so it refuses
// whenever the config file the daemon read enables one, however the setting
// is written and however the file is named on the daemon's command line.
// The "none" access driver allows everything, so with libvirt's library in
// the same daemon, with the same config, the call is served: the refusal is
// ours, the deliberate difference.

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// accessConfFile is the test bed daemon's config file when it is given
// extra settings (tests/testbed/up.sh, EXTRA_CONF), and accessConfDir the
// directory a relative name of it is relative to (its STATE).
const (
	accessConfFile = "/run/lxcgo-testbed/libvirtd-extra.conf"
	accessConfDir  = "/run/lxcgo-testbed"
)

// Codes of libvirt's virterror.h that the refusal carries.
const (
	errAccessDenied = 88 // VIR_ERR_ACCESS_DENIED
	fromAccess      = 55 // VIR_FROM_ACCESS
)

// accessCase is one daemon configuration.
type accessCase struct {
	name      string
	extra     string // LXCGO_DAEMON_CONF_EXTRA
	configArg string // LXCGO_DAEMON_CONFIG_ARG ("" is "--config PATH")
	// refusal: what the refusal's message must say; "" when the call is
	// served.
	refusal string
	// system: also run with libvirt's library in the daemon, which must
	// serve the call. Once is enough: the daemon parses its config
	// itself, whichever libvirt-lxc.so.0 it loads (each case's run with
	// ours shows that it starts with that config), and each restart
	// costs seconds.
	system bool
}

const (
	accessNone = `access_drivers = [ "none" ]`
	// What our refusal says of the setting that counts.
	refusedNone = accessNone + " in " + accessConfFile + " enables access control in libvirtd"
)

var accessCases = []accessCase{
	{name: "plain", extra: accessNone, refusal: refusedNone, system: true},
	{name: "short_joined", extra: accessNone, configArg: "-fPATH", refusal: refusedNone},
	{name: "long_abbreviated", extra: accessNone, configArg: "--conf=PATH", refusal: refusedNone},
	{name: "relative", extra: accessNone, configArg: "-f REL", refusal: refusedNone},
	// -d: the daemon forks into the background after reading its config.
	{name: "daemonized", extra: accessNone, configArg: "-df PATH", refusal: refusedNone},
	// ... and changes to "/", so a relative name no longer says which
	// file it read (libvirt read it before).
	{name: "daemonized_relative", extra: accessNone, configArg: "-d -f REL",
		refusal: "libvirtd (pid PID) was given the relative config file name " +
			filepath.Base(accessConfFile) + " and has since changed directory (-d)"},
	{name: "one_line", extra: `log_outputs = "3:stderr"; ` + accessNone, refusal: refusedNone},
	{name: "list_over_lines", extra: "access_drivers = [\n    \"none\"\n]", refusal: refusedNone},
	// libvirt's virConfGetValue takes the first of two settings of a key:
	// libvirtd starts with [ "none" ] then [ "nosuch" ], and exits on the
	// reverse ("Cannot find security driver 'nosuch'").
	{name: "twice", extra: accessNone + "\naccess_drivers = [ ]", refusal: refusedNone},
	{name: "empty_list", extra: "access_drivers = [ ]"},
}

// accessDaemon restarts the test bed's daemon with library lib (""
// libvirt's) and the config of c, and puts the usual daemon back when the
// test ends. It returns the daemon's pid.
func accessDaemon(t *testing.T, lib string, c accessCase) int {
	t.Helper()
	testbedEnv(t, "LXCGO_DAEMON_LIBRARY_PATH="+lib, "LXCGO_DAEMON_ACTIVATION=", "LXCGO_DAEMON_DRIVERS=",
		"LXCGO_DAEMON_CONF_EXTRA="+c.extra, "LXCGO_DAEMON_CONFIG_ARG="+c.configArg)
	pid := daemonPid(t)
	// The daemon runs with what was asked for: its library, its config
	// argument (the file named as up.sh says), its config file's text.
	sysLib, err := filepath.EvalSymlinks(systemLib)
	if err != nil {
		t.Fatal(err)
	}
	m := mappedFiles(t, pid)
	if lib == "" && (!m[sysLib] || m[ourLib(t)]) || lib != "" && (!m[ourLib(t)] || m[sysLib]) {
		t.Fatalf("%s: daemon %d maps the system library: %v, ours: %v", c.name, pid, m[sysLib], m[ourLib(t)])
	}
	arg := c.configArg
	if arg == "" {
		arg = "--config PATH"
	}
	arg = strings.NewReplacer("PATH", accessConfFile, "REL", filepath.Base(accessConfFile)).Replace(arg)
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.ReplaceAll(strings.TrimSuffix(string(cmdline), "\x00"), "\x00", " "); !strings.HasSuffix(got, " "+arg) {
		t.Fatalf("%s: daemon %d runs %q, want it to end in %q", c.name, pid, got, arg)
	}
	text, err := os.ReadFile(accessConfFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(text), "\n"+c.extra+"\n") {
		t.Fatalf("%s: %s holds %q, want it to end in %q", c.name, accessConfFile, text, c.extra)
	}
	return pid
}

// accessScenario is the drivers program's call on lxcgo-plain.
var accessScenario = [][4]string{{"lxc", "lxc:///system", "lxcgo-plain", "0"}}

// Every form of an access_drivers setting, with our library in the daemon:
// both clients' calls refused with VIR_ERR_ACCESS_DENIED from
// VIR_FROM_ACCESS, saying which setting of which file; the same config with
// libvirt's library in the daemon serves them (six fds). An empty list is
// no access driver: served by ours too.
func TestAccessDriversRefused(t *testing.T) {
	t.Cleanup(func() {
		testbedEnv(t, "LXCGO_DAEMON_LIBRARY_PATH=", "LXCGO_DAEMON_ACTIVATION=", "LXCGO_DAEMON_DRIVERS=",
			"LXCGO_DAEMON_CONF_EXTRA=", "LXCGO_DAEMON_CONFIG_ARG=")
	})
	for _, c := range accessCases {
		t.Run(c.name, func(t *testing.T) { checkAccessCase(t, c) })
	}
}

// checkAccessCase runs the call of both clients on the daemon configured as
// c says, with libvirt's library in it when c.system and then with ours.
func checkAccessCase(t *testing.T, c accessCase) {
	served := map[string]map[string]string{"lxc": driverWant["lxc"]}
	if c.system {
		accessDaemon(t, "", c)
		ours, sys := driversBoth(t, accessScenario)
		checkDrivers(t, "daemon system, client ours", ours, served)
		checkDrivers(t, "daemon system, client system", sys, served)
	}

	pid := accessDaemon(t, buildDir(t), c)
	ours, sys := driversBoth(t, accessScenario)
	compareRuns(t, "daemon ours: client system (-) vs ours (+)", sys, ours)
	want := served
	if c.refusal != "" {
		want = map[string]map[string]string{"lxc": {"ret": "-1", "code": strconv.Itoa(errAccessDenied),
			"domain": strconv.Itoa(fromAccess), "level": "2",
			"str1": libvirtTemplate(t, errAccessDenied), "fdlist": "null"}}
	}
	for client, r := range map[string]run{"ours": ours, "system": sys} {
		where := "daemon ours, client " + client
		checkDrivers(t, where, r, want)
		if c.refusal == "" {
			continue
		}
		msg := unquote(fields(r.lines["lxc"])["msg"])
		detail := strings.ReplaceAll(c.refusal, "PID", strconv.Itoa(pid))
		if !strings.HasPrefix(msg, libvirtMessage(t, errAccessDenied, "")) || !strings.Contains(msg, detail) {
			t.Errorf("%s: message %q, want libvirt's access denied saying %q", where, msg, detail)
		}
	}
}

// unquote undoes tc.h's quoting of a string field (tcQuote).
func unquote(s string) string {
	return strings.NewReplacer(`\\`, `\`, `\"`, `"`, `\n`, "\n").Replace(s)
}
