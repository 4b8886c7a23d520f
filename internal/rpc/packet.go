// The wire format of libvirt's RPC: programs and procedures used, message
// types, framing limits, the header, and the one keepalive reply we send.

package rpc

import (
	"encoding/binary"
	"errors"
	"strconv"
)

// Programs and procedures used (docs/PROTOCOL.md §3; libvirt's
// src/remote/remote_protocol.x, src/remote/lxc_protocol.x,
// src/rpc/virkeepaliveprotocol.x).
const (
	progRemote    = 0x20008086 // REMOTE_PROGRAM
	progLXC       = 0x00068000 // LXC_PROGRAM
	progKeepalive = 0x6b656570 // KEEPALIVE_PROGRAM, "keep"
	protoVersion  = 1          // the version of all three programs

	procConnectOpen     = 1  // REMOTE_PROC_CONNECT_OPEN
	procAuthList        = 66 // REMOTE_PROC_AUTH_LIST
	procAuthPolkit      = 70 // REMOTE_PROC_AUTH_POLKIT
	procLXCOpenNS       = 1  // LXC_PROC_DOMAIN_OPEN_NAMESPACE
	procKeepalivePing   = 1  // KEEPALIVE_PROC_PING
	procKeepalivePong   = 2  // KEEPALIVE_PROC_PONG
	connectFlagReadOnly = 1  // VIR_CONNECT_RO in CONNECT_OPEN's flags
)

// remote_auth_type values, and REMOTE_AUTH_TYPE_LIST_MAX, the most
// AUTH_LIST may return.
const (
	authNone     = 0
	authSASL     = 1
	authPolkit   = 2
	maxAuthTypes = 20
)

// Message types and status values (virNetMessageType / virNetMessageStatus
// in src/rpc/virnetprotocol.x).
const (
	typeCall         = 0
	typeReply        = 1
	typeMessage      = 2
	typeStream       = 3
	typeCallWithFDs  = 4
	typeReplyWithFDs = 5
	typeStreamHole   = 6 // VIR_NET_STREAM_HOLE, sparse streams

	statusOK    = 0
	statusError = 1
)

// Framing limits (docs/PROTOCOL.md §1). The length word counts itself.
const (
	lenWordLen = 4  // VIR_NET_MESSAGE_LEN_MAX
	headerLen  = 24 // VIR_NET_MESSAGE_HEADER_MAX
	// maxAfterLen is the most the daemon sends after the length word
	// (VIR_NET_MESSAGE_MAX).
	maxAfterLen = 33554432
	minLen      = lenWordLen + headerLen
	maxLen      = lenWordLen + maxAfterLen
	MaxFDs      = 32 // VIR_NET_MESSAGE_NUM_FDS_MAX
)

type header struct {
	Prog, Vers uint32
	Proc       int32
	Type       int32
	Serial     uint32
	Status     int32
}

// encodeCall frames one CALL: length word, header, args.
func encodeCall(prog uint32, proc int32, serial uint32, args []byte) []byte {
	return encodePacket(header{Prog: prog, Vers: protoVersion, Proc: proc, Type: typeCall, Serial: serial, Status: statusOK}, args)
}

func encodePacket(h header, payload []byte) []byte {
	b := make([]byte, minLen, minLen+len(payload))
	b = append(b, payload...)
	putHeader(b, h)
	return b
}

// putHeader fills in the length word and header at the front of frame,
// whose first minLen bytes are reserved for them.
func putHeader(frame []byte, h header) {
	binary.BigEndian.PutUint32(frame[0:], uint32(len(frame)))
	binary.BigEndian.PutUint32(frame[4:], h.Prog)
	binary.BigEndian.PutUint32(frame[8:], h.Vers)
	binary.BigEndian.PutUint32(frame[12:], uint32(h.Proc))
	binary.BigEndian.PutUint32(frame[16:], uint32(h.Type))
	binary.BigEndian.PutUint32(frame[20:], h.Serial)
	binary.BigEndian.PutUint32(frame[24:], uint32(h.Status))
}

// checkLen validates a length word before anything is allocated for it.
func checkLen(n uint32) error {
	if n < minLen {
		return errors.New("packet length " + strconv.FormatUint(uint64(n), 10) + " is below the minimum of " + strconv.Itoa(minLen))
	}
	if n > maxLen {
		return errors.New("packet length " + strconv.FormatUint(uint64(n), 10) + " exceeds the protocol maximum of " + strconv.Itoa(maxLen))
	}
	return nil
}

// decodeHeader splits what follows the length word into header and payload.
func decodeHeader(b []byte) (header, []byte, error) {
	if len(b) < headerLen {
		return header{}, nil, errors.New("packet shorter than its header")
	}
	h := header{
		Prog:   binary.BigEndian.Uint32(b[0:]),
		Vers:   binary.BigEndian.Uint32(b[4:]),
		Proc:   int32(binary.BigEndian.Uint32(b[8:])),
		Type:   int32(binary.BigEndian.Uint32(b[12:])),
		Serial: binary.BigEndian.Uint32(b[16:]),
		Status: int32(binary.BigEndian.Uint32(b[20:])),
	}
	return h, b[headerLen:], nil
}

// reply is a decoded REPLY / REPLY_WITH_FDS that belongs to our call.
type reply struct {
	hdr     header
	payload []byte // ret, or remote_error when hdr.Status is statusError
	fds     []int
}

// isKeepalive reports a message of the keepalive program (a PING, which
// must be answered with a PONG, or a PONG).
func (h header) isKeepalive() bool {
	return h.Prog == progKeepalive && h.Type == typeMessage
}

// pong is the PONG frame, made once: it answers every PING.
var pong = pongPacket()

func pongPacket() []byte {
	return encodePacket(header{Prog: progKeepalive, Vers: protoVersion, Proc: procKeepalivePong, Type: typeMessage}, nil)
}
