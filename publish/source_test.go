package publish

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	assert.ErrorContains(t, err, "--exclude")
	_, err = Scan(filepath.Join(src, "a.py"), nil)
	assert.ErrorContains(t, err, "is not a folder")
}
