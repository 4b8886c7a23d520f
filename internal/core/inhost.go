package core

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Inside the daemon (libvirtd or virtlxcd links libvirt-lxc.so.0 and calls
// OpenNamespace while serving a client), a call over the socket would be
// served by the very process waiting for it. Instead the request is served
// here from the daemon's own state files, with the daemon's checks and
// errors in the daemon's order. The ACL check cannot be run from here, so
// the path refuses to work when an access driver is configured.

// lxcStateDir holds the LXC driver's state: <name>.xml (status XML of each
// running domain) and driver.pid.
var lxcStateDir = "/run/libvirt/lxc"

// lxcConfigDir holds persistent domain definitions.
var lxcConfigDir = "/etc/libvirt/lxc"

// nsNames are the namespaces the daemon hands out, in its order.
var nsNames = []string{"user", "ipc", "uts", "net", "pid", "mnt"}

// inDaemonProcess is the cheap pre-connect test: the LXC driver writes our
// pid into driver.pid and holds a POSIX lock on it while it runs. Requiring
// the lock rules out a stale file whose pid was reused by another process.
// SO_PEERCRED after connecting remains the authoritative test.
func inDaemonProcess(pid int) bool {
	path := lxcStateDir + "/driver.pid"
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	if strings.TrimSpace(string(data)) != strconv.Itoa(pid) {
		return false
	}
	var st unix.Stat_t
	if unix.Stat(path, &st) != nil {
		return false
	}
	locks, err := os.ReadFile("/proc/locks")
	if err != nil {
		return false
	}
	return holdsLock(string(locks), pid, st.Ino)
}

// holdsLock looks for a POSIX lock of pid on inode in /proc/locks text:
// "N: POSIX  ADVISORY  WRITE <pid> <maj>:<min>:<ino> <start> <end>".
func holdsLock(locks string, pid int, ino uint64) bool {
	want := strconv.Itoa(pid)
	wantIno := ":" + strconv.FormatUint(ino, 10)
	for _, line := range strings.Split(locks, "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || f[1] != "POSIX" {
			continue
		}
		if f[4] == want && strings.HasSuffix(f[5], wantIno) {
			return true
		}
	}
	return false
}

// OpenInHost serves req from this process's view of the host, as the
// daemon's LXC driver does: flags, lookup by UUID, running, init pid known,
// then open each namespace of the container's init, skipping failures.
func OpenInHost(req *Request) ([]int, error) {
	if req.Flags != 0 {
		return nil, flagsError(FromLXC, "lxcDomainLxcOpenNamespace", req.Flags)
	}
	if err := checkNoAccessDriver(); err != nil {
		return nil, err
	}
	status, err := findStatus(req)
	if err != nil {
		return nil, err
	}
	pid := initPid(status)
	if pid <= 0 {
		return nil, newError(ErrOperationInval, FromLXC, "Init pid is not yet available")
	}
	return openNamespaces(pid), nil
}

// openNamespaces opens /proc/<pid>/ns/* in the daemon's order, skipping any
// that cannot be opened (the daemon does the same).
func openNamespaces(pid int) []int {
	var fds []int
	for _, ns := range nsNames {
		fd, err := unix.Open("/proc/"+strconv.Itoa(pid)+"/ns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err == nil {
			fds = append(fds, fd)
		}
	}
	return fds
}

// findStatus returns the status XML of the running domain with req's UUID,
// or the daemon's error for an inactive or unknown domain.
func findStatus(req *Request) (string, error) {
	want := formatUUID(req.UUID)
	// The file is named after the domain; try the given name first, then
	// scan, since the daemon looks up by UUID alone. A name with a slash
	// cannot be a file name here and must not walk out of the directory.
	var candidates []string
	if req.Name != "" && !strings.ContainsRune(req.Name, '/') {
		candidates = append(candidates, filepath.Join(lxcStateDir, req.Name+".xml"))
	}
	if all, err := filepath.Glob(filepath.Join(lxcStateDir, "*.xml")); err == nil {
		candidates = append(candidates, all...)
	}
	for _, p := range candidates {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if s := string(data); elementText(s, "uuid") == want {
			return s, nil
		}
	}
	if defs, err := filepath.Glob(filepath.Join(lxcConfigDir, "*.xml")); err == nil {
		for _, p := range defs {
			if data, err := os.ReadFile(p); err == nil && elementText(string(data), "uuid") == want {
				return "", newError(ErrOperationInval, FromConfig, "domain is not running")
			}
		}
	}
	return "", newError(ErrNoDomain, FromLXC, "no domain with matching uuid '"+want+"' ("+req.Name+")")
}

// elementText returns the text of the first <tag>...</tag>. The status XML
// is written by libvirt in a fixed layout, so no XML parser is needed (and
// none is linked, which keeps the core small).
func elementText(s, tag string) string {
	i := strings.Index(s, "<"+tag+">")
	if i < 0 {
		return ""
	}
	s = s[i+len(tag)+2:]
	j := strings.Index(s, "</"+tag+">")
	if j < 0 {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(s[:j]))
}

// initPid reads <init pid='N'/> from the status XML; 0 when absent.
func initPid(s string) int {
	i := strings.Index(s, "<init pid=")
	if i < 0 {
		return 0
	}
	s = s[i+len("<init pid="):]
	if s == "" || (s[0] != '\'' && s[0] != '"') {
		return 0
	}
	q := s[0]
	j := strings.IndexByte(s[1:], q)
	if j < 0 {
		return 0
	}
	n, err := strconv.Atoi(s[1 : 1+j])
	if err != nil {
		return 0
	}
	return n
}

func formatUUID(u [16]byte) string {
	const hex = "0123456789abcdef"
	b := make([]byte, 0, 36)
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hex[c>>4], hex[c&15])
	}
	return string(b)
}

// checkNoAccessDriver refuses when the daemon's config enables an access
// driver: the daemon would check domain:open_namespace for the client, and
// from inside the library we do not know who the client is.
func checkNoAccessDriver() error {
	path := daemonConfig()
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return newError(ErrAccessDenied, FromAccess,
			"cannot read "+path+" to check access_drivers, so the access control check of virDomainLxcOpenNamespace cannot be honoured: "+err.Error())
	}
	if v, ok := confLookup(string(data), "access_drivers"); ok && len(v) > 0 {
		return newError(ErrAccessDenied, FromAccess,
			"virDomainLxcOpenNamespace called inside the daemon cannot run the access control check that access_drivers in "+path+" asks for")
	}
	return nil
}

// daemonConfig is daemonConfigPath; tests replace it.
var daemonConfig = daemonConfigPath

// daemonConfigPath is the config file this daemon process reads: the one
// given with -f/--config, else the default for its program name.
func daemonConfigPath() string {
	if data, err := os.ReadFile("/proc/self/cmdline"); err == nil {
		args := strings.Split(strings.TrimRight(string(data), "\x00"), "\x00")
		for i, a := range args {
			if (a == "-f" || a == "--config") && i+1 < len(args) {
				return args[i+1]
			}
			if strings.HasPrefix(a, "--config=") {
				return strings.TrimPrefix(a, "--config=")
			}
		}
	}
	prog := "libvirtd"
	if exe, err := os.Readlink("/proc/self/exe"); err == nil && strings.HasPrefix(filepath.Base(exe), "virt") {
		prog = filepath.Base(exe)
	}
	return "/etc/libvirt/" + prog + ".conf"
}
