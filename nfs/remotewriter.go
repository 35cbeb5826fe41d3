package nfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"sync"
	"syscall"

	gonfs "github.com/vmware/go-nfs-client/nfs"
)

// remoteWriter buffers up to one WRITE's worth: a file that fits is sent
// with one FILE_SYNC WRITE and needs no COMMIT. Larger files go as UNSTABLE
// WRITEs and a COMMIT, comparing the server's write verifiers so that a
// restart between them is an error, not data loss.
//
// A file larger than one WRITE has up to writesInFlight UNSTABLE WRITEs in
// flight at once, each on a connection of its own (as a kernel client
// keeps several): memory stays at writesInFlight+1 buffers whatever the
// file's size, and a large file goes at the speed of the link rather than
// of one round trip per WRITE.
type remoteWriter struct {
	r    *Remote
	ctx  context.Context
	fh   []byte
	name string
	buf  []byte
	off  uint64

	mu      sync.Mutex // the fields below, which WRITEs in flight update
	verf    [8]byte
	hasVerf bool
	lost    bool
	attr    *gonfs.Fattr // from the last reply that carried attributes
	err     error        // the first failed WRITE in flight

	inflight sync.WaitGroup
	slots    chan struct{}
	spare    chan []byte
}

// writesInFlight bounds the UNSTABLE WRITEs of one file in flight.
const writesInFlight = 4

