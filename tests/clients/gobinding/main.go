// Command gobinding is a Go program that uses libvirt's LXC functions as Go
// programs do: through the Go libvirt binding's own API (LxcOpenNamespace,
// LxcEnterNamespace, DomainLxcEnterSecurityLabel, DomainLxcEnterCGroup),
// linked mode (cgo, -lvirt -lvirt-lxc). Which libvirt-lxc.so.0 it gets is
// the dynamic loader's choice (LD_LIBRARY_PATH); the program reports which
// file was mapped. tests/live/gobinding_test.go runs it with the system
// library and with ours; bench/run.sh runs its -bench modes.
//
// The binding is Debian's golang-github-libvirt-libvirt-go-dev
// (github.com/libvirt/libvirt-go, the binding before libvirt.org/go/libvirt,
// linked mode only; in Debian 12 and 13 alike). Debian ships it as a GOPATH
// tree without a go.mod, and module mode cannot use a directory without one
// (a replace directive needs it), so this program is built in GOPATH mode,
// offline:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o gobinding .
//
// It imports nothing else, so GOPATH mode needs nothing else.
//
// Report mode (default) prints one JSON object; with -hold it then waits
// for stdin to close, so that the caller can inspect the process (its core
// process) while it still runs.
//
// -bench warm: WARMUP calls, then BATCHES batches of PER calls, each
// closing its fds; "key value" lines (batch_ns per call of each batch).
// -bench first: the first call of a fresh process and a second one.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	libvirt "github.com/libvirt/libvirt-go"
)

const uri = "lxc:///system"

// nsNames are the namespaces OpenNamespace returns, in its order; a
// thread's pid namespace after setns() is its children's.
var nsNames = []string{"user", "ipc", "uts", "net", "pid_for_children", "mnt"}

// Result is one call in the report.
type Result struct {
	Ret     int      `json:"ret"` // fds returned, 0, or -1
	Code    int      `json:"code,omitempty"`
	Domain  int      `json:"domain,omitempty"`
	Level   int      `json:"level,omitempty"`
	Msg     string   `json:"msg,omitempty"`
	NS      []string `json:"ns,omitempty"`      // namespace of each fd returned (EnterNamespace: old fds)
	Cloexec []bool   `json:"cloexec,omitempty"` // FD_CLOEXEC of each fd returned
	Thread  []string `json:"thread,omitempty"`  // EnterNamespace: the thread's namespaces after
	Cgroup  string   `json:"cgroup,omitempty"`  // EnterCGroup: /proc/self/cgroup after
}

// Report is what report mode prints.
type Report struct {
	Pid             int               `json:"pid"`
	Lib             string            `json:"lib"`        // realpath of the mapped libvirt-lxc.so.0, at start
	Core            bool              `json:"core"`       // libvirt-lxc-core.so mapped, at start
	LibAfter        string            `json:"lib_after"`  // the same after every call
	CoreAfter       bool              `json:"core_after"` //
	OwnNS           []string          `json:"own_ns"`     // this process's namespaces
	CgroupBefore    string            `json:"cgroup_before"`
	Calls           map[string]Result `json:"calls"`
	Repeat          int               `json:"repeat_ok"` // calls with the same 6 namespaces as open_plain
	RepeatTotal     int               `json:"repeat_total"`
	Concurrent      int               `json:"concurrent_ok"` // the same from several goroutines
	ConcurrentTotal int               `json:"concurrent_total"`
}

func fatal(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "gobinding: "+format+"\n", a...)
	os.Exit(2)
}

// mapped returns the realpath of the libvirt-lxc.so.0 in /proc/self/maps
// and whether our Go core is mapped.
func mapped() (lib string, core bool) {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		fatal("%v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		i := strings.IndexByte(sc.Text(), '/')
		if i < 0 {
			continue
		}
		p := sc.Text()[i:]
		switch base := filepath.Base(p); {
		case strings.HasPrefix(base, "libvirt-lxc.so"):
			if rp, err := filepath.EvalSymlinks(p); err == nil {
				lib = rp
			}
		case base == "libvirt-lxc-core.so":
			core = true
		}
	}
	return lib, core
}

func fail(r *Result, err error) {
	r.Ret = -1
	if e, ok := err.(libvirt.Error); ok {
		r.Code, r.Domain, r.Level, r.Msg = int(e.Code), int(e.Domain), int(e.Level), e.Message
	} else {
		r.Msg = "not a libvirt.Error: " + err.Error()
	}
}

