package envindex

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dagnfs/dagnfs/internal/testfs"
)

// siteTree writes a synthetic environment: two site folders and a zip.
func siteTree(t *testing.T) (site, extra string) {
	root := t.TempDir()
	site, extra = filepath.Join(root, "site-packages"), filepath.Join(root, "extra")
	testfs.WriteTree(t, site, map[string]string{
		// A regular package with a submodule, an extension module for this
		// ABI and one for another (not importable here), bytecode only.
		"pkg/__init__.py": "from .sub import *\nfrom .core import Thing as Alias\n__all__ = ['Thing']\n",
		"pkg/sub.py":      "__all__ = ('a', 'b')\na = b = c = 1\n",
		"pkg/core.py":     "class Thing: pass\n",
		"pkg/fast.cpython-312-x86_64-linux-gnu.so":  "",
		"pkg/other.cpython-311-x86_64-linux-gnu.so": "",
		"pkg/stable.abi3.so":                        "",
		"pkg/legacy.pyc":                            "",
		"pkg/not-a-module.py":                       "",
		// A namespace package split over two folders; a regular package
		// of the same name later on the path does not shadow it... but
		// one earlier does (see shadow).
		"ns/left.py":                            "",
		"shadow/__init__.py":                    "",
		"airflow/__init__.py":                   "__lazy_imports = {}\ndef __getattr__(n): pass\n",
		"airflow/models/__init__.py":            "from airflow.models.dag import *\nfrom airflow.models.base import Base\n",
		"airflow/models/dag.py":                 "import os\nclass DAG: pass\n_private = 1\ndef public(): pass\n",
		"airflow/models/base.py":                "Base = object\n",
		"airflow/stars.py":                      "from yaml import *\n",
		"airflow/compat/__init__.py":            "__deprecated_classes = {'bash_operator': {}}\nfrom airflow.utils import add_deprecated_classes\nadd_deprecated_classes(__deprecated_classes, __name__)\n",
		"airflow/hooks/__init__.py":             "import sys\nsys.modules['airflow.hooks.virtual'] = sys\n",
		"airflow/broken.py":                     "def (:\n",
		"dist_pkg-1.0.dist-info/METADATA":       "Metadata-Version: 2.1\nName: dist-pkg\nVersion: 1.0\n\nbody\n",
		"dist_pkg-1.0.dist-info/RECORD":         "pkg/__init__.py,sha256=x,1\npkg/core.py,,\n",
		"legacy_egg-2.0.egg-info/PKG-INFO":      "Name: legacy-egg\nVersion: 2.0\n",
		"legacy_egg-2.0.egg-info/top_level.txt": "ns\n",
		"extra.pth":                             "# a comment\n../extra\nimport sys; sys.flags\nmissing-folder\n../bundle.zip\n",
	})
	testfs.WriteTree(t, extra, map[string]string{
		"ns/right.py":     "",
		"shadow/inner.py": "", // a namespace portion behind a regular package: not importable
		"toplevel_mod.py": "x = 1\n",
	})
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, body := range map[string]string{"zipped/__init__.py": "", "zipped/deep.py": "", "zmod.py": ""} {
		w, err := zw.Create(name)
		require.NoError(t, err)
		_, err = w.Write([]byte(body))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	require.NoError(t, os.WriteFile(filepath.Join(root, "bundle.zip"), b.Bytes(), 0o644))
	return site, extra
}

func TestScanSiteTree(t *testing.T) {
	site, _ := siteTree(t)
	env, err := SiteEnvironment([]string{site}, "3.12", "x86_64")
	require.NoError(t, err)
	assert.Len(t, env.SysPath, 3, "the site, and what its .pth adds that exists: %v", env.SysPath)
	ix, err := Scan(env, []string{"airflow", "pkg"})
	require.NoError(t, err)
	kinds := map[string]string{}
	for _, m := range ix.All() {
		if m.Kind != KindStdlib {
			kinds[m.Name] = m.Kind
		}
	}
	assert.Equal(t, map[string]string{
		"pkg": KindPackage, "pkg.sub": KindModule, "pkg.core": KindModule, "pkg.fast": KindExtension,
		"pkg.stable": KindExtension, "pkg.legacy": KindBytecode, "pkg.__init__": KindModule,
		"ns": KindNamespace, "ns.left": KindModule, "ns.right": KindModule,
		"shadow": KindPackage, "shadow.__init__": KindModule,
		"airflow": KindPackage, "airflow.__init__": KindModule, "airflow.models": KindPackage,
		"airflow.models.__init__": KindModule, "airflow.models.dag": KindModule, "airflow.models.base": KindModule,
		"airflow.stars": KindModule, "airflow.broken": KindModule, "airflow.compat": KindPackage, "airflow.compat.__init__": KindModule,
		"airflow.hooks": KindPackage, "airflow.hooks.__init__": KindModule,
		"toplevel_mod": KindModule, "zipped": KindPackage, "zipped.deep": KindModule, "zipped.__init__": KindModule, "zmod": KindModule,
	}, kinds)
	m, ok := ix.Lookup("json")
	require.True(t, ok, "the standard library by name")
	assert.Equal(t, KindStdlib, m.Kind)
	_, ok = ix.Lookup("distutils")
	assert.False(t, ok, "3.12 has no distutils")

	pkg, _ := ix.Lookup("pkg")
	assert.Equal(t, []string{"Alias", "__all__", "a", "b"}, pkg.Names, "own names and the star import's __all__ (not c)")
	assert.False(t, pkg.Dynamic)
	assert.Equal(t, "dist-pkg", pkg.Dist)
	models, _ := ix.Lookup("airflow.models")
	assert.Equal(t, []string{"Base", "DAG", "os", "public"}, models.Names, "a star import without __all__ brings the public names")
	af, _ := ix.Lookup("airflow")
	assert.True(t, af.Dynamic, "module-level __getattr__")
	stars, _ := ix.Lookup("airflow.stars")
	assert.True(t, stars.Dynamic, "a star import of a module whose names are not read")
	broken, _ := ix.Lookup("airflow.broken")
	assert.True(t, broken.Dynamic, "a module that does not parse")
	for _, name := range []string{"airflow.compat", "airflow.hooks"} {
		m, _ := ix.Lookup(name)
		assert.True(t, m.Dynamic, "%s makes modules at run time", name)
	}
	models, _ = ix.Lookup("airflow.models")
	assert.False(t, models.Dynamic)
	ns, _ := ix.Lookup("ns.left")
	assert.Equal(t, "", ns.Dist)
	assert.Equal(t, []Distribution{{"dist-pkg", "1.0", "pkg\npkg.__init__\npkg.core"}, {"legacy-egg", "2.0", ""}}, ix.Distributions)
	assert.Equal(t, []string{"airflow.models", "airflow.models.dag"}, names(ix.Defining("airflow", "DAG")))

	// Round trip, gzip and plain.
	for _, gz := range []bool{false, true} {
		var b bytes.Buffer
		require.NoError(t, ix.Encode(&b, gz))
		p := filepath.Join(t.TempDir(), "env.json")
		require.NoError(t, os.WriteFile(p, b.Bytes(), 0o644))
		back, err := Load(p)
		require.NoError(t, err)
		assert.Equal(t, ix.Hash(), back.Hash())
	}
}

func names(ms []Module) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Name)
	}
	return out
}

