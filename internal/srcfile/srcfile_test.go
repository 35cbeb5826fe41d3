package srcfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func seen(t *testing.T, content []byte) (File, string) {
	t.Helper()
	root, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	p := filepath.Join(root, "big.bin")
	require.NoError(t, os.WriteFile(p, content, 0o644))
	info, err := os.Stat(p)
	require.NoError(t, err)
	f, ok := Seen(root, p, "big.bin", info)
	require.True(t, ok)
	return f, p
}

// A file whose bytes change while it is read, its size staying the same,
// is an error at its end: a publish that hashes a file as it sends it must
// not record a sum of bytes that were never one version of the file.
func TestWrittenWhileReadIsChanged(t *testing.T) {
	content := make([]byte, 1<<20)
	f, p := seen(t, content)

	r, err := f.Open()
	require.NoError(t, err)
	defer r.Close()
	half := make([]byte, len(content)/2)
	_, err = io.ReadFull(r, half)
	require.NoError(t, err)

	w, err := os.OpenFile(p, os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = w.WriteAt([]byte("changed"), int64(len(content)-100))
	require.NoError(t, err)
	require.NoError(t, w.Close())

	_, err = io.Copy(io.Discard, r)
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrChanged), "%v", err)
	assert.Contains(t, err.Error(), "written to while it was read")
	assert.Contains(t, err.Error(), "big.bin")
}

// An unchanged file reads whole, with no error.
func TestUnchangedReadsWhole(t *testing.T) {
	content := []byte("x = 1\n")
	f, _ := seen(t, content)
	b, err := f.ReadAll()
	require.NoError(t, err)
	assert.Equal(t, content, b)
}
