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

	mu   sync.Mutex
	idle map[poolKey][]*conn
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
	inDaemon := c.InDaemon
	if inDaemon == nil {
		inDaemon = inDaemonProcess
	}
	if inDaemon() {
		return c.inHost(req)
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	deadline := time.Now().Add(timeout)
	key := poolKey{req.URI, req.ReadOnly}

	for attempt := 0; ; attempt++ {
		cn, fresh, err := c.get(key, t, deadline, attempt > 0)
		if errors.Is(err, errSelf) {
			return c.inHost(req)
		}
		if err != nil {
			return nil, err
		}
		fds, err := cn.openNamespace(req, deadline)
		if err == nil {
			c.put(key, cn)
			return fds, nil
		}
		var le *Error
		if errors.As(err, &le) && !cn.broken {
			c.put(key, cn) // a daemon error reply leaves the stream in step
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

func (c *Client) inHost(req *Request) ([]int, error) {
	if c.InHost != nil {
		return c.InHost(req)
	}
	return OpenInHost(req)
}

// get returns an idle connection for key, or opens and handshakes a new one.
// With fresh set, idle connections for key are closed first: after one of
// them turned out dead, the rest most likely are too (daemon restart).
func (c *Client) get(key poolKey, t *Target, deadline time.Time, fresh bool) (*conn, bool, error) {
	pid := os.Getpid()
	c.mu.Lock()
	for {
		list := c.idle[key]
		if len(list) == 0 {
			break
		}
		cn := list[len(list)-1]
		c.idle[key] = list[:len(list)-1]
		if fresh && cn.pid == pid {
			cn.close()
			continue
		}
		if cn.pid != pid {
			// Inherited across fork: the socket is shared with the parent,
			// so send nothing on it; close only our copy.
			cn.close()
			continue
		}
		c.mu.Unlock()
		return cn, false, nil
	}
	c.mu.Unlock()

	cn, err := dial(t.Socket, deadline)
	if err != nil {
		return nil, true, err
	}
	if err := cn.handshake(t.Name, t.ReadOnly, deadline); err != nil {
		cn.close()
		return nil, true, cn.toLibvirtError(err)
	}
	return cn, true, nil
}

// put returns a healthy connection to the pool, or closes it if the pool is
// full.
func (c *Client) put(key poolKey, cn *conn) {
	max := c.MaxIdle
	if max <= 0 {
		max = 2
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.idle == nil {
		c.idle = make(map[poolKey][]*conn)
	}
	if cn.broken || cn.pid != os.Getpid() || len(c.idle[key]) >= max {
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
