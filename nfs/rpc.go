package nfs

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vmware/go-nfs-client/nfs/rpc"
	"github.com/vmware/go-nfs-client/nfs/xdr"
)

// RPC program numbers and versions.
const (
	progPortmap = 100000
	progNFS     = 100003
	progMount   = 100005
	versNFS     = 3
	versMount   = 3
)

// Limits on what a server may send. dagnfs asks for at most 1 MiB per READ
// (clampIO) and 64 KiB per READDIRPLUS, so a larger reply is a broken or
// hostile server, never a reason to allocate.
const (
	// MaxRecord is the largest RPC reply accepted, all fragments together.
	MaxRecord = 2<<20 + 64<<10
	// maxFragments bounds the fragments of one record (a server sending
	// empty fragments without the last-fragment bit would loop forever).
	maxFragments = 1024
)

// TransportError is a failure of the connection itself (refused, reset,
// timed out, a reply that cannot be decoded). The connection that produced it
// is discarded; idempotent calls are retried on a fresh one.
type TransportError struct {
	Addr string
	Err  error
}

func (e *TransportError) Error() string { return fmt.Sprintf("nfs server %s: %v", e.Addr, e.Err) }
func (e *TransportError) Unwrap() error { return e.Err }

// noAnswer is a server's silence for a whole timeout; it reads as
// os.ErrDeadlineExceeded.
type noAnswer string

func (e noAnswer) Error() string        { return string(e) }
func (e noAnswer) Is(target error) bool { return target == os.ErrDeadlineExceeded }
func (e noAnswer) Timeout() bool        { return true }

// RPCError is a call the server refused at the RPC level, such as a
// procedure it does not implement or a credential it rejects.
type RPCError struct {
	Addr string
	Msg  string
	// Unsupported: the program, version or procedure is not served.
	Unsupported bool
}

func (e *RPCError) Error() string { return fmt.Sprintf("nfs server %s: %s", e.Addr, e.Msg) }

// Unwrap makes an unimplemented procedure read as errors.ErrUnsupported.
func (e *RPCError) Unwrap() error {
	if e.Unsupported {
		return errors.ErrUnsupported
	}
	return nil
}

// ErrMalformed: a reply that does not decode, or says more than was asked.
var ErrMalformed = errors.New("malformed reply")

// conn is one RPC connection over TCP (RFC 5531 record marking). It is used
// by one goroutine at a time. Replies are read by readRecord, which bounds
// their size before allocating, and decoded by xdrDec, which bounds every
// length against what is left of the reply.
type conn struct {
	addr    string
	nc      net.Conn
	in      *bufio.Reader // replies, read through a buffer: a reply's marker and body in one read
	auth    rpc.Auth
	timeout time.Duration
	calls   *atomic.Int64
	broken  bool
	xid     uint32
	out     bytes.Buffer
}

// dialRPC connects to addr, from a privileged source port when running as
// root (servers exporting with "secure" require one), and gives up at the
// context's deadline or after timeout.
func dialRPC(ctx context.Context, addr string, timeout time.Duration, auth rpc.Auth, calls *atomic.Int64) (*conn, error) {
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	nc, err := dialOnce(dctx, addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if dctx.Err() != nil {
			err = noAnswer(fmt.Sprintf("no answer to connecting within %v", timeout))
		}
		return nil, &TransportError{addr, err}
	}
	return newConn(addr, nc, auth, timeout, calls), nil
}

func newConn(addr string, nc net.Conn, auth rpc.Auth, timeout time.Duration, calls *atomic.Int64) *conn {
	return &conn{addr: addr, nc: nc, in: bufio.NewReaderSize(nc, replyBuffer), auth: auth, timeout: timeout, calls: calls, xid: rand.Uint32()}
}

func dialOnce(ctx context.Context, addr string) (net.Conn, error) {
	if os.Geteuid() != 0 {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}
	for range 64 {
		d := net.Dialer{LocalAddr: &net.TCPAddr{Port: 600 + rand.IntN(1024-600)}}
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil || !errors.Is(err, syscall.EADDRINUSE) {
			return c, err
		}
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr) // every privileged port tried was busy
}

// CancelGrace is how long a call whose context ends keeps waiting for the
// reply to what it already sent.
const CancelGrace = 250 * time.Millisecond

type callMsg struct {
	Xid     uint32
	Msgtype uint32
	rpc.Header
	Args interface{}
}

