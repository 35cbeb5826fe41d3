package publish

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dagnfs/dagnfs/internal/testfs"
	"github.com/dagnfs/dagnfs/validate"
)

func TestScan(t *testing.T) {
	src := t.TempDir()
	writeTree(t, src, map[string]string{"a.py": "x = 1\n", "lib/util.py": "y = 2\n", ".git/HEAD": "ref",
		"__pycache__/a.cpython-311.pyc": "x", "scratch/tmp.txt": "t", "notes.md": "n"})
	require.NoError(t, os.Symlink("lib/util.py", filepath.Join(src, "util_link.py")))
	require.NoError(t, os.Symlink("lib", filepath.Join(src, "lib_link")))

	files, err := Scan(src, []string{"scratch", "*.md"})
	require.NoError(t, err)
	var rels []string
	for _, f := range files {
		rels = append(rels, f.Rel)
	}
	assert.Equal(t, []string{"a.py", "lib/util.py", "lib_link/util.py", "util_link.py"}, rels,
		"symlinks inside the folder are published as the files they point to; .git, caches and --exclude are not")

	outside := t.TempDir()
	writeTree(t, outside, map[string]string{"secret.py": "z = 3\n"})
	require.NoError(t, os.Symlink(filepath.Join(outside, "secret.py"), filepath.Join(src, "escape.py")))
	require.NoError(t, os.Symlink(".", filepath.Join(src, "lib", "loop")))
	_, err = Scan(src, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "escape.py: symlink leads outside the source folder")
	assert.Contains(t, err.Error(), "symlink loop")

	_, err = Scan(src, []string{"[bad"})
	assert.ErrorContains(t, err, "exclude pattern \"[bad\" is not valid")
	_, err = Scan(filepath.Join(src, "a.py"), nil)
	assert.ErrorContains(t, err, "is not a folder")
}

// Validation over publish's one walk finds what its own walk of the disk
// finds: the same DAGs, ignored files and findings.
func TestValidationOverTheSharedWalk(t *testing.T) {
	src := t.TempDir()
	testfs.WriteTree(t, src, map[string]string{
		"a.py":                "from airflow import DAG\nDAG('a')\n",
		"team/b.py":           "from airflow import DAG\nDAG('b')\n",
		"team/.airflowignore": "skip_.*\n",
		"team/skip_me.py":     "from airflow import DAG\nDAG('skipped')\n",
		"lib/helpers.py":      "X = 1\n",
		"scratch/notes.md":    "x\n",
	})
	require.NoError(t, os.Symlink("lib", filepath.Join(src, "linked")))
	files, listed, err := scan(src, []string{"scratch"})
	require.NoError(t, err)
	assert.Len(t, files, 6) // a, team/b, team/.airflowignore, team/skip_me, lib/helpers, linked/helpers
	o := validate.Options{Python: "none", AirflowVersion: 2, Exclude: []string{"scratch"}}
	own, err := validate.Run(context.Background(), src, o)
	require.NoError(t, err)
	o.Listed = listed
	shared, err := validate.Run(context.Background(), src, o)
	require.NoError(t, err)
	assert.Equal(t, own.DAGs, shared.DAGs)
	assert.Equal(t, own.Ignored, shared.Ignored)
	assert.Equal(t, own.Findings, shared.Findings)
	assert.Equal(t, own.Files, shared.Files)
	assert.Contains(t, listed, filepath.Join(src, "linked"), "a folder reached through a symlink is listed at the path validation reaches it by")
}
