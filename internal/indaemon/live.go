//go:build live

// Entry points for internal/core's live tests only (built with -tags live,
// never into the core): they compare this package's answers with the real
// daemon's from a process that is not the daemon.

package indaemon

// ServeUnconfirmed is Open without confirming that the caller is the
// daemon, which the test process is not.
func (h *Host) ServeUnconfirmed(c *Call) ([]int, error) { return h.serveInHost(c) }

// InitPid is the init pid a status XML names; 0 when absent.
func InitPid(statusXML string) int { return initPid(statusXML) }

// NSNames are the namespaces the daemon hands out, in its order.
var NSNames = nsNames
