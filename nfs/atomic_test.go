package nfs_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dagnfs/dagnfs/nfs"
)

// lostReply renames for real but reports a failure, as a RENAME whose reply
// was lost and whose retry answered NOENT.
type lostReply struct {
	nfs.Dest
	fail bool
}

func (d *lostReply) Rename(ctx context.Context, from, to string) error {
	if err := d.Dest.Rename(ctx, from, to); err != nil {
		return err
	}
	if d.fail {
		return &os.PathError{Op: "rename", Path: from, Err: os.ErrNotExist}
	}
	return nil
}

func TestCommitChecksALostRenameReply(t *testing.T) {
	dir := t.TempDir()
	local, err := nfs.OpenLocal(dir)
	require.NoError(t, err)
	defer local.Close()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "staging"), 0o700))
	d := &lostReply{Dest: local, fail: true}
	ctx := context.Background()

	require.NoError(t, nfs.WriteFile(ctx, d, "staging/1.tmp", "dag.py", []byte("x = 1\n"), nfs.Attr{Mode: 0o644, UID: -1, GID: -1}),
		"the rename happened: the final name holds the temporary file")
	b, err := os.ReadFile(filepath.Join(dir, "dag.py"))
	require.NoError(t, err)
	assert.Equal(t, "x = 1\n", string(b))

	// A rename that really failed is still an error.
	p, err := nfs.NewPending(ctx, local, "staging/2.tmp", "missing/dag.py", nfs.Attr{Mode: 0o644, UID: -1, GID: -1})
	require.NoError(t, err)
	defer p.Cleanup(ctx)
	_, err = p.Write([]byte("y"))
	require.NoError(t, err)
	require.NoError(t, p.Seal(ctx))
	err = p.Commit(ctx)
	assert.True(t, errors.Is(err, os.ErrNotExist), "got %v", err)
}
