package bundle

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func python(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	t.Fatal("no python3: the format is checked against a consumer written in Python (make deps installs it)")
	return ""
}

// writeSnapshot writes bundle's snapshot of files (path -> content; a path
// ending in "*" is executable) and its reference under root, as a
// publisher does, and returns the manifest.
func writeSnapshot(t *testing.T, root, bundle string, files map[string]string) *Manifest {
	t.Helper()
	var list []File
	for p, body := range files {
		exe := strings.HasSuffix(p, "*")
		p = strings.TrimSuffix(p, "*")
		sum := sha256.Sum256([]byte(body))
		list = append(list, File{Path: p, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(body)), Executable: exe})
	}
	m, err := NewManifest(bundle, list)
	require.NoError(t, err)
	dir := filepath.Join(root, filepath.FromSlash(VersionDir(bundle, m.Version)))
	for p, body := range files {
		mode := os.FileMode(0o444)
		if strings.HasSuffix(p, "*") {
			mode = 0o555
		}
		name := filepath.Join(dir, filepath.FromSlash(strings.TrimSuffix(p, "*")))
		require.NoError(t, os.MkdirAll(filepath.Dir(name), 0o755))
		require.NoError(t, os.WriteFile(name, []byte(body), mode))
		require.NoError(t, os.Chmod(name, mode))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, ManifestName), m.Encode(), 0o444))
	ref := filepath.Join(root, filepath.FromSlash(RefPath(bundle)))
	require.NoError(t, os.MkdirAll(filepath.Dir(ref), 0o755))
	require.NoError(t, os.WriteFile(ref, NewReference(m).Encode(), 0o644))
	return m
}

type consumed struct {
	Version string `json:"version"`
	Files   int    `json:"files"`
	Error   string `json:"error"`
}

// consume runs the Python consumer (testdata/consumer.py) on root.
func consume(t *testing.T, root, bundle string, args ...string) consumed {
	t.Helper()
	cmd := exec.Command(python(t), append([]string{"testdata/consumer.py", root, bundle}, args...)...)
	out, _ := cmd.Output()
	var c consumed
	require.NoError(t, json.Unmarshal(out, &c), "consumer said %q", out)
	return c
}

// What this package writes, a consumer written from the format's facts in
// Python reads, on refresh and pinned; the version is the one Python
// computes; tampering is caught by both.
func TestConsumerReadsWhatIsWritten(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{"etl.py": "from airflow import DAG\n", "bin/run.sh*": "#!/bin/sh\n", "empty.txt": "",
		`odd "name\with".sql`: "select 1", "a/b/c/deep.py": "x = 1\n"}
	m := writeSnapshot(t, root, "team-a", files)
	got := consume(t, root, "team-a", "refresh")
	require.Empty(t, got.Error)
	assert.Equal(t, m.Version, got.Version)
	assert.Equal(t, 5, got.Files)
	assert.Equal(t, m.Version, consume(t, root, "team-a", "pinned", m.Version).Version)

	// A second version: the reference moves, the first stays readable.
	files["etl.py"] = "from airflow import DAG\n# v2\n"
	m2 := writeSnapshot(t, root, "team-a", files)
	assert.NotEqual(t, m.Version, m2.Version)
	assert.Equal(t, m2.Version, consume(t, root, "team-a", "refresh").Version)
	assert.Equal(t, m.Version, consume(t, root, "team-a", "pinned", m.Version).Version, "a pinned version stays readable")

	// Another bundle's name is refused.
	assert.Contains(t, consume(t, root, "team-b", "refresh").Error, "No such file")

	dir := filepath.Join(root, filepath.FromSlash(VersionDir("team-a", m2.Version)))
	tamper := func(name string, fn func(p string)) {
		t.Helper()
		p := filepath.Join(dir, name)
		fn(p)
		assert.NotEmpty(t, consume(t, root, "team-a", "refresh").Error, "tampered: %s", name)
		assert.NotEmpty(t, consume(t, root, "team-a", "pinned", m2.Version).Error, "tampered: %s", name)
	}
	tamper("etl.py", func(p string) {
		require.NoError(t, os.Chmod(p, 0o644))
		require.NoError(t, os.WriteFile(p, []byte("from airflow import DAG\n# v3\n"), 0o644))
	})
	writeSnapshot(t, root, "team-a", files)
	tamper("extra.py", func(p string) { require.NoError(t, os.WriteFile(p, []byte("x"), 0o444)) })
	require.NoError(t, os.Remove(filepath.Join(dir, "extra.py")))
	assert.Empty(t, consume(t, root, "team-a", "refresh").Error)
	tamper("link.py", func(p string) { require.NoError(t, os.Symlink("etl.py", p)) })
	require.NoError(t, os.Remove(filepath.Join(dir, "link.py")))
	tamper("bin/run.sh", func(p string) { require.NoError(t, os.Chmod(p, 0o444)) })
}

func TestParseChecks(t *testing.T) {
	sum := strings.Repeat("a", 64)
	m, err := NewManifest("b", []File{{Path: "z.py", SHA256: sum, Size: 3}, {Path: "a.py", SHA256: sum, Size: 2, Executable: true}})
	require.NoError(t, err)
	assert.Equal(t, "a.py", m.Files[0].Path, "sorted")
	back, err := ParseManifest(m.Encode(), "b")
	require.NoError(t, err)
	assert.Equal(t, m, back)
	ref, err := ParseReference(NewReference(m).Encode(), "b")
	require.NoError(t, err)
	require.NoError(t, ref.Check(m))

	_, err = ParseManifest(m.Encode(), "other")
	assert.ErrorContains(t, err, "bundle_name")
	for name, edit := range map[string]func(string) string{
		"version":    func(s string) string { return strings.Replace(s, m.Version, "sha256-"+strings.Repeat("0", 64), 1) },
		"total_size": func(s string) string { return strings.Replace(s, `"total_size":5`, `"total_size":6`, 1) },
		"file_count": func(s string) string { return strings.Replace(s, `"file_count":2`, `"file_count":3`, 1) },
		"unsafe":     func(s string) string { return strings.Replace(s, `"z.py"`, `"../z.py"`, 1) },
		"order":      func(s string) string { return strings.Replace(s, `"z.py"`, `"0.py"`, 1) },
		"schema":     func(s string) string { return strings.Replace(s, `"schema_version":1`, `"schema_version":2`, 1) },
		"backend":    func(s string) string { return strings.Replace(s, `"local"`, `"s3"`, 1) },
		"sha256":     func(s string) string { return strings.Replace(s, sum, strings.ToUpper(sum), 1) },
	} {
		_, err := ParseManifest([]byte(edit(string(m.Encode()))), "b")
		assert.Error(t, err, name)
	}
	other, err := NewManifest("b", []File{{Path: "a.py", SHA256: sum, Size: 2}})
	require.NoError(t, err)
	assert.Error(t, ref.Check(other))
	for _, p := range []string{"", "/a", "a/../b", "a//b", ".", "..", ManifestName, "caf\u00e9.py", "tab\t.py"} {
		assert.Error(t, CheckPath(p), "%q", p)
	}
	for _, n := range []string{"", "_state", ".x", "a/b", strings.Repeat("x", 65)} {
		assert.Error(t, CheckName(n), "%q", n)
	}
	assert.NoError(t, CheckName("team-a.prod_1"))
}
