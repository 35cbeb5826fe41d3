package nfs_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dagnfs/dagnfs/nfs"
)

// Nothing planted on a folder destination leads an operation elsewhere: a
// symlink in any component is refused, for reads and writes alike, even
// when it points inside the folder.
func TestLocalNeverFollowsSymlinks(t *testing.T) {
	dir, outside := t.TempDir(), t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(outside, "secret"), []byte("s"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "hotfix.py"), []byte("placed by hand"), 0o644))
	require.NoError(t, os.Symlink(outside, filepath.Join(dir, "out")))
	require.NoError(t, os.Symlink(".", filepath.Join(dir, "lnk")))
	require.NoError(t, os.Symlink(filepath.Join(outside, "secret"), filepath.Join(dir, "file-link")))
	d, err := nfs.OpenLocal(dir)
	require.NoError(t, err)
	defer d.Close()
	ctx := context.Background()

	for _, name := range []string{"out/secret", "lnk/hotfix.py"} {
		_, err := d.ReadFile(ctx, name, 100)
		assert.ErrorIs(t, err, nfs.ErrSymlink, name)
		assert.ErrorIs(t, d.Remove(ctx, name), nfs.ErrSymlink, name)
		_, err = d.SetAttr(ctx, name, nfs.Attr{Mode: 0o777, UID: -1, GID: -1})
		assert.ErrorIs(t, err, nfs.ErrSymlink, name)
		_, err = d.Create(ctx, filepath.Dir(name)+"/new", 0o644)
		assert.ErrorIs(t, err, nfs.ErrSymlink, name)
		assert.ErrorIs(t, d.Rename(ctx, "hotfix.py", name), nfs.ErrSymlink, name)
	}
	_, err = d.ReadFile(ctx, "file-link", 100)
	assert.ErrorIs(t, err, nfs.ErrNotRegular, "a final symlink is not opened either")
	_, err = d.SetAttr(ctx, "file-link", nfs.Attr{Mode: 0o777, UID: -1, GID: -1})
	assert.ErrorIs(t, err, nfs.ErrSymlink)

	fi, err := os.Stat(filepath.Join(outside, "secret"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "nothing outside changed")
	b, err := os.ReadFile(filepath.Join(dir, "hotfix.py"))
	require.NoError(t, err)
	assert.Equal(t, "placed by hand", string(b), "nothing inside was reached through the link")
}

// A FIFO where a file is expected (a planted lock) is refused at once, not
// waited on.
func TestLocalRefusesFIFOWithoutBlocking(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "lock"), 0o644))
	d, err := nfs.OpenLocal(dir)
	require.NoError(t, err)
	defer d.Close()
	done := make(chan error, 1)
	go func() { _, err := d.ReadFile(context.Background(), "lock", 100); done <- err }()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, nfs.ErrNotRegular)
	case <-time.After(5 * time.Second):
		t.Fatal("reading a FIFO blocked")
	}
}
