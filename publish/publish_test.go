package publish

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dagnfs/dagnfs/internal/guard"
	"github.com/dagnfs/dagnfs/internal/testfs"
	"github.com/dagnfs/dagnfs/layout"
	"github.com/dagnfs/dagnfs/nfs"
	"github.com/dagnfs/dagnfs/nfs/nfstest"
	"github.com/dagnfs/dagnfs/perms"
	"github.com/dagnfs/dagnfs/validate"
)

// target is a destination under test and the local folder behind it.
type target struct {
	name string
	dir  string
	dest nfs.Dest
}

// localDest opens a new temporary folder as a destination.
func localDest(t *testing.T) (string, nfs.Dest) {
	t.Helper()
	dir := t.TempDir()
	d, err := nfs.OpenLocal(dir)
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })
	return dir, d
}

func targets(t *testing.T) []func(t *testing.T) target {
	return []func(t *testing.T) target{
		func(t *testing.T) target {
			dir, d := localDest(t)
			return target{"local", dir, d}
		},
		func(t *testing.T) target {
			dir, s := nfstest.Server(t)
			return target{"nfs", dir, nfstest.Dial(t, s.URL())}
		},
	}
}

func writeTree(t *testing.T, dir string, files map[string]string) { testfs.WriteTree(t, dir, files) }

// readTree is the export's tree as the user published it: without .dagnfs,
// and without the root .airflowignore when it is dagnfs's own (each layout's
// tests check that file).
func readTree(t *testing.T, dir string) map[string]string {
	m := testfs.ReadTree(t, dir, layout.Dir)
	if m[layout.IgnoreFile] == layout.IgnoreBlock {
		delete(m, layout.IgnoreFile)
	}
	return m
}

func forEachTarget(t *testing.T, fn func(t *testing.T, tg target)) {
	for _, mk := range targets(t) {
		tg := mk(t)
		t.Run(tg.name, func(t *testing.T) { fn(t, tg) })
	}
}

const dagA = "from airflow import DAG\nwith DAG('a'):\n    pass\n"
const dagB = "from airflow import DAG\nwith DAG('b'):\n    pass\n"

func opts(src string, d nfs.Dest) Options {
	return Options{Source: Source{Dir: src, Validate: validate.Options{Python: "auto"}}, Dest: d,
		Owner: Owner{UID: -1, GID: -1}, Delete: Deletes{Max: 100}, Version: "test"}
}

func TestPublishLifecycle(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		ctx := context.Background()
		src := t.TempDir()
		writeTree(t, src, map[string]string{"a.py": dagA, "team/b.py": dagB, "team/sql/q.sql": "select 1",
			".airflowignore": "scratch/\n", ".git/HEAD": "ref", "__pycache__/a.cpython-311.pyc": "x"})

		// First publish: everything, minus version control and caches.
		res, err := Publish(ctx, opts(src, tg.dest))
		require.NoError(t, err)
		assert.Equal(t, 1, res.Generation)
		assert.Equal(t, []string{".airflowignore", "a.py", "team/b.py", "team/sql/q.sql"}, res.Uploaded)
		assert.Equal(t, map[string]string{".airflowignore": "scratch/\n" + layout.IgnoreBlock, "a.py": dagA, "team/b.py": dagB, "team/sql/q.sql": "select 1"}, readTree(t, tg.dir),
			"the user's .airflowignore, with dagnfs's lines added at its end")
		fi, err := os.Stat(filepath.Join(tg.dir, "team/b.py"))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o644), fi.Mode().Perm())
		st, err := os.Stat(filepath.Join(tg.dir, layout.StagingDir))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o300), st.Mode().Perm(), "nobody can list the staging folder")
		left, err := os.ReadDir(filepath.Join(tg.dir, layout.StagingDir))
		require.NoError(t, err)
		assert.Empty(t, left, "no temporary file is left")
		_, err = os.Stat(filepath.Join(tg.dir, layout.LockPath))
		assert.True(t, os.IsNotExist(err), "the lock is released")

		m := manifestOnDisk(t, tg.dir)
		assert.Equal(t, 1, m.Generation)
		require.Len(t, m.Files, 4)
		assert.Equal(t, "a.py", m.Files[1].Path)
		assert.Equal(t, int64(len(dagA)), m.Files[1].Size)
		assert.Equal(t, layout.Mode(0o644), m.Files[1].Mode)

		// Republish: nothing changes, no new generation.
		res, err = Publish(ctx, opts(src, tg.dest))
		require.NoError(t, err)
		assert.Empty(t, res.Uploaded)
		assert.Equal(t, 4, res.Unchanged)
		assert.Equal(t, 1, res.Generation)
		assert.Equal(t, 0, res.Validation.Compiled, "bytes checked when they were published are not checked again")
		require.Len(t, res.Validation.DAGs, 2, "the DAGs of unchanged files come from the manifest")
		m1 := manifestOnDisk(t, tg.dir)
		assert.Equal(t, res.Validation.Fingerprint, m1.Checked)
		assert.Equal(t, []layout.EntryDAG{{ID: "a", Line: 2}}, m1.Files[1].DAGs)
		assert.Equal(t, 2, res.Validation.Files, "the two Python files are what Airflow considers")

		// Change one, add one, remove one: without --delete it stays (orphaned).
		writeTree(t, src, map[string]string{"a.py": dagA + "# v2\n", "c.py": strings.ReplaceAll(dagB, "'b'", "'c'")})
		require.NoError(t, os.Remove(filepath.Join(src, "team/sql/q.sql")))
		res, err = Publish(ctx, opts(src, tg.dest))
		require.NoError(t, err)
		assert.Equal(t, 2, res.Generation)
		assert.Equal(t, []string{"a.py", "c.py"}, res.Uploaded)
		assert.Equal(t, 2, res.Validation.Compiled, "only the new bytes are compiled")
		assert.Equal(t, []string{"team/sql/q.sql"}, res.Orphaned)
		assert.Equal(t, dagA+"# v2\n", readTree(t, tg.dir)["a.py"])
		assert.Contains(t, readTree(t, tg.dir), "team/sql/q.sql")

		// A file placed by hand and a managed file edited by hand survive --delete.
		writeTree(t, tg.dir, map[string]string{"manual.py": dagB})
		require.NoError(t, os.WriteFile(filepath.Join(tg.dir, "c.py"), []byte("edited on the export"), 0o644))
		require.NoError(t, os.Remove(filepath.Join(src, "c.py")))
		o := opts(src, tg.dest)
		o.Delete.Enabled = true
		res, err = Publish(ctx, o)
		require.NoError(t, err)
		assert.Equal(t, []string{"team/sql/q.sql"}, res.Deleted)
		assert.Equal(t, []string{"c.py"}, res.NotDeleted)
		assert.Equal(t, []string{"manual.py"}, res.Unmanaged)
		tree := readTree(t, tg.dir)
		assert.NotContains(t, tree, "team/sql/q.sql")
		assert.Equal(t, "edited on the export", tree["c.py"])
		assert.Equal(t, dagB, tree["manual.py"])
		_, err = os.Stat(filepath.Join(tg.dir, "team/sql"))
		assert.True(t, os.IsNotExist(err), "a folder emptied by deletes is removed")

		// Replaced and deleted content is kept for rollback under its sha256.
		m3 := manifestOnDisk(t, tg.dir)
		for _, e := range m.Files {
			if e.Path == "a.py" || e.Path == "team/sql/q.sql" {
				b, err := os.ReadFile(filepath.Join(tg.dir, layout.ObjectName(e.SHA256)))
				require.NoError(t, err, e.Path)
				assert.Equal(t, int64(len(b)), e.Size)
			}
		}
		assert.Equal(t, 3, m3.Generation)
		for _, g := range []int{1, 2, 3} {
			_, err := os.Stat(filepath.Join(tg.dir, layout.HistoryName(g)))
			assert.NoError(t, err, "generation %d is kept", g)
		}
		for _, e := range m3.Files {
			assert.NotEqual(t, "c.py", e.Path, "a file edited by someone else is no longer managed")
		}
	})
}

