//go:build e2e

package e2e

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/dagnfs/dagnfs/internal/sarifcheck"
	"github.com/dagnfs/dagnfs/internal/testfs"
)

// dagRepo is a DAG repository as CI checks it out: a dags folder with one
// broken file, at the root of the working directory.
func dagRepo(t *testing.T) string {
	repo := t.TempDir()
	testfs.WriteTree(t, filepath.Join(repo, "dags"), map[string]string{
		"etl.py":  "from airflow import DAG\nDAG('etl', schedule=None)\n",
		"load.py": "from airflow import DAG\nwith DAG('load', schedule=None) as dag\n    pass\n",
	})
	return repo
}

// exitCode is a command's exit status, -1 if it did not run.
func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// The hook pre-commit offers parses, runs the dagnfs command this module
// builds, and fails a repository with a broken DAG, from its root, the way
// pre-commit runs it (pass_filenames: false, the args, cwd the root).
func TestPreCommitHook(t *testing.T) {
	e := setupBin(t)
	raw, err := os.ReadFile("../.pre-commit-hooks.yaml")
	require.NoError(t, err)
	var hooks []struct {
		ID            string   `json:"id"`
		Name          string   `json:"name"`
		Entry         string   `json:"entry"`
		Language      string   `json:"language"`
		Args          []string `json:"args"`
		PassFilenames *bool    `json:"pass_filenames"`
		Files         string   `json:"files"`
		Description   string   `json:"description"`
		RequireSerial bool     `json:"require_serial"`
	}
	require.NoError(t, yaml.UnmarshalStrict(raw, &hooks, yaml.DisallowUnknownFields), "pre-commit's hook keys only")
	require.Len(t, hooks, 1)
	h := hooks[0]
	assert.Equal(t, "dagnfs-validate", h.ID)
	assert.Equal(t, "golang", h.Language, "pre-commit builds it with go install")
	require.NotNil(t, h.PassFilenames)
	assert.False(t, *h.PassFilenames, "dagnfs validates a folder, not a list of files")
	entry := strings.Fields(h.Entry)
	require.Len(t, entry, 2)
	// pre-commit's golang language installs the module's commands: the
	// entry must be one of them.
	_, err = os.Stat(filepath.Join("..", "cmd", entry[0], "main.go"))
	require.NoError(t, err, "the entry %q names no command of this module", entry[0])

	files := regexp.MustCompile(h.Files)
	for name, want := range map[string]bool{"dags/etl.py": true, "dags/pkg.zip": true, "dags/.airflowignore": true,
		"pyproject.toml": true, "dagnfs.toml": true, "README.md": false, "dags/data.csv": false} {
		assert.Equal(t, want, files.MatchString(name), "files pattern on %s", name)
	}

	repo := dagRepo(t)
	run := func() (int, string) {
		cmd := exec.Command(e, append(entry[1:], h.Args...)...)
		cmd.Dir = repo
		out, err := cmd.CombinedOutput()
		return exitCode(err), string(out)
	}
	code, out := run()
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "dags/load.py", "paths relative to the repository root")
	require.NoError(t, os.WriteFile(filepath.Join(repo, "dags", "load.py"), []byte("from airflow import DAG\nwith DAG('load', schedule=None) as dag:\n    pass\n"), 0o644))
	code, out = run()
	assert.Equal(t, 0, code, out)
}

