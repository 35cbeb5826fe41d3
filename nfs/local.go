package nfs

import (
	"bytes"
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

	"golang.org/x/sys/unix"

	"github.com/dagnfs/dagnfs/perms"
)

// Local is a destination in a folder of this machine: a mounted NFS export,
// or any folder.
//
// Every path is resolved one component at a time from the folder, with
// O_PATH|O_NOFOLLOW: a symlink anywhere on the way is refused (ErrSymlink),
// never followed, so nothing planted on the export can lead a read, write,
// chmod or delete elsewhere, not even inside the folder. O_PATH needs only
// search permission, so a publisher that owns the folder can work inside
// folders that nobody may list (mode 0300, the staging folder). Files are
// opened without blocking and anything that is not a regular file where one
// is expected (a FIFO planted as the lock, say) is ErrNotRegular.
type Local struct {
	dir  string
	root int // O_PATH descriptor of dir
	id   perms.Identity

	mu        sync.Mutex
	dirty     map[string]bool // folders that received names since the last Flush
	closeOnce sync.Once
}

var _ Dest = (*Local)(nil)

// ErrSymlink: a path on the destination passes through a symlink, which
// dagnfs never follows there (on a folder destination, nor over NFS).
var ErrSymlink = errors.New("passes through a symlink on the destination (dagnfs never follows one there)")

// OpenLocal opens the folder dir as a destination.
func OpenLocal(dir string) (*Local, error) {
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ENOTDIR) {
			return nil, &fs.PathError{Op: "open", Path: dir, Err: syscall.ENOTDIR}
		}
		return nil, &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	gids := []uint32{uint32(os.Getegid())}
	if groups, err := os.Getgroups(); err == nil {
		for _, g := range groups {
			if uint32(g) != gids[0] {
				gids = append(gids, uint32(g))
			}
		}
	}
	return &Local{dir: dir, root: fd, id: perms.Identity{UID: uint32(os.Geteuid()), GIDs: gids}, dirty: map[string]bool{}}, nil
}

// Caps implements Dest.
func (l *Local) Caps() Caps { return Caps{HardLink: true, Chown: l.id.UID == 0} }

func (l *Local) String() string { return l.dir }

// Location implements Dest.
func (l *Local) Location() Location { return Location{Dir: l.dir} }

// openDir resolves the folder dir ("" is the root) without following
// symlinks and returns an O_PATH descriptor; done closes it.
func (l *Local) openDir(op, dir string) (fd int, done func(), err error) {
	if dir == "" || dir == "." {
		return l.root, func() {}, nil
	}
	cur := l.root
	closeCur := func() {
		if cur != l.root {
			unix.Close(cur)
		}
	}
	for i, c := range strings.Split(dir, "/") {
		next, err := unix.Openat(cur, c, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			var st unix.Stat_t
			if errors.Is(err, unix.ENOTDIR) && unix.Fstatat(cur, c, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK {
				err = ErrSymlink
			}
			closeCur()
			return -1, nil, pathErr(op, strings.Join(strings.Split(dir, "/")[:i+1], "/"), err)
		}
		closeCur()
		cur = next
	}
	fd = cur
	return fd, func() { unix.Close(fd) }, nil
}

// parent resolves name's folder and returns its descriptor and name's base.
func (l *Local) parent(ctx context.Context, op, name string) (int, string, func(), error) {
	if err := ctx.Err(); err != nil {
		return -1, "", nil, err
	}
	if name == "" {
		return -1, "", nil, pathErr(op, name, syscall.EINVAL)
	}
	if err := checkName(op, name); err != nil {
		return -1, "", nil, err
	}
	fd, done, err := l.openDir(op, parentOf(name))
	if err != nil {
		return -1, "", nil, err
	}
	return fd, path.Base(name), done, nil
}

func statInfo(name string, st *unix.Stat_t) FileInfo {
	mode := fs.FileMode(st.Mode & 0o777)
	if st.Mode&unix.S_ISUID != 0 {
		mode |= fs.ModeSetuid
	}
	if st.Mode&unix.S_ISGID != 0 {
		mode |= fs.ModeSetgid
	}
	if st.Mode&unix.S_ISVTX != 0 {
		mode |= fs.ModeSticky
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		mode |= fs.ModeDir
	case unix.S_IFLNK:
		mode |= fs.ModeSymlink
	case unix.S_IFIFO:
		mode |= fs.ModeNamedPipe
	case unix.S_IFSOCK:
		mode |= fs.ModeSocket
	case unix.S_IFCHR:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFBLK:
		mode |= fs.ModeDevice
	}
	return FileInfo{Name: name, Size: st.Size, Mode: mode, UID: st.Uid, GID: st.Gid,
		ModTime: timespec(st.Mtim), FileID: st.Ino, Nlink: uint32(st.Nlink)}
}

// Stat implements Dest.
func (l *Local) Stat(ctx context.Context, name string) (FileInfo, error) {
	if name == "" {
		if err := ctx.Err(); err != nil {
			return FileInfo{}, err
		}
		var st unix.Stat_t
		if err := unix.Fstat(l.root, &st); err != nil {
			return FileInfo{}, pathErr("stat", name, err)
		}
		return statInfo(".", &st), nil
	}
	pfd, base, done, err := l.parent(ctx, "stat", name)
	if err != nil {
		return FileInfo{}, err
	}
	defer done()
	var st unix.Stat_t
	if err := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return FileInfo{}, pathErr("stat", name, err)
	}
	return statInfo(base, &st), nil
}

