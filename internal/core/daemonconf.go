package core

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// What the daemon that the in-host path serves (libvirtd, virtlxcd, ...)
// would have checked itself, learnt from /proc/<caller>: the in-host path
// runs in the daemon's core process, so /proc/self is not the daemon.
// Whenever an answer is not certain, the request is refused.

// procRoot is where /proc is; tests point it at a fake tree.
var procRoot = "/proc"

// daemonConfigDir is SYSCONFDIR/libvirt, where a privileged daemon's
// default config lives (src/remote/remote_daemon_config.c,
// daemonConfigFilePath).
const daemonConfigDir = "/etc/libvirt"

// userHZ is the unit of /proc/<pid>/stat's starttime: USER_HZ, 100 on
// every Linux ABI Go supports (sysconf(_SC_CLK_TCK) needs libc).
const userHZ = 100

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

// daemonProc is what the config decision needs to know of the daemon.
type daemonProc struct {
	pid   int
	prog  string   // its DAEMON_NAME: the base name of its executable
	args  []string // argv[1:]
	cwd   string   // its working directory now
	euid  int
	env   map[string]string // its environment at exec (unprivileged only)
	start time.Time         // no later than when it started
}

func procPath(pid int, name string) string {
	return procRoot + "/" + strconv.Itoa(pid) + "/" + name
}

// accessError is the refusal of the in-host path for want of the daemon's
// access control check.
func accessError(detail string) *Error {
	return newError(ErrAccessDenied, FromAccess,
		"virDomainLxcOpenNamespace is served inside the daemon by this libvirt-lxc.so.0, which cannot run the daemon's access control check, so it refuses when access control may be enabled: "+detail)
}

// checkAccessControl returns nil when the daemon caller certainly runs
// without an access driver (access_drivers absent or an empty list in the
// config file it read at start-up), else an *Error saying why not and what
// to do.
func checkAccessControl(caller int) error {
	if err := sameView(caller); err != nil {
		return accessError(err.Error())
	}
	p, err := readDaemonProc(caller)
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
func sameView(caller int) error {
	self, err := os.Readlink(procRoot + "/self")
	if err != nil || self != strconv.Itoa(os.Getpid()) {
		return errors.New(procRoot + " is not of this process's pid namespace, so the daemon's processes and locks cannot be told from it")
	}
	for _, l := range []string{"ns/mnt", "root"} {
		mine, err1 := os.Readlink(procRoot + "/self/" + l)
		theirs, err2 := os.Readlink(procPath(caller, l))
		if err1 != nil || err2 != nil || mine != theirs {
			return errors.New("cannot confirm that the daemon (pid " + strconv.Itoa(caller) + ") sees the same files as this process (" + l + " differs or is unreadable)")
		}
	}
	return nil
}

// readDaemonProc gathers the daemon's command line, program, directory,
// credentials, environment and start time.
func readDaemonProc(pid int) (*daemonProc, error) {
	p := &daemonProc{pid: pid}
	who := "the daemon (pid " + strconv.Itoa(pid) + ")"
	cmdline, err := os.ReadFile(procPath(pid, "cmdline"))
	if err != nil || len(cmdline) == 0 {
		return nil, errors.New("cannot read the command line of " + who)
	}
	p.args = strings.Split(strings.TrimSuffix(string(cmdline), "\x00"), "\x00")[1:]
	exe, err := os.Readlink(procPath(pid, "exe"))
	if err != nil {
		return nil, errors.New("cannot tell which program " + who + " runs")
	}
	// An executable replaced since (a package upgrade) still names the
	// program that started.
	p.prog = filepath.Base(strings.TrimSuffix(exe, " (deleted)"))
	if !contains(remoteDaemons, p.prog) {
		return nil, errors.New(who + " runs " + exe + ", not one of libvirt's daemons, so its options and config file are unknown")
	}
	if p.cwd, err = os.Readlink(procPath(pid, "cwd")); err != nil {
		return nil, errors.New("cannot read the working directory of " + who)
	}
	if p.euid, err = procEuid(pid); err != nil {
		return nil, errors.New("cannot read the credentials of " + who)
	}
	p.env = map[string]string{}
	if p.euid != 0 { // only an unprivileged daemon's default path needs it
		env, err := os.ReadFile(procPath(pid, "environ"))
		if err != nil {
			return nil, errors.New("cannot read the environment of " + who)
		}
		for _, kv := range strings.Split(string(env), "\x00") {
			if k, v, ok := strings.Cut(kv, "="); ok {
				if _, dup := p.env[k]; !dup { // getenv finds the first
					p.env[k] = v
				}
			}
		}
	}
	if p.start, err = procStart(pid); err != nil {
		return nil, errors.New("cannot read the start time of " + who + ": " + err.Error())
	}
	return p, nil
}

// procEuid is the effective uid from /proc/<pid>/status ("Uid: r e s f").
func procEuid(pid int) (int, error) {
	data, err := os.ReadFile(procPath(pid, "status"))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == "Uid:" {
			return strconv.Atoi(f[2])
		}
	}
	return 0, errors.New("no Uid line")
}

