package validate

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dagnfs/dagnfs/internal/sarifcheck"
)

// brokenRepo is a repository with a DAG folder "dags" whose findings cover
// many rules, in names that need escaping.
func brokenRepo(t *testing.T) (repo string, r *Report) {
	t.Helper()
	repo = t.TempDir()
	dags := filepath.Join(repo, "dags")
	writeTree(t, dags, map[string]string{
		"etl.py":               "from airflow import DAG\nx = = 1\n",
		"team a/b,c:d.py":      "from airflow import DAG\nDAG('bcd', schedule=None\n",
		"team a/dup.py":        "from airflow import DAG\nDAG('dup', schedule=None)\n",
		"now.py":               "from airflow import DAG\nimport datetime\nDAG('n', start_date=datetime.datetime.now())\n",
		"latin.py":             "s = '\xe9'\n",
		".airflowignore":       "[\n",
		"pkg.zip":              "not a zip",
		"sub/100%/weird #1.py": "from airflow import DAG\ndef (:\n",
	})
	require.NoError(t, os.Symlink("/etc/passwd", filepath.Join(dags, "escape.py")))
	return repo, run(t, dags, Options{Python: "none"})
}

// From the repository root, every format names dags/...; with a path base
// the paths are relative to it; JSON keeps the DAG-folder path in rel.
func TestPathsRelativeToWorkingDirectory(t *testing.T) {
	repo, r := brokenRepo(t)
	t.Chdir(repo)
	require.NoError(t, r.Relocate("dags", ""))
	require.NotEmpty(t, r.Findings)
	for _, f := range r.Findings {
		assert.True(t, strings.HasPrefix(f.File, "dags/"), "%s", f.File)
		assert.Equal(t, "dags/"+f.Rel, f.File)
	}
	var buf bytes.Buffer
	require.NoError(t, r.Write(&buf, "json", false))
	var doc struct {
		Findings []struct{ File, Rel string }
	}
	require.NoError(t, json.Unmarshal(buf.Bytes(), &doc))
	rels := map[string]string{}
	for _, f := range doc.Findings {
		rels[f.Rel] = f.File
	}
	assert.Equal(t, "dags/etl.py", rels["etl.py"])
	assert.Equal(t, "dags/team a/b,c:d.py", rels["team a/b,c:d.py"])

	buf.Reset()
	require.NoError(t, r.Write(&buf, "text", false))
	assert.Contains(t, buf.String(), "dags/etl.py\n")

	// A path base above the repository, and one inside the DAG folder.
	repo2, r2 := brokenRepo(t)
	require.NoError(t, r2.Relocate(filepath.Join(repo2, "dags"), filepath.Dir(repo2)))
	for _, f := range r2.Findings {
		assert.Equal(t, filepath.Base(repo2)+"/dags/"+f.Rel, f.File)
	}
	_, r3 := brokenRepo(t)
	require.NoError(t, r3.Relocate("dags", "dags/sub"))
	for _, f := range r3.Findings {
		if strings.HasPrefix(f.Rel, "sub/") {
			assert.Equal(t, strings.TrimPrefix(f.Rel, "sub/"), f.File)
		} else {
			assert.True(t, filepath.IsAbs(f.File), "a file outside the base keeps its absolute path: %s", f.File)
		}
	}
}

// workflowCommand is GitHub's annotation command: ::level props::message,
// where props are key=value pairs with %, CR, LF, ":" and "," escaped, and
// the message has %, CR and LF escaped.
var workflowCommand = regexp.MustCompile(`^::(error|warning|notice) ((?:[a-zA-Z]+=[^,:\r\n]*)(?:,[a-zA-Z]+=[^,:\r\n]*)*)::([^\r\n]*)$`)

func TestGitHubOutputIsWorkflowCommands(t *testing.T) {
	repo, r := brokenRepo(t)
	t.Chdir(repo)
	require.NoError(t, r.Relocate("dags", ""))
	var buf bytes.Buffer
	require.NoError(t, r.Write(&buf, "github", false))
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	require.Len(t, lines, len(r.Findings))
	unescape := strings.NewReplacer("%25", "%", "%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",")
	files := map[string]bool{}
	for i, l := range lines {
		m := workflowCommand.FindStringSubmatch(l)
		require.NotNil(t, m, "not a workflow command: %q", l)
		props := map[string]string{}
		for _, kv := range strings.Split(m[2], ",") {
			k, v, _ := strings.Cut(kv, "=")
			props[k] = unescape.Replace(v)
		}
		f := r.Findings[i]
		assert.Equal(t, f.File, props["file"])
		files[props["file"]] = true
		if f.Line > 0 {
			assert.Equal(t, strconv.Itoa(f.Line), props["line"])
		}
		assert.Equal(t, "dagnfs "+f.Rule, props["title"])
		assert.Equal(t, f.Message, unescape.Replace(m[3]))
	}
	assert.True(t, files["dags/team a/b,c:d.py"], "a name with , and : survives escaping: %v", files)
	assert.True(t, files["dags/sub/100%/weird #1.py"], "%v", files)
}

// Every SARIF document dagnfs writes passes the 2.1.0 schema, names every
// rule with help, and gives URIs code scanning resolves.
func TestSARIFValidatesAgainstSchema(t *testing.T) {
	repo, r := brokenRepo(t)
	t.Chdir(repo)
	r.ToolVersion = "1.2.3"
	clean := run(t, t.TempDir(), Options{Python: "none"})
	for name, rep := range map[string]*Report{"findings": r, "clean": clean} {
		require.NoError(t, rep.Relocate("dags", ""))
		var buf bytes.Buffer
		require.NoError(t, rep.Write(&buf, "sarif", false))
		require.NoError(t, sarifcheck.Validate(buf.Bytes()), "%s: %s", name, buf.String())
		doc, err := sarif.FromBytes(buf.Bytes())
		require.NoError(t, err, name)

		require.Len(t, doc.Runs, 1)
		run := doc.Runs[0]
		assert.Len(t, run.Tool.Driver.Rules, len(Rules), name)
		for _, rule := range run.Tool.Driver.Rules {
			assert.NotEmpty(t, *rule.ShortDescription.Text, *rule.ID)
			assert.NotEmpty(t, *rule.Help.Text, *rule.ID)
		}
		base := run.OriginalUriBaseIds[srcRoot]
		require.NotNil(t, base.URI, name)
		u, err := url.Parse(*base.URI)
		require.NoError(t, err)
		assert.Equal(t, "file", u.Scheme)
		wd, _ := os.Getwd()
		assert.Equal(t, wd+"/", u.Path)
		assert.Len(t, run.Results, len(rep.Findings), name)
		for i, res := range run.Results {
			require.Less(t, res.RuleIndex, len(run.Tool.Driver.Rules))
			assert.Equal(t, *res.RuleID, *run.Tool.Driver.Rules[res.RuleIndex].ID, "the result's rule index")
			loc := res.Locations[0].PhysicalLocation
			p, err := url.PathUnescape(*loc.ArtifactLocation.URI)
			require.NoError(t, err)
			assert.Equal(t, rep.Findings[i].File, p)
			assert.Equal(t, srcRoot, *loc.ArtifactLocation.URIBaseID)
			if rep.Findings[i].Line > 0 {
				assert.Equal(t, rep.Findings[i].Line, *loc.Region.StartLine)
			}
		}
	}
	var buf bytes.Buffer
	require.NoError(t, r.Write(&buf, "sarif", false))
	assert.Contains(t, buf.String(), `"version": "1.2.3"`)
}
