package core

import (
	"encoding/binary"
	"errors"
	"strconv"
)

// Programs and procedures used (fact sheet §3).
const (
	progRemote    = 0x20008086
	progLXC       = 0x00068000
	progKeepalive = 0x6b656570 // "keep"
	protoVersion  = 1

	procConnectOpen     = 1
	procAuthList        = 66
	procAuthPolkit      = 70
	procLXCOpenNS       = 1
	procKeepalivePing   = 1
	procKeepalivePong   = 2
	authNone            = 0
	authSASL            = 1
	authPolkit          = 2
	connectFlagReadOnly = 1
)

// Message types and status values (virNetMessageType / virNetMessageStatus).
const (
	typeCall         = 0
	typeReply        = 1
	typeMessage      = 2
	typeStream       = 3
	typeCallWithFDs  = 4
	typeReplyWithFDs = 5

	statusOK    = 0
	statusError = 1
)

// Framing limits (§1). The length word counts itself.
const (
	headerLen = 24
	// maxAfterLen is the most the daemon sends after the length word.
	maxAfterLen = 33554432
	minLen      = 4 + headerLen
	maxLen      = 4 + maxAfterLen
	maxFDs      = 32
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
	e := encoder{b: make([]byte, 0, minLen+len(payload))}
	e.u32(uint32(minLen + len(payload)))
	e.u32(h.Prog)
	e.u32(h.Vers)
	e.i32(h.Proc)
	e.i32(h.Type)
	e.u32(h.Serial)
	e.i32(h.Status)
	e.b = append(e.b, payload...)
	return e.b
}

// checkLen validates a length word before anything is allocated for it.
func checkLen(n uint32) error {
	if n < minLen {
		return errors.New("packet length " + strconv.FormatUint(uint64(n), 10) + " is below the minimum of 28")
	}
	if n > maxLen {
		return errors.New("packet length " + strconv.FormatUint(uint64(n), 10) + " exceeds the protocol maximum of 33554436")
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

// isPing reports a keepalive PING, which must be answered with a PONG.
func (h header) isKeepalive() bool {
	return h.Prog == progKeepalive && h.Type == typeMessage
}

func pongPacket() []byte {
	return encodePacket(header{Prog: progKeepalive, Vers: protoVersion, Proc: procKeepalivePong, Type: typeMessage}, nil)
}
