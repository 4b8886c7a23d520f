// Package core is the Go half of libvirt-lxc.so.0's OpenNamespace: it asks
// the libvirt daemon for a container's namespace fds over libvirt's RPC
// protocol, without linking libvirt.
//
// Layout, from the wire up (as digitalocean/go-libvirt keeps socket, router
// and procedures apart):
//
//	xdr.go        the few XDR types the calls need
//	packet.go     framing, header, programs, procedures, limits
//	fdpass.go     raw-fd socket I/O: exact-length reads, one recvmsg per fd,
//	              MSG_NOSIGNAL writes, poll-based deadlines
//	dial.go       connecting a socket, SO_PEERCRED
//	router.go     one connection's calls in flight routed by serial,
//	              keepalive, replies with fds
//	procedures.go the handshake and DOMAIN_OPEN_NAMESPACE, through the router
//	errors.go     Error (a virError), remote_error decoding, libvirt-style
//	              reports, and transport failures as libvirt errors
//	uri.go        URI parsing and libvirt's socket selection rules
//	client.go     OpenNamespace, one shared connection per URI, retry after a daemon drop
//	selfserve.go  whether the caller listens on the socket it would dial
//	inhost.go     serving the request from the host when running inside the daemon
//	daemonproc.go that daemon as /proc shows it: command line, start time, ...
//	daemonargs.go its option parser, replayed: which config file it was given
//	daemonconf.go what it read at start-up: its config file, access_drivers
//	virconf.go    libvirt's config file syntax and lookup semantics
//
// docs/PROTOCOL.md describes every byte and error field used here, with the
// libvirt source files it comes from.
package core
