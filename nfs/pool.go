package nfs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vmware/go-nfs-client/nfs/rpc"
)

// rpcPool holds the connections of one NFS destination, one per
// concurrent worker (an RPC connection is never shared by two calls at
// once), and runs calls on them with the retry rules of Options. Both
// protocol versions use it.
type rpcPool struct {
	opts    Options
	nfsAddr string
	auth    rpc.Auth
	pool    chan *conn
	slots   chan struct{}
	calls   atomic.Int64
	closed  atomic.Bool
	// down is the last call that failed on the connection after all its
	// retries, and when: for Options.Timeout after it, calls fail at once
	// with the same error instead of each waiting out its own retries (a
	// server that stops answering costs one call's retries, not one per
	// file).
	down atomic.Pointer[downAt]
	// onStale, if set, runs before a call that failed on a stale handle is
	// retried (the v3 destination mounts again).
	onStale func(context.Context)
	// onDial, if set, runs on each new connection before its first call
	// (the v4.1 destination binds it to its session).
	onDial func(context.Context, *conn) error
}

type downAt struct {
	err error
	at  time.Time
}

func newPool(opts Options) rpcPool {
	return rpcPool{opts: opts, auth: newAuth(opts.UID, opts.GID),
		pool: make(chan *conn, opts.Conns), slots: make(chan struct{}, opts.Conns)}
}

// Calls returns how many RPCs this destination has sent.
func (r *rpcPool) Calls() int64 { return r.calls.Load() }

// get returns an idle connection, or dials a new one while fewer than
// Options.Conns are open.
func (r *rpcPool) get(ctx context.Context) (*conn, error) {
	if r.closed.Load() {
		return nil, errors.New("nfs: destination is closed")
	}
	select {
	case c := <-r.pool:
		return c, nil
	default:
	}
	select {
	case c := <-r.pool:
		return c, nil
	case r.slots <- struct{}{}:
		c, err := dialRPC(ctx, r.nfsAddr, r.opts.Timeout, r.auth, &r.calls)
		if err == nil && r.onDial != nil {
			if err = r.onDial(ctx, c); err != nil {
				c.close()
			}
		}
		if err != nil {
			<-r.slots
			return nil, err
		}
		return c, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (r *rpcPool) put(c *conn) {
	if c.broken || r.closed.Load() {
		c.close()
		<-r.slots
		return
	}
	r.pool <- c
}

// do runs fn on a pooled connection. When fn fails on the connection itself
// (or on a stale handle) it runs again on a fresh one, up to Options.Retries
// times; attempt tells fn whether this is a retry, so that non-idempotent
// procedures can read EXIST or NOENT on a retry for what it is.
func (r *rpcPool) do(ctx context.Context, fn func(c *conn, attempt int) error) error {
	if d := r.down.Load(); d != nil && time.Since(d.at) < r.opts.Timeout {
		return d.err
	}
	backoff := 200 * time.Millisecond
	for attempt := 0; ; attempt++ {
		c, err := r.get(ctx)
		if err == nil {
			err = fn(c, attempt)
			r.put(c)
		}
		if dl, ok := ctx.Deadline(); err != nil && ok && !time.Now().Before(dl) {
			// The connection's deadline was the run's: say so, rather
			// than a server timeout (the timer may not have fired yet).
			<-ctx.Done()
			return fmt.Errorf("%w: %v", ctx.Err(), err)
		}
		var te *TransportError
		stale := errors.Is(err, syscall.ESTALE)
		if err == nil && r.down.Load() != nil {
			r.down.Store(nil) // the server answers again
		}
		if err == nil || (!errors.As(err, &te) && !stale) || ctx.Err() != nil {
			return err
		}
		// No answer within the timeout: the server is silent, and a new
		// connection would wait as long again. Retries are for failures
		// that come at once (a reset, a refused connection while the
		// server restarts, a stale handle).
		silent := errors.Is(err, os.ErrDeadlineExceeded)
		if attempt >= r.opts.Retries || silent {
			if te != nil {
				r.down.Store(&downAt{err: err, at: time.Now()})
			}
			return err
		}
		if stale && r.onStale != nil {
			r.onStale(ctx)
		}
		r.opts.Log.Info("nfs call failed, retrying on a new connection", "server", r.nfsAddr, "err", err, "attempt", attempt+1)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return ctx.Err()
		}
		backoff = min(2*backoff, 3*time.Second)
	}
}

// closeConns closes every idle connection; the destination is unusable
// afterwards.
func (r *rpcPool) closeConns() bool {
	if r.closed.Swap(true) {
		return false
	}
	for {
		select {
		case c := <-r.pool:
			c.close()
		default:
			return true
		}
	}
}
