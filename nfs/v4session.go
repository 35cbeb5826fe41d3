package nfs

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// An NFSv4.1 client owns a client ID (EXCHANGE_ID) and a session
// (CREATE_SESSION) whose slots number its requests: every COMPOUND starts
// with SEQUENCE (session, slot, the slot's sequence ID), the server
// executes each sequence ID of a slot once, and a slot is used by one
// request at a time. Connections need no binding: with SP4_NONE the server
// associates each connection with the session at its first SEQUENCE.

// session is one CREATE_SESSION's result and its slot table.
type session struct {
	id     [sessionIDSize]byte
	free   chan uint32 // slots not in use
	seq    []uint32    // each slot's next sequence ID (owned by whoever holds the slot)
	maxOps uint32
	maxReq uint32 // the largest request the server takes, bytes
	maxRsp uint32
	dead   atomic.Bool
}

// Limits dagnfs asks for; the server may lower them.
const (
	wantSlots   = 64
	wantOps     = 64
	wantReqSize = 1<<20 + 64<<10
	maxSlots    = 1024 // more than the server may grant (it is the server's number)
)

// clientState is this process's identity at the server: its owner name,
// verifier, client ID and current session.
type clientState struct {
	owner    []byte
	verifier [8]byte
	mu       sync.Mutex // held while (re)establishing
	clientID uint64
	seqID    uint32
	sess     atomic.Pointer[session]
	lease    time.Duration
}

func newClientState() *clientState {
	cs := &clientState{}
	_, _ = rand.Read(cs.verifier[:])
	host, _ := os.Hostname()
	var id [8]byte
	_, _ = rand.Read(id[:])
	// One client per process and destination: two dagnfs runs on one host
	// must not share (and so cancel) each other's state.
	cs.owner = fmt.Appendf(nil, "dagnfs/%.200s/%d/%x", host, os.Getpid(), id)
	return cs
}