func TestLoadRefusesBadIndexes(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"garbage":  "{not json",
		"format":   `{"format": 9, "python": "3.12"}`,
		"python":   `{"format": 1, "python": "2.7"}`,
		"unknown":  `{"format": 1, "python": "3.12", "surprise": 1}`,
		"unsorted": `{"format": 1, "python": "3.12", "modules": {"module": "b\na"}}`,
		"kind":     `{"format": 1, "python": "3.12", "modules": {"sorcery": "a"}}`,
	} {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
		_, err := Load(p)
		assert.Error(t, err, name)
	}
}

// python3 is Debian's interpreter, which make deps gives python3-yaml,
// -requests, -dateutil and -pendulum.
const python3 = "/usr/bin/python3"

func needPython(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(python3); err != nil {
		t.Fatalf("%s is missing: run make deps (it installs python3 and the libraries these tests compare with)", python3)
	}
}

// The script, run by the interpreter, writes the index the Go capture of
// the same interpreter makes: here with the synthetic tree on PYTHONPATH.
func TestScriptMatchesCapture(t *testing.T) {
	needPython(t)
	site, extra := siteTree(t)
	t.Setenv("PYTHONPATH", site+string(os.PathListSeparator)+extra)
	prefixes := []string{"airflow", "pkg", "yaml", "json", "email", "dateutil", "requests", "asyncio", "pendulum"}
	env, err := QueryPython(context.Background(), python3)
	require.NoError(t, err)
	goIx, err := Scan(env, prefixes)
	require.NoError(t, err)

	cmd := exec.Command(python3, "-")
	cmd.Stdin = strings.NewReader(Script(prefixes))
	cmd.Dir = t.TempDir()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	pyIx, err := Parse(out)
	require.NoError(t, err)
	assert.Equal(t, goIx.Count(), pyIx.Count())
	if !assert.Equal(t, goIx.Hash(), pyIx.Hash(), "the same index") {
		a, _ := json.Marshal(goIx)
		b, _ := json.Marshal(pyIx)
		for i := range min(len(a), len(b)) {
			if a[i] != b[i] {
				t.Logf("first difference at byte %d:\n go %s\n py %s", i, a[max(0, i-200):min(len(a), i+200)], b[max(0, i-200):min(len(b), i+200)])
				break
			}
		}
	}
	pkg, _ := goIx.Lookup("pkg")
	assert.Equal(t, KindPackage, pkg.Kind, "the synthetic tree is on the path")
}

// A symlink back up the tree (two of them, which would double the walk at
// every level) ends the walk there, in the script as in the capture.
func TestSymlinkLoopsEndTheWalk(t *testing.T) {
	site := t.TempDir()
	testfs.WriteTree(t, site, map[string]string{"loopy/__init__.py": "", "loopy/inner/mod.py": ""})
	require.NoError(t, os.Symlink("..", filepath.Join(site, "loopy", "inner", "up")))
	require.NoError(t, os.Symlink("..", filepath.Join(site, "loopy", "inner", "again")))
	env, err := SiteEnvironment([]string{site}, "3.12", "x86_64")
	require.NoError(t, err)
	ix, err := Scan(env, nil)
	require.NoError(t, err)
	var got []string
	for _, m := range ix.All() {
		if strings.HasPrefix(m.Name, "loopy") {
			got = append(got, m.Name)
		}
	}
	assert.Equal(t, []string{"loopy", "loopy.__init__", "loopy.inner", "loopy.inner.again", "loopy.inner.mod", "loopy.inner.up"}, got)

	needPython(t)
	t.Setenv("PYTHONPATH", site)
	pyEnv, err := QueryPython(context.Background(), python3)
	require.NoError(t, err)
	goIx, err := Scan(pyEnv, []string{"loopy"})
	require.NoError(t, err)
	cmd := exec.Command(python3, "-")
	cmd.Stdin = strings.NewReader(Script([]string{"loopy"}))
	cmd.Dir = t.TempDir()
	out, err := cmd.Output()
	require.NoError(t, err)
	pyIx, err := Parse(out)
	require.NoError(t, err)
	assert.Equal(t, goIx.Hash(), pyIx.Hash())
}
