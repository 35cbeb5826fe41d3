package nfs

import (
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"testing"
	"time"

	"github.com/vmware/go-nfs-client/nfs/rpc"
)

// FuzzReadRecord: no input makes the record reader panic, allocate beyond
// MaxRecord or return more than it allows.
func FuzzReadRecord(f *testing.F) {
	f.Add([]byte{0x80, 0, 0, 4, 1, 2, 3, 4})
	f.Add([]byte{0, 0, 0, 2, 1, 2, 0x80, 0, 0, 1, 3})
	f.Add([]byte{0x7f, 0xff, 0xff, 0xff})
	f.Add(make([]byte, 64))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := readRecord(bytes.NewReader(data), MaxRecord)
		if err == nil && len(rec) > MaxRecord {
			t.Fatalf("a record of %d bytes", len(rec))
		}
	})
}

// replyServer answers every call on c with body, its xid patched to the
// call's.
func replyServer(c net.Conn, body []byte) {
	defer c.Close()
	for {
		call, err := readRecord(c, MaxRecord)
		if err != nil || len(call) < 4 {
			return
		}
		b := append([]byte(nil), body...)
		if len(b) >= 4 {
			copy(b, call[:4])
		}
		out := binary.BigEndian.AppendUint32(nil, 1<<31|uint32(len(b)))
		if _, err := c.Write(append(out, b...)); err != nil {
			return
		}
	}
}

// FuzzReplies: every reply dagnfs decodes, fed any bytes after a valid
// record mark and xid, is an error or a result, never a panic, and never an
// allocation beyond the reply.
func FuzzReplies(f *testing.F) {
	ok := func(words ...uint32) []byte {
		b := binary.BigEndian.AppendUint32(nil, 0)
		for _, w := range []uint32{1, 0, 0, 0, 0} { // reply, accepted, AUTH_NONE, SUCCESS
			b = binary.BigEndian.AppendUint32(b, w)
		}
		for _, w := range words {
			b = binary.BigEndian.AppendUint32(b, w)
		}
		return b
	}
	f.Add(ok(0))
	f.Add(ok(0, 8, 1, 2, 0, 0))
	f.Add(ok(0, 1))
	f.Add(ok(2, 0))
	f.Add(ok(0, 0, 100, 1, 0xffffffff))
	f.Add(ok(0, 0, 0, 0, 1, 0, 1, 1, 'x', 0, 0, 0))
	f.Add(ok(1, 4, 0x2f2f2f2f, 0, 0))
	f.Fuzz(func(t *testing.T, body []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		calls := []func(c *conn) error{
			func(c *conn) error { _, _, err := c.lookup(ctx, []byte{1}, "a"); return err },
			func(c *conn) error { _, err := c.getattr(ctx, []byte{1}); return err },
			func(c *conn) error {
				_, err := c.setattr(ctx, []byte{1}, Attr{Mode: 0o644, UID: -1, GID: -1})
				return err
			},
			func(c *conn) error { _, err := c.access(ctx, []byte{1}, 0x3f); return err },
			func(c *conn) error { _, _, err := c.readAt(ctx, []byte{1}, 0, make([]byte, 64)); return err },
			func(c *conn) error { _, err := c.writeAt(ctx, []byte{1}, 0, []byte("data"), unstable); return err },
			func(c *conn) error { _, err := c.commit(ctx, []byte{1}); return err },
			func(c *conn) error { _, _, err := c.createGuarded(ctx, []byte{1}, "a", 0o644); return err },
			func(c *conn) error { _, _, err := c.mkdir(ctx, []byte{1}, "a", 0o755); return err },
			func(c *conn) error { _, err := c.readdirplus(ctx, []byte{1}, 4096); return err },
			func(c *conn) error { _, err := c.fsinfo(ctx, []byte{1}); return err },
			func(c *conn) error { _, err := c.mnt(ctx, "/x"); return err },
			func(c *conn) error { _, err := c.exports(ctx); return err },
		}
		for _, call := range calls {
			client, server := net.Pipe()
			go replyServer(server, body)
			c := newConn("fuzz", client, rpc.AuthNull, time.Second, nil)
			_ = call(c)
			client.Close()
		}
	})
}