// ReadDir implements Dest.
func (l *Local) ReadDir(ctx context.Context, name string) ([]FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkName("readdir", name); err != nil {
		return nil, err
	}
	dfd, done, err := l.openDir("readdir", name)
	if err != nil {
		return nil, err
	}
	defer done()
	fd, err := unix.Openat(dfd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, pathErr("readdir", name, err)
	}
	f := os.NewFile(uintptr(fd), rel(name))
	defer f.Close()
	var out []FileInfo
	for {
		names, err := f.Readdirnames(1024)
		for _, n := range names {
			var st unix.Stat_t
			if err := unix.Fstatat(fd, n, &st, unix.AT_SYMLINK_NOFOLLOW); errors.Is(err, unix.ENOENT) {
				continue // removed while listing
			} else if err != nil {
				return nil, pathErr("readdir", path.Join(name, n), err)
			}
			out = append(out, statInfo(n, &st))
		}
		if err == io.EOF || (err == nil && len(names) == 0) {
			break
		}
		if err != nil {
			return nil, pathErr("readdir", name, err)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b FileInfo) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func rel(name string) string {
	if name == "" {
		return "."
	}
	return name
}

// Open implements Dest. The file is opened without blocking (a FIFO cannot
// hang the caller) and must be a regular file.
func (l *Local) Open(ctx context.Context, name string) (File, error) {
	pfd, base, done, err := l.parent(ctx, "open", name)
	if err != nil {
		return nil, err
	}
	defer done()
	fd, err := unix.Openat(pfd, base, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ELOOP) {
		return nil, pathErr("open", name, ErrNotRegular)
	}
	if err != nil {
		return nil, pathErr("open", name, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, pathErr("open", name, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, pathErr("open", name, ErrNotRegular)
	}
	return &localReader{ctx: ctx, f: os.NewFile(uintptr(fd), name), info: statInfo(base, &st)}, nil
}

// localReader reads an open regular file, honouring ctx between reads.
type localReader struct {
	ctx  context.Context
	f    *os.File
	info FileInfo
}

func (r *localReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.f.Read(p)
}

func (r *localReader) Info() FileInfo { return r.info }
func (r *localReader) Close() error   { return r.f.Close() }

// ReadFile implements Dest.
func (l *Local) ReadFile(ctx context.Context, name string, max int64) ([]byte, error) {
	return readAll(ctx, l, name, max)
}

// Mkdir implements Dest.
func (l *Local) Mkdir(ctx context.Context, name string, mode fs.FileMode) error {
	if name == "" {
		return pathErr("mkdir", name, fs.ErrExist)
	}
	pfd, base, done, err := l.parent(ctx, "mkdir", name)
	if err != nil {
		return err
	}
	defer done()
	if err := unix.Mkdirat(pfd, base, uint32(mode.Perm())); err != nil {
		return pathErr("mkdir", name, err)
	}
	// Not subject to the umask. The folder was just made in a parent
	// resolved without symlinks, so the name is the folder.
	return pathErr("chmod", name, unix.Fchmodat(pfd, base, uint32(mode.Perm()), 0))
}

// Create implements Dest.
func (l *Local) Create(ctx context.Context, name string, mode fs.FileMode) (Writer, error) {
	pfd, base, done, err := l.parent(ctx, "create", name)
	if err != nil {
		return nil, err
	}
	defer done()
	fd, err := unix.Openat(pfd, base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, uint32(mode.Perm()))
	if err != nil {
		return nil, pathErr("create", name, err)
	}
	f := os.NewFile(uintptr(fd), name)
	if err := f.Chmod(mode.Perm()); err != nil { // not subject to the umask
		f.Close()
		return nil, err
	}
	return localFile{f}, nil
}

// localFile is a Writer on an open file.
type localFile struct{ *os.File }

func (f localFile) Commit(ctx context.Context) (FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return FileInfo{}, err
	}
	if err := f.Sync(); err != nil {
		return FileInfo{}, err
	}
	return f.stat()
}

func (f localFile) stat() (FileInfo, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return FileInfo{}, pathErr("stat", f.Name(), err)
	}
	return statInfo(path.Base(f.Name()), &st), nil
}

func (f localFile) SetAttr(ctx context.Context, a Attr) (FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return FileInfo{}, err
	}
	if a.UID >= 0 || a.GID >= 0 {
		if err := f.Chown(a.UID, a.GID); err != nil {
			return FileInfo{}, err
		}
	}
	if err := f.Chmod(a.Mode.Perm()); err != nil {
		return FileInfo{}, err
	}
	if !a.ModTime.IsZero() {
		var st unix.Stat_t
		if err := unix.Fstat(int(f.Fd()), &st); err != nil {
			return FileInfo{}, err
		}
		tv := []unix.Timeval{unix.NsecToTimeval(unix.TimespecToNsec(st.Atim)), unix.NsecToTimeval(a.ModTime.UnixNano())}
		if err := unix.Futimes(int(f.Fd()), tv); err != nil {
			return FileInfo{}, err
		}
	}
	return f.stat()
}

// SetAttr implements Dest. A symlink is refused, never followed.
func (l *Local) SetAttr(ctx context.Context, name string, a Attr) (FileInfo, error) {
	if name == "" {
		return FileInfo{}, pathErr("setattr", name, syscall.EINVAL)
	}
	pfd, base, done, err := l.parent(ctx, "setattr", name)
	if err != nil {
		return FileInfo{}, err
	}
	defer done()
	var st unix.Stat_t
	if err := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return FileInfo{}, pathErr("setattr", name, err)
	}
	if st.Mode&unix.S_IFMT == unix.S_IFLNK {
		return FileInfo{}, pathErr("setattr", name, ErrSymlink)
	}
	if (a.UID >= 0 && uint32(a.UID) != st.Uid) || (a.GID >= 0 && uint32(a.GID) != st.Gid) {
		if err := unix.Fchownat(pfd, base, a.UID, a.GID, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return FileInfo{}, pathErr("chown", name, err)
		}
	}
	if err := unix.Fchmodat(pfd, base, uint32(a.Mode.Perm()), 0); err != nil {
		return FileInfo{}, pathErr("chmod", name, err)
	}
	if !a.ModTime.IsZero() {
		ts := []unix.Timespec{{Nsec: unix.UTIME_OMIT}, unix.NsecToTimespec(a.ModTime.UnixNano())}
		if err := unix.UtimesNanoAt(pfd, base, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return FileInfo{}, pathErr("utimes", name, err)
		}
	}
	if err := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return FileInfo{}, pathErr("setattr", name, err)
	}
	return statInfo(base, &st), nil
}

