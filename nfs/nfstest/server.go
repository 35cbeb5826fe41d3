package nfstest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dagnfs/dagnfs/nfs"
	"github.com/dagnfs/dagnfs/nfs/server"
)

// Server starts the in-process NFS server on a new temporary folder and
// returns the folder and the server; both go away when the test ends.
func Server(t testing.TB) (dir string, s *server.Server) {
	t.Helper()
	return ServerWith(t, server.Options{})
}

// ServerWith is Server with options (read-only, root squash).
func ServerWith(t testing.TB, o server.Options) (dir string, s *server.Server) {
	t.Helper()
	dir = t.TempDir()
	s, err := server.Start(dir, "127.0.0.1:0", o)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return dir, s
}

// Dial connects to url with short timeouts and closes it when the test ends.
func Dial(t testing.TB, url string) *nfs.Remote {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := nfs.Dial(ctx, url, nfs.Options{UID: 50000, GID: 50000, Timeout: 5 * time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { r.Close() })
	return r
}
