// The daemon as /proc/<pid> shows it to its core process.

package indaemon

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// userHZ is the unit of /proc/<pid>/stat's starttime: USER_HZ, 100 on
// every Linux ABI Go supports (sysconf(_SC_CLK_TCK) needs libc).
const userHZ = 100

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

func (h *Host) procPath(pid int, name string) string {
	return h.Proc + "/" + strconv.Itoa(pid) + "/" + name
}

// readDaemonProc gathers the daemon's command line, program, directory,
// credentials, environment and start time.
func (h *Host) readDaemonProc(pid int) (*daemonProc, error) {
	p := &daemonProc{pid: pid}
	who := "the daemon (pid " + strconv.Itoa(pid) + ")"
	cmdline, err := os.ReadFile(h.procPath(pid, "cmdline"))
	if err != nil || len(cmdline) == 0 {
		return nil, errors.New("cannot read the command line of " + who)
	}
	p.args = strings.Split(strings.TrimSuffix(string(cmdline), "\x00"), "\x00")[1:]
	exe, err := os.Readlink(h.procPath(pid, "exe"))
	if err != nil {
		return nil, errors.New("cannot tell which program " + who + " runs")
	}
	// An executable replaced since (a package upgrade) still names the
	// program that started.
	p.prog = filepath.Base(strings.TrimSuffix(exe, " (deleted)"))
	if !slices.Contains(remoteDaemons, p.prog) {
		return nil, errors.New(who + " runs " + exe + ", not one of libvirt's daemons, so its options and config file are unknown")
	}
	if p.cwd, err = os.Readlink(h.procPath(pid, "cwd")); err != nil {
		return nil, errors.New("cannot read the working directory of " + who)
	}
	if p.euid, err = h.procEuid(pid); err != nil {
		return nil, errors.New("cannot read the credentials of " + who)
	}
	p.env = map[string]string{}
	if p.euid != 0 { // only an unprivileged daemon's default path needs it
		env, err := os.ReadFile(h.procPath(pid, "environ"))
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
	if p.start, err = h.procStart(pid); err != nil {
		return nil, errors.New("cannot read the start time of " + who + ": " + err.Error())
	}
	return p, nil
}

// procEuid is the effective uid from /proc/<pid>/status ("Uid: r e s f").
func (h *Host) procEuid(pid int) (int, error) {
	data, err := os.ReadFile(h.procPath(pid, "status"))
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

// procStartTicks is starttime of /proc/<pid>/stat: clock ticks after boot,
// fixed for the process's life.
func (h *Host) procStartTicks(pid int) (uint64, error) {
	stat, err := os.ReadFile(h.procPath(pid, "stat"))
	if err != nil {
		return 0, err
	}
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("malformed stat")
	}
	// After ") ": field 3 (state) onwards; starttime is field 22.
	const fieldsBeforeStart = 22 - 3
	f := strings.Fields(s[i+1:])
	if len(f) <= fieldsBeforeStart {
		return 0, errors.New("malformed stat")
	}
	ticks, err := strconv.ParseUint(f[fieldsBeforeStart], 10, 64)
	if err != nil {
		return 0, err
	}
	return ticks, nil
}

// procStart estimates when pid started, never later than it did: boot time
// plus starttime (field 22 of /proc/<pid>/stat, counted after the command
// name, which may hold spaces and parentheses). /proc/stat's btime gives
// the boot time in whole seconds; the clocks give it to the microsecond
// (wall clock less time since boot), used when it agrees with btime.
func (h *Host) procStart(pid int) (time.Time, error) {
	ticks, err := h.procStartTicks(pid)
	if err != nil {
		return time.Time{}, err
	}
	sys, err := os.ReadFile(h.Proc + "/stat")
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
	return time.Time{}, errors.New("no btime in " + h.Proc + "/stat")
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
