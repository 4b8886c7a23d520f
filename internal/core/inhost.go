package core

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// Inside the daemon (libvirtd or virtlxcd links libvirt-lxc.so.0 and calls
// OpenNamespace while serving a client), a call over the socket would be
// served by the very process waiting for it. Instead the request is served
// here from the daemon's own state files, with the daemon's checks and
// errors in the daemon's order. The ACL check cannot be run from here, so
// the path refuses to work when an access driver may be configured
// (daemonconf.go).

// lxcStateDir holds the LXC driver's state: <name>.xml (status XML of each
// running domain) and driver.pid.
var lxcStateDir = "/run/libvirt/lxc"

// lxcConfigDir holds persistent domain definitions.
var lxcConfigDir = "/etc/libvirt/lxc"

// nsNames are the namespaces the daemon hands out, in its order.
var nsNames = []string{"user", "ipc", "uts", "net", "pid", "mnt"}

// driverPidFile is the file the LXC driver locks while it runs
// (src/lxc/lxc_driver.c, lxcStateInitialize: virPidFileAcquire(stateDir,
// "driver", getpid())).
const driverPidFile = "driver.pid"

// lxcDriverHere returns nil when caller runs libvirt's LXC driver:
// driver.pid holds caller's pid and caller holds the lock the driver takes
// on it, as read from a /proc of our pid namespace in our mount namespace.
// Requiring that very lock rules out a stale file whose pid was reused.
// Otherwise it returns an *Error saying what is missing.
func lxcDriverHere(caller int) error {
	fail := func(why string) error {
		return newError(ErrInternal, FromLXC, "cannot confirm that process "+strconv.Itoa(caller)+" runs libvirt's LXC driver: "+why)
	}
	path := lxcStateDir + "/" + driverPidFile
	// Closing any fd of a file drops every POSIX lock the closing process
	// holds on it: inside the daemon itself, opening driver.pid would
	// release the driver's lock. There the lock alone decides (the driver
	// writes its pid only once it holds the lock).
	if caller != os.Getpid() {
		data, err := os.ReadFile(path)
		if err != nil {
			return fail("cannot read " + path + ": " + err.Error())
		}
		if got := strings.TrimSpace(string(data)); got != strconv.Itoa(caller) {
			return fail(path + " holds pid " + strconv.Quote(got))
		}
	}
	if err := sameView(caller); err != nil {
		return fail(err.Error())
	}
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return fail("cannot stat " + path + ": " + err.Error())
	}
	locks, err := os.ReadFile(procRoot + "/locks")
	if err != nil {
		return fail("cannot read " + procRoot + "/locks: " + err.Error())
	}
	if !holdsDriverLock(string(locks), caller, uint64(st.Dev), st.Ino) {
		return fail("it does not hold the LXC driver's write lock on " + path)
	}
	return nil
}

// holdsDriverLock looks in /proc/locks text for the lock
// virPidFileAcquirePath takes (src/util/virpidfile.c, through virFileLock
// in src/util/virfile.c: fcntl F_SETLK, F_WRLCK, start 0, length 1) held by
// pid on the inode dev:ino. The kernel prints it as
// "N: POSIX  ADVISORY  WRITE <pid> <major>:<minor>:<ino> 0 0", device
// numbers in hex; lines of waiting locks have "->" after the number.
func holdsDriverLock(locks string, pid int, dev, ino uint64) bool {
	want := []string{"POSIX", "ADVISORY", "WRITE", strconv.Itoa(pid),
		hex2(unix.Major(dev)) + ":" + hex2(unix.Minor(dev)) + ":" + strconv.FormatUint(ino, 10), "0", "0"}
	for _, line := range strings.Split(locks, "\n") {
		f := strings.Fields(line)
		if len(f) == len(want)+1 && equalStrings(f[1:], want) {
			return true
		}
	}
	return false
}

