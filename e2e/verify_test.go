//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type verifyResult struct {
	OK         bool   `json:"ok"`
	Generation int    `json:"generation"`
	Label      string `json:"label"`
	Files      int    `json:"files"`
	Findings   []struct {
		Rule     string `json:"rule"`
		Severity string `json:"severity"`
		File     string `json:"file"`
	} `json:"findings"`
}

func (v verifyResult) rules() map[string][]string {
	out := map[string][]string{}
	for _, f := range v.Findings {
		out[f.Rule] = append(out[f.Rule], f.File)
	}
	return out
}

// asUser runs the dagnfs binary as uid 50000 gid 50000 (a pod's identity),
// reading the export's folder on the server's disk as a pod reads its mount.
func (e env) asUser(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runCmd(t, exec.Command("setpriv", append([]string{"--reuid", "50000", "--regid", "50000", "--clear-groups", e.bin}, args...)...))
}

// publishedFolder makes an export folder holding one published generation
// (a.py, labelled label) and returns it, its URL and the source folder.
func (e env) publishedFolder(t *testing.T, label string) (string, string, string) {
	t.Helper()
	dir, url := e.folder(t)
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a.py": dagFile("a", "")})
	code, _, errOut := e.run(t, "publish", "--label", label, src, url)
	require.Equal(t, 0, code, errOut)
	return dir, url, src
}

func parseVerify(t *testing.T, out string) verifyResult {
	t.Helper()
	var v verifyResult
	require.NoError(t, json.Unmarshal([]byte(out), &v), out)
	return v
}

func TestVerifyAsAirflow(t *testing.T) {
	e := setup(t)
	dir, url := e.folder(t)
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a.py": dagFile("a", ""), "team/b.py": dagFile("b", "")})
	code, _, errOut := e.run(t, "publish", "--label", "c1", src, url)
	require.Equal(t, 0, code, errOut)

	// As the pod's user, through its "mount" (the export's folder).
	code, out, errOut := e.asUser(t, "verify", "--format", "json", "--expect-label", "c1", dir)
	require.Equal(t, 0, code, "%s %s", out, errOut)
	v := parseVerify(t, out)
	assert.True(t, v.OK)
	assert.Equal(t, 3, v.Files, "two files and the root's .airflowignore")

	// Over NFS as uid 50000.
	code, out, errOut = e.run(t, "verify", "--format", "json", url)
	require.Equal(t, 0, code, "%s %s", out, errOut)
	assert.Equal(t, 1, parseVerify(t, out).Generation)

	// Damage: a truncated file, a root-owned 0600 file, an extra DAG file.
	require.NoError(t, os.Truncate(filepath.Join(dir, "a.py"), 5))
	require.NoError(t, os.Chown(filepath.Join(dir, "team/b.py"), 0, 0))
	require.NoError(t, os.Chmod(filepath.Join(dir, "team/b.py"), 0o600))
	writeFiles(t, dir, map[string]string{"stray.py": dagFile("stray", "")})
	code, out, _ = e.asUser(t, "verify", "--format", "json", dir)
	assert.Equal(t, 1, code)
	v = parseVerify(t, out)
	got := v.rules()
	assert.Equal(t, []string{"a.py"}, got["size-mismatch"])
	assert.Contains(t, got["unreadable"], "team/b.py", "uid 50000 really cannot read it")
	assert.Equal(t, []string{"stray.py"}, got["unmanaged-file"])

	// As root (reading works) the POSIX rules still flag it for uid 50000.
	code, out, _ = e.run(t, "verify", "--format", "json", dir)
	assert.Equal(t, 1, code)
	assert.Contains(t, parseVerify(t, out).rules()["not-readable-for-airflow"], "team/b.py")

	// Over NFS the server answers for uid 50000 itself.
	code, out, _ = e.run(t, "verify", "--format", "json", url)
	assert.Equal(t, 1, code)
	assert.Contains(t, parseVerify(t, out).rules()["unreadable"], "team/b.py")

	// A garbage manifest is a finding, not a crash.
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".dagnfs/manifest.json"), []byte("{garbage"), 0o644))
	code, out, errOut = e.run(t, "verify", "--format", "json", dir)
	assert.Equal(t, 1, code, errOut)
	assert.Contains(t, parseVerify(t, out).rules(), "manifest-corrupt")

	// A folder that does not exist cannot be read at all: exit 3.
	code, _, errOut = e.run(t, "verify", dir+"/nope")
	assert.Equal(t, 3, code, errOut)
}

