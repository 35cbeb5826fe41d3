package nfs

import (
	"context"
	"errors"
	"io/fs"
	"path"

	"github.com/dagnfs/dagnfs/perms"
)

// Sub is the folder dir of d seen as a destination of its own: every name
// given to it is below dir ("" is dir itself). dagnfs uses it for a
// generation's folder (layout.GenerationName), which Airflow sees as its
// dags folder through the current symlink. Sub forwards what d offers
// beyond Dest (Flush, Calls, KeepListedHandles, Lchown).
func Sub(d Dest, dir string) Dest {
	if dir == "" {
		return d
	}
	return sub{d, dir}
}

type sub struct {
	d   Dest
	dir string
}

func (s sub) in(name string) string { return path.Join(s.dir, name) }

func (s sub) Caps() Caps               { return s.d.Caps() }
func (s sub) String() string           { return s.d.String() + "/" + s.dir }
func (s sub) Location() Location       { return s.d.Location() }
func (s sub) Identity() perms.Identity { return s.d.Identity() }
func (s sub) Close() error             { return nil } // the parent owns the connections
func (s sub) Stat(ctx context.Context, name string) (FileInfo, error) {
	return s.d.Stat(ctx, s.in(name))
}
func (s sub) ReadDir(ctx context.Context, name string) ([]FileInfo, error) {
	return s.d.ReadDir(ctx, s.in(name))
}
func (s sub) Open(ctx context.Context, name string) (File, error) { return s.d.Open(ctx, s.in(name)) }
func (s sub) ReadFile(ctx context.Context, name string, max int64) ([]byte, error) {
	return s.d.ReadFile(ctx, s.in(name), max)
}
func (s sub) Mkdir(ctx context.Context, name string, mode fs.FileMode) error {
	return s.d.Mkdir(ctx, s.in(name), mode)
}
func (s sub) Create(ctx context.Context, name string, mode fs.FileMode) (Writer, error) {
	return s.d.Create(ctx, s.in(name), mode)
}
func (s sub) SetAttr(ctx context.Context, name string, a Attr) (FileInfo, error) {
	return s.d.SetAttr(ctx, s.in(name), a)
}
func (s sub) Rename(ctx context.Context, from, to string) error {
	return s.d.Rename(ctx, s.in(from), s.in(to))
}
func (s sub) Link(ctx context.Context, existing, newname string) error {
	return s.d.Link(ctx, s.in(existing), s.in(newname))
}
func (s sub) Symlink(ctx context.Context, target, name string) error {
	return s.d.Symlink(ctx, target, s.in(name))
}
func (s sub) Readlink(ctx context.Context, name string) (string, error) {
	return s.d.Readlink(ctx, s.in(name))
}
func (s sub) Remove(ctx context.Context, name string) error { return s.d.Remove(ctx, s.in(name)) }
func (s sub) Rmdir(ctx context.Context, name string) error  { return s.d.Rmdir(ctx, s.in(name)) }
func (s sub) CanWrite(ctx context.Context, name string) (bool, error) {
	return s.d.CanWrite(ctx, s.in(name))
}

// Flush forwards to d's, where it has one.
func (s sub) Flush(ctx context.Context) error { return Flush(ctx, s.d) }

// Calls forwards to d's count of NFS calls, where it keeps one.
func (s sub) Calls() int64 { return Calls(s.d) }

// KeepListedHandles forwards to d's, where it has one.
func (s sub) KeepListedHandles(on bool) { KeepListedHandles(s.d, on) }

// Lchown forwards to d's, where it has one.
func (s sub) Lchown(ctx context.Context, name string, uid, gid int) error {
	return Lchown(ctx, s.d, s.in(name), uid, gid)
}

// LinkAll forwards to d's, where it batches links.
func (s sub) LinkAll(ctx context.Context, links []LinkPair, concurrency int) []error {
	in := make([]LinkPair, len(links))
	for i, l := range links {
		in[i] = LinkPair{s.in(l.Existing), s.in(l.New)}
	}
	return LinkAll(ctx, s.d, in, concurrency)
}

// RemoveAll forwards to d's, where it batches removes.
func (s sub) RemoveAll(ctx context.Context, names []string, concurrency int) []error {
	in := make([]string, len(names))
	for i, n := range names {
		in[i] = s.in(n)
	}
	return RemoveAll(ctx, s.d, in, concurrency)
}

// CreateFresh forwards to d's, where it has one.
func (s sub) CreateFresh(ctx context.Context, name string, mode fs.FileMode) (Writer, error) {
	return CreateFresh(ctx, s.d, s.in(name), mode)
}

// RenameAll forwards to d's, where it batches renames.
func (s sub) RenameAll(ctx context.Context, pairs []RenamePair) (int, error) {
	in := make([]RenamePair, len(pairs))
	for i, p := range pairs {
		in[i] = RenamePair{s.in(p.From), s.in(p.To)}
	}
	return RenameAll(ctx, s.d, in)
}

// Near forwards to d's, where it has one (u names a folder of the server,
// not of this view).
func (s sub) Near(ctx context.Context, u *URL) (Dest, error) {
	if n, ok := s.d.(Neighbour); ok {
		return n.Near(ctx, u)
	}
	return nil, errors.ErrUnsupported
}
