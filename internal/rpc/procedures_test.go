// Tests of the handshake's auth steps, on router_test.go's fake peer.

package rpc

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/libvirt-lxc-go/libvirt-lxc/internal/report"
	"github.com/libvirt-lxc-go/libvirt-lxc/internal/xdr"
)

// Tests of the procedures (procedures.go) beyond what router_test.go runs
// through openNamespace: the handshake's auth steps, on the same fake peer.

func TestHandshakeAuth(t *testing.T) {
	authList := func(types ...int32) []byte {
		e := xdr.Encoder{}
		e.U32(uint32(len(types)))
		for _, ty := range types {
			e.I32(ty)
		}
		return encodePacket(header{Prog: progRemote, Vers: 1, Proc: procAuthList, Type: typeReply}, e.Buf)
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
			d := xdr.Decoder{Buf: p}
			if n := d.OptStr(); n == nil || *n != "lxc:///system" {
				t.Errorf("name %v", n)
			}
			flags = d.U32()
			peerWrite(t, peer, ok(procConnectOpen, 2, nil))
		})
		if err := c.Handshake("lxc:///system", true, time.Now().Add(5*time.Second), nil); err != nil {
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
		err := c.Handshake("lxc:///system", false, time.Now().Add(5*time.Second), nil)
		var le *report.Error
		if !errors.As(err, &le) || le.Code != report.ErrUnsupported || !strings.Contains(le.Error(), "SASL") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("unknown", func(t *testing.T) {
		c, peer := newPair(t)
		run(t, func() {
			peerRead(peer)
			peerWrite(t, peer, authList(7))
		})
		err := c.Handshake("lxc:///system", false, time.Now().Add(5*time.Second), nil)
		var le *report.Error
		if !errors.As(err, &le) || le.Code != report.ErrAuthFailed || le.Error() != "unsupported authentication type 7" {
			t.Errorf("got %v", err)
		}
	})
}
