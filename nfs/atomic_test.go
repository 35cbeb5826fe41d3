package nfs_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"

	"github.com/dagnfs/dagnfs/nfs"
	"github.com/dagnfs/dagnfs/nfs/nfstest"
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

// The shared cleanup budget starts when the run ends in failure, not when
// one step of a run that goes on is tidied up: a lock released after a long
// run still has its whole budget.
func TestCleanupBudgetStartsAtTheEnd(t *testing.T) {
	run, cancelRun := context.WithCancel(context.Background())
	ctx, stop := nfs.WithCleanup(run)
	defer stop()
	step, done := nfs.CleanupContext(ctx) // a failed step mid-run
	_, hasDeadline := step.Deadline()
	assert.True(t, hasDeadline, "a step's cleanup is bounded too")
	done()
	require.NoError(t, ctx.Err(), "ending one step's cleanup does not end the run")
	stepAt := time.Now()
	time.Sleep(50 * time.Millisecond)
	cancelRun() // the run ends
	end, endDone := nfs.CleanupContext(ctx)
	defer endDone()
	dl, ok := end.Deadline()
	require.True(t, ok)
	assert.True(t, dl.After(stepAt.Add(nfs.CleanupBudget)), "the end's budget began at the end: %v", dl.Sub(stepAt))
	require.NoError(t, end.Err(), "not cancelled with the run")
	again, againDone := nfs.CleanupContext(ctx)
	defer againDone()
	dl2, _ := again.Deadline()
	assert.Equal(t, dl, dl2, "every cleanup of the end shares one budget")
}

// Files streamed at once, of sizes on both sides of a WRITE's size, each
// arrive whole with the sum of what was sent, though their WRITE buffers
// come from one pool, go out several at a time and are sent without a copy
// (writev): a buffer handed back while a WRITE still used it would mix
// files.
func TestStreamedFilesAreWhole(t *testing.T) {
	dir, s := nfstest.Server(t)
	d := nfstest.Dial(t, s.URL())
	ctx := context.Background()
	sizes := []int{0, 1, 4095, 64 << 10, 1<<20 - 1, 1 << 20, 1<<20 + 1, 3<<20 + 7, 5 << 20}
	var g errgroup.Group
	for round := range 3 {
		for i, n := range sizes {
			g.Go(func() error {
				data := make([]byte, n)
				for j := range data {
					data[j] = byte(j*31 + i*7 + round)
				}
				name := fmt.Sprintf("f%d-%d.bin", round, i)
				p, err := nfs.NewPending(ctx, d, name+".tmp", name, nfs.Attr{Mode: 0o644, UID: -1, GID: -1})
				if err != nil {
					return err
				}
				if _, err := nfs.Stream(p, bytes.NewReader(data)); err != nil {
					return err
				}
				if err := p.Seal(ctx); err != nil {
					return err
				}
				if err := p.Commit(ctx); err != nil {
					return err
				}
				sum := sha256.Sum256(data)
				if p.Sum() != hex.EncodeToString(sum[:]) {
					return fmt.Errorf("%s: sum %s of what was sent is not the data's", name, p.Sum())
				}
				got, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					return err
				}
				if !bytes.Equal(got, data) {
					return fmt.Errorf("%s: %d bytes on the server, not the %d sent", name, len(got), len(data))
				}
				return nil
			})
		}
	}
	require.NoError(t, g.Wait())
}

// failingCommit is a destination whose files cannot be made durable: every
// writer's Commit fails.
type failingCommit struct{ nfs.Dest }

type failingWriter struct{ nfs.Writer }

func (failingWriter) Commit(context.Context) (nfs.FileInfo, error) {
	return nfs.FileInfo{}, errors.New("no space left")
}

func (d failingCommit) Create(ctx context.Context, name string, mode os.FileMode) (nfs.Writer, error) {
	w, err := d.Dest.Create(ctx, name, mode)
	return failingWriter{w}, err
}

// A file that cannot be sealed is an error, and nothing takes its final
// name or stays under its temporary one.
func TestWriteFileReportsSealFailures(t *testing.T) {
	dir := t.TempDir()
	local, err := nfs.OpenLocal(dir)
	require.NoError(t, err)
	defer local.Close()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "staging"), 0o700))
	ctx := context.Background()
	err = nfs.WriteFile(ctx, failingCommit{local}, "staging/1.tmp", "dag.py", []byte("x = 1\n"), nfs.Attr{Mode: 0o644, UID: -1, GID: -1})
	assert.ErrorContains(t, err, "no space left")
	_, err = os.Stat(filepath.Join(dir, "dag.py"))
	assert.ErrorIs(t, err, os.ErrNotExist)
	left, err := os.ReadDir(filepath.Join(dir, "staging"))
	require.NoError(t, err)
	assert.Empty(t, left)
}
