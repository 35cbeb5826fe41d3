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
			if err := w.flush(unstable); err != nil {
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
func (w *remoteWriter) flush(stable uint32) error {
	for len(w.buf) > 0 {
		var res writeRes
		err := w.r.do(w.ctx, func(c *conn, _ int) error {
			var err error
			res, err = c.writeAt(w.ctx, w.fh, w.off, w.buf, stable)
			return err
		})
		if err != nil {
			return pathErr("write", w.name, err)
		}
		if res.Count == 0 {
			return pathErr("write", w.name, errors.New("the server accepted no bytes"))
		}
		if res.Committed < stable {
			stable = unstable // the server chose less: COMMIT will be needed
		}
		w.noteVerf(res.Verf, res.Committed)
		if res.Wcc.After.IsSet {
			w.attr = &res.Wcc.After.Attr
		}
		w.off += uint64(res.Count)
		w.buf = w.buf[res.Count:]
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
func (w *remoteWriter) Commit() (FileInfo, error) {
	if err := w.flush(fileSync); err != nil {
		return FileInfo{}, err
	}
	if w.hasVerf { // some data went UNSTABLE
		var res commitRes
		err := w.r.do(w.ctx, func(c *conn, _ int) error {
			var err error
			res, err = c.commit(w.ctx, w.fh)
			return err
		})
		if err != nil {
			return FileInfo{}, pathErr("commit", w.name, err)
		}
		w.noteVerf(res.Verf, unstable)
		if res.Wcc.After.IsSet {
			w.attr = &res.Wcc.After.Attr
		}
		if w.lost {
			return FileInfo{}, pathErr("commit", w.name, fmt.Errorf("the server restarted before the data reached stable storage: %w", syscall.EIO))
		}
	}
	if w.attr == nil {
		err := w.r.do(w.ctx, func(c *conn, _ int) error {
			var err error
			w.attr, err = c.getattr(w.ctx, w.fh)
			return err
		})
		if err != nil {
			return FileInfo{}, pathErr("getattr", w.name, err)
		}
	}
	return fattrInfo(path.Base(w.name), w.attr), nil
}

// SetAttr implements Writer.
func (w *remoteWriter) SetAttr(a Attr) (FileInfo, error) {
	err := w.r.do(w.ctx, func(c *conn, _ int) error {
		var err error
		w.attr, err = c.setattr(w.ctx, w.fh, a)
		return err
	})
	if err != nil {
		return FileInfo{}, pathErr("setattr", w.name, err)
	}
	return fattrInfo(path.Base(w.name), w.attr), nil
}

func (w *remoteWriter) Close() error { return nil }
