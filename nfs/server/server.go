package server

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/osfs"
	gonfs "github.com/willscott/go-nfs"
	"github.com/willscott/go-nfs/helpers"
)

var setLogger sync.Once

// Options simulate what production NFS servers do.
type Options struct {
	// ReadOnly refuses every change (NFS3ERR_ROFS), like an export with ro.
	ReadOnly bool
	// RootSquash treats a client that mounts with uid 0 as nobody: what it
	// creates is owned by Nobody (where this server can chown), and it may
	// not change owners, like root_squash.
	RootSquash bool
}

// Nobody is the uid and gid that RootSquash maps root to.
const Nobody = 65534

// handleLimit is how many file handles stay valid at once. Handles are kept
// for every file a client has looked up, so that exports of any realistic
// size never see NFS3ERR_STALE for live handles; the cache holds paths, not
// data, and grows only with what clients touch.
const handleLimit = 1 << 22

// Server is a running NFS server.
type Server struct {
	l    net.Listener
	done chan error
	root *os.Root
}

// Start serves dir on addr (e.g. "127.0.0.1:0").
//
// Nothing outside dir is ever touched: reads and writes go through go-billy's
// bound file system, and chmod, chown, utimes and link through an os.Root of
// dir, which refuses to follow a symlink out of it. Only "/" can be mounted.
func Start(dir, addr string, o Options) (*Server, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a folder", dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		root.Close()
		return nil, err
	}
	setLogger.Do(func() { gonfs.SetLogger(quietLogger()) }) // a global of go-nfs: set once, not per server
	base := changeFS{Filesystem: osfs.New(abs, osfs.WithBoundOS()), root: root}
	h := &handler{Handler: helpers.NewNullAuthHandler(base), base: base, o: o}
	s := &Server{l: l, done: make(chan error, 1), root: root}
	go func() { s.done <- gonfs.Serve(linkFilterListener{l}, helpers.NewCachingHandler(h, handleLimit)) }()
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() *net.TCPAddr { return s.l.Addr().(*net.TCPAddr) }

// URL is the nfs:// URL of the export root.
func (s *Server) URL() string { return fmt.Sprintf("nfs://%s/", s.Addr()) }

// Close stops accepting connections.
func (s *Server) Close() error {
	err := s.l.Close()
	select {
	case <-s.done:
	case <-time.After(time.Second):
	}
	return err
}

