package server_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dagnfs/dagnfs/nfs"
	"github.com/dagnfs/dagnfs/nfs/nfstest"
	"github.com/dagnfs/dagnfs/nfs/server"
)

func dial(t *testing.T, url string, uid uint32) (*nfs.Remote, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := nfs.Dial(ctx, url, nfs.Options{UID: uid, GID: uid, Timeout: 5 * time.Second, Retries: -1})
	if err == nil {
		t.Cleanup(func() { r.Close() })
	}
	return r, err
}

// A client cannot change anything outside the export, not even through a
// symlink inside it that points out.
func TestServeConfined(t *testing.T) {
	dir, s := nfstest.Server(t)
	outside := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(outside, []byte("s"), 0o600))
	require.NoError(t, os.Symlink(outside, filepath.Join(dir, "link")))
	require.NoError(t, os.Symlink(filepath.Dir(outside), filepath.Join(dir, "dirlink")))
	r, err := dial(t, s.URL(), 0)
	require.NoError(t, err)
	ctx := context.Background()

	_, err = r.SetAttr(ctx, "link", nfs.Attr{Mode: 0o666, UID: -1, GID: -1})
	assert.Error(t, err, "chmod through a symlink out of the export")
	// chown changes the link itself (lchown), never what it points at.
	_, _ = r.SetAttr(ctx, "link", nfs.Attr{Mode: 0o777, UID: 12345, GID: 12345})
	_, err = r.Stat(ctx, "dirlink/secret")
	assert.Error(t, err, "a folder symlink out of the export is not a way in")
	assert.Error(t, r.Link(ctx, "link", "hard"), "no hard link to what a symlink points at outside")

	fi, err := os.Stat(outside)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o600), fi.Mode().Perm(), "the outside file is unchanged")
	assert.Equal(t, uint32(os.Geteuid()), fi.Sys().(*syscall.Stat_t).Uid, "and keeps its owner")
	b, err := os.ReadFile(outside)
	require.NoError(t, err)
	assert.Equal(t, "s", string(b))
}

func TestServeUnknownPathIsAnError(t *testing.T) {
	dir, s := nfstest.Server(t)
	require.NoError(t, os.Mkdir(filepath.Join(dir, "dags"), 0o755))
	_, err := dial(t, s.URL()+"does/not/exist", 50000)
	assert.ErrorIs(t, err, fs.ErrNotExist, "not the export root in its place")
	r, err := dial(t, s.URL()+"dags", 50000)
	require.NoError(t, err)
	require.NoError(t, nfs.WriteFile(context.Background(), r, "t.tmp", "a.py", []byte("x"), nfs.Attr{Mode: 0o644, UID: -1, GID: -1}))
	_, err = os.Stat(filepath.Join(dir, "dags", "a.py"))
	assert.NoError(t, err, "a folder inside the export is reached by its path")
}

func TestServeReadOnly(t *testing.T) {
	dir, s := nfstest.ServerWith(t, server.Options{ReadOnly: true})
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.py"), []byte("x"), 0o644))
	r, err := dial(t, s.URL(), 50000)
	require.NoError(t, err)
	ctx := context.Background()
	b, err := r.ReadFile(ctx, "a.py", 10)
	require.NoError(t, err)
	assert.Equal(t, "x", string(b))
	_, err = r.Create(ctx, "b.py", 0o644)
	assert.ErrorIs(t, err, nfs.StatusROFS)
	assert.ErrorIs(t, r.Remove(ctx, "a.py"), nfs.StatusROFS)
	assert.Error(t, r.Mkdir(ctx, "d", 0o755))
	ok, err := r.CanWrite(ctx, "")
	require.NoError(t, err)
	assert.False(t, ok, "ACCESS says the export is not writable")
}

func TestServeRootSquash(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("root squash is simulated by chowning to nobody: run this test as root (make test does)")
	}
	dir, s := nfstest.ServerWith(t, server.Options{RootSquash: true})
	ctx := context.Background()
	root, err := dial(t, s.URL(), 0)
	require.NoError(t, err)
	require.NoError(t, nfs.WriteFile(ctx, root, "t.tmp", "by-root.py", []byte("x"), nfs.Attr{Mode: 0o644, UID: -1, GID: -1}))
	fi, err := os.Stat(filepath.Join(dir, "by-root.py"))
	require.NoError(t, err)
	assert.Equal(t, uint32(server.Nobody), fi.Sys().(*syscall.Stat_t).Uid, "root's file belongs to nobody")
	_, err = root.SetAttr(ctx, "by-root.py", nfs.Attr{Mode: 0o644, UID: 50000, GID: 50000})
	assert.ErrorIs(t, err, fs.ErrPermission, "a squashed root cannot chown")

	// Without squash, root's files are the server's (root).
	dir2, s2 := nfstest.Server(t)
	root2, err := dial(t, s2.URL(), 0)
	require.NoError(t, err)
	require.NoError(t, nfs.WriteFile(ctx, root2, "t.tmp", "by-root.py", []byte("x"), nfs.Attr{Mode: 0o644, UID: -1, GID: -1}))
	fi, err = os.Stat(filepath.Join(dir2, "by-root.py"))
	require.NoError(t, err)
	assert.Equal(t, uint32(0), fi.Sys().(*syscall.Stat_t).Uid)
}

