package nfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/dagnfs/dagnfs/perms"
)

// Local is a destination in a folder of this machine: a mounted NFS export,
// or any folder. All access goes through os.Root, so a symlink on the
// destination can never lead a write outside the folder.
type Local struct {
	dir  string
	root *os.Root
	id   perms.Identity

	mu    sync.Mutex
	dirty map[string]bool // folders that received names since the last Flush
}

var _ Dest = (*Local)(nil)

// OpenLocal opens the folder dir as a destination.
func OpenLocal(dir string) (*Local, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, &fs.PathError{Op: "open", Path: dir, Err: syscall.ENOTDIR}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	gids := []uint32{uint32(os.Getegid())}
	if groups, err := os.Getgroups(); err == nil {
		for _, g := range groups {
			if uint32(g) != gids[0] {
				gids = append(gids, uint32(g))
			}
		}
	}
	return &Local{dir: dir, root: root, id: perms.Identity{UID: uint32(os.Geteuid()), GIDs: gids}, dirty: map[string]bool{}}, nil
}

// Caps implements Dest.
func (l *Local) Caps() Caps { return Caps{HardLink: true, Chown: l.id.UID == 0} }

func (l *Local) String() string { return l.dir }

func rel(name string) string {
	if name == "" {
		return "."
	}
	return name
}

// Stat implements Dest.
func (l *Local) Stat(ctx context.Context, name string) (FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return FileInfo{}, err
	}
	fi, err := l.root.Lstat(rel(name))
	if err != nil {
		return FileInfo{}, err
	}
	return localInfo(fi), nil
}

func localInfo(fi fs.FileInfo) FileInfo {
	out := FileInfo{Name: fi.Name(), Size: fi.Size(), Mode: fi.Mode(), ModTime: fi.ModTime()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		out.UID, out.GID, out.FileID, out.Nlink = st.Uid, st.Gid, st.Ino, uint32(st.Nlink)
	}
	return out
}

// ReadDir implements Dest.
func (l *Local) ReadDir(ctx context.Context, name string) ([]FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := l.root.Open(rel(name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := f.ReadDir(-1)
	if err != nil {
		return nil, err
	}
	out := make([]FileInfo, 0, len(entries))
	for _, e := range entries {
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed while listing
		}
		if err != nil {
			return nil, err
		}
		out = append(out, localInfo(fi))
	}
	slices.SortFunc(out, func(a, b FileInfo) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// ReadFile implements Dest.
func (l *Local) ReadFile(ctx context.Context, name string, max int64) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := l.root.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, pathErr("read", name, fmt.Errorf("larger than %d bytes: %w", max, syscall.EFBIG))
	}
	return b, nil
}

// Mkdir implements Dest.
func (l *Local) Mkdir(ctx context.Context, name string, mode fs.FileMode) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := l.root.Mkdir(name, mode); err != nil {
		return err
	}
	return l.root.Chmod(name, mode) // not subject to the umask
}

// Create implements Dest.
func (l *Local) Create(ctx context.Context, name string, mode fs.FileMode) (Writer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := l.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return nil, err
	}
	return localFile{f}, nil
}

// localFile is a Writer on an open file.
type localFile struct{ *os.File }

func (f localFile) Commit() (FileInfo, error) {
	if err := f.Sync(); err != nil {
		return FileInfo{}, err
	}
	fi, err := f.Stat()
	if err != nil {
		return FileInfo{}, err
	}
	return localInfo(fi), nil
}

func (f localFile) SetAttr(a Attr) (FileInfo, error) {
	if a.UID >= 0 || a.GID >= 0 {
		if err := f.Chown(a.UID, a.GID); err != nil {
			return FileInfo{}, err
		}
	}
	if err := f.Chmod(a.Mode.Perm()); err != nil {
		return FileInfo{}, err
	}
	fi, err := f.Stat()
	if err != nil {
		return FileInfo{}, err
	}
	return localInfo(fi), nil
}

// SetAttr implements Dest.
func (l *Local) SetAttr(ctx context.Context, name string, a Attr) (FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return FileInfo{}, err
	}
	fi, err := l.root.Lstat(name)
	if err != nil {
		return FileInfo{}, err
	}
	cur := localInfo(fi)
	if (a.UID >= 0 && uint32(a.UID) != cur.UID) || (a.GID >= 0 && uint32(a.GID) != cur.GID) {
		if err := l.root.Lchown(name, a.UID, a.GID); err != nil {
			return FileInfo{}, err
		}
	}
	if err := l.root.Chmod(name, a.Mode.Perm()); err != nil {
		return FileInfo{}, err
	}
	return l.Stat(ctx, name)
}

// Rename implements Dest. The folder receiving the name is synced by the
// next Flush (once for many renames, not once each).
func (l *Local) Rename(ctx context.Context, from, to string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := l.root.Rename(from, to); err != nil {
		return err
	}
	l.mu.Lock()
	l.dirty[path.Dir(to)] = true
	l.mu.Unlock()
	return nil
}

// Flush syncs every folder that received a name since the last Flush, so
// that the renames survive a crash of the machine.
func (l *Local) Flush(ctx context.Context) error {
	l.mu.Lock()
	dirs := l.dirty
	l.dirty = map[string]bool{}
	l.mu.Unlock()
	for dir := range dirs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := l.syncDir(dir); err != nil {
			return err
		}
	}
	return nil
}

func (l *Local) syncDir(dir string) error {
	if dir == "." {
		dir = ""
	}
	d, err := l.root.Open(rel(dir))
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err // EINVAL: the file system cannot sync folders
	}
	return nil
}

// Link implements Dest.
func (l *Local) Link(ctx context.Context, existing, newname string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := l.root.Link(existing, newname)
	if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EOPNOTSUPP) {
		return pathErr("link", newname, errors.ErrUnsupported)
	}
	return err
}

// Remove implements Dest.
func (l *Local) Remove(ctx context.Context, name string) error {
	fi, err := l.Stat(ctx, name)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return pathErr("remove", name, syscall.EISDIR)
	}
	return l.root.Remove(name)
}

// Rmdir implements Dest.
func (l *Local) Rmdir(ctx context.Context, name string) error {
	fi, err := l.Stat(ctx, name)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return pathErr("rmdir", name, syscall.ENOTDIR)
	}
	return l.root.Remove(name)
}

// CanWrite implements Dest with the POSIX rules for this process's identity.
func (l *Local) CanWrite(ctx context.Context, name string) (bool, error) {
	fi, err := l.Stat(ctx, name)
	if err != nil {
		return false, err
	}
	return perms.Allowed(l.id, fi.UID, fi.GID, fi.Mode, perms.Write|perms.Exec), nil
}

// Close implements Dest.
func (l *Local) Close() error { return l.root.Close() }

// Identity is the identity this process writes as.
func (l *Local) Identity() perms.Identity { return l.id }
