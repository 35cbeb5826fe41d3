package publish

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dagnfs/dagnfs/layout"
	"github.com/dagnfs/dagnfs/nfs"
	"github.com/dagnfs/dagnfs/nfs/nfstest"
)

const dagC = "from airflow import DAG\nwith DAG('c'):\n    pass\n"

func genDir(root string, gen int) string { return filepath.Join(root, layout.GenerationName(gen)) }

func currentOf(t *testing.T, root string) string {
	t.Helper()
	target, err := os.Readlink(filepath.Join(root, layout.Current))
	require.NoError(t, err)
	return target
}

func inode(t *testing.T, name string) (uint64, time.Time) {
	t.Helper()
	fi, err := os.Stat(name)
	require.NoError(t, err)
	return fi.Sys().(*syscall.Stat_t).Ino, fi.ModTime()
}

// The generations layout: each publish builds a complete folder and one
// rename of the current symlink switches to it; unchanged files are hard
// links (same inode, same mtime, so Airflow does not parse them again);
// a rollback points current back at a kept folder, copying nothing; a
// folder that current names is always complete, even while a publish runs.
// Behind the in-process NFS server (go-nfs, which misreads LINK) unchanged
// files are copies with their mtime; the end-to-end tests run the layout
// against nfs-ganesha, which links.
func TestGenerationsLayout(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		ctx := context.Background()
		src := t.TempDir()
		v1 := map[string]string{"a.py": dagA, "team/b.py": dagB, "notes.txt": "v1"}
		writeTree(t, src, v1)
		o := opts(src, tg.dest)
		o.Layout, o.Label = layout.Generations, "v1"
		res, err := Publish(ctx, o)
		require.NoError(t, err)
		assert.Equal(t, layout.Generations, res.Layout)
		assert.Equal(t, 1, res.Folder)
		assert.Equal(t, layout.GenerationName(1), currentOf(t, tg.dir))
		assert.Equal(t, v1, readTree(t, genDir(tg.dir, 1)))
		entries, err := os.ReadDir(tg.dir)
		require.NoError(t, err)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		assert.ElementsMatch(t, []string{layout.Dir, layout.Current, layout.IgnoreFile}, names, "the export root holds the symlink, dagnfs's folder and its ignore file only")
		b, err := os.ReadFile(filepath.Join(tg.dir, layout.IgnoreFile))
		require.NoError(t, err)
		assert.Equal(t, layout.IgnoreBlock, string(b), "the root's .airflowignore keeps Airflow's scan out of .dagnfs")
		fi, err := os.Stat(filepath.Join(tg.dir, layout.GenerationsDir))
		require.NoError(t, err)
		assert.Equal(t, layout.GenerationsMode.Perm(), fi.Mode().Perm(), "generations: traversable, not listable, by its owner too")

		// v2: one file changed, one removed, one added.
		v2 := map[string]string{"a.py": dagA + "# v2\n", "notes.txt": "v1", "c.py": dagC}
		require.NoError(t, os.Remove(filepath.Join(src, "team/b.py")))
		writeTree(t, src, v2)
		o.Label, o.Delete.Enabled = "v2", true
		res, err = Publish(ctx, o)
		require.NoError(t, err)
		assert.Equal(t, 2, res.Generation)
		assert.ElementsMatch(t, []string{"a.py", "c.py"}, res.Uploaded)
		assert.Equal(t, []string{"team/b.py"}, res.Deleted)
		assert.Equal(t, layout.GenerationName(2), currentOf(t, tg.dir))
		assert.Equal(t, v2, readTree(t, genDir(tg.dir, 2)))
		assert.Equal(t, v1, readTree(t, genDir(tg.dir, 1)), "the first generation stays whole")
		i1, m1 := inode(t, filepath.Join(genDir(tg.dir, 1), "notes.txt"))
		i2, m2 := inode(t, filepath.Join(genDir(tg.dir, 2), "notes.txt"))
		if tg.name == "local" {
			assert.Equal(t, i1, i2, "an unchanged file is a hard link")
		}
		assert.True(t, m1.Equal(m2), "an unchanged file keeps its mtime")
		a1, _ := inode(t, filepath.Join(genDir(tg.dir, 1), "a.py"))
		a2, _ := inode(t, filepath.Join(genDir(tg.dir, 2), "a.py"))
		assert.NotEqual(t, a1, a2, "a changed file is a new file")

		// Nothing changed: no new generation.
		res, err = Publish(ctx, o)
		require.NoError(t, err)
		assert.Equal(t, 2, res.Generation)
		assert.Equal(t, 2, res.Folder)

		// A reader resolving current while v3 is published always finds a
		// complete set: v2's or v3's, never a mix or a part.
		v3 := map[string]string{"a.py": dagA + "# v3\n", "notes.txt": "v3", "c.py": dagC}
		writeTree(t, src, v3)
		var stop atomic.Bool
		var reads atomic.Int64
		var wg sync.WaitGroup
		wg.Add(1)
		var bad []string
		go func() {
			defer wg.Done()
			for !stop.Load() {
				target, err := os.Readlink(filepath.Join(tg.dir, layout.Current))
				if err != nil {
					bad = append(bad, err.Error())
					continue
				}
				got := readTree(t, filepath.Join(tg.dir, target))
				if !assert.ObjectsAreEqual(v2, got) && !assert.ObjectsAreEqual(v3, got) {
					bad = append(bad, target)
				}
				reads.Add(1)
			}
		}()
		o.Label = "v3"
		res, err = Publish(ctx, o)
		stop.Store(true)
		wg.Wait()
		require.NoError(t, err)
		assert.Equal(t, 3, res.Folder)
		assert.Empty(t, bad, "sets a reader saw that were neither v2 nor v3")
		assert.Positive(t, reads.Load())
		assert.Equal(t, v3, readTree(t, filepath.Join(tg.dir, currentOf(t, tg.dir))))

		// Rollback: current names generation 1's folder again; nothing is
		// copied.
		res, err = Rollback(ctx, opts("", tg.dest), 1)
		require.NoError(t, err)
		assert.Equal(t, 4, res.Generation)
		assert.Equal(t, 1, res.Folder)
		assert.Empty(t, res.Uploaded)
		assert.Equal(t, layout.GenerationName(1), currentOf(t, tg.dir))
		b1, _ := inode(t, filepath.Join(genDir(tg.dir, 1), "a.py"))
		assert.Equal(t, a1, b1, "the rolled-back files are the kept ones")
		m := manifestOnDisk(t, tg.dir)
		assert.Equal(t, "rollback", m.Action)
		assert.Equal(t, 1, m.Folder)
		assert.Equal(t, 4, m.Generation)

		// The next publish builds from the folder current names.
		o.Label = "v3 again"
		res, err = Publish(ctx, o)
		require.NoError(t, err)
		assert.Equal(t, 5, res.Generation)
		assert.Equal(t, v3, readTree(t, genDir(tg.dir, 5)))

		// A publish never moves the export to the other layout.
		o.Layout = layout.InPlace
		_, err = Publish(ctx, o)
		var refused *RefusedError
		require.ErrorAs(t, err, &refused)
		assert.Equal(t, "migrate", refused.Setting)
		o.Layout = "" // the export's own
		writeTree(t, src, map[string]string{"d.py": strings.ReplaceAll(dagC, "'c'", "'d'")})
		res, err = Publish(ctx, o)
		require.NoError(t, err)
		assert.Equal(t, layout.Generations, res.Layout)
		assert.Equal(t, 6, res.Folder)
	})
}

