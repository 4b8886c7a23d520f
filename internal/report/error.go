// Package report is what the core hands back to its caller besides fds:
// libvirt errors (Error, with virterror.h's numbers, and the decoding of a
// daemon's remote_error) and debug records (Logger). It sits low so that
// every layer above (rpc, remoteuri, indaemon, core) reports the same way.
package report

import (
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/libvirt-lxc-go/libvirt-lxc/internal/xdr"
)

// Error is a libvirt error on its way to the caller, in one of the two forms
// of lxcCoreError (capi/channel/coreabi.h). The core never loads
// libvirt.so.0, so it cannot know the message templates of the libvirt
// release the caller runs; the C library looks them up in the caller's
// process.
//
//   - Final (ToFormat false): every field as virGetLastError() will show it.
//     Errors relayed from the daemon are final: the daemon formatted them.
//   - To format (ToFormat true): an error the core raises itself. Message and
//     Str1 are left empty; the C library raises it as libvirt's own
//     virReportError(Code, "%s", Str2) would, or for ErrSystem
//     virReportSystemError(Int1, "%s", Str2), which adds ": <Strerror>".
type Error struct {
	Code, Domain, Level int
	Message             string
	Str1, Str2, Str3    *string
	Int1, Int2          int
	ToFormat            bool
}

// Error is the message of a final error. Of one to format it is the detail
// (plus the errno's text for ErrSystem), without the words libvirt's
// template adds in the caller's process.
func (e *Error) Error() string {
	if !e.ToFormat {
		return e.Message
	}
	detail := ""
	if e.Str2 != nil {
		detail = *e.Str2
	}
	if e.Code == ErrSystem {
		return detail + ": " + Strerror(unix.Errno(e.Int1))
	}
	return detail
}

// virErrorNumber values used here (libvirt's include/libvirt/virterror.h;
// TestConstantsMatchLibvirt checks them against the installed header).
const (
	ErrInternal       = 1
	ErrNoSupport      = 3
	ErrInvalidArg     = 8
	ErrOperationFail  = 9
	ErrOperationDeny  = 29
	ErrSystem         = 38
	ErrRPC            = 39
	ErrNoDomain       = 42
	ErrAuthFailed     = 45
	ErrOperationInval = 55
	ErrTimeout        = 68
	ErrUnsupported    = 84
	ErrAccessDenied   = 88
)

// virErrorNumber values that daemons 0.7.1 to 0.7.7 sent for others (see
// remapError).
const (
	errInvalidNWFilter      = 61
	errBuildFirewall        = 63
	warNoSecret             = 64
	errInvalidSecret        = 65
	errMigratePersistFailed = 69
)

// virErrorDomain values used here (virterror.h too).
const (
	FromNone   = 0
	FromXen    = 1
	FromDomain = 6 // VIR_FROM_DOM: errors about a virDomainPtr
	FromRPC    = 7
	FromQEMU   = 10
	FromRemote = 13
	FromLXC    = 17
	FromConfig = 20 // VIR_FROM_DOMAIN: domain config/state errors
	FromNWFilt = 33
	FromURI    = 45
	FromAccess = 55
)

// LevelError is VIR_ERR_ERROR, the only level libvirt uses for these.
const LevelError = 2

func sp(s string) *string { return &s }

// NewError is an ordinary libvirt report of code with a detail, to be
// formatted with libvirt's template for code in the caller's process
// (there: str1 the template, str2 the detail, ints -1).
func NewError(code, domain int, detail string) *Error {
	return &Error{Code: code, Domain: domain, Level: LevelError,
		Str2: sp(detail), Int1: -1, Int2: -1, ToFormat: true}
}

// InternalError is a VIR_ERR_INTERNAL_ERROR with detail, to format, for
// failures outside the libvirt protocol (cmd/libvirt-lxc-core's own
// checks). The C side makes the same with lxcCoreSetInternal
// (capi/channel/coreerror.c);
// tests/abi/core_errors.c checks that the two agree.
func InternalError(detail string) *Error { return NewError(ErrInternal, FromNone, detail) }

// SystemError is a VIR_ERR_SYSTEM_ERROR about what, with errno: formatted
// in the caller's process as "<what>: <Strerror(errno)>", int1 the errno.
func SystemError(domain int, errno unix.Errno, what string) *Error {
	return &Error{Code: ErrSystem, Domain: domain, Level: LevelError,
		Str2: sp(what), Int1: int(errno), Int2: -1, ToFormat: true}
}

// FlagsError is libvirt's "unsupported flags" report: a message of its own
// (no template of the error table), str1 the function, str2 "flags", ints
// 0. Final: the text is the same in every libvirt release.
func FlagsError(domain int, function string, flags uint32) *Error {
	return &Error{
		Code: ErrInvalidArg, Domain: domain, Level: LevelError,
		Message: "unsupported flags (0x" + strconv.FormatUint(uint64(flags), 16) + ") in function " + function,
		Str1:    sp(function), Str2: sp("flags"),
	}
}

// Strerror gives glibc's wording, for Error() only (the C library uses its
// own Strerror): Go's errno texts are glibc's with a lower-case first
// letter.
func Strerror(errno unix.Errno) string {
	s := errno.Error()
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	return s
}

// DecodeRemoteError decodes the remote_error payload of a failed REPLY and
// applies the same fix-ups as libvirt's client.
func DecodeRemoteError(payload []byte) (*Error, error) {
	d := xdr.Decoder{Buf: payload}
	e := &Error{}
	e.Code = int(d.I32())
	e.Domain = int(d.I32())
	msg := d.OptStr()
	e.Level = int(d.I32())
	if d.Optional() { // dom: never sent by the daemon; decoded to stay in step
		d.Str()
		d.Skip(xdr.UUIDLen)
		d.I32()
	}
	e.Str1 = d.OptStr()
	e.Str2 = d.OptStr()
	e.Str3 = d.OptStr()
	e.Int1 = int(d.I32())
	e.Int2 = int(d.I32())
	if d.Optional() { // net: never sent either
		d.Str()
		d.Skip(xdr.UUIDLen)
	}
	if err := d.Done(); err != nil {
		return nil, err
	}
	if msg != nil {
		e.Message = *msg
	} else {
		e.Message = "Unknown error"
	}
	remapError(e)
	return e, nil
}

// remapError applies the client's two historical code remaps so callers see
// the codes libvirt's own library would report (libvirt's
// virNetClientProgramDispatchError, src/rpc/virnetclientprogram.c).
func remapError(e *Error) {
	// A daemon that does not know the procedure means "not supported".
	if (e.Domain == FromRemote || e.Domain == FromRPC) && e.Code == ErrRPC &&
		e.Level == LevelError && strings.HasPrefix(e.Message, "unknown procedure") {
		e.Code = ErrNoSupport
		return
	}
	// Daemons 0.7.1 to 0.7.7 numbered a few codes differently: what they
	// meant by 61 to 63 is now 65 to 67.
	switch {
	case e.Code >= errInvalidNWFilter && e.Code <= errBuildFirewall && e.Domain != FromNWFilt:
		e.Code += errInvalidSecret - errInvalidNWFilter
	case e.Code == warNoSecret && e.Domain == FromQEMU:
		e.Code = ErrTimeout
	case e.Code == errInvalidSecret && e.Domain == FromXen:
		e.Code = errMigratePersistFailed
	}
}
