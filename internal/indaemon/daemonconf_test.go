// Tests of what the daemon read (args, config, access_drivers) and of
// the driver.pid lock, on fake /proc trees and real helper processes.

package indaemon

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/libvirt-lxc-go/libvirt-lxc/internal/virconf/virconftest"

	"github.com/libvirt-lxc-go/libvirt-lxc/internal/report"
	"github.com/libvirt-lxc-go/libvirt-lxc/internal/virconf"
)

// helperEnv makes the test binary a helper process (see init): "wait"
// waits for its stdin to close; "lock:<path>:<type>:<start>:<len>" first
// writes its pid to path and takes that fcntl lock on it, then says
// "ready".
const helperEnv = "LXCGO_CORE_TEST_HELPER"

func init() {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		return
	}
	if strings.HasPrefix(mode, "lock:") {
		f := strings.Split(mode, ":")
		fd, err := unix.Open(f[1], unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o644)
		if err != nil {
			os.Exit(2)
		}
		unix.Write(fd, []byte(strconv.Itoa(os.Getpid())))
		typ, _ := strconv.Atoi(f[2])
		start, _ := strconv.ParseInt(f[3], 10, 64)
		length, _ := strconv.ParseInt(f[4], 10, 64)
		lk := unix.Flock_t{Type: int16(typ), Whence: io.SeekStart, Start: start, Len: length}
		if unix.FcntlFlock(uintptr(fd), unix.F_SETLK, &lk) != nil {
			os.Exit(3)
		}
	}
	os.Stdout.WriteString("ready\n")
	io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

// startHelper runs the test binary as a helper, as program name prog when
// given (a copy of the binary under that name), with args; it returns once
// the helper is ready and stops it at the end of the test.
func startHelper(t *testing.T, mode, prog string, args ...string) *exec.Cmd {
	t.Helper()
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if prog != "" {
		data, err := os.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		bin = filepath.Join(t.TempDir(), prog)
		if err := os.WriteFile(bin, data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close(); cmd.Wait() })
	if line, _ := bufio.NewReader(out).ReadString('\n'); line != "ready\n" {
		t.Fatalf("helper %s: %q", mode, line)
	}
	return cmd
}

// procDaemon describes the daemon a fake /proc tree shows.
type procDaemon struct {
	pid   int // the caller; os.Getpid() when 0
	exe   string
	argv  []string
	cwd   string
	euid  int
	env   []string
	start time.Time
	comm  string // in /proc/<pid>/stat
	locks string
	// Unlike this process when set: pid namespace of /proc, mount
	// namespace of the daemon.
	otherPidNS, otherMntNS bool
}

