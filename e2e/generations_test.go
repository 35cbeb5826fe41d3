//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	var mixed []string
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			target, err := os.Readlink(filepath.Join(dir, "current"))
			if err != nil {
				mixed = append(mixed, err.Error())
				continue
			}
			set, err := readSet(filepath.Join(dir, target))
			switch {
			case err != nil:
				mixed = append(mixed, target+": "+err.Error())
			case !assert.ObjectsAreEqual(v1, set) && !assert.ObjectsAreEqual(v2, set):
				mixed = append(mixed, fmt.Sprintf("%s: %d files, neither v1 nor v2", target, len(set)))
			}
			reads.Add(1)
		}
	}()
	code, r, errOut = e.publish(t, src, url, "--label", "v2")
	stop.Store(true)
	wg.Wait()
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
