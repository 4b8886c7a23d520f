// Package xdr is the bottom layer of the RPC client: the few XDR (RFC 4506)
// types that libvirt's namespace call and its handshake need. XDR is
// big-endian and 4-byte aligned. Only int, unsigned int, string, optional
// string, fixed opaque (uuid) and remote_nonnull_domain are implemented.
//
// The hazard: every length comes from the daemon, so the decoder bounds
// them (MaxString) before allocating, and a decode error sticks (Decoder.Err)
// so a caller checks once at the end (Done).
package xdr

import (
	"encoding/binary"
	"errors"
)

// Unit is XDR's unit: every item is a multiple of it, padded with zeros.
const Unit = 4

// MaxString is REMOTE_STRING_MAX: the daemon rejects longer strings, and so
// do we when decoding, so a hostile length cannot make us allocate much.
const MaxString = 4194304

// UUIDLen is VIR_UUID_BUFLEN, the size of remote_uuid.
const UUIDLen = 16

// ErrShort is returned when a payload ends before the value being decoded.
var ErrShort = errors.New("XDR data ends too early")

// Encoder appends XDR items to Buf.
type Encoder struct{ Buf []byte }

func (e *Encoder) U32(v uint32) { e.Buf = binary.BigEndian.AppendUint32(e.Buf, v) }
func (e *Encoder) I32(v int32)  { e.U32(uint32(v)) }

func (e *Encoder) Str(s string) {
	e.U32(uint32(len(s)))
	e.Buf = append(e.Buf, s...)
	e.Buf = append(e.Buf, make([]byte, Pad(len(s)))...)
}

// OptStr encodes a `string *`: a present flag, then the string.
func (e *Encoder) OptStr(s *string) {
	if s == nil {
		e.U32(0)
		return
	}
	e.U32(1)
	e.Str(*s)
}

// UUID is remote_uuid, a fixed-length opaque: raw bytes, no length, no
// padding needed.
func (e *Encoder) UUID(b [UUIDLen]byte) { e.Buf = append(e.Buf, b[:]...) }

// Domain encodes remote_nonnull_domain.
func (e *Encoder) Domain(name string, uuid [UUIDLen]byte, id int32) {
	e.Str(name)
	e.UUID(uuid)
	e.I32(id)
}

// Pad is the number of zero bytes that follow n bytes of data.
func Pad(n int) int { return (Unit - n%Unit) % Unit }

// Decoder reads XDR items off the front of Buf. The first failure is kept
// in Err; later reads return zero values.
type Decoder struct {
	Buf []byte
	Err error
}

func (d *Decoder) U32() uint32 {
	if d.Err != nil {
		return 0
	}
	if len(d.Buf) < Unit {
		d.Err = ErrShort
		return 0
	}
	v := binary.BigEndian.Uint32(d.Buf)
	d.Buf = d.Buf[Unit:]
	return v
}

func (d *Decoder) I32() int32 { return int32(d.U32()) }

func (d *Decoder) Str() string {
	n := d.U32()
	if d.Err != nil {
		return ""
	}
	if n > MaxString {
		d.Err = errors.New("XDR string longer than the protocol allows")
		return ""
	}
	total := int(n) + Pad(int(n))
	if len(d.Buf) < total {
		d.Err = ErrShort
		return ""
	}
	s := string(d.Buf[:n])
	d.Buf = d.Buf[total:]
	return s
}

// Optional reads the present flag of a `T *`. Anything but 0 or 1 is
// malformed; accepting it would silently misparse the rest.
func (d *Decoder) Optional() bool {
	switch d.U32() {
	case 0:
		return false
	case 1:
		return true
	}
	if d.Err == nil {
		d.Err = errors.New("XDR optional flag is neither 0 nor 1")
	}
	return false
}

func (d *Decoder) OptStr() *string {
	if !d.Optional() {
		return nil
	}
	s := d.Str()
	if d.Err != nil {
		return nil
	}
	return &s
}

func (d *Decoder) Skip(n int) {
	if d.Err != nil {
		return
	}
	if len(d.Buf) < n {
		d.Err = ErrShort
		return
	}
	d.Buf = d.Buf[n:]
}

// Done reports an error if bytes are left over: the daemon never pads a
// payload, so trailing bytes mean we decoded the wrong type.
func (d *Decoder) Done() error {
	if d.Err == nil && len(d.Buf) != 0 {
		d.Err = errors.New("unexpected bytes after the XDR payload")
	}
	return d.Err
}
