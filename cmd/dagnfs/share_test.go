package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dagnfs/dagnfs/nfs/nfstest"
	"github.com/dagnfs/dagnfs/share"
)

// destKind is one kind of destination the command tests publish to: base
// is what the commands are given, disk where its files are.
type destKind struct{ name, base, disk string }

// destKinds are the in-process NFS server and a folder.
func destKinds(t *testing.T) []destKind {
	dir, s := nfstest.Server(t)
	local := t.TempDir()
	return []destKind{{"nfs", strings.TrimSuffix(s.URL(), "/"), dir}, {"folder", local, local}}
}

// folders makes the folders below k and returns how to name a path of it.
func (k destKind) folders(t *testing.T, dirs ...string) func(string) string {
	for _, d := range dirs {
		require.NoError(t, os.MkdirAll(filepath.Join(k.disk, d), 0o755))
	}
	return func(p string) string { return k.base + "/" + p }
}

func dagWithID(id string) string {
	return fmt.Sprintf("from airflow import DAG\nwith DAG(%q):\n    pass\n", id)
}

// Teams on one share, over NFS and into a folder: a dag_id another team
// serves is refused before anything changes (the team's new folder is not
// left behind), with both files, the other team's folder, its generation
// and who published it; a team never publishes over, under or into the
// root of another's; status SHARE lists every team; without a marker,
// folders on one export may hold the same dag_ids.
func TestShareTeams(t *testing.T) {
	for _, tg := range destKinds(t) {
		t.Run(tg.name, func(t *testing.T) {
			at := tg.folders(t, "srv", "plain", "srv/group", "bundles")
			code, out, errOut := runCLI(t, "share", "init", at("srv"))
			require.Equal(t, exitOK, code, errOut)
			assert.Contains(t, out, "is a share")
			require.FileExists(t, filepath.Join(tg.disk, "srv", share.MarkerName))

			teamA := srcDir(t, map[string]string{"etl.py": dagWithID("etl_daily")})
			teamB := srcDir(t, map[string]string{"other.py": dagWithID("etl_daily"), "reports.py": dagWithID("reports")})
			code, _, errOut = runCLI(t, "publish", teamA, at("srv/team-a"))
			require.Equal(t, exitOK, code, errOut)

			code, _, errOut = runCLI(t, "publish", teamB, at("srv/team-b"))
			assert.Equal(t, exitFailed, code, errOut)
			for _, want := range []string{`dag_id "etl_daily" of other.py:2`, "team-a/etl.py:2", "generation 1", "published by"} {
				assert.Contains(t, errOut, want)
			}
			assert.NoDirExists(t, filepath.Join(tg.disk, "srv", "team-b"), "a refused publish leaves nothing behind, not even its new folder")

			require.NoError(t, os.Remove(filepath.Join(teamB, "other.py")))
			code, _, errOut = runCLI(t, "publish", teamB, at("srv/team-b"))
			require.Equal(t, exitOK, code, errOut)

			// A team's --delete stays in its folder.
			require.NoError(t, os.WriteFile(filepath.Join(teamB, "reports.py"), []byte(dagWithID("reports2")), 0o644))
			code, _, errOut = runCLI(t, "publish", "--delete", teamB, at("srv/team-b"))
			require.Equal(t, exitOK, code, errOut)
			assert.FileExists(t, filepath.Join(tg.disk, "srv", "team-a", "etl.py"))

			code, out, errOut = runCLI(t, "status", at("srv"))
			require.Equal(t, exitOK, code, errOut)
			assert.Contains(t, out, "a share of 2 team folder(s)")
			assert.Regexp(t, `team-a +generation 1, 1 DAGs`, out)
			assert.Regexp(t, `team-b +generation 2, 1 DAGs`, out)
			code, out, errOut = runCLI(t, "status", "--format", "json", at("srv"))
			require.Equal(t, exitOK, code, errOut)
			var st struct {
				Teams []struct {
					Folder     string `json:"folder"`
					Generation int    `json:"generation"`
				} `json:"teams"`
			}
			require.NoError(t, json.Unmarshal([]byte(out), &st), out)
			require.Len(t, st.Teams, 2)
			assert.Equal(t, "team-b", st.Teams[1].Folder)

			// Airflow 3: a bundle per team, read from the share.
			code, out, errOut = runCLI(t, "k8s", "bundle-config", "--share", at("srv"), "--multi-team", "--published-root", "/usr/local/airflow/dags")
			require.Equal(t, exitOK, code, errOut)
			assert.Contains(t, out, `{"name":"team-a","classpath":"airflow.dag_processing.bundles.local.LocalDagBundle","kwargs":{"path":"/usr/local/airflow/dags/team-a"},"team_name":"team-a"}`)
			assert.Contains(t, out, `"kwargs":{"path":"/usr/local/airflow/dags/team-b"}`)
			code, _, errOut = runCLI(t, "k8s", "bundle-config", "--share", at("plain"))
			assert.Equal(t, exitUsage, code, errOut)
			assert.Contains(t, errOut, "is not a share")

			code, out, errOut = runCLI(t, "verify", at("srv"))
			require.Equal(t, exitOK, code, out+errOut)
			assert.Regexp(t, `team-a +OK: generation 1`, out)
			assert.Regexp(t, `team-b +OK: generation 2`, out)
			code, out, _ = runCLI(t, "verify", "--format", "json", at("srv"))
			require.Equal(t, exitOK, code, out)
			var sv struct {
				OK    bool `json:"ok"`
				Teams []struct {
					Folder string `json:"folder"`
				} `json:"teams"`
			}
			require.NoError(t, json.Unmarshal([]byte(out), &sv), out)
			assert.True(t, sv.OK)
			assert.Len(t, sv.Teams, 2)
			code, _, errOut = runCLI(t, "verify", "--expect-generation", "1", at("srv"))
			assert.Equal(t, exitUsage, code, errOut)
			edited := filepath.Join(tg.disk, "srv", "team-b", "reports.py")
			good, err := os.ReadFile(edited)
			require.NoError(t, err)
			require.Equal(t, dagWithID("reports2"), string(good))
			require.NoError(t, os.WriteFile(edited, append(good, "# edited by hand\n"...), 0o644))
			code, out, _ = runCLI(t, "verify", at("srv"))
			assert.Equal(t, exitFailed, code, out)
			assert.Regexp(t, `team-b +FAILED`, out)
			assert.Contains(t, out, "FAILED: every team's folder checked")
			code, _, errOut = runCLI(t, "publish", teamB, at("srv/team-b")) // repairs the hand edit
			require.Equal(t, exitOK, code, errOut)

			code, _, _ = runCLI(t, "status", "--check", at("srv"))
			assert.Equal(t, exitOK, code, "all is well")
			code, _, errOut = runCLI(t, "pause", "--reason", "freeze", at("srv/team-a"))
			require.Equal(t, exitOK, code, errOut)
			code, out, _ = runCLI(t, "status", "--check", at("srv"))
			assert.Equal(t, exitFailed, code, "a paused team needs attention")
			assert.Regexp(t, `team-a +generation 1, .*, paused`, out)
			code, _, errOut = runCLI(t, "resume", at("srv/team-a"))
			require.Equal(t, exitOK, code, errOut)

			// Overlaps: the root, inside a team's folder, over one.
			code, _, errOut = runCLI(t, "publish", teamB, at("srv"))
			assert.Equal(t, exitFailed, code)
			assert.Contains(t, errOut, "the share's root holds the teams' folders")
			require.NoError(t, os.Mkdir(filepath.Join(tg.disk, "srv", "team-a", "sub"), 0o755))
			code, _, errOut = runCLI(t, "publish", teamB, at("srv/team-a/sub"))
			assert.Equal(t, exitFailed, code)
			assert.Contains(t, errOut, "team-a/sub lies inside team-a, another team's folder")
			teamC := srcDir(t, map[string]string{"c.py": dagWithID("c")})
			code, _, errOut = runCLI(t, "publish", teamC, at("srv/group/team-c"))
			require.Equal(t, exitOK, code, errOut)
			code, _, errOut = runCLI(t, "publish", teamB, at("srv/group"))
			assert.Equal(t, exitFailed, code)
			assert.Contains(t, errOut, "group holds group/team-c, another team's folder")
			assert.NoDirExists(t, filepath.Join(tg.disk, "srv", "group", ".dagnfs"))

			// No share inside a share, none on a team's folder, none twice.
			code, _, errOut = runCLI(t, "share", "init", at("srv/group"))
			assert.Equal(t, exitFailed, code)
			assert.Contains(t, errOut, "lies inside the share")
			code, _, errOut = runCLI(t, "share", "init", at("srv/team-a"))
			assert.Equal(t, exitFailed, code)
			assert.Contains(t, errOut, "lies inside the share")
			code, _, errOut = runCLI(t, "share", "init", at("srv"))
			assert.Equal(t, exitFailed, code)
			assert.Contains(t, errOut, "already a share")

			// A published root of versioned bundles as a share: each bundle
			// is a team's.
			code, _, errOut = runCLI(t, "share", "init", at("bundles"))
			require.Equal(t, exitOK, code, errOut)
			bundle := func(src, name string) (int, string) {
				code, _, errOut := runCLI(t, "publish", "--layout", "manifest-bundle", "--bundle", name, src, at("bundles"))
				return code, errOut
			}
			code, errOut = bundle(teamA, "team-x")
			require.Equal(t, exitOK, code, errOut)
			clash := srcDir(t, map[string]string{"dup.py": dagWithID("etl_daily")})
			code, errOut = bundle(clash, "team-y")
			assert.Equal(t, exitFailed, code, errOut)
			assert.Contains(t, errOut, `already served by team team-x: bundle team-x: etl.py:2`)
			code, errOut = bundle(teamC, "team-y")
			require.Equal(t, exitOK, code, errOut)
			code, errOut = bundle(clash, "team-x") // a bundle's own dag_ids are no collision
			require.Equal(t, exitOK, code, errOut)
			code, out, errOut = runCLI(t, "status", at("bundles"))
			require.Equal(t, exitOK, code, errOut)
			assert.Regexp(t, `bundle team-x +generation 2`, out)
			assert.Regexp(t, `bundle team-y +generation 1`, out)
			code, out, errOut = runCLI(t, "verify", at("bundles"))
			require.Equal(t, exitOK, code, out+errOut)
			code, out, errOut = runCLI(t, "k8s", "bundle-config", "--share", at("bundles"), "--published-root", "/mnt/bundles")
			require.Equal(t, exitOK, code, errOut)
			assert.Contains(t, out, `{"name":"team-x","classpath":"airflow_manifest_bundle.local.ManifestLocalDagBundle","kwargs":{"published_root":"/mnt/bundles"}}`)
			assert.Contains(t, out, `{"name":"team-y",`)

			// Without a marker, folders are independent.
			colliding := srcDir(t, map[string]string{"other.py": dagWithID("etl_daily")})
			for _, f := range []string{"plain/dev", "plain/prod"} {
				code, _, errOut = runCLI(t, "publish", colliding, at(f))
				require.Equal(t, exitOK, code, errOut)
			}
			code, _, errOut = runCLI(t, "share", "init", at("plain/dev"))
			assert.Equal(t, exitFailed, code)
			assert.Contains(t, errOut, "a folder dagnfs publishes into")
			assert.NoFileExists(t, filepath.Join(tg.disk, "plain", "dev", share.MarkerName))
		})
	}
}

