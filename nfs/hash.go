package nfs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"sync"
)

// Sum streams the regular file name through sha256 and returns the hex sum
// and the number of bytes read, reading at most max bytes (ErrTooLarge
// beyond). Memory does not grow with the file's size.
func Sum(ctx context.Context, d Dest, name string, max int64) (string, int64, error) {
	f, err := d.Open(ctx, name)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := Stream(h, io.LimitReader(f, max+1))
	if err != nil {
		return "", n, pathErr("read", name, err)
	}
	if n > max {
		return "", n, pathErr("read", name, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max))
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// Copy copies the regular file from onto to (which must not exist) with the
// whole write protocol, staging it as tmp, and checks that the bytes copied
// have the sha256 want (hex; "" checks nothing). It streams.
func Copy(ctx context.Context, d Dest, from, tmp, to string, attr Attr, want string) error {
	f, err := d.Open(ctx, from)
	if err != nil {
		return err
	}
	defer f.Close()
	p, err := NewPending(ctx, d, tmp, to, attr)
	if err != nil {
		return err
	}
	defer p.Cleanup(ctx)
	if _, err := Stream(p, f); err != nil {
		return pathErr("copy", from, err)
	}
	if want != "" && p.Sum() != want {
		return pathErr("copy", from, fmt.Errorf("content changed: sha256 %s, not %s", p.Sum(), want))
	}
	if err := p.Seal(ctx); err != nil {
		return err
	}
	return p.Commit(ctx)
}

// bufSize is the buffer of a streamed copy: one READ of the largest size a
// server may offer (clampIO), so that a copy over NFS costs one call per MiB.
const bufSize = 1 << 20

var bufs = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}

// Stream is io.Copy through a pooled 1 MiB buffer: over NFS, one READ or
// WRITE per MiB instead of one per 32 KiB.
func Stream(dst io.Writer, src io.Reader) (int64, error) {
	b := bufs.Get().(*[]byte)
	defer bufs.Put(b)
	return io.CopyBuffer(dst, src, *b)
}