func manifestOnDisk(t *testing.T, dir string) *layout.Manifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, layout.ManifestPath))
	require.NoError(t, err)
	m, err := layout.ParseManifest(layout.ManifestPath, b)
	require.NoError(t, err)
	return m
}

func TestPublishRefusals(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		ctx := context.Background()
		src := t.TempDir()

		_, err := Publish(ctx, opts(src, tg.dest))
		var refused *RefusedError
		require.ErrorAs(t, err, &refused)
		assert.Equal(t, "allow-empty", refused.Setting, "the command points at the option that allows it")

		writeTree(t, src, map[string]string{"broken.py": "def f(:\n", "ok.py": dagA})
		res, err := Publish(ctx, opts(src, tg.dest))
		var verr *ValidationError
		require.ErrorAs(t, err, &verr)
		assert.Equal(t, "broken.py", res.Validation.Findings[0].File)
		assert.Empty(t, readTree(t, tg.dir), "a failing source publishes nothing")

		require.NoError(t, os.Remove(filepath.Join(src, "broken.py")))
		o := opts(src, tg.dest)
		o.DryRun = true
		res, err = Publish(ctx, o)
		require.NoError(t, err)
		assert.Equal(t, []string{layout.IgnoreFile, "ok.py"}, res.Uploaded)
		entries, err := os.ReadDir(tg.dir)
		require.NoError(t, err)
		assert.Empty(t, entries, "a dry run changes nothing at all")

		writeTree(t, src, map[string]string{"x1.py": "x = 1\n", "x2.py": "x = 2\n", "x3.py": "x = 3\n"})
		_, err = Publish(ctx, opts(src, tg.dest))
		require.NoError(t, err)
		for _, n := range []string{"x1.py", "x2.py", "x3.py"} {
			require.NoError(t, os.Remove(filepath.Join(src, n)))
		}
		o = opts(src, tg.dest)
		o.Delete.Enabled, o.Delete.Max = true, 2
		_, err = Publish(ctx, o)
		require.ErrorAs(t, err, &refused)
		assert.Contains(t, err.Error(), "limit of 2")
		assert.Equal(t, "max-delete", refused.Setting)
		assert.Contains(t, readTree(t, tg.dir), "x3.py")

		o.Delete.Max = 100
		o.Delete.Confirm = func(p *Plan) bool { return false }
		_, err = Publish(ctx, o)
		require.ErrorAs(t, err, &refused)
		assert.Contains(t, readTree(t, tg.dir), "x3.py")
		o.Delete.Confirm = func(p *Plan) bool { return len(p.Delete) == 3 }
		res, err = Publish(ctx, o)
		require.NoError(t, err)
		assert.Len(t, res.Deleted, 3)
	})
}

