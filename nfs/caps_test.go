package nfs

import (
	"context"
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
			switch name {
			case "sub":
				assert.Equal(t, "gen/1/x", c.lchown[0])
			case "moved":
				assert.Equal(t, "x", c.lchown[0])
			case "sub of moved":
				assert.Equal(t, "b/a/x", c.lchown[0])
			}
		})
	}
	// Without the capability: nothing, and no error.
	bare := Sub(struct{ Dest }{l}, "x")
	assert.Zero(t, Calls(bare))
	assert.NoError(t, Lchown(ctx, bare, "y", 1, 2))
}