// Handles stay valid however many files the export holds (the handle cache
// of go-nfs's helper used to hold 4,096): a file opened first can still be
// read after 6,000 more handles were handed out.
func TestServeManyHandles(t *testing.T) {
	dir, s := nfstest.Server(t)
	const n = 6000
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))
	for i := range n {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "sub", fmt.Sprintf("f%05d.py", i)), []byte("x"), 0o644))
	}
	r, err := dial(t, s.URL(), 50000) // no retries: a stale handle is an error
	require.NoError(t, err)
	ctx := context.Background()
	first, err := r.Open(ctx, "sub/f00000.py")
	require.NoError(t, err)
	defer first.Close()
	for i := 1; i < n; i++ {
		_, err := r.Stat(ctx, fmt.Sprintf("sub/f%05d.py", i))
		require.NoError(t, err)
	}
	b, err := io.ReadAll(first)
	require.NoError(t, err, "the first handle is still valid")
	assert.Equal(t, "x", string(b))
}

// Over NFS too, a path through a symlink on the export is refused
// (ErrSymlink), for deletes and writes alike.
func TestRemoteRefusesSymlinkedPaths(t *testing.T) {
	dir, s := nfstest.Server(t)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "hotfix.py"), []byte("by hand"), 0o644))
	require.NoError(t, os.Symlink(".", filepath.Join(dir, "lnk")))
	r, err := dial(t, s.URL(), 50000)
	require.NoError(t, err)
	ctx := context.Background()
	assert.ErrorIs(t, r.Remove(ctx, "lnk/hotfix.py"), nfs.ErrSymlink)
	_, err = r.Create(ctx, "lnk/new.py", 0o644)
	assert.ErrorIs(t, err, nfs.ErrSymlink)
	_, err = r.Stat(ctx, "lnk/hotfix.py")
	assert.ErrorIs(t, err, nfs.ErrSymlink)
	b, err := os.ReadFile(filepath.Join(dir, "hotfix.py"))
	require.NoError(t, err)
	assert.Equal(t, "by hand", string(b))
}

// LINK is answered at once with "procedure unavailable" (the client copies
// instead): go-nfs decodes LINK's arguments as SYMLINK's and allocated a
// length read from the file name, about 1 GiB for the name of a kept object
// (.dagnfs/objects/SHA256), which stalled the server for seconds. The
// connection goes on serving.
func TestServeLinkIsUnavailable(t *testing.T) {
	dir, s := nfstest.Server(t)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.txt"), []byte("a"), 0o644))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "objects"), 0o755))
	r, err := dial(t, s.URL(), uint32(os.Getuid()))
	require.NoError(t, err)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	for range 3 {
		err = r.Link(context.Background(), "a.txt", "objects/f09a37d9c23e3e7ebc363e1d4c16cf3118cdd67749204aaa9340c34f7802cf75")
		assert.ErrorIs(t, err, errors.ErrUnsupported)
	}
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	assert.Less(t, took, time.Second)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(16<<20), "allocated for three LINK calls")
	b, err := r.ReadFile(context.Background(), "a.txt", 10)
	require.NoError(t, err)
	assert.Equal(t, "a", string(b))
	_, err = os.Lstat(filepath.Join(dir, "objects/f09a37d9c23e3e7ebc363e1d4c16cf3118cdd67749204aaa9340c34f7802cf75"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

// A folder is listed in pages as large as the server reads (up to 1 MiB):
// 10,000 entries cost a few READDIRPLUS calls, not thirty (issue 21: the
// no-op republish of one folder of 10,000 files made 122 calls, 80 of
// them listing).
func TestListingInLargePages(t *testing.T) {
	dir, s := nfstest.Server(t)
	for i := range 10000 {
		require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("dag_%05d.py", i)), nil, 0o644))
	}
	r, err := dial(t, s.URL(), uint32(os.Getuid()))
	require.NoError(t, err)
	before := r.Calls()
	entries, err := r.ReadDir(context.Background(), "")
	require.NoError(t, err)
	assert.Len(t, entries, 10000)
	assert.LessOrEqual(t, r.Calls()-before, int64(6), "calls to list 10,000 entries (79 in 64 KiB pages)")
}
