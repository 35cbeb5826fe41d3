package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	"sigs.k8s.io/yaml"

	"github.com/dagnfs/dagnfs/envindex"
	"github.com/dagnfs/dagnfs/internal/testfs"
)

// The example, through the command line: capture a site tree
// without an interpreter, then validate DAGs against it.
func TestEnvCaptureAndValidate(t *testing.T) {
	site := t.TempDir()
	testfs.WriteTree(t, site, map[string]string{
		"airflow/__init__.py":                                      "",
		"airflow/operators/__init__.py":                            "",
		"airflow/operators/empty.py":                               "class EmptyOperator: pass\n",
		"airflow/providers/standard/operators/python.py":           "class PythonOperator: pass\n",
		"apache_airflow-3.0.2.dist-info/METADATA":                  "Name: apache-airflow\nVersion: 3.0.2\n",
		"apache_airflow_providers_standard-1.0.dist-info/METADATA": "Name: apache-airflow-providers-standard\nVersion: 1.0\n",
		"apache_airflow_providers_standard-1.0.dist-info/RECORD":   "airflow/providers/standard/operators/python.py,,\n",
	})
	code, out, errOut := runCLI(t, "env", "capture", "--site", site, "--python-version", "3.12")
	require.Equal(t, exitOK, code, errOut)
	envFile := filepath.Join(t.TempDir(), "airflow-env.json")
	require.NoError(t, os.WriteFile(envFile, []byte(out), 0o644))

	dags := srcDir(t, map[string]string{"etl.py": `from airflow.sdk import DAG
from airflow.providers.nosuch.operators.x import Y
from airflow.operators.empty import EmptyOperator, PythonOperator
try:
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
except ImportError:
    pass
import json
with DAG("etl", schedule=None):
    pass
`})
	code, out, _ = runCLI(t, "validate", "--python", "none", "--env", envFile, dags)
	assert.Equal(t, exitFailed, code, out)
	assert.Contains(t, out, "No module named 'airflow.sdk' in airflow-env.json (Python 3.12, apache-airflow 3.0.2); no module under airflow defines DAG [import-unresolved]")
	assert.Contains(t, out, "No module named 'airflow.providers.nosuch'")
	assert.Contains(t, out, "cannot import name 'PythonOperator' from 'airflow.operators.empty' in airflow-env.json (Python 3.12, apache-airflow 3.0.2); moved to airflow.providers.standard.operators.python (apache-airflow-providers-standard) [import-name-missing]")
	assert.NotContains(t, out, "cncf", "a guarded import")
	assert.NotContains(t, out, "'json'")
	assert.NotContains(t, out, "EmptyOperator")
	assert.NotContains(t, out, "python-version", "the environment's Python is the workers'")

	// The settings file names it relative to itself; publish honours it.
	require.NoError(t, os.WriteFile(filepath.Join(dags, "dagnfs.toml"), []byte("env = \"../"+filepath.Base(filepath.Dir(envFile))+"/airflow-env.json\"\n"), 0o644))
	code, out, _ = runCLI(t, "validate", "--python", "none", dags)
	assert.Equal(t, exitFailed, code, out)
	assert.Contains(t, out, "[import-name-missing]")
	dest := t.TempDir()
	require.NoError(t, os.Chmod(dest, 0o755))
	code, out, _ = runCLI(t, "publish", "--python", "none", dags, dest)
	assert.Equal(t, exitFailed, code, "publish validates against the environment too: %s", out)
	assert.Contains(t, out, "[import-name-missing]")

	// The index's Python is the workers': an interpreter of another
	// version is told apart from it.
	code, out, errOut = runCLI(t, "env", "capture", "--site", site, "--python-version", "3.9")
	require.Equal(t, exitOK, code, errOut)
	env39 := filepath.Join(t.TempDir(), "env39.json")
	require.NoError(t, os.WriteFile(env39, []byte(out), 0o644))
	_, out, _ = runCLI(t, "validate", "--config", "none", "--env", env39, dags)
	assert.Contains(t, out, "but the workers run 3.9")

	bad := filepath.Join(t.TempDir(), "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte("{}"), 0o644))
	code, _, errOut = runCLI(t, "validate", "--config", "none", "--env", bad, dags)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "--env "+bad+":")
	assert.Contains(t, errOut, "dagnfs env capture")
	code, _, errOut = runCLI(t, "validate", "--config", "none", "--sys-path", dags, dags)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "--sys-path is for --env")
}

func TestEnvScriptAndUsage(t *testing.T) {
	code, out, _ := runCLI(t, "env", "script", "--prefix", "airflow,mycompany")
	require.Equal(t, exitOK, code)
	assert.Contains(t, out, `PREFIXES = ["airflow", "mycompany"]`)
	assert.True(t, strings.HasPrefix(out, "# dagnfs env script"))
	code, _, errOut := runCLI(t, "env", "capture")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "give --python or at least one --site folder")
	code, _, errOut = runCLI(t, "env", "capture", "--site", t.TempDir(), "--python-version", "2.7")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "3.X")
	code, _, errOut = runCLI(t, "env", "capture", "--python", "python3", "--site", t.TempDir())
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "not both")
	code, _, _ = runCLI(t, "env", "frobnicate")
	assert.Equal(t, exitUsage, code)
}

// The Job's command, run by Debian's python3 here as the image's Python
// would run it, writes the index dagnfs env capture --python makes.
func TestEnvCaptureJobRunsTheScript(t *testing.T) {
	const python3 = "/usr/bin/python3"
	if _, err := os.Stat(python3); err != nil {
		t.Fatalf("%s is missing: run make deps", python3)
	}
	code, out, errOut := runCLI(t, "k8s", "env-capture-job", "--namespace", "airflow", "--image", "reg/airflow:3.0.2", "--prefix", "yaml,json")
	require.Equal(t, exitOK, code, errOut)
	var job batchv1.Job
	require.NoError(t, yaml.UnmarshalStrict([]byte(out), &job))
	c := job.Spec.Template.Spec.Containers[0]
	assert.Equal(t, "reg/airflow:3.0.2", c.Image)
	assert.False(t, *job.Spec.Template.Spec.AutomountServiceAccountToken)
	require.Len(t, c.Command, 3)
	cmd := exec.Command(python3, c.Command[1:]...)
	cmd.Dir = t.TempDir()
	fromJob, err := cmd.Output()
	require.NoError(t, err)

	code, fromCapture, errOut := runCLI(t, "env", "capture", "--python", python3, "--prefix", "yaml,json")
	require.Equal(t, exitOK, code, errOut)
	a, err := envindex.Parse(fromJob)
	require.NoError(t, err)
	b, err := envindex.Parse([]byte(fromCapture))
	require.NoError(t, err)
	assert.Equal(t, b.Hash(), a.Hash(), "the Job's log is the index")
	m, ok := a.Lookup("yaml")
	require.True(t, ok)
	assert.NotEmpty(t, m.Names)
}
