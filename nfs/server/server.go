package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/osfs"
	gonfs "github.com/willscott/go-nfs"
	"github.com/willscott/go-nfs/helpers"
)

var setLogger sync.Once

// Server is a running NFS server.
type Server struct {
	l    net.Listener
	done chan error
}

// Start serves dir on addr (e.g. "127.0.0.1:0").
func Start(dir, addr string) (*Server, error) {
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
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	setLogger.Do(func() { gonfs.SetLogger(quietLogger()) }) // a global of go-nfs: set once, not per server
	handler := helpers.NewCachingHandler(helpers.NewNullAuthHandler(changeFS{osfs.New(abs, osfs.WithBoundOS())}), 4096)
	s := &Server{l: l, done: make(chan error, 1)}
	go func() { s.done <- gonfs.Serve(l, handler) }()
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

// changeFS adds billy.Change (chmod, chown, times) and hard links to osfs.
type changeFS struct{ billy.Filesystem }

func (fs changeFS) abs(name string) string { return filepath.Join(fs.Root(), filepath.Clean("/"+name)) }

func (fs changeFS) Chmod(name string, mode os.FileMode) error { return os.Chmod(fs.abs(name), mode) }
func (fs changeFS) Lchown(name string, uid, gid int) error    { return os.Lchown(fs.abs(name), uid, gid) }
func (fs changeFS) Chown(name string, uid, gid int) error     { return os.Chown(fs.abs(name), uid, gid) }
func (fs changeFS) Chtimes(name string, atime, mtime time.Time) error {
	return os.Chtimes(fs.abs(name), atime, mtime)
}
func (fs changeFS) Link(oldname, newname string) error {
	return os.Link(fs.abs(oldname), fs.abs(newname))
}
