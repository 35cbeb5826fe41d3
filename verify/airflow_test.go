package verify

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dagnfs/dagnfs/layout"
	"github.com/dagnfs/dagnfs/nfs"
	"github.com/dagnfs/dagnfs/publish"
	"github.com/dagnfs/dagnfs/validate"
)

// publishLayout publishes a DAG folder with a package of its own, a zip
// and an .airflowignore of the user's, twice, in the given layout.
func publishLayout(t *testing.T, lay string) (string, nfs.Dest) {
	t.Helper()
	dir, d := localExport(t)
	src := t.TempDir()
	for i, v := range []string{"1", "2"} {
		writeTree(t, src, map[string]string{"a.py": dagA + "# v" + v + "\n", "team/b.py": "from airflow import DAG\nDAG('b')\n",
			"common/util.py": "X = 1\n", "scratch/skip.py": "from airflow import DAG\nDAG('skip')\n", ".airflowignore": "scratch\n"})
		o := publish.Options{Source: publish.Source{Dir: src, Validate: validate.Options{Python: "none"}},
			Dest: d, Owner: publish.Owner{UID: 50000, GID: 50000}, Layout: lay}
		_, err := publish.Publish(context.Background(), o)
		require.NoError(t, err, "publish %d", i+1)
	}
	return dir, d
}

func scanRules(r *Result) map[string][]string {
	out := map[string][]string{}
	for _, f := range r.Findings {
		switch f.Rule {
		case RuleScanLoop, RuleScanMeta, RuleScanTwice, RuleScanMissing, RuleScanError, RuleDagsFolder, RuleRootIgnore:
			out[f.Rule] = append(out[f.Rule], f.File)
		}
	}
	return out
}

// Airflow's own scan of the dags folder, in each layout, from the folder
// Airflow should be configured with and from the export root, in both
// ignore syntaxes.
func TestAirflowScanOfTheExport(t *testing.T) {
	ctx := context.Background()
	verifyScan := func(t *testing.T, d nfs.Dest, root, dags string) *Result {
		t.Helper()
		o := opts()
		o.LocalPath, o.DagsFolder = root, dags
		r, err := Verify(ctx, d, o)
		require.NoError(t, err)
		return r
	}

	t.Run("in-place", func(t *testing.T) {
		root, d := publishLayout(t, layout.InPlace)
		r := verifyScan(t, d, root, root)
		assert.Empty(t, scanRules(r), "%v", r.Findings)
		assert.True(t, r.OK, "%v", r.Findings)

		// The root's .airflowignore is the user's, with dagnfs's lines
		// added; without them, a scan walks into .dagnfs.
		b, err := os.ReadFile(filepath.Join(root, layout.IgnoreFile))
		require.NoError(t, err)
		assert.Equal(t, "scratch\n"+layout.IgnoreBlock, string(b))
		for _, syntax := range []string{validate.SyntaxRegexp, validate.SyntaxGlob} {
			s, err := validate.ScanAsAirflow(ctx, root, syntax)
			require.NoError(t, err)
			assert.ElementsMatch(t, []string{"a.py", "team/b.py", "common/util.py"}, s.Files, syntax)
		}
	})

	t.Run("generations", func(t *testing.T) {
		root, d := publishLayout(t, layout.Generations)
		current := filepath.Join(root, layout.Current)
		r := verifyScan(t, d, root, current)
		assert.Empty(t, scanRules(r), "%v", r.Findings)
		assert.True(t, r.OK, "%v", r.Findings)

		// From the export root: nothing of dagnfs's is walked into and no
		// loop, but the dags folder is the wrong one for the DAGs' imports.
		r = verifyScan(t, d, root, root)
		assert.Equal(t, map[string][]string{RuleDagsFolder: {""}}, scanRules(r), "%v", r.Findings)
		assert.False(t, r.OK)
		for _, syntax := range []string{validate.SyntaxRegexp, validate.SyntaxGlob} {
			s, err := validate.ScanAsAirflow(ctx, root, syntax)
			require.NoError(t, err)
			assert.Empty(t, s.Loop, syntax)
			assert.ElementsMatch(t, []string{"current/a.py", "current/team/b.py", "current/common/util.py"}, s.Files, syntax)
		}

		// Without the root's .airflowignore, a reader that can list the
		// generations (root here; the owner where the folder is listable)
		// stops with Airflow's loop error: the check can fail.
		require.NoError(t, os.Remove(filepath.Join(root, layout.IgnoreFile)))
		r = verifyScan(t, d, root, root)
		assert.Contains(t, scanRules(r), RuleRootIgnore)
		if os.Geteuid() == 0 {
			assert.Contains(t, scanRules(r), RuleScanLoop, "%v", r.Findings)
		}

		// The next publish puts it back.
		src := t.TempDir()
		writeTree(t, src, map[string]string{"a.py": dagA})
		_, err := publish.Publish(ctx, publish.Options{Source: publish.Source{Dir: src, Validate: validate.Options{Python: "none"}},
			Dest: d, Owner: publish.Owner{UID: 50000, GID: 50000}})
		require.NoError(t, err)
		b, err := os.ReadFile(filepath.Join(root, layout.IgnoreFile))
		require.NoError(t, err)
		assert.Equal(t, layout.IgnoreBlock, string(b))
	})

	t.Run("a DAG file reached twice", func(t *testing.T) {
		root, d := publishLayout(t, layout.InPlace)
		require.NoError(t, os.Symlink("a.py", filepath.Join(root, "again.py")))
		r := verifyScan(t, d, root, root)
		assert.Equal(t, []string{"a.py", "a.py"}, scanRules(r)[RuleScanTwice], "once per syntax")
	})

	t.Run("a DAG file Airflow does not find", func(t *testing.T) {
		root, d := publishLayout(t, layout.InPlace)
		require.NoError(t, os.WriteFile(filepath.Join(root, "team", layout.IgnoreFile), []byte("b\\.py\n"), 0o644))
		o := opts()
		o.LocalPath, o.DagsFolder, o.IgnoreSyntaxes = root, root, []string{validate.SyntaxRegexp}
		r, err := Verify(ctx, d, o)
		require.NoError(t, err)
		assert.Equal(t, []string{"team/b.py"}, scanRules(r)[RuleScanMissing])
	})
}

// The agent runs Airflow's scan of the dags folder it is given: a
// generations export scanned from its root makes the node unready, with
// the rule in the metrics.
func TestAgentScansTheDagsFolder(t *testing.T) {
	root, d := publishLayout(t, layout.Generations)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + l.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := opts()
	o.LocalPath, o.DagsFolder = root, root
	a := &Agent{Dest: d, Options: o, Interval: 100 * time.Millisecond}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, l) }()
	eventually(t, "the scan's finding", func() bool {
		_, m := get(t, base+"/metrics")
		return strings.Contains(m, `dagnfs_findings{rule="dags-folder-setting",severity="error"} 1`)
	})
	code, _ := get(t, base+"/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, code)
	cancel()
	<-done
}