// Wait blocks until the server stops or ctx ends.
func (s *Server) Wait(ctx context.Context) error {
	select {
	case err := <-s.done:
		if errors.Is(err, net.ErrClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
		return s.Close()
	}
}

// handler serves one export at "/", read-only or squashing root on request.
type handler struct {
	gonfs.Handler
	base changeFS
	o    Options
}

func (h *handler) Mount(ctx context.Context, c net.Conn, req gonfs.MountRequest) (gonfs.MountStatus, billy.Filesystem, []gonfs.AuthFlavor) {
	if p := path.Clean("/" + string(req.Dirpath)); p != "/" {
		// go-nfs makes a handle of the file system whatever the status:
		// it must not be nil.
		return gonfs.MountStatusErrNoEnt, readOnlyFS{h.base}, nil
	}
	var fs billy.Filesystem = h.base
	if h.o.RootSquash && authUID(req.Cred.Flavor, req.Cred.Body) == 0 {
		fs = squashedFS{h.base}
	}
	if h.o.ReadOnly {
		fs = readOnlyFS{fs}
	}
	return gonfs.MountStatusOk, fs, []gonfs.AuthFlavor{gonfs.AuthFlavorNull}
}

func (h *handler) Change(fs billy.Filesystem) billy.Change {
	if h.o.ReadOnly {
		return nil
	}
	if c, ok := fs.(billy.Change); ok {
		return c
	}
	return nil
}

// authUID returns the uid of an AUTH_UNIX credential, or -1.
func authUID(flavor uint32, body []byte) int64 {
	if flavor != 1 || len(body) < 8 {
		return -1
	}
	r := bytes.NewReader(body)
	var stamp, n uint32
	if binary.Read(r, binary.BigEndian, &stamp) != nil || binary.Read(r, binary.BigEndian, &n) != nil || int64(n) > int64(r.Len()) {
		return -1
	}
	r.Seek(int64((n+3)/4*4), 1)
	var uid uint32
	if binary.Read(r, binary.BigEndian, &uid) != nil {
		return -1
	}
	return int64(uid)
}

// changeFS adds billy.Change (chmod, chown, times) and hard links to osfs,
// all through an os.Root: a symlink is followed only while it stays inside
// the export.
type changeFS struct {
	billy.Filesystem
	root *os.Root
}

// rel turns a path as go-nfs gives it into one relative to the root.
func rel(name string) string {
	p := strings.TrimPrefix(filepath.Clean("/"+name), "/")
	if p == "" {
		return "."
	}
	return p
}

// The changes go through the os.Root, which never follows a symlink out of
// the export. os.Root opens each folder on the way, which fails in a folder
// its owner may not list (dagnfs's staging and objects, mode 0300): there
// they are made by path, every folder on the way checked not to be a
// symlink, and the file itself too where the call would follow one.
func (fs changeFS) Chmod(name string, mode os.FileMode) error {
	return fs.change("chmod", name, true, func() error { return fs.root.Chmod(rel(name), mode) },
		func(p string) error { return os.Chmod(p, mode) })
}

func (fs changeFS) Lchown(name string, uid, gid int) error {
	return fs.change("lchown", name, false, func() error { return fs.root.Lchown(rel(name), uid, gid) },
		func(p string) error { return os.Lchown(p, uid, gid) })
}

func (fs changeFS) Chown(name string, uid, gid int) error {
	return fs.change("chown", name, true, func() error { return fs.root.Chown(rel(name), uid, gid) },
		func(p string) error { return os.Chown(p, uid, gid) })
}

func (fs changeFS) Chtimes(name string, atime, mtime time.Time) error {
	return fs.change("chtimes", name, true, func() error { return fs.root.Chtimes(rel(name), atime, mtime) },
		func(p string) error { return os.Chtimes(p, atime, mtime) })
}

func (fs changeFS) Link(oldname, newname string) error {
	err := fs.root.Link(rel(oldname), rel(newname))
	if !errors.Is(err, os.ErrPermission) {
		return err
	}
	from, to, err := fs.insideBoth("link", oldname, newname)
	if err != nil {
		return err
	}
	return os.Link(from, to) // linkat: a symlink at from is linked as itself
}

// insideBoth is inside for the two names of a link or rename (neither
// followed if it is a symlink itself).
func (fs changeFS) insideBoth(op, a, b string) (string, string, error) {
	pa, err := fs.inside(op, a, false)
	if err != nil {
		return "", "", err
	}
	pb, err := fs.inside(op, b, false)
	return pa, pb, err
}

// change runs viaRoot, and where the os.Root was refused a folder on the
// way, direct on the checked path.
func (fs changeFS) change(op, name string, follows bool, viaRoot func() error, direct func(string) error) error {
	err := viaRoot()
	if !errors.Is(err, os.ErrPermission) {
		return err
	}
	p, ierr := fs.inside(op, name, follows)
	if ierr != nil {
		return ierr
	}
	return direct(p)
}

// inside is name's path on disk, provided no folder on the way (and, with
// final, not name itself) is a symlink.
func (fs changeFS) inside(op, name string, final bool) (string, error) {
	p := rel(name)
	check := func(q string) error {
		fi, err := os.Lstat(filepath.Join(fs.root.Name(), q))
		if err != nil {
			return err
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			return &os.PathError{Op: op, Path: p, Err: os.ErrPermission}
		}
		return nil
	}
	for dir := filepath.Dir(p); dir != "."; dir = filepath.Dir(dir) {
		if err := check(dir); err != nil {
			return "", err
		}
	}
	if final {
		if err := check(p); err != nil {
			return "", err
		}
	}
	return filepath.Join(fs.root.Name(), p), nil
}

// Rename renames a symlink as itself, never following it (osfs resolved
// it first, so a symlink that does not resolve from where it is, such as
// the one the generations layout renames over current, could not be
// renamed), in folders reached without a symlink.
func (fs changeFS) Rename(from, to string) error {
	a, b, err := fs.insideBoth("rename", from, to)
	if err != nil {
		return err
	}
	return os.Rename(a, b)
}

// squashedFS is the export as root sees it under root_squash: new files and
// folders belong to Nobody, and owners cannot be changed.
type squashedFS struct{ changeFS }

func (fs squashedFS) squash(name string) {
	if os.Geteuid() == 0 {
		_ = fs.root.Lchown(rel(name), Nobody, Nobody)
	}
}

func (fs squashedFS) Create(name string) (billy.File, error) {
	f, err := fs.changeFS.Create(name)
	if err == nil {
		fs.squash(name)
	}
	return f, err
}

func (fs squashedFS) OpenFile(name string, flag int, perm os.FileMode) (billy.File, error) {
	_, statErr := fs.changeFS.Lstat(name)
	f, err := fs.changeFS.OpenFile(name, flag, perm)
	if err == nil && flag&os.O_CREATE != 0 && errors.Is(statErr, os.ErrNotExist) {
		fs.squash(name)
	}
	return f, err
}

func (fs squashedFS) MkdirAll(name string, perm os.FileMode) error {
	_, statErr := fs.changeFS.Lstat(name)
	err := fs.changeFS.MkdirAll(name, perm)
	if err == nil && errors.Is(statErr, os.ErrNotExist) {
		fs.squash(name)
	}
	return err
}

func (fs squashedFS) Lchown(string, int, int) error { return os.ErrPermission }
func (fs squashedFS) Chown(string, int, int) error  { return os.ErrPermission }

// readOnlyFS refuses every change: go-nfs answers NFS3ERR_ROFS for a file
// system without the write capability.
type readOnlyFS struct{ billy.Filesystem }

func (readOnlyFS) Capabilities() billy.Capability {
	return billy.ReadCapability | billy.SeekCapability
}
