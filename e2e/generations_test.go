//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dagnfs/dagnfs/layout"
)

// readSet reads every file below dir on the server's disk, or says why it
// could not.
func readSet(dir string) (map[string]string, error) {
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = string(b)
		return err
	})
	return out, err
}

// The generations layout over NFS against nfs-ganesha: every publish
// builds a complete folder, current switches with one RENAME, a reader
// resolving current during a publish sees the old set or the new one and
// never a mix, unchanged files are hard links (NFS LINK), and a rollback
// points current back without copying.
func TestGenerationsOnGanesha(t *testing.T) {
	e := setup(t)
	dir, url := e.folder(t)
	src := t.TempDir()
	v1 := manyFiles(200, 512)
	v1["team/etl.py"] = dagFile("etl", "# v1\n")
	writeFiles(t, src, v1)
	code, r, errOut := e.publish(t, src, url, "--layout", "generations", "--label", "v1")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, 1, r.Generation)
	target, err := os.Readlink(filepath.Join(dir, "current"))
	require.NoError(t, err)
	assert.Equal(t, ".dagnfs/generations/1", target)
	got, err := readSet(filepath.Join(dir, target))
	require.NoError(t, err)
	assert.Equal(t, v1, got, "the first generation, on the server's disk")
	assert.Equal(t, v1["team/etl.py"], nfsCat(t, dir+"/.dagnfs/generations/1/team/etl.py"), "through a second client")

	// v2 changes half the files; a reader resolves current over and over
	// while it is published.
	v2 := map[string]string{}
	for k, v := range v1 {
		v2[k] = v
	}
	for i := 0; i < 100; i++ {
		v2[fmt.Sprintf("f%04d.txt", i)] = fmt.Sprintf("v2 %d\n", i)
	}
	v2["team/etl.py"] = dagFile("etl", "# v2\n")
	writeFiles(t, src, v2)
	var stop atomic.Bool
	var reads atomic.Int64
	wait := readerLoop(dir, []map[string]string{v1, v2}, &stop, &reads)
	code, r, errOut = e.publish(t, src, url, "--label", "v2")
	stop.Store(true)
	mixed := wait()
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, 2, r.Generation)
	assert.Len(t, r.Uploaded, 101)
	assert.Empty(t, mixed, "a reader saw an incomplete or mixed set")
	assert.Positive(t, reads.Load())
	assert.Greater(t, r.SwitchMS, 0.0, "the switch is timed: one RENAME")
	got, err = readSet(filepath.Join(dir, ".dagnfs/generations/2"))
	require.NoError(t, err)
	assert.Equal(t, v2, got)
	ino := func(p string) uint64 {
		fi, err := os.Stat(filepath.Join(dir, p))
		require.NoError(t, err)
		return fi.Sys().(*syscall.Stat_t).Ino
	}
	assert.Equal(t, ino(".dagnfs/generations/1/f0150.txt"), ino(".dagnfs/generations/2/f0150.txt"), "an unchanged file is a hard link")
	assert.NotEqual(t, ino(".dagnfs/generations/1/f0050.txt"), ino(".dagnfs/generations/2/f0050.txt"))

	// Airflow's identity verifies what current names.
	code, out, errOut := e.asUser(t, "verify", "--format", "json", dir)
	require.Equal(t, 0, code, "%s %s", out, errOut)
	var v struct {
		Layout     string `json:"layout"`
		Generation int    `json:"generation"`
		Current    int    `json:"current"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &v), out)
	assert.Equal(t, "generations", v.Layout)
	assert.Equal(t, 2, v.Current)
	// ... given the dags folder as Airflow is told to use it (current), and
	// warned when given the resolved path, which is pinned to generation 2.
	code, out, errOut = e.asUser(t, "verify", "--format", "json", filepath.Join(dir, "current"))
	require.Equal(t, 0, code, "%s %s", out, errOut)
	require.NoError(t, json.Unmarshal([]byte(out), &v), out)
	assert.Equal(t, 2, v.Current)
	code, out, errOut = e.asUser(t, "verify", filepath.Join(dir, ".dagnfs/generations/2"))
	require.Equal(t, 0, code, "%s %s", out, errOut)
	assert.Contains(t, out, "pinned-generation")

	// Rollback: one RENAME, nothing copied.
	code, out, errOut = e.run(t, "rollback", "--to", "1", "--format", "json", url)
	require.Equal(t, 0, code, "%s %s", out, errOut)
	target, err = os.Readlink(filepath.Join(dir, "current"))
	require.NoError(t, err)
	assert.Equal(t, ".dagnfs/generations/1", target)
	var rb result
	require.NoError(t, json.Unmarshal([]byte(out), &rb), out)
	assert.Empty(t, rb.Uploaded, "a rollback copies nothing")
	code, out, errOut = e.run(t, "status", url)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "generation  3")
	assert.Contains(t, out, "current names .dagnfs/generations/1")
	assert.Contains(t, out, "drift       none")
}

// SIGKILL at points spread over a generations publish: current always
// names a complete generation, old or new, and the next publish completes
// cleanly (leftover folder, symlink and journal removed).
func TestKilledGenerationsPublish(t *testing.T) {
	e := setup(t)
	dir, url := e.folder(t)
	src := t.TempDir()
	const n = 600
	set := func(gen int) map[string]string {
		files := map[string]string{}
		for i := range n {
			files[fmt.Sprintf("d%02d/f%03d.txt", i%20, i)] = fmt.Sprintf("# generation %d file %d\n%s\n", gen, i, strings.Repeat(fmt.Sprint(gen), 3000+i))
		}
		return files
	}
	writeFiles(t, src, set(1))
	t0 := time.Now()
	code, _, errOut := e.run(t, "publish", "--python", "none", "--layout", "generations", src, url)
	require.Equal(t, 0, code, errOut)
	full := time.Since(t0)
	sets := []map[string]string{nil, set(1)}

	for round, frac := range []float64{0.1, 0.4, 0.7, 0.9, 0.97, 1.0} {
		gen := round + 2
		sets = append(sets, set(gen))
		writeFiles(t, src, sets[gen])
		cmd := exec.Command(e.bin, "publish", "--python", "none", src, url)
		require.NoError(t, cmd.Start())
		time.Sleep(time.Duration(frac * float64(full)))
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()

		target, err := os.Readlink(filepath.Join(dir, "current"))
		require.NoError(t, err, "round %d: current is always there", round)
		got, err := readSet(filepath.Join(dir, target))
		require.NoError(t, err)
		whole := false
		for g := 1; g <= gen; g++ {
			whole = whole || assert.ObjectsAreEqual(sets[g], got)
		}
		require.True(t, whole, "round %d: current names %s, which is not a complete generation", round, target)
		t.Logf("round %d: killed after %v; current names %s", round, time.Duration(frac*float64(full)), target)

		code, out, errOut := e.run(t, "publish", "--python", "none", "--format", "json", src, url)
		require.Equal(t, 0, code, "round %d: %s %s", round, out, errOut)
		target, err = os.Readlink(filepath.Join(dir, "current"))
		require.NoError(t, err)
		got, err = readSet(filepath.Join(dir, target))
		require.NoError(t, err)
		require.Equal(t, sets[gen], got, "round %d: the next publish completes", round)
		left, err := os.ReadDir(filepath.Join(dir, ".dagnfs/staging"))
		require.NoError(t, err)
		assert.Empty(t, names(left), "round %d: no symlink or file left in staging", round)
		_, err = os.Stat(filepath.Join(dir, ".dagnfs/journal.json"))
		assert.True(t, os.IsNotExist(err), "round %d: no journal left", round)
	}
}

// Someone edits, re-permissions and removes published files on the
// server's disk: status --check fails, the next publish restores them and
// lists them as repaired, and status --check passes again.
func TestDriftRepairOnGanesha(t *testing.T) {
	e := setup(t)
	for _, lay := range []string{"in-place", "generations"} {
		t.Run(lay, func(t *testing.T) {
			dir, url := e.folder(t)
			src := t.TempDir()
			v1 := map[string]string{"a.py": dagFile("a", ""), "b.py": dagFile("b", ""), "team/c.py": dagFile("c", ""), "e.py": dagFile("e", "")}
			writeFiles(t, src, v1)
			code, _, errOut := e.run(t, "publish", "--layout", lay, src, url)
			require.Equal(t, 0, code, errOut)
			files := dir
			if lay == "generations" {
				target, err := os.Readlink(filepath.Join(dir, "current"))
				require.NoError(t, err)
				files = filepath.Join(dir, target)
			}
			code, _, errOut = e.run(t, "status", "--check", url)
			require.Equal(t, 0, code, errOut)

			time.Sleep(20 * time.Millisecond)
			require.NoError(t, os.WriteFile(filepath.Join(files, "a.py"), []byte(dagFile("a", "# by hand\n")), 0o644))
			require.NoError(t, os.Chmod(filepath.Join(files, "b.py"), 0o600))
			require.NoError(t, os.Remove(filepath.Join(files, "team/c.py")))
			require.NoError(t, os.Chown(filepath.Join(files, "e.py"), 0, 0))
			require.NoError(t, os.WriteFile(filepath.Join(files, "d.py"), []byte(dagFile("d", "")), 0o644)) // by hand: never touched
			code, out, _ := e.run(t, "status", "--check", url)
			assert.Equal(t, 1, code, "status --check sees the drift: %s", out)

			code, out, errOut = e.run(t, "publish", "--format", "json", src, url)
			require.Equal(t, 0, code, errOut)
			var r struct {
				Repaired []struct {
					Path   string `json:"path"`
					Reason string `json:"reason"`
				} `json:"repaired"`
			}
			require.NoError(t, json.Unmarshal([]byte(out), &r), out)
			reasons := map[string]string{}
			for _, rp := range r.Repaired {
				reasons[rp.Path] = rp.Reason
			}
			assert.Contains(t, reasons["a.py"], "content changed")
			assert.Equal(t, "mode 0600, 0644 published", reasons["b.py"])
			assert.Equal(t, "removed", reasons["team/c.py"])
			assert.Equal(t, "owner 0:0, 50000:50000 published", reasons["e.py"])
			assert.Len(t, reasons, 4, "the file placed by hand is not repaired")
			if lay == "generations" {
				target, err := os.Readlink(filepath.Join(dir, "current"))
				require.NoError(t, err)
				files = filepath.Join(dir, target)
			}
			got, err := readSet(files)
			require.NoError(t, err)
			for k := range got {
				if strings.HasPrefix(k, ".dagnfs") || (k == layout.IgnoreFile && got[k] == layout.IgnoreBlock) {
					delete(got, k)
				}
			}
			assert.Equal(t, dagFile("d", ""), got["d.py"], "the file placed by hand stays")
			delete(got, "d.py")
			assert.Equal(t, v1, got, "the export converged to the source")
			code, out, errOut = e.run(t, "status", "--check", url)
			assert.Equal(t, 0, code, "%s %s", out, errOut)
		})
	}
}

// --migrate over NFS: an in-place export moves into its first generation
// folder by LINK, current is made, the root keeps only others' files.
func TestMigrateOnGanesha(t *testing.T) {
	e := setup(t)
	dir, url := e.folder(t)
	src := t.TempDir()
	v1 := map[string]string{"a.py": dagFile("a", ""), "team/b.py": dagFile("b", "")}
	writeFiles(t, src, v1)
	code, _, errOut := e.run(t, "publish", src, url)
	require.Equal(t, 0, code, errOut)
	writeFiles(t, dir, map[string]string{"theirs.txt": "theirs"})
	require.NoError(t, os.Chown(filepath.Join(dir, "theirs.txt"), 50000, 50000))
	fi, err := os.Stat(filepath.Join(dir, "a.py"))
	require.NoError(t, err)
	before := fi.Sys().(*syscall.Stat_t).Ino

	code, _, errOut = e.run(t, "publish", "--layout", "generations", src, url)
	assert.Equal(t, 1, code, "refused without --migrate: %s", errOut)
	code, out, errOut := e.run(t, "publish", "--layout", "generations", "--migrate", src, url)
	require.Equal(t, 0, code, "%s %s", out, errOut)
	assert.Contains(t, out, "AIRFLOW__CORE__DAGS_FOLDER")
	target, err := os.Readlink(filepath.Join(dir, "current"))
	require.NoError(t, err)
	got, err := readSet(filepath.Join(dir, target))
	require.NoError(t, err)
	assert.Equal(t, v1, got)
	fi, err = os.Stat(filepath.Join(dir, target, "a.py"))
	require.NoError(t, err)
	assert.Equal(t, before, fi.Sys().(*syscall.Stat_t).Ino, "moved by a hard link, not copied")
	_, err = os.Stat(filepath.Join(dir, "a.py"))
	assert.True(t, os.IsNotExist(err), "the root no longer holds dagnfs's files")
	b, err := os.ReadFile(filepath.Join(dir, "theirs.txt"))
	require.NoError(t, err)
	assert.Equal(t, "theirs", string(b))
	code, out, errOut = e.run(t, "status", "--check", url)
	assert.Equal(t, 0, code, "%s %s", out, errOut)

	// ... and back.
	code, out, errOut = e.run(t, "publish", "--layout", "in-place", "--migrate", src, url)
	require.Equal(t, 0, code, "%s %s", out, errOut)
	_, err = os.Lstat(filepath.Join(dir, "current"))
	assert.True(t, os.IsNotExist(err), "current is gone")
	disk := onDisk(t, dir)
	delete(disk, "theirs.txt")
	assert.Equal(t, v1, disk)
	code, out, errOut = e.run(t, "status", "--check", url)
	assert.Equal(t, 0, code, "%s %s", out, errOut)
}

// readerLoop resolves current and reads the whole set over and over until
// stop, recording every read that was not one of the wanted sets.
func readerLoop(dir string, wanted []map[string]string, stop *atomic.Bool, reads *atomic.Int64) (wait func() []string) {
	var bad []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		for !stop.Load() {
			target, err := os.Readlink(filepath.Join(dir, "current"))
			if err != nil {
				bad = append(bad, err.Error())
				continue
			}
			set, err := readSet(filepath.Join(dir, target))
			ok := false
			for _, w := range wanted {
				ok = ok || (err == nil && assert.ObjectsAreEqual(w, set))
			}
			if !ok {
				bad = append(bad, fmt.Sprintf("%s: %v (%d files)", target, err, len(set)))
			}
			reads.Add(1)
		}
	}()
	return func() []string { <-done; return bad }
}

// Garbage collection and rollback under a reader: with --keep 1 and
// --grace 1m, a publish more than a minute after the first one removes its
// folder, while a reader resolving current in a loop only ever finds whole
// sets; a rollback under the reader too.
func TestGarbageCollectionAndRollbackUnderAReader(t *testing.T) {
	e := setup(t)
	dir, url := e.folder(t)
	src := t.TempDir()
	set := func(v int) map[string]string {
		files := map[string]string{}
		for i := range 150 {
			files[fmt.Sprintf("d%d/f%03d.txt", i%10, i)] = fmt.Sprintf("version %d file %d\n", v, i)
		}
		return files
	}
	sets := []map[string]string{nil, set(1), set(2), set(3)}
	pub := func(v int) {
		writeFiles(t, src, sets[v])
		code, _, errOut := e.run(t, "publish", "--python", "none", "--layout", "generations", "--keep", "1", "--grace", "1m", src, url)
		require.Equal(t, 0, code, errOut)
	}
	pub(1)
	pub(2)
	var stop atomic.Bool
	var reads atomic.Int64
	wait := readerLoop(dir, sets[1:], &stop, &reads)
	time.Sleep(62 * time.Second) // generation 1 retired more than --grace ago
	pub(3)
	_, err := os.Stat(filepath.Join(dir, ".dagnfs/generations/1"))
	assert.True(t, os.IsNotExist(err), "generation 1's folder was collected")
	assert.DirExists(t, filepath.Join(dir, ".dagnfs/generations/2"), "the generation before current stays")
	code, out, errOut := e.run(t, "rollback", "--to", "2", "--keep", "1", "--grace", "1m", url)
	require.Equal(t, 0, code, "%s %s", out, errOut)
	stop.Store(true)
	assert.Empty(t, wait(), "a reader found a missing or mixed set")
	assert.Positive(t, reads.Load())
	target, err := os.Readlink(filepath.Join(dir, "current"))
	require.NoError(t, err)
	assert.Equal(t, ".dagnfs/generations/2", target)
}
