package core

import (
	"errors"
	"os"
	"sync"
	"time"
)

// Request is one OpenNamespace call, as the C side gathers it from the
// caller's virDomainPtr and its connection.
type Request struct {
	URI      string // virConnectGetURI() of the domain's connection
	ReadOnly bool   // the caller's connection is read-only
	Name     string
	UUID     [16]byte
	ID       int32
	Flags    uint32
}

// DefaultTimeout bounds one whole OpenNamespace call, connecting included.
// The daemon drops a client that stops answering keepalives after about
// 30 s, so waiting longer than that gains nothing.
const DefaultTimeout = 30 * time.Second

// Client keeps warm connections, one pool per (URI, read-only), so that a
// repeated call costs one round trip. It is safe for concurrent use: each
// connection is used by one caller at a time, and callers that find no idle
// connection open another.
type Client struct {
	Timeout time.Duration // per call; DefaultTimeout when 0
	MaxIdle int           // idle connections kept per key; 2 when 0
	Env     *Env          // HostEnv() when nil
	// InDaemon reports whether this process is the daemon itself (a cheap
	// test done before connecting); nil means inDaemonProcess.
	InDaemon func() bool
	// InHost serves a request from this process's view of the host when it
	// is the daemon; nil means OpenInHost.
	InHost func(*Request) ([]int, error)

	mu        sync.Mutex
	idle      map[poolKey][]*conn
	daemonPid int // process for which daemonVal holds inDaemonProcess's answer
	daemonVal bool
}

type poolKey struct {
	uri      string
	readonly bool
}

var defaultClient = &Client{}

// OpenNamespace asks the daemon behind req.URI for the namespace fds of the
// domain, using a shared Client. On failure the error is an *Error and no fd
// is left open.
func OpenNamespace(req *Request) ([]int, error) { return defaultClient.OpenNamespace(req) }

// OpenNamespace: see the package-level function.
func (c *Client) OpenNamespace(req *Request) ([]int, error) {
	// libvirt checks this in the client before anything goes on the wire.
	if req.ReadOnly {
		return nil, newError(ErrOperationDeny, FromNone, "read only access prevents virDomainLxcOpenNamespace")
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	deadline := time.Now().Add(timeout)
	key := poolKey{req.URI, req.ReadOnly}
	pid := os.Getpid()

	for attempt := 0; ; attempt++ {
		// A pooled connection for this (URI, read-only) was opened after
		// the socket was selected and the in-daemon checks passed for this
		// process; like libvirt's client, which selects the socket when it
		// opens a connection, nothing is re-resolved for it. Without one,
		// resolve now: errors of Resolve come back on every such call.
		cn := c.take(key, pid, attempt > 0)
		fresh := cn == nil
		if fresh {
			var err error
			cn, err = c.open(req, key, pid, deadline)
			if errors.Is(err, errSelf) {
				return c.inHost(req)
			}
			if err != nil {
				return nil, err
			}
			if cn == nil {
				return c.inHost(req)
			}
		}
		fds, err := cn.openNamespace(req, deadline)
		if err == nil {
			c.put(key, cn, pid)
			return fds, nil
		}
		var le *Error
		if errors.As(err, &le) && !cn.broken {
			c.put(key, cn, pid) // a daemon error reply leaves the stream in step
			return nil, le
		}
		cn.close()
		var ce *callError
		// A cached connection the daemon dropped while idle (restart,
		// keepalive timeout): try once more on a new one.
		if errors.As(err, &ce) && ce.retry && !fresh && attempt == 0 {
			continue
		}
		return nil, cn.toLibvirtError(err)
	}
}

// open selects the socket for req.URI and opens and handshakes a new
// connection to it. It returns (nil, nil) when this process is the daemon
// (the request is then served in-host), errSelf when the socket's peer turns
// out to be this process.
func (c *Client) open(req *Request, key poolKey, pid int, deadline time.Time) (*conn, error) {
	env := c.Env
	if env == nil {
		env = HostEnv()
	}
	t, err := Resolve(req.URI, req.ReadOnly, env)
	if err != nil {
		return nil, err
	}
	if t.Transport != "unix" {
		// The real library would connect, get the reply and then fail to
		// take the fds (and drop the connection); fail the same way
		// without touching the network.
		return nil, newError(ErrInternal, FromRPC, "Receiving file descriptors is not supported on this socket")
	}
	if c.inDaemon(pid) {
		return nil, nil
	}
	cn, err := dial(t.Socket, deadline)
	if err != nil {
		return nil, err
	}
	if err := cn.handshake(t.Name, t.ReadOnly, deadline); err != nil {
		cn.close()
		return nil, cn.toLibvirtError(err)
	}
	return cn, nil
}

// inDaemon runs the pre-connect "are we the daemon" test. The default test's
// answer is kept per process (a forked child tests again); SO_PEERCRED at
// dial time remains the authoritative test.
func (c *Client) inDaemon(pid int) bool {
	if c.InDaemon != nil {
		return c.InDaemon()
	}
	c.mu.Lock()
	if c.daemonPid == pid {
		v := c.daemonVal
		c.mu.Unlock()
		return v
	}
	c.mu.Unlock()
	v := inDaemonProcess(pid)
	c.mu.Lock()
	c.daemonPid, c.daemonVal = pid, v
	c.mu.Unlock()
	return v
}

func (c *Client) inHost(req *Request) ([]int, error) {
	if c.InHost != nil {
		return c.InHost(req)
	}
	return OpenInHost(req)
}

// take returns an idle connection for key opened by this process, or nil.
// With fresh set, idle connections for key are closed instead: after one of
// them turned out dead, the rest most likely are too (daemon restart).
// Connections inherited across fork share their socket with the parent, so
// nothing is sent on them; only our copy is closed.
func (c *Client) take(key poolKey, pid int, fresh bool) *conn {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		list := c.idle[key]
		if len(list) == 0 {
			return nil
		}
		cn := list[len(list)-1]
		list[len(list)-1] = nil
		c.idle[key] = list[:len(list)-1]
		if fresh || cn.pid != pid {
			cn.close()
			continue
		}
		return cn
	}
}

// put returns a healthy connection to the pool, or closes it if the pool is
// full.
func (c *Client) put(key poolKey, cn *conn, pid int) {
	max := c.MaxIdle
	if max <= 0 {
		max = 2
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.idle == nil {
		c.idle = make(map[poolKey][]*conn)
	}
	if cn.broken || cn.pid != pid || len(c.idle[key]) >= max {
		cn.close()
		return
	}
	c.idle[key] = append(c.idle[key], cn)
}

// CloseIdle closes every idle connection (tests, or a host that wants the
// daemon to see it go).
func (c *Client) CloseIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, list := range c.idle {
		for _, cn := range list {
			cn.close()
		}
		delete(c.idle, k)
	}
}
