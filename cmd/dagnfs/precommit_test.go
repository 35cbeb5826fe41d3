package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

// The pre-commit hook runs as its definition says: pre-commit installs the
// repository's Go commands (language golang: cmd/dagnfs becomes dagnfs),
// then runs entry with args from the DAG repository's root, once (no file
// names), when a file its pattern matches changed. pre-commit itself is not
// installed here; this runs what it would (issue 21).
func TestPreCommitHook(t *testing.T) {
	b, err := os.ReadFile("../../.pre-commit-hooks.yaml")
	require.NoError(t, err)
	var hooks []struct {
		ID            string   `json:"id"`
		Entry         string   `json:"entry"`
		Language      string   `json:"language"`
		Args          []string `json:"args"`
		PassFilenames *bool    `json:"pass_filenames"`
		Files         string   `json:"files"`
		RequireSerial bool     `json:"require_serial"`
		Name          string   `json:"name"`
		Description   string   `json:"description"`
	}
	require.NoError(t, yaml.UnmarshalStrict(b, &hooks))
	require.Len(t, hooks, 1)
	h := hooks[0]
	assert.Equal(t, "dagnfs-validate", h.ID)
	assert.Equal(t, "golang", h.Language)
	require.NotNil(t, h.PassFilenames)
	assert.False(t, *h.PassFilenames, "the whole folder is validated, not the changed files")
	entry := strings.Fields(h.Entry)
	require.Equal(t, "dagnfs", entry[0], "the name go install gives cmd/dagnfs")
	_, err = os.Stat("../../cmd/" + entry[0])
	require.NoError(t, err)

	files := regexp.MustCompile(h.Files)
	for _, p := range []string{"dags/a.py", "dags/pkg.zip", "dags/.airflowignore", "dagnfs.toml", "pyproject.toml"} {
		assert.True(t, files.MatchString(p), "%s triggers the hook", p)
	}
	for _, p := range []string{"README.md", "dags/data.csv"} {
		assert.False(t, files.MatchString(p), "%s does not", p)
	}

	repo := t.TempDir()
	t.Chdir(repo)
	require.NoError(t, os.MkdirAll(filepath.Join(repo, "dags"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(repo, "dags", "a.py"), []byte("def f(:\n"), 0o644))
	args := append(entry[1:], h.Args...)
	code, out, _ := runCLI(t, args...)
	assert.Equal(t, exitFailed, code, "a broken DAG fails the hook: %s", out)
	assert.Contains(t, out, "dags/a.py")
	require.NoError(t, os.WriteFile(filepath.Join(repo, "dags", "a.py"), []byte(dag), 0o644))
	code, out, errOut := runCLI(t, args...)
	assert.Equal(t, exitOK, code, "%s%s", out, errOut)
}
