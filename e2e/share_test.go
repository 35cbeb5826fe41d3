//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Two teams publishing into one share on nfs-ganesha, one in place, one in
// generations: a colliding dag_id is refused before anything changes on
// the export (read back from the server's disk); one team's --delete
// leaves the other's files alone; status and verify of the share list
// both; Airflow's own discovery of the share, as the files' owner and as
// another uid, in both ignore syntaxes, finds every DAG of both teams
// exactly once and walks into nothing of dagnfs's.
func TestShareOfTwoTeamsOnGanesha(t *testing.T) {
	e := setup(t)
	dir, url := e.folder(t)
	code, out, errOut := e.run(t, "share", "init", url)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "is a share")

	teamA, teamB := t.TempDir(), t.TempDir()
	writeFiles(t, teamA, map[string]string{
		"etl.py":             dagFile("etl_daily", "from team_a.common import X\n"),
		"common.py":          "X = 1\n",
		"reports/weekly.py":  dagFile("weekly", ""),
		"old/retired_dag.py": dagFile("retired", ""),
	})
	writeFiles(t, teamB, map[string]string{"ingest.py": dagFile("etl_daily", ""), "load.py": dagFile("load", "")})
	code, _, errOut = e.publish(t, teamA, url+"/team_a")
	require.Equal(t, 0, code, errOut)

	before := onDisk(t, dir)
	code, r, errOut := e.publish(t, teamB, url+"/team_b", "--layout", "generations")
	assert.Equal(t, 1, code, errOut)
	require.NotNil(t, r.Error)
	assert.Equal(t, "refused", r.Error.Kind)
	for _, want := range []string{`dag_id "etl_daily" of ingest.py:2`, "team_a/etl.py:2", "generation 1"} {
		assert.Contains(t, r.Error.Message, want)
	}
	assert.Equal(t, before, onDisk(t, dir), "nothing changed on the export")
	assert.NoDirExists(t, filepath.Join(dir, "team_b"))

	writeFiles(t, teamB, map[string]string{"ingest.py": dagFile("ingest", "")})
	code, _, errOut = e.publish(t, teamB, url+"/team_b", "--layout", "generations")
	require.Equal(t, 0, code, errOut)

	require.NoError(t, os.RemoveAll(filepath.Join(teamA, "old")))
	code, r, errOut = e.publish(t, teamA, url+"/team_a", "--delete")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, []string{"old/retired_dag.py"}, r.Deleted)
	assert.FileExists(t, filepath.Join(dir, "team_b", "current", "ingest.py"), "team_a's delete leaves team_b alone")

	code, out, errOut = e.run(t, "status", url)
	require.Equal(t, 0, code, errOut)
	assert.Regexp(t, `team_a +generation 2, 2 DAGs`, out)
	assert.Regexp(t, `team_b +generation 1, 2 DAGs`, out)
	code, out, errOut = e.run(t, "verify", url)
	require.Equal(t, 0, code, out+errOut)
	assert.Regexp(t, `team_a +OK`, out)
	assert.Regexp(t, `team_b +OK`, out)

	want := []string{"team_a/etl.py", "team_a/reports/weekly.py", "team_b/current/ingest.py", "team_b/current/load.py"}
	for _, id := range []struct{ uid, gid int }{{50000, 0}, {50000, 50000}, {1000, 1000}} {
		for _, syntax := range []string{"regexp", "glob"} {
			s := scanAs(t, id.uid, id.gid, dir, syntax)
			require.Nil(t, s.Error, "uid %d, %s", id.uid, syntax)
			for _, f := range s.Files {
				assert.False(t, strings.Contains(f, ".dagnfs"), "%s: uid %d, %s", f, id.uid, syntax)
			}
			assert.ElementsMatch(t, want, s.Files, "every file of both teams exactly once: uid %d, %s", id.uid, syntax)
		}
	}
}
