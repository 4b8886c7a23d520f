// Command godlopen is a Go host of libvirt-lxc.so.0: it dlopen()s the
// library given by -lib (ours or the system one, by path), calls the four
// virDomainLxc* functions on the live test bed, and then checks that the
// host's own Go runtime still works (GC, timers, preemption, signals,
// panic/recover). With our library, OpenNamespace may bring a second Go
// runtime (our c-shared core) into this process; this program measures
// whether the two coexist. It prints one JSON object; tests/live runs it.
package main

/*
#cgo pkg-config: libvirt
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

typedef int (*openFn)(virDomainPtr, int **, unsigned int);
typedef int (*enterNsFn)(virDomainPtr, unsigned int, int *, unsigned int *, int **, unsigned int);
typedef int (*enterCgFn)(virDomainPtr, unsigned int);
typedef int (*enterSlFn)(virSecurityModelPtr, virSecurityLabelPtr, virSecurityLabelPtr, unsigned int);

static int callOpen(void *f, virDomainPtr d, int **fds, unsigned int flags)
{ return ((openFn)f)(d, fds, flags); }
static int callEnterNs(void *f, virDomainPtr d, unsigned int n, int *fds,
                       unsigned int *nold, int **old, unsigned int flags)
{ return ((enterNsFn)f)(d, n, fds, nold, old, flags); }
static int callEnterCg(void *f, virDomainPtr d, unsigned int flags)
{ return ((enterCgFn)f)(d, flags); }
static int callEnterSl(void *f, const char *model, const char *label,
                       int wantOld, unsigned int flags)
{
    virSecurityModel m;
    virSecurityLabel l, old;
    memset(&m, 0, sizeof(m));
    memset(&l, 0, sizeof(l));
    snprintf(m.model, sizeof(m.model), "%s", model);
    snprintf(l.label, sizeof(l.label), "%s", label);
    return ((enterSlFn)f)(&m, &l, wantOld ? &old : NULL, flags);
}
static int fdAt(int *fds, int i) { return fds[i]; }
static void silence(void *opaque, virErrorPtr err) { (void)opaque; (void)err; }
static void quiet(void) { virSetErrorFunc(NULL, silence); }
static void *dlsymDefault(const char *name) { return dlsym(RTLD_DEFAULT, name); }
*/
import "C"

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Result is one call (or check) in the JSON report.
type Result struct {
	Ret    int      `json:"ret"`
	Code   int      `json:"code,omitempty"`
	Domain int      `json:"domain,omitempty"`
	Int1   int      `json:"int1,omitempty"`
	Msg    string   `json:"msg,omitempty"`
	NS     []string `json:"ns,omitempty"`      // "net:[4026532...]" per fd, in order
	Cloexc []bool   `json:"cloexec,omitempty"` // FD_CLOEXEC per fd
}

// Health is the state of the host's Go runtime after the calls.
type Health struct {
	GCCycles     uint32 `json:"gc_cycles"`     // runtime.GC() calls that completed
	TimerTicks   int    `json:"timer_ticks"`   // 10 ms ticks seen during the busy phase
	Preempted    bool   `json:"preempted"`     // a timer goroutine ran while another spun, GOMAXPROCS=1
	Goroutines   int    `json:"goroutines_ok"` // of 100 short goroutines, how many finished
	SigUSR1      bool   `json:"sigusr1"`       // signal.Notify delivered a self-sent SIGUSR1
	ProfSamples  int    `json:"prof_samples"`  // CPU profile (SIGPROF) bytes, >0 if profiling worked
	Recovered    string `json:"recovered"`     // a nil dereference turned into a recovered panic
	ElapsedMilli int64  `json:"elapsed_ms"`
}