// Old generation folders go when they are beyond --keep and were replaced
// more than --grace ago; current's folder and the one before it never do.
func TestGenerationsGarbageCollection(t *testing.T) {
	ctx := context.Background()
	dir, d := localDest(t)
	src := t.TempDir()
	now := time.Now()
	o := opts(src, d)
	o.Layout, o.Keep, o.Grace = layout.Generations, 1, time.Hour
	o.Now = func() time.Time { return now }
	for i := range 4 {
		writeTree(t, src, map[string]string{"a.py": dagA + "# " + string(rune('a'+i)) + "\n"})
		_, err := Publish(ctx, o)
		require.NoError(t, err)
	}
	for g := 1; g <= 4; g++ {
		assert.DirExists(t, genDir(dir, g), "within the grace period every folder stays")
	}

	now = now.Add(2 * time.Hour)
	writeTree(t, src, map[string]string{"a.py": dagA + "# e\n"})
	_, err := Publish(ctx, o)
	require.NoError(t, err)
	for g := 1; g <= 3; g++ {
		assert.NoDirExists(t, genDir(dir, g), "beyond keep and grace")
		assert.NoFileExists(t, filepath.Join(dir, layout.HistoryName(g)))
	}
	assert.DirExists(t, genDir(dir, 4), "the generation before current stays")
	assert.DirExists(t, genDir(dir, 5), "current")
}