// The GitHub Actions job in the README: its run steps, run here in order
// (with the dagnfs of this tree on PATH instead of its install step), write
// a SARIF file that passes the 2.1.0 schema and that the upload step names.
func TestReadmeWorkflowUploadsSARIF(t *testing.T) {
	setupBin(t) // the workflow installs its own dagnfs below
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	_, after, ok := strings.Cut(string(readme), "<!-- ci:github-actions-sarif -->\n```yaml\n")
	require.True(t, ok, "the README has lost its marked workflow snippet")
	snippet, _, ok := strings.Cut(after, "```\n")
	require.True(t, ok)
	var wf struct {
		Jobs map[string]struct {
			Steps []struct {
				Name string            `json:"name"`
				Uses string            `json:"uses"`
				Run  string            `json:"run"`
				If   string            `json:"if"`
				With map[string]string `json:"with"`
			} `json:"steps"`
		} `json:"jobs"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(snippet), &wf))
	require.Contains(t, wf.Jobs, "validate")

	pathDir := t.TempDir()
	repo := dagRepo(t)
	ran, uploaded, installed := 0, "", false
	failed := false
	for _, st := range wf.Jobs["validate"].Steps {
		switch {
		case st.Uses == "actions/checkout@v4" && st.With["repository"] == "dagnfs/dagnfs":
			// dagnfs's own checkout, until a release is tagged: this one
			src, err := filepath.Abs("..")
			require.NoError(t, err)
			require.NoError(t, os.Symlink(src, filepath.Join(repo, st.With["path"])))
		case st.Name == "Install dagnfs":
			// run as written, installing into the PATH the later steps use
			cmd := exec.Command("bash", "-eo", "pipefail", "-c", st.Run)
			cmd.Dir = repo
			cmd.Env = append(os.Environ(), "GOBIN="+pathDir, "GOFLAGS=-buildvcs=false")
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "the install step works from a clone: %s", out)
			installed = true
		case st.Run != "":
			if failed && st.If != "always()" {
				continue
			}
			cmd := exec.Command("bash", "-eo", "pipefail", "-c", st.Run)
			cmd.Dir = repo
			cmd.Env = append(os.Environ(), "PATH="+pathDir+":"+os.Getenv("PATH"))
			out, err := cmd.CombinedOutput()
			ran++
			if exitCode(err) != 0 {
				failed = true
				assert.Equal(t, 1, exitCode(err), "step %q: findings fail it with 1: %s", st.Name, out)
			}
		case strings.HasPrefix(st.Uses, "github/codeql-action/upload-sarif"):
			assert.Equal(t, "always()", st.If, "the upload runs when the check failed, which is when it matters")
			uploaded = st.With["sarif_file"]
		}
	}
	assert.True(t, installed, "the workflow installs dagnfs")
	assert.Equal(t, 1, ran)
	assert.True(t, failed, "a broken DAG fails the job")
	require.NotEmpty(t, uploaded)
	raw, err := os.ReadFile(filepath.Join(repo, uploaded))
	require.NoError(t, err)
	require.NoError(t, sarifcheck.Validate(raw))
	doc, err := sarif.FromBytes(raw)
	require.NoError(t, err)
	var uris []string
	for _, r := range doc.Runs[0].Results {
		uris = append(uris, *r.Locations[0].PhysicalLocation.ArtifactLocation.URI)
	}
	assert.Equal(t, []string{"dags/load.py"}, uris, "code scanning resolves paths from the repository root")
}

// setupBin is the dagnfs that make e2e built.
func setupBin(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("DAGNFS_BIN")
	if bin == "" {
		t.Fatal("DAGNFS_BIN is not set: run these tests with `make e2e`")
	}
	return bin
}

// The pre-commit hook as a DAG repository uses it: pre-commit try-repo
// builds dagnfs from this checkout with Go (language: golang), as
// "rev: COMMIT" would, and runs the hook over a repository with one good
// and one broken DAG: the hook fails and names the broken file's error.
// The build shares this machine's Go module and build caches.
func TestPreCommitTryRepo(t *testing.T) {
	pc, err := exec.LookPath("pre-commit")
	require.NoError(t, err, "pre-commit is needed (make deps installs Debian's pre-commit)")
	gitBin, err := exec.LookPath("git")
	require.NoError(t, err, "git is needed (make deps installs it)")
	checkout, err := filepath.Abs("..")
	require.NoError(t, err)
	repo := t.TempDir()
	testfs.WriteTree(t, filepath.Join(repo, "dags"), map[string]string{
		"good.py":   "from airflow import DAG\nwith DAG('good', schedule=None):\n    pass\n",
		"broken.py": "from airflow import DAG\nwith DAG('broken', schedule=None)\n    pass\n",
	})
	git := func(args ...string) {
		cmd := exec.Command(gitBin, append([]string{"-c", "user.email=ci@example.invalid", "-c", "user.name=ci"}, args...)...)
		cmd.Dir = repo
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, string(out))
	}
	git("init", "-q")
	git("add", "-A")
	git("commit", "-q", "-m", "dags")

	env := os.Environ()
	for _, v := range []string{"GOMODCACHE", "GOCACHE"} {
		out, err := exec.Command("go", "env", v).Output()
		require.NoError(t, err)
		env = append(env, v+"="+strings.TrimSpace(string(out)))
	}
	cmd := exec.Command(pc, "try-repo", checkout, "dagnfs-validate", "--all-files")
	cmd.Dir = repo
	cmd.Env = append(env, "PRE_COMMIT_HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	require.True(t, errors.As(err, &ee), "the hook fails on a broken DAG: %v\n%s", err, out)
	assert.Contains(t, string(out), "dagnfs validate....")
	assert.Contains(t, string(out), "Failed")
	assert.Contains(t, string(out), "dags/broken.py")
	assert.Contains(t, string(out), "SyntaxError: expected ':'")
	assert.NotContains(t, string(out), "dags/good.py", "the good DAG has no finding")
}