// ReadFrom reads r straight into the WRITE buffers (no copy through an
// intermediate buffer): a large file's bytes are copied once, from the
// kernel into the buffer a WRITE sends.
func (w *remoteWriter) ReadFrom(r io.Reader) (int64, error) {
	var total int64
	for {
		if len(w.buf) == int(w.r.wtmax) {
			if err := w.send(); err != nil {
				return total, err
			}
		}
		if cap(w.buf) < int(w.r.wtmax) {
			w.buf = append(w.r.writeBuf(), w.buf...)
		}
		n, err := r.Read(w.buf[len(w.buf):w.r.wtmax])
		w.buf = w.buf[:len(w.buf)+n]
		total += int64(n)
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

func (w *remoteWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		room := int(w.r.wtmax) - len(w.buf)
		if room == 0 {
			if err := w.send(); err != nil {
				return n - len(p), err
			}
			continue
		}
		take := min(room, len(p))
		w.buf = append(w.buf, p[:take]...)
		p = p[take:]
	}
	return n, nil
}

// send hands the full buffer to a WRITE in flight, waiting while
// writesInFlight are, and takes a fresh buffer.
func (w *remoteWriter) send() error {
	if w.slots == nil {
		w.slots = make(chan struct{}, writesInFlight)
		w.spare = make(chan []byte, writesInFlight+1)
	}
	select {
	case w.slots <- struct{}{}:
	case <-w.ctx.Done():
		return pathErr("write", w.name, w.ctx.Err())
	}
	if err := w.failed(); err != nil {
		<-w.slots
		return err
	}
	chunk, off := w.buf, w.off
	w.off += uint64(len(chunk))
	select {
	case b := <-w.spare:
		w.buf = b[:0]
	default:
		w.buf = w.r.writeBuf()
	}
	w.inflight.Add(1)
	go func() {
		defer w.inflight.Done()
		defer func() { <-w.slots }()
		if err := w.writeAll(w.ctx, chunk, off, unstable); err != nil {
			w.mu.Lock()
			if w.err == nil {
				w.err = err
			}
			w.mu.Unlock()
		}
		select {
		case w.spare <- chunk:
		default:
		}
	}()
	return nil
}

func (w *remoteWriter) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// writeAll sends b at off as one or more WRITEs (a server may accept fewer
// bytes than sent).
func (w *remoteWriter) writeAll(ctx context.Context, b []byte, off uint64, stable uint32) error {
	for len(b) > 0 {
		var res writeRes
		err := w.r.do(ctx, func(c *conn, _ int) error {
			var err error
			res, err = c.writeAt(ctx, w.fh, off, b, stable)
			return err
		})
		if err != nil {
			return pathErr("write", w.name, err)
		}
		if res.count == 0 {
			return pathErr("write", w.name, errors.New("the server accepted no bytes"))
		}
		if res.committed < stable {
			stable = unstable // the server chose less: COMMIT will be needed
		}
		w.mu.Lock()
		w.noteVerf(res.verf, res.committed)
		if res.after != nil {
			w.attr = res.after
		}
		w.mu.Unlock()
		off += uint64(res.count)
		b = b[res.count:]
	}
	return nil
}

// flush waits for the WRITEs in flight, then sends the buffer: FILE_SYNC
// (stable) when it is the whole file, so that a small file needs no
// COMMIT.
func (w *remoteWriter) flush(ctx context.Context, stable uint32) error {
	w.inflight.Wait()
	if err := w.failed(); err != nil {
		return err
	}
	if w.slots != nil {
		stable = unstable // WRITEs went UNSTABLE: one COMMIT covers all
	}
	if err := w.writeAll(ctx, w.buf, w.off, stable); err != nil {
		return err
	}
	w.off += uint64(len(w.buf))
	w.buf = w.buf[:0]
	return nil
}

func (w *remoteWriter) noteVerf(v [8]byte, committed uint32) {
	if committed == fileSync {
		return // on stable storage already; the verifier does not matter
	}
	if w.hasVerf && v != w.verf {
		w.lost = true
	}
	w.verf, w.hasVerf = v, true
}

// Commit implements Writer.
func (w *remoteWriter) Commit(ctx context.Context) (FileInfo, error) {
	if err := w.flush(ctx, fileSync); err != nil {
		return FileInfo{}, err
	}
	if w.hasVerf { // some data went UNSTABLE
		var res commitRes
		err := w.r.do(ctx, func(c *conn, _ int) error {
			var err error
			res, err = c.commit(ctx, w.fh)
			return err
		})
		if err != nil {
			return FileInfo{}, pathErr("commit", w.name, err)
		}
		w.noteVerf(res.verf, unstable)
		if res.after != nil {
			w.attr = res.after
		}
		if w.lost {
			return FileInfo{}, pathErr("commit", w.name, fmt.Errorf("the server restarted before the data reached stable storage: %w", syscall.EIO))
		}
	}
	if w.attr == nil {
		err := w.r.do(ctx, func(c *conn, _ int) error {
			var err error
			w.attr, err = c.getattr(ctx, w.fh)
			return err
		})
		if err != nil {
			return FileInfo{}, pathErr("getattr", w.name, err)
		}
	}
	return fattrInfo(path.Base(w.name), w.attr), nil
}

// SetAttr implements Writer.
func (w *remoteWriter) SetAttr(ctx context.Context, a Attr) (FileInfo, error) {
	err := w.r.do(ctx, func(c *conn, _ int) error {
		var err error
		w.attr, err = c.setattr(ctx, w.fh, a)
		return err
	})
	if err != nil {
		return FileInfo{}, pathErr("setattr", w.name, err)
	}
	return fattrInfo(path.Base(w.name), w.attr), nil
}

// Close waits for the WRITEs in flight; it does not imply Commit.
func (w *remoteWriter) Close() error {
	w.inflight.Wait()
	// No WRITE holds a buffer now: they go back to the pool.
	w.r.putWriteBuf(w.buf)
	w.buf = nil
	for w.spare != nil {
		select {
		case b := <-w.spare:
			w.r.putWriteBuf(b)
		default:
			return nil
		}
	}
	return nil
}

// writeBufs pools a destination's WRITE buffers: a publish of thousands
// of files allocates (and clears) a few, not one each. size is the
// destination's largest WRITE, known once it is dialled.
type writeBufs struct{ p sync.Pool }

// get returns an empty buffer of size bytes' capacity.
func (b *writeBufs) get(size uint32) []byte {
	if p, ok := b.p.Get().(*[]byte); ok && cap(*p) >= int(size) {
		return (*p)[:0]
	}
	return make([]byte, 0, size)
}

// put returns a buffer that get gave.
func (b *writeBufs) put(buf []byte, size uint32) {
	if cap(buf) >= int(size) {
		buf = buf[:0]
		b.p.Put(&buf)
	}
}

func (r *Remote) writeBuf() []byte { return r.wbufs.get(r.wtmax) }

func (r *Remote) putWriteBuf(b []byte) { r.wbufs.put(b, r.wtmax) }
