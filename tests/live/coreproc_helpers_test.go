//go:build live

package live

// Helpers of the core-process tests (coreproc_test.go): finding a caller's
// core processes and reading their status from /proc.

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// coreProgram is the core process's program in the build directory.
func coreProgram(t *testing.T) string {
	return filepath.Join(buildDir(t), "libvirt-lxc-open")
}

// coreProcsOf lists the core processes serving caller: processes running
// our core program whose caller pidfd (fd 4, LXC_PROC_CALLER_FD) refers
// to caller.
func coreProcsOf(t *testing.T, caller int) []int {
	t.Helper()
	var found []int
	for _, pid := range coreProcs(t) {
		info, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/fdinfo/4")
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(info), "\n") {
			if v, ok := strings.CutPrefix(line, "Pid:"); ok && strings.TrimSpace(v) == strconv.Itoa(caller) {
				found = append(found, pid)
			}
		}
	}
	return found
}

// coreProcs lists every process running our core program.
func coreProcs(t *testing.T) []int {
	t.Helper()
	prog := coreProgram(t)
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if exe, err := os.Readlink("/proc/" + e.Name() + "/exe"); err == nil && exe == prog {
			pids = append(pids, pid)
		}
	}
	return pids
}

// procStatus returns one field of /proc/PID/status ("" if gone).
func procStatus(pid int, field string) string {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// daemonFixedThreads is the daemon's thread count less its worker pools
// (which grow with load alike for any client library): what our library
// would raise if it ran the Go runtime in the daemon.
func daemonFixedThreads(t *testing.T, pid int) int {
	t.Helper()
	out, err := command(t, "virt-admin", "srv-threadpool-info", "libvirtd").CombinedOutput()
	if err != nil {
		t.Fatalf("virt-admin srv-threadpool-info libvirtd: %v\n%s", err, out)
	}
	pool := 0
	for _, line := range strings.Split(string(out), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "nWorkers", "prioWorkers":
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				t.Fatalf("virt-admin: %q", line)
			}
			pool += n
		}
	}
	threads, err := strconv.Atoi(procStatus(pid, "Threads"))
	if err != nil {
		t.Fatalf("threads of %d: %v", pid, err)
	}
	return threads - pool
}
