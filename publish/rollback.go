package publish

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Rollback restores an earlier generation as a new one, with the same
// protocol and lock as a publish (like a revert): the kept generation's
// files are fetched from the export (unchanged files from their place,
// replaced ones from .dagnfs/objects), checked against their sha256, and
// published with --delete semantics, so that files later generations added
// are removed if nobody changed them. to=0 means the generation before the
// current one. o.Source is ignored.
func Rollback(ctx context.Context, o Options, to int) (*Result, error) {
	d := o.Dest
	cur, err := ReadManifest(ctx, d, ManifestPath)
	if err != nil {
		return &Result{Dest: d.String()}, err
	}
	if cur.Generation == 0 {
		return &Result{Dest: d.String()}, &RefusedError{Reason: fmt.Sprintf("%s has no published generation to roll back", d)}
	}
	hist, err := ReadHistory(ctx, d)
	if err != nil {
		return &Result{Dest: d.String()}, err
	}
	if to == 0 {
		to = cur.Generation - 1
	}
	var target *Manifest
	var kept []string
	for _, m := range hist {
		kept = append(kept, strconv.Itoa(m.Generation))
		if m.Generation == to {
			target = m
		}
	}
	if to == cur.Generation {
		return &Result{Dest: d.String()}, &RefusedError{Reason: fmt.Sprintf("generation %d is the current one", to)}
	}
	if target == nil {
		return &Result{Dest: d.String()}, &RefusedError{Reason: fmt.Sprintf("generation %d is not kept on %s (kept: %s); see dagnfs history", to, d, strings.Join(kept, ", "))}
	}

	dir, err := os.MkdirTemp("", "dagnfs-rollback-")
	if err != nil {
		return &Result{Dest: d.String()}, err
	}
	defer os.RemoveAll(dir)
	live := cur.index()
	for _, e := range target.Files {
		b, err := fetch(ctx, o, live, e)
		if err != nil {
			return &Result{Dest: d.String()}, &RefusedError{Reason: fmt.Sprintf("generation %d cannot be restored: %v", to, err)}
		}
		p := filepath.Join(dir, filepath.FromSlash(e.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return &Result{Dest: d.String()}, err
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return &Result{Dest: d.String()}, err
		}
	}
	o.Source, o.Delete, o.MaxDelete, o.AllowEmpty, o.Action = dir, true, -1, true, "rollback"
	label := fmt.Sprintf("rollback to generation %d", to)
	if target.Label != "" {
		label += " (" + target.Label + ")"
	}
	o.Label = label
	return Publish(ctx, o)
}

// fetch reads the bytes of a kept file: from its place if the current
// generation still has them there, else from .dagnfs/objects.
func fetch(ctx context.Context, o Options, live map[string]Entry, e Entry) ([]byte, error) {
	try := []string{objectName(e.SHA256)}
	if cur, ok := live[e.Path]; ok && cur.SHA256 == e.SHA256 {
		try = []string{e.Path, objectName(e.SHA256)}
	}
	var last error
	for _, name := range try {
		b, err := o.Dest.ReadFile(ctx, name, max(e.Size, 1))
		if err != nil {
			last = err
			continue
		}
		sum := sha256.Sum256(b)
		if hex.EncodeToString(sum[:]) == e.SHA256 {
			return b, nil
		}
		last = fmt.Errorf("%s does not hold the bytes generation recorded for %s", name, e.Path)
	}
	if errors.Is(last, fs.ErrNotExist) {
		return nil, fmt.Errorf("the content of %s (sha256 %s) is no longer kept", e.Path, e.SHA256[:12])
	}
	return nil, last
}
