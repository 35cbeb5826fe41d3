package validate

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFilesSyntax(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"good.py":         "from airflow import DAG\nwith DAG('a'):\n    pass\n",
		"sub/broken.py":   "def f(:\n    pass\n",
		"compile_only.py": "x = 1\nreturn x\n",
		"nul.py":          "x = 1\x00\n",
		"notes.sql":       "select 1 from (",
	}
	var names []string
	for name, content := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		names = append(names, name)
	}
	r, err := Files(context.Background(), dir, names, Options{Python: "auto"})
	require.NoError(t, err)
	if r.Python == "" {
		t.Fatal("no python3 on PATH: the syntax check needs CPython (the CI script installs it)")
	}
	assert.Equal(t, 5, r.Files)
	byFile := map[string]Finding{}
	for _, f := range r.Findings {
		byFile[f.File] = f
	}
	require.Len(t, byFile, 3, "%v", r.Findings)
	assert.Equal(t, "syntax", byFile["sub/broken.py"].Rule)
	assert.Equal(t, 1, byFile["sub/broken.py"].Line)
	assert.Equal(t, "syntax", byFile["compile_only.py"].Rule)
	assert.Contains(t, byFile["compile_only.py"].Message, "'return' outside function")
	assert.Equal(t, "encoding", byFile["nul.py"].Rule)
	assert.Equal(t, 3, r.Errors())
}

func TestFilesWithoutPython(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.py"), []byte("def (:"), 0o644))
	r, err := Files(context.Background(), dir, []string{"a.py"}, Options{Python: "none"})
	require.NoError(t, err)
	assert.Equal(t, 0, r.Errors())
	assert.Equal(t, 1, r.Warnings())
	_, err = Files(context.Background(), dir, []string{"a.py"}, Options{Python: "/nonexistent/python"})
	assert.ErrorContains(t, err, "--python")
}