// describe records the namespace and FD_CLOEXEC of each file.
func describe(r *Result, files []os.File) {
	for i := range files {
		fd := files[i].Fd()
		l, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
		if err != nil {
			l = "error:" + err.Error()
		}
		r.NS = append(r.NS, l)
		fl, _, errno := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_GETFD, 0)
		r.Cloexec = append(r.Cloexec, errno == 0 && fl&syscall.FD_CLOEXEC != 0)
	}
}

func closeAll(files []os.File) {
	for i := range files {
		files[i].Close()
	}
}

func openNS(d *libvirt.Domain, flags uint32) (Result, []os.File) {
	files, err := d.LxcOpenNamespace(flags)
	if err != nil {
		var r Result
		fail(&r, err)
		return r, nil
	}
	r := Result{Ret: len(files)}
	describe(&r, files)
	return r, files
}

func sameNS(a, b []string) bool {
	return strings.Join(a, ",") == strings.Join(b, ",")
}

// onThread runs f on a locked OS thread that is discarded afterwards (the
// goroutine exits locked), so that namespaces entered there stay there.
// While the thread still lives, its namespaces are read from another one
// into r.Thread.
func onThread(f func() Result) Result {
	res, release := make(chan Result), make(chan struct{})
	var tid int
	go func() {
		runtime.LockOSThread()
		r := f()
		tid = syscall.Gettid()
		res <- r
		<-release
	}()
	r := <-res
	r.Thread = nsOf(fmt.Sprintf("/proc/self/task/%d/ns/", tid))
	close(release)
	return r
}

func nsOf(dir string) []string {
	var ns []string
	for _, n := range nsNames {
		l, err := os.Readlink(dir + n)
		if err != nil {
			l = "error:" + err.Error()
		}
		ns = append(ns, l)
	}
	return ns
}

func cgroup() string {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		fatal("%v", err)
	}
	return string(b)
}

func lookup(c *libvirt.Connect, name string) *libvirt.Domain {
	d, err := c.LookupDomainByName(name)
	if err != nil {
		fatal("no domain %s: %v", name, err)
	}
	return d
}

func connect(readonly bool) *libvirt.Connect {
	open := libvirt.NewConnect
	if readonly {
		open = libvirt.NewConnectReadOnly
	}
	c, err := open(uri)
	if err != nil {
		fatal("cannot connect to %s: %v", uri, err)
	}
	return c
}