// A publish interrupted after the switch and before the manifest: the next
// one records the generation current names (from the history) and goes on
// from there.
func TestGenerationsInterruptedAfterSwitch(t *testing.T) {
	ctx := context.Background()
	dir, d := localDest(t)
	src := t.TempDir()
	o := opts(src, d)
	o.Layout = layout.Generations
	writeTree(t, src, map[string]string{"a.py": dagA})
	_, err := Publish(ctx, o)
	require.NoError(t, err)
	first, err := os.ReadFile(filepath.Join(dir, layout.ManifestPath))
	require.NoError(t, err)
	writeTree(t, src, map[string]string{"b.py": dagB})
	_, err = Publish(ctx, o)
	require.NoError(t, err)
	// As if the manifest of generation 2 had never been written.
	require.NoError(t, os.WriteFile(filepath.Join(dir, layout.ManifestPath), first, 0o644))

	writeTree(t, src, map[string]string{"c.py": dagC})
	res, err := Publish(ctx, o)
	require.NoError(t, err)
	assert.Equal(t, 2, res.Previous, "generation 2, which current named, was recorded first")
	assert.Equal(t, 3, res.Generation)
	assert.Equal(t, map[string]string{"a.py": dagA, "b.py": dagB, "c.py": dagC}, readTree(t, genDir(dir, 3)))
}

// A managed file that someone else edited, re-permissioned, removed or
// replaced is uploaded again by the next publish and listed as repaired;
// with NoRepair it is only reported, and the publish fails with a
// *DriftError. In both layouts.
func TestDriftRepair(t *testing.T) {
	for _, lay := range []string{layout.InPlace, layout.Generations} {
		t.Run(lay, func(t *testing.T) {
			ctx := context.Background()
			dir, d := localDest(t)
			src := t.TempDir()
			v1 := map[string]string{"a.py": dagA, "b.py": dagB, "c.py": dagC, "notes.txt": "notes", "team/x.txt": "x"}
			writeTree(t, src, v1)
			o := opts(src, d)
			o.Layout = lay
			_, err := Publish(ctx, o)
			require.NoError(t, err)
			files := dir
			if lay == layout.Generations {
				files = filepath.Join(dir, currentOf(t, dir))
			}
			// Someone else's changes: same size, other content (the
			// mtime tells); a mode; a removal; a file replaced by a
			// symlink.
			time.Sleep(10 * time.Millisecond)
			require.NoError(t, os.WriteFile(filepath.Join(files, "a.py"), []byte(strings.Replace(dagA, "'a'", "'z'", 1)), 0o644))
			require.NoError(t, os.Chmod(filepath.Join(files, "b.py"), 0o600))
			require.NoError(t, os.Remove(filepath.Join(files, "c.py")))
			require.NoError(t, os.Remove(filepath.Join(files, "notes.txt")))
			require.NoError(t, os.Symlink("team/x.txt", filepath.Join(files, "notes.txt")))

			o.NoRepair = true
			res, err := Publish(ctx, o)
			var drift *DriftError
			require.ErrorAs(t, err, &drift)
			assert.Len(t, res.Drifted, 4)
			assert.Empty(t, res.Uploaded, "reported only")
			assert.Equal(t, 1, res.Generation, "no new generation")

			o.NoRepair = false
			res, err = Publish(ctx, o)
			require.NoError(t, err)
			reasons := map[string]string{}
			for _, r := range res.Repaired {
				reasons[r.Path] = r.Reason
			}
			assert.Contains(t, reasons["a.py"], "content changed")
			assert.Equal(t, "mode 0600, 0644 published", reasons["b.py"])
			assert.Equal(t, "removed", reasons["c.py"])
			assert.Equal(t, "replaced by a special file", reasons["notes.txt"])
			assert.Len(t, reasons, 4)
			assert.Equal(t, 2, res.Generation)
			files = dir
			if lay == layout.Generations {
				files = filepath.Join(dir, currentOf(t, dir))
			}
			assert.Equal(t, v1, readTree(t, files), "the export converged to the source")
			fi, err := os.Stat(filepath.Join(files, "b.py"))
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o644), fi.Mode().Perm())

			// A folder someone made where a file was is never removed: the
			// publish reports it and fails.
			require.NoError(t, os.Remove(filepath.Join(files, "c.py")))
			require.NoError(t, os.MkdirAll(filepath.Join(files, "c.py", "theirs"), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(files, "c.py", "theirs", "f.txt"), []byte("theirs"), 0o644))
			res, err = Publish(ctx, o)
			require.ErrorAs(t, err, &drift)
			require.Len(t, res.Drifted, 1)
			assert.Contains(t, res.Drifted[0].Reason, "move it aside")
			if lay == layout.Generations {
				files = filepath.Join(dir, currentOf(t, dir))
			}
			b, err := os.ReadFile(filepath.Join(files, "c.py", "theirs", "f.txt"))
			require.NoError(t, err, "their folder is kept")
			assert.Equal(t, "theirs", string(b))
		})
	}
}