// Rename implements Dest. The folder receiving the name is synced by the
// next Flush (once for many renames, not once each).
func (l *Local) Rename(ctx context.Context, from, to string) error {
	fpfd, fbase, fdone, err := l.parent(ctx, "rename", from)
	if err != nil {
		return err
	}
	defer fdone()
	tpfd, tbase, tdone, err := l.parent(ctx, "rename", to)
	if err != nil {
		return err
	}
	defer tdone()
	if err := unix.Renameat(fpfd, fbase, tpfd, tbase); err != nil {
		return pathErr("rename", from, err)
	}
	l.mu.Lock()
	l.dirty[parentOf(to)] = true
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
	dfd, done, err := l.openDir("sync", dir)
	if err != nil {
		return err
	}
	defer done()
	fd, err := unix.Openat(dfd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.EACCES) {
		return nil // a folder nobody may list (staging, objects): its renames are the server's to keep
	}
	if err != nil {
		return pathErr("sync", dir, err)
	}
	defer unix.Close(fd)
	if err := unix.Fsync(fd); err != nil && !errors.Is(err, unix.EINVAL) {
		return pathErr("sync", dir, err) // EINVAL: the file system cannot sync folders
	}
	return nil
}

// Link implements Dest.
func (l *Local) Link(ctx context.Context, existing, newname string) error {
	return l.linkTo(ctx, existing, l, newname)
}

