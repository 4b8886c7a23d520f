// Package core is the Go half of libvirt-lxc.so.0's OpenNamespace: it asks
// the libvirt daemon for a container's namespace fds over libvirt's RPC
// protocol, without linking libvirt.
//
// Layout:
//
//	xdr.go     the few XDR types the calls need
//	packet.go  framing, header, programs, procedures, limits
//	errors.go  Error (a virError), remote_error decoding, libvirt-style reports
//	fdpass.go  raw-fd socket I/O: exact-length reads, one recvmsg per fd,
//	           MSG_NOSIGNAL writes, poll-based deadlines
//	conn.go    one connection: dial, SO_PEERCRED, handshake, calls in flight
//	           routed by serial, keepalive
//	uri.go     URI parsing and libvirt's socket selection rules
//	client.go  OpenNamespace, one shared connection per URI, retry after a daemon drop
//	inhost.go  serving the request from the host when running inside the daemon
//	daemonconf.go  what that daemon read at start-up: its config file, access_drivers
//	virconf.go libvirt's config file syntax and lookup semantics
//
// The fact sheet in docs (libvirt-wire-facts.md) is the reference for every
// byte and error field used here.
package core