func TestLock(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		ctx := context.Background()
		src := t.TempDir()
		writeTree(t, src, map[string]string{"a.py": dagA})
		require.NoError(t, os.MkdirAll(filepath.Join(tg.dir, layout.Dir), 0o755))
		now := time.Now()
		held := layout.LockInfo{Holder: "ci@runner-7 pid 42", RunID: "r1", Acquired: now, Expires: now.Add(time.Minute)}
		b, _ := json.Marshal(held)
		require.NoError(t, os.WriteFile(filepath.Join(tg.dir, layout.LockPath), b, 0o644))

		_, err := Publish(ctx, opts(src, tg.dest))
		var locked *LockedError
		require.ErrorAs(t, err, &locked)
		assert.Equal(t, "ci@runner-7 pid 42", locked.Holder)
		assert.Contains(t, err.Error(), "ci@runner-7")
		assert.NotContains(t, readTree(t, tg.dir), "a.py")

		// An expired lock is taken over.
		held.Expires = now.Add(-time.Second)
		b, _ = json.Marshal(held)
		require.NoError(t, os.WriteFile(filepath.Join(tg.dir, layout.LockPath), b, 0o644))
		res, err := Publish(ctx, opts(src, tg.dest))
		require.NoError(t, err)
		assert.Equal(t, []string{layout.IgnoreFile, "a.py"}, res.Uploaded)
		_, err = os.Stat(filepath.Join(tg.dir, layout.LockPath))
		assert.True(t, os.IsNotExist(err))
	})
}

func TestLockKeepAliveAndLoss(t *testing.T) {
	dir, d := localDest(t)
	ctx := context.Background()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, layout.StagingDir), 0o700))
	lk, err := acquire(ctx, d, layout.LockInfo{Holder: "me", RunID: "mine"}, 90*time.Millisecond, time.Now, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	first, err := layout.ReadLock(ctx, d, time.Minute)
	require.NoError(t, err)
	lost := make(chan error, 1)
	kctx, stop := context.WithCancel(ctx)
	go lk.keepAlive(kctx, func(err error) { lost <- err })
	time.Sleep(200 * time.Millisecond)
	again, err := layout.ReadLock(ctx, d, time.Minute)
	require.NoError(t, err)
	assert.True(t, again.Expires.After(first.Expires), "the lock was refreshed")

	// Someone takes the lock over: the holder learns it at the next refresh.
	// (Written again until then: a refresh that read the lock just before
	// this write renames its own over it, which a real rival, who may only
	// take an expired lock, never meets.)
	b, _ := json.Marshal(layout.LockInfo{Holder: "other", RunID: "theirs", Expires: time.Now().Add(time.Hour)})
	deadline := time.After(2 * time.Second)
wait:
	for {
		require.NoError(t, os.WriteFile(filepath.Join(dir, layout.LockPath), b, 0o644))
		select {
		case err := <-lost:
			assert.ErrorIs(t, err, ErrLockLost)
			break wait
		case <-deadline:
			t.Fatal("the lost lock was not noticed")
		case <-time.After(20 * time.Millisecond):
		}
	}
	stop()
	assert.ErrorIs(t, lk.release(ctx), ErrLockLost)
	_, err = os.Stat(filepath.Join(dir, layout.LockPath))
	assert.NoError(t, err, "someone else's lock is not removed")
}

func TestJournalRecovery(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		src := t.TempDir()
		writeTree(t, src, map[string]string{"a.py": dagA})
		// What a publish killed after staging leaves behind.
		leftover := layout.TempName()
		writeTree(t, tg.dir, map[string]string{leftover: "PK\x05\x06 staged zip"})
		j, _ := json.Marshal(layout.Journal{RunID: "crashed", Temps: []string{leftover, "../../etc/passwd"}})
		writeTree(t, tg.dir, map[string]string{layout.JournalPath: string(j)})

		_, err := Publish(context.Background(), opts(src, tg.dest))
		require.NoError(t, err)
		_, err = os.Stat(filepath.Join(tg.dir, leftover))
		assert.True(t, os.IsNotExist(err), "the crashed run's temporary file is removed")
		_, err = os.Stat(filepath.Join(tg.dir, layout.JournalPath))
		assert.True(t, os.IsNotExist(err))
	})
}

func TestCorruptManifest(t *testing.T) {
	for _, bad := range []string{"{not json", `{"format":1,"generation":0}`, `{"format":9,"generation":1}`,
		`{"format":1,"generation":2,"files":[{"path":"../x","size":1,"sha256":"` + strings.Repeat("a", 64) + `","mode":"0644"}]}`,
		`{"format":1,"generation":2,"files":[{"path":"x","size":1,"sha256":"zz","mode":"0644"}]}`,
		`{"format":1,"generation":2,"files":[{"path":"x","size":1,"sha256":"` + strings.Repeat("a", 64) + `","mode":"0999"}]}`} {
		t.Run(bad, func(t *testing.T) {
			dir, d := localDest(t)
			src := t.TempDir()
			writeTree(t, src, map[string]string{"a.py": dagA})
			writeTree(t, dir, map[string]string{layout.ManifestPath: bad})
			_, err := Publish(context.Background(), opts(src, d))
			var me *layout.ManifestError
			require.ErrorAs(t, err, &me)
			assert.Contains(t, err.Error(), "Move it aside")
			assert.NotContains(t, readTree(t, dir), "a.py")
		})
	}
}

// readOnly is a destination whose server refuses writes.
type readOnly struct{ nfs.Dest }

func (readOnly) CanWrite(context.Context, string) (bool, error) { return false, nil }
func (readOnly) Identity() perms.Identity                       { return perms.Identity{UID: 50000, GIDs: []uint32{50000}} }

func TestNotWritable(t *testing.T) {
	dir, d := localDest(t)
	src := t.TempDir()
	writeTree(t, src, map[string]string{"a.py": dagA})
	_, err := Publish(context.Background(), opts(src, readOnly{d}))
	var pe *PermissionError
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, err.Error(), "uid 50000")
	assert.Contains(t, err.Error(), "chown 50000:50000 "+dir)
	entries, _ := os.ReadDir(dir)
	assert.Empty(t, entries, "nothing is changed")
}

