package core

import (
	"encoding/binary"
	"errors"
)

// XDR (RFC 4506) is big-endian and 4-byte aligned. Only the handful of types
// the namespace call needs are implemented: int, unsigned int, string,
// optional string, fixed opaque (uuid) and remote_nonnull_domain.

// xdrUnit is XDR's unit: every item is a multiple of it, padded with zeros.
const xdrUnit = 4

// maxString is REMOTE_STRING_MAX: the daemon rejects longer strings, and so do
// we when decoding, so a hostile length cannot make us allocate much.
const maxString = 4194304

// errShort is returned when a payload ends before the value being decoded.
var errShort = errors.New("XDR data ends too early")

type encoder struct{ b []byte }

func (e *encoder) u32(v uint32) { e.b = binary.BigEndian.AppendUint32(e.b, v) }
func (e *encoder) i32(v int32)  { e.u32(uint32(v)) }

func (e *encoder) str(s string) {
	e.u32(uint32(len(s)))
	e.b = append(e.b, s...)
	e.b = append(e.b, make([]byte, pad(len(s)))...)
}

// optStr encodes a `string *`: a present flag, then the string.
func (e *encoder) optStr(s *string) {
	if s == nil {
		e.u32(0)
		return
	}
	e.u32(1)
	e.str(*s)
}

// uuidLen is VIR_UUID_BUFLEN, the size of remote_uuid.
const uuidLen = 16

// uuid is remote_uuid, a fixed-length opaque: raw bytes, no length, no
// padding needed.
func (e *encoder) uuid(b [uuidLen]byte) { e.b = append(e.b, b[:]...) }

// domain encodes remote_nonnull_domain.
func (e *encoder) domain(name string, uuid [uuidLen]byte, id int32) {
	e.str(name)
	e.uuid(uuid)
	e.i32(id)
}

func pad(n int) int { return (xdrUnit - n%xdrUnit) % xdrUnit }

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) u32() uint32 {
	if d.err != nil {
		return 0
	}
	if len(d.b) < xdrUnit {
		d.err = errShort
		return 0
	}
	v := binary.BigEndian.Uint32(d.b)
	d.b = d.b[xdrUnit:]
	return v
}

func (d *decoder) i32() int32 { return int32(d.u32()) }

func (d *decoder) str() string {
	n := d.u32()
	if d.err != nil {
		return ""
	}
	if n > maxString {
		d.err = errors.New("XDR string longer than the protocol allows")
		return ""
	}
	total := int(n) + pad(int(n))
	if len(d.b) < total {
		d.err = errShort
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[total:]
	return s
}

// optional reads the present flag of a `T *`. Anything but 0 or 1 is
// malformed; accepting it would silently misparse the rest.
func (d *decoder) optional() bool {
	switch d.u32() {
	case 0:
		return false
	case 1:
		return true
	}
	if d.err == nil {
		d.err = errors.New("XDR optional flag is neither 0 nor 1")
	}
	return false
}

func (d *decoder) optStr() *string {
	if !d.optional() {
		return nil
	}
	s := d.str()
	if d.err != nil {
		return nil
	}
	return &s
}

func (d *decoder) skip(n int) {
	if d.err != nil {
		return
	}
	if len(d.b) < n {
		d.err = errShort
		return
	}
	d.b = d.b[n:]
}

// done reports an error if bytes are left over: the daemon never pads a
// payload, so trailing bytes mean we decoded the wrong type.
func (d *decoder) done() error {
	if d.err == nil && len(d.b) != 0 {
		d.err = errors.New("unexpected bytes after the XDR payload")
	}
	return d.err
}
