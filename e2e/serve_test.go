//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dagnfs serve as the demo runs it, as the files' owner (uid 50000, not
// root): a publish keeps replaced files for rollback in the unlistable
// objects folder (mode 0300), so a rollback restores them, and the lock
// is released.
func TestServeAsOwner(t *testing.T) {
	e := setup(t)
	work, err := os.MkdirTemp("", "dagnfs-serve-") // t.TempDir's parent is not traversable for 50000
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(work) })
	require.NoError(t, os.Chmod(work, 0o755))
	export := filepath.Join(work, "export")
	require.NoError(t, os.Mkdir(export, 0o755))
	require.NoError(t, os.Chown(export, 50000, 50000))
	require.NoError(t, os.Chown(work, 50000, 50000))
	urlFile := filepath.Join(work, "url")
	srv := exec.Command("setpriv", "--reuid", "50000", "--regid", "50000", "--clear-groups",
		e.bin, "serve", "--export", export, "--url-file", urlFile)
	require.NoError(t, srv.Start())
	t.Cleanup(func() { _ = srv.Process.Kill(); _ = srv.Wait() })
	var url string
	waitFor(t, "dagnfs serve writes its URL", func() bool {
		b, err := os.ReadFile(urlFile)
		url = strings.TrimSpace(string(b))
		return err == nil && url != ""
	})

	src := t.TempDir()
	v1 := map[string]string{"a.py": dagFile("a", ""), "b.py": dagFile("b", "")}
	writeFiles(t, src, v1)
	code, r, errOut := e.publish(t, src, url, "--label", "v1")
	require.Equal(t, 0, code, errOut)
	writeFiles(t, src, map[string]string{"a.py": dagFile("a", "# v2\n")})
	code, out, errOut := e.run(t, "publish", "--format", "json", "--label", "v2", src, url)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, `"warnings": []`, "the replaced a.py was kept for rollback")
	_, err = os.Stat(filepath.Join(export, ".dagnfs/lock"))
	assert.True(t, os.IsNotExist(err), "the lock was released")
	objects, err := os.ReadDir(filepath.Join(export, ".dagnfs/objects"))
	require.NoError(t, err)
	assert.Len(t, objects, 1)

	t0 := time.Now()
	code, out, errOut = e.run(t, "rollback", "--format", "json", url)
	require.Equal(t, 0, code, "%s %s", out, errOut)
	assert.Equal(t, v1, onDisk(t, export), "generation 1 is back")
	assert.Less(t, time.Since(t0), 10*time.Second)
	_ = r
}
