package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dagnfs/dagnfs/internal/testfs"
)

// A repository's pyproject.toml changes the Airflow version and silences a
// rule without a flag; dagnfs config shows it and where it came from; a
// flag and an environment variable override it.
func TestPyprojectConfiguresValidate(t *testing.T) {
	repo := t.TempDir()
	dags := filepath.Join(repo, "dags")
	// Airflow 2 reads .airflowignore as regular expressions, 3 as globs:
	// "skip.*" hides skipme.py from Airflow 2 only.
	testfs.WriteTree(t, dags, map[string]string{
		"etl.py":         "from airflow import DAG\nDAG('etl')\n",
		"legacy/old.py":  "from airflow import DAG\nimport datetime\nDAG('old', schedule=None, start_date=datetime.datetime.now())\n",
		".airflowignore": "skip.*\n",
		"skipme.py":      "from airflow import DAG\nx = = 1\n",
	})
	t.Chdir(repo)

	// No file: Airflow 3 reads ".airflowignore" as globs, so "skip.*" does
	// not match skipme.py, and its syntax error fails the run.
	code, out, _ := runCLI(t, "validate", "dags", "--python", "none", "--format", "json")
	require.Equal(t, 1, code, out)
	rules := findingRules(t, out)
	assert.Contains(t, rules, "syntax")
	assert.Contains(t, rules, "dag-no-schedule")
	assert.Contains(t, rules, "datetime-now-in-dag")

	require.NoError(t, os.WriteFile(filepath.Join(repo, "pyproject.toml"), []byte(`[project]
name = "dags"

[tool.dagnfs]
airflow-version = 2
python = "none"
disable = ["dag-no-schedule"]
per-file-ignores = {"legacy/*.py" = ["datetime-now-in-dag"]}
`), 0o644))
	code, out, errOut := runCLI(t, "validate", "dags", "--format", "json")
	require.Equal(t, 0, code, out+errOut)
	var doc struct {
		AirflowVersion int `json:"airflow_version"`
		Checker        string
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	assert.Equal(t, 2, doc.AirflowVersion, "from the file")
	assert.Contains(t, doc.Checker, "embedded", "python = none from the file")
	assert.Empty(t, findingRules(t, out))

	code, out, _ = runCLI(t, "config", "dags", "--format", "json")
	require.Equal(t, 0, code, out)
	settings := configSettings(t, out)
	file := "file " + filepath.Join(repo, "pyproject.toml")
	assert.Equal(t, configSetting{"airflow-version", float64(2), file}, settings["airflow-version"])
	assert.Equal(t, configSetting{"disable", []any{"dag-no-schedule"}, file}, settings["disable"])
	assert.Equal(t, file, settings["per-file-ignores"].Source)
	assert.Equal(t, "default", settings["strict"].Source)

	// A flag, then an environment variable, override the file.
	code, out, _ = runCLI(t, "validate", "dags", "--format", "json", "--airflow-version", "3")
	assert.Equal(t, 1, code, "Airflow 3 again: the glob does not hide skipme.py")
	assert.Contains(t, findingRules(t, out), "syntax")
	t.Setenv("DAGNFS_AIRFLOW_VERSION", "3")
	code, out, _ = runCLI(t, "config", "dags", "--format", "json", "--strict")
	require.Equal(t, 0, code)
	settings = configSettings(t, out)
	assert.Equal(t, "env DAGNFS_AIRFLOW_VERSION", settings["airflow-version"].Source)
	assert.Equal(t, "flag", settings["strict"].Source)
	code, _, _ = runCLI(t, "validate", "dags", "--config", "none", "--python", "none")
	assert.Equal(t, 1, code, "--config none reads no file")
}

func TestBadConfigIsAUsageError(t *testing.T) {
	repo := t.TempDir()
	testfs.WriteTree(t, repo, map[string]string{"dagnfs.toml": "airflow-version = 4\n", "dags/a.py": "x = 1\n"})
	code, _, errOut := runCLI(t, "validate", filepath.Join(repo, "dags"))
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "--airflow-version must be 2 or 3")

	testfs.WriteTree(t, repo, map[string]string{"dagnfs.toml": "airflow_version = 2\n"})
	code, _, errOut = runCLI(t, "validate", filepath.Join(repo, "dags"))
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, filepath.Join(repo, "dagnfs.toml")+": unknown key airflow_version")
	assert.Contains(t, errOut, "--config none")

	testfs.WriteTree(t, repo, map[string]string{"dagnfs.toml": "per-file-ignores = {\"x\" = [\"no-such\"]}\n"})
	code, _, errOut = runCLI(t, "validate", filepath.Join(repo, "dags"))
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "no-such")
}

func findingRules(t *testing.T, out string) []string {
	t.Helper()
	var doc struct{ Findings []struct{ Rule string } }
	require.NoError(t, json.Unmarshal([]byte(out), &doc), out)
	var rules []string
	for _, f := range doc.Findings {
		rules = append(rules, f.Rule)
	}
	return rules
}

func configSettings(t *testing.T, out string) map[string]configSetting {
	t.Helper()
	var doc struct{ Settings []configSetting }
	require.NoError(t, json.Unmarshal([]byte(out), &doc), out)
	m := map[string]configSetting{}
	for _, s := range doc.Settings {
		m[s.Key] = s
	}
	return m
}
