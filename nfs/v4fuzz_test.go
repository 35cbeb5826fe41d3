package nfs

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/vmware/go-nfs-client/nfs/rpc"
)

// v4Server answers every COMPOUND on c as a session would (SEQUENCE's
// result for the call's own slot and sequence ID), followed by body: the
// results of the other operations, as a hostile server chooses them.
func v4Server(c net.Conn, sid [sessionIDSize]byte, body []byte) {
	defer c.Close()
	for {
		call, err := readRecord(c, MaxRecord)
		if err != nil {
			return
		}
		d := &xdrDec{b: call}
		xid := d.u32()
		d.u32() // call
		d.u32() // rpc version
		d.u32()
		d.u32()
		d.u32()
		d.u32() // cred
		d.opaque(400)
		d.u32() // verf
		d.opaque(400)
		d.opaque(maxV4Tag)
		d.u32() // minor version
		n := d.u32()
		d.u32() // SEQUENCE
		d.fixed(sessionIDSize)
		seq, slot := d.u32(), d.u32()
		if d.err != nil {
			return
		}
		var e v4Enc
		for _, w := range []uint32{xid, 1, 0, 0, 0, 0} {
			e.u32(w)
		}
		e.u32(0) // NFS4_OK
		e.str("")
		e.u32(n)
		e.u32(opSequence)
		e.u32(0)
		e.fixed(sid[:])
		for _, w := range []uint32{seq, slot, 3, 3, 0} {
			e.u32(w)
		}
		b := append(e.b, body...)
		out := binary.BigEndian.AppendUint32(nil, 1<<31|uint32(len(b)))
		if _, err := c.Write(append(out, b...)); err != nil {
			return
		}
	}
}

// fuzzRemote4 is a Remote4 in a session whose one connection is answered
// by v4Server with body; it does not retry.
func fuzzRemote4(body []byte) *Remote4 {
	opts := Options{UID: 50000, GID: 50000, Timeout: time.Second, Conns: 1, Retries: -1}
	opts.defaults()
	pool := newPool(opts)
	r := &Remote4{u: &URL{Host: "fuzz", Path: "/x"}, rpcPool: &pool, cs: newClientState(), root: []byte{1, 2, 3, 4},
		rtmax: 64 << 10, wtmax: 64 << 10, stopRenew: make(chan struct{})}
	r.nfsAddr = "fuzz.invalid:1"
	s := &session{id: [sessionIDSize]byte{9, 9, 9}, free: make(chan uint32, 4), seq: make([]uint32, 4), maxOps: 16, maxReq: 1 << 20, maxRsp: 1 << 20}
	for i := range uint32(4) {
		s.free <- i
		s.seq[i] = 1
	}
	r.cs.sess.Store(s)
	r.cs.clientID = 7
	client, server := net.Pipe()
	go v4Server(server, s.id, body)
	r.slots <- struct{}{}
	r.pool <- newConn("fuzz", client, rpc.AuthNull, time.Second, &r.calls)
	return r
}

// The lease is renewed while nothing else is sent, and not while calls
// go out anyway.
func TestLeaseRenewal(t *testing.T) {
	r := fuzzRemote4(nil)
	r.cs.lease = 3 * time.Second // renewal checks every second
	go r.renew(r.stopRenew)
	defer close(r.stopRenew)
	time.Sleep(2500 * time.Millisecond)
	if n := r.Calls(); n < 1 {
		t.Fatalf("%d renewals in 2.5 s of silence with a 3 s lease", n)
	}
	r.lastCall.Store(time.Now().Add(time.Hour).UnixNano()) // as if calls kept going
	before := r.Calls()
	time.Sleep(1500 * time.Millisecond)
	if n := r.Calls() - before; n != 0 {
		t.Fatalf("%d renewals while other calls went out", n)
	}
}