// procStart estimates when pid started, never later than it did: boot time
// plus starttime (field 22 of /proc/<pid>/stat, counted after the command
// name, which may hold spaces and parentheses). /proc/stat's btime gives
// the boot time in whole seconds; the clocks give it to the microsecond
// (wall clock less time since boot), used when it agrees with btime.
func procStart(pid int) (time.Time, error) {
	stat, err := os.ReadFile(procPath(pid, "stat"))
	if err != nil {
		return time.Time{}, err
	}
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return time.Time{}, errors.New("malformed stat")
	}
	// After ") ": field 3 (state) onwards; starttime is field 22.
	const fieldsBeforeStart = 22 - 3
	f := strings.Fields(s[i+1:])
	if len(f) <= fieldsBeforeStart {
		return time.Time{}, errors.New("malformed stat")
	}
	ticks, err := strconv.ParseUint(f[fieldsBeforeStart], 10, 64)
	if err != nil {
		return time.Time{}, err
	}
	sys, err := os.ReadFile(procRoot + "/stat")
	if err != nil {
		return time.Time{}, err
	}
	for _, line := range strings.Split(string(sys), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "btime" {
			boot, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return time.Time{}, err
			}
			return bootTime(boot).Add(time.Duration(ticks) * time.Second / userHZ), nil
		}
	}
	return time.Time{}, errors.New("no btime in " + procRoot + "/stat")
}

// bootTime refines btime (whole seconds, rounded down) from the clocks.
// Without agreement (a clock stepped, a /proc of tests) btime stands.
func bootTime(btime int64) time.Time {
	var real, boot unix.Timespec
	coarse := time.Unix(btime, 0)
	if unix.ClockGettime(unix.CLOCK_REALTIME, &real) != nil || unix.ClockGettime(unix.CLOCK_BOOTTIME, &boot) != nil {
		return coarse
	}
	fine := time.Unix(real.Sec, real.Nsec).Add(-time.Duration(boot.Nano()))
	if fine.Before(coarse) || !fine.Before(coarse.Add(time.Second)) {
		return coarse
	}
	return fine
}

// daemonOption is one entry of remote_daemon.c's getopt_long table.
type daemonOption struct {
	long  string
	short byte
	arg   bool // required_argument
}

// daemonOptions is the option table of prog (remote_daemon.c, main: the
// struct option array and optstr).
func daemonOptions(prog string) []daemonOption {
	opts := []daemonOption{
		{"verbose", 'v', false},
		{"daemon", 'd', false},
		{"config", 'f', true},
		{"timeout", 't', true},
		{"pid-file", 'p', true},
		{"version", 'V', false},
		{"help", 'h', false},
	}
	if prog == "libvirtd" {
		opts = append(opts, daemonOption{"listen", 'l', false})
	}
	return opts
}

// daemonArgs is what the daemon's getopt_long loop made of its arguments.
type daemonArgs struct {
	config    string // the last -f/--config
	hasConfig bool
	daemonize bool // -d/--daemon: it chdir("/")ed after reading its config
}

