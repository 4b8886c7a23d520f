package core

import (
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Error is a libvirt error, field for field as virGetLastError() shows it.
// Errors relayed from the daemon carry its fields verbatim; errors raised
// here are built the way libvirt builds the same error (see the str/int
// conventions in the fact sheet, §4).
type Error struct {
	Code, Domain, Level int
	Message             string
	Str1, Str2, Str3    *string
	Int1, Int2          int
}

func (e *Error) Error() string { return e.Message }

// virErrorNumber values used here.
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

// virErrorDomain values used here.
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
	FromAccess = 55
)

// LevelError is VIR_ERR_ERROR, the only level libvirt uses for these.
const LevelError = 2

// codeFormat is the message template libvirt uses for each code when the
// error is raised with a detail string. It becomes str1.
var codeFormat = map[int]string{
	ErrInternal:       "internal error: %s",
	ErrNoSupport:      "this function is not supported by the connection driver: %s",
	ErrInvalidArg:     "invalid argument: %s",
	ErrOperationFail:  "operation failed: %s",
	ErrOperationDeny:  "operation forbidden: %s",
	ErrSystem:         "%s",
	ErrRPC:            "%s",
	ErrNoDomain:       "Domain not found: %s",
	ErrAuthFailed:     "authentication failed: %s",
	ErrOperationInval: "Requested operation is not valid: %s",
	ErrTimeout:        "Timed out during operation: %s",
	ErrUnsupported:    "Operation not supported: %s",
	ErrAccessDenied:   "access denied: %s",
}

func sp(s string) *string { return &s }

// newError builds an error the way an ordinary libvirt report does:
// str1 is the code's template, str2 the detail, ints -1.
func newError(code, domain int, detail string) *Error {
	f, ok := codeFormat[code]
	if !ok {
		f = "%s"
	}
	return &Error{
		Code: code, Domain: domain, Level: LevelError,
		Message: strings.Replace(f, "%s", detail, 1),
		Str1:    sp(f), Str2: sp(detail),
		Int1: -1, Int2: -1,
	}
}

// systemError builds a VIR_ERR_SYSTEM_ERROR: "<what>: <strerror>", with
// int1 the errno, as libvirt's system-error reports do.
func systemError(domain int, errno unix.Errno, what string) *Error {
	msg := what + ": " + strerror(errno)
	return &Error{
		Code: ErrSystem, Domain: domain, Level: LevelError,
		Message: msg, Str1: sp("%s"), Str2: sp(msg),
		Int1: int(errno), Int2: -1,
	}
}

// flagsError is libvirt's "unsupported flags" report: no prefix, str1 the
// function, str2 "flags", ints 0.
func flagsError(domain int, function string, flags uint32) *Error {
	return &Error{
		Code: ErrInvalidArg, Domain: domain, Level: LevelError,
		Message: "unsupported flags (0x" + strconv.FormatUint(uint64(flags), 16) + ") in function " + function,
		Str1:    sp(function), Str2: sp("flags"),
	}
}

// strerror gives glibc's wording: Go's errno texts are glibc's with a
// lower-case first letter.
func strerror(errno unix.Errno) string {
	s := errno.Error()
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	return s
}

// decodeRemoteError decodes the remote_error payload of a failed REPLY and
// applies the same fix-ups as libvirt's client.
func decodeRemoteError(payload []byte) (*Error, error) {
	d := decoder{b: payload}
	e := &Error{}
	e.Code = int(d.i32())
	e.Domain = int(d.i32())
	msg := d.optStr()
	e.Level = int(d.i32())
	if d.optional() { // dom: never sent by the daemon; decoded to stay in step
		d.str()
		d.skip(16 + 4)
	}
	e.Str1 = d.optStr()
	e.Str2 = d.optStr()
	e.Str3 = d.optStr()
	e.Int1 = int(d.i32())
	e.Int2 = int(d.i32())
	if d.optional() { // net: never sent either
		d.str()
		d.skip(16)
	}
	if err := d.done(); err != nil {
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
// the codes libvirt's own library would report.
func remapError(e *Error) {
	// A daemon that does not know the procedure means "not supported".
	if (e.Domain == FromRemote || e.Domain == FromRPC) && e.Code == ErrRPC &&
		e.Level == LevelError && strings.HasPrefix(e.Message, "unknown procedure") {
		e.Code = ErrNoSupport
		return
	}
	// Daemons 0.7.1 to 0.7.7 numbered a few codes differently.
	switch {
	case e.Code >= 61 && e.Code <= 63 && e.Domain != FromNWFilt:
		e.Code += 4
	case e.Code == 64 && e.Domain == FromQEMU:
		e.Code = 68
	case e.Code == 65 && e.Domain == FromXen:
		e.Code = 69
	}
}