func report(repeat, goroutines int, hold bool) {
	rep := Report{Pid: os.Getpid(), Calls: map[string]Result{}}
	rep.Lib, rep.Core = mapped()
	rep.OwnNS = nsOf("/proc/self/ns/")
	rep.CgroupBefore = cgroup()

	conn, ro := connect(false), connect(true)
	plain, off := lookup(conn, "lxcgo-plain"), lookup(conn, "lxcgo-off")
	plainRO := lookup(ro, "lxcgo-plain")

	// OpenNamespace: success, inactive domain, read-only, bad flags.
	r, files := openNS(plain, 0)
	rep.Calls["open_plain"] = r
	closeAll(files)
	want := r.NS
	for name, c := range map[string]struct {
		d     *libvirt.Domain
		flags uint32
	}{"open_off": {off, 0}, "open_readonly": {plainRO, 0}, "open_flags": {plain, 1}} {
		r, files := openNS(c.d, c.flags)
		closeAll(files)
		rep.Calls[name] = r
	}

	// Repeated calls, then several goroutines at once while the host
	// collects garbage.
	ok := func() bool {
		r, files := openNS(plain, 0)
		closeAll(files)
		return r.Ret == len(want) && sameNS(r.NS, want)
	}
	rep.RepeatTotal = repeat
	for i := 0; i < repeat; i++ {
		if ok() {
			rep.Repeat++
		}
	}
	var wg sync.WaitGroup
	var cok atomic.Int32
	gcStop := make(chan struct{})
	go func() {
		for {
			select {
			case <-gcStop:
				return
			default:
				runtime.GC()
			}
		}
	}()
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < repeat; i++ {
				if ok() {
					cok.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	close(gcStop)
	rep.Concurrent, rep.ConcurrentTotal = int(cok.Load()), goroutines*repeat

	// EnterNamespace into the container on a thread of its own: the old
	// fds returned and the namespaces the thread is in afterwards (a
	// deliberate difference: libvirt's library leaves a multi-threaded
	// caller in its own mount namespace).
	// The old fds are described from here: that thread's /proc may be
	// the container's.
	_, files = openNS(plain, 0)
	var old []os.File
	r = onThread(func() Result {
		var r Result
		var err error
		if old, err = plain.LxcEnterNamespace(files, 0); err != nil {
			fail(&r, err)
		}
		return r
	})
	describe(&r, old)
	closeAll(old)
	closeAll(files)
	rep.Calls["diff_enterns_plain"] = r
	// A closed fd: EBADF.
	bad := []os.File{*os.NewFile(1000, "closed")}
	rep.Calls["enterns_ebadf"] = onThread(func() Result {
		var r Result
		if _, err := plain.LxcEnterNamespace(bad, 0); err != nil {
			fail(&r, err)
		}
		return r
	})

	// EnterSecurityLabel.
	for name, c := range map[string]struct {
		model string
		flags uint32
	}{"seclabel_none": {"none", 0}, "seclabel_bogus": {"bogus", 0}, "seclabel_flags": {"none", 1}} {
		var r Result
		if _, err := libvirt.DomainLxcEnterSecurityLabel(&libvirt.NodeSecurityModel{Model: c.model},
			&libvirt.SecurityLabel{}, c.flags); err != nil {
			fail(&r, err)
		}
		rep.Calls[name] = r
	}

	// EnterCGroup: error paths, and the inactive domain, which re-adds the
	// caller to its own cgroups (success on lxcgo-plain would move this
	// whole process).
	for name, c := range map[string]struct {
		d     *libvirt.Domain
		flags uint32
	}{"cgroup_readonly": {plainRO, 0}, "cgroup_flags": {plain, 1}, "cgroup_off": {off, 0}} {
		var r Result
		if err := c.d.DomainLxcEnterCGroup(c.flags); err != nil {
			fail(&r, err)
		}
		r.Cgroup = cgroup()
		rep.Calls[name] = r
	}

	rep.LibAfter, rep.CoreAfter = mapped()
	for _, d := range []*libvirt.Domain{plain, off, plainRO} {
		d.Free()
	}
	conn.Close()
	ro.Close()
	out, _ := json.MarshalIndent(rep, "", " ")
	fmt.Println(string(out))
	if hold {
		io.Copy(io.Discard, os.Stdin)
	}
}

// openOnce is one benchmark call, its fds closed.
func openOnce(d *libvirt.Domain) {
	files, err := d.LxcOpenNamespace(0)
	if err != nil {
		fatal("LxcOpenNamespace: %v", err)
	}
	closeAll(files)
}

func bench(mode string, warmup, batches, per int) {
	t0 := time.Now()
	conn := connect(false)
	dom := lookup(conn, "lxcgo-plain")
	t1 := time.Now()
	openOnce(dom)
	t2 := time.Now()
	openOnce(dom)
	t3 := time.Now()
	lib, _ := mapped()
	// run.sh checks this line against the library it meant to measure.
	fmt.Printf("library %s\n", lib)
	switch mode {
	case "first":
		fmt.Printf("setup_ns %d\nfirst_ns %d\nsecond_ns %d\n",
			t1.Sub(t0).Nanoseconds(), t2.Sub(t1).Nanoseconds(), t3.Sub(t2).Nanoseconds())
	case "warm":
		for i := 0; i < warmup; i++ {
			openOnce(dom)
		}
		var total time.Duration
		for b := 0; b < batches; b++ {
			s := time.Now()
			for i := 0; i < per; i++ {
				openOnce(dom)
			}
			d := time.Since(s)
			total += d
			fmt.Printf("batch_ns %.1f\n", float64(d.Nanoseconds())/float64(per))
		}
		fmt.Printf("wall_ns %.1f\n", float64(total.Nanoseconds())/float64(batches*per))
	default:
		fatal("-bench %q: want warm or first", mode)
	}
	_, core := mapped()
	c := 0
	if core {
		c = 1
	}
	fmt.Printf("core_mapped %d\n", c)
	dom.Free()
	conn.Close()
}

func main() {
	repeat := flag.Int("repeat", 20, "repeated OpenNamespace calls (and per goroutine)")
	goroutines := flag.Int("goroutines", 4, "goroutines calling OpenNamespace at once")
	hold := flag.Bool("hold", false, "after the report, wait for stdin to close")
	mode := flag.String("bench", "", "benchmark instead of report: warm or first")
	warmup := flag.Int("warmup", 200, "-bench warm: untimed calls first")
	batches := flag.Int("batches", 10, "-bench warm: timed batches")
	per := flag.Int("per", 100, "-bench warm: calls per batch")
	flag.Parse()
	if *mode != "" {
		bench(*mode, *warmup, *batches, *per)
		return
	}
	report(*repeat, *goroutines, *hold)
}