// --migrate moves an in-place export to the generations layout: the managed
// files become the first generation's folder (the same files, hard
// linked), current names it, the root keeps only what others placed there;
// without --migrate the publish refuses, and rolling back to an in-place
// generation is refused.
func TestMigrateToGenerations(t *testing.T) {
	ctx := context.Background()
	dir, d := localDest(t)
	src := t.TempDir()
	v1 := map[string]string{"a.py": dagA, "team/b.py": dagB}
	writeTree(t, src, v1)
	o := opts(src, d)
	_, err := Publish(ctx, o)
	require.NoError(t, err)
	writeTree(t, dir, map[string]string{"theirs.txt": "theirs", "team/theirs.txt": "theirs too"})
	ia, _ := inode(t, filepath.Join(dir, "a.py"))

	o.Layout = layout.Generations
	_, err = Publish(ctx, o)
	var refused *RefusedError
	require.ErrorAs(t, err, &refused)
	assert.Equal(t, "migrate", refused.Setting)

	o.Migrate = true
	res, err := Publish(ctx, o)
	require.NoError(t, err)
	assert.Equal(t, 2, res.Generation)
	assert.Equal(t, layout.GenerationName(2), currentOf(t, dir))
	assert.Equal(t, v1, readTree(t, genDir(dir, 2)))
	ib, _ := inode(t, filepath.Join(genDir(dir, 2), "a.py"))
	assert.Equal(t, ia, ib, "the same file, moved by a hard link")
	assert.NoFileExists(t, filepath.Join(dir, "a.py"), "dagnfs's files left the root")
	assert.NoFileExists(t, filepath.Join(dir, "team", "b.py"))
	assert.FileExists(t, filepath.Join(dir, "theirs.txt"), "what others placed there stays")
	assert.FileExists(t, filepath.Join(dir, "team", "theirs.txt"))
	assert.NoFileExists(t, filepath.Join(genDir(dir, 2), "theirs.txt"), "and is not carried into the generation")
	assert.Equal(t, layout.Generations, manifestOnDisk(t, dir).Layout)

	o.Migrate = false
	o.Layout = ""
	writeTree(t, src, map[string]string{"c.py": dagC})
	res, err = Publish(ctx, o)
	require.NoError(t, err)
	assert.Equal(t, 3, res.Folder)

	_, err = Rollback(ctx, opts("", d), 1)
	require.ErrorAs(t, err, &refused)
	assert.Contains(t, err.Error(), "published in place")
}

