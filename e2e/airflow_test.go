//go:build e2e

package e2e

import (
	"archive/zip"
	"bytes"
	_ "embed"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// airflowScan is Airflow's own discovery (find_path_from_directory and the
// candidate test), in Python, with pathspec for the glob syntax as Airflow
// uses it.
//
//go:embed testdata/airflow_scan.py
var airflowScan []byte

type scanResult struct {
	Files []string `json:"files"`
	Error *string  `json:"error"`
}

// scanAs runs Airflow's discovery of folder as uid:gid with the ignore
// syntax syntax (the script comes on stdin: no file of the checkout needs
// to be readable for that uid).
func scanAs(t *testing.T, uid, gid int, folder, syntax string) scanResult {
	t.Helper()
	cmd := exec.Command("setpriv", "--reuid", strconv.Itoa(uid), "--regid", strconv.Itoa(gid), "--clear-groups",
		"/usr/bin/python3", "-", folder, syntax)
	cmd.Stdin = bytes.NewReader(airflowScan)
	out, err := cmd.Output()
	var stderr string
	if ee, ok := err.(*exec.ExitError); ok {
		stderr = string(ee.Stderr)
	}
	require.NoError(t, err, "airflow_scan.py as %d:%d: %s", uid, gid, stderr)
	var r scanResult
	require.NoError(t, json.Unmarshal(out, &r), string(out))
	return r
}

// zipped is a zip archive holding the given members.
func zipped(t *testing.T, members map[string]string) string {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for name, body := range members {
		f, err := w.Create(name)
		require.NoError(t, err)
		_, err = f.Write([]byte(body))
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	return b.String()
}

// Airflow's own discovery of a published export on nfs-ganesha, run as the
// files' owner (uid 50000, as the pods on Astro Private Cloud run) and as
// another uid, in both ignore syntaxes, from the dags folder Airflow should
// be configured with and from the export root: it raises nothing, walks
// into nothing of dagnfs's, and finds every DAG file exactly once. verify
// --dags-folder says the same, and reports the export root as the dags
// folder of a generations export. An export as an older dagnfs left it
// (generations listable by their owner, no .airflowignore at the root)
// stops the owner's scan, and the next publish repairs it.
func TestAirflowScanOnGanesha(t *testing.T) {
	e := setup(t)
	for _, lay := range []string{"in-place", "generations"} {
		t.Run(lay, func(t *testing.T) {
			dir, url := e.folder(t)
			src := t.TempDir()
			files := map[string]string{
				"etl.py":             dagFile("etl", "from common.util import X\n"),
				"team/report.py":     dagFile("report", ""),
				"common/__init__.py": "",
				"common/util.py":     "X = 1\n",
				"scratch/wip.py":     dagFile("wip", ""),
				"packaged.zip":       zipped(t, map[string]string{"packaged_dag.py": dagFile("packaged", "")}),
				".airflowignore":     "scratch\n",
			}
			writeFiles(t, src, files)
			code, _, errOut := e.publish(t, src, url, "--layout", lay)
			require.Equal(t, 0, code, errOut)
			files["etl.py"] = dagFile("etl", "from common.util import X\n# v2\n")
			writeFiles(t, src, files)
			code, r, errOut := e.publish(t, src, url)
			require.Equal(t, 0, code, errOut)
			require.Equal(t, 2, r.Generation)

			want := []string{"etl.py", "packaged.zip", "team/report.py"}
			folders := map[string]string{dir: ""} // dags folder -> the prefix of what it finds
			right := dir
			if lay == "generations" {
				right = filepath.Join(dir, "current")
				folders = map[string]string{right: "", dir: "current/"}
			}
			for _, id := range []struct{ uid, gid int }{{50000, 0}, {50000, 50000}, {1000, 1000}} {
				for _, syntax := range []string{"regexp", "glob"} {
					for folder, prefix := range folders {
						s := scanAs(t, id.uid, id.gid, folder, syntax)
						require.Nil(t, s.Error, "uid %d, %s, from %s", id.uid, syntax, folder)
						var found []string
						for _, f := range s.Files {
							assert.True(t, strings.HasPrefix(f, prefix), "%s: uid %d, %s, from %s", f, id.uid, syntax, folder)
							found = append(found, strings.TrimPrefix(f, prefix))
						}
						assert.ElementsMatch(t, want, found, "every DAG file exactly once: uid %d, %s, from %s", id.uid, syntax, folder)
					}
				}
			}

			// verify --dags-folder, as a pod (uid 50000) reading its mount.
			code, out, errOut := e.asUser(t, "verify", "--format", "json", dir, "--dags-folder", right)
			v := parseVerify(t, out)
			assert.Equal(t, 0, code, "%s %s", out, errOut)
			assert.True(t, v.OK)
			if lay == "in-place" {
				return
			}
			code, out, _ = e.asUser(t, "verify", dir, "--dags-folder", dir)
			assert.Equal(t, 1, code, out)
			assert.Contains(t, out, "[dags-folder-setting]")
			assert.Contains(t, out, "AIRFLOW__CORE__DAGS_FOLDER="+right)

			// As an older dagnfs left a generations export: the owner can
			// list the generations and the root has no .airflowignore.
			gens := filepath.Join(dir, ".dagnfs", "generations")
			require.NoError(t, os.Chmod(gens, 0o711))
			require.NoError(t, os.Remove(filepath.Join(dir, ".airflowignore")))
			for _, syntax := range []string{"regexp", "glob"} {
				s := scanAs(t, 50000, 0, dir, syntax)
				require.NotNil(t, s.Error, syntax)
				assert.Contains(t, *s.Error, "Detected recursive loop when walking DAG directory", syntax)
			}
			code, out, _ = e.asUser(t, "verify", dir, "--dags-folder", dir)
			assert.Equal(t, 1, code)
			assert.Contains(t, out, "[airflow-scan-loop]")
			assert.Contains(t, out, "[root-airflowignore]")

			// The next publish (nothing changed) repairs both.
			code, r, errOut = e.publish(t, src, url)
			require.Equal(t, 0, code, errOut)
			assert.Equal(t, 2, r.Generation, "nothing changed: no new generation")
			fi, err := os.Stat(gens)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o311), fi.Mode().Perm(), "the generations folder: not listable, by its owner either")
			for _, syntax := range []string{"regexp", "glob"} {
				s := scanAs(t, 50000, 0, dir, syntax)
				assert.Nil(t, s.Error, syntax)
			}
		})
	}
}
