// What the daemon that the in-host path serves (libvirtd, virtlxcd, ...)
// would have checked itself, learnt from /proc/<caller>: the in-host path
// runs in the daemon's core process, so /proc/self is not the daemon.
// Whenever an answer is not certain, the request is refused.

package indaemon

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/libvirt-lxc-go/libvirt-lxc/internal/report"
	"github.com/libvirt-lxc-go/libvirt-lxc/internal/virconf"
)

// daemonConfigDir is SYSCONFDIR/libvirt, where a privileged daemon's
// default config lives (src/remote/remote_daemon_config.c,
// daemonConfigFilePath).
const daemonConfigDir = "/etc/libvirt"

// startSlack widens "changed after the daemon started" for what the
// estimate of the start time may miss: starttime counts whole clock ticks,
// and the wall clock may have been adjusted since. Small, because a file
// written just before a start (a configuration tool writing it, then
// restarting the daemon) is refused for the daemon's whole life.
const startSlack = 100 * time.Millisecond

// accessDriversKey is the daemon setting that enables access control
// (remote_daemon_config.c, daemonConfigLoadOptions).
const accessDriversKey = "access_drivers"

// remoteDaemons are the programs built from src/remote/remote_daemon.c,
// which share its option parser and config handling; each reads
// <name>.conf. libvirtd alone has -l/--listen.
var remoteDaemons = []string{"libvirtd", "virtproxyd", "virtlxcd", "virtqemud",
	"virtxend", "virtchd", "virtvboxd", "virtvzd", "virtbhyved", "virtnetworkd",
	"virtstoraged", "virtnodedevd", "virtinterfaced", "virtsecretd", "virtnwfilterd"}

// accessError is the refusal of the in-host path for want of the daemon's
// access control check.
func accessError(detail string) *report.Error {
	return report.NewError(report.ErrAccessDenied, report.FromAccess,
		"virDomainLxcOpenNamespace is served inside the daemon by this libvirt-lxc.so.0, which cannot run the daemon's access control check, so it refuses when access control may be enabled: "+detail)
}

// checkAccessControl returns nil when the daemon caller certainly runs
// without an access driver (access_drivers absent or an empty list in the
// config file it read at start-up), else an *report.Error saying why not and what
// to do.
func (h *Host) checkAccessControl(caller int) error {
	if err := h.sameView(caller); err != nil {
		return accessError(err.Error())
	}
	p, err := h.readDaemonProc(caller)
	if err != nil {
		return accessError(err.Error())
	}
	path, explicit, err := daemonConfigFile(p)
	if err != nil {
		return accessError(err.Error())
	}
	if err := checkConfigFile(p, path, explicit); err != nil {
		return accessError(err.Error())
	}
	return nil
}

// sameView makes sure that paths and pids mean here what they mean to the
// daemon: /proc is of our pid namespace and the caller shares our mount
// namespace and root.
func (h *Host) sameView(caller int) error {
	self, err := os.Readlink(h.Proc + "/self")
	if err != nil || self != strconv.Itoa(os.Getpid()) {
		return errors.New(h.Proc + " is not of this process's pid namespace, so the daemon's processes and locks cannot be told from it")
	}
	for _, l := range []string{"ns/mnt", "root"} {
		mine, err1 := os.Readlink(h.Proc + "/self/" + l)
		theirs, err2 := os.Readlink(h.procPath(caller, l))
		if err1 != nil || err2 != nil || mine != theirs {
			return errors.New("cannot confirm that the daemon (pid " + strconv.Itoa(caller) + ") sees the same files as this process (" + l + " differs or is unreadable)")
		}
	}
	return nil
}

// daemonConfigFile is the file p read its config from at start-up, and
// whether it was named on the command line (then it must exist).
func daemonConfigFile(p *daemonProc) (string, bool, error) {
	who := p.prog + " (pid " + strconv.Itoa(p.pid) + ")"
	a, err := parseDaemonArgs(p.prog, p.args)
	if err != nil {
		return "", false, errors.New("cannot tell which config file " + who + " read: " + err.Error())
	}
	path := a.config
	if !a.hasConfig {
		path, err = defaultDaemonConfig(p)
		if err != nil {
			return "", false, errors.New("cannot tell which config file " + who + " read: " + err.Error())
		}
	}
	if path == "" {
		return "", false, errors.New(who + " was given an empty config file name")
	}
	if !filepath.IsAbs(path) {
		// The config is read before the daemon daemonizes; with -d it
		// has since changed to "/" (remote_daemon.c, main), so the
		// directory the name was relative to is gone.
		if a.daemonize {
			return "", false, errors.New(who + " was given the relative config file name " + path + " and has since changed directory (-d); restart it with an absolute path")
		}
		if strings.HasSuffix(p.cwd, " (deleted)") {
			return "", false, errors.New(who + " was given the relative config file name " + path + " and its working directory is gone")
		}
		path = filepath.Join(p.cwd, path)
	}
	return path, a.hasConfig, nil
}

