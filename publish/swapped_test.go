package publish

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dagnfs/dagnfs/internal/srcfile"
	"github.com/dagnfs/dagnfs/validate"
)

// A source file swapped for a symlink to a file of the publisher's while
// it is published never gets that file's bytes onto the export: files are
// opened as the walk saw them (issue 20). A racing writer swaps f1000.py
// between a regular file and a symlink to a secret, through 25 publishes
// of 2,000 files; no byte of the secret may reach the export, and a run
// that notices says which file changed.
func TestSwappedSourceNeverLeaks(t *testing.T) {
	ctx := context.Background()
	dir, d := localDest(t)
	src := t.TempDir()
	secretDir := t.TempDir()
	secret := []byte("SECRET-" + string(bytes.Repeat([]byte("s"), 200)))
	secretFile := filepath.Join(secretDir, "shadow")
	require.NoError(t, os.WriteFile(secretFile, secret, 0o600))
	files := map[string]string{}
	for i := range 2000 {
		files[fmt.Sprintf("d%02d/f%04d.py", i%20, i)] = fmt.Sprintf("x = %d\n", i)
	}
	writeTree(t, src, files)
	victim := filepath.Join(src, "d00/f1000.py")
	regular := []byte("x = 1000\n# ok\n")

	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	tmp := filepath.Join(t.TempDir(), "swap") // made outside the source, renamed in
	go func() {
		defer wg.Done()
		for i := 0; !stop.Load(); i++ {
			if i%2 == 0 {
				_ = os.Symlink(secretFile, tmp)
			} else {
				_ = os.WriteFile(tmp, regular, 0o644)
			}
			_ = os.Rename(tmp, victim)
		}
	}()
	changed := 0
	for run := range 25 {
		o := opts(src, d)
		o.Source.Validate = validate.Options{Python: "none"}
		o.Label = fmt.Sprintf("run %d", run)
		_, err := Publish(ctx, o)
		var sce *srcfile.ChangedError
		switch {
		case err == nil:
		case errors.As(err, &sce):
			changed++
			assert.Equal(t, "d00/f1000.py", sce.Rel)
		default:
			// the walk itself may see the symlink and refuse it (leading
			// out of the source): also nothing published
			assert.Contains(t, err.Error(), "f1000.py", "run %d", run)
		}
	}
	stop.Store(true)
	wg.Wait()
	t.Logf("%d of 25 runs noticed the swap while they read the file", changed)
	require.NoError(t, filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		assert.False(t, bytes.Contains(b, []byte("SECRET-")), "the secret reached the export: %s", p)
		return nil
	}))
}
