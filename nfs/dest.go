package nfs

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dagnfs/dagnfs/perms"
)

// Dest is a folder that dagnfs publishes into.
type Dest interface {
	// Caps tells what this destination can do.
	Caps() Caps
	// String names the destination for messages (a path or an nfs:// URL).
	String() string
	// Location is where the destination is, as parsed once.
	Location() Location

	// Stat returns the attributes of name without following a final symlink.
	Stat(ctx context.Context, name string) (FileInfo, error)
	// ReadDir lists a folder, without "." and "..", sorted by name.
	ReadDir(ctx context.Context, name string) ([]FileInfo, error)
	// Open opens the regular file name for reading (ErrNotRegular for
	// anything else). Reads honour ctx; memory does not grow with the
	// file's size.
	Open(ctx context.Context, name string) (File, error)
	// ReadFile returns the content of the regular file name; it fails with
	// ErrTooLarge when the file holds more than max bytes.
	ReadFile(ctx context.Context, name string, max int64) ([]byte, error)

	// Mkdir creates one folder; it fails with fs.ErrExist when name exists.
	Mkdir(ctx context.Context, name string, mode fs.FileMode) error
	// Create creates name exclusively (fs.ErrExist when it exists) with the
	// given mode and returns a writer for its content.
	Create(ctx context.Context, name string, mode fs.FileMode) (Writer, error)
	// SetAttr sets the mode and, where UID or GID is not -1, the owner.
	SetAttr(ctx context.Context, name string, a Attr) (FileInfo, error)
	// Rename moves from over to, atomically replacing a file at to.
	Rename(ctx context.Context, from, to string) error
	// Link makes newname a hard link to existing (fs.ErrExist when newname
	// exists, errors.ErrUnsupported when Caps().HardLink is false).
	Link(ctx context.Context, existing, newname string) error
	// Symlink makes name a symbolic link whose content is target
	// (fs.ErrExist when name exists).
	Symlink(ctx context.Context, target, name string) error
	// Readlink returns the content of the symbolic link name.
	Readlink(ctx context.Context, name string) (string, error)
	// Remove removes a file or symbolic link (not a folder).
	Remove(ctx context.Context, name string) error
	// Rmdir removes an empty folder.
	Rmdir(ctx context.Context, name string) error
	// CanWrite tells whether this client may create and remove entries in
	// the folder name, as the server sees it (root squash included where the
	// protocol can tell).
	CanWrite(ctx context.Context, name string) (bool, error)

	// Identity is who this destination creates files as (the process for a
	// folder, the AUTH_UNIX credential for NFS).
	Identity() perms.Identity

	// Close releases connections. The Dest is unusable afterwards.
	Close() error
}

// File is a regular file opened for reading by Dest.Open.
type File interface {
	io.ReadCloser
	// Info is what the destination reported when the file was opened.
	Info() FileInfo
}

// Writer receives the content of a file created by Dest.Create. Write uses
// the context given to Create; the other methods take their own.
type Writer interface {
	Write(p []byte) (int, error)
	// Commit puts everything written so far on stable storage and returns
	// the file's attributes as the destination reports them afterwards.
	Commit(ctx context.Context) (FileInfo, error)
	// SetAttr sets the open file's mode and, where UID or GID is not -1,
	// its owner.
	SetAttr(ctx context.Context, a Attr) (FileInfo, error)
	// Close releases the file; it does not imply Commit.
	Close() error
}

// Errors of ReadFile (wrapped in *fs.PathError) for a file that is not what
// the caller can accept.
var (
	// ErrTooLarge: the file holds more bytes than the caller's maximum.
	ErrTooLarge = errors.New("larger than allowed")
	// ErrNotRegular: a folder, FIFO, device, socket or symlink where a
	// regular file was expected.
	ErrNotRegular = errors.New("not a regular file")
)

// Caps is what a destination can do, as data.
type Caps struct {
	// HardLink: Link works (history keeps replaced files without copying).
	HardLink bool
	// Chown: the owner of a file can be set to another uid/gid.
	Chown bool
	// Calls counts protocol calls when the destination is remote.
	CountsCalls bool
	// Protocol is how the destination is reached: "NFSv3", "NFSv4.1", or
	// "" for a folder.
	Protocol string
}

// Attr is what SetAttr sets. UID and GID of -1 leave the owner unchanged;
// a zero ModTime leaves the modification time.
type Attr struct {
	Mode     fs.FileMode
	UID, GID int
	ModTime  time.Time
}

// FileInfo is what a destination knows about one file or folder.
type FileInfo struct {
	Name    string
	Size    int64
	Mode    fs.FileMode // permission bits plus fs.ModeDir or fs.ModeSymlink
	UID     uint32
	GID     uint32
	ModTime time.Time
	FileID  uint64
	Nlink   uint32
}

// IsDir reports whether the entry is a folder.
func (fi FileInfo) IsDir() bool { return fi.Mode.IsDir() }

// IsRegular reports whether the entry is a regular file.
func (fi FileInfo) IsRegular() bool { return fi.Mode.IsRegular() }

func timespec(ts unix.Timespec) time.Time { return time.Unix(ts.Sec, ts.Nsec) }

// Open opens the destination at loc: a folder, or an NFS export with opts.
func Open(ctx context.Context, loc Location, opts Options) (Dest, error) {
	if loc.URL != nil {
		return DialAny(ctx, loc.URL, opts)
	}
	l, err := OpenLocal(loc.Dir)
	if err != nil {
		return nil, err
	}
	return l, nil
}
