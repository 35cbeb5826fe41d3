package publish

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

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

// bundleRecord is dagnfs's manifest of bundle name in a published root.
func bundleRecord(t *testing.T, root, name string) *layout.Manifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, layout.BundlesDir, name, "manifest.json"))
	require.NoError(t, err)
	m, err := layout.ParseManifest(layout.ManifestPath, b)
	require.NoError(t, err)
	return m
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
		assert.Equal(t, v1, bundleRecord(t, root, "team-a").Version)

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
		res, err = Publish(ctx, o)
		require.NoError(t, err)
		assert.Empty(t, res.Unmanaged, "the snapshot's manifest is dagnfs's own")
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
		ro := opts("", tg.dest)
		_, err = Rollback(ctx, ro, 1)
		assert.ErrorContains(t, err, "name one with --bundle", "the published root's own records are none")
		ro.Bundle = "team-a"
		res, err = Rollback(ctx, ro, 1)
		require.NoError(t, err)
		assert.Equal(t, v1, res.Version)
		assert.Equal(t, v1, consume(t, root, "team-a", "refresh").Version)
		assert.Equal(t, "rollback", bundleRecord(t, root, "team-a").Action)
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

		// Another bundle in the same published root: its own records,
		// versions and reference; team-a's stay as they are.
		teamA := refOf(t, root, "team-a").Version
		srcB := t.TempDir()
		writeTree(t, srcB, map[string]string{"b_etl.py": dagB})
		ob := opts(srcB, tg.dest)
		ob.Bundle = "team-b" // the layout follows
		res, err = Publish(ctx, ob)
		require.NoError(t, err)
		assert.Equal(t, 1, res.Generation, "team-b's own generations")
		assert.Equal(t, res.Version, consume(t, root, "team-b", "refresh").Version)
		assert.Equal(t, teamA, consume(t, root, "team-a", "refresh").Version)
		_, err = os.Stat(filepath.Join(root, layout.BundlesDir, "team-b", "manifest.json"))
		assert.NoError(t, err, "team-b's records")

		// Nothing else is published into a published root of bundles.
		_, err = Publish(ctx, opts(srcB, tg.dest))
		assert.ErrorContains(t, err, "published root of versioned bundles (team-a, team-b)")
	})
}

// Versions are collected like generation folders, with days of grace by
// default: a DAG run pinned to a version may retry long after the next one.
func TestBundleVersionsCollected(t *testing.T) {
	ctx := context.Background()
	root, d := localDest(t)
	src := t.TempDir()
	now := time.Now()
	o := opts(src, d)
	o.Bundle, o.Keep = "b", 1
	o.Now = func() time.Time { return now }
	var versions []string
	publishV := func(i int) {
		t.Helper()
		writeTree(t, src, map[string]string{"a.py": dagA + fmt.Sprintf("# v%d\n", i)})
		res, err := Publish(ctx, o)
		require.NoError(t, err)
		versions = append(versions, res.Version)
	}
	exists := func(v string) bool {
		_, err := os.Stat(filepath.Join(root, filepath.FromSlash(bundle.VersionDir("b", v))))
		return err == nil
	}
	for i := range 3 {
		publishV(i)
	}
	now = now.Add(2 * time.Hour)
	publishV(3)
	for _, v := range versions {
		assert.True(t, exists(v), "the default grace is days: %s stays", v[:15])
	}
	o.Grace = time.Hour
	now = now.Add(2 * time.Hour)
	publishV(4)
	assert.False(t, exists(versions[0]), "retired hours ago, beyond --keep")
	assert.False(t, exists(versions[1]))
	assert.True(t, exists(versions[3]), "the one released before is never removed")
	assert.True(t, exists(versions[4]), "the released one")
	assert.Equal(t, versions[4], consume(t, root, "b", "refresh").Version)
	assert.Equal(t, versions[3], consume(t, root, "b", "pinned", versions[3]).Version)
}
