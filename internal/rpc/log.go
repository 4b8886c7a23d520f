// The router's record of each RPC message, made without boxing so that a
// warm call with logging off allocates nothing (report.Logger).

package rpc

import (
	"fmt"

	"github.com/libvirt-lxc-go/libvirt-lxc/internal/report"
)

// logMessage logs one RPC message sent or received, with the fields of its
// header libvirt's client logs, and the fds that came with it.
func logMessage(l report.Logger, dir string, h header, size, nfds int) {
	if l == nil {
		return
	}
	l.Emit(2, fmt.Sprintf("RPC message %s: prog=%#x vers=%d proc=%d type=%d status=%d serial=%d len=%d nfds=%d",
		dir, h.Prog, h.Vers, h.Proc, h.Type, h.Status, h.Serial, size, nfds))
}
