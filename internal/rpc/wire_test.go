// Byte-exact frames and remote_error decoding, as docs/PROTOCOL.md writes them.

package rpc

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/libvirt-lxc-go/libvirt-lxc/internal/report"
	"github.com/libvirt-lxc-go/libvirt-lxc/internal/xdr"
)

// hx decodes hex written as spaced 32-bit words, as docs/PROTOCOL.md
// writes frames.
func hx(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var t1UUID = [16]byte{0x05, 0x07, 0x9f, 0x07, 0x35, 0x13, 0x48, 0x42, 0xae, 0x92, 0x99, 0x72, 0x49, 0x36, 0x2e, 0x1b}

// Byte-exact calls, as libvirt's own client sends them (docs/PROTOCOL.md §3
// shows the namespace call).
func TestEncodeCalls(t *testing.T) {
	name := "lxc:///system"
	open := xdr.Encoder{}
	open.OptStr(&name)
	open.U32(0)

	ns := xdr.Encoder{}
	ns.Domain("t1", t1UUID, 2741)
	ns.U32(0)

	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"AUTH_LIST", encodeCall(progRemote, procAuthList, 0, nil),
			"0000001c 20008086 00000001 00000042 00000000 00000000 00000000"},
		{"CONNECT_OPEN", encodeCall(progRemote, procConnectOpen, 1, open.Buf),
			"00000038 20008086 00000001 00000001 00000000 00000001 00000000 00000001 0000000d 6c78633a 2f2f2f73 79737465 6d000000 00000000"},
		{"LXC OPEN_NS", encodeCall(progLXC, procLXCOpenNS, 5, ns.Buf),
			"0000003c 00068000 00000001 00000001 00000000 00000005 00000000 00000002 74310000 05079f07 35134842 ae929972 49362e1b 00000ab5 00000000"},
		{"CONNECT_CLOSE", encodeCall(progRemote, 2, 6, nil),
			"0000001c 20008086 00000001 00000002 00000000 00000006 00000000"},
		{"PONG", pongPacket(),
			"0000001c 6b656570 00000001 00000002 00000002 00000000 00000000"},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(hx(t, tc.want), tc.got); diff != "" {
			t.Errorf("%s: -want +got\n%s", tc.name, diff)
		}
	}
}

func TestDecodeReplies(t *testing.T) {
	b := hx(t, "00000024 20008086 00000001 00000042 00000001 00000000 00000000 00000001 00000000")
	if err := checkLen(uint32(len(b))); err != nil {
		t.Fatal(err)
	}
	h, payload, err := decodeHeader(b[4:])
	if err != nil {
		t.Fatal(err)
	}
	want := header{Prog: progRemote, Vers: 1, Proc: procAuthList, Type: typeReply, Serial: 0, Status: statusOK}
	if diff := cmp.Diff(want, h); diff != "" {
		t.Errorf("AUTH_LIST header -want +got\n%s", diff)
	}
	d := xdr.Decoder{Buf: payload}
	if n, ty := d.U32(), d.I32(); n != 1 || ty != authNone || d.Done() != nil {
		t.Errorf("AUTH_LIST ret: count %d type %d err %v", n, ty, d.Err)
	}

	b = hx(t, "00000020 00068000 00000001 00000001 00000005 00000005 00000000 00000006")
	h, payload, _ = decodeHeader(b[4:])
	want = header{Prog: progLXC, Vers: 1, Proc: 1, Type: typeReplyWithFDs, Serial: 5, Status: statusOK}
	if diff := cmp.Diff(want, h); diff != "" {
		t.Errorf("OPEN_NS header -want +got\n%s", diff)
	}
	if diff := cmp.Diff(hx(t, "00000006"), payload); diff != "" {
		t.Errorf("OPEN_NS payload: %s", diff)
	}
}

// errorVector is the reply of a libvirt 9.0 daemon to DOMAIN_OPEN_NAMESPACE
// for an unknown uuid: 288 bytes, a remote_error (docs/PROTOCOL.md §7) as
// that daemon words it. Its strings are only data here: a daemon's
// error is relayed as it came, whatever release wrote it.
func errorVector(t testing.TB) []byte {
	const uuid = "00000000-1111-2222-3333-444444444444"
	detail := "no domain with matching uuid '" + uuid + "' (nonexistent)"
	e := xdr.Encoder{}
	e.I32(42)
	e.I32(17)
	msg := "Domain not found: " + detail
	e.OptStr(&msg)
	e.I32(2)
	e.U32(0)
	f := "Domain not found: %s"
	e.OptStr(&f)
	e.OptStr(&detail)
	e.OptStr(nil)
	e.I32(-1)
	e.I32(-1)
	e.U32(0)
	pkt := encodePacket(header{Prog: progLXC, Vers: 1, Proc: 1, Type: typeReply, Serial: 2, Status: statusError}, e.Buf)
	// Spot-check the framing against the bytes that daemon sent.
	if got, want := hex.EncodeToString(pkt[:44]), strings.Join(strings.Fields(
		"00000120 00068000 00000001 00000001 00000001 00000002 00000001 0000002a 00000011 00000001 00000063"), ""); got != want {
		t.Fatalf("vector prefix %s, want %s", got, want)
	}
	return pkt
}

