package nfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"strings"
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

// TransportError is a failure of the connection itself (refused, reset,
// timed out, a reply that cannot be decoded). The connection that produced it
// is discarded; idempotent calls are retried on a fresh one.
type TransportError struct {
	Addr string
	Err  error
}

func (e *TransportError) Error() string { return fmt.Sprintf("nfs server %s: %v", e.Addr, e.Err) }
func (e *TransportError) Unwrap() error { return e.Err }

// RPCError is a call the server refused at the RPC level, such as a
// procedure it does not implement.
type RPCError struct {
	Addr string
	Msg  string
}

func (e *RPCError) Error() string { return fmt.Sprintf("nfs server %s: %s", e.Addr, e.Msg) }

// Unwrap makes an unimplemented procedure read as errors.ErrUnsupported.
func (e *RPCError) Unwrap() error {
	if strings.HasPrefix(e.Msg, "PROC_UNAVAIL") || strings.HasPrefix(e.Msg, "PROG_MISMATCH") {
		return errors.ErrUnsupported
	}
	return nil
}

// conn is one RPC connection. It is used by one goroutine at a time.
type conn struct {
	addr    string
	c       *rpc.Client
	auth    rpc.Auth
	timeout time.Duration
	calls   *atomic.Int64
	broken  bool
}

// dialRPC connects to addr, from a privileged source port when running as
// root (servers exporting with "secure" require one), and gives up at the
// context's deadline or after timeout.
func dialRPC(ctx context.Context, addr string, timeout time.Duration) (*rpc.Client, error) {
	type result struct {
		c   *rpc.Client
		err error
	}
	done := make(chan result, 1)
	go func() {
		c, err := dialOnce(addr)
		done <- result{c, err}
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, &TransportError{addr, r.err}
		}
		r.c.SetTimeout(timeout)
		return r.c, nil
	case <-ctx.Done():
	case <-t.C:
	}
	go func() { // the dial goroutine cannot be interrupted; close what it yields
		if r := <-done; r.c != nil {
			r.c.Close()
		}
	}()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return nil, &TransportError{addr, fmt.Errorf("connect: %w", os.ErrDeadlineExceeded)}
}

func dialOnce(addr string) (*rpc.Client, error) {
	if os.Geteuid() != 0 {
		return rpc.DialTCP("tcp", nil, addr)
	}
	for range 64 {
		port := 600 + rand.IntN(1024-600)
		c, err := rpc.DialTCP("tcp", &net.TCPAddr{Port: port}, addr)
		if err == nil || !errors.Is(err, syscall.EADDRINUSE) {
			return c, err
		}
	}
	return rpc.DialTCP("tcp", nil, addr) // every privileged port tried was busy
}

type callBody struct {
	rpc.Header
	Args interface{}
}

type noArgs struct{}

// call sends one RPC and returns the reply body positioned after the
// accept status. It honours ctx by closing the connection when ctx ends;
// any transport failure marks the connection broken.
func (c *conn) call(ctx context.Context, prog, vers, proc uint32, args interface{}) (r io.ReadSeeker, err error) {
	if c.broken {
		return nil, &TransportError{c.addr, errors.New("connection closed")}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if c.calls != nil {
		c.calls.Add(1)
	}
	stop := context.AfterFunc(ctx, func() { c.c.Close() })
	defer func() {
		stopped := stop()
		if p := recover(); p != nil { // the library panics on some truncated replies
			err = fmt.Errorf("malformed reply: %v", p)
		}
		if err != nil && strings.HasPrefix(err.Error(), "rpc: ") {
			// The server answered with an RPC-level refusal (PROG_UNAVAIL,
			// PROC_UNAVAIL, ...): the reply was read whole, the connection is fine.
			err = &RPCError{Addr: c.addr, Msg: strings.TrimPrefix(err.Error(), "rpc: ")}
			return
		}
		if err != nil {
			if !stopped && ctx.Err() != nil {
				err = ctx.Err()
			}
			c.broken = true
			c.c.Close()
			if ctx.Err() == nil {
				err = &TransportError{c.addr, err}
			}
		}
	}()
	if args == nil {
		args = noArgs{}
	}
	body := &callBody{
		Header: rpc.Header{Rpcvers: 2, Prog: prog, Vers: vers, Proc: proc, Cred: c.auth, Verf: rpc.AuthNull},
		Args:   args,
	}
	return c.c.Call(body)
}

func (c *conn) close() {
	c.broken = true
	c.c.Close()
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

// decode reads one XDR value from r.
func decode(r io.Reader, v interface{}) error {
	if err := xdr.Read(r, v); err != nil {
		return fmt.Errorf("malformed reply: %w", err)
	}
	return nil
}

// getport asks the portmapper at host:111 for a program's TCP port.
func getport(ctx context.Context, host string, prog, vers uint32, timeout time.Duration) (int, error) {
	addr := net.JoinHostPort(host, "111")
	rc, err := dialRPC(ctx, addr, timeout)
	if err != nil {
		return 0, err
	}
	c := &conn{addr: addr, c: rc, auth: rpc.AuthNull}
	defer c.close()
	res, err := c.call(ctx, progPortmap, 2, 3, rpc.Mapping{Prog: prog, Vers: vers, Prot: rpc.IPProtoTCP})
	if err != nil {
		return 0, err
	}
	var port uint32
	if err := decode(res, &port); err != nil {
		return 0, &TransportError{addr, err}
	}
	if port == 0 {
		return 0, fmt.Errorf("portmapper at %s: program %d version %d is not registered", addr, prog, vers)
	}
	return int(port), nil
}
