// The procedures this client calls (docs/PROTOCOL.md §3, §6). They speak
// only to the router (conn.call, and conn.breakAll when a reply that came
// back whole does not decode): framing, serials, keepalive and fd passing
// are the router's.

package rpc

import (
	"errors"
	"strconv"
	"time"

	"github.com/libvirt-lxc-go/libvirt-lxc/internal/report"
	"github.com/libvirt-lxc-go/libvirt-lxc/internal/xdr"
)

// Handshake authenticates and opens the hypervisor connection, as the real
// client does: AUTH_LIST, AUTH_POLKIT if asked, CONNECT_OPEN.
func (c *Conn) Handshake(name string, readonly bool, deadline time.Time, log report.Logger) error {
	w := c.newCall(log)
	defer c.release(w)
	err := c.call(w, progRemote, procAuthList, deadline)
	r := &w.r
	var le *report.Error
	switch {
	case errors.As(err, &le) && le.Code == report.ErrNoSupport:
		// A daemon too old to know AUTH_LIST needs no auth step.
	case err != nil:
		return err
	default:
		d := xdr.Decoder{Buf: r.payload}
		n := d.U32()
		if d.Err == nil && n > maxAuthTypes {
			return &callError{err: protocolError("AUTH_LIST returned more than " + strconv.Itoa(maxAuthTypes) + " types")}
		}
		types := make([]int32, 0, n)
		for i := uint32(0); i < n && d.Err == nil; i++ {
			types = append(types, d.I32())
		}
		if err := d.Done(); err != nil {
			err := &callError{err: protocolError("malformed AUTH_LIST reply: " + err.Error())}
			c.breakAll(err)
			return err
		}
		if len(types) > 0 {
			switch types[0] {
			case authNone:
			case authPolkit:
				w := c.newCall(log)
				err := c.call(w, progRemote, procAuthPolkit, deadline)
				c.release(w)
				if err != nil {
					return err
				}
			case authSASL:
				return report.NewError(report.ErrUnsupported, report.FromRemote,
					"the daemon on '"+c.socket+"' requires SASL authentication, which libvirt-lxc-go does not implement; "+
						"use a socket configured with auth_unix_rw/auth_unix_ro = \"none\" or \"polkit\"")
			default:
				return report.NewError(report.ErrAuthFailed, report.FromRemote, "unsupported authentication type "+strconv.Itoa(int(types[0])))
			}
		}
	}
	wo := c.newCall(log)
	defer c.release(wo)
	e := wo.args()
	e.OptStr(&name)
	var flags uint32
	if readonly {
		flags = connectFlagReadOnly
	}
	e.U32(flags)
	wo.setArgs(e)
	return c.call(wo, progRemote, procConnectOpen, deadline)
}

// NamespaceCall is the argument of DOMAIN_OPEN_NAMESPACE: the domain
// (remote_nonnull_domain), the flags, and where the call's records go.
type NamespaceCall struct {
	Name  string
	UUID  [xdr.UUIDLen]byte
	ID    int32
	Flags uint32
	Log   report.Logger // nil: no records
}

// openNamespace is the LXC DOMAIN_OPEN_NAMESPACE call.
func (c *Conn) openNamespace(req *NamespaceCall, deadline time.Time) ([]int, error) {
	return c.OpenNamespaceAppend(req, deadline, nil)
}

// OpenNamespaceAppend is openNamespace appending the fds to dst, so that a
// caller with room for them allocates nothing.
func (c *Conn) OpenNamespaceAppend(req *NamespaceCall, deadline time.Time, dst []int) ([]int, error) {
	w := c.newCall(req.Log)
	defer c.release(w)
	e := w.args()
	e.Domain(req.Name, req.UUID, req.ID)
	e.U32(req.Flags)
	w.setArgs(e)
	if err := c.call(w, progLXC, procLXCOpenNS, deadline); err != nil {
		return nil, err
	}
	// The ret type is void: anything left is a protocol mismatch.
	if len(w.r.payload) != 0 {
		closeAll(w.r.fds)
		err := &callError{err: protocolError("unexpected data after the namespace reply")}
		c.breakAll(err)
		return nil, err
	}
	if len(w.r.fds) == 0 {
		return nil, nil
	}
	return append(dst, w.r.fds...), nil
}
