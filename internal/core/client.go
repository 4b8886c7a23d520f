// The client: a Request's way to the daemon's namespace fds, through a
// shared connection (package rpc) or, when the caller is the daemon, from
// its own view of the host (package indaemon).

package core

import (
	"errors"
	"os"
	"sync"
	"time"

	"github.com/libvirt-lxc-go/libvirt-lxc/internal/indaemon"
	"github.com/libvirt-lxc-go/libvirt-lxc/internal/remoteuri"
	"github.com/libvirt-lxc-go/libvirt-lxc/internal/report"
	"github.com/libvirt-lxc-go/libvirt-lxc/internal/rpc"
)

// Request is one OpenNamespace call, as the C side gathers it from the
// caller's virDomainPtr and its connection.
type Request struct {
	URI   string // virConnectGetURI() of the domain's connection
	Name  string
	UUID  [16]byte
	ID    int32
	Flags uint32
	// Caller is the process the call is made for, when it is not this one:
	// the core process of a caller serves it from another process, and
	// must still recognise that caller as the daemon it would dial.
	Caller int
	// Driver is the driver behind the caller's connection, as the C side
	// found it.
	Driver ConnDriver
	// Log receives the records of the call's way to the daemon
	// (report.Logger); nil when the caller's logging is off.
	Log report.Logger
}

// ConnDriver is the libvirt driver that a caller's connection uses. Only
// the remote driver speaks to a daemon; the LXC driver itself runs inside
// the daemon, whose own calls it serves. (The C side answers for every
// other driver: none of them implements OpenNamespace.)
type ConnDriver int

const (
	// DriverUnknown: the C side could not read the driver (an unknown
	// layout of libvirt's connection object); treated as remote.
	DriverUnknown ConnDriver = iota
	DriverRemote
	// DriverLXC: the caller is the daemon that runs the LXC driver.
	DriverLXC
)

// callerPid is the pid whose daemon-ness decides how req is served.
func (req *Request) callerPid() int {
	if req.Caller > 0 {
		return req.Caller
	}
	return os.Getpid()
}

// rpcCall is req as DOMAIN_OPEN_NAMESPACE's arguments.
func (req *Request) rpcCall() rpc.NamespaceCall {
	return rpc.NamespaceCall{Name: req.Name, UUID: req.UUID, ID: req.ID, Flags: req.Flags, Log: req.Log}
}

// inHostCall is req as the daemon's LXC driver gets it.
func (req *Request) inHostCall() *indaemon.Call {
	return &indaemon.Call{Name: req.Name, UUID: req.UUID, Flags: req.Flags, Caller: req.callerPid(), Log: req.Log}
}

// DefaultTimeout bounds one whole OpenNamespace call, connecting included.
// The daemon drops a client that stops answering keepalives after about
// 30 s, so waiting longer than that gains nothing. The core process sets
// the shared Client's from the C side's constant (SetTimeout).
const DefaultTimeout = 30 * time.Second

// Client keeps one warm connection per URI, so that a
// repeated call costs one round trip. It is safe for concurrent use:
// concurrent callers share the connection, several calls in flight, as
// libvirt's own client does.
type Client struct {
	Timeout time.Duration  // per call; DefaultTimeout when 0
	Env     *remoteuri.Env // remoteuri.HostEnv() when nil
	Host    *indaemon.Host // indaemon.System() when nil
	// InHost serves a request from this process's view of the host when it
	// is the daemon; nil means the Host's Open.
	InHost func(*Request) ([]int, error)

	mu    sync.Mutex
	slots map[connKey]*slot
	// getpid is os.Getpid, which decides whether a connection was
	// inherited across fork; tests stand in for a forked child.
	getpid func() int
}

// pid is the calling process, as connections are owned by one.
func (c *Client) pid() int {
	if c.getpid != nil {
		return c.getpid()
	}
	return os.Getpid()
}

// connKey names a shared connection. Only read-write connections are made:
// the C side refuses read-only callers before the core is asked, as
// libvirt's client refuses them before anything goes on the wire.
type connKey struct {
	uri string
}

// slot holds the shared connection of one key. dial is held while a
// connection is being opened, so that a burst of first callers opens one.
type slot struct {
	dial sync.Mutex
	cn   *rpc.Conn // guarded by Client.mu
}

var defaultClient = &Client{}

