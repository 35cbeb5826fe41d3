package publish

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// A source folder can change while it is published: CI runners publish
// checkouts that other jobs may write to. A file is therefore opened as the
// walk saw it, never by following whatever its path names later: every
// folder on the way from the source root and the file itself are opened
// without following symlinks (O_NOFOLLOW), and what was opened must be the
// regular file the walk saw (device, inode, size). At most that size is
// read; a file that grew, shrank, or was swapped (for a symlink to a secret
// of the publisher's, say) fails the run with ErrSourceChanged, naming it.

// ErrSourceChanged: a source file is no longer the file the walk saw.
var ErrSourceChanged = errors.New("changed since the source was read")

// SourceChangedError names the file and what changed.
type SourceChangedError struct {
	Rel, Why string
}

func (e *SourceChangedError) Error() string {
	return fmt.Sprintf("source file %s %v (%s); nothing of it was published: publish again once the source is still", e.Rel, ErrSourceChanged, e.Why)
}

func (e *SourceChangedError) Unwrap() error { return ErrSourceChanged }

// seen is what the walk saw of a source file.
type seen struct {
	root     string // the source root, resolved
	dev, ino uint64
}

// openSeen opens f as the walk saw it (see above).
func openSeen(f SourceFile) (io.ReadCloser, error) {
	changed := func(why string) error { return &SourceChangedError{Rel: f.Rel, Why: why} }
	rel, ok := strings.CutPrefix(f.Abs, f.seen.root+string(filepath.Separator))
	if !ok {
		return nil, changed("outside the source root")
	}
	fd, err := unix.Open(f.seen.root, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, changed(fmt.Sprintf("the source folder: %v", err))
	}
	parts := strings.Split(rel, string(filepath.Separator))
	for _, dir := range parts[:len(parts)-1] {
		next, err := unix.Openat(fd, dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		unix.Close(fd)
		if err != nil {
			return nil, changed(fmt.Sprintf("folder %s: %v", dir, err))
		}
		fd = next
	}
	ffd, err := unix.Openat(fd, parts[len(parts)-1], unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	unix.Close(fd)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, changed("now a symlink")
		}
		return nil, changed(err.Error())
	}
	var st unix.Stat_t
	if err := unix.Fstat(ffd, &st); err != nil {
		unix.Close(ffd)
		return nil, changed(err.Error())
	}
	switch {
	case st.Mode&unix.S_IFMT != unix.S_IFREG:
		unix.Close(ffd)
		return nil, changed("no longer a regular file")
	case uint64(st.Dev) != f.seen.dev || st.Ino != f.seen.ino:
		unix.Close(ffd)
		return nil, changed("another file now")
	case st.Size != f.Size:
		unix.Close(ffd)
		return nil, changed(fmt.Sprintf("%d bytes now, %d when read", st.Size, f.Size))
	}
	return &exactReader{f: os.NewFile(uintptr(ffd), f.Abs), left: f.Size, changed: changed}, nil
}

// exactReader reads exactly the size the walk saw: never more, and a file
// that ends early or goes on is an error.
type exactReader struct {
	f       *os.File
	left    int64
	changed func(string) error
}

func (r *exactReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		var one [1]byte
		if n, _ := r.f.Read(one[:]); n > 0 {
			return 0, r.changed("it grew")
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