// Report is what the program prints.
type Report struct {
	Lib             string            `json:"lib"`      // realpath of the mapped libvirt-lxc.so.0
	CoreMapped      bool              `json:"core"`     // libvirt-lxc-core.so mapped in this process
	HostCgo         bool              `json:"host_cgo"` // x_cgo_init visible via dlsym(RTLD_DEFAULT)
	Threads0        int               `json:"threads0"` // threads before the first call
	Calls           map[string]Result `json:"calls"`
	Repeat          int               `json:"repeat_ok"` // successful repeated OpenNamespace calls
	RepeatTotal     int               `json:"repeat_total"`
	RepeatMs        float64           `json:"repeat_ms_per_call"`
	Concurrent      int               `json:"concurrent_ok"` // same, 4 goroutines, host GC running
	ConcurrentTotal int               `json:"concurrent_total"`
	Before          Health            `json:"before"`
	After           Health            `json:"after"`
}

var lib unsafe.Pointer

func sym(name string) unsafe.Pointer {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	p := C.dlsym(lib, cs)
	if p == nil {
		fatal("dlsym %s: %s", name, C.GoString(C.dlerror()))
	}
	return p
}

func fatal(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "godlopen: "+format+"\n", a...)
	os.Exit(2)
}

// lastError fills r from virGetLastError(), which lives in libvirt.so.0
// shared by this host and libvirt-lxc.so.0.
func lastError(r *Result) {
	e := C.virGetLastError()
	if e == nil {
		return
	}
	r.Code, r.Domain, r.Int1 = int(e.code), int(e.domain), int(e.int1)
	if e.message != nil {
		r.Msg = C.GoString(e.message)
	}
}

// describe records, for each fd, its namespace identity and FD_CLOEXEC.
func describe(r *Result, fds []int) {
	for _, fd := range fds {
		l, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
		if err != nil {
			l = "error:" + err.Error()
		}
		r.NS = append(r.NS, l)
		fl, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		r.Cloexc = append(r.Cloexc, fl&unix.FD_CLOEXEC != 0)
	}
}

func openNS(f unsafe.Pointer, dom C.virDomainPtr, flags uint) (Result, []int) {
	var cfds *C.int
	var r Result
	r.Ret = int(C.callOpen(f, dom, &cfds, C.uint(flags)))
	if r.Ret < 0 {
		lastError(&r)
		return r, nil
	}
	fds := make([]int, r.Ret)
	for i := range fds {
		fds[i] = int(C.fdAt(cfds, C.int(i)))
	}
	C.free(unsafe.Pointer(cfds))
	return r, fds
}

func closeAll(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}

func mapped() (libPath string, core bool) {
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
				libPath = rp
			}
		case base == "libvirt-lxc-core.so":
			core = true
		}
	}
	return
}

func threads() int {
	b, _ := os.ReadFile("/proc/self/status")
	var n int
	for _, l := range strings.Split(string(b), "\n") {
		if _, err := fmt.Sscanf(l, "Threads: %d", &n); err == nil {
			return n
		}
	}
	return -1
}

//go:noinline
func deref(p *int) int { return *p }

