package publish

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"syscall"

	"github.com/dagnfs/dagnfs/layout"
	"github.com/dagnfs/dagnfs/nfs"
)

// Plan is what a publish will do.
type Plan struct {
	Generation int
	Upload     []SourceFile // new or changed
	New        int          // of Upload, how many are new
	Unchanged  int
	Delete     []layout.Entry // managed files gone from the source, content unchanged
	NotDeleted []string       // managed files gone from the source but changed on the export
	Orphaned   []string       // managed files gone from the source, left without --delete
	Unmanaged  []string       // files on the export dagnfs never published (listed with --delete)
	Bytes      int64
}

func makePlan(ctx context.Context, d nfs.Dest, mode func(rel string) fs.FileMode, del Deletes, files []SourceFile, prev *layout.Manifest) (*Plan, error) {
	p := &Plan{Generation: prev.Generation + 1}
	old := prev.Index()
	inSource := make(map[string]bool, len(files))
	for _, f := range files {
		inSource[f.Rel] = true
		e, ok := old[f.Rel]
		if ok && e.SHA256 == f.Sum && e.Size == f.Size && fs.FileMode(e.Mode) == mode(f.Rel) {
			p.Unchanged++
			continue
		}
		if !ok {
			p.New++
		}
		p.Upload = append(p.Upload, f)
		p.Bytes += f.Size
	}
	for _, e := range prev.Files {
		if inSource[e.Path] {
			continue
		}
		if !del.Enabled {
			p.Orphaned = append(p.Orphaned, e.Path)
			continue
		}
		same, err := matches(ctx, d, e)
		if err != nil {
			return nil, err
		}
		if same {
			p.Delete = append(p.Delete, e)
		} else {
			p.NotDeleted = append(p.NotDeleted, e.Path)
		}
	}
	if del.Enabled {
		managed := prev.Index()
		for _, f := range files {
			managed[f.Rel] = layout.Entry{}
		}
		var err error
		if p.Unmanaged, err = unmanaged(ctx, d, "", managed); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// matches reports whether the export still holds e's content at e.Path, as
// a regular file reached without passing through a symlink. It streams.
func matches(ctx context.Context, d nfs.Dest, e layout.Entry) (bool, error) {
	fi, err := d.Stat(ctx, e.Path)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, nfs.ErrSymlink) || errors.Is(err, syscall.ENOTDIR) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !fi.IsRegular() || fi.Size != e.Size {
		return false, nil
	}
	sum, _, err := nfs.Sum(ctx, d, e.Path, e.Size)
	if errors.Is(err, nfs.ErrTooLarge) || errors.Is(err, nfs.ErrNotRegular) || errors.Is(err, fs.ErrNotExist) {
		return false, nil // changed under us: not ours to delete
	}
	if err != nil {
		return false, err
	}
	return sum == e.SHA256, nil
}

// unmanaged lists the files under dir that are not in managed.
func unmanaged(ctx context.Context, d nfs.Dest, dir string, managed map[string]layout.Entry) ([]string, error) {
	entries, err := d.ReadDir(ctx, dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		p := path.Join(dir, e.Name)
		if p == layout.Dir {
			continue
		}
		if e.IsDir() {
			sub, err := unmanaged(ctx, d, p, managed)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
			continue
		}
		if _, ok := managed[p]; !ok {
			out = append(out, p)
		}
	}
	return out, nil
}
