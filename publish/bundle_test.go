package publish

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dagnfs/dagnfs/bundle"
	"github.com/dagnfs/dagnfs/layout"
)

type consumed struct {
	Version string `json:"version"`
	Files   int    `json:"files"`
	Error   string `json:"error"`
}

// consume runs the format's consumer (bundle/testdata/consumer.py, written
// from the format's facts) on a published root.
func consume(t *testing.T, root, name string, args ...string) consumed {
	t.Helper()
	py, err := exec.LookPath("python3")
	require.NoError(t, err, "python3 runs the bundle's consumer (make deps installs it)")
	out, _ := exec.Command(py, append([]string{"../bundle/testdata/consumer.py", root, name}, args...)...).Output()
	var c consumed
	require.NoError(t, json.Unmarshal(out, &c), "consumer said %q", out)
	return c
}

func refOf(t *testing.T, root, name string) *bundle.Reference {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, bundle.RefPath(name)))
	require.NoError(t, err)
	r, err := bundle.ParseReference(b, name)
	require.NoError(t, err)
	return r
}

// The manifest-bundle layout: every version a read-only snapshot the
// format's consumer accepts, the reference written last, the same content
// no new version, unchanged files hard links where the destination has
// them, earlier versions readable as they were, a changed snapshot an
// error that names the file.
func TestManifestBundleLayout(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		ctx := context.Background()
		root := tg.dir
		src := t.TempDir()
		writeTree(t, src, map[string]string{"etl.py": dagA, "team/b.py": dagB, "bin/run.sh": "#!/bin/sh\n"})
		require.NoError(t, os.Chmod(filepath.Join(src, "bin/run.sh"), 0o755))
		o := opts(src, tg.dest)
		o.Layout, o.Bundle = layout.ManifestBundle, "team-a"

		res, err := Publish(ctx, o)
		require.NoError(t, err)
		assert.Equal(t, layout.ManifestBundle, res.Layout)
		v1 := refOf(t, root, "team-a").Version
		got := consume(t, root, "team-a", "refresh")
		require.Empty(t, got.Error)
		assert.Equal(t, v1, got.Version)
		assert.Equal(t, 3, got.Files)
		snap := filepath.Join(root, filepath.FromSlash(bundle.VersionDir("team-a", v1)))
		for name, mode := range map[string]os.FileMode{"": 0o555, "team": 0o555, "etl.py": 0o444, "bin/run.sh": 0o555, bundle.ManifestName: 0o444} {
			fi, err := os.Stat(filepath.Join(snap, name))
			require.NoError(t, err)
			assert.Equal(t, mode, fi.Mode().Perm(), "read-only snapshot: %q", name)
		}
		assert.Equal(t, v1, manifestOnDisk(t, root).Version)

		// The same content again: no new version, the reference as it was.
		refBefore, err := os.Stat(filepath.Join(root, bundle.RefPath("team-a")))
		require.NoError(t, err)
		res, err = Publish(ctx, o)
		require.NoError(t, err)
		assert.Equal(t, res.Previous, res.Generation)
		refAfter, err := os.Stat(filepath.Join(root, bundle.RefPath("team-a")))
		require.NoError(t, err)
		assert.Equal(t, refBefore.ModTime(), refAfter.ModTime(), "the reference is left as it is")

		// A change: a new version; the unchanged files are the same inodes
		// where the destination links; v1 stays readable, pinned.
		writeTree(t, src, map[string]string{"etl.py": dagA + "# v2\n"})
		_, err = Publish(ctx, o)
		require.NoError(t, err)
		v2 := refOf(t, root, "team-a").Version
		require.NotEqual(t, v1, v2)
		assert.Equal(t, v2, consume(t, root, "team-a", "refresh").Version)
		assert.Equal(t, v1, consume(t, root, "team-a", "pinned", v1).Version)
		snap2 := filepath.Join(root, filepath.FromSlash(bundle.VersionDir("team-a", v2)))
		if tg.name == "local" {
			a, err := os.Stat(filepath.Join(snap, "team/b.py"))
			require.NoError(t, err)
			b, err := os.Stat(filepath.Join(snap2, "team/b.py"))
			require.NoError(t, err)
			assert.Equal(t, a.Sys().(*syscall.Stat_t).Ino, b.Sys().(*syscall.Stat_t).Ino, "an unchanged file is a hard link")
		}

		// A rollback releases v1 again: the reference only, nothing copied.
		res, err = Rollback(ctx, opts("", tg.dest), 1)
		require.NoError(t, err)
		assert.Equal(t, v1, res.Version)
		assert.Equal(t, v1, consume(t, root, "team-a", "refresh").Version)
		assert.Equal(t, "rollback", manifestOnDisk(t, root).Action)
		_, err = Publish(ctx, o) // and the source again
		require.NoError(t, err)
		assert.Equal(t, v2, consume(t, root, "team-a", "refresh").Version, "the kept snapshot of the same content, no new one")

		// A file gone from the source is not in the next version.
		require.NoError(t, os.Remove(filepath.Join(src, "team/b.py")))
		_, err = Publish(ctx, o)
		require.NoError(t, err)
		v3 := refOf(t, root, "team-a").Version
		assert.Equal(t, 2, consume(t, root, "team-a", "refresh").Files)
		assert.Equal(t, v2, consume(t, root, "team-a", "pinned", v2).Version, "v2 keeps it")

		// A snapshot changed by hand: the consumer refuses it, the next
		// publish makes a correct version and says which file was changed.
		snap3 := filepath.Join(root, filepath.FromSlash(bundle.VersionDir("team-a", v3)))
		require.NoError(t, os.Chmod(filepath.Join(snap3, "bin"), 0o755))
		require.NoError(t, os.Chmod(filepath.Join(snap3, "bin/run.sh"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(snap3, "bin/run.sh"), []byte("#!/bin/sh\nrm -rf /\n"), 0o755))
		assert.NotEmpty(t, consume(t, root, "team-a", "refresh").Error)
		writeTree(t, src, map[string]string{"etl.py": dagA + "# v4\n"})
		_, err = Publish(ctx, o)
		var de *DriftError
		require.ErrorAs(t, err, &de)
		assert.Equal(t, v3, de.Snapshot)
		assert.Equal(t, "bin/run.sh", de.Files[0].Path)
		got = consume(t, root, "team-a", "refresh")
		assert.Empty(t, got.Error, "the new version holds the source's content")
		assert.NotEqual(t, v3, got.Version)

		// Another bundle's name on this root is refused.
		o.Bundle = "team-b"
		_, err = Publish(ctx, o)
		assert.ErrorContains(t, err, `bundle "team-a"`)
	})
}
