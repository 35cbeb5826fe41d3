package publish

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/dagnfs/dagnfs/layout"
	"github.com/dagnfs/dagnfs/nfs"
)

// Repair is a managed file that someone else changed, replaced, removed or
// re-permissioned on the export, and what differed.
type Repair struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
	// blocked: someone else's folder stands there; dagnfs never removes
	// what it did not publish, so the file cannot be put back.
	blocked bool
}

// DriftError: managed files differ from what dagnfs published, and the
// publish was told not to repair them (--no-repair), or could not (a
// folder someone made stands where a file was).
type DriftError struct {
	Files []Repair
	// Snapshot, in the manifest-bundle layout, is the version whose
	// immutable snapshot someone changed (the new version holds the
	// source's content all the same).
	Snapshot string
}

func (e *DriftError) Error() string {
	var b strings.Builder
	if e.Snapshot != "" {
		fmt.Fprintf(&b, "%d files of snapshot %s were changed on the export, and snapshots are immutable: ", len(e.Files), e.Snapshot)
	} else {
		fmt.Fprintf(&b, "%d published files were changed on the export by someone else and were not repaired: ", len(e.Files))
	}
	for i, r := range e.Files {
		if i == 5 {
			fmt.Fprintf(&b, ", ... (%d more)", len(e.Files)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s (%s)", r.Path, r.Reason)
	}
	if e.Snapshot != "" {
		b.WriteString("; the new version holds the source's content, but a DAG run pinned to the changed version reads the changed files (dagnfs verify names them)")
		return b.String()
	}
	b.WriteString("; publish without --no-repair to restore them (a folder in the way must be moved aside first)")
	return b.String()
}

// listFiles lists every file below the root of d with its attributes, one
// READDIRPLUS per folder, up to concurrency folders at once: the cost grows
// with folders, not files. The export's own folders are left out.
func listFiles(ctx context.Context, d nfs.Dest, concurrency int) (map[string]nfs.FileInfo, error) {
	var mu sync.Mutex
	out := map[string]nfs.FileInfo{}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, concurrency))
	var walk func(dir string) error
	walk = func(dir string) error {
		entries, err := d.ReadDir(gctx, dir)
		if err != nil {
			return err
		}
		var sub []string
		mu.Lock()
		for _, e := range entries {
			p := path.Join(dir, e.Name)
			switch {
			case dir == "" && (e.Name == layout.Dir || e.Name == layout.Current):
			case e.IsDir():
				out[p] = e // a folder where a managed file was is drift too
				sub = append(sub, p)
			default:
				out[p] = e
			}
		}
		mu.Unlock()
		for _, p := range sub {
			// Another worker where one is free, this one otherwise: a
			// walk never waits for a worker while holding one.
			if !g.TryGo(func() error { return walk(p) }) {
				if err := walk(p); err != nil {
					return err
				}
			}
		}
		return nil
	}
	g.Go(func() error { return walk("") })
	return out, g.Wait()
}

// findDrift compares the export (d: the export root, or the current
// generation's folder) with the manifest prev: every managed file that is
// no longer what dagnfs published, and what differs.
func findDrift(ctx context.Context, d nfs.Dest, prev *layout.Manifest, own Owner, chown bool, concurrency int) ([]Repair, error) {
	if prev.Generation == 0 || len(prev.Files) == 0 {
		return nil, nil
	}
	on, err := listFiles(ctx, d, concurrency)
	if errors.Is(err, fs.ErrNotExist) && prev.InGenerations() {
		return nil, fmt.Errorf("the folder of the current generation, %s, is missing; see dagnfs status", prev.Root())
	}
	if err != nil {
		return nil, err
	}
	var out []Repair
	for _, e := range prev.Files {
		fi, ok := on[e.Path]
		if why := driftOf(e, fi, ok, own, chown); why != "" {
			if fi.IsDir() {
				why += ": dagnfs does not remove what it did not publish; move it aside"
			}
			out = append(out, Repair{Path: e.Path, Reason: why, blocked: ok && fi.IsDir()})
		}
	}
	return out, nil
}

// driftOf says how the file found on the export (ok false: none) differs
// from entry e, or "" when it does not.
func driftOf(e layout.Entry, fi nfs.FileInfo, ok bool, own Owner, chown bool) string {
	switch {
	case !ok:
		return "removed"
	case !fi.IsRegular():
		return "replaced by a " + kindOf(fi)
	case e.FileID != 0 && fi.FileID != 0 && fi.FileID != e.FileID:
		return "replaced by another file"
	case fi.Size != e.Size:
		return fmt.Sprintf("content changed: %d bytes, %d published", fi.Size, e.Size)
	case !e.ModTime.IsZero() && !fi.ModTime.Equal(e.ModTime):
		return fmt.Sprintf("content changed: modified %s, published %s", fi.ModTime.UTC().Format("2006-01-02 15:04:05.000"), e.ModTime.UTC().Format("2006-01-02 15:04:05.000"))
	case fi.Mode.Perm() != fs.FileMode(e.Mode).Perm():
		return fmt.Sprintf("mode %04o, %04o published", fi.Mode.Perm(), fs.FileMode(e.Mode).Perm())
	case e.Owner != "" && ownerOf(fi) != e.Owner:
		return fmt.Sprintf("owner %s, %s published", ownerOf(fi), e.Owner)
	case e.Owner == "" && chown && (own.UID >= 0 && fi.UID != uint32(own.UID) || own.GID >= 0 && fi.GID != uint32(own.GID)):
		return fmt.Sprintf("owner %d:%d, %d:%d published", fi.UID, fi.GID, own.UID, own.GID)
	}
	return ""
}

// ownerOf is a file's owner as the manifest records it.
func ownerOf(fi nfs.FileInfo) string { return layout.OwnerString(fi.UID, fi.GID) }

// repair puts the drifted files that the source still holds unchanged into
// the upload (they are uploaded again, as any change is), unless told only
// to report them. It returns the repairs planned and those left.
func (p *Plan) repair(drift []Repair, files []SourceFile, report bool) (planned, left []Repair) {
	if len(drift) == 0 {
		return nil, nil
	}
	uploading := map[string]bool{}
	for _, f := range p.Upload {
		uploading[f.Rel] = true
	}
	src := map[string]SourceFile{}
	for _, f := range files {
		src[f.Rel] = f
	}
	for _, r := range drift {
		f, inSource := src[r.Path]
		switch {
		case uploading[r.Path]:
			// changed in the source too: uploaded anyway
		case !inSource:
			// gone from the source: the delete logic decides (a changed
			// file is never deleted)
		case report || r.blocked:
			left = append(left, r)
		default:
			p.Upload = append(p.Upload, f)
			p.Unchanged--
			p.Bytes += f.Size
			planned = append(planned, r)
		}
	}
	return planned, left
}