// health exercises the host runtime for about d.
func health(d time.Duration) Health {
	var h Health
	start := time.Now()
	for i := 0; i < 3; i++ {
		runtime.GC()
		h.GCCycles++
	}
	debug.FreeOSMemory()

	// Goroutines, channels, allocation.
	var wg sync.WaitGroup
	var done atomic.Int32
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := make([]byte, 64<<10)
			b[0] = 1
			time.Sleep(time.Millisecond)
			done.Add(1)
		}()
	}
	wg.Wait()
	h.Goroutines = int(done.Load())

	// Preemption: with one P, a tight loop must be preempted (SIGURG, async
	// preemption) for the ticker goroutine to run.
	old := runtime.GOMAXPROCS(1)
	var ticks atomic.Int32
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				ticks.Add(1)
			case <-stop:
				return
			}
		}
	}()
	spinUntil := time.Now().Add(d)
	x := 0
	for time.Now().Before(spinUntil) {
		for i := 0; i < 1000; i++ {
			x += i
		}
	}
	close(stop)
	runtime.GOMAXPROCS(old)
	h.TimerTicks = int(ticks.Load())
	// Without preemption the ticker would hardly ever run; with it, about
	// one tick per 10 ms preemption slice. A tenth of that leaves room for
	// a loaded machine.
	h.Preempted = h.TimerTicks > int(d/(10*time.Millisecond))/10
	_ = x

	// Signals: a Notify()d signal, and SIGPROF through the CPU profiler.
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGUSR1)
	syscall.Kill(os.Getpid(), syscall.SIGUSR1)
	select {
	case <-ch:
		h.SigUSR1 = true
	case <-time.After(2 * time.Second):
	}
	signal.Stop(ch)
	var prof strings.Builder
	if err := pprof.StartCPUProfile(&prof); err == nil {
		until := time.Now().Add(300 * time.Millisecond)
		for time.Now().Before(until) {
			x++
		}
		pprof.StopCPUProfile()
		h.ProfSamples = prof.Len()
	}

	// A nil dereference is a SIGSEGV that the host's runtime turns into a
	// recoverable panic; a foreign handler would crash the process.
	func() {
		defer func() {
			if r := recover(); r != nil {
				h.Recovered = fmt.Sprint(r)
			}
		}()
		deref(nil)
	}()
	h.ElapsedMilli = time.Since(start).Milliseconds()
	return h
}