func TestVerifyWaitsForAPublish(t *testing.T) {
	e := setup(t)
	dir, url, src := e.publishedFolder(t, "c1")

	cmd := exec.Command("setpriv", "--reuid", "50000", "--regid", "50000", "--clear-groups", e.bin,
		"verify", "--format", "json", "--expect-label", "c2", "--wait", "20s", "--poll", "100ms", dir)
	var out bytes.Buffer
	cmd.Stdout = &out
	require.NoError(t, cmd.Start())
	time.Sleep(500 * time.Millisecond)
	writeFiles(t, src, map[string]string{"a.py": dagFile("a", "# c2\n")})
	code, _, errOut := e.run(t, "publish", "--label", "c2", src, url)
	require.Equal(t, 0, code, errOut)
	require.NoError(t, cmd.Wait(), out.String())
	v := parseVerify(t, out.String())
	assert.True(t, v.OK)
	assert.Equal(t, "c2", v.Label)

	code, out2, _ := e.asUser(t, "verify", "--format", "json", "--expect-label", "c3", "--wait", "1s", "--poll", "100ms", dir)
	assert.Equal(t, 1, code)
	assert.Contains(t, parseVerify(t, out2).rules(), "wait-timeout")
}

func TestAgentAsAirflow(t *testing.T) {
	e := setup(t)
	dir, _, _ := e.publishedFolder(t, "c1")

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command("setpriv", "--reuid", "50000", "--regid", "50000", "--clear-groups", e.bin,
		"agent", dir, "--listen", addr, "--interval", "1s", "--log-format", "json")
	var logs bytes.Buffer
	cmd.Stderr = &logs
	require.NoError(t, cmd.Start())
	defer cmd.Process.Kill()
	get := func(p string) (int, string) {
		resp, err := http.Get("http://" + addr + p)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		if c, _ := get("/readyz"); c == http.StatusOK {
			break
		}
		require.True(t, time.Now().Before(deadline), "the agent never became ready: %s", logs.String())
		time.Sleep(100 * time.Millisecond)
	}
	_, metrics := get("/metrics")
	assert.Contains(t, metrics, "dagnfs_generation 1")
	assert.Contains(t, metrics, "dagnfs_verify_success 1")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.py"), []byte("tampered"), 0o644))
	for {
		if c, _ := get("/readyz"); c == http.StatusServiceUnavailable {
			break
		}
		require.True(t, time.Now().Before(deadline.Add(10*time.Second)), "the agent never noticed")
		time.Sleep(100 * time.Millisecond)
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		assert.NoError(t, err, "graceful shutdown on SIGTERM: %s", logs.String())
	case <-time.After(15 * time.Second):
		t.Fatal("the agent did not stop on SIGTERM")
	}
	assert.True(t, strings.Contains(logs.String(), `"msg":"verified"`), "structured JSON logs: %s", logs.String())
}

func TestRollbackEndToEnd(t *testing.T) {
	e := setup(t)
	dir, url := e.folder(t)
	src := t.TempDir()
	v1 := map[string]string{"a.py": dagFile("a", ""), "team/b.py": dagFile("b", "")}
	writeFiles(t, src, v1)
	code, _, errOut := e.run(t, "publish", "--label", "v1", src, url)
	require.Equal(t, 0, code, errOut)
	writeFiles(t, src, map[string]string{"a.py": dagFile("a", "# v2\n"), "c.py": dagFile("c", "")})
	require.NoError(t, os.Remove(filepath.Join(src, "team/b.py")))
	code, _, errOut = e.run(t, "publish", "--delete", "--label", "v2", src, url)
	require.Equal(t, 0, code, errOut)

	code, out, errOut := e.run(t, "history", url)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "v1")
	assert.Contains(t, out, "v2")

	code, out, errOut = e.run(t, "rollback", "--format", "json", url)
	require.Equal(t, 0, code, "%s %s", out, errOut)
	assert.Equal(t, v1, onDisk(t, dir), "generation 1 is back, byte for byte")
	code, out, errOut = e.asUser(t, "verify", "--format", "json", dir)
	require.Equal(t, 0, code, "%s %s", out, errOut)
	v := parseVerify(t, out)
	assert.Equal(t, 3, v.Generation)
	assert.Equal(t, "rollback to generation 1 (v1)", v.Label)

	code, out, errOut = e.run(t, "status", url)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "generation  3")
	assert.Contains(t, out, "drift       none")
	_ = fmt.Sprint
}
