package verify

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dagnfs/dagnfs/bundle"
	"github.com/dagnfs/dagnfs/layout"
	"github.com/dagnfs/dagnfs/nfs"
	"github.com/dagnfs/dagnfs/publish"
	"github.com/dagnfs/dagnfs/validate"
)

// verify in the manifest-bundle layout checks the reference, the
// snapshot's manifest and every file of the released version, and names
// a changed snapshot file.
func TestVerifyBundle(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d, err := nfs.OpenLocal(dir)
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })
	src := t.TempDir()
	writeTree(t, src, map[string]string{"a.py": dagA, "team/b.sql": "select 1"})
	res, err := publish.Publish(ctx, publish.Options{Source: publish.Source{Dir: src, Validate: validate.Options{Python: "none"}},
		Dest: d, Owner: publish.Owner{UID: 50000, GID: 50000}, Layout: layout.ManifestBundle, Bundle: "b1"})
	require.NoError(t, err)
	o := opts()
	o.LocalPath = dir
	bd := layout.ForBundle(d, "b1") // the bundle's records in the published root
	r, err := Verify(ctx, bd, o)
	require.NoError(t, err)
	assert.True(t, r.OK, "%v", r.Findings)
	assert.Equal(t, layout.ManifestBundle, r.Layout)
	assert.Equal(t, res.Version, r.Version)
	assert.Equal(t, 2, r.Files)

	// A snapshot file changed by hand.
	snap := filepath.Join(dir, filepath.FromSlash(bundle.VersionDir("b1", res.Version)))
	require.NoError(t, os.Chmod(filepath.Join(snap, "team"), 0o755))
	require.NoError(t, os.Chmod(filepath.Join(snap, "team/b.sql"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(snap, "team/b.sql"), []byte("select 2"), 0o444))
	r, err = Verify(ctx, bd, o)
	require.NoError(t, err)
	assert.False(t, r.OK)
	assert.Contains(t, rules(r)[RuleContent], "team/b.sql")

	// A reference naming something else.
	require.NoError(t, os.WriteFile(filepath.Join(dir, bundle.RefPath("b1")), []byte(`{"schema_version":1}`), 0o644))
	r, err = Verify(ctx, bd, o)
	require.NoError(t, err)
	assert.False(t, r.OK)
	assert.Contains(t, rules(r), RuleReference)
}
