// Package core is the Go half of libvirt-lxc.so.0's OpenNamespace, as
// cmd/libvirt-lxc-core (the Go core's cgo entry points, run in the core
// process) calls it: Request, and a Client that keeps one shared
// connection per URI, retries once after a daemon drops an idle one, and
// serves the call itself when the caller is the daemon. It asks the daemon
// for a container's namespace fds over libvirt's RPC protocol, without
// linking libvirt.
//
// The packages under internal/, from the bottom up; each imports only
// packages above it in this list:
//
//	xdr        the few XDR types the calls need
//	report     Error (a virError, with virterror.h's numbers, and a daemon's
//	           remote_error decoded) and Logger (debug records to the caller)
//	virconf    libvirt's config file syntax and lookup semantics
//	rpc        framing, fd passing, the router, dialing, the procedures
//	remoteuri  URI parsing and libvirt's socket selection rules
//	indaemon   the call served inside the daemon: "is the caller the
//	           daemon" (self.go), status files, driver.pid lock, the daemon's
//	           command line and config (access_drivers)
//	core       this façade: client.go
//
// docs/PROTOCOL.md describes every byte and error field used, with the
// libvirt source files it comes from.
package core
