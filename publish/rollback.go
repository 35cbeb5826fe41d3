package publish

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dagnfs/dagnfs/layout"
	"github.com/dagnfs/dagnfs/nfs"
)

// Rollback restores an earlier generation as a new one, with the same
// protocol and lock as a publish (like a revert): the kept generation's
// files are fetched from the export (unchanged files from their place,
// replaced ones from .dagnfs/objects), checked against their sha256, and
// published with --delete semantics, so that files later generations added
// are removed if nobody changed them. to=0 means the generation before the
// current one. o.Source.Dir is ignored.
func Rollback(ctx context.Context, o Options, to int) (*Result, error) {
	d := o.Dest
	cur, err := readManifest(ctx, d)
	if err != nil {
		return NewResult(d.String()), err
	}
	if cur.Generation == 0 {
		return NewResult(d.String()), &RefusedError{Reason: fmt.Sprintf("%s has no published generation to roll back", d)}
	}
	hist, err := layout.ReadHistory(ctx, d, cur.Generation)
	if err != nil {
		return NewResult(d.String()), err
	}
	if to == 0 {
		to = cur.Generation - 1
	}
	var target *layout.Manifest
	var kept []string
	for _, m := range hist {
		kept = append(kept, strconv.Itoa(m.Generation))
		if m.Generation == to {
			target = m
		}
	}
	if to == cur.Generation {
		return NewResult(d.String()), &RefusedError{Reason: fmt.Sprintf("generation %d is the current one", to)}
	}
	if target == nil {
		return NewResult(d.String()), &RefusedError{Reason: fmt.Sprintf("generation %d is not kept on %s (kept: %s); see dagnfs history", to, d, strings.Join(kept, ", "))}
	}

	dir, err := os.MkdirTemp("", "dagnfs-rollback-")
	if err != nil {
		return NewResult(d.String()), err
	}
	defer os.RemoveAll(dir)
	live := cur.Index()
	for _, e := range target.Files {
		p := filepath.Join(dir, filepath.FromSlash(e.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return NewResult(d.String()), err
		}
		if err := fetch(ctx, d, live, e, p); err != nil {
			if ctx.Err() != nil {
				return NewResult(d.String()), ctx.Err()
			}
			return NewResult(d.String()), &RefusedError{Reason: fmt.Sprintf("generation %d cannot be restored: %v", to, err), Err: err}
		}
	}
	o.Source.Dir, o.Source.AllowEmpty, o.Action = dir, true, "rollback"
	o.Delete.Enabled, o.Delete.Max = true, -1
	label := fmt.Sprintf("rollback to generation %d", to)
	if target.Label != "" {
		label += " (" + target.Label + ")"
	}
	o.Label = label
	return Publish(ctx, o)
}

// fetch copies a kept file into the local file dst, streaming: from its
// place if the current generation still has it there, else from
// .dagnfs/objects. The bytes must have the recorded sha256.
func fetch(ctx context.Context, d nfs.Dest, live map[string]layout.Entry, e layout.Entry, dst string) error {
	try := []string{layout.ObjectName(e.SHA256)}
	if cur, ok := live[e.Path]; ok && cur.SHA256 == e.SHA256 {
		try = []string{e.Path, layout.ObjectName(e.SHA256)}
	}
	var last error
	for _, name := range try {
		sum, err := copyOut(ctx, d, name, dst, e.Size)
		if err != nil {
			last = err
			continue
		}
		if sum == e.SHA256 {
			return nil
		}
		last = fmt.Errorf("%s does not hold the bytes recorded for %s", name, e.Path)
	}
	if errors.Is(last, fs.ErrNotExist) {
		return fmt.Errorf("the content of %s (sha256 %s) is no longer kept: %w", e.Path, e.SHA256[:12], last)
	}
	return last
}

// copyOut streams name (at most max bytes) into the local file dst and
// returns the sha256 of what it copied.
func copyOut(ctx context.Context, d nfs.Dest, name, dst string, max int64) (string, error) {
	f, err := d.Open(ctx, name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	out, err := os.Create(dst)
	if err != nil {
		return "", err
	}
	defer out.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), io.LimitReader(f, max+1))
	if err != nil {
		return "", err
	}
	if n > max {
		return "", fmt.Errorf("%s holds more than the %d bytes recorded", name, max)
	}
	return hex.EncodeToString(h.Sum(nil)), out.Close()
}