// --migrate back to in-place: the files go to the root, current goes, the
// generation folders stay for --grace and then go.
func TestMigrateBackToInPlace(t *testing.T) {
	ctx := context.Background()
	dir, d := localDest(t)
	src := t.TempDir()
	v1 := map[string]string{"a.py": dagA, "team/b.py": dagB}
	writeTree(t, src, v1)
	now := time.Now()
	o := opts(src, d)
	o.Layout = layout.Generations
	o.Now = func() time.Time { return now }
	_, err := Publish(ctx, o)
	require.NoError(t, err)

	o.Layout, o.Migrate = layout.InPlace, true
	res, err := Publish(ctx, o)
	require.NoError(t, err)
	assert.Equal(t, layout.InPlace, res.Layout)
	assert.Equal(t, v1, readTree(t, dir))
	_, err = os.Lstat(filepath.Join(dir, layout.Current))
	assert.True(t, os.IsNotExist(err), "current is gone")
	assert.DirExists(t, genDir(dir, 1), "kept for the grace period")
	assert.Equal(t, "", manifestOnDisk(t, dir).Layout)
	require.Len(t, res.Warnings, 1, "%q", res.Warnings)
	assert.Contains(t, res.Warnings[0], "moved to the in-place layout", "and not the warning of the move the other way")

	o.Migrate, o.Layout = false, ""
	o.Keep = 1
	now = now.Add(2 * time.Hour)
	writeTree(t, src, map[string]string{"c.py": dagC})
	res, err = Publish(ctx, o)
	require.NoError(t, err)
	assert.Equal(t, layout.InPlace, res.Layout)
	assert.NoDirExists(t, genDir(dir, 1), "gone after the grace period")
}

// --lock-timeout: a publisher finding the lock held waits for it (up to
// Lock.Wait) instead of failing at once, and fails with a *LockedError
// when it is not released in time.
func TestLockWait(t *testing.T) {
	ctx := context.Background()
	dir, d := localDest(t)
	src := t.TempDir()
	writeTree(t, src, map[string]string{"a.py": dagA})
	o := opts(src, d)
	_, err := Publish(ctx, o)
	require.NoError(t, err)
	defer func(p time.Duration) { lockPoll = p }(lockPoll)
	lockPoll = 50 * time.Millisecond
	held := layout.LockInfo{Holder: "ci@elsewhere pid 1", Host: "elsewhere", PID: 1, RunID: "theirs",
		Acquired: time.Now(), Expires: time.Now().Add(time.Hour)}
	lockFile := filepath.Join(dir, layout.LockPath)
	require.NoError(t, os.WriteFile(lockFile, held.Encode(), 0o644))

	writeTree(t, src, map[string]string{"b.py": dagB})
	_, err = Publish(ctx, o)
	var locked *LockedError
	require.ErrorAs(t, err, &locked, "no waiting by default")
	assert.NotContains(t, locked.Error(), "//.dagnfs", "a path that can be reached")

	o.Lock.Wait = 200 * time.Millisecond
	t0 := time.Now()
	_, err = Publish(ctx, o)
	require.ErrorAs(t, err, &locked, "the lock is not released in time")
	assert.GreaterOrEqual(t, time.Since(t0), 200*time.Millisecond)

	o.Lock.Wait = 10 * time.Second
	go func() {
		time.Sleep(300 * time.Millisecond)
		_ = os.Remove(lockFile) // the other publisher finishes
	}()
	res, err := Publish(ctx, o)
	require.NoError(t, err)
	assert.Equal(t, 2, res.Generation)
}