// FuzzV4Replies: every NFSv4.1 reply dagnfs decodes, whatever the server
// puts after a valid SEQUENCE result, is an error or a result, never a
// panic, a hang or an allocation beyond the reply.
func FuzzV4Replies(f *testing.F) {
	res := func(words ...uint32) []byte {
		var e v4Enc
		for _, w := range words {
			e.u32(w)
		}
		return e.b
	}
	f.Add(res(opPutfh, 0, opGetattr, 0, 2, 1<<attrType|1<<attrSize, 0, 12, 2, 0, 0))
	f.Add(res(opPutfh, 0, opLookup, 2))
	f.Add(res(opPutfh, 0, opReaddir, 0, 0, 0, 1, 0, 0, 1, 'a'<<24, 0, 0, 0, 1))
	f.Add(res(opPutfh, 0, opOpen, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0))
	f.Add(res(opPutfh, 0, opRead, 0, 1, 0xffffffff))
	f.Add(res(opPutfh, 0, opLookup, 0, opGetattr, 0, 9, 0xffffffff))
	f.Add(res(opPutfh, 0, opSavefh, 0, opPutfh, 0, opRename, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0))
	f.Add(res(opPutfh, 0, opOpen, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, opGetfh, 0, 1, 0xab000000, opWrite, 0, 4, 2, 0, 0))
	f.Fuzz(func(t *testing.T, body []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		calls := []func(r *Remote4) error{
			func(r *Remote4) error { _, err := r.Stat(ctx, "a"); return err },
			func(r *Remote4) error { _, err := r.Stat(ctx, ""); return err },
			func(r *Remote4) error { _, err := r.ReadDir(ctx, ""); return err },
			func(r *Remote4) error {
				f, err := r.Open(ctx, "a")
				if err == nil {
					_, err = io.Copy(io.Discard, io.LimitReader(f, 1<<20))
				}
				return err
			},
			func(r *Remote4) error {
				w, err := r.Create(ctx, "a", 0o644)
				if err == nil {
					w.Write([]byte("data"))
					_, err = w.Commit(ctx)
					w.Close()
				}
				return err
			},
			func(r *Remote4) error {
				w, err := r.CreateFresh(ctx, "d/a", 0o644)
				if err == nil {
					w.Write([]byte("data"))
					_, err = w.Commit(ctx)
					w.Close()
				}
				return err
			},
			func(r *Remote4) error {
				_, err := r.RenameAll(ctx, []RenamePair{{"a", "b"}, {"c", "d"}, {"x/e", "f"}})
				return err
			},
			func(r *Remote4) error { return r.Mkdir(ctx, "a", 0o755) },
			func(r *Remote4) error { return r.Rename(ctx, "a", "b") },
			func(r *Remote4) error { return r.Link(ctx, "a", "b") },
			func(r *Remote4) error { return r.Symlink(ctx, "t", "a") },
			func(r *Remote4) error { _, err := r.Readlink(ctx, "a"); return err },
			func(r *Remote4) error { return r.Remove(ctx, "a") },
			func(r *Remote4) error { return r.Rmdir(ctx, "a") },
			func(r *Remote4) error { _, err := r.CanWrite(ctx, ""); return err },
			func(r *Remote4) error {
				return errors.Join(r.LinkAll(ctx, []LinkPair{{"a", "b"}, {"c", "d"}, {"e", "f"}}, 2)...)
			},
			func(r *Remote4) error { return errors.Join(r.RemoveAll(ctx, []string{"a", "b", "c"}, 2)...) },
			func(r *Remote4) error {
				_, err := r.SetAttr(ctx, "a", Attr{Mode: 0o644, UID: 1, GID: 2, ModTime: time.Unix(5, 0)})
				return err
			},
		}
		for _, call := range calls {
			r := fuzzRemote4(body)
			_ = call(r)
			r.closeConns()
		}
	})
}

// FuzzFattr4: attribute lists of any shape decode to an error or to
// attributes, within their declared length.
func FuzzFattr4(f *testing.F) {
	var e v4Enc
	e.u32(2)
	e.u32(statBits[0])
	e.u32(statBits[1])
	e.opaque(make([]byte, 60))
	f.Add(e.b)
	f.Add([]byte{0, 0, 0, 9})
	f.Fuzz(func(t *testing.T, b []byte) {
		d := &xdrDec{b: b}
		a := d.fattr4(listBits)
		if d.err == nil && len(a.fh) > maxV4FH {
			t.Fatalf("a handle of %d bytes", len(a.fh))
		}
	})
}

// FuzzV4SessionReplies: the replies that make a client ID and a session
// (EXCHANGE_ID, CREATE_SESSION) and the empty COMPOUND of the version probe
// decode to an error or a result whatever the server sends.
func FuzzV4SessionReplies(f *testing.F) {
	res := func(words ...uint32) []byte {
		var e v4Enc
		for _, w := range []uint32{0, 1, 0, 0, 0, 0} { // xid (patched), reply, accepted, AUTH_NONE, SUCCESS
			e.u32(w)
		}
		for _, w := range words {
			e.u32(w)
		}
		return e.b
	}
	f.Add(res(0, 0, 1, opExchangeID, 0, 0, 7, 1, 0, 0, 0, 0, 0, 0, 0, 0))
	f.Add(res(0, 0, 1, opCreateSession, 0, 1, 2, 3, 4, 1, 0, 0, 0, 1<<20, 1<<20, 4096, 16, 8, 0, 0, 4096, 4096, 0, 2, 1, 0))
	f.Add(res(0, 0, 0))
	f.Add(res(10021, 0, 0))
	f.Fuzz(func(t *testing.T, body []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, call := range []func(r *Remote4, c *conn) error{
			func(r *Remote4, c *conn) error { return r.exchangeID(ctx, c) },
			func(r *Remote4, c *conn) error { _, err := r.createSession(ctx, c); return err },
			func(r *Remote4, c *conn) error { _, err := r.session(ctx, c); return err },
		} {
			r := fuzzRemote4(nil)
			r.cs.sess.Store(nil)
			client, server := net.Pipe()
			go replyServer(server, body)
			c := newConn("fuzz", client, rpc.AuthNull, time.Second, nil)
			_ = call(r, c)
			client.Close()
			r.closeConns()
		}
	})
}
