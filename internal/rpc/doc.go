// Package rpc is the libvirt RPC client the core needs, without libvirt:
// one connection to a daemon's UNIX socket, shared by concurrent callers,
// that authenticates, opens the hypervisor connection and calls
// DOMAIN_OPEN_NAMESPACE (docs/PROTOCOL.md describes every byte used). Kept
// apart as digitalocean/go-libvirt keeps socket, router and procedures:
//
//	packet.go     framing, header, programs, procedures, limits
//	fdpass.go     raw-fd socket I/O: exact-length reads, one recvmsg per fd,
//	              MSG_NOSIGNAL writes, poll-based deadlines, futexes
//	dial.go       connecting a socket, SO_PEERCRED
//	router.go     one connection's calls in flight routed by serial,
//	              keepalive, replies with fds, transport failures as
//	              libvirt errors
//	procedures.go the handshake and DOMAIN_OPEN_NAMESPACE, through the router
//	log.go        the record of each message
//
// The hazards: the kernel drops an fd riding on a byte read past a frame
// (so no buffered reads, fdpass.go); a reply may come for another caller's
// call, or for one given up (router.go); and a warm call must allocate
// nothing (TestWarmCallAllocatesNothing in package core).
package rpc