func TestPostCheck(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test needs root (files owned by root, mode 0600, unreadable for uid 50000); run it as root as CI does")
	}
	dir, d := localDest(t)
	require.NoError(t, os.Chmod(dir, 0o755))
	src := t.TempDir()
	writeTree(t, src, map[string]string{"team/a.py": dagA})

	// A plan whose files Airflow could not read is refused before
	// anything is written, naming the identity, the files, the missing
	// bit and the flag (issue 21: it was found after the switch).
	for _, c := range []struct {
		mode     fs.FileMode
		uid, gid int
		want     string
	}{
		{0o600, -1, -1, "uid 50000 gid 0 is in the group class of 0:0 mode 0600, which grants --- but r-- is needed"},
		{0o640, 1000, 50000, "uid 50000 gid 0 is in the other class of 1000:50000 mode 0640, which grants --- but r-- is needed"},
	} {
		o := opts(src, d)
		o.Owner.FileMode, o.Owner.UID, o.Owner.GID = c.mode, c.uid, c.gid
		_, err := Publish(context.Background(), o)
		var refused *RefusedError
		require.ErrorAs(t, err, &refused)
		assert.Equal(t, "file-mode", refused.Setting)
		assert.Contains(t, err.Error(), "could not read every published file")
		assert.Contains(t, err.Error(), c.want)
		assert.Contains(t, err.Error(), "--file-mode 0644")
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		assert.Empty(t, entries, "nothing was written")
	}

	// What the server shows on its own is still checked after the switch.
	o := opts(src, &lyingDest{Dest: d})
	o.Owner.FileMode, o.Owner.UID, o.Owner.GID = 0o640, 50000, 0
	_, err := Publish(context.Background(), o)
	var ce *CheckError
	require.ErrorAs(t, err, &ce)
	require.Len(t, ce.Problems, 1, "%v", ce.Problems)
	assert.Contains(t, ce.Problems[0], "team: uid 50000 gid 0 is in the group class of 0:0 mode 0700")

	o = opts(src, d)
	o.Owner.FileMode, o.Owner.UID, o.Owner.GID = 0o640, 50000, 0
	_, err = Publish(context.Background(), o)
	require.NoError(t, err, "owner 50000 with group 0 satisfies both Airflow identities")
	fi, err := os.Stat(filepath.Join(dir, "team/a.py"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), fi.Mode().Perm())
}

func TestDuplicateWithAnUnchangedFile(t *testing.T) {
	_, d := localDest(t)
	src := t.TempDir()
	writeTree(t, src, map[string]string{"a.py": dagA})
	_, err := Publish(context.Background(), opts(src, d))
	require.NoError(t, err)

	// A new file reuses the dag_id of a.py, whose bytes are not read again.
	writeTree(t, src, map[string]string{"z.py": strings.ReplaceAll(dagA, "# ", "") + "\n"})
	res, err := Publish(context.Background(), opts(src, d))
	var verr *ValidationError
	require.ErrorAs(t, err, &verr)
	require.Equal(t, 1, res.Validation.Errors())
	var dup validate.Finding
	for _, f := range res.Validation.Findings {
		if f.Rule == validate.RuleDuplicateDagID {
			dup = f
		}
	}
	assert.Equal(t, "z.py", dup.File)
	assert.Contains(t, dup.Message, "a.py:2")
	assert.Equal(t, 1, res.Validation.Compiled, "only z.py was compiled")
}

func TestRollback(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		ctx := context.Background()
		src := t.TempDir()
		v1 := map[string]string{"a.py": dagA, "team/b.py": dagB, "notes.txt": "v1"}
		writeTree(t, src, v1)
		o := opts(src, tg.dest)
		o.Label = "v1"
		_, err := Publish(ctx, o)
		require.NoError(t, err)

		writeTree(t, src, map[string]string{"a.py": dagA + "# v2\n", "c.py": strings.ReplaceAll(dagB, "'b'", "'c'")})
		require.NoError(t, os.Remove(filepath.Join(src, "team/b.py")))
		o.Label, o.Delete.Enabled = "v2", true
		_, err = Publish(ctx, o)
		require.NoError(t, err)
		writeTree(t, tg.dir, map[string]string{"by_hand.py": "x = 1\n"})

		ro := opts("", tg.dest)
		res, err := Rollback(ctx, ro, 0)
		require.NoError(t, err)
		assert.Equal(t, 3, res.Generation)
		assert.ElementsMatch(t, []string{"a.py", "team/b.py"}, res.Uploaded)
		assert.Equal(t, []string{"c.py"}, res.Deleted)
		tree := readTree(t, tg.dir)
		delete(tree, "by_hand.py")
		assert.Equal(t, v1, tree, "the export holds generation 1 again")
		assert.Equal(t, "x = 1\n", readTree(t, tg.dir)["by_hand.py"], "a file placed by hand survives")
		m := manifestOnDisk(t, tg.dir)
		assert.Equal(t, "rollback", m.Action)
		assert.Equal(t, "rollback to generation 1 (v1)", m.Label)

		_, err = Rollback(ctx, ro, 42)
		var refused *RefusedError
		require.ErrorAs(t, err, &refused)
		assert.Contains(t, err.Error(), "kept: 3, 2, 1")

		// Content that is no longer kept: refused, and nothing changes.
		require.NoError(t, os.RemoveAll(filepath.Join(tg.dir, layout.ObjectsDir)))
		require.NoError(t, os.Mkdir(filepath.Join(tg.dir, layout.ObjectsDir), 0o700))
		_, err = Rollback(ctx, ro, 2)
		require.ErrorAs(t, err, &refused)
		assert.Contains(t, err.Error(), "generation 2 cannot be restored")
		assert.Contains(t, err.Error(), "no longer kept")
		tree = readTree(t, tg.dir)
		delete(tree, "by_hand.py")
		assert.Equal(t, v1, tree, "the export still holds generation 1's files")
		assert.Equal(t, 3, manifestOnDisk(t, tg.dir).Generation)
	})
}

