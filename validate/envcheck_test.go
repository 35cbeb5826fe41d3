package validate_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dagnfs/dagnfs/envindex"
	"github.com/dagnfs/dagnfs/internal/testfs"
	"github.com/dagnfs/dagnfs/validate"
	"github.com/dagnfs/dagnfs/validate/python/module"
)

// airflow3Site is a small Airflow 3 as installed: operators moved to the
// standard provider, the SDK re-exporting the definitions.
var airflow3Site = map[string]string{
	"airflow/__init__.py":                                      "__lazy_imports = {}\ndef __getattr__(name): raise AttributeError(name)\n",
	"airflow/operators/__init__.py":                            "",
	"airflow/operators/empty.py":                               "from airflow.sdk import BaseOperator\nclass EmptyOperator(BaseOperator): pass\n",
	"airflow/providers/standard/operators/__init__.py":         "",
	"airflow/providers/standard/operators/python.py":           "class PythonOperator: pass\nclass BranchPythonOperator(PythonOperator): pass\n",
	"airflow/providers/standard/operators/bash.py":             "class BashOperator: pass\n",
	"airflow/sdk/__init__.py":                                  "from airflow.sdk.definitions import *\n",
	"airflow/sdk/definitions/__init__.py":                      "class DAG: pass\nclass BaseOperator: pass\ndef task(f): return f\n",
	"apache_airflow-3.0.2.dist-info/METADATA":                  "Name: apache-airflow\nVersion: 3.0.2\n",
	"apache_airflow_providers_standard-1.0.dist-info/METADATA": "Name: apache-airflow-providers-standard\nVersion: 1.0\n",
	"apache_airflow_providers_standard-1.0.dist-info/RECORD":   "airflow/providers/standard/operators/python.py,,\nairflow/providers/standard/operators/bash.py,,\n",
	"requests/__init__.py":                                     "def get(url): pass\n",
}

func airflow3Env(t *testing.T) validate.Environment { return airflow3EnvNamed(t, "airflow-env.json") }

func airflow3EnvNamed(t *testing.T, label string) validate.Environment {
	site := t.TempDir()
	testfs.WriteTree(t, site, airflow3Site)
	env, err := envindex.SiteEnvironment([]string{site}, "3.12", "x86_64")
	require.NoError(t, err)
	ix, err := envindex.Scan(env, envindex.DefaultPrefixes)
	require.NoError(t, err)
	return validate.IndexEnvironment(ix, label)
}

func TestImportsAgainstTheEnvironment(t *testing.T) {
	dags := t.TempDir()
	plugins := t.TempDir()
	testfs.WriteTree(t, plugins, map[string]string{"my_plugin/hooks.py": "class Hook: pass\n"})
	testfs.WriteTree(t, dags, map[string]string{
		"etl.py": `from airflow.sdk import DAG, task
from airflow.operators.empty import EmptyOperator
from airflow.operators.python import PythonOperator
from airflow.operators.empty import PythonOperator as P2
from airflow.providers.nosuch.operators.x import Y
import requests, json, os.path, collections.abc
from common.util import helper
from common import util
import common.util
from my_plugin.hooks import Hook
from zipped_helpers import z
try:
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
except ImportError:
    KubernetesPodOperator = None
try:
    import ujson as json
except (ValueError, ModuleNotFoundError):
    pass
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    from airflow.nothing import Thing
def run():
    import pandas
    from airflow.operators.bash import BashOperator
class Holder:
    import nosuch_in_class_body
with DAG("etl", schedule=None):
    pass
`,
		// Guarded by any of the handlers the README names: no finding.
		"guarded.py": "try:\n    import nosuch_a\nexcept Exception:\n    pass\ntry:\n    import nosuch_b\nexcept:\n    pass\n" +
			"try:\n    from nosuch_c import x\nexcept ModuleNotFoundError:\n    x = None\n",
		"common/__init__.py": "",
		"common/util.py":     "from . import sibling\nfrom .sibling import x\nfrom .nothere import y\nfrom .. import toplevel\ndef helper(): pass\n",
		"common/sibling.py":  "x = 1\n",
	})
	writeZip(t, filepath.Join(dags, "bundle.zip"), map[string]string{"zipped_helpers.py": "z = 1\n"})
	r, err := validate.Run(context.Background(), dags, validate.Options{Python: "none", Env: airflow3Env(t), ExtraPaths: []string{plugins}, PythonVersion: "3.12"})
	require.NoError(t, err)
	got := importFindings(r, true)
	env := "airflow-env.json (Python 3.12, apache-airflow 3.0.2)"
	assert.Equal(t, []string{
		"import-name-missing etl.py:4 cannot import name 'PythonOperator' from 'airflow.operators.empty' in " + env + "; moved to airflow.providers.standard.operators.python (apache-airflow-providers-standard)",
		"import-unresolved common/util.py:3 No module named 'common.nothere' in " + env,
		"import-unresolved etl.py:27 No module named 'nosuch_in_class_body' in " + env,
		"import-unresolved etl.py:3 No module named 'airflow.operators.python' in " + env + "; moved to airflow.providers.standard.operators.python (apache-airflow-providers-standard)",
		"import-unresolved etl.py:5 No module named 'airflow.providers.nosuch' in " + env + "; no module under airflow defines Y",
		"import-unresolved-deferred etl.py:24 No module named 'pandas' in " + env,
		"import-unresolved-deferred etl.py:25 No module named 'airflow.operators.bash' in " + env + "; moved to airflow.providers.standard.operators.bash (apache-airflow-providers-standard)",
	}, got)
	assert.Equal(t, 5, r.Errors(), "the five errors above and no other")

	// Without the environment, none of this is checked.
	r, err = validate.Run(context.Background(), dags, validate.Options{Python: "none", PythonVersion: "3.12"})
	require.NoError(t, err)
	for _, f := range r.Findings {
		assert.False(t, strings.HasPrefix(f.Rule, "import-"), f.String())
	}
}

