//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type bundleRead struct {
	Version string `json:"version"`
	Files   int    `json:"files"`
	Error   string `json:"error"`
}

// consumeAs runs the format's consumer (bundle/testdata/consumer.py) on the
// published root, on the server's disk, as uid 50000 gid 0 (a pod).
func consumeAs(t *testing.T, root, name string, args ...string) bundleRead {
	t.Helper()
	script, err := os.ReadFile("../bundle/testdata/consumer.py")
	require.NoError(t, err)
	cmd := exec.Command("setpriv", append([]string{"--reuid", "50000", "--regid", "0", "--clear-groups", "/usr/bin/python3", "-", root, name}, args...)...)
	cmd.Stdin = bytes.NewReader(script)
	out, _ := cmd.Output()
	var r bundleRead
	require.NoError(t, json.Unmarshal(out, &r), "consumer said %q", out)
	return r
}

type bundleResult struct {
	result
	Version string `json:"version"`
}

// Airflow 3's versioned bundle over nfs-ganesha: what publish writes, the
// format's consumer reads (refresh and pinned) as a pod would, a second NFS
// client reads the same reference, a reader refreshing during a publish only
// ever resolves complete versions, and a publish killed at any moment leaves
// the reference naming a whole, earlier or new, version.
func TestManifestBundleOnGanesha(t *testing.T) {
	e := setup(t)
	dir, url := e.folder(t)
	src := t.TempDir()
	files := manyFiles(500, 512)
	files["etl.py"] = dagFile("etl", "")
	writeFiles(t, src, files)
	publish := func(extra ...string) (int, bundleResult, string) {
		args := append([]string{"publish", "--format", "json", "--python", "none", "--layout", "manifest-bundle", "--bundle", "team-a", src, url}, extra...)
		code, out, errOut := e.run(t, args...)
		var r bundleResult
		if out != "" {
			require.NoError(t, json.Unmarshal([]byte(out), &r), out)
		}
		return code, r, errOut
	}
	code, r, errOut := publish()
	require.Equal(t, 0, code, errOut)
	v1 := r.Version
	require.NotEmpty(t, v1, "the JSON result names the version")
	got := consumeAs(t, dir, "team-a", "refresh")
	require.Empty(t, got.Error)
	assert.Equal(t, v1, got.Version)
	assert.Equal(t, 501, got.Files)
	ref, err := os.ReadFile(filepath.Join(dir, "refs/team-a/latest.json"))
	require.NoError(t, err)
	assert.Equal(t, string(ref), nfsCat(t, dir+"/refs/team-a/latest.json"), "the reference through a second client")

	// A reader refreshing while v2 is published resolves v1 or v2, whole.
	for i := 0; i < 250; i++ {
		files[fmt.Sprintf("f%04d.txt", i)] = fmt.Sprintf("v2 %d\n", i)
	}
	writeFiles(t, src, files)
	var stop atomic.Bool
	var reads atomic.Int64
	var mu sync.Mutex
	var bad []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		for !stop.Load() {
			c := consumeAs(t, dir, "team-a", "refresh")
			reads.Add(1)
			if c.Error != "" {
				mu.Lock()
				bad = append(bad, c.Error)
				mu.Unlock()
			}
		}
	}()
	code, r, errOut = publish()
	stop.Store(true)
	<-done
	require.Equal(t, 0, code, errOut)
	v2 := r.Version
	assert.NotEqual(t, v1, v2)
	assert.Empty(t, bad, "a refresh during the publish saw an incomplete version (%d reads)", reads.Load())
	assert.Equal(t, v2, consumeAs(t, dir, "team-a", "refresh").Version)
	assert.Equal(t, v1, consumeAs(t, dir, "team-a", "pinned", v1).Version, "a pinned version stays readable")

	// The same content again: no new version.
	code, r, errOut = publish()
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, v2, r.Version)

	// SIGKILL at several moments: the reference always names a whole
	// version, and the next publish completes.
	prev := v2
	for round, delay := range []time.Duration{30 * time.Millisecond, 150 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond} {
		files["etl.py"] = dagFile("etl", fmt.Sprintf("# round %d\n", round))
		for i := 0; i < 100; i++ {
			files[fmt.Sprintf("f%04d.txt", i)] = fmt.Sprintf("round %d %d\n", round, i)
		}
		writeFiles(t, src, files)
		cmd := exec.Command(e.bin, "publish", "--python", "none", "--layout", "manifest-bundle", "--bundle", "team-a", src, url)
		require.NoError(t, cmd.Start())
		time.Sleep(delay)
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()
		c := consumeAs(t, dir, "team-a", "refresh")
		require.Empty(t, c.Error, "round %d: the reference names a whole version", round)
		t.Logf("round %d: killed after %v; the reference names %s (previous %s)", round, delay, c.Version[:15], prev[:15])
		code, r, errOut = publish()
		require.Equal(t, 0, code, "round %d: %s", round, errOut)
		assert.Equal(t, r.Version, consumeAs(t, dir, "team-a", "refresh").Version)
		prev = r.Version
	}
	entries, err := os.ReadDir(filepath.Join(dir, "versions/team-a"))
	require.NoError(t, err)
	for _, en := range entries {
		assert.NotContains(t, en.Name(), ".building-", "no half-built snapshot stays")
	}

	// A second bundle in the same published root, with its own records.
	srcB := t.TempDir()
	writeFiles(t, srcB, map[string]string{"b.py": dagFile("b", "")})
	code, out, errOut := e.run(t, "publish", "--format", "json", "--bundle", "team-b", srcB, url)
	require.Equal(t, 0, code, "%s %s", out, errOut)
	assert.Empty(t, consumeAs(t, dir, "team-b", "refresh").Error)
	assert.Equal(t, prev, consumeAs(t, dir, "team-a", "refresh").Version, "team-a's reference stays")

	// status and verify know the layout, per bundle; the root alone names
	// its bundles.
	code, out, errOut = e.run(t, "status", "--check", "--bundle", "team-a", url)
	assert.Equal(t, 0, code, "%s %s", out, errOut)
	code, out, errOut = e.asUser(t, "verify", "--format", "json", "--bundle", "team-b", dir)
	assert.Equal(t, 0, code, "%s %s", out, errOut)
	code, out, _ = e.run(t, "status", url)
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "a published root of versioned bundles (team-a, team-b): name one with --bundle")

	// A rollback of team-a releases its first version again.
	code, out, errOut = e.run(t, "rollback", "--bundle", "team-a", "--to", "1", url)
	require.Equal(t, 0, code, "%s %s", out, errOut)
	assert.Equal(t, v1, consumeAs(t, dir, "team-a", "refresh").Version)
}
