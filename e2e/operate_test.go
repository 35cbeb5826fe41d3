//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Pause and resume over the protocol, against nfs-ganesha: the pause file
// lands on the server's disk owned by 50000, a publish is refused with exit
// 5 and changes nothing, a rollback still runs and offers no pause (there
// is one), the pods' verify and status show it; after resume the publish
// goes through.
func TestPauseOnGanesha(t *testing.T) {
	e := setup(t)
	dir, url := e.folder(t)
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a.py": dagFile("a", "")})
	code, _, errOut := e.run(t, "publish", "--label", "v1", src, url)
	require.Equal(t, 0, code, errOut)
	writeFiles(t, src, map[string]string{"a.py": dagFile("a", "# v2\n")})
	code, _, errOut = e.run(t, "publish", "--label", "v2", src, url)
	require.Equal(t, 0, code, errOut)

	code, out, errOut := e.run(t, "pause", "--reason", "INC-42 rolled back", url)
	require.Equal(t, 0, code, "%s %s", out, errOut)
	fi, err := os.Stat(filepath.Join(dir, ".dagnfs/paused"))
	require.NoError(t, err, "the pause is on the server's disk")
	assert.Equal(t, os.FileMode(0o644), fi.Mode().Perm())

	writeFiles(t, src, map[string]string{"a.py": dagFile("a", "# v3\n")})
	code, r, errOut := e.publish(t, src, url, "--label", "v3")
	assert.Equal(t, 5, code, errOut)
	require.NotNil(t, r.Error)
	assert.Equal(t, "paused", r.Error.Kind)
	assert.Contains(t, r.Error.Message, "INC-42 rolled back")
	assert.Equal(t, dagFile("a", "# v2\n"), onDisk(t, dir)["a.py"], "nothing was published")

	code, out, errOut = e.run(t, "rollback", "-v", url)
	require.Equal(t, 0, code, "%s %s", out, errOut)
	assert.Contains(t, out, "stays paused (INC-42 rolled back)")
	assert.Contains(t, out, "undo        dagnfs rollback "+url+" --to 2")
	assert.Equal(t, dagFile("a", ""), onDisk(t, dir)["a.py"])

	// What the pods see: the pause in verify's JSON, read through the
	// mount as Airflow's uid.
	code, out, errOut = e.asUser(t, "verify", "--format", "json", dir)
	require.Equal(t, 0, code, "%s %s", out, errOut)
	var v struct {
		Paused struct {
			Reason string `json:"reason"`
		} `json:"paused"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &v))
	assert.Equal(t, "INC-42 rolled back", v.Paused.Reason)
	code, out, _ = e.run(t, "status", "--check", url)
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "paused      by ")

	code, out, errOut = e.run(t, "resume", url)
	require.Equal(t, 0, code, "%s %s", out, errOut)
	_, err = os.Stat(filepath.Join(dir, ".dagnfs/paused"))
	assert.True(t, os.IsNotExist(err), "the pause is gone from the server's disk")
	code, r, errOut = e.publish(t, src, url, "--label", "v3")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, 4, r.Generation)
	assert.Equal(t, dagFile("a", "# v3\n"), nfsCat(t, dir+"/a.py"), "read back through a second client")
}
