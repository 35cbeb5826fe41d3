package nfs

import (
	"context"
	"io/fs"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// capable is a destination with every optional capability, recording what
// reached it.
type capable struct {
	*Local
	flushed int
	keep    []bool
	lchown  []string
	fresh   []string
	renamed []RenamePair
	near    []string
}

func (c *capable) Near(_ context.Context, u *URL) (Dest, error) {
	c.near = append(c.near, u.Path)
	return c.Local, nil
}

func (c *capable) CreateFresh(ctx context.Context, name string, mode fs.FileMode) (Writer, error) {
	c.fresh = append(c.fresh, name)
	return c.Local.Create(ctx, name, mode)
}

func (c *capable) RenameAll(_ context.Context, pairs []RenamePair) (int, error) {
	c.renamed = append(c.renamed, pairs...)
	return len(pairs), nil
}

func (c *capable) Flush(context.Context) error { c.flushed++; return nil }
func (c *capable) Calls() int64                { return 42 }
func (c *capable) KeepListedHandles(on bool)   { c.keep = append(c.keep, on) }
func (c *capable) Lchown(_ context.Context, name string, _, _ int) error {
	c.lchown = append(c.lchown, name)
	return nil
}

// Every optional capability reaches the destination through every
// wrapper, with the wrapper's names rewritten; a destination without one
// is left alone (Lchown: nothing to do).
func TestWrappersForwardCapabilities(t *testing.T) {
	l, err := OpenLocal(t.TempDir())
	require.NoError(t, err)
	defer l.Close()
	c := &capable{Local: l}
	ctx := context.Background()
	for name, d := range map[string]Dest{
		"sub":          Sub(c, "gen/1"),
		"moved":        Moved(c, "a", "b/a"),
		"sub of moved": Sub(Moved(c, "a", "b/a"), "a"),
	} {
		t.Run(name, func(t *testing.T) {
			*c = capable{Local: l}
			assert.Equal(t, int64(42), Calls(d))
			KeepListedHandles(d, true)
			KeepListedHandles(d, false)
			assert.Equal(t, []bool{true, false}, c.keep)
			require.NoError(t, Flush(ctx, d))
			assert.Equal(t, 1, c.flushed)
			require.NoError(t, Lchown(ctx, d, "x", 1, 2))
			require.Len(t, c.lchown, 1)
			w, err := CreateFresh(ctx, d, "x.tmp", 0o644)
			if err == nil {
				w.Close()
			}
			require.Len(t, c.fresh, 1)
			n, err := RenameAll(ctx, d, []RenamePair{{"x.tmp", "x"}})
			require.NoError(t, err)
			assert.Equal(t, 1, n)
			require.Len(t, c.renamed, 1)
			want := map[string]string{"sub": "gen/1/", "moved": "", "sub of moved": "b/a/"}[name]
			assert.Equal(t, want+"x", c.lchown[0])
			assert.Equal(t, want+"x.tmp", c.fresh[0])
			assert.Equal(t, RenamePair{want + "x.tmp", want + "x"}, c.renamed[0])
			up, err := ParseLocation("nfs://h/srv")
			require.NoError(t, err)
			_, err = OpenNear(ctx, d, up, nil)
			require.NoError(t, err)
			assert.Equal(t, []string{"/srv"}, c.near, "a server's path, as given")
		})
	}
	// Without the capability: nothing, and no error.
	bare := Sub(struct{ Dest }{l}, "x")
	assert.Zero(t, Calls(bare))
	assert.NoError(t, Lchown(ctx, bare, "y", 1, 2))
}