// importFindings lists the import rules' findings, sorted: "rule line", or
// with where, "rule file:line message".
func importFindings(r *validate.Report, where bool) []string {
	var out []string
	for _, f := range r.Findings {
		switch {
		case !strings.HasPrefix(f.Rule, "import-"):
		case where:
			out = append(out, f.Rule+" "+f.File+":"+strconv.Itoa(f.Line)+" "+f.Message)
		default:
			out = append(out, f.Rule+" "+strconv.Itoa(f.Line))
		}
	}
	sort.Strings(out)
	return out
}

func writeZip(t *testing.T, p string, files map[string]string) {
	f, err := os.Create(p)
	require.NoError(t, err)
	zw := zip.NewWriter(f)
	for name, body := range files {
		w, err := zw.Create(name)
		require.NoError(t, err)
		_, err = w.Write([]byte(body))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())
}

// The environment enters the fingerprint: results recorded under one are
// not reused under another.
func TestEnvironmentInFingerprint(t *testing.T) {
	dags := t.TempDir()
	testfs.WriteTree(t, dags, map[string]string{"a.py": "import requests\n"})
	plain, err := validate.Run(context.Background(), dags, validate.Options{Python: "none"})
	require.NoError(t, err)
	withEnv, err := validate.Run(context.Background(), dags, validate.Options{Python: "none", Env: airflow3Env(t)})
	require.NoError(t, err)
	assert.NotEqual(t, plain.Fingerprint, withEnv.Fingerprint)
}

// The migration run the README shows, finding for finding.
func TestMigrationExample(t *testing.T) {
	dags := t.TempDir()
	testfs.WriteTree(t, dags, map[string]string{"reports.py": `from datetime import datetime

from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.python import PythonOperator
from airflow.operators.empty import EmptyOperator, BranchPythonOperator

with DAG("reports", schedule="@daily", start_date=datetime(2024, 1, 1)):
    EmptyOperator(task_id="start") >> BashOperator(task_id="run", bash_command="make report")
`})
	r, err := validate.Run(context.Background(), dags, validate.Options{Python: "none", Env: airflow3EnvNamed(t, "airflow3-env.json"), PythonVersion: "3.12"})
	require.NoError(t, err)
	var b strings.Builder
	require.NoError(t, r.Write(&b, "text", false))
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	var got []string
	for _, line := range strings.Split(b.String(), "\n") {
		if strings.Contains(line, "[import-") {
			got = append(got, line)
			assert.Contains(t, string(readme), line, "the README shows what dagnfs prints")
		}
	}
	assert.Len(t, got, 3)
}

// A package that makes its modules at run time (Airflow's deprecated import
// paths) is not denied them; one that does not, is.
func TestRunTimeModules(t *testing.T) {
	dags := t.TempDir()
	testfs.WriteTree(t, dags, map[string]string{"a.py": "from airflow.contrib.bash_operator import BashOperator\nimport airflow.operators.bash_operator\n"})
	r, err := validate.Run(context.Background(), dags, validate.Options{Python: "none", Env: airflow3Env(t), PythonVersion: "3.12"})
	require.NoError(t, err)
	got := importFindings(r, false)
	assert.Equal(t, []string{"import-unresolved 2"}, got)
}

// Symlinks back up the DAG folder end the walk for its modules.
func TestLocalModulesSymlinkLoop(t *testing.T) {
	dags := t.TempDir()
	testfs.WriteTree(t, dags, map[string]string{"pkg/__init__.py": "", "pkg/sub/__init__.py": "", "a.py": "import pkg.sub\nimport pkg.sub.up.sub\n"})
	for _, l := range []string{"up", "again"} {
		require.NoError(t, os.Symlink("..", filepath.Join(dags, "pkg", "sub", l)))
	}
	r, err := validate.Run(context.Background(), dags, validate.Options{Python: "none", Env: airflow3Env(t), PythonVersion: "3.12"})
	require.NoError(t, err)
	got := importFindings(r, false)
	assert.Equal(t, []string{"import-unresolved 2"}, got, "the loop is not followed; what is below it is not known")
}