type noArgs struct{}

// rawArgs are arguments already encoded in XDR (NFSv4's COMPOUND, which
// dagnfs encodes itself).
type rawArgs []byte

var zeros [4]byte

// call sends one RPC and returns a decoder positioned after the accept
// status. It ends at the call timeout or when ctx ends, whichever is first;
// any transport failure marks the connection broken.
func (c *conn) call(ctx context.Context, prog, vers, proc uint32, args interface{}) (*xdrDec, error) {
	return c.callData(ctx, prog, vers, proc, args, nil)
}

// callData is call with an opaque after args, sent as it is (writev), not
// copied into the encoded call: a WRITE's data (data == nil: none).
func (c *conn) callData(ctx context.Context, prog, vers, proc uint32, args interface{}, data []byte) (*xdrDec, error) {
	return c.callDataTail(ctx, prog, vers, proc, args, data, nil)
}

// callDataTail is callData with encoded arguments that follow the data
// (an NFSv4 COMPOUND's operations after its WRITE).
func (c *conn) callDataTail(ctx context.Context, prog, vers, proc uint32, args interface{}, data, tail []byte) (*xdrDec, error) {
	if c.broken {
		return nil, &TransportError{c.addr, errors.New("connection closed")}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if c.calls != nil {
		c.calls.Add(1)
	}
	raw, isRaw := args.(rawArgs)
	if args == nil || isRaw {
		args = noArgs{}
	}
	c.xid++
	msg := callMsg{Xid: c.xid, Header: rpc.Header{Rpcvers: 2, Prog: prog, Vers: vers, Proc: proc, Cred: c.auth, Verf: rpc.AuthNull}, Args: args}
	c.out.Reset()
	c.out.Write([]byte{0, 0, 0, 0})
	if err := xdr.Write(&c.out, msg); err != nil {
		return nil, fmt.Errorf("encoding the call: %w", err) // a bug, not the server's
	}
	c.out.Write(raw)
	var pad []byte
	if data != nil {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(data)))
		c.out.Write(n[:])
		pad = zeros[:(4-len(data)%4)%4]
	}
	b := c.out.Bytes()
	binary.BigEndian.PutUint32(b, 1<<31|uint32(len(b)-4+len(data)+len(pad)+len(tail)))

	deadline := time.Now().Add(c.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	c.nc.SetDeadline(deadline)
	// A cancelled call still waits a moment for its reply: what the server
	// did is then known (a CREATE that was sent made its file), and the
	// cleanup that follows is not overtaken by a call still in flight.
	stop := context.AfterFunc(ctx, func() {
		if g := time.Now().Add(CancelGrace); g.Before(deadline) {
			c.nc.SetDeadline(g)
		}
	})
	rec, err := c.roundTrip(b, data, pad, tail)
	if !stop() {
		// The grace changed the connection's deadline, perhaps still
		// changing it now: the next call starts on a new connection.
		c.close()
	}
	if err != nil {
		c.close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			err = noAnswer(fmt.Sprintf("no answer within %v", c.timeout))
		}
		return nil, &TransportError{c.addr, err}
	}
	// A reply that came within the grace is returned although ctx ended:
	// the caller learns what the server did (a lock file it created is
	// one it must remove) and stops at its next call.
	d, err := c.replyHeader(rec)
	var re *RPCError
	if errors.As(err, &re) {
		return nil, err // refused at the RPC level: the reply was read whole, the connection is fine
	}
	if err != nil {
		c.close()
		return nil, &TransportError{c.addr, err}
	}
	return d, nil
}

func (c *conn) roundTrip(b, data, pad, tail []byte) ([]byte, error) {
	if data == nil {
		if _, err := c.nc.Write(b); err != nil {
			return nil, err
		}
	} else {
		bufs := net.Buffers{b, data, pad, tail}
		if _, err := bufs.WriteTo(c.nc); err != nil {
			return nil, err
		}
	}
	return readRecord(c.in, MaxRecord)
}

// replyBuffer is the size of a connection's reply buffer: most replies fit
// whole (a larger one, a READ's data, is read past it, straight into the
// record).
const replyBuffer = 16 << 10