// rivalTakeover makes another publisher take over the same expired lock
// right after this one did: the lock file is replaced by the rival's as soon
// as this publisher's lock is written.
type rivalTakeover struct {
	nfs.Dest
	dir     string
	creates int
}

func (r *rivalTakeover) Create(ctx context.Context, name string, mode fs.FileMode) (nfs.Writer, error) {
	w, err := r.Dest.Create(ctx, name, mode)
	if name == layout.LockPath && err == nil {
		r.creates++
		return rivalWriter{w, r.dir}, nil
	}
	return w, err
}

type rivalWriter struct {
	nfs.Writer
	dir string
}

func (w rivalWriter) Commit(ctx context.Context) (nfs.FileInfo, error) {
	fi, err := w.Writer.Commit(ctx)
	rival := layout.LockInfo{Holder: "rival@elsewhere pid 7", Host: "elsewhere", PID: 7, RunID: "rival", Expires: time.Now().Add(time.Hour)}
	os.WriteFile(filepath.Join(w.dir, layout.LockPath), rival.Encode(), 0o644)
	return fi, err
}

// Two publishers that take over the same expired lock at once: the one
// whose lock was replaced stops before changing anything (ErrLockLost).
func TestLockTakeoverRace(t *testing.T) {
	dir, d := localDest(t)
	src := t.TempDir()
	writeTree(t, src, map[string]string{"a.py": dagA})
	require.NoError(t, os.MkdirAll(filepath.Join(dir, layout.Dir), 0o755))
	expired := layout.LockInfo{Holder: "gone", RunID: "old", Expires: time.Now().Add(-time.Minute)}
	require.NoError(t, os.WriteFile(filepath.Join(dir, layout.LockPath), expired.Encode(), 0o644))

	rd := &rivalTakeover{Dest: d, dir: dir}
	_, err := Publish(context.Background(), opts(src, rd))
	require.ErrorIs(t, err, ErrLockLost)
	assert.Contains(t, err.Error(), "rival@elsewhere")
	assert.Equal(t, 1, rd.creates)
	_, err = os.Stat(filepath.Join(dir, "a.py"))
	assert.True(t, os.IsNotExist(err), "nothing was published")
	li, err := layout.ReadLock(context.Background(), d, time.Minute)
	require.NoError(t, err)
	assert.Equal(t, "rival", li.RunID, "the rival's lock is left alone")
}

// countOpens counts how often each file is opened for reading.
type countOpens struct {
	nfs.Dest
	opens map[string]int
}

func (c *countOpens) Open(ctx context.Context, name string) (nfs.File, error) {
	c.opens[name]++
	return c.Dest.Open(ctx, name)
}

func (c *countOpens) ReadFile(ctx context.Context, name string, max int64) ([]byte, error) {
	c.opens[name]++
	return c.Dest.ReadFile(ctx, name, max)
}

// A publish reads and parses the manifest once: under the lock it only
// checks that the file is still the one it read.
func TestManifestReadOnce(t *testing.T) {
	_, d := localDest(t)
	src := t.TempDir()
	writeTree(t, src, map[string]string{"a.py": dagA})
	_, err := Publish(context.Background(), opts(src, d))
	require.NoError(t, err)
	writeTree(t, src, map[string]string{"b.py": dagB})
	c := &countOpens{Dest: d, opens: map[string]int{}}
	res, err := Publish(context.Background(), opts(src, c))
	require.NoError(t, err)
	assert.Equal(t, []string{"b.py"}, res.Uploaded)
	assert.Equal(t, 1, c.opens[layout.ManifestPath])
}

// A history file planted with a huge generation number cannot make a
// publish forget real generations or their objects.
func TestPlantedHistoryIsIgnored(t *testing.T) {
	dir, d := localDest(t)
	src := t.TempDir()
	ctx := context.Background()
	o := opts(src, d)
	o.Keep = 2
	for i := range 3 {
		writeTree(t, src, map[string]string{"a.py": dagA + fmt.Sprintf("# v%d\n", i)})
		_, err := Publish(ctx, o)
		require.NoError(t, err)
	}
	planted := layout.Manifest{Format: 1, Generation: 999999, Files: []layout.Entry{{Path: "a.py", Size: 1, SHA256: strings.Repeat("0", 64), Mode: 0o644}}}
	writeTree(t, dir, map[string]string{layout.HistoryName(999999): string(planted.Encode())})
	writeTree(t, src, map[string]string{"a.py": dagA + "# v3\n"})
	_, err := Publish(ctx, o)
	require.NoError(t, err)
	for _, gen := range []int{3, 4} {
		_, err := os.Stat(filepath.Join(dir, layout.HistoryName(gen)))
		assert.NoError(t, err, "generation %d is kept", gen)
	}
	hist, err := layout.ReadHistory(ctx, d, 4)
	require.NoError(t, err)
	require.Len(t, hist, 2)
	assert.Equal(t, 4, hist[0].Generation)
	// The object of generation 3's a.py is kept for rollback.
	_, err = os.Stat(filepath.Join(dir, layout.ObjectName(hist[1].Index()["a.py"].SHA256)))
	assert.NoError(t, err)
}