// verify SHARE --dags-folder runs Airflow's own scan of the share, the
// dags folder every team's files are found from, and checks each team's
// DAGs against it: found once, also with DEST given relative to the
// working folder.
func TestVerifyShareAsAirflowScans(t *testing.T) {
	sh := t.TempDir()
	code, _, errOut := runCLI(t, "share", "init", sh)
	require.Equal(t, exitOK, code, errOut)
	code, _, errOut = runCLI(t, "publish", "--python", "none", srcDir(t, map[string]string{"a.py": dagWithID("a")}), filepath.Join(sh, "team-a"))
	require.Equal(t, exitOK, code, errOut)
	code, _, errOut = runCLI(t, "publish", "--python", "none", "--layout", "generations", srcDir(t, map[string]string{"b.py": dagWithID("b")}), filepath.Join(sh, "team-b"))
	require.Equal(t, exitOK, code, errOut)

	t.Chdir(sh)
	code, out, errOut := runCLI(t, "verify", ".", "--dags-folder", sh)
	assert.Equal(t, exitOK, code, out+errOut)
	assert.Contains(t, out, "team-a           OK")
	assert.Contains(t, out, "team-b           OK")

	// A share-wide ignore file that hides one team's folder from Airflow.
	require.NoError(t, os.WriteFile(filepath.Join(sh, ".airflowignore"), []byte("team-a/\n"), 0o644))
	code, out, _ = runCLI(t, "verify", ".", "--dags-folder", sh, "--ignore-syntax", "glob")
	assert.Equal(t, exitFailed, code, out)
	assert.Contains(t, out, "a.py: error [airflow-misses-dag]")
	assert.Contains(t, out, "team-b           OK")
}