// fakeProc builds a /proc tree for d and returns a Host that reads it.
func fakeProc(t *testing.T, d procDaemon) *Host {
	t.Helper()
	root := t.TempDir()
	self := os.Getpid()
	if d.pid == 0 {
		d.pid = self
	}
	if d.comm == "" {
		d.comm = filepath.Base(d.exe)
	}
	mk := func(pid int, name, data string) {
		p := filepath.Join(root, strconv.Itoa(pid), name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, name string) {
		os.MkdirAll(filepath.Dir(filepath.Join(root, name)), 0o755)
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	selfLink := strconv.Itoa(self)
	if d.otherPidNS {
		selfLink = "1"
	}
	link(selfLink, "self")
	ours := strconv.Itoa(self)
	link("mnt:[4026531841]", ours+"/ns/mnt")
	link("/", ours+"/root")
	dp := strconv.Itoa(d.pid)
	if d.pid != self {
		mnt := "mnt:[4026531841]"
		if d.otherMntNS {
			mnt = "mnt:[4026532000]"
		}
		link(mnt, dp+"/ns/mnt")
		link("/", dp+"/root")
	} else if d.otherMntNS {
		t.Fatal("the caller's mount namespace is ours")
	}
	mk(d.pid, "cmdline", strings.Join(d.argv, "\x00")+"\x00")
	link(d.exe, dp+"/exe")
	link(d.cwd, dp+"/cwd")
	e := strconv.Itoa(d.euid)
	mk(d.pid, "status", "Name:\tx\nUid:\t"+e+"\t"+e+"\t"+e+"\t"+e+"\nGid:\t0\t0\t0\t0\n")
	mk(d.pid, "environ", strings.Join(d.env, "\x00")+"\x00")
	// Boot a day before the start: a field read for starttime by mistake
	// (all are small) puts the start a day early, before every file.
	const upSeconds = 24 * 3600
	boot := d.start.Unix() - upSeconds
	fields := []string{"S", "1", "1", "1", "0", "-1", "4194560", "0", "0", "0", "0", "0", "0", "0", "0",
		"20", "0", "1", "0", strconv.Itoa(upSeconds * userHZ), "0"}
	mk(d.pid, "stat", dp+" ("+d.comm+") "+strings.Join(fields, " ")+"\n")
	os.WriteFile(filepath.Join(root, "stat"), []byte("cpu  1 2 3\nbtime "+strconv.FormatInt(boot, 10)+"\nprocesses 9\n"), 0o644)
	os.WriteFile(filepath.Join(root, "locks"), []byte(d.locks), 0o644)
	h := freshHost()
	h.Proc = root
	return h
}

// freshHost is a Host on the real system's paths with nothing learnt yet.
func freshHost() *Host {
	s := System()
	return &Host{Proc: s.Proc, StateDir: s.StateDir, ConfigDir: s.ConfigDir}
}

// lockLine is the /proc/locks line of the LXC driver's lock by pid on path.
func lockLine(t *testing.T, path string, pid int) string {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	dev := uint64(st.Dev)
	return "1: POSIX  ADVISORY  WRITE " + strconv.Itoa(pid) + " " + hex2(unix.Major(dev)) + ":" +
		hex2(unix.Minor(dev)) + ":" + strconv.FormatUint(st.Ino, 10) + " 0 0\n"
}

func TestParseDaemonArgs(t *testing.T) {
	const def = "(default)"
	tests := []struct {
		prog string
		args []string
		want string // the config file, def, or "!" + part of the error
		dmn  bool
	}{
		{"libvirtd", nil, def, false},
		{"libvirtd", []string{"-f", "/a"}, "/a", false},
		{"libvirtd", []string{"-f/a"}, "/a", false},
		{"libvirtd", []string{"--config=/a"}, "/a", false},
		{"libvirtd", []string{"--config", "/a"}, "/a", false},
		{"libvirtd", []string{"--conf=/a"}, "/a", false},
		{"virtlxcd", []string{"--c", "/a"}, "/a", false},
		{"virtlxcd", []string{"--co=/a"}, "/a", false},
		{"libvirtd", []string{"-df", "/a"}, "/a", true},
		{"libvirtd", []string{"-vdf/a"}, "/a", true},
		{"libvirtd", []string{"-fd"}, "d", false}, // the rest of the word is the argument
		{"libvirtd", []string{"-f", "/a", "-f", "/b"}, "/b", false},
		{"libvirtd", []string{"--config=/a", "-f/b"}, "/b", false},
		{"libvirtd", []string{"-f", "-d"}, "-d", false},
		{"libvirtd", []string{"--config", "--daemon"}, "--daemon", false},
		{"libvirtd", []string{"--config="}, "", false},
		{"libvirtd", []string{"-d", "--"}, def, true},
		{"libvirtd", []string{"--daemon", "--verb", "--d"}, def, true},
		{"libvirtd", []string{"-t", "30", "-p", "/run/x.pid", "-f", "/a"}, "/a", false},
		{"libvirtd", []string{"-t30", "--timeout=5", "--pid-file", "-f"}, def, false},
		{"libvirtd", []string{"-l", "--listen", "--l", "-ldf/a"}, "/a", true},
		{"virtlxcd", []string{"-l"}, "!unknown option -l", false},
		{"virtqemud", []string{"--listen"}, "!unknown option --listen", false},
		{"virtlxcd", []string{"--l"}, "!unknown option --l", false},
		{"libvirtd", []string{"--", "-f", "/a"}, "!non-option", false},
		{"libvirtd", []string{"/a"}, "!non-option", false},
		{"libvirtd", []string{"-f", "/a", "extra"}, "!non-option", false},
		{"libvirtd", []string{"extra", "-f", "/a"}, "!non-option", false},
		{"libvirtd", []string{"-"}, "!non-option", false},
		{"libvirtd", []string{"-f"}, "!lacks its argument", false},
		{"libvirtd", []string{"-d", "--config"}, "!lacks its argument", false},
		{"libvirtd", []string{"--v"}, "!ambiguous", false},
		{"libvirtd", []string{"--=/a"}, "!ambiguous", false},
		{"libvirtd", []string{"--daemon=1"}, "!takes no argument", false},
		{"libvirtd", []string{"-x"}, "!unknown option -x", false},
		{"libvirtd", []string{"-d:"}, "!unknown option -:", false},
		{"libvirtd", []string{"--configfile=/a"}, "!unknown option", false},
		{"libvirtd", []string{"-V"}, "!exits at once", false},
		{"libvirtd", []string{"--he"}, "!exits at once", false},
	}
	for _, tc := range tests {
		a, err := parseDaemonArgs(tc.prog, tc.args)
		got := a.config
		if !a.hasConfig {
			got = def
		}
		if err != nil {
			got = "!" + err.Error()
		}
		ok := got == tc.want
		if strings.HasPrefix(tc.want, "!") {
			ok = strings.HasPrefix(got, "!") && strings.Contains(got, tc.want[1:])
		}
		if !ok || (err == nil && a.daemonize != tc.dmn) {
			t.Errorf("%s %q: got %q daemonize=%v, want %q daemonize=%v", tc.prog, tc.args, got, a.daemonize, tc.want, tc.dmn)
		}
	}
}

func TestDaemonConfigFile(t *testing.T) {
	tests := []struct {
		prog string
		args []string
		euid int
		env  map[string]string
		cwd  string
		want string // path, or "!" + part of the error
		expl bool
	}{
		{"libvirtd", nil, 0, nil, "/", "/etc/libvirt/libvirtd.conf", false},
		{"virtlxcd", []string{"-d"}, 0, nil, "/", "/etc/libvirt/virtlxcd.conf", false},
		{"libvirtd", []string{"-f", "/etc/x.conf"}, 0, nil, "/", "/etc/x.conf", true},
		{"virtqemud", nil, 1000, map[string]string{"XDG_CONFIG_HOME": "/x", "HOME": "/h"}, "/", "/x/libvirt/virtqemud.conf", false},
		{"libvirtd", nil, 1000, map[string]string{"HOME": "/home/u"}, "/", "/home/u/.config/libvirt/libvirtd.conf", false},
		{"libvirtd", nil, 1000, map[string]string{"XDG_CONFIG_HOME": "", "HOME": "/h"}, "/", "/h/.config/libvirt/libvirtd.conf", false},
		{"libvirtd", nil, 1000, nil, "/", "!without $HOME", false},
		{"libvirtd", nil, 1000, map[string]string{"XDG_CONFIG_HOME": "cfg"}, "/w", "/w/cfg/libvirt/libvirtd.conf", false},
		{"libvirtd", []string{"-f", "my.conf"}, 0, nil, "/srv", "/srv/my.conf", true},
		{"libvirtd", []string{"--config=../my.conf"}, 0, nil, "/srv/a", "/srv/my.conf", true},
		{"libvirtd", []string{"-f", "my.conf", "-d"}, 0, nil, "/", "!changed directory (-d)", false},
		{"libvirtd", []string{"-f", "my.conf"}, 0, nil, "/gone (deleted)", "!directory is gone", false},
		{"libvirtd", []string{"--config="}, 0, nil, "/", "!empty config file name", false},
		{"libvirtd", []string{"-f", "/a", "x"}, 0, nil, "/", "!non-option", false},
	}
	for _, tc := range tests {
		p := &daemonProc{pid: 7, prog: tc.prog, args: tc.args, euid: tc.euid, env: tc.env, cwd: tc.cwd}
		path, expl, err := daemonConfigFile(p)
		got := path
		if err != nil {
			got = "!" + err.Error()
		}
		ok := got == tc.want && expl == tc.expl
		if strings.HasPrefix(tc.want, "!") {
			ok = err != nil && strings.Contains(got, tc.want[1:])
		}
		if !ok {
			t.Errorf("%s %q euid %d env %v cwd %s: got %q explicit=%v, want %q explicit=%v",
				tc.prog, tc.args, tc.euid, tc.env, tc.cwd, got, expl, tc.want, tc.expl)
		}
	}
}

// checkFile runs checkConfigFile for a daemon started at start.
func checkFile(path string, explicit bool, start time.Time) error {
	return checkConfigFile(&daemonProc{pid: 7, prog: "libvirtd", start: start}, path, explicit)
}

func TestCheckConfigFile(t *testing.T) {
	later := time.Now().Add(time.Hour) // a daemon started after the files were written
	dir := t.TempDir()
	for i, r := range virconftest.Rows {
		path := filepath.Join(dir, strconv.Itoa(i)+".conf")
		os.WriteFile(path, []byte(r.Text), 0o600)
		err := checkFile(path, true, later)
		allowed := r.Access == "absent" || r.Access == "[]"
		if (err == nil) != allowed {
			t.Errorf("%s: access_drivers %s: got %v", r.Name, r.Access, err)
		}
	}

	conf := filepath.Join(dir, "libvirtd.conf")
	os.WriteFile(conf, []byte("access_drivers = []\n"), 0o600)
	refused := func(name string, err error, want string) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want an error with %q", name, err, want)
		}
	}
	if err := checkFile(conf, true, later); err != nil {
		t.Errorf("unchanged empty list: %v", err)
	}
	refused("changed after start", checkFile(conf, true, time.Now().Add(-time.Hour)), "restart the daemon")
	refused("changed just before the estimated start", checkFile(conf, true, time.Now().Add(startSlack/2)), "restart the daemon")
	// An old mtime does not hide the change: ctime tells.
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(conf, old, old)
	refused("mtime set back", checkFile(conf, true, time.Now().Add(-time.Hour)), "restart the daemon")

	missing := filepath.Join(dir, "none.conf")
	refused("explicit file missing", checkFile(missing, true, later), "no longer exists")
	if err := checkFile(missing, false, later); err != nil {
		t.Errorf("default file missing: %v", err)
	}
	if err := checkFile(filepath.Join(dir, "no", "such", "dir.conf"), false, later); err != nil {
		t.Errorf("default file's directory missing: %v", err)
	}
	refused("default file missing, its directory changed since", checkFile(missing, false, time.Now().Add(-time.Hour)), "may have had one")
	refused("a directory", checkFile(dir, true, later), "cannot read")

	big := filepath.Join(dir, "big.conf")
	f, _ := os.Create(big)
	f.Truncate(virconf.MaxSize + 1)
	f.Close()
	refused("too large", checkFile(big, true, later), "larger than libvirt reads")

	link := filepath.Join(t.TempDir(), "link.conf")
	os.Symlink(conf, link)
	refused("symlink made after start", checkFile(link, true, time.Now().Add(-time.Minute)), "restart the daemon")

	on := filepath.Join(dir, "on.conf")
	os.WriteFile(on, []byte("access_drivers = [ \"polkit\" ]\n"), 0o600)
	refused("access driver", checkFile(on, true, later), `access_drivers = [ "polkit" ] in `+on)
}