// SetTimeout sets the shared Client's per-call deadline; for the host's
// initialisation, before any call.
func SetTimeout(d time.Duration) { defaultClient.Timeout = d }

// OpenNamespace asks the daemon behind req.URI for the namespace fds of the
// domain, using a shared Client. On failure the error is a *report.Error and no fd
// is left open.
func OpenNamespace(req *Request) ([]int, error) { return defaultClient.OpenNamespace(req) }

// OpenNamespaceAppend is OpenNamespace appending the fds to dst: a warm
// call with room for them in dst allocates nothing.
func OpenNamespaceAppend(req *Request, dst []int) ([]int, error) {
	return defaultClient.OpenNamespaceAppend(req, dst)
}

// OpenNamespace: see the package-level function.
func (c *Client) OpenNamespace(req *Request) ([]int, error) { return c.OpenNamespaceAppend(req, nil) }

// OpenNamespaceAppend: see the package-level function.
func (c *Client) OpenNamespaceAppend(req *Request, dst []int) ([]int, error) {
	if req.Driver == DriverLXC {
		// The caller is the daemon, serving a client's call through its
		// own LXC driver: there is nobody to ask.
		return c.inHost(req)
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	deadline := time.Now().Add(timeout)
	key := connKey{req.URI}
	pid := c.pid()

	for attempt := 0; ; attempt++ {
		// The shared connection for this URI was opened after
		// the socket was selected and the in-daemon checks passed for this
		// process; like libvirt's client, which selects the socket when it
		// opens a connection, nothing is re-resolved for it. Without one,
		// resolve now: errors of Resolve come back on every such call.
		cn, fresh, err := c.get(req, key, pid, deadline)
		if errors.Is(err, errSelf) {
			return c.selfServed(req)
		}
		if err != nil {
			return nil, err
		}
		call := req.rpcCall()
		fds, err := cn.OpenNamespaceAppend(&call, deadline, dst)
		if err == nil {
			return fds, nil
		}
		var le *report.Error
		if errors.As(err, &le) {
			return nil, le // a daemon error reply leaves the stream in step
		}
		c.drop(key, cn)
		// A connection the daemon dropped while idle (restart, keepalive
		// timeout): try once more on a new one.
		if rpc.Retryable(err) && !fresh && attempt == 0 {
			req.Log.Printf("connection to %s lost while idle (%v): reconnecting", cn.Socket(), err)
			continue
		}
		req.Log.Printf("connection to %s given up: %v", cn.Socket(), err)
		return nil, cn.ToLibvirtError(err)
	}
}

// get returns the shared connection for key, opening one if there is none
// usable. fresh says it was opened by this call.
func (c *Client) get(req *Request, key connKey, pid int, deadline time.Time) (*rpc.Conn, bool, error) {
	c.mu.Lock()
	if c.slots == nil {
		c.slots = make(map[connKey]*slot)
	}
	sl := c.slots[key]
	if sl == nil {
		sl = &slot{}
		c.slots[key] = sl
	}
	cn := sl.cn
	c.mu.Unlock()
	if cn != nil && cn.Usable(pid) {
		return cn, false, nil
	}

	sl.dial.Lock()
	defer sl.dial.Unlock()
	c.mu.Lock()
	cn = sl.cn
	c.mu.Unlock()
	if cn != nil {
		if cn.Usable(pid) {
			return cn, false, nil // opened by another caller meanwhile
		}
		// Broken, closed, or inherited across fork (its socket is shared
		// with the parent, so nothing is sent on it): only our copy of the
		// fd is closed.
		c.drop(key, cn)
	}
	cn, err := c.open(req, deadline)
	if err != nil {
		return nil, false, err
	}
	c.mu.Lock()
	sl.cn = cn
	c.mu.Unlock()
	return cn, true, nil
}

// drop takes cn out of use for key; its fd is closed once no call is on it.
func (c *Client) drop(key connKey, cn *rpc.Conn) {
	c.mu.Lock()
	if sl := c.slots[key]; sl != nil && sl.cn == cn {
		sl.cn = nil
	}
	c.mu.Unlock()
	cn.Close()
}

// errSelf says that the caller would be dialing itself: it is the daemon.
var errSelf = errors.New("the daemon at the other end of the socket is the caller")

// open selects the socket for req.URI and opens and handshakes a new
// connection to it. It returns errSelf when the caller serves that socket
// itself (indaemon's answer), found before dialing or right after.
func (c *Client) open(req *Request, deadline time.Time) (*rpc.Conn, error) {
	env := c.Env
	if env == nil {
		env = remoteuri.HostEnv()
	}
	t, why, err := remoteuri.ResolveWhy(req.URI, false, env)
	if err != nil {
		return nil, err
	}
	req.Log.Printf("URI %s: transport %s, socket %s (%s), name %q", req.URI, t.Transport, t.Socket, why, t.Name)
	if t.Transport != "unix" {
		// The real library would connect, get the reply and then fail to
		// take the fds (and drop the connection); fail the same way
		// without touching the network.
		return nil, report.NewError(report.ErrInternal, report.FromRPC, "Receiving file descriptors is not supported on this socket")
	}
	caller := req.callerPid()
	cn, err := c.dial(t.Socket, caller, deadline, req.Log)
	if err != nil {
		return nil, err
	}
	if err := cn.Handshake(t.Name, t.ReadOnly, deadline, req.Log); err != nil {
		req.Log.Printf("handshake on %s failed: %v", t.Socket, err)
		cn.Close()
		return nil, cn.ToLibvirtError(err)
	}
	req.Log.Printf("connection to %s open (fd %d)", t.Socket, cn.FD())
	return cn, nil
}

// dial connects to socket unless its daemon is the caller, asking
// indaemon before dialing (the caller holds the listening socket) and
// after (the peer's credentials name the caller).
func (c *Client) dial(socket string, caller int, deadline time.Time, log report.Logger) (*rpc.Conn, error) {
	self, err := c.host().ServesSocket(caller, socket)
	if err != nil {
		return nil, err
	}
	if self {
		log.Printf("the caller (pid %d) serves %s itself", caller, socket)
		return nil, errSelf
	}
	cn, err := rpc.Dial(socket, deadline, log)
	if err != nil {
		return nil, err
	}
	if indaemon.PeerIsCaller(cn.PeerPid(), caller) {
		log.Printf("connected to %s, whose daemon is the caller (pid %d)", socket, caller)
		cn.Close()
		return nil, errSelf
	}
	if cn.PeerPid() >= 0 {
		log.Printf("connected to %s (fd %d, daemon pid %d)", socket, cn.FD(), cn.PeerPid())
	}
	return cn, nil
}

// host is the view of the system the in-daemon answers come from.
func (c *Client) host() *indaemon.Host {
	if c.Host != nil {
		return c.Host
	}
	return indaemon.System()
}

// openNamespaceFunc is the public function whose name libvirt's reports
// of the call carry.
const openNamespaceFunc = "virDomainLxcOpenNamespace"

// unsupportedError is what libvirt's virDomainLxcOpenNamespace reports for
// a connection whose driver lacks it: virReportUnsupportedError(), whose
// detail is the function's name (src/libvirt-lxc.c, src/util/virerror.h).
func unsupportedError() *report.Error {
	return report.NewError(report.ErrNoSupport, report.FromNone, openNamespaceFunc)
}

// selfServed answers a call whose socket the caller serves itself: a daemon
// whose connection goes to its own socket. Only the LXC driver can answer
// it, so the caller must be running that; otherwise the daemon's driver for
// the call is another one, and libvirt's answer is that of a driver without
// OpenNamespace.
func (c *Client) selfServed(req *Request) ([]int, error) {
	if c.host().RunsLXCDriver(req.callerPid()) != nil {
		return nil, unsupportedError()
	}
	return c.inHost(req)
}

// inHost hands a copy of req on: the function may keep it, and req itself
// stays on its caller's stack on the common path.
func (c *Client) inHost(req *Request) ([]int, error) {
	req.Log.Printf("served from the daemon's own view of the host: the caller (pid %d) is the daemon", req.callerPid())
	if c.InHost != nil {
		own := *req
		return c.InHost(&own)
	}
	return c.host().Open(req.inHostCall())
}

// CloseIdle closes the shared connections (tests, or a host that wants the
// daemon to see it go); calls still in flight on them finish first.
func (c *Client) CloseIdle() {
	c.mu.Lock()
	var all []*rpc.Conn
	for _, sl := range c.slots {
		if sl.cn != nil {
			all = append(all, sl.cn)
			sl.cn = nil
		}
	}
	c.mu.Unlock()
	for _, cn := range all {
		cn.Close()
	}
}