// parseDaemonArgs runs glibc's getopt_long rules over args for prog's
// option table: short options clustered (-vdfPATH) with the argument the
// rest of the word or the next word, long options unique prefixes with
// "=ARG" or the next word, "--" ending options, non-options skipped over
// (GNU permutation). An argument list on which the daemon would have
// printed help or its version, or exited on an error, is an error: such a
// daemon is not running.
func parseDaemonArgs(prog string, args []string) (daemonArgs, error) {
	var a daemonArgs
	opts := daemonOptions(prog)
	var nonOptions []string
	take := func(o daemonOption, val string) error {
		switch o.short {
		case 'f':
			a.config, a.hasConfig = val, true
		case 'd':
			a.daemonize = true
		case 'V', 'h':
			return errors.New("its command line asks for --" + o.long + ", on which it exits at once")
		}
		return nil
	}
	for i := 0; i < len(args); i++ {
		w := args[i]
		switch {
		case w == "--":
			nonOptions = append(nonOptions, args[i+1:]...)
			i = len(args)
		case strings.HasPrefix(w, "--"):
			name, val, hasVal := strings.Cut(w[2:], "=")
			o, err := matchLong(opts, name)
			if err != nil {
				return a, err
			}
			switch {
			case o.arg && !hasVal:
				if i+1 >= len(args) {
					return a, errors.New("option --" + o.long + " lacks its argument")
				}
				i++
				val = args[i]
			case !o.arg && hasVal:
				return a, errors.New("option --" + o.long + " takes no argument")
			}
			if err := take(o, val); err != nil {
				return a, err
			}
		case len(w) > 1 && w[0] == '-':
			for j := 1; j < len(w); j++ {
				o, ok := matchShort(opts, w[j])
				if !ok {
					return a, errors.New("unknown option -" + string(w[j]))
				}
				val := ""
				if o.arg {
					if j+1 < len(w) {
						val = w[j+1:]
					} else if i+1 < len(args) {
						i++
						val = args[i]
					} else {
						return a, errors.New("option -" + string(o.short) + " lacks its argument")
					}
					j = len(w)
				}
				if err := take(o, val); err != nil {
					return a, err
				}
			}
		default:
			nonOptions = append(nonOptions, w)
		}
	}
	// remote_daemon.c's main exits on "unexpected, non-option, command line
	// arguments" (optind != argc), whether getopt permuted them or not.
	if len(nonOptions) > 0 {
		return a, errors.New("its command line has non-option arguments (" + strings.Join(nonOptions, " ") + "), with which it does not start")
	}
	return a, nil
}

// matchLong is getopt_long's lookup: an exact name, else the one option
// the name abbreviates; an abbreviation of several is ambiguous.
func matchLong(opts []daemonOption, name string) (daemonOption, error) {
	var found []daemonOption
	for _, o := range opts {
		if o.long == name {
			return o, nil
		}
		if strings.HasPrefix(o.long, name) {
			found = append(found, o)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return daemonOption{}, errors.New("unknown option --" + name)
	}
	return daemonOption{}, errors.New("ambiguous option --" + name)
}

func matchShort(opts []daemonOption, c byte) (daemonOption, bool) {
	for _, o := range opts {
		if o.short == c {
			return o, true
		}
	}
	return daemonOption{}, false
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
	restart := "; restart the daemon so that what it runs with is on disk"
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		if err != unix.ENOENT {
			return errors.New("cannot check " + path + ": " + err.Error())
		}
		if explicit {
			return errors.New(p.prog + " was started with config file " + path + ", which no longer exists, so what it read is unknown" + restart)
		}
		// The daemon went without a config if the file was missing
		// then too: nothing in the nearest existing directory changed
		// since.
		dir := filepath.Dir(path)
		for {
			var dst unix.Stat_t
			if err := unix.Stat(dir, &dst); err == nil {
				if changedSince(&dst, p.start) {
					return errors.New(p.prog + " has no config file " + path + " now, but " + dir + " changed after the daemon started, so it may have had one" + restart)
				}
				return nil
			} else if err != unix.ENOENT || dir == "/" {
				return errors.New("cannot check " + dir + ": " + err.Error())
			}
			dir = filepath.Dir(dir)
		}
	}
	changed := errors.New(path + " changed after " + p.prog + " started, so the settings it runs with are unknown" + restart)
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
	c, err := readConf(f)
	if err != nil {
		return errors.New("cannot read " + path + " as libvirt does (" + err.Error() + "), so its access_drivers setting is unknown")
	}
	if err := unix.Fstat(int(f.Fd()), &after); err != nil || after.Ctim != before.Ctim || after.Mtim != before.Mtim {
		return changed
	}
	drivers, _, err := c.stringList(accessDriversKey)
	if err != nil {
		return errors.New(err.Error() + ", so whether access control is on is unknown")
	}
	if len(drivers) > 0 {
		return errors.New(accessDriversKey + " = [ \"" + strings.Join(drivers, "\", \"") + "\" ] in " + path + " enables access control in " + p.prog + "; to open namespaces through it, use libvirt's own libvirt-lxc.so.0 in the daemon or remove that setting and restart it")
	}
	return nil
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