// The generations layout's root .airflowignore is dagnfs's: put back when
// it is missing or not what dagnfs writes, but a file of someone else's is
// never replaced; without dagnfs's lines the publish says what to add.
func TestRootIgnoreFile(t *testing.T) {
	ctx := context.Background()
	dir, d := localDest(t)
	src := t.TempDir()
	writeTree(t, src, map[string]string{"a.py": dagA, layout.IgnoreFile: "scratch/\n"})
	o := opts(src, d)
	o.Layout = layout.Generations
	_, err := Publish(ctx, o)
	require.NoError(t, err)
	root := filepath.Join(dir, layout.IgnoreFile)
	read := func() string {
		b, err := os.ReadFile(root)
		require.NoError(t, err)
		return string(b)
	}
	assert.Equal(t, layout.IgnoreBlock, read())
	assert.Equal(t, "scratch/\n", readTree(t, genDir(dir, 1))[layout.IgnoreFile], "the user's own is in the generation, as it is")

	// Someone else's file without dagnfs's lines: left, with a warning
	// that names the lines (a publish with nothing to publish too).
	require.NoError(t, os.WriteFile(root, []byte("theirs/\n"), 0o644))
	for _, change := range []string{"# v2\n", ""} {
		writeTree(t, src, map[string]string{"a.py": dagA + change})
		res, err := Publish(ctx, o)
		require.NoError(t, err)
		assert.Equal(t, "theirs/\n", read(), "never replaced")
		require.Len(t, res.Warnings, 1, "%q", change)
		assert.Contains(t, res.Warnings[0], layout.IgnoreRegexp)
		assert.Contains(t, res.Warnings[0], layout.IgnoreGlob)
	}
	// With the lines: no warning.
	require.NoError(t, os.WriteFile(root, []byte("theirs/\n"+layout.IgnoreRegexp+"\n"+layout.IgnoreGlob+"\n"), 0o644))
	res, err := Publish(ctx, o)
	require.NoError(t, err)
	assert.Empty(t, res.Warnings)
	// Removed: put back by the next publish, even one with nothing new.
	require.NoError(t, os.Remove(root))
	res, err = Publish(ctx, o)
	require.NoError(t, err)
	assert.Equal(t, res.Previous, res.Generation, "nothing to publish")
	assert.Equal(t, layout.IgnoreBlock, read())
}

// A current planted to point anywhere else (/etc) is pointed back at the
// recorded generation by the next publish, which says so (issue 20).
func TestPlantedCurrentIsRepaired(t *testing.T) {
	ctx := context.Background()
	dir, d := localDest(t)
	src := t.TempDir()
	writeTree(t, src, map[string]string{"a.py": dagA})
	o := opts(src, d)
	o.Layout = layout.Generations
	_, err := Publish(ctx, o)
	require.NoError(t, err)
	require.NoError(t, os.Remove(filepath.Join(dir, layout.Current)))
	require.NoError(t, os.Symlink("/etc", filepath.Join(dir, layout.Current)))
	var logged bytes.Buffer
	o.Log = slog.New(slog.NewTextHandler(&logged, nil))
	res, err := Publish(ctx, o)
	require.NoError(t, err)
	assert.Equal(t, 1, res.Generation, "nothing new to publish")
	assert.Equal(t, layout.GenerationName(1), currentOf(t, dir))
	assert.Contains(t, logged.String(), `pointed to \"/etc\"`)
	assert.Contains(t, logged.String(), "pointed it back at "+layout.GenerationName(1))
}

// A root publish into a mounted folder gives current the owner the rest has,
// not root's (issue 20).
func TestCurrentHasTheFilesOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test gives files another owner: run it as root, as CI does")
	}
	dir, d := localDest(t)
	src := t.TempDir()
	writeTree(t, src, map[string]string{"a.py": dagA})
	o := opts(src, d)
	o.Layout, o.Owner.UID, o.Owner.GID = layout.Generations, 50000, 50000
	_, err := Publish(context.Background(), o)
	require.NoError(t, err)
	fi, err := os.Lstat(filepath.Join(dir, layout.Current))
	require.NoError(t, err)
	st := fi.Sys().(*syscall.Stat_t)
	assert.Equal(t, [2]uint32{50000, 50000}, [2]uint32{st.Uid, st.Gid}, "current is the files' owner's")
	fi, err = os.Stat(filepath.Join(genDir(dir, 1), "a.py"))
	require.NoError(t, err)
	st = fi.Sys().(*syscall.Stat_t)
	assert.Equal(t, [2]uint32{50000, 50000}, [2]uint32{st.Uid, st.Gid})
}

