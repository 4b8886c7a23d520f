// Inside the daemon (libvirtd or virtlxcd links libvirt-lxc.so.0 and calls
// OpenNamespace while serving a client), a call over the socket would be
// served by the very process waiting for it. Instead the request is served
// here from the daemon's own state files, with the daemon's checks and
// errors in the daemon's order. The ACL check cannot be run from here, so
// the path refuses to work when an access driver may be configured
// (daemonconf.go).

package indaemon

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/libvirt-lxc-go/libvirt-lxc/internal/report"
)

// nsNames are the namespaces the daemon hands out, in its order.
var nsNames = []string{"user", "ipc", "uts", "net", "pid", "mnt"}

// OpenInHost serves req from this process's view of the host, as the
// daemon's LXC driver does (serveInHost), once the caller is confirmed to
// be the daemon running the LXC driver with no access control to apply.
func (h *Host) Open(req *Call) ([]int, error) {
	// The daemon rejects flags before anything else, so that error needs
	// no confirmation.
	if req.Flags == 0 {
		if err := h.confirmDaemon(req.Caller); err != nil {
			return nil, err
		}
	}
	return h.serveInHost(req)
}

type daemonIdentity struct {
	pid   int
	start uint64 // procStartTicks
}

// confirmDaemon runs RunsLXCDriver and checkAccessControl for caller, once
// per daemon process: both answers hold for the daemon's whole life (the
// LXC driver keeps its lock while it runs; the daemon reads its config,
// access_drivers included, once at start-up, and a "yes" was only given for
// a file unchanged since then). They cost a few hundred microseconds of
// /proc and file reads, more than the rest of the call. A refusal is not
// kept: the next call checks again.
func (h *Host) confirmDaemon(caller int) error {
	start, err := h.procStartTicks(caller)
	if err != nil {
		return report.NewError(report.ErrInternal, report.FromLXC, "cannot tell when process "+strconv.Itoa(caller)+" started: "+err.Error())
	}
	id := daemonIdentity{caller, start}
	if _, ok := h.confirmed.Load(id); ok {
		return nil
	}
	if err := h.RunsLXCDriver(caller); err != nil {
		return err
	}
	if err := h.checkAccessControl(caller); err != nil {
		return err
	}
	h.confirmed.Store(id, struct{}{})
	return nil
}

// serveInHost does what the LXC driver does: flags, lookup by UUID,
// running, init pid known, then open each namespace of the container's
// init, skipping failures.
func (h *Host) serveInHost(req *Call) ([]int, error) {
	if req.Flags != 0 {
		return nil, report.FlagsError(report.FromLXC, "lxcDomainLxcOpenNamespace", req.Flags)
	}
	status, err := h.findStatus(req)
	if err != nil {
		return nil, err
	}
	pid := status.initPid
	if pid <= 0 {
		return nil, report.NewError(report.ErrOperationInval, report.FromLXC, "Init pid is not yet available")
	}
	fds := openNamespaces(pid)
	req.Log.Printf("domain %s: init pid %d (its status file), %d of its namespaces opened", status.uuid, pid, len(fds))
	return fds, nil
}

// openNamespaces opens /proc/<pid>/ns/* in the daemon's order, skipping any
// that cannot be opened (the daemon does the same). Always the kernel's
// /proc, not Host.Proc: what is handed out must be the namespaces
// themselves, while Host.Proc is where facts about the daemon are read
// (tests point it at fake trees).
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
func (h *Host) findStatus(req *Call) (*statusFile, error) {
	want := formatUUID(req.UUID)
	// The file is named after the domain; try the given name first, then
	// scan, since the daemon looks up by UUID alone. A name with a slash
	// cannot be a file name here and must not walk out of the directory.
	match := func(p string) (*statusFile, bool) {
		f := h.readStatus(p)
		return f, f != nil && f.uuid == want
	}
	named := ""
	if req.Name != "" && !strings.ContainsRune(req.Name, '/') {
		named = filepath.Join(h.StateDir, req.Name+".xml")
		if f, ok := match(named); ok {
			return f, nil
		}
	}
	if all, err := filepath.Glob(filepath.Join(h.StateDir, "*.xml")); err == nil {
		for _, p := range all {
			if p == named {
				continue
			}
			if f, ok := match(p); ok {
				return f, nil
			}
		}
	}
	if defs, err := filepath.Glob(filepath.Join(h.ConfigDir, "*.xml")); err == nil {
		for _, p := range defs {
			if data, err := os.ReadFile(p); err == nil && elementText(string(data), "uuid") == want {
				return nil, report.NewError(report.ErrOperationInval, report.FromConfig, "domain is not running")
			}
		}
	}
	return nil, report.NewError(report.ErrNoDomain, report.FromLXC, "no domain with matching uuid '"+want+"' ("+req.Name+")")
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

// readStatus returns what the status file at p says, reading it only when
// it changed since it was last read; nil when it cannot be read.
func (h *Host) readStatus(p string) *statusFile {
	var st unix.Stat_t
	if err := unix.Stat(p, &st); err != nil {
		h.statusCache.Lock()
		delete(h.statusCache.byPath, p)
		h.statusCache.Unlock()
		return nil
	}
	h.statusCache.Lock()
	f := h.statusCache.byPath[p]
	h.statusCache.Unlock()
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
	h.statusCache.Lock()
	if h.statusCache.byPath == nil {
		h.statusCache.byPath = make(map[string]*statusFile)
	}
	h.statusCache.byPath[p] = f
	h.statusCache.Unlock()
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
