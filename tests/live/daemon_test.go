//go:build live

package live

// Our library inside libvirt's daemon, however the daemon was started and
// whichever drivers it has, and our library on connections of drivers other
// than LXC (issue 10): every answer must be the system library's, and no
// call may wait on the daemon it is made in.

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// daemonSocketPath is the test bed daemon's socket as it binds it.
const daemonSocketPath = "/run/libvirt/libvirt-sock"

// daemonSettings restarts the test bed's daemon with these settings
// (tests/testbed/up.sh) and puts the usual ones back when the test ends.
func daemonSettings(t *testing.T, lib, activation, drivers string) {
	t.Helper()
	t.Cleanup(func() {
		testbedEnv(t, "LXCGO_DAEMON_LIBRARY_PATH=", "LXCGO_DAEMON_ACTIVATION=", "LXCGO_DAEMON_DRIVERS=",
			"LXCGO_DAEMON_CONF_EXTRA=", "LXCGO_DAEMON_CONFIG_ARG=")
	})
	testbedEnv(t, "LXCGO_DAEMON_LIBRARY_PATH="+lib, "LXCGO_DAEMON_ACTIVATION="+activation,
		"LXCGO_DAEMON_DRIVERS="+drivers, "LXCGO_DAEMON_CONF_EXTRA=", "LXCGO_DAEMON_CONFIG_ARG=")
}

// driverCases are the drivers program's scenarios: NAME URI DOMAIN RO.
// test:///default is libvirt's test driver, run inside the client; the
// QEMU domain (defined only) is reached through the remote driver.
var driverCases = [][4]string{
	{"test", "test:///default", "test", "0"},
	{"test_ro", "test:///default", "test", "1"},
	{"qemu", "qemu:///system", "lxcgo-qemu", "0"},
	{"qemu_ro", "qemu:///system", "lxcgo-qemu", "1"},
	{"lxc", "lxc:///system", "lxcgo-plain", "0"},
}

// driversBoth runs the drivers program with both libraries on cases.
func driversBoth(t *testing.T, cases [][4]string) (ours, sys run) {
	t.Helper()
	var args []string
	for _, c := range cases {
		args = append(args, c[:]...)
	}
	prog := program(t, "drivers")
	ours = execute(t, prog, false, args...)
	sys = execute(t, prog, true, args...)
	checkLibs(t, ours, sys)
	return ours, sys
}

// What libvirt answers on each driver: "not supported" from the driver
// that lacks the call, *fdlist left alone by a driver of the client's
// process and cleared by the remote driver before it asks the daemon; the
// read-only check first in any case.
var driverWant = map[string]map[string]string{
	"test":    {"ret": "-1", "code": "3", "domain": "0", "fdlist": "kept"},
	"test_ro": {"ret": "-1", "code": "29", "domain": "0", "fdlist": "kept"},
	"qemu":    {"ret": "-1", "code": "3", "domain": "0", "fdlist": "null"},
	"qemu_ro": {"ret": "-1", "code": "29", "domain": "0", "fdlist": "kept"},
	"lxc":     {"ret": "6", "noerror": "", "fdlist": "set", "n": "6"},
}

func checkDrivers(t *testing.T, where string, r run, want map[string]map[string]string) {
	t.Helper()
	for name, w := range want {
		line, ok := r.lines[name]
		if !ok {
			t.Errorf("%s: no line for %s", where, name)
			continue
		}
		expect(t, where+"/"+name, fields(line), w)
	}
}

// The test and QEMU drivers, with the daemon running either library: the
// same error, the same *fdlist as libvirt's library, on every connection.
func TestOpenNamespaceOtherDrivers(t *testing.T) {
	daemonSettings(t, "", "", "")
	ours, sys := driversBoth(t, driverCases)
	compareRuns(t, "daemon system: client system (-) vs ours (+)", sys, ours)
	checkDrivers(t, "daemon system, client system", sys, driverWant)
	checkDrivers(t, "daemon system, client ours", ours, driverWant)

	daemonSettings(t, buildDir(t), "", "")
	ours2, sys2 := driversBoth(t, driverCases)
	compareRuns(t, "daemon ours: client system (-) vs ours (+)", sys2, ours2)
	compareRuns(t, "client system: daemon system (-) vs ours (+)", sys, sys2)
	checkDrivers(t, "daemon ours, client ours", ours2, driverWant)
}

// listeningInode is the inode of the listening socket bound at path
// (/proc/net/unix), 0 if none.
func listeningInode(t *testing.T, path string) uint64 {
	t.Helper()
	data, err := os.ReadFile("/proc/net/unix")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 8 && f[7] == path && f[3] == "00010000" {
			ino, _ := strconv.ParseUint(f[6], 10, 64)
			return ino
		}
	}
	return 0
}

// holdsSocket reports whether pid has an fd on the socket with inode ino.
func holdsSocket(t *testing.T, pid int, ino uint64) bool {
	t.Helper()
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := "socket:[" + strconv.FormatUint(ino, 10) + "]"
	for _, e := range ents {
		if l, _ := os.Readlink(dir + "/" + e.Name()); l == want {
			return true
		}
	}
	return false
}

// parentOf is pid's parent.
func parentOf(t *testing.T, pid int) int {
	t.Helper()
	ppid, err := strconv.Atoi(procStatus(pid, "PPid"))
	if err != nil {
		t.Fatalf("parent of %d: %v", pid, err)
	}
	return ppid
}

