// Package srcfile opens a source file as a walk saw it, never by following
// whatever its path names later.
//
// A source folder can change while it is validated or published: CI runners
// publish checkouts that other jobs may write to. Every folder on the way
// from the source root and the file itself are therefore opened without
// following symlinks (O_NOFOLLOW), and what was opened must be the regular
// file the walk saw (device, inode, size). At most that size is read; a file
// that grew, shrank, or was swapped (for a symlink to a secret of the
// publisher's, say) is an error that names it (ErrChanged).
package srcfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// ErrChanged: a source file is no longer the file the walk saw.
var ErrChanged = errors.New("changed since the source was read")

// ChangedError names the file and what changed.
type ChangedError struct {
	Rel, Why string
}

func (e *ChangedError) Error() string {
	return fmt.Sprintf("source file %s %v (%s); nothing of it was published: run again once the source is still", e.Rel, ErrChanged, e.Why)
}

func (e *ChangedError) Unwrap() error { return ErrChanged }

// File is a regular file below Root as a walk saw it.
type File struct {
	// Root is the source root, resolved; Real is the file's resolved path
	// below it (a symlink inside the source is followed by the walk, so
	// Real names its target). Rel names the file to users.
	Root, Real, Rel string
	Dev, Ino        uint64
	Size            int64
}

// Seen is the File the walk saw at real, a path below root with no symlink
// in it, from what os.Stat said of it. ok is false where the system gives
// no device and inode.
func Seen(root, real, rel string, info fs.FileInfo) (File, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return File{}, false
	}
	return File{Root: root, Real: real, Rel: rel, Dev: uint64(st.Dev), Ino: st.Ino, Size: info.Size()}, true
}

// Parts returns the path of the file below Root, one name per folder and
// the file's last.
func (f File) Parts() ([]string, error) {
	rel, ok := strings.CutPrefix(f.Real, f.Root+string(filepath.Separator))
	if !ok {
		return nil, f.changed("outside the source root")
	}
	return strings.Split(rel, string(filepath.Separator)), nil
}

func (f File) changed(why string) error { return &ChangedError{Rel: f.Rel, Why: why} }

// OpenFile opens the file as the walk saw it (see the package comment). Its
// content past Size is not the walk's: read it with Open, or within Size.
func (f File) OpenFile() (*os.File, error) {
	file, _, err := f.openStat()
	return file, err
}

// openStat is OpenFile, with what fstat said of the file opened.
func (f File) openStat() (*os.File, unix.Stat_t, error) {
	var st unix.Stat_t
	parts, err := f.Parts()
	if err != nil {
		return nil, st, err
	}
	fd, err := unix.Open(f.Root, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, st, f.changed(fmt.Sprintf("the source folder: %v", err))
	}
	for _, dir := range parts[:len(parts)-1] {
		next, err := unix.Openat(fd, dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		unix.Close(fd)
		if err != nil {
			return nil, st, f.changed(fmt.Sprintf("folder %s: %v", dir, err))
		}
		fd = next
	}
	ffd, err := unix.Openat(fd, parts[len(parts)-1], unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	unix.Close(fd)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, st, f.changed("now a symlink")
		}
		return nil, st, f.changed(err.Error())
	}
	if err := unix.Fstat(ffd, &st); err != nil {
		unix.Close(ffd)
		return nil, st, f.changed(err.Error())
	}
	switch {
	case st.Mode&unix.S_IFMT != unix.S_IFREG:
		unix.Close(ffd)
		return nil, st, f.changed("no longer a regular file")
	case uint64(st.Dev) != f.Dev || st.Ino != f.Ino:
		unix.Close(ffd)
		return nil, st, f.changed("another file now")
	case st.Size != f.Size:
		unix.Close(ffd)
		return nil, st, f.changed(fmt.Sprintf("%d bytes now, %d when read", st.Size, f.Size))
	}
	return os.NewFile(uintptr(ffd), f.Real), st, nil
}

// Open opens the file as the walk saw it and reads exactly its Size: a
// file that ends early or goes on is an error.
//
// A file written to while it is read (the same size, other bytes) is an
// error too: at the end its modification or change time is not what it was
// when it was opened, as tar's "file changed as we read it".
func (f File) Open() (io.ReadCloser, error) {
	file, st, err := f.openStat()
	if err != nil {
		return nil, err
	}
	return &exactReader{f: file, left: f.Size, changed: f.changed, mtime: st.Mtim, ctime: st.Ctim}, nil
}

// ReadAll reads the whole file as the walk saw it.
func (f File) ReadAll() ([]byte, error) {
	r, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	b := make([]byte, 0, f.Size)
	for {
		// At the walk's size the reader reads no more: it says EOF,
		// or that the file grew.
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// exactReader reads exactly the size the walk saw: never more, and a file
// that ends early or goes on is an error.
type exactReader struct {
	f            *os.File
	left         int64
	changed      func(string) error
	mtime, ctime unix.Timespec
}

func (r *exactReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		var one [1]byte
		if n, _ := r.f.Read(one[:]); n > 0 {
			return 0, r.changed("it grew")
		}
		var st unix.Stat_t
		if err := unix.Fstat(int(r.f.Fd()), &st); err != nil {
			return 0, r.changed(err.Error())
		}
		if st.Mtim != r.mtime || st.Ctim != r.ctime {
			return 0, r.changed("written to while it was read")
		}
		return 0, io.EOF
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, err := r.f.Read(p)
	r.left -= int64(n)
	if err == io.EOF && r.left > 0 {
		return n, r.changed("it shrank")
	}
	if err == io.EOF {
		err = nil
	}
	return n, err
}

func (r *exactReader) Close() error { return r.f.Close() }