// A symlink planted on the export (lnk -> .) never turns a managed path
// (lnk/hotfix.py) into a delete of a file placed by hand (hotfix.py).
func TestDeleteNeverPassesThroughASymlink(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		dir, d := tg.dir, tg.dest
		src := t.TempDir()
		ctx := context.Background()
		writeTree(t, src, map[string]string{"a.py": dagA, "lnk/hotfix.py": dagB})
		_, err := Publish(ctx, opts(src, d))
		require.NoError(t, err)
		// By hand: lnk/ becomes a link to the export root, next to a hotfix.py
		// with the same content.
		require.NoError(t, os.RemoveAll(filepath.Join(dir, "lnk")))
		require.NoError(t, os.Symlink(".", filepath.Join(dir, "lnk")))
		writeTree(t, dir, map[string]string{"hotfix.py": dagB})
		require.NoError(t, os.RemoveAll(filepath.Join(src, "lnk")))

		o := opts(src, d)
		o.Delete.Enabled = true
		res, err := Publish(ctx, o)
		require.NoError(t, err)
		assert.Empty(t, res.Deleted)
		assert.Equal(t, []string{"lnk/hotfix.py"}, res.NotDeleted)
		b, err := os.ReadFile(filepath.Join(dir, "hotfix.py"))
		require.NoError(t, err)
		assert.Equal(t, dagB, string(b), "the file placed by hand is untouched")
	})
}

// panicky panics at the third file it creates (the first is the journal,
// the next ones staged files), as a bug in a worker would.
type panicky struct {
	nfs.Dest
	creates *atomic.Int32
}

func (p panicky) Create(ctx context.Context, name string, mode fs.FileMode) (nfs.Writer, error) {
	if p.creates.Add(1) == 3 {
		panic("a bug while staging " + name)
	}
	return p.Dest.Create(ctx, name, mode)
}

// A panic in a worker is an error like any other: the publish ends, its
// lock is released and nothing is half-published.
func TestWorkerPanicIsAnError(t *testing.T) {
	dir, d := localDest(t)
	src := t.TempDir()
	writeTree(t, src, map[string]string{"a.py": dagA, "b.py": dagB, "c.txt": "c", "d.txt": "d"})
	_, err := Publish(context.Background(), opts(src, panicky{d, new(atomic.Int32)}))
	var pe *guard.PanicError
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, err.Error(), "internal error")
	_, err = os.Stat(filepath.Join(dir, layout.LockPath))
	assert.True(t, os.IsNotExist(err), "the lock is released")
	assert.Empty(t, readTree(t, dir), "nothing was published")
}

// A rollback of an export with one generation says there is nothing older,
// not that generation 0 is not kept (issue 20).
func TestRollbackOfTheFirstGeneration(t *testing.T) {
	_, d := localDest(t)
	src := t.TempDir()
	writeTree(t, src, map[string]string{"a.py": dagA})
	_, err := Publish(context.Background(), opts(src, d))
	require.NoError(t, err)
	_, err = Rollback(context.Background(), opts("", d), 0)
	var re *RefusedError
	require.ErrorAs(t, err, &re)
	assert.Contains(t, err.Error(), "holds generation 1 only: there is nothing older to restore")
	assert.NotContains(t, err.Error(), "generation 0")
}

// staleOnce answers the first read of the lock with NFS3ERR_STALE, as a
// server does when the lock is removed between its LOOKUP and its READ.
type staleOnce struct {
	nfs.Dest
	exist, stale atomic.Bool
}

func (s *staleOnce) Create(ctx context.Context, name string, mode fs.FileMode) (nfs.Writer, error) {
	if name == layout.LockPath && s.exist.CompareAndSwap(false, true) {
		return nil, &fs.PathError{Op: "create", Path: name, Err: fs.ErrExist}
	}
	return s.Dest.Create(ctx, name, mode)
}

func (s *staleOnce) ReadFile(ctx context.Context, name string, max int64) ([]byte, error) {
	if name == layout.LockPath && s.stale.CompareAndSwap(false, true) {
		return nil, &fs.PathError{Op: "read", Path: name, Err: syscall.ESTALE}
	}
	return s.Dest.ReadFile(ctx, name, max)
}

// A lock that vanished between its lookup and its read is a released lock:
// the publisher takes it instead of failing (issue 20).
func TestStaleLockIsReleased(t *testing.T) {
	_, d := localDest(t)
	src := t.TempDir()
	writeTree(t, src, map[string]string{"a.py": dagA})
	sd := &staleOnce{Dest: d}
	res, err := Publish(context.Background(), opts(src, sd))
	require.NoError(t, err)
	assert.Equal(t, 1, res.Generation)
	assert.True(t, sd.stale.Load(), "the stale read happened")
}

// The lock refresh is a compare-and-swap: it extends this run's lock, and a
// lock another publisher took over is never overwritten: the refresh says
// the lock is lost (exit 4) and leaves the other's as it is (issue 20).
func TestLockRefreshNeverOverwrites(t *testing.T) {
	ctx := context.Background()
	dir, d := localDest(t)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, layout.StagingDir), 0o700))
	now := time.Now()
	clock := func() time.Time { return now }
	l, err := acquire(ctx, d, layout.LockInfo{Holder: "me", RunID: "mine"}, time.Minute, clock, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	now = now.Add(30 * time.Second)
	require.NoError(t, l.refresh(ctx))
	held, err := layout.ReadLock(ctx, d, time.Minute)
	require.NoError(t, err)
	assert.Equal(t, "mine", held.RunID)
	assert.Equal(t, now.UTC().Add(time.Minute).Unix(), held.Expires.Unix(), "extended")

	// Another publisher takes it over (this one stalled past the expiry)
	// right after the refresh read it: between its check and its write.
	theirs := layout.LockInfo{Holder: "them", RunID: "theirs", Expires: now.Add(time.Hour)}
	l.d = &takeoverAfterRead{Dest: d, lockFile: filepath.Join(dir, layout.LockPath), theirs: theirs.Encode()}
	assert.ErrorIs(t, l.refresh(ctx), ErrLockLost)
	held, err = layout.ReadLock(ctx, d, time.Minute)
	require.NoError(t, err)
	assert.Equal(t, "theirs", held.RunID, "the other publisher's lock is left as it was")
	entries, err := os.ReadDir(filepath.Join(dir, layout.StagingDir))
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing left aside")
}

