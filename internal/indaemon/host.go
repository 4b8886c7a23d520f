// Package indaemon serves virDomainLxcOpenNamespace inside the libvirt
// daemon that loaded libvirt-lxc.so.0 (libvirtd or virtlxcd), where a call
// over the socket would be served by the very process waiting for it.
//
// The files, in the order a call meets them:
//
//	host.go       Host: the /proc and LXC state paths everything here reads
//	              (the one seam tests replace), and Call
//	self.go       "is the caller the daemon?", answered here only
//	inhost.go     serving the call from the daemon's state files: status
//	              XML, driver.pid lock, /proc/<init>/ns
//	daemonproc.go that daemon as /proc shows it: command line, start time
//	daemonargs.go its option parser, replayed: which config file it got
//	daemonconf.go what it read at start-up: its config, access_drivers
//
// The hazard: the daemon's access control check cannot be run from here,
// so the path refuses whenever an access driver may be configured, and
// whenever /proc, pids or paths may not mean here what they mean to the
// daemon.
package indaemon

import (
	"sync"

	"github.com/libvirt-lxc-go/libvirt-lxc/internal/report"
)

// Host is the view of the system the in-daemon path reads: where /proc is
// and where the LXC driver keeps its files. System() is the real one;
// tests make their own with fake trees. It also keeps what was learnt of
// the daemon and of its status files, so it is shared, not copied.
type Host struct {
	Proc      string // /proc
	StateDir  string // the LXC driver's state: <name>.xml and driver.pid
	ConfigDir string // persistent domain definitions

	// confirmed holds the daemons confirmed by confirmDaemon, by pid and
	// start time (so a reused pid is not taken for the daemon that had it).
	confirmed sync.Map // daemonIdentity -> struct{}

	// statusCache keeps each status file's statusFile by path, so that a call
	// on an unchanged file costs one stat() instead of reading and searching
	// the XML.
	statusCache struct {
		sync.Mutex
		byPath map[string]*statusFile
	}
}

var system = &Host{Proc: "/proc", StateDir: "/run/libvirt/lxc", ConfigDir: "/etc/libvirt/lxc"}

// System is the host this process runs on, shared by every caller.
func System() *Host { return system }

// Call is one OpenNamespace request as the daemon's LXC driver gets it.
type Call struct {
	Name   string
	UUID   [16]byte
	Flags  uint32
	Caller int           // the daemon's pid
	Log    report.Logger // nil: no records
}
