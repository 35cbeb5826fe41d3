package nfs

import (
	"context"
	"errors"
	"fmt"
	"path"
	"syscall"

	gonfs "github.com/vmware/go-nfs-client/nfs"
)

// remoteWriter buffers up to one WRITE's worth: a file that fits is sent
// with one FILE_SYNC WRITE and needs no COMMIT. Larger files go as UNSTABLE
// WRITEs and a COMMIT, comparing the server's write verifiers so that a
// restart between them is an error, not data loss.
type remoteWriter struct {
	r       *Remote
	ctx     context.Context
	fh      []byte
	name    string
	buf     []byte
	off     uint64
	verf    [8]byte
	hasVerf bool
	lost    bool
	attr    *gonfs.Fattr // from the last reply that carried attributes
}

func (w *remoteWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		room := int(w.r.wtmax) - len(w.buf)
		if room == 0 {
			if err := w.flush(w.ctx, unstable); err != nil {
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

// flush sends the buffer as one or more WRITEs.
func (w *remoteWriter) flush(ctx context.Context, stable uint32) error {
	for len(w.buf) > 0 {
		var res writeRes
		err := w.r.do(ctx, func(c *conn, _ int) error {
			var err error
			res, err = c.writeAt(ctx, w.fh, w.off, w.buf, stable)
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
		w.noteVerf(res.verf, res.committed)
		if res.after != nil {
			w.attr = res.after
		}
		w.off += uint64(res.count)
		w.buf = w.buf[res.count:]
	}
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

func (w *remoteWriter) Close() error { return nil }