// takeoverAfterRead replaces the lock with another publisher's right after
// the first read of it, as a publisher taking over an expired lock would.
type takeoverAfterRead struct {
	nfs.Dest
	lockFile string
	theirs   []byte
	done     atomic.Bool
}

func (t *takeoverAfterRead) ReadFile(ctx context.Context, name string, max int64) ([]byte, error) {
	b, err := t.Dest.ReadFile(ctx, name, max)
	if name == layout.LockPath && t.done.CompareAndSwap(false, true) {
		if werr := os.WriteFile(t.lockFile+".new", t.theirs, 0o644); werr == nil {
			_ = os.Rename(t.lockFile+".new", t.lockFile)
		}
	}
	return b, err
}

// An interrupt that arrives while the lock's CREATE is on its way leaves no
// lock behind: the reply that comes within the cancel grace tells the run
// that the file exists, and the run removes it (issue 20; an empty lock was
// left once in the e2e interrupt test, and the next publish was refused).
func TestInterruptedLockCreateLeavesNoLock(t *testing.T) {
	dir, s := nfstest.Server(t)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, layout.StagingDir), 0o700))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := nfstest.Proxy(t, s.Addr().String(), func(c nfstest.Call, reply []byte) []byte {
		if c.Prog == 100003 && c.Proc == 8 { // CREATE: the server made the file
			cancel()
			time.Sleep(100 * time.Millisecond) // the reply comes within the grace
		}
		return nfstest.Record(reply)
	})
	d := nfstest.Dial(t, "nfs://"+addr+"/")
	_, err := acquire(ctx, d, layout.LockInfo{Holder: "me", RunID: "mine"}, time.Minute, time.Now, slog.New(slog.DiscardHandler))
	require.ErrorIs(t, err, context.Canceled)
	_, err = os.Lstat(filepath.Join(dir, layout.LockPath))
	assert.ErrorIs(t, err, fs.ErrNotExist, "the lock the interrupted run created is removed")
}

// lyingDest reports the folder team as one Airflow cannot enter, as a
// server may show a folder differently from what was set (another
// client's change, an ACL-only server): the read check after the switch
// reads what the server shows.
type lyingDest struct{ nfs.Dest }

func (l *lyingDest) Stat(ctx context.Context, name string) (nfs.FileInfo, error) {
	fi, err := l.Dest.Stat(ctx, name)
	if err == nil && name == "team" {
		fi.Mode, fi.UID, fi.GID = fs.ModeDir|0o700, 0, 0
	}
	return fi, err
}

// A file that will be uploaded whatever its content (a new path, or a size
// the manifest does not record) is hashed as it is sent, not read once
// before to hash it: the manifest still records the sum of what was sent,
// a republish finds it unchanged, and validation's findings are recorded
// for it (issue 21: big files at wire speed).
func TestUploadedFilesAreHashedAsSent(t *testing.T) {
	for _, lay := range []string{layout.InPlace, layout.Generations} {
		t.Run(lay, func(t *testing.T) {
			ctx := context.Background()
			dir, d := localDest(t)
			src := t.TempDir()
			big := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB
			writeTree(t, src, map[string]string{"a.py": dagA, "data/big.bin": big})
			o := opts(src, d)
			o.Layout = lay

			snap := snapshot{}
			files, err := Scan(src, nil)
			require.NoError(t, err)
			need := needsSum(o, snap)
			for _, f := range files {
				assert.False(t, need(f), "%s is new: hashed as it is sent", f.Rel)
			}

			_, err = Publish(ctx, o)
			require.NoError(t, err)
			m := manifestOnDisk(t, dir)
			sums := map[string]string{}
			for _, e := range m.Files {
				sums[e.Path] = e.SHA256
			}
			assert.Equal(t, sha256Hex(big), sums["data/big.bin"])
			assert.Equal(t, sha256Hex(dagA), sums["a.py"])
			for _, e := range m.Files {
				if e.Path == "a.py" {
					assert.Equal(t, []layout.EntryDAG{{ID: "a", Line: 2}}, e.DAGs, "validation's findings recorded")
				}
			}

			snap = readSnapshot(ctx, d)
			require.True(t, snap.ok)
			need = needsSum(o, snap)
			for _, f := range files {
				assert.True(t, need(f), "%s may be unchanged: hashed before the plan", f.Rel)
			}
			res, err := Publish(ctx, o)
			require.NoError(t, err)
			assert.Empty(t, res.Uploaded, "the recorded sums are the files'")

			writeTree(t, src, map[string]string{"data/big.bin": big + "more"})
			files, err = Scan(src, nil)
			require.NoError(t, err)
			for _, f := range files {
				assert.Equal(t, f.Rel != "data/big.bin", need(f), "%s", f.Rel)
			}
			res, err = Publish(ctx, o)
			require.NoError(t, err)
			assert.Equal(t, []string{"data/big.bin"}, res.Uploaded)
			for _, e := range manifestOnDisk(t, dir).Files {
				if e.Path == "data/big.bin" {
					assert.Equal(t, sha256Hex(big+"more"), e.SHA256)
				}
			}
		})
	}
	o := opts(t.TempDir(), nil)
	o.Bundle = "team-a"
	assert.Nil(t, needsSum(o, snapshot{}), "a bundle's version is the digest of every sum: all are hashed first")
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// failRename fails the RENAME that would put one name in place.
type failRename struct {
	nfs.Dest
	name string
}

func (d *failRename) Rename(ctx context.Context, from, to string) error {
	if to == d.name {
		return &os.PathError{Op: "rename", Path: from, Err: syscall.EIO}
	}
	return d.Dest.Rename(ctx, from, to)
}

// A switch cut short by a failed RENAME records what is really on the
// export: the manifest (written while the renames ran, as if all succeed)
// is written again with the files renamed before the failure only, and the
// history's entry agrees with it.
func TestPartialSwitchRecordsWhatIsThere(t *testing.T) {
	ctx := context.Background()
	dir, local := localDest(t)
	src := t.TempDir()
	writeTree(t, src, map[string]string{"a.py": "x = 1\n", "b.py": "x = 2\n", "c.py": "x = 3\n", "d.py": "x = 4\n"})
	o := opts(src, &failRename{Dest: local, name: "c.py"})
	_, err := Publish(ctx, o)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "switch interrupted")

	m := manifestOnDisk(t, dir)
	var paths []string
	for _, e := range m.Files {
		paths = append(paths, e.Path)
	}
	assert.Equal(t, []string{".airflowignore", "a.py", "b.py"}, paths, "the files renamed before the failure, in order")
	_, err = os.Stat(filepath.Join(dir, "c.py"))
	assert.True(t, os.IsNotExist(err))
	hist, err := os.ReadFile(filepath.Join(dir, layout.HistoryName(m.Generation)))
	require.NoError(t, err)
	onDisk, err := os.ReadFile(filepath.Join(dir, layout.ManifestPath))
	require.NoError(t, err)
	assert.Equal(t, string(onDisk), string(hist), "the history's entry is the manifest")
	left, err := os.ReadDir(filepath.Join(dir, layout.StagingDir))
	require.NoError(t, err)
	assert.Empty(t, left, "the records staged for a whole switch are removed")

	res, err := Publish(ctx, opts(src, local))
	require.NoError(t, err)
	assert.Equal(t, []string{"c.py", "d.py"}, res.Uploaded)
}

