package core

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Tests of the procedures (procedures.go) beyond what router_test.go runs
// through openNamespace: the handshake's auth steps, on the same fake peer.

func TestHandshakeAuth(t *testing.T) {
	authList := func(types ...int32) []byte {
		e := encoder{}
		e.u32(uint32(len(types)))
		for _, ty := range types {
			e.i32(ty)
		}
		return encodePacket(header{Prog: progRemote, Vers: 1, Proc: procAuthList, Type: typeReply}, e.b)
	}
	ok := func(proc int32, serial uint32, ret []byte) []byte {
		return encodePacket(header{Prog: progRemote, Vers: 1, Proc: proc, Type: typeReply, Serial: serial}, ret)
	}
	t.Run("polkit", func(t *testing.T) {
		c, peer := newPair(t)
		var procs []int32
		var flags uint32
		done := run(t, func() {
			h, _, _ := peerRead(peer)
			procs = append(procs, h.Proc)
			peerWrite(t, peer, authList(authPolkit))
			h, _, _ = peerRead(peer)
			procs = append(procs, h.Proc)
			peerWrite(t, peer, ok(procAuthPolkit, 1, []byte{0, 0, 0, 1}))
			h, p, _ := peerRead(peer)
			procs = append(procs, h.Proc)
			d := decoder{b: p}
			if n := d.optStr(); n == nil || *n != "lxc:///system" {
				t.Errorf("name %v", n)
			}
			flags = d.u32()
			peerWrite(t, peer, ok(procConnectOpen, 2, nil))
		})
		if err := c.handshake("lxc:///system", true, time.Now().Add(5*time.Second), nil); err != nil {
			t.Fatal(err)
		}
		<-done
		if len(procs) != 3 || procs[0] != 66 || procs[1] != 70 || procs[2] != 1 || flags != 1 {
			t.Errorf("procs %v flags %d", procs, flags)
		}
	})
	t.Run("sasl", func(t *testing.T) {
		c, peer := newPair(t)
		run(t, func() {
			peerRead(peer)
			peerWrite(t, peer, authList(authSASL, authPolkit))
		})
		err := c.handshake("lxc:///system", false, time.Now().Add(5*time.Second), nil)
		var le *Error
		if !errors.As(err, &le) || le.Code != ErrUnsupported || !strings.Contains(le.Error(), "SASL") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("unknown", func(t *testing.T) {
		c, peer := newPair(t)
		run(t, func() {
			peerRead(peer)
			peerWrite(t, peer, authList(7))
		})
		err := c.handshake("lxc:///system", false, time.Now().Add(5*time.Second), nil)
		var le *Error
		if !errors.As(err, &le) || le.Code != ErrAuthFailed || le.Error() != "unsupported authentication type 7" {
			t.Errorf("got %v", err)
		}
	})
}