func TestDecodeErrorVector(t *testing.T) {
	pkt := errorVector(t)
	if len(pkt) != 288 {
		t.Fatalf("vector is %d bytes, want 288", len(pkt))
	}
	_, payload, _ := decodeHeader(pkt[4:])
	got, err := report.DecodeRemoteError(payload)
	if err != nil {
		t.Fatal(err)
	}
	want := &report.Error{
		Code: 42, Domain: 17, Level: 2,
		Message: "Domain not found: no domain with matching uuid '00000000-1111-2222-3333-444444444444' (nonexistent)",
		Str1:    sp("Domain not found: %s"),
		Str2:    sp("no domain with matching uuid '00000000-1111-2222-3333-444444444444' (nonexistent)"),
		Int1:    -1, Int2: -1,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("-want +got\n%s", diff)
	}
	// Every truncation must fail cleanly, never panic or half-succeed.
	for n := 0; n < len(payload); n++ {
		if _, err := report.DecodeRemoteError(payload[:n]); err == nil {
			t.Fatalf("truncated to %d bytes: no error", n)
		}
	}
}

func TestErrorRemaps(t *testing.T) {
	enc := func(code, domain int, msg *string) []byte {
		e := xdr.Encoder{}
		e.I32(int32(code))
		e.I32(int32(domain))
		e.OptStr(msg)
		e.I32(2)
		e.U32(0)
		e.OptStr(nil)
		e.OptStr(nil)
		e.OptStr(nil)
		e.I32(-1)
		e.I32(-1)
		e.U32(0)
		return e.Buf
	}
	tests := []struct {
		code, domain int
		msg          *string
		wantCode     int
		wantMsg      string
	}{
		{39, 7, sp("unknown procedure: 9"), 3, "unknown procedure: 9"},
		{39, 13, sp("unknown procedure: 9"), 3, "unknown procedure: 9"},
		{39, 0, sp("unknown procedure: 9"), 39, "unknown procedure: 9"},
		{39, 7, sp("authentication required"), 39, "authentication required"},
		{61, 0, sp("x"), 65, "x"},
		{63, 10, sp("x"), 67, "x"},
		{62, 33, sp("x"), 62, "x"},
		{60, 0, sp("x"), 60, "x"},
		{64, 10, sp("x"), 68, "x"},
		{64, 0, sp("x"), 64, "x"},
		{65, 1, sp("x"), 69, "x"},
		{1, 7, nil, 1, "Unknown error"},
	}
	for _, tc := range tests {
		got, err := report.DecodeRemoteError(enc(tc.code, tc.domain, tc.msg))
		if err != nil {
			t.Fatal(err)
		}
		if got.Code != tc.wantCode || got.Message != tc.wantMsg {
			t.Errorf("code %d domain %d: got %d %q, want %d %q", tc.code, tc.domain, got.Code, got.Message, tc.wantCode, tc.wantMsg)
		}
	}
}

func TestCheckLen(t *testing.T) {
	for _, n := range []uint32{0, 3, 4, 27, 33554437, 0xffffffff} {
		if checkLen(n) == nil {
			t.Errorf("length %d accepted", n)
		}
	}
	for _, n := range []uint32{28, 32, 33554436} {
		if err := checkLen(n); err != nil {
			t.Errorf("length %d: %v", n, err)
		}
	}
}

func TestBuiltErrors(t *testing.T) {
	got := report.FlagsError(report.FromLXC, "lxcDomainLxcOpenNamespace", 1)
	want := &report.Error{Code: 8, Domain: 17, Level: 2,
		Message: "unsupported flags (0x1) in function lxcDomainLxcOpenNamespace",
		Str1:    sp("lxcDomainLxcOpenNamespace"), Str2: sp("flags")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("flags: -want +got\n%s", diff)
	}
	// The core's own reports carry no template: code, domain, the detail
	// and the errno only (lxcCoreError, capi/channel/coreabi.h).
	got = report.SystemError(report.FromRPC, 2, "Failed to connect socket to '/nonexistent'")
	want = &report.Error{Code: 38, Domain: 7, Level: 2,
		Str2: sp("Failed to connect socket to '/nonexistent'"), Int1: 2, Int2: -1, ToFormat: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("system: -want +got\n%s", diff)
	}
	if s := got.Error(); s != "Failed to connect socket to '/nonexistent': No such file or directory" {
		t.Errorf("system: Error() = %q", s)
	}
	got = report.NewError(report.ErrOperationInval, report.FromConfig, "domain is not running")
	want = &report.Error{Code: 55, Domain: 20, Level: 2, Str2: sp("domain is not running"),
		Int1: -1, Int2: -1, ToFormat: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ordinary: -want +got\n%s", diff)
	}
	if s := got.Error(); s != "domain is not running" {
		t.Errorf("ordinary: Error() = %q", s)
	}
}

func sp(s string) *string { return &s }
