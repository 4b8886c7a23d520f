//go:build !race

// The race detector allocates on its own.

package core

import (
	"testing"

	"github.com/libvirt-lxc-go/libvirt-lxc/internal/rpc"
)

// A warm call allocates nothing: garbage collections, which start threads
// of their own in the core process, then practically never run.
func TestWarmCallAllocatesNothing(t *testing.T) {
	d := startFakeDaemon(t, false)
	c := testClient()
	defer c.CloseIdle()
	req := &Request{URI: d.uri, Name: "t1", UUID: t1UUID, ID: 2741}
	var room [rpc.MaxFDs]int
	call := func() {
		fds, err := c.OpenNamespaceAppend(req, room[:0])
		if err != nil || len(fds) != 2 {
			t.Fatalf("got %v %v", fds, err)
		}
		closeAll(fds)
	}
	call() // connects
	if n := testing.AllocsPerRun(200, call); n != 0 {
		t.Errorf("a warm call makes %v allocations, want 0", n)
	}
}