// hex2 is printf's %02x, as the kernel prints device numbers in /proc/locks.
func hex2(n uint32) string {
	s := strconv.FormatUint(uint64(n), 16)
	if len(s) < 2 {
		s = "0" + s
	}
	return s
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// OpenInHost serves req from this process's view of the host, as the
// daemon's LXC driver does (serveInHost), once the caller is confirmed to
// be the daemon running the LXC driver with no access control to apply.
func OpenInHost(req *Request) ([]int, error) {
	// The daemon rejects flags before anything else, so that error needs
	// no confirmation.
	if req.Flags == 0 {
		if err := confirmDaemon(req.callerPid()); err != nil {
			return nil, err
		}
	}
	return serveInHost(req)
}

// confirmed holds the daemons confirmed by confirmDaemon, by pid and start
// time (so a reused pid is not taken for the daemon that had it).
var confirmed sync.Map // daemonIdentity -> struct{}

type daemonIdentity struct {
	pid   int
	start uint64 // procStartTicks
}

// confirmDaemon runs lxcDriverHere and checkAccessControl for caller, once
// per daemon process: both answers hold for the daemon's whole life (the
// LXC driver keeps its lock while it runs; the daemon reads its config,
// access_drivers included, once at start-up, and a "yes" was only given for
// a file unchanged since then). They cost a few hundred microseconds of
// /proc and file reads, more than the rest of the call. A refusal is not
// kept: the next call checks again.
func confirmDaemon(caller int) error {
	start, err := procStartTicks(caller)
	if err != nil {
		return newError(ErrInternal, FromLXC, "cannot tell when process "+strconv.Itoa(caller)+" started: "+err.Error())
	}
	id := daemonIdentity{caller, start}
	if _, ok := confirmed.Load(id); ok {
		return nil
	}
	if err := lxcDriverHere(caller); err != nil {
		return err
	}
	if err := checkAccessControl(caller); err != nil {
		return err
	}
	confirmed.Store(id, struct{}{})
	return nil
}

// serveInHost does what the LXC driver does: flags, lookup by UUID,
// running, init pid known, then open each namespace of the container's
// init, skipping failures.
func serveInHost(req *Request) ([]int, error) {
	if req.Flags != 0 {
		return nil, flagsError(FromLXC, "lxcDomainLxcOpenNamespace", req.Flags)
	}
	status, err := findStatus(req)
	if err != nil {
		return nil, err
	}
	pid := status.initPid
	if pid <= 0 {
		return nil, newError(ErrOperationInval, FromLXC, "Init pid is not yet available")
	}
	fds := openNamespaces(pid)
	req.Log.printf("domain %s: init pid %d (its status file), %d of its namespaces opened", status.uuid, pid, len(fds))
	return fds, nil
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

// findStatus returns what the status XML of the running domain with req's
// UUID says, or the daemon's error for an inactive or unknown domain.
func findStatus(req *Request) (*statusFile, error) {
	want := formatUUID(req.UUID)
	// The file is named after the domain; try the given name first, then
	// scan, since the daemon looks up by UUID alone. A name with a slash
	// cannot be a file name here and must not walk out of the directory.
	match := func(p string) (*statusFile, bool) {
		f := readStatus(p)
		return f, f != nil && f.uuid == want
	}
	named := ""
	if req.Name != "" && !strings.ContainsRune(req.Name, '/') {
		named = filepath.Join(lxcStateDir, req.Name+".xml")
		if f, ok := match(named); ok {
			return f, nil
		}
	}
	if all, err := filepath.Glob(filepath.Join(lxcStateDir, "*.xml")); err == nil {
		for _, p := range all {
			if p == named {
				continue
			}
			if f, ok := match(p); ok {
				return f, nil
			}
		}
	}
	if defs, err := filepath.Glob(filepath.Join(lxcConfigDir, "*.xml")); err == nil {
		for _, p := range defs {
			if data, err := os.ReadFile(p); err == nil && elementText(string(data), "uuid") == want {
				return nil, newError(ErrOperationInval, FromConfig, "domain is not running")
			}
		}
	}
	return nil, newError(ErrNoDomain, FromLXC, "no domain with matching uuid '"+want+"' ("+req.Name+")")
}

// statusFile is what a call needs of one status file, as read while the
// file had the identity in key.
type statusFile struct {
	key     fileKey
	uuid    string
	initPid int
}

// fileKey tells one version of a file from another: the driver rewrites a
// status file by renaming a new one over it (a new inode) or in place (a
// new size or mtime).
type fileKey struct {
	dev, ino uint64
	size     int64
	mtime    unix.Timespec
}

func keyOf(st *unix.Stat_t) fileKey {
	return fileKey{dev: st.Dev, ino: st.Ino, size: st.Size, mtime: st.Mtim}
}

// statusCache keeps each status file's statusFile by path, so that a call
// on an unchanged file costs one stat() instead of reading and searching
// the XML.
var statusCache struct {
	sync.Mutex
	byPath map[string]*statusFile
}

// readStatus returns what the status file at p says, reading it only when
// it changed since it was last read; nil when it cannot be read.
func readStatus(p string) *statusFile {
	var st unix.Stat_t
	if err := unix.Stat(p, &st); err != nil {
		statusCache.Lock()
		delete(statusCache.byPath, p)
		statusCache.Unlock()
		return nil
	}
	statusCache.Lock()
	f := statusCache.byPath[p]
	statusCache.Unlock()
	if f != nil && f.key == keyOf(&st) {
		return f
	}
	// Read through one fd and key the result on that fd's fstat, so the
	// key always describes the bytes read.
	file, err := os.Open(p)
	if err != nil {
		return nil
	}
	defer file.Close()
	if err := unix.Fstat(int(file.Fd()), &st); err != nil {
		return nil
	}
	data, err := io.ReadAll(file)
	if err != nil {
		return nil
	}
	text := string(data)
	f = &statusFile{key: keyOf(&st), uuid: elementText(text, "uuid"), initPid: initPid(text)}
	statusCache.Lock()
	if statusCache.byPath == nil {
		statusCache.byPath = make(map[string]*statusFile)
	}
	statusCache.byPath[p] = f
	statusCache.Unlock()
	return f
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