// Rules for one Airflow against an environment of another are a warning
// that names both; without an environment a note says once that imports
// were not checked and how to check them (issue 21).
func TestEnvironmentAndRulesAgree(t *testing.T) {
	dags := t.TempDir()
	testfs.WriteTree(t, dags, map[string]string{"a.py": "import not_installed_anywhere\nx = 1\n"})
	r, err := validate.Run(context.Background(), dags, validate.Options{Python: "none", Env: airflow3Env(t), PythonVersion: "3.12", AirflowVersion: 2})
	require.NoError(t, err)
	var found []validate.Finding
	for _, f := range r.Findings {
		if f.Rule == "airflow-version" {
			found = append(found, f)
		}
	}
	require.Len(t, found, 1, "%v", r.Findings)
	assert.Contains(t, found[0].Message, "Airflow 2's")
	assert.Contains(t, found[0].Message, "apache-airflow 3.0.2")
	assert.Contains(t, found[0].Message, "--airflow-version 3")
	assert.Empty(t, r.Notes, "imports were checked")

	r, err = validate.Run(context.Background(), dags, validate.Options{Python: "none", Env: airflow3Env(t), PythonVersion: "3.12", AirflowVersion: 3})
	require.NoError(t, err)
	for _, f := range r.Findings {
		assert.NotEqual(t, "airflow-version", f.Rule)
	}

	r, err = validate.Run(context.Background(), dags, validate.Options{Python: "none"})
	require.NoError(t, err)
	require.Len(t, r.Notes, 1)
	assert.Contains(t, r.Notes[0], "imports were not checked")
	assert.Contains(t, r.Notes[0], "--env")
	var b strings.Builder
	require.NoError(t, r.Write(&b, "text", false))
	assert.Equal(t, 1, strings.Count(b.String(), "note: imports were not checked"), b.String())
}

// For every import in the test corpus, the environment index of Debian's
// python3 resolves as importlib.util.find_spec of the same interpreter.
func TestCaptureAgreesWithFindSpec(t *testing.T) {
	debianPython := "/usr/bin/python3"
	_, err := os.Stat(debianPython)
	require.NoError(t, err, "%s is missing: run make deps (it installs python3 and the libraries these tests compare with)", debianPython)
	env, err := envindex.QueryPython(context.Background(), debianPython)
	require.NoError(t, err)
	ix, err := envindex.Scan(env, envindex.DefaultPrefixes)
	require.NoError(t, err)
	set := map[string]bool{}
	for _, dir := range []string{"testdata/pycorpus", "testdata/realdags", "../examples", "../envindex/testdata"} {
		_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".py") {
				return nil
			}
			src, err := os.ReadFile(p)
			require.NoError(t, err)
			for _, im := range module.Imports(src) {
				if im.Level > 0 || im.Module == "" {
					continue
				}
				set[im.Module] = true
				if im.Name != "" && im.Name != "*" {
					set[im.Module+"."+im.Name] = true // a submodule, or not
				}
			}
			return nil
		})
	}
	// And a sample of what the capture lists: each must be found too.
	for i, m := range ix.All() {
		if i%7 == 0 && m.Kind != envindex.KindBuiltin && !strings.HasPrefix(m.Name, "test.") && !strings.HasPrefix(m.Name, "idlelib.") {
			set[m.Name] = true
		}
	}
	var mods []string
	for m := range set {
		mods = append(mods, m)
	}
	require.Greater(t, len(mods), 300, "the corpus has imports")
	cmd := exec.Command(debianPython, "-c", `import sys, json, importlib.util
out = {}
for name in json.load(sys.stdin):
    try:
        out[name] = importlib.util.find_spec(name) is not None
    except ModuleNotFoundError as e:
        # not found, or a parent package that imports something missing
        out[name] = False if e.name and (name == e.name or name.startswith(e.name + ".")) else None
    except Exception as e:
        out[name] = None
json.dump(out, sys.stdout)`)
	in, _ := json.Marshal(mods)
	cmd.Stdin = bytes.NewReader(in)
	cmd.Dir = t.TempDir()
	out, err := cmd.Output()
	require.NoError(t, err)
	var want map[string]*bool
	require.NoError(t, json.Unmarshal(out, &want))
	e := validate.IndexEnvironment(ix, "test")
	agree, checked := 0, 0
	for _, m := range mods {
		w := want[m]
		if w == nil {
			continue // find_spec itself failed (a package that fails to import)
		}
		checked++
		if got := validate.Resolves(e, m); assert.Equal(t, *w, got, "find_spec(%q)", m) {
			agree++
		}
	}
	t.Logf("%d of %d imports agree (%d resolve)", agree, checked, count(want))
	assert.Greater(t, checked, 300)
}

func count(m map[string]*bool) int {
	n := 0
	for _, v := range m {
		if v != nil && *v {
			n++
		}
	}
	return n
}
