// A client's records, from the socket chosen to a reconnect.

package core

import (
	"strings"
	"testing"
	"time"

	"github.com/libvirt-lxc-go/libvirt-lxc/internal/report/reporttest"
)

// A client's records: the socket and why, the connection and handshake,
// and a reconnect after the daemon dropped the idle connection.
func TestLogClientRecords(t *testing.T) {
	d := startFakeDaemon(t, true)
	c := testClient()
	defer c.CloseIdle()
	var r reporttest.Records
	req := &Request{URI: d.uri, Name: "t1", UUID: t1UUID, ID: 2741, Log: r.Logger()}
	for i := 0; i < 2; i++ {
		fds, err := c.OpenNamespace(req)
		if err != nil {
			t.Fatal(err)
		}
		closeAll(fds)
		time.Sleep(100 * time.Millisecond) // the daemon drops the idle connection
	}
	sock := strings.TrimPrefix(d.uri, "lxc:///system?socket=")
	r.WantInOrder(t, []string{
		"URI " + d.uri + ": transport unix, socket " + sock + " (the URI's socket parameter), name \"lxc:///system\"",
		"core.(*Client).dial: connected to " + sock + " (fd ",
		"proc=66 type=0",
		"proc=66 type=1",
		"proc=1 type=0 status=0 serial=1",
		"connection to " + sock + " open (fd ",
		"prog=0x68000 vers=1 proc=1 type=0 status=0 serial=2",
		"prog=0x68000 vers=1 proc=1 type=5 status=0 serial=2",
		"connection to " + sock + " lost while idle (",
		"core.(*Client).dial: connected to " + sock,
		"prog=0x68000 vers=1 proc=1 type=5 status=0 serial=2",
	})
	for _, rec := range r.Got {
		if strings.Contains(rec, "lost while idle") && !strings.HasSuffix(rec, "): reconnecting") {
			t.Errorf("reconnect record %q", rec)
		}
	}
}