// A socket-activated libvirtd with our library: started by
// systemd-socket-activate (which execs the daemon in its own place) and by
// an activator that stays the daemon's parent holding the sockets, as
// systemd does. (libvirtd calls listen() again on the sockets it is given,
// which makes their SO_PEERCRED its own in both cases; our library does
// not rely on that.) Every client's calls get what the daemon with the
// system library answers; the daemon serves them from its one core process.
func TestOpenNamespaceSocketActivatedDaemon(t *testing.T) {
	daemonSettings(t, "", "", "")
	inodes := openInodes(t)
	baseOurs, baseSys := openBoth(t)
	baseDrvOurs, baseDrvSys := driversBoth(t, driverCases)

	for _, activation := range []string{"systemd", "listener"} {
		t.Run(activation, func(t *testing.T) {
			daemonSettings(t, buildDir(t), activation, "")
			pid := daemonPid(t)
			// The case is the one named: the daemon serves the socket it
			// was given, and the activator still holds it.
			ino := listeningInode(t, daemonSocketPath)
			if ino == 0 || !holdsSocket(t, pid, ino) {
				t.Fatalf("daemon %d does not hold the socket listening at %s", pid, daemonSocketPath)
			}
			if activation == "listener" && !holdsSocket(t, parentOf(t, pid), ino) {
				t.Fatalf("the activator of daemon %d does not hold %s", pid, daemonSocketPath)
			}
			if !mappedFiles(t, pid)[ourLib(t)] {
				t.Fatalf("daemon %d does not run our library", pid)
			}
			ours, sys := openBoth(t)
			compareRuns(t, "client ours: daemon system (-) vs ours (+)", baseOurs, ours)
			compareRuns(t, "client system: daemon system (-) vs ours (+)", baseSys, sys)
			checkOpenScenarios(t, "ours", ours, true, inodes)
			checkOpenScenarios(t, "system", sys, false, inodes)
			drvOurs, drvSys := driversBoth(t, driverCases)
			compareRuns(t, "drivers, client ours: daemon system (-) vs ours (+)", baseDrvOurs, drvOurs)
			compareRuns(t, "drivers, client system: daemon system (-) vs ours (+)", baseDrvSys, drvSys)
			if got := daemonPid(t); got != pid {
				t.Fatalf("the daemon changed while the scenarios ran (pid %d, then %d)", pid, got)
			}
			if procs := coreProcsOf(t, pid); len(procs) != 1 {
				t.Errorf("daemon %d is served by core processes %v, want exactly one", pid, procs)
			}
		})
	}
}

// A libvirtd whose LXC driver cannot be loaded, with our library, socket
// activated by a parent that keeps the sockets (so that its sockets' peer
// is not the daemon): a client's call on a QEMU domain reaches the daemon's
// QEMU driver, which must answer as libvirt's does, never by calling the
// daemon's own socket; a connection to lxc:/// fails alike.
func TestOpenNamespaceDaemonWithoutLXCDriver(t *testing.T) {
	cases := [][4]string{driverCases[2], driverCases[3], driverCases[0],
		{"lxc_nodriver", "lxc:///system", "lxcgo-plain", "0"}}
	daemonSettings(t, "", "listener", "nolxc")
	baseOurs, baseSys := driversBoth(t, cases)
	compareRuns(t, "daemon system: client system (-) vs ours (+)", baseSys, baseOurs)
	if l := baseSys.lines["lxc_nodriver"]; !strings.Contains(l, "connect=failed") {
		t.Fatalf("lxc:///system opened on a daemon without the LXC driver: %s", l)
	}

	daemonSettings(t, buildDir(t), "listener", "nolxc")
	pid := daemonPid(t)
	if !mappedFiles(t, pid)[ourLib(t)] {
		t.Fatalf("daemon %d does not run our library", pid)
	}
	ours, sys := driversBoth(t, cases)
	compareRuns(t, "client ours: daemon system (-) vs ours (+)", baseOurs, ours)
	compareRuns(t, "client system: daemon system (-) vs ours (+)", baseSys, sys)
	checkDrivers(t, "daemon ours, client ours", ours, map[string]map[string]string{
		"qemu": driverWant["qemu"], "qemu_ro": driverWant["qemu_ro"], "test": driverWant["test"]})
	if got := daemonPid(t); got != pid {
		t.Fatalf("the daemon changed while the scenarios ran (pid %d, then %d)", pid, got)
	}
}

// The whole client suite with our library in libvirtd: virsh, Python,
// virt-login-shell's helper, the Go binding and the cgo dlopen client, each
// with both client libraries. Each client test compares its two runs with
// each other and with the container itself (its init's namespaces, what a
// shell inside sees), and runs unchanged here, so the daemon running ours
// gives every client what it gets from the daemon running libvirt's.
func TestClientsWithOurLibraryInDaemon(t *testing.T) {
	daemonSettings(t, buildDir(t), "", "")
	pid := daemonPid(t)
	if !mappedFiles(t, pid)[ourLib(t)] {
		t.Fatalf("daemon %d does not run our library", pid)
	}
	for _, c := range []struct {
		name string
		test func(*testing.T)
	}{
		{"virsh", TestClientVirsh},
		{"python", TestClientPython},
		{"login-shell", TestClientLoginShell},
		{"go-binding", TestClientGoBinding},
		{"go-dlopen", TestClientGoDlopen},
	} {
		t.Run(c.name, c.test)
	}
	if got := daemonPid(t); got != pid {
		t.Fatalf("the daemon changed while the clients ran (pid %d, then %d)", pid, got)
	}
	if procs := coreProcsOf(t, pid); len(procs) != 1 {
		t.Errorf("daemon %d is served by core processes %v, want exactly one", pid, procs)
	}
}
