package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dagnfs/dagnfs/internal/testfs"
	"github.com/dagnfs/dagnfs/nfs/nfstest"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, bytes.NewReader(nil), &out, &errb)
	return code, out.String(), errb.String()
}

func srcDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	testfs.WriteTree(t, dir, files)
	return dir
}

const dag = "from airflow import DAG\nwith DAG('x'):\n    pass\n"

func TestUsageErrors(t *testing.T) {
	src := srcDir(t, map[string]string{"a.py": dag})
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "Usage:"},
		{"unknown command", []string{"pubish"}, `unknown command "pubish"`},
		{"unknown flag", []string{"publish", "--nope", src, t.TempDir()}, "unknown flag: --nope"},
		{"missing dest", []string{"publish", src}, "wrong number of arguments"},
		{"bad url", []string{"publish", src, "nfs://host"}, "has no path on the server"},
		{"other scheme", []string{"publish", src, "s3://bucket/x"}, "only nfs:// URLs and folders"},
		{"bad mode", []string{"publish", "--file-mode", "0999", src, t.TempDir()}, "not an octal permission mode"},
		{"bad format", []string{"publish", "--format", "yaml", src, t.TempDir()}, `"yaml" is not one of text, json`},
		{"bad check-as", []string{"publish", "--check-as", "airflow", src, t.TempDir()}, "--check-as"},
		{"source not a folder", []string{"publish", filepath.Join(src, "a.py"), t.TempDir()}, "is not a folder"},
		{"serve without export", []string{"serve"}, "--export DIR is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tt.args...)
			assert.Equal(t, exitUsage, code)
			assert.Contains(t, out+errOut, tt.want)
			assert.NotContains(t, errOut, "goroutine", "no stack trace")
		})
	}
}

func TestEnvFallback(t *testing.T) {
	src := srcDir(t, map[string]string{"a.py": dag})
	t.Setenv("DAGNFS_MAX_DELETE", "lots")
	code, _, errOut := runCLI(t, "publish", src, t.TempDir())
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "DAGNFS_MAX_DELETE")

	t.Setenv("DAGNFS_MAX_DELETE", "5")
	t.Setenv("DAGNFS_FORMAT", "json")
	t.Setenv("GITHUB_SHA", "0123abc")
	dest := t.TempDir()
	code, out, errOut := runCLI(t, "publish", src, dest)
	require.Equal(t, exitOK, code, errOut)
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	assert.Equal(t, "0123abc", res["label"], "the label defaults to the CI commit")
}

func TestPublishJSONAndExitCodes(t *testing.T) {
	_, s := nfstest.Server(t)
	dagY := strings.ReplaceAll(dag, "'x'", "'y'")
	src := srcDir(t, map[string]string{"a.py": dag, "b/c.py": dagY})

	code, out, errOut := runCLI(t, "publish", "--format", "json", "--label", "v1", src, s.URL())
	require.Equal(t, exitOK, code, errOut)
	var res struct {
		OK         bool     `json:"ok"`
		Generation int      `json:"generation"`
		Uploaded   []string `json:"uploaded"`
		Deleted    []string `json:"deleted"`
		Unchanged  int      `json:"unchanged"`
		Bytes      int64    `json:"bytes"`
		SwitchMS   *float64 `json:"switch_ms"`
		DurationMS *int64   `json:"duration_ms"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	assert.True(t, res.OK)
	assert.Equal(t, 1, res.Generation)
	assert.Equal(t, []string{"a.py", "b/c.py"}, res.Uploaded)
	assert.Equal(t, []string{}, res.Deleted)
	assert.Equal(t, int64(len(dag)+len(dagY)), res.Bytes)
	require.NotNil(t, res.SwitchMS)
	require.NotNil(t, res.DurationMS)

	code, out, _ = runCLI(t, "publish", "--label", "v1", src, s.URL())
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "Nothing to do")

	bad := srcDir(t, map[string]string{"a.py": "def f(:\n"})
	code, out, _ = runCLI(t, "publish", bad, s.URL())
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, out, "a.py\n  1:")

	code, out, _ = runCLI(t, "validate", bad)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, out, "1 errors")
	code, out, _ = runCLI(t, "validate", "--format", "json", "--airflow-version", "2", bad)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, out, `"airflow_version": 2`)
	code, _, errOut = runCLI(t, "validate", "--airflow-version", "4", bad)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "--airflow-version must be 2 or 3")
	code, _, errOut = runCLI(t, "validate", "--disable", "nope", bad)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "no such rule")
	code, _, _ = runCLI(t, "validate", src)
	assert.Equal(t, exitOK, code)

	// Unreachable server: a destination error, on one line.
	code, _, errOut = runCLI(t, "publish", "--timeout", "1s", src, "nfs://127.0.0.1:1/x")
	assert.Equal(t, exitDest, code)
	assert.Contains(t, errOut, "127.0.0.1:1")
	assert.Equal(t, 1, bytes.Count([]byte(errOut), []byte("\n")))
}

func TestLockedExitCode(t *testing.T) {
	dest := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dest, ".dagnfs"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dest, ".dagnfs/lock"),
		[]byte(`{"holder":"cron@etl-1 pid 7","run_id":"x","expires":"2999-01-01T00:00:00Z"}`), 0o644))
	src := srcDir(t, map[string]string{"a.py": dag})
	code, _, errOut := runCLI(t, "publish", src, dest)
	assert.Equal(t, exitLocked, code)
	assert.Contains(t, errOut, "cron@etl-1 pid 7")
}

func TestVersionAndHelp(t *testing.T) {
	code, out, _ := runCLI(t, "version")
	assert.Equal(t, exitOK, code)
	assert.Equal(t, "dagnfs dev\n", out)
	code, out, _ = runCLI(t, "publish", "--help")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "EXIT STATUS")
	assert.Contains(t, out, "--max-delete")
}