// Symlink implements Dest.
func (l *Local) Symlink(ctx context.Context, target, name string) error {
	pfd, base, done, err := l.parent(ctx, "symlink", name)
	if err != nil {
		return err
	}
	defer done()
	return pathErr("symlink", name, unix.Symlinkat(target, pfd, base))
}

// Lchown gives the symbolic link name (never what it points to) an owner.
func (l *Local) Lchown(ctx context.Context, name string, uid, gid int) error {
	pfd, base, done, err := l.parent(ctx, "lchown", name)
	if err != nil {
		return err
	}
	defer done()
	return pathErr("lchown", name, unix.Fchownat(pfd, base, uid, gid, unix.AT_SYMLINK_NOFOLLOW))
}

// Readlink implements Dest.
func (l *Local) Readlink(ctx context.Context, name string) (string, error) {
	pfd, base, done, err := l.parent(ctx, "readlink", name)
	if err != nil {
		return "", err
	}
	defer done()
	buf := make([]byte, 4096)
	n, err := unix.Readlinkat(pfd, base, buf)
	if err != nil {
		return "", pathErr("readlink", name, err)
	}
	return string(buf[:n]), nil
}

// Remove implements Dest.
func (l *Local) Remove(ctx context.Context, name string) error {
	return l.unlink(ctx, "remove", name, 0)
}

// Rmdir implements Dest.
func (l *Local) Rmdir(ctx context.Context, name string) error {
	return l.unlink(ctx, "rmdir", name, unix.AT_REMOVEDIR)
}

func (l *Local) unlink(ctx context.Context, op, name string, flags int) error {
	pfd, base, done, err := l.parent(ctx, op, name)
	if err != nil {
		return err
	}
	defer done()
	var st unix.Stat_t
	if err := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return pathErr(op, name, err)
	}
	isDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
	switch {
	case flags == 0 && isDir:
		return pathErr(op, name, syscall.EISDIR)
	case flags != 0 && !isDir:
		return pathErr(op, name, syscall.ENOTDIR)
	}
	return pathErr(op, name, unix.Unlinkat(pfd, base, flags))
}

// CanWrite implements Dest with the POSIX rules for this process's identity.
func (l *Local) CanWrite(ctx context.Context, name string) (bool, error) {
	fi, err := l.Stat(ctx, name)
	if err != nil {
		return false, err
	}
	return perms.Allowed(l.id, fi.UID, fi.GID, fi.Mode, perms.Write|perms.Exec), nil
}

// Close implements Dest. Calls still in flight fail (EBADF); l.root itself
// is never written after OpenLocal, so Close is safe while they run.
func (l *Local) Close() error {
	var err error
	l.closeOnce.Do(func() { err = unix.Close(l.root) })
	return err
}

// Identity is the identity this process writes as.
func (l *Local) Identity() perms.Identity { return l.id }

// readAll reads a whole (small) file through d.Open, at most max bytes.
func readAll(ctx context.Context, d Dest, name string, max int64) ([]byte, error) {
	f, err := d.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if size := f.Info().Size; size > max {
		return nil, pathErr("read", name, fmt.Errorf("%w: %d bytes, %d at most", ErrTooLarge, size, max))
	}
	// The reported size is a hint for the first buffer only, and bounded:
	// what decides is what the reads return.
	var buf bytes.Buffer
	buf.Grow(int(min(f.Info().Size, max, bufSize) + 1))
	if _, err := Stream(&buf, io.LimitReader(f, max+1)); err != nil {
		return nil, pathErr("read", name, err)
	}
	b := buf.Bytes()
	if int64(len(b)) > max {
		return nil, pathErr("read", name, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max))
	}
	return b, nil
}