// defaultDaemonConfig is daemonConfigFilePath: /etc/libvirt/<prog>.conf
// for a privileged (euid 0) daemon, else <user config dir>/<prog>.conf,
// the user config dir being glib's ($XDG_CONFIG_HOME if set and not empty,
// else $HOME/.config) followed by "libvirt".
func defaultDaemonConfig(p *daemonProc) (string, error) {
	name := p.prog + ".conf"
	if p.euid == 0 {
		return daemonConfigDir + "/" + name, nil
	}
	dir := p.env["XDG_CONFIG_HOME"]
	if dir == "" {
		home := p.env["HOME"]
		if home == "" {
			// glib would look the user up in the password database.
			return "", errors.New("it runs unprivileged without $HOME")
		}
		dir = home + "/.config"
	}
	return dir + "/libvirt/" + name, nil
}

// checkConfigFile decides from the file the daemon read: missing is fine
// only for the default file, and only if it was missing when the daemon
// started; present, it must be unchanged since then and parse, and its
// access_drivers must be absent or empty.
func checkConfigFile(p *daemonProc, path string, explicit bool) error {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		if err != unix.ENOENT {
			return errors.New("cannot check " + path + ": " + err.Error())
		}
		if explicit {
			return errors.New(p.prog + " was started with config file " + path + ", which no longer exists, so what it read is unknown" + restartHint)
		}
		return missingSinceStart(p, path)
	}
	changed := errors.New(path + " changed after " + p.prog + " started, so the settings it runs with are unknown" + restartHint)
	if changedSince(&st, p.start) {
		return changed // a symbolic link replaced, for one
	}
	// What is parsed is what was checked: the times of the open file
	// before reading, the same after.
	f, err := os.Open(path)
	if err != nil {
		return errors.New("cannot read " + path + ": " + err.Error())
	}
	defer f.Close()
	var before, after unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &before); err != nil {
		return errors.New("cannot check " + path + ": " + err.Error())
	}
	if changedSince(&before, p.start) {
		return changed
	}
	c, err := virconf.Read(f)
	if err != nil {
		return errors.New("cannot read " + path + " as libvirt does (" + err.Error() + "), so its access_drivers setting is unknown")
	}
	if err := unix.Fstat(int(f.Fd()), &after); err != nil || after.Ctim != before.Ctim || after.Mtim != before.Mtim {
		return changed
	}
	drivers, _, err := c.StringList(accessDriversKey)
	if err != nil {
		return errors.New(err.Error() + ", so whether access control is on is unknown")
	}
	if len(drivers) > 0 {
		return errors.New(accessDriversKey + " = [ \"" + strings.Join(drivers, "\", \"") + "\" ] in " + path + " enables access control in " + p.prog + "; to open namespaces through it, use libvirt's own libvirt-lxc.so.0 in the daemon or remove that setting and restart it")
	}
	return nil
}

// restartHint ends a refusal that a restart of the daemon would lift.
const restartHint = "; restart the daemon so that what it runs with is on disk"

// missingSinceStart accepts a missing default config file if it was
// missing when the daemon started too: nothing in the nearest existing
// directory changed since.
func missingSinceStart(p *daemonProc, path string) error {
	dir := filepath.Dir(path)
	for {
		var dst unix.Stat_t
		if err := unix.Stat(dir, &dst); err == nil {
			if changedSince(&dst, p.start) {
				return errors.New(p.prog + " has no config file " + path + " now, but " + dir + " changed after the daemon started, so it may have had one" + restartHint)
			}
			return nil
		} else if err != unix.ENOENT || dir == "/" {
			return errors.New("cannot check " + dir + ": " + err.Error())
		}
		dir = filepath.Dir(dir)
	}
}

// changedSince reports whether st's inode may have changed at or after t.
func changedSince(st *unix.Stat_t, t time.Time) bool {
	limit := t.Add(-startSlack)
	for _, ts := range []unix.Timespec{st.Mtim, st.Ctim} {
		if !time.Unix(ts.Sec, ts.Nsec).Before(limit) {
			return true
		}
	}
	return false
}