func TestCheckAccessControl(t *testing.T) {
	confDir := t.TempDir()
	off := filepath.Join(confDir, "off.conf")
	on := filepath.Join(confDir, "on.conf")
	os.WriteFile(off, []byte("# defaults\n"), 0o600)
	os.WriteFile(on, []byte("log_level = 3; access_drivers = [ \"polkit\" ]\n"), 0o600)
	later := time.Now().Add(time.Hour)
	daemon := func(argv ...string) procDaemon {
		return procDaemon{pid: 4242, exe: "/usr/sbin/libvirtd", argv: argv, cwd: confDir, start: later}
	}
	tests := []struct {
		name string
		d    procDaemon
		want string // "" allowed, else part of the error
	}{
		{"no access driver", daemon("/usr/sbin/libvirtd", "-f", off), ""},
		{"access driver", daemon("libvirtd", "--conf="+on), "enables access control in libvirtd"},
		{"relative, from its cwd", daemon("libvirtd", "-f", "on.conf"), "enables access control"},
		{"relative after -d", daemon("libvirtd", "-df", "off.conf"), "changed directory"},
		{"started before the file changed", procDaemon{pid: 4242, exe: "/usr/sbin/libvirtd", argv: []string{"libvirtd", "-f", off}, cwd: "/", start: time.Now().Add(-time.Hour)}, "restart the daemon"},
		{"upgraded executable", procDaemon{pid: 4242, exe: "/usr/sbin/virtlxcd (deleted)", argv: []string{"virtlxcd", "-f", off}, cwd: "/", start: later}, ""},
		{"comm with parentheses", procDaemon{pid: 4242, exe: "/usr/sbin/virtlxcd", comm: "a) (b", argv: []string{"virtlxcd", "-f", off}, cwd: "/", start: later}, ""},
		{"not a daemon", procDaemon{pid: 4242, exe: "/usr/bin/python3", argv: []string{"python3"}, cwd: "/", start: later}, "not one of libvirt's daemons"},
		{"other pid namespace", procDaemon{pid: 4242, exe: "/usr/sbin/libvirtd", argv: []string{"libvirtd", "-f", off}, cwd: "/", start: later, otherPidNS: true}, "pid namespace"},
		{"other mount namespace", procDaemon{pid: 4242, exe: "/usr/sbin/libvirtd", argv: []string{"libvirtd", "-f", off}, cwd: "/", start: later, otherMntNS: true}, "ns/mnt differs"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := fakeProc(t, tc.d)
			err := h.checkAccessControl(tc.d.pid)
			if tc.want == "" {
				if err != nil {
					t.Errorf("got %v", err)
				}
				return
			}
			var le *report.Error
			if !errors.As(err, &le) || le.Code != report.ErrAccessDenied || le.Domain != report.FromAccess ||
				!strings.Contains(le.Error(), tc.want) {
				t.Errorf("got %v, want access denied with %q", err, tc.want)
			}
		})
	}
}