// cancelAfterSwitch cancels a run just after its switch lands: the rename
// over current (generations) or over a bundle's reference.
type cancelAfterSwitch struct {
	nfs.Dest
	cancel context.CancelFunc
}

func (c cancelAfterSwitch) Rename(ctx context.Context, from, to string) error {
	err := c.Dest.Rename(ctx, from, to)
	if err == nil && (to == layout.Current || strings.HasPrefix(to, "refs/")) {
		c.cancel()
	}
	return err
}

// An interrupt that lands just after the switch of a publish or of a
// rollback (generations and bundles) ends the run as "after the switch":
// the manifest still records the new generation, the journal and the lock
// are gone, and the line names the new generation (issue 20).
func TestInterruptAfterTheSwitch(t *testing.T) {
	for _, c := range []struct{ name, lay, bundle string }{{"generations", layout.Generations, ""}, {"bundle", "", "etl"}} {
		t.Run(c.name, func(t *testing.T) {
			dir, d := localDest(t)
			src := t.TempDir()
			o := opts(src, d)
			o.Layout, o.Bundle = c.lay, c.bundle
			for _, v := range []string{"1", "2"} {
				writeTree(t, src, map[string]string{"a.py": dagA + "# " + v + "\n"})
				_, err := Publish(context.Background(), o)
				require.NoError(t, err)
			}
			check := func(err error, gen int) {
				t.Helper()
				var ie *InterruptedError
				require.ErrorAs(t, err, &ie)
				assert.Equal(t, 1, ie.Switched, err.Error())
				assert.Equal(t, gen, ie.Generation)
				assert.Contains(t, err.Error(), fmt.Sprintf("interrupted after the switch: generation %d is current", gen))
				records, record := d, func(p string) string { return filepath.Join(dir, p) }
				if c.bundle != "" {
					records = layout.ForBundle(d, c.bundle)
					record = func(p string) string {
						return filepath.Join(dir, layout.BundlesDir, c.bundle, strings.TrimPrefix(p, layout.Dir+"/"))
					}
				}
				m, rerr := layout.ReadManifest(context.Background(), records, layout.ManifestPath)
				require.NoError(t, rerr)
				assert.Equal(t, gen, m.Generation, "the manifest records the switch")
				_, serr := os.Stat(record(layout.ManifestPath))
				require.NoError(t, serr, "the records are where the test looks")
				for _, p := range []string{record(layout.LockPath), record(layout.JournalPath)} {
					_, serr := os.Stat(p)
					assert.True(t, os.IsNotExist(serr), "%s is gone", p)
				}
			}

			writeTree(t, src, map[string]string{"a.py": dagA + "# 3\n"})
			ctx, cancel := context.WithCancel(context.Background())
			oc := o
			oc.Dest = cancelAfterSwitch{d, cancel}
			_, err := Publish(ctx, oc)
			check(err, 3)

			ctx, cancel = context.WithCancel(context.Background())
			oc.Dest = cancelAfterSwitch{d, cancel}
			_, err = Rollback(ctx, oc, 2)
			check(err, 4)
		})
	}
}