// session returns the current session, establishing one (and a client ID)
// on c when there is none.
func (r *Remote4) session(ctx context.Context, c *conn) (*session, error) {
	if s := r.cs.sess.Load(); s != nil && !s.dead.Load() {
		return s, nil
	}
	r.cs.mu.Lock()
	defer r.cs.mu.Unlock()
	if s := r.cs.sess.Load(); s != nil && !s.dead.Load() {
		return s, nil
	}
	s, err := r.createSession(ctx, c)
	var oe *opError
	if errors.As(err, &oe) && (oe.Status == Status4StaleClientID || oe.Status == 10017 /* CLID_INUSE */) || r.cs.clientID == 0 && err == nil {
		if err = r.exchangeID(ctx, c); err == nil {
			s, err = r.createSession(ctx, c)
		}
	}
	if err != nil {
		return nil, err
	}
	r.cs.sess.Store(s)
	// Nothing to reclaim: dagnfs holds no state across sessions.
	rep, err := r.callOn(ctx, c, s, func(cmp *compound) { cmp.op(opReclaimComplete).bool(false) })
	if err == nil {
		err = rep.next(opReclaimComplete)
		if oe := (*opError)(nil); errors.As(err, &oe) && oe.Status == Status4CompleteAlready {
			err = nil
		} else if err == nil {
			err = rep.done()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("starting the NFSv4.1 session: %w", err)
	}
	return s, nil
}

// exchangeID asks the server for a client ID (EXCHANGE_ID).
func (r *Remote4) exchangeID(ctx context.Context, c *conn) error {
	var cmp compound
	e := cmp.op(opExchangeID)
	e.fixed(r.cs.verifier[:])
	e.opaque(r.cs.owner)
	e.u32(0) // flags: the server decides (no pNFS asked)
	e.u32(0) // SP4_NONE
	e.u32(0) // no implementation id
	rep, err := r.send(ctx, c, &cmp)
	if err != nil {
		return err
	}
	if err := rep.next(opExchangeID); err != nil {
		return err
	}
	d := rep.d
	clientID, seq := d.u64(), d.u32()
	d.u32() // flags
	if how := d.u32(); how != 0 && d.err == nil {
		return fmt.Errorf("%w: EXCHANGE_ID: state protection %d, none was asked", ErrMalformed, how)
	}
	d.u64()                  // server owner minor id
	d.opaque(maxV4Opaque)    // server owner major id
	d.opaque(maxV4Opaque)    // server scope
	if n := d.u32(); n > 1 { // implementation id<1>
		d.fail("%d implementation ids", n)
	} else if n == 1 {
		d.opaque(maxV4Opaque)
		d.opaque(maxV4Opaque)
		d.u64()
		d.u32()
	}
	if err := rep.done(); err != nil {
		return err
	}
	r.cs.clientID, r.cs.seqID = clientID, seq
	return nil
}

// createSession makes a session for the client ID (CREATE_SESSION): its
// fore channel's slots and sizes as the server grants them.
func (r *Remote4) createSession(ctx context.Context, c *conn) (*session, error) {
	if r.cs.clientID == 0 {
		return nil, nil // exchangeID first
	}
	var cmp compound
	e := cmp.op(opCreateSession)
	e.u64(r.cs.clientID)
	e.u32(r.cs.seqID)
	e.u32(0) // flags: not persistent, no back channel on this connection
	slots := uint32(min(wantSlots, 2*r.opts.Conns+2))
	channel := func(reqSize, rspSize, cached, ops, reqs uint32) {
		e.u32(0) // header pad
		e.u32(reqSize)
		e.u32(rspSize)
		e.u32(cached)
		e.u32(ops)
		e.u32(reqs)
		e.u32(0) // no RDMA
	}
	channel(wantReqSize, wantReqSize, 4<<10, wantOps, slots) // fore
	channel(4<<10, 4<<10, 0, 2, 1)                           // back (dagnfs takes no callbacks)
	e.u32(0x40000000)                                        // callback program
	e.u32(1)                                                 // one security flavor for callbacks:
	e.u32(0)                                                 // AUTH_NONE
	rep, err := r.send(ctx, c, &cmp)
	if err != nil {
		return nil, err
	}
	if err := rep.next(opCreateSession); err != nil {
		return nil, err
	}
	d := rep.d
	s := &session{}
	copy(s.id[:], d.fixed(sessionIDSize))
	d.u32() // sequence id
	d.u32() // flags
	readChannel := func() (reqSize, rspSize, ops, reqs uint32) {
		d.u32()
		reqSize, rspSize = d.u32(), d.u32()
		d.u32()
		ops, reqs = d.u32(), d.u32()
		if n := d.u32(); n > 1 {
			d.fail("%d RDMA limits", n)
		} else if n == 1 {
			d.u32()
		}
		return
	}
	s.maxReq, s.maxRsp, s.maxOps, slots = readChannel()
	readChannel() // back
	if err := rep.done(); err != nil {
		return nil, err
	}
	if slots == 0 || slots > maxSlots || s.maxOps < 4 || s.maxReq < 4<<10 || s.maxRsp < 4<<10 {
		return nil, fmt.Errorf("%w: CREATE_SESSION granted %d slots, %d operations, %d/%d bytes", ErrMalformed, slots, s.maxOps, s.maxReq, s.maxRsp)
	}
	r.cs.seqID++
	s.free = make(chan uint32, slots)
	s.seq = make([]uint32, slots)
	for i := range slots {
		s.free <- i
		s.seq[i] = 1
	}
	return s, nil
}

// send sends a compound without SEQUENCE (EXCHANGE_ID, CREATE_SESSION)
// and returns its reply.
func (r *Remote4) send(ctx context.Context, c *conn, cmp *compound) (*v4Reply, error) {
	head, tail := cmp.encode()
	d, err := c.callDataTail(ctx, progNFS, versNFS4, procCompound, rawArgs(head), cmp.data, tail)
	if err != nil {
		return nil, err
	}
	return newV4Reply(d, cmp.ops)
}

// call runs a compound that build fills, in the session, on c: it takes a
// slot, puts SEQUENCE first, and returns the reply positioned after
// SEQUENCE's result.
func (r *Remote4) call(ctx context.Context, c *conn, build func(*compound)) (*v4Reply, error) {
	s, err := r.session(ctx, c)
	if err != nil {
		return nil, err
	}
	return r.callOn(ctx, c, s, build)
}

func (r *Remote4) callOn(ctx context.Context, c *conn, s *session, build func(*compound)) (*v4Reply, error) {
	var slot uint32
	select {
	case slot = <-s.free:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	cmp := &compound{}
	e := cmp.op(opSequence)
	e.fixed(s.id[:])
	e.u32(s.seq[slot])
	e.u32(slot)
	e.u32(uint32(cap(s.free)) - 1)
	e.bool(false) // the reply need not be cached: dagnfs checks what a lost reply did
	build(cmp)
	if uint32(len(cmp.ops)) > s.maxOps {
		s.free <- slot
		return nil, fmt.Errorf("a compound of %d operations; the session allows %d", len(cmp.ops), s.maxOps) // a bug
	}
	head, tail := cmp.encode()
	d, err := c.callDataTail(ctx, progNFS, versNFS4, procCompound, rawArgs(head), cmp.data, tail)
	r.lastCall.Store(time.Now().UnixNano())
	if err != nil {
		// Whether the server ran it is unknown: the slot's next request
		// reuses the sequence ID, which the server either runs (it never
		// saw this one) or answers RETRY_UNCACHED_REP (it did).
		s.free <- slot
		return nil, err
	}
	rep, err := newV4Reply(d, cmp.ops)
	if err == nil {
		err = rep.next(opSequence)
	}
	// A compound the session could not run as sent (the session lost, a
	// slot out of step, the server busy) is a TransportError: rpcPool.do
	// runs it again, on a fresh session where needed.
	var oe *opError
	switch {
	case errors.As(err, &oe) && oe.Op == opSequence:
		switch oe.Status {
		case Status4RetryUncached:
			s.seq[slot]++ // the request this slot sent before did run
			s.free <- slot
			return nil, &TransportError{c.addr, err}
		case Status4BadSession, Status4DeadSession, Status4BadSlot, Status4SeqMisordered, Status4StaleClientID:
			s.dead.Store(true)
			r.cs.sess.CompareAndSwap(s, nil)
			return nil, &TransportError{c.addr, err}
		case Status4Delay:
			s.free <- slot
			return nil, &TransportError{c.addr, err}
		}
		s.free <- slot
		return nil, err
	case err != nil:
		s.free <- slot
		c.close() // a reply that does not decode: the connection is suspect
		return nil, &TransportError{c.addr, err}
	}
	d = rep.d
	var id [sessionIDSize]byte
	copy(id[:], d.fixed(sessionIDSize))
	seq, gotSlot := d.u32(), d.u32()
	d.u32() // highest slot
	d.u32() // target highest slot
	d.u32() // status flags
	if d.err == nil && (id != s.id || seq != s.seq[slot] || gotSlot != slot) {
		d.fail("SEQUENCE answered for another session, slot or sequence ID")
	}
	if d.err != nil {
		s.free <- slot
		c.close()
		return nil, &TransportError{c.addr, d.err}
	}
	s.seq[slot]++
	s.free <- slot
	return rep, nil
}

// renew keeps the lease while nothing else is sent: any SEQUENCE renews it.
func (r *Remote4) renew(stop <-chan struct{}) {
	for {
		every := r.cs.lease / 3
		if every < time.Second {
			every = time.Second
		}
		select {
		case <-stop:
			return
		case <-time.After(every):
		}
		if time.Since(time.Unix(0, r.lastCall.Load())) < every {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), r.opts.Timeout)
		_ = r.do(ctx, func(c *conn, _ int) error {
			rep, err := r.call(ctx, c, func(*compound) {})
			if err == nil {
				err = rep.done()
			}
			return err
		})
		cancel()
	}
}

// endSession destroys the session and the client ID, best effort.
func (r *Remote4) endSession() {
	s := r.cs.sess.Load()
	if s == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), min(r.opts.Timeout, 2*time.Second))
	defer cancel()
	c, err := r.get(ctx)
	if err != nil {
		return
	}
	defer r.put(c)
	var cmp compound
	cmp.op(opDestroySession).fixed(s.id[:])
	if _, err := r.send(ctx, c, &cmp); err != nil {
		return
	}
	cmp = compound{}
	cmp.op(opDestroyClientID).u64(r.cs.clientID)
	_, _ = r.send(ctx, c, &cmp)
}
