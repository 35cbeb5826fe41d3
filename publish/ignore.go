package publish

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"

	"github.com/dagnfs/dagnfs/layout"
	"github.com/dagnfs/dagnfs/nfs"
)

// Airflow's scan of the export root must never enter .dagnfs: a pod that
// runs as the files' owner could list what dagnfs keeps there, and in the
// generations layout it would reach each generation twice (through
// current and below .dagnfs), which stops Airflow's whole scan with
// "Detected recursive loop". So the export root always holds an
// .airflowignore with dagnfs's two lines (layout.IgnoreBlock), one for each
// of Airflow's ignore syntaxes:
//
//   - in place, the root is the dags folder and its .airflowignore is the
//     user's: dagnfs publishes the source's file with its lines added at
//     the end (or its lines alone when the source has none), like any
//     other file, so the manifest records what is on the export;
//   - in the generations layout, the root holds nothing of the user's (the
//     user's .airflowignore is inside the generation): dagnfs writes its
//     own file there on every publish and rollback, and repairs it. A file
//     someone else put there is never replaced; a warning says what to add.

// withIgnoreBlock returns files, for the in-place layout, with the root
// .airflowignore carrying dagnfs's lines: the source's file with them
// added, or a file of its own where the source has none.
func withIgnoreBlock(files []SourceFile) ([]SourceFile, error) {
	i := slices.IndexFunc(files, func(f SourceFile) bool { return f.Rel == layout.IgnoreFile })
	var user []byte
	if i >= 0 {
		if files[i].Size > layout.MaxIgnoreFile {
			return nil, &RefusedError{Reason: fmt.Sprintf("%s in the source is %d bytes, more than the %d an ignore file may have", layout.IgnoreFile, files[i].Size, layout.MaxIgnoreFile)}
		}
		r, err := files[i].Open(context.Background())
		if err != nil {
			return nil, err
		}
		user, err = io.ReadAll(io.LimitReader(r, layout.MaxIgnoreFile+1))
		r.Close()
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", files[i].Abs, err)
		}
	}
	merged := layout.WithIgnoreBlock(user)
	if i >= 0 && bytes.Equal(merged, user) {
		return files, nil
	}
	sum := sha256.Sum256(merged)
	f := SourceFile{Rel: layout.IgnoreFile, Size: int64(len(merged)), Sum: hex.EncodeToString(sum[:]),
		open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(merged)), nil }}
	out := slices.Clone(files)
	if i >= 0 {
		f.Abs = files[i].Abs
		out[i] = f
		return out, nil
	}
	f.Abs = layout.IgnoreFile + " (written by dagnfs)"
	j, _ := slices.BinarySearchFunc(out, f.Rel, func(a SourceFile, rel string) int { return strings.Compare(a.Rel, rel) })
	return slices.Insert(out, j, f), nil
}

// ensureRootIgnore makes the generations layout's export root hold
// dagnfs's .airflowignore, writing it under the temporary name tmp. ours
// says that the file there is dagnfs's to replace whatever it holds (an
// in-place manifest listed it: the export is moving to generations). It
// returns a warning for a file of someone else's that lacks dagnfs's lines.
func ensureRootIgnore(ctx context.Context, d nfs.Dest, tmp string, attr nfs.Attr, ours bool) (string, error) {
	b, err := d.ReadFile(ctx, layout.IgnoreFile, layout.MaxIgnoreFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil && !errors.Is(err, nfs.ErrTooLarge):
		return "", fmt.Errorf("reading %s/%s: %w", d, layout.IgnoreFile, err)
	case err == nil && layout.IsIgnoreFileOurs(b):
		return "", nil
	case ours:
	case err == nil && layout.PrunesMeta(b):
		return "", nil
	default:
		return fmt.Sprintf("%s/%s is not dagnfs's, so it stays as it is, but it lacks the two lines that keep Airflow's scan of the export root out of %s: add the two lines %s and %s to it, each on a line of its own (or remove it and publish again)",
			d, layout.IgnoreFile, layout.Dir, layout.IgnoreRegexp, layout.IgnoreGlob), nil
	}
	return "", nfs.WriteFile(ctx, d, tmp, layout.IgnoreFile, []byte(layout.IgnoreBlock), attr)
}

// publishedInPlace reports whether m, an in-place manifest, lists the
// root's .airflowignore: dagnfs published it there.
func publishedInPlace(m *layout.Manifest) bool {
	return !m.InGenerations() && slices.ContainsFunc(m.Files, isRootIgnore)
}

func isRootIgnore(e layout.Entry) bool { return e.Path == layout.IgnoreFile }

// listGenerations lists layout.GenerationsDir, which nobody may list, its
// owner included: where this identity is refused, the folder is made
// listable for the moment of the listing (under the lock; the root's
// .airflowignore keeps Airflow out meanwhile) and closed again.
func listGenerations(ctx context.Context, d nfs.Dest) ([]nfs.FileInfo, error) {
	entries, err := d.ReadDir(ctx, layout.GenerationsDir)
	if err == nil || !errors.Is(err, fs.ErrPermission) {
		return entries, err
	}
	closed := nfs.Attr{Mode: layout.GenerationsMode.Perm(), UID: -1, GID: -1}
	open := closed
	open.Mode |= 0o400
	if _, err := d.SetAttr(ctx, layout.GenerationsDir, open); err != nil {
		return nil, err
	}
	entries, err = d.ReadDir(ctx, layout.GenerationsDir)
	cctx, done := nfs.CleanupContext(ctx)
	defer done()
	if _, cerr := d.SetAttr(cctx, layout.GenerationsDir, closed); cerr != nil {
		err = errors.Join(err, fmt.Errorf("closing %s again (mode %04o): %w", layout.GenerationsDir, closed.Mode, cerr))
	}
	return entries, err
}
