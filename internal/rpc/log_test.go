// The router's records and the nil Logger's cost.

package rpc

import (
	"strings"
	"testing"
	"time"

	"github.com/libvirt-lxc-go/libvirt-lxc/internal/report"
	"github.com/libvirt-lxc-go/libvirt-lxc/internal/report/reporttest"
)

// The router's records: the call, what comes before its reply (a PING
// answered, an event dropped), the reply with its fds; each under the
// function that made it.
func TestLogRouterRecords(t *testing.T) {
	c, peer := newPair(t)
	src := devNulls(t, 3)
	run(t, func() {
		peerRead(peer)
		peerWrite(t, peer, ping())
		peerRead(peer) // the PONG
		peerWrite(t, peer, encodePacket(header{Prog: progRemote, Vers: 1, Proc: 315, Type: typeMessage, Serial: 1}, []byte{1, 2, 3, 4}))
		peerWrite(t, peer, replyFDs(0, 3))
		sendFDs(t, peer, src...)
	})
	var r reporttest.Records
	req := nsReq()
	req.Log = r.Logger()
	fds, err := c.openNamespace(req, time.Now().Add(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	closeAll(fds)
	r.WantInOrder(t, []string{
		"rpc/router.go rpc.(*Conn).call: RPC message sent: prog=0x68000 vers=1 proc=1 type=0 status=0 serial=0 len=60 nfds=0",
		"rpc/router.go rpc.(*Conn).answerMessage: RPC message received: prog=0x6b656570 vers=1 proc=1 type=2 status=0 serial=0 len=28 nfds=0",
		"keepalive PING from the daemon: answered with PONG",
		"RPC message received: prog=0x20008086 vers=1 proc=315 type=2 status=0 serial=1 len=32 nfds=0",
		"RPC message received: prog=0x68000 vers=1 proc=1 type=5 status=0 serial=0 len=32 nfds=3",
	})
	if len(r.Got) != 5 {
		t.Errorf("%d records, want 5:\n%s", len(r.Got), strings.Join(r.Got, "\n"))
	}
}

// A nil Logger formats nothing and is never called.
func TestLogNil(t *testing.T) {
	var l report.Logger
	if n := testing.AllocsPerRun(100, func() {
		logMessage(l, "sent", header{Prog: progLXC, Serial: 1 << 20}, 1<<20, 6)
	}); n != 0 {
		t.Errorf("a nil Logger's message makes %v allocations", n)
	}
}