// A publish of the content the current generation holds makes no new
// generation in any layout, whatever its label: the label is the current
// generation's now (manifest and history), so a day of no-op CI runs keeps
// the generations --keep counts; over NFS it makes no call per file
// (issue 21).
func TestNoOpPublishMakesNoGeneration(t *testing.T) {
	for _, lay := range []string{layout.InPlace, layout.Generations, layout.ManifestBundle} {
		t.Run(lay, func(t *testing.T) {
			ctx := context.Background()
			dir, s := nfstest.Server(t)
			d := nfstest.Dial(t, s.URL())
			src := t.TempDir()
			files := map[string]string{"a.py": dagA}
			for i := range 200 {
				files[fmt.Sprintf("lib/m%03d.py", i)] = fmt.Sprintf("x = %d\n", i)
			}
			writeTree(t, src, files)
			publishAs := func(label string) *Result {
				o := opts(src, d)
				o.Layout, o.Label, o.Keep = lay, label, 3
				if lay == layout.ManifestBundle {
					o.Bundle = "b"
				}
				res, err := Publish(ctx, o)
				require.NoError(t, err)
				return res
			}
			first := publishAs("v1")
			require.Equal(t, 1, first.Generation)
			before := d.Calls()
			for i := 2; i <= 6; i++ {
				res := publishAs(fmt.Sprintf("v%d", i))
				assert.Equal(t, 1, res.Generation, "no new generation")
				assert.True(t, res.Relabelled)
				assert.True(t, res.NoChange())
			}
			perRun := (d.Calls() - before) / 5
			assert.Less(t, perRun, int64(100), "no call per file (201 files): %d calls a run", perRun)

			records := nfs.Dest(d)
			if lay == layout.ManifestBundle {
				records = layout.ForBundle(d, "b")
			}
			m, err := layout.ReadManifest(ctx, records, layout.ManifestPath)
			require.NoError(t, err)
			assert.Equal(t, "v6", m.Label, "the current generation carries the last label")
			hist, err := layout.ReadHistory(ctx, records, 1<<30)
			require.NoError(t, err)
			require.Len(t, hist, 1, "one generation in the history")
			assert.Equal(t, "v6", hist[0].Label)
			if lay == layout.Generations {
				entries, err := os.ReadDir(filepath.Join(dir, ".dagnfs", "generations"))
				require.NoError(t, err)
				assert.Len(t, entries, 1, "one generation folder")
			}

			// A real change after the no-ops is generation 2, and the
			// first stays within --keep 3.
			require.NoError(t, os.WriteFile(filepath.Join(src, "lib/m000.py"), []byte("x = -1\n"), 0o644))
			res := publishAs("v7")
			assert.Equal(t, 2, res.Generation)
			hist, err = layout.ReadHistory(ctx, records, 1<<30)
			require.NoError(t, err)
			assert.Len(t, hist, 2)
		})
	}
}

// --keep counts distinct contents: a rollback's generation repeats an
// older one's content and does not push a third content out of reach
// (issue 21). keep 3 with generations C, A, B and a rollback to A: C can
// still be restored (counting generations, it was forgotten).
func TestKeepCountsDistinctContents(t *testing.T) {
	for _, lay := range []string{layout.InPlace, layout.Generations} {
		t.Run(lay, func(t *testing.T) {
			ctx := context.Background()
			_, d := localDest(t)
			src := t.TempDir()
			publishContent := func(content string) int {
				writeTree(t, src, map[string]string{"a.py": dagA + "# " + content + "\n"})
				o := opts(src, d)
				o.Layout, o.Keep = lay, 3
				res, err := Publish(ctx, o)
				require.NoError(t, err)
				return res.Generation
			}
			require.Equal(t, 1, publishContent("C"))
			require.Equal(t, 2, publishContent("A"))
			require.Equal(t, 3, publishContent("B"))
			ro := opts("", d)
			ro.Keep = 3
			res, err := Rollback(ctx, ro, 2)
			require.NoError(t, err)
			require.Equal(t, 4, res.Generation)
			hist, err := layout.ReadHistory(ctx, d, 1<<30)
			require.NoError(t, err)
			var gens []int
			for _, m := range hist {
				gens = append(gens, m.Generation)
			}
			assert.Equal(t, []int{4, 3, 2, 1}, gens, "three contents: A (4 and 2), B, C")
			res, err = Rollback(ctx, ro, 1)
			require.NoError(t, err, "C is restorable")
			assert.Equal(t, 5, res.Generation)
			hist, err = layout.ReadHistory(ctx, d, 1<<30)
			require.NoError(t, err)
			gens = gens[:0]
			for _, m := range hist {
				gens = append(gens, m.Generation)
			}
			assert.Equal(t, []int{5, 4, 3, 2, 1}, gens, "C (5, 1), A (4, 2), B (3): still three contents")
		})
	}
}
