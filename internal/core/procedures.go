package core

import (
	"errors"
	"strconv"
	"time"
)

// The procedures this client calls (docs/PROTOCOL.md §3, §6). They speak
// only to the router (conn.call, and conn.breakAll when a reply that came
// back whole does not decode): framing, serials, keepalive and fd passing
// are the router's.

// handshake authenticates and opens the hypervisor connection, as the real
// client does: AUTH_LIST, AUTH_POLKIT if asked, CONNECT_OPEN.
func (c *conn) handshake(name string, readonly bool, deadline time.Time) error {
	r, err := c.call(progRemote, procAuthList, nil, deadline)
	var le *Error
	switch {
	case errors.As(err, &le) && le.Code == ErrNoSupport:
		// A daemon too old to know AUTH_LIST needs no auth step.
	case err != nil:
		return err
	default:
		d := decoder{b: r.payload}
		n := d.u32()
		if d.err == nil && n > maxAuthTypes {
			return &callError{err: protocolError("AUTH_LIST returned more than " + strconv.Itoa(maxAuthTypes) + " types")}
		}
		types := make([]int32, 0, n)
		for i := uint32(0); i < n && d.err == nil; i++ {
			types = append(types, d.i32())
		}
		if err := d.done(); err != nil {
			err := &callError{err: protocolError("malformed AUTH_LIST reply: " + err.Error())}
			c.breakAll(err)
			return err
		}
		if len(types) > 0 {
			switch types[0] {
			case authNone:
			case authPolkit:
				if _, err := c.call(progRemote, procAuthPolkit, nil, deadline); err != nil {
					return err
				}
			case authSASL:
				return newError(ErrUnsupported, FromRemote,
					"the daemon on '"+c.socket+"' requires SASL authentication, which libvirt-lxc-go does not implement; "+
						"use a socket configured with auth_unix_rw/auth_unix_ro = \"none\" or \"polkit\"")
			default:
				return newError(ErrAuthFailed, FromRemote, "unsupported authentication type "+strconv.Itoa(int(types[0])))
			}
		}
	}
	e := encoder{}
	e.optStr(&name)
	var flags uint32
	if readonly {
		flags = connectFlagReadOnly
	}
	e.u32(flags)
	_, err = c.call(progRemote, procConnectOpen, e.b, deadline)
	return err
}

// openNamespace is the LXC DOMAIN_OPEN_NAMESPACE call.
func (c *conn) openNamespace(req *Request, deadline time.Time) ([]int, error) {
	e := encoder{}
	e.domain(req.Name, req.UUID, req.ID)
	e.u32(req.Flags)
	r, err := c.call(progLXC, procLXCOpenNS, e.b, deadline)
	if err != nil {
		return nil, err
	}
	// The ret type is void: anything left is a protocol mismatch.
	if len(r.payload) != 0 {
		closeAll(r.fds)
		err := &callError{err: protocolError("unexpected data after the namespace reply")}
		c.breakAll(err)
		return nil, err
	}
	return r.fds, nil
}
