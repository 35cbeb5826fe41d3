package nfs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A file of one folder linked into another of the same file system: the
// pending file is that very file, committed by a rename; a file changed
// since it was checked, or one whose mode the publish would change, is not
// linked (ErrUnsupported, nothing left behind); folders of different kinds
// are not linked at all.
func TestLinkAcross(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	for _, d := range []string{"from", "to/staging"} {
		require.NoError(t, os.MkdirAll(filepath.Join(root, d), 0o755))
	}
	require.NoError(t, os.WriteFile(filepath.Join(root, "from", "a.py"), []byte("x = 1\n"), 0o644))
	from, err := OpenLocal(filepath.Join(root, "from"))
	require.NoError(t, err)
	defer from.Close()
	to, err := OpenLocal(filepath.Join(root, "to"))
	require.NoError(t, err)
	defer to.Close()
	checked, err := from.Stat(ctx, "a.py")
	require.NoError(t, err)
	link := func(ctx context.Context) error { return LinkAcross(ctx, from, "a.py", to, "staging/t1") }
	attr := Attr{Mode: 0o644, UID: -1, GID: -1}

	p, err := LinkedPending(ctx, to, "staging/t1", "a.py", attr, checked, "sum", link)
	require.NoError(t, err)
	assert.Equal(t, "sum", p.Sum())
	require.NoError(t, p.Commit(ctx))
	a, err := os.Stat(filepath.Join(root, "from", "a.py"))
	require.NoError(t, err)
	b, err := os.Stat(filepath.Join(root, "to", "a.py"))
	require.NoError(t, err)
	assert.True(t, os.SameFile(a, b))

	// The mode this publish sets differs: not linked, nothing left.
	_, err = LinkedPending(ctx, to, "staging/t2", "b.py", Attr{Mode: 0o444, UID: -1, GID: -1}, checked, "sum",
		func(ctx context.Context) error { return LinkAcross(ctx, from, "a.py", to, "staging/t2") })
	assert.ErrorIs(t, err, errors.ErrUnsupported)
	assert.NoFileExists(t, filepath.Join(root, "to", "staging", "t2"))

	// Changed since it was checked: not linked.
	later := time.Now().Add(time.Hour)
	require.NoError(t, os.Chtimes(filepath.Join(root, "from", "a.py"), later, later))
	_, err = LinkedPending(ctx, to, "staging/t3", "c.py", attr, checked, "sum",
		func(ctx context.Context) error { return LinkAcross(ctx, from, "a.py", to, "staging/t3") })
	assert.ErrorIs(t, err, errors.ErrUnsupported)
	assert.NoFileExists(t, filepath.Join(root, "to", "staging", "t3"))

	// Through a folder of a destination (Sub), as the generations layout
	// writes: the same link.
	require.NoError(t, os.MkdirAll(filepath.Join(root, "to", "gen"), 0o755))
	require.NoError(t, LinkAcross(ctx, from, "a.py", Sub(to, "gen"), "a.py"))
	c, err := os.Stat(filepath.Join(root, "to", "gen", "a.py"))
	require.NoError(t, err)
	assert.True(t, os.SameFile(a, c))

	// Another kind of destination: never linked.
	assert.ErrorIs(t, LinkAcross(ctx, from, "a.py", otherDest{to}, "x.py"), errors.ErrUnsupported)
}

// otherDest is a destination LinkAcross does not know.
type otherDest struct{ Dest }