func main() {
	libPath := flag.String("lib", "", "libvirt-lxc.so.0 to dlopen, by path")
	repeat := flag.Int("repeat", 20, "repeated OpenNamespace calls")
	busy := flag.Duration("busy", 2*time.Second, "busy-loop time of the health check")
	flag.Parse()
	runtime.LockOSThread() // EnterNamespace below changes this thread

	rep := Report{Calls: map[string]Result{}}
	ccgo := C.CString("x_cgo_init")
	rep.HostCgo = C.dlsymDefault(ccgo) != nil
	C.free(unsafe.Pointer(ccgo))
	rep.Before = health(*busy)
	rep.Threads0 = threads()

	cp := C.CString(*libPath)
	lib = C.dlopen(cp, C.RTLD_NOW|C.RTLD_GLOBAL)
	C.free(unsafe.Pointer(cp))
	if lib == nil {
		fatal("dlopen %s: %s", *libPath, C.GoString(C.dlerror()))
	}
	fOpen, fNs := sym("virDomainLxcOpenNamespace"), sym("virDomainLxcEnterNamespace")
	fCg, fSl := sym("virDomainLxcEnterCGroup"), sym("virDomainLxcEnterSecurityLabel")

	C.quiet()
	curi := C.CString("lxc:///system")
	conn := C.virConnectOpen(curi)
	ro := C.virConnectOpenReadOnly(curi)
	C.free(unsafe.Pointer(curi))
	if conn == nil || ro == nil {
		fatal("cannot connect to lxc:///system")
	}
	lookup := func(c C.virConnectPtr, name string) C.virDomainPtr {
		cn := C.CString(name)
		defer C.free(unsafe.Pointer(cn))
		d := C.virDomainLookupByName(c, cn)
		if d == nil {
			fatal("no domain %s", name)
		}
		return d
	}
	plain, off := lookup(conn, "lxcgo-plain"), lookup(conn, "lxcgo-off")
	plainRO := lookup(ro, "lxcgo-plain")

	// OpenNamespace: success, inactive domain, read-only connection.
	r, fds := openNS(fOpen, plain, 0)
	describe(&r, fds)
	rep.Calls["open_plain"] = r
	closeAll(fds)
	r, _ = openNS(fOpen, off, 0)
	rep.Calls["open_off"] = r
	r, _ = openNS(fOpen, plainRO, 0)
	rep.Calls["open_readonly"] = r

	// Repeated calls on the same host.
	start := time.Now()
	rep.RepeatTotal = *repeat
	for i := 0; i < *repeat; i++ {
		r, fds := openNS(fOpen, plain, 0)
		if r.Ret == 6 {
			rep.Repeat++
		}
		closeAll(fds)
	}
	if *repeat > 0 {
		rep.RepeatMs = float64(time.Since(start).Microseconds()) / 1000 / float64(*repeat)
	}
	// The same from 4 goroutines at once while the host collects garbage:
	// both runtimes busy at the same time.
	var cwg sync.WaitGroup
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
	for g := 0; g < 4; g++ {
		cwg.Add(1)
		go func() {
			defer cwg.Done()
			for i := 0; i < *repeat/2; i++ {
				r, fds := openNS(fOpen, plain, 0)
				if r.Ret == 6 {
					cok.Add(1)
				}
				closeAll(fds)
			}
		}()
	}
	cwg.Wait()
	close(gcStop)
	rep.Concurrent, rep.ConcurrentTotal = int(cok.Load()), 4*(*repeat/2)

	// EnterNamespace into the namespaces this process is in already: a
	// success with both libraries, without leaving them.
	var own []C.int
	for _, n := range []string{"user", "ipc", "uts", "net", "pid", "mnt"} {
		fd, err := unix.Open("/proc/self/ns/"+n, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			fatal("%v", err)
		}
		own = append(own, C.int(fd))
	}
	cown := (*C.int)(C.malloc(C.size_t(len(own)) * C.size_t(unsafe.Sizeof(C.int(0)))))
	copy(unsafe.Slice(cown, len(own)), own)
	var nold C.uint
	var old *C.int
	r = Result{Ret: int(C.callEnterNs(fNs, plain, C.uint(len(own)), cown, &nold, &old, 0))}
	if r.Ret < 0 {
		lastError(&r)
	} else {
		olds := make([]int, nold)
		for i := range olds {
			olds[i] = int(C.fdAt(old, C.int(i)))
		}
		describe(&r, olds)
		closeAll(olds)
		C.free(unsafe.Pointer(old))
	}
	rep.Calls["enterns_own"] = r
	// A closed fd: EBADF, the same error from both.
	unsafe.Slice(cown, len(own))[0] = 1000
	r = Result{Ret: int(C.callEnterNs(fNs, plain, 1, cown, nil, nil, 0))}
	lastError(&r)
	rep.Calls["enterns_ebadf"] = r
	C.free(unsafe.Pointer(cown))
	for _, fd := range own {
		unix.Close(int(fd))
	}

	// EnterCGroup error paths (success would move this whole process).
	r = Result{Ret: int(C.callEnterCg(fCg, plainRO, 0))}
	lastError(&r)
	rep.Calls["cgroup_readonly"] = r
	r = Result{Ret: int(C.callEnterCg(fCg, plain, 1))}
	lastError(&r)
	rep.Calls["cgroup_flags"] = r

	// EnterSecurityLabel.
	cm, cl := C.CString("none"), C.CString("")
	r = Result{Ret: int(C.callEnterSl(fSl, cm, cl, 1, 0))}
	lastError(&r)
	rep.Calls["seclabel_none"] = r
	C.free(unsafe.Pointer(cm))
	cm = C.CString("bogus")
	r = Result{Ret: int(C.callEnterSl(fSl, cm, cl, 0, 0))}
	lastError(&r)
	rep.Calls["seclabel_bogus"] = r
	C.free(unsafe.Pointer(cm))
	C.free(unsafe.Pointer(cl))

	rep.Lib, rep.CoreMapped = mapped()
	rep.After = health(*busy)
	// One more call after the health check: the library still answers.
	r, fds = openNS(fOpen, plain, 0)
	describe(&r, fds)
	closeAll(fds)
	rep.Calls["open_plain_last"] = r

	C.virDomainFree(plain)
	C.virDomainFree(off)
	C.virDomainFree(plainRO)
	C.virConnectClose(conn)
	C.virConnectClose(ro)
	out, _ := json.MarshalIndent(rep, "", " ")
	fmt.Println(string(out))
}