// noLink is a destination whose hard links fail, as on a server that has
// none.
type noLink struct{ nfs.Dest }

func (noLink) Link(context.Context, string, string) error { return errors.ErrUnsupported }

// The in-place layout's history entry is a hard link to the manifest just
// written (one call instead of a second synced copy); the manifest is
// replaced by rename, so each generation's entry keeps its own bytes. Where
// links fail, the entry is a copy.
func TestHistoryLinksTheManifest(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		ctx := context.Background()
		src := t.TempDir()
		for gen := 1; gen <= 2; gen++ {
			writeTree(t, src, map[string]string{"a.py": dagA + fmt.Sprintf("# v%d\n", gen)})
			_, err := Publish(ctx, opts(src, tg.dest))
			require.NoError(t, err)
			m, err := os.Stat(filepath.Join(tg.dir, layout.ManifestPath))
			require.NoError(t, err)
			h, err := os.Stat(filepath.Join(tg.dir, layout.HistoryName(gen)))
			require.NoError(t, err)
			// go-nfs (the in-process server) has no hard links: a copy
			// there; nfs-ganesha's links are checked in e2e.
			assert.Equal(t, tg.name == "local", os.SameFile(m, h), "generation %d: the history entry is the manifest's file", gen)
		}
		hist, err := layout.ReadHistory(ctx, tg.dest, 2)
		require.NoError(t, err)
		require.Len(t, hist, 2)
		assert.Equal(t, []int{2, 1}, []int{hist[0].Generation, hist[1].Generation}, "each entry keeps its generation after the manifest is replaced")
		assert.NotEqual(t, hist[0].Index()["a.py"].SHA256, hist[1].Index()["a.py"].SHA256)

		writeTree(t, src, map[string]string{"a.py": dagA + "# v3\n"})
		_, err = Publish(ctx, opts(src, noLink{tg.dest}))
		require.NoError(t, err)
		m, err := os.Stat(filepath.Join(tg.dir, layout.ManifestPath))
		require.NoError(t, err)
		h, err := os.Stat(filepath.Join(tg.dir, layout.HistoryName(3)))
		require.NoError(t, err)
		assert.False(t, os.SameFile(m, h), "without links the entry is a copy")
		hist, err = layout.ReadHistory(ctx, tg.dest, 3)
		require.NoError(t, err)
		require.NotEmpty(t, hist)
		assert.Equal(t, 3, hist[0].Generation)
	})
}

// slowList is a destination whose listings take a while and that records
// how many run at once.
type slowList struct {
	nfs.Dest
	now, most atomic.Int32
	fail      string
}

func (d *slowList) ReadDir(ctx context.Context, name string) ([]nfs.FileInfo, error) {
	if d.fail != "" && name == d.fail {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrPermission}
	}
	n := d.now.Add(1)
	defer d.now.Add(-1)
	for {
		m := d.most.Load()
		if n <= m || d.most.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(5 * time.Millisecond)
	return d.Dest.ReadDir(ctx, name)
}

// The drift check lists folders several at a time and finds every file of
// a deep and wide tree, as one at a time does; a folder that cannot be
// listed is an error.
func TestListFilesConcurrently(t *testing.T) {
	dir, local := localDest(t)
	tree := map[string]string{}
	for i := range 12 {
		for j := range 3 {
			tree[fmt.Sprintf("d%d/e%d/f%d.py", i, j, i*3+j)] = "x\n"
		}
		tree[fmt.Sprintf("d%d/top.py", i)] = "y\n"
	}
	writeTree(t, dir, tree)
	ctx := context.Background()
	one, err := listFiles(ctx, local, 1)
	require.NoError(t, err)
	d := &slowList{Dest: local}
	many, err := listFiles(ctx, d, 4)
	require.NoError(t, err)
	assert.Equal(t, one, many)
	assert.Len(t, many, len(tree)+12+36, "every file and folder")
	assert.Equal(t, int32(4), d.most.Load(), "four listings at once")

	d.fail = "d7/e1"
	_, err = listFiles(ctx, d, 4)
	assert.ErrorIs(t, err, fs.ErrPermission)
	assert.ErrorContains(t, err, "d7/e1")
}
