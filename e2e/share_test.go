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

// promote between two folders of one export on nfs-ganesha: prod serves
// dev's very files (one inode each, on the server's disk), records where
// they came from, and a hand edit in dev since its publish is refused
// with nothing changed in prod.
func TestPromoteOnGanesha(t *testing.T) {
	e := setup(t)
	dir, url := e.folder(t)
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"etl.py": dagFile("etl", ""), "sql/q.sql": "select 1\n"})
	code, _, errOut := e.publish(t, src, url+"/dev", "--label", "abc1234")
	require.Equal(t, 0, code, errOut)
	code, out, errOut := e.run(t, "promote", "--format", "json", url+"/dev", url+"/prod")
	require.Equal(t, 0, code, out+errOut)
	for _, f := range []string{"etl.py", "sql/q.sql"} {
		dfi, err := os.Stat(filepath.Join(dir, "dev", f))
		require.NoError(t, err)
		pfi, err := os.Stat(filepath.Join(dir, "prod", f))
		require.NoError(t, err)
		assert.True(t, os.SameFile(dfi, pfi), "%s: prod serves dev's file", f)
	}
	code, out, errOut = e.run(t, "status", url+"/prod")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "promoted    from "+url+"/dev, generation 1 (abc1234)")

	before, err := os.ReadFile(filepath.Join(dir, "prod", ".dagnfs", "manifest.json"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "dev", "sql", "q.sql"), []byte("select 2\n"), 0o644))
	code, _, errOut = e.run(t, "promote", url+"/dev", url+"/prod")
	assert.Equal(t, 1, code, errOut)
	assert.Contains(t, errOut, "sql/q.sql changed since it was published")
	after, err := os.ReadFile(filepath.Join(dir, "prod", ".dagnfs", "manifest.json"))
	require.NoError(t, err)
	assert.Equal(t, string(before), string(after), "prod's records unchanged")
	// The edit was in place, in a file both serve: each side's status
	// names the other.
	code, out, _ = e.run(t, "status", "--check", url+"/dev")
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "promote linked it into "+url+"/prod")
	code, out, _ = e.run(t, "status", "--check", url+"/prod")
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "promote linked it from "+url+"/dev")
}
