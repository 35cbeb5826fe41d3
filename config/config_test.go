package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

func TestFindWalksUpToTheNearestFile(t *testing.T) {
	root := t.TempDir()
	dags := filepath.Join(root, "repo", "dags", "team")
	require.NoError(t, os.MkdirAll(dags, 0o755))

	got, err := Find(dags)
	require.NoError(t, err)
	assert.Empty(t, got, "no file anywhere")

	// A pyproject.toml without [tool.dagnfs] is not ours: the search goes on.
	write(t, filepath.Join(root, "repo", "dags", "pyproject.toml"), "[project]\nname = \"x\"\n")
	write(t, filepath.Join(root, "repo", "pyproject.toml"), "[tool.dagnfs]\nairflow-version = 2\n")
	got, err = Find(dags)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(root, "repo", "pyproject.toml"), got)

	// dagnfs.toml wins in its folder, and the nearest folder wins.
	write(t, filepath.Join(root, "repo", FileName), "airflow-version = 3\n")
	got, err = Find(dags)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(root, "repo", FileName), got)
	write(t, filepath.Join(dags, FileName), "strict = true\n")
	got, err = Find(dags)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dags, FileName), got)
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "pyproject.toml")
	write(t, p, `[project]
name = "dags"

[tool.dagnfs]
airflow-version = 2
python-version = "3.11"
safe-mode = false
disable = ["dag-no-schedule", "datetime-now-in-dag"]
exclude = []
per-file-ignores = {"legacy/*.py" = ["all"]}
file-mode = 0o640
dir-mode = "0750"
uid = 1000
keep = 5
`)
	c, err := Load(p)
	require.NoError(t, err)
	assert.Equal(t, map[string][]string{
		"airflow-version": {"2"}, "python-version": {"3.11"}, "safe-mode": {"false"},
		"disable": {"dag-no-schedule", "datetime-now-in-dag"}, "exclude": {},
		"file-mode": {"0640"}, "dir-mode": {"0750"}, "uid": {"1000"}, "keep": {"5"},
	}, c.Values)
	assert.Equal(t, map[string][]string{"legacy/*.py": {"all"}}, c.PerFileIgnores)
}

// Every mistake names the file, the key and what is wanted.
func TestLoadRejects(t *testing.T) {
	for _, c := range []struct{ content, want string }{
		{"airflow-versoin = 2\n", "unknown key airflow-versoin (keys: airflow-version"},
		{"airflow-version = \"2\"\n", "airflow-version must be an integer"},
		{"strict = 1\n", "strict must be true or false"},
		{"disable = \"syntax\"\n", "disable must be a list of strings"},
		{"disable = [1]\n", "disable must be a list of strings"},
		{"file-mode = true\n", "file-mode must be a mode"},
		{"per-file-ignores = [\"x\"]\n", "per-file-ignores must be a table"},
		{"per-file-ignores = {\"a\" = \"syntax\"}\n", `per-file-ignores."a" must be a list of rule ids`},
		{"airflow-version = \n", "line 1"},
	} {
		p := filepath.Join(t.TempDir(), FileName)
		write(t, p, c.content)
		_, err := Load(p)
		require.Error(t, err, c.content)
		assert.Contains(t, err.Error(), p+": ", c.content)
		assert.Contains(t, err.Error(), c.want, c.content)
	}
	p := filepath.Join(t.TempDir(), "pyproject.toml")
	write(t, p, "[tool.other]\nx = 1\n")
	_, err := Load(p)
	assert.ErrorContains(t, err, "has no [tool.dagnfs] table")
	write(t, p, "[tool.dagnfs]\nkeep = 1\nbogus = 2\n")
	_, err = Load(p)
	assert.ErrorContains(t, err, "unknown key tool.dagnfs.bogus")

	big := filepath.Join(t.TempDir(), FileName)
	write(t, big, "# "+strings.Repeat("x", MaxSize)+"\n")
	_, err = Load(big)
	assert.ErrorContains(t, err, "larger than")
}

// A settings file found in the source is never read through a symlink: a
// checkout that other jobs write to could point it at any file of the
// publisher's, and the parse error or the unknown key would show its
// content (issue 20). A file named with --config is followed (a
// ConfigMap's files are links).
func TestFoundSettingsAreNotReadThroughALink(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret.env")
	write(t, secret, "SECRET_hunter2 = 1\n")
	for _, name := range []string{FileName, "pyproject.toml"} {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			p := filepath.Join(root, name)
			require.NoError(t, os.Symlink(secret, p))
			_, err := Find(filepath.Join(root))
			require.Error(t, err)
			assert.Contains(t, err.Error(), p+": is a symlink")
			assert.NotContains(t, err.Error(), "hunter2")
		})
	}
	// Found as a regular file, then swapped for a link before it is read.
	root := t.TempDir()
	p := filepath.Join(root, FileName)
	write(t, p, "airflow-version = 2\n")
	found, err := Find(root)
	require.NoError(t, err)
	require.Equal(t, p, found)
	require.NoError(t, os.Remove(p))
	require.NoError(t, os.Symlink(secret, p))
	_, err = LoadFound(found)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is a symlink")
	assert.NotContains(t, err.Error(), "hunter2")
	// Named by the user: followed.
	_, err = Load(p)
	require.Error(t, err, "the secret's key is not a setting")
	assert.Contains(t, err.Error(), "SECRET_hunter2", "read through the link the user named")
}