// The real /proc: the start time of a process just started, and the
// refusal of a real daemon-named process whose config changed after it
// started.
func TestDaemonRealProc(t *testing.T) {
	before := time.Now()
	conf := filepath.Join(t.TempDir(), "virtlxcd.conf")
	cmd := startHelper(t, "wait", "virtlxcd", "-f", conf)
	after := time.Now()
	h := freshHost()
	start, err := h.procStart(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	// Within a clock tick of the truth (the slack allows for no more).
	if start.After(after) || start.Before(before.Add(-startSlack)) {
		t.Errorf("start %v not within [%v - %v, %v]", start, before, startSlack, after)
	}
	err = h.checkAccessControl(cmd.Process.Pid)
	if err == nil || !strings.Contains(err.Error(), conf+", which no longer exists") {
		t.Errorf("missing explicit config: %v", err)
	}
	os.WriteFile(conf, []byte("access_drivers = []\n"), 0o600)
	err = h.checkAccessControl(cmd.Process.Pid)
	if err == nil || !strings.Contains(err.Error(), conf+" changed after virtlxcd started") {
		t.Errorf("config written after start: %v", err)
	}
}

func TestHoldsDriverLock(t *testing.T) {
	dev := uint64(unix.Mkdev(0xfe, 0))
	locks := "1: POSIX  ADVISORY  WRITE 2062 fe:00:746198 0 0\n" +
		"2: FLOCK  ADVISORY  WRITE 99 fe:00:5 0 EOF\n" +
		"3: POSIX  ADVISORY  READ 77 fe:00:6 0 0\n" +
		"4: POSIX  ADVISORY  WRITE 78 fe:00:7 0 EOF\n" +
		"5: POSIX  ADVISORY  WRITE 79 fe:00:8 1 1\n" +
		"6: OFDLCK ADVISORY  WRITE -1 fe:00:9 0 0\n" +
		"7: POSIX  ADVISORY  WRITE 80 fe:00:10 0 0\n" +
		"7: -> POSIX  ADVISORY  WRITE 81 fe:00:10 0 0\n" +
		"8: POSIX  MANDATORY WRITE 82 fe:00:11 0 0\n"
	if !holdsDriverLock(locks, 2062, dev, 746198) {
		t.Error("lock not found")
	}
	tests := []struct {
		name     string
		pid      int
		dev, ino uint64
	}{
		{"other inode", 2062, dev, 74619},
		{"other device", 2062, uint64(unix.Mkdev(0xfe, 1)), 746198},
		{"other pid", 2063, dev, 746198},
		{"flock", 99, dev, 5},
		{"read lock", 77, dev, 6},
		{"whole file", 78, dev, 7},
		{"other byte", 79, dev, 8},
		{"OFD lock", -1, dev, 9},
		{"waiting, not holding", 81, dev, 10},
		{"mandatory", 82, dev, 11},
	}
	for _, tc := range tests {
		if holdsDriverLock(locks, tc.pid, tc.dev, tc.ino) {
			t.Errorf("%s: false positive", tc.name)
		}
	}
}

// lockFile takes an fcntl lock on path in this process; closing the fd
// drops it.
func lockFile(t *testing.T, path string, typ int16, start, length int64) *os.File {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	lk := unix.Flock_t{Type: typ, Whence: io.SeekStart, Start: start, Len: length}
	if err := unix.FcntlFlock(f.Fd(), unix.F_SETLK, &lk); err != nil {
		t.Fatal(err)
	}
	return f
}

// Real locks, read back from the real /proc/locks.
func TestLxcDriverHereRealLocks(t *testing.T) {
	self := os.Getpid()
	h := freshHost()
	state := func(t *testing.T) string {
		h.StateDir = t.TempDir()
		return filepath.Join(h.StateDir, driverPidFile)
	}
	t.Run("own write lock on byte 0, kept", func(t *testing.T) {
		path := state(t)
		os.WriteFile(path, []byte(strconv.Itoa(self)), 0o644)
		f := lockFile(t, path, unix.F_WRLCK, 0, 1)
		defer f.Close()
		if err := h.RunsLXCDriver(self); err != nil {
			t.Fatal(err)
		}
		// The check must not have dropped the lock (closing any fd of the
		// file would have).
		locks, _ := os.ReadFile("/proc/locks")
		if !holdsDriverLock(string(locks), self, statDev(t, path), statIno(t, path)) {
			t.Error("the check released the driver's lock")
		}
	})
	for _, tc := range []struct {
		name          string
		typ           int16
		start, length int64
	}{
		{"read lock", unix.F_RDLCK, 0, 1},
		{"whole file", unix.F_WRLCK, 0, 0},
		{"byte 1", unix.F_WRLCK, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := state(t)
			os.WriteFile(path, []byte(strconv.Itoa(self)), 0o644)
			f := lockFile(t, path, tc.typ, tc.start, tc.length)
			defer f.Close()
			if err := h.RunsLXCDriver(self); err == nil || !strings.Contains(err.Error(), "write lock") {
				t.Errorf("got %v", err)
			}
		})
	}
	t.Run("no lock", func(t *testing.T) {
		path := state(t)
		os.WriteFile(path, []byte(strconv.Itoa(self)), 0o644)
		if err := h.RunsLXCDriver(self); err == nil {
			t.Error("accepted")
		}
	})
	t.Run("no file", func(t *testing.T) {
		state(t)
		if err := h.RunsLXCDriver(self); err == nil {
			t.Error("accepted")
		}
	})
	t.Run("another process's driver", func(t *testing.T) {
		path := state(t)
		cmd := startHelper(t, "lock:"+path+":"+strconv.Itoa(unix.F_WRLCK)+":0:1", "")
		if err := h.RunsLXCDriver(cmd.Process.Pid); err != nil {
			t.Errorf("helper's lock: %v", err)
		}
		// Its own driver.pid is not read from the daemon itself: the lock
		// decides.
		if err := h.RunsLXCDriver(self); err == nil || !strings.Contains(err.Error(), "write lock") {
			t.Errorf("self: %v", err)
		}
	})
	t.Run("another process's driver, stale pid in the file", func(t *testing.T) {
		path := state(t)
		cmd := startHelper(t, "lock:"+path+":"+strconv.Itoa(unix.F_WRLCK)+":0:1", "")
		os.WriteFile(path, []byte("1"), 0o644) // does not touch the lock: another process
		if err := h.RunsLXCDriver(cmd.Process.Pid); err == nil || !strings.Contains(err.Error(), `holds pid "1"`) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("stale pid, lock by another", func(t *testing.T) {
		path := state(t)
		cmd := startHelper(t, "lock:"+path+":"+strconv.Itoa(unix.F_WRLCK)+":0:1", "")
		// driver.pid names a process that does not hold the lock.
		os.WriteFile(path, []byte(strconv.Itoa(self)), 0o644)
		if err := h.RunsLXCDriver(self); err == nil || !strings.Contains(err.Error(), "write lock") {
			t.Errorf("self: %v", err)
		}
		if err := h.RunsLXCDriver(cmd.Process.Pid); err == nil {
			t.Error("helper accepted with another pid in the file")
		}
	})
	t.Run("another process's read lock", func(t *testing.T) {
		path := state(t)
		cmd := startHelper(t, "lock:"+path+":"+strconv.Itoa(unix.F_RDLCK)+":0:1", "")
		if err := h.RunsLXCDriver(cmd.Process.Pid); err == nil || !strings.Contains(err.Error(), "write lock") {
			t.Errorf("got %v", err)
		}
	})
}

func statDev(t *testing.T, path string) uint64 {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return uint64(st.Dev)
}

func statIno(t *testing.T, path string) uint64 {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

// A daemon is confirmed once: its LXC driver lock and its config hold for
// its whole life, so a config file edited afterwards does not change what
// it runs with. Another process under the same pid is checked afresh.
func TestConfirmDaemonOncePerProcess(t *testing.T) {
	const pid = 4242
	confDir := t.TempDir()
	conf := filepath.Join(confDir, "libvirtd.conf")
	os.WriteFile(conf, []byte("# defaults\n"), 0o600)
	state := t.TempDir()
	pidFile := filepath.Join(state, driverPidFile)
	os.WriteFile(pidFile, []byte(strconv.Itoa(pid)+"\n"), 0o644)
	h := fakeProc(t, procDaemon{pid: pid, exe: "/usr/sbin/libvirtd", argv: []string{"libvirtd", "-f", conf},
		cwd: confDir, start: time.Now().Add(time.Hour), locks: lockLine(t, pidFile, pid)})
	h.StateDir = state

	if err := h.confirmDaemon(pid); err != nil {
		t.Fatalf("first call: %v", err)
	}
	os.WriteFile(conf, []byte("access_drivers = [ \"polkit\" ]\n"), 0o600)
	if err := h.confirmDaemon(pid); err != nil {
		t.Errorf("the confirmed daemon, after its config file changed: %v", err)
	}

	// The same pid, started later: a new process, which reads the new file.
	statPath := filepath.Join(h.Proc, strconv.Itoa(pid), "stat")
	stat, err := os.ReadFile(statPath)
	if err != nil {
		t.Fatal(err)
	}
	ticks, err := h.procStartTicks(pid)
	if err != nil {
		t.Fatal(err)
	}
	was, now := " "+strconv.FormatUint(ticks, 10)+" ", " "+strconv.FormatUint(ticks+1, 10)+" "
	os.WriteFile(statPath, []byte(strings.Replace(string(stat), was, now, 1)), 0o644)
	var le *report.Error
	if err := h.confirmDaemon(pid); !errors.As(err, &le) || le.Code != report.ErrAccessDenied {
		t.Errorf("a new process under the confirmed pid: %v, want access denied", err)
	}
}
