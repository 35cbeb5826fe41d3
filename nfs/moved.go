package nfs

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"strings"

	"github.com/dagnfs/dagnfs/perms"
)

// Moved is d with the folder from seen at to: a name that is from, or
// below it, is rewritten to the same place below to; every other name is
// d's own. Renames and links between a moved name and another reach the
// one destination below. Symlink contents are not names and stay as they
// are. Mkdir of to itself makes its missing parents first. Moved forwards
// what d offers beyond Dest (Flush, Calls, KeepListedHandles).
func Moved(d Dest, from, to string) Dest {
	return moved{d: d, from: path.Clean(from), to: path.Clean(to)}
}

type moved struct {
	d        Dest
	from, to string
}

func (m moved) in(name string) string {
	switch {
	case name == m.from:
		return m.to
	case strings.HasPrefix(name, m.from+"/"):
		return m.to + name[len(m.from):]
	}
	return name
}

func (m moved) Caps() Caps               { return m.d.Caps() }
func (m moved) String() string           { return m.d.String() }
func (m moved) Location() Location       { return m.d.Location() }
func (m moved) Identity() perms.Identity { return m.d.Identity() }
func (m moved) Close() error             { return m.d.Close() }
func (m moved) Stat(ctx context.Context, name string) (FileInfo, error) {
	return m.d.Stat(ctx, m.in(name))
}
func (m moved) ReadDir(ctx context.Context, name string) ([]FileInfo, error) {
	return m.d.ReadDir(ctx, m.in(name))
}
func (m moved) Open(ctx context.Context, name string) (File, error) { return m.d.Open(ctx, m.in(name)) }
func (m moved) ReadFile(ctx context.Context, name string, max int64) ([]byte, error) {
	return m.d.ReadFile(ctx, m.in(name), max)
}
func (m moved) Mkdir(ctx context.Context, name string, mode fs.FileMode) error {
	target := m.in(name)
	if target == m.to {
		// the moved folder's parents, which d may not have yet
		for _, dir := range parents(m.to) {
			if err := m.d.Mkdir(ctx, dir, mode); err != nil && !isExist(err) {
				return err
			}
		}
	}
	return m.d.Mkdir(ctx, target, mode)
}
func (m moved) Create(ctx context.Context, name string, mode fs.FileMode) (Writer, error) {
	return m.d.Create(ctx, m.in(name), mode)
}
func (m moved) SetAttr(ctx context.Context, name string, a Attr) (FileInfo, error) {
	return m.d.SetAttr(ctx, m.in(name), a)
}
func (m moved) Rename(ctx context.Context, from, to string) error {
	return m.d.Rename(ctx, m.in(from), m.in(to))
}
func (m moved) Link(ctx context.Context, existing, newname string) error {
	return m.d.Link(ctx, m.in(existing), m.in(newname))
}
func (m moved) Symlink(ctx context.Context, target, name string) error {
	return m.d.Symlink(ctx, target, m.in(name))
}
func (m moved) Readlink(ctx context.Context, name string) (string, error) {
	return m.d.Readlink(ctx, m.in(name))
}
func (m moved) Remove(ctx context.Context, name string) error { return m.d.Remove(ctx, m.in(name)) }
func (m moved) Rmdir(ctx context.Context, name string) error  { return m.d.Rmdir(ctx, m.in(name)) }
func (m moved) CanWrite(ctx context.Context, name string) (bool, error) {
	return m.d.CanWrite(ctx, m.in(name))
}

// Flush forwards to d's, where it has one.
func (m moved) Flush(ctx context.Context) error { return Flush(ctx, m.d) }

// Calls forwards to d's count of NFS calls, where it keeps one.
func (m moved) Calls() int64 { return Calls(m.d) }

// KeepListedHandles forwards to d's, where it has one.
func (m moved) KeepListedHandles(on bool) { KeepListedHandles(m.d, on) }

// Lchown forwards to d's, where it has one.
func (m moved) Lchown(ctx context.Context, name string, uid, gid int) error {
	return Lchown(ctx, m.d, m.in(name), uid, gid)
}

// parents are the folders above p, outermost first.
func parents(p string) []string {
	var out []string
	for dir := path.Dir(p); dir != "." && dir != "/"; dir = path.Dir(dir) {
		out = append([]string{dir}, out...)
	}
	return out
}

func isExist(err error) bool { return errors.Is(err, fs.ErrExist) }

// LinkAll forwards to d's, where it batches links.
func (m moved) LinkAll(ctx context.Context, links []LinkPair, concurrency int) []error {
	in := make([]LinkPair, len(links))
	for i, l := range links {
		in[i] = LinkPair{m.in(l.Existing), m.in(l.New)}
	}
	return LinkAll(ctx, m.d, in, concurrency)
}

// RemoveAll forwards to d's, where it batches removes.
func (m moved) RemoveAll(ctx context.Context, names []string, concurrency int) []error {
	in := make([]string, len(names))
	for i, n := range names {
		in[i] = m.in(n)
	}
	return RemoveAll(ctx, m.d, in, concurrency)
}

// CreateFresh forwards to d's, where it has one.
func (m moved) CreateFresh(ctx context.Context, name string, mode fs.FileMode) (Writer, error) {
	return CreateFresh(ctx, m.d, m.in(name), mode)
}

// RenameAll forwards to d's, where it batches renames.
func (m moved) RenameAll(ctx context.Context, pairs []RenamePair) (int, error) {
	in := make([]RenamePair, len(pairs))
	for i, p := range pairs {
		in[i] = RenamePair{m.in(p.From), m.in(p.To)}
	}
	return RenameAll(ctx, m.d, in)
}

// Near forwards to d's, where it has one (u names a folder of the server,
// not of this view).
func (m moved) Near(ctx context.Context, u *URL) (Dest, error) {
	if n, ok := m.d.(Neighbour); ok {
		return n.Near(ctx, u)
	}
	return nil, errors.ErrUnsupported
}