// readRecord reads one record-marked RPC message of at most max bytes,
// assembling its fragments.
func readRecord(r io.Reader, max int) ([]byte, error) {
	var rec []byte
	var hdr [4]byte
	for range maxFragments {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return nil, err
		}
		h := binary.BigEndian.Uint32(hdr[:])
		n := int(h & 0x7fffffff)
		if n > max-len(rec) {
			return nil, fmt.Errorf("%w: a reply of more than %d bytes", ErrMalformed, max)
		}
		start := len(rec)
		rec = append(rec, make([]byte, n)...)
		if _, err := io.ReadFull(r, rec[start:]); err != nil {
			return nil, err
		}
		if h&(1<<31) != 0 {
			return rec, nil
		}
	}
	return nil, fmt.Errorf("%w: a reply in more than %d fragments", ErrMalformed, maxFragments)
}

// replyHeader checks an RPC reply (RFC 5531 rpc_msg) and returns a decoder
// positioned at the procedure's results.
func (c *conn) replyHeader(rec []byte) (*xdrDec, error) {
	d := &xdrDec{b: rec}
	xid, mtype, stat := d.u32(), d.u32(), d.u32()
	if d.err != nil {
		return nil, d.err
	}
	if xid != c.xid {
		return nil, fmt.Errorf("%w: reply xid %#x to call %#x", ErrMalformed, xid, c.xid)
	}
	if mtype != 1 {
		return nil, fmt.Errorf("%w: message type %d is not a reply", ErrMalformed, mtype)
	}
	switch stat {
	case 0: // MSG_ACCEPTED
		d.u32()       // verifier flavor
		d.opaque(400) // verifier body
		accept := d.u32()
		if d.err != nil {
			return nil, d.err
		}
		switch accept {
		case 0:
			return d, nil
		case 1:
			return nil, &RPCError{Addr: c.addr, Msg: "PROG_UNAVAIL", Unsupported: true}
		case 2:
			lo, hi := d.u32(), d.u32()
			return nil, &RPCError{Addr: c.addr, Msg: fmt.Sprintf("PROG_MISMATCH (versions %d to %d)", lo, hi), Unsupported: true}
		case 3:
			return nil, &RPCError{Addr: c.addr, Msg: "PROC_UNAVAIL", Unsupported: true}
		case 4:
			return nil, &RPCError{Addr: c.addr, Msg: "GARBAGE_ARGS"}
		case 5:
			return nil, &RPCError{Addr: c.addr, Msg: "SYSTEM_ERR"}
		}
		return nil, fmt.Errorf("%w: accept status %d", ErrMalformed, accept)
	case 1: // MSG_DENIED
		switch d.u32() {
		case 0:
			return nil, &RPCError{Addr: c.addr, Msg: "RPC_MISMATCH"}
		case 1:
			return nil, &RPCError{Addr: c.addr, Msg: fmt.Sprintf("AUTH_ERROR (auth_stat %d): the server rejects the credential", d.u32())}
		}
		return nil, fmt.Errorf("%w: a denied reply that does not decode", ErrMalformed)
	}
	return nil, fmt.Errorf("%w: reply status %d", ErrMalformed, stat)
}

func (c *conn) close() {
	c.broken = true
	c.nc.Close()
}

// newAuth builds an AUTH_UNIX credential whose supplementary group is gid,
// not the library's default of 0 (root's group).
func newAuth(uid, gid uint32) rpc.Auth {
	host, _ := os.Hostname()
	if len(host) > 255 {
		host = host[:255]
	}
	a := rpc.NewAuthUnix(host, uid, gid)
	a.Gids = gid
	return a.Auth()
}

// getport asks the portmapper at host:111 for a program's TCP port.
func getport(ctx context.Context, host string, prog, vers uint32, timeout time.Duration) (int, error) {
	addr := net.JoinHostPort(host, "111")
	c, err := dialRPC(ctx, addr, timeout, rpc.AuthNull, nil)
	if err != nil {
		return 0, err
	}
	defer c.close()
	res, err := c.call(ctx, progPortmap, 2, 3, rpc.Mapping{Prog: prog, Vers: vers, Prot: rpc.IPProtoTCP})
	if err != nil {
		return 0, err
	}
	port := res.u32()
	if res.err != nil || port > 65535 {
		return 0, &TransportError{addr, fmt.Errorf("%w: portmapper answered port %d", ErrMalformed, port)}
	}
	if port == 0 {
		return 0, fmt.Errorf("portmapper at %s: program %d version %d is not registered", addr, prog, vers)
	}
	return int(port), nil
}
