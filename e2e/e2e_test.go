//go:build e2e

package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dagnfs/dagnfs/internal/testfs"
	"github.com/dagnfs/dagnfs/layout"
	"github.com/dagnfs/dagnfs/nfs"
)

// env is what scripts/ganesha.sh set up.
type env struct {
	bin    string
	export string // the export's folder on the server's disk
}

func setup(t *testing.T) env {
	t.Helper()
	e := env{bin: os.Getenv("DAGNFS_BIN"), export: os.Getenv("DAGNFS_E2E_EXPORT")}
	if e.bin == "" || e.export == "" {
		t.Fatal("DAGNFS_BIN and DAGNFS_E2E_EXPORT are not set: run these tests with `make e2e`, which starts nfs-ganesha (as root)")
	}
	if os.Geteuid() != 0 {
		t.Fatal("the end-to-end tests read the server's disk and switch to uid 50000: run them as root (make e2e)")
	}
	return e
}

// folder makes a fresh folder in the export, owned by uid/gid 50000, and
// returns its path on disk and its nfs:// URL.
func (e env) folder(t *testing.T) (string, string) {
	t.Helper()
	// A fresh name each run: nfs-ganesha caches directory entries, and a
	// folder removed and made again behind its back would look stale.
	name := regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "-")
	dir := filepath.Join(e.export, fmt.Sprintf("%s-%d", name, time.Now().UnixNano()))
	require.NoError(t, os.Mkdir(dir, 0o755))
	require.NoError(t, os.Chown(dir, 50000, 50000))
	return dir, "nfs://127.0.0.1" + dir
}

type result struct {
	OK    bool `json:"ok"`
	Error *struct {
		Kind    string `json:"kind"`
		Message string `json:"message"`
	} `json:"error"`
	Generation int      `json:"generation"`
	Uploaded   []string `json:"uploaded"`
	Deleted    []string `json:"deleted"`
	Unchanged  int      `json:"unchanged"`
	Unmanaged  []string `json:"unmanaged"`
	SwitchMS   float64  `json:"switch_ms"`
	Calls      int64    `json:"nfs_calls"`
	Protocol   string   `json:"protocol"`
}

// protocol is the NFS version this run's dagnfs uses for URLs without
// ?vers=: NFSv4.1, which the test server speaks, unless scripts/e2e.sh's
// NFSv3 pass set DAGNFS_NFS_VERSION.
func protocol() string {
	if os.Getenv("DAGNFS_NFS_VERSION") == "3" {
		return "NFSv3"
	}
	return "NFSv4.1"
}

func (e env) run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runCmd(t, exec.Command(e.bin, args...))
}

// runCmd runs cmd and returns its exit code and output.
func runCmd(t *testing.T, cmd *exec.Cmd) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), out.String(), errb.String()
	}
	require.NoError(t, err)
	return 0, out.String(), errb.String()
}

func (e env) publish(t *testing.T, src, url string, extra ...string) (int, result, string) {
	t.Helper()
	args := append([]string{"publish", "--format", "json", src, url}, extra...)
	code, out, errOut := e.run(t, args...)
	var r result
	if out != "" {
		require.NoError(t, json.Unmarshal([]byte(out), &r), out)
	}
	return code, r, errOut
}

// onDisk lists the files under dir on the server's disk, without .dagnfs
// and without the root .airflowignore when it is dagnfs's own (the files the
// user published; TestAirflowScanOnGanesha checks that file).
func onDisk(t *testing.T, dir string) map[string]string {
	m := testfs.ReadTree(t, dir, ".dagnfs")
	if m[layout.IgnoreFile] == layout.IgnoreBlock {
		delete(m, layout.IgnoreFile)
	}
	return m
}

func writeFiles(t *testing.T, dir string, files map[string]string) { testfs.WriteTree(t, dir, files) }

func dagFile(id, extra string) string {
	return fmt.Sprintf("from airflow import DAG\nwith DAG(%q):\n    pass\n%s", id, extra)
}

// nfsCat reads a file through libnfs, an independent NFS client, as uid 50000.
func nfsCat(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command("nfs-cat", "nfs://127.0.0.1"+path+"?uid=50000&gid=50000").Output()
	require.NoError(t, err, "nfs-cat %s", path)
	return string(out)
}

// asAirflow runs a command as uid 50000 gid 0, the official image's identity.
func asAirflow(name string, args ...string) ([]byte, error) {
	a := append([]string{"--reuid", "50000", "--regid", "0", "--clear-groups", name}, args...)
	return exec.Command("setpriv", a...).CombinedOutput()
}

func TestPublishAndReadBack(t *testing.T) {
	e := setup(t)
	dir, url := e.folder(t)
	src := t.TempDir()
	zipBytes := mustZip(t)
	files := map[string]string{"a.py": dagFile("a", ""), "team/b.py": dagFile("b", ""), "team/sql/q.sql": "select 1\n",
		"packaged.zip": zipBytes}
	writeFiles(t, src, files)

	code, r, errOut := e.publish(t, src, url, "--label", "c1")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, 1, r.Generation)
	assert.Equal(t, []string{layout.IgnoreFile, "a.py", "packaged.zip", "team/b.py", "team/sql/q.sql"}, r.Uploaded, "the files and the root's .airflowignore")
	assert.Equal(t, files, onDisk(t, dir), "the server's disk holds exactly the source")

	for name, content := range files {
		fi, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err)
		st := fi.Sys().(*syscall.Stat_t)
		assert.Equal(t, uint32(50000), st.Uid, name)
		assert.Equal(t, uint32(50000), st.Gid, name)
		assert.Equal(t, os.FileMode(0o644), fi.Mode().Perm(), name)
		assert.Equal(t, content, nfsCat(t, dir+"/"+name), "read back through libnfs: %s", name)
		out, err := asAirflow("cat", filepath.Join(dir, name))
		require.NoError(t, err, "uid 50000 reads %s: %s", name, out)
	}
	fi, err := os.Stat(filepath.Join(dir, "team/sql"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o755), fi.Mode().Perm())

	// Airflow (uid 50000) cannot list the staging and objects folders.
	for _, hidden := range []string{".dagnfs/staging", ".dagnfs/objects"} {
		out, err := asAirflow("ls", filepath.Join(dir, hidden))
		assert.Error(t, err, "%s must not be listable: %s", hidden, out)
	}

	// Republish: nothing sent, a small fixed number of NFS calls.
	code, r, errOut = e.publish(t, src, url, "--label", "c1")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, protocol(), r.Protocol)
	assert.Empty(t, r.Uploaded)
	assert.Equal(t, 5, r.Unchanged)
	// (One of them looks for a share marker in the destination.)
	limit := int64(41)
	if protocol() == "NFSv4.1" {
		// The walk up for a share's marker runs in DEST's session, its
		// calls counted with DEST's: two for each folder above DEST.
		u, err := nfs.ParseURL(url)
		require.NoError(t, err)
		limit += 2 * int64(strings.Count(strings.Trim(u.Path, "/"), "/")+1)
	}
	assert.Less(t, r.Calls, limit, "a no-op republish costs a fixed number of calls")

	// Change, add, remove; a file placed by hand must survive --delete.
	writeFiles(t, src, map[string]string{"a.py": dagFile("a", "# v2\n"), "new.py": dagFile("n", "")})
	require.NoError(t, os.Remove(filepath.Join(src, "team/sql/q.sql")))
	writeFiles(t, dir, map[string]string{"by_hand.py": dagFile("h", "")})
	code, r, errOut = e.publish(t, src, url, "--delete", "--label", "c2")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, 2, r.Generation)
	assert.Equal(t, []string{"a.py", "new.py"}, r.Uploaded)
	assert.Equal(t, []string{"team/sql/q.sql"}, r.Deleted)
	assert.Equal(t, []string{"by_hand.py"}, r.Unmanaged)
	disk := onDisk(t, dir)
	assert.Equal(t, dagFile("a", "# v2\n"), disk["a.py"])
	assert.Equal(t, dagFile("h", ""), disk["by_hand.py"])
	assert.NotContains(t, disk, "team/sql/q.sql")
	assert.Equal(t, dagFile("a", "# v2\n"), nfsCat(t, dir+"/a.py"))

	// The replaced and deleted content is kept, named by its sha256.
	for _, old := range []string{dagFile("a", ""), "select 1\n"} {
		sum := sha256.Sum256([]byte(old))
		b, err := os.ReadFile(filepath.Join(dir, ".dagnfs/objects", hex.EncodeToString(sum[:])))
		require.NoError(t, err)
		assert.Equal(t, old, string(b))
	}
	var m struct {
		Generation int    `json:"generation"`
		Label      string `json:"label"`
		Files      []struct {
			Path string `json:"path"`
		} `json:"files"`
	}
	b, err := os.ReadFile(filepath.Join(dir, ".dagnfs/manifest.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &m))
	assert.Equal(t, 2, m.Generation)
	assert.Equal(t, "c2", m.Label)
	assert.Len(t, m.Files, 5, "four files and the root's .airflowignore")
	// Each generation's history entry is the manifest it was (one LINK,
	// not a second synced copy), and keeps its bytes once replaced.
	mfi, err := os.Stat(filepath.Join(dir, ".dagnfs/manifest.json"))
	require.NoError(t, err)
	hfi, err := os.Stat(filepath.Join(dir, layout.HistoryName(2)))
	require.NoError(t, err)
	assert.True(t, os.SameFile(mfi, hfi), "history entry 2 is a hard link to the manifest")
	b, err = os.ReadFile(filepath.Join(dir, layout.HistoryName(1)))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &m))
	assert.Equal(t, 1, m.Generation)
	assert.Equal(t, "c1", m.Label)
}

func TestRootOwnedExportIsRefused(t *testing.T) {
	e := setup(t)
	dir, url := e.folder(t)
	require.NoError(t, os.Chown(dir, 0, 0))
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a.py": dagFile("a", "")})
	code, _, errOut := e.run(t, "publish", src, url)
	assert.Equal(t, 3, code)
	assert.Contains(t, errOut, "uid 50000")
	assert.Contains(t, errOut, `chown 50000:50000 `+dir)
	assert.Equal(t, 1, strings.Count(errOut, "\n"), "one line: %s", errOut)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing was changed")

	// As root the publisher is squashed to the anonymous user: refused too.
	code, _, errOut = e.run(t, "publish", "--uid", "0", "--gid", "0", src, url)
	assert.Equal(t, 3, code, errOut)
}

func TestConcurrentPublishers(t *testing.T) {
	e := setup(t)
	dir, url := e.folder(t)
	big, small := t.TempDir(), t.TempDir()
	files := map[string]string{}
	for i := range 1500 {
		files[fmt.Sprintf("d%02d/f%04d.txt", i%20, i)] = strings.Repeat("x", 4096)
	}
	writeFiles(t, big, files)
	writeFiles(t, small, map[string]string{"other.py": dagFile("other", "")})

	first := exec.Command(e.bin, "publish", "--python", "none", "--concurrency", "2", big, url)
	var firstErr bytes.Buffer
	first.Stderr = &firstErr
	require.NoError(t, first.Start())
	lock := filepath.Join(dir, ".dagnfs/lock")
	waitFor(t, "the first publisher takes the lock", func() bool { _, err := os.Stat(lock); return err == nil })
	code, _, errOut := e.run(t, "publish", small, url)
	assert.Equal(t, 4, code, "the second publisher is refused: %s", errOut)
	assert.Contains(t, errOut, "locked by")
	assert.Contains(t, errOut, fmt.Sprintf("pid %d", first.Process.Pid))
	assert.Contains(t, errOut, "--lock-timeout waits")
	// A third one waits for the lock, saying who holds it, and goes
	// through once the first is done.
	third := exec.Command(e.bin, "publish", "--lock-timeout", "2m", small, url)
	var thirdOut, thirdErr bytes.Buffer
	third.Stdout, third.Stderr = &thirdOut, &thirdErr
	require.NoError(t, third.Start())
	require.NoError(t, first.Wait(), firstErr.String())
	require.NoError(t, third.Wait(), "the waiting publisher goes through: %s", thirdErr.String())
	assert.Contains(t, thirdErr.String(), "waiting for the lock")
	assert.Contains(t, thirdErr.String(), fmt.Sprintf("pid %d", first.Process.Pid))
	assert.Equal(t, 1, strings.Count(thirdErr.String(), "waiting for the lock"), "said once")
	assert.Contains(t, thirdOut.String(), "msg=published")
	assert.Contains(t, thirdOut.String(), "generation=2")

	disk := onDisk(t, dir)
	assert.Len(t, disk, 1501, "the first publish whole, and the waiting one's file (no --delete)")
	assert.Equal(t, dagFile("other", ""), disk["other.py"])
}

func TestKilledPublishLeavesWholeFiles(t *testing.T) {
	e := setup(t)
	dir, url := e.folder(t)
	src := t.TempDir()
	const n = 800
	content := func(gen, i int) string {
		return fmt.Sprintf("# generation %d file %d\n%s\n", gen, i, strings.Repeat(fmt.Sprint(gen), 4000+i))
	}
	write := func(gen int) {
		files := map[string]string{}
		for i := range n {
			files[fmt.Sprintf("f%03d.txt", i)] = content(gen, i)
		}
		writeFiles(t, src, files)
	}
	write(1)
	t0 := time.Now()
	code, _, errOut := e.run(t, "publish", "--python", "none", src, url)
	require.Equal(t, 0, code, errOut)
	full := time.Since(t0)

	// Kill at points spread over a whole publish: while staging, and near
	// the end, where the switch (the renames) happens.
	for round, frac := range []float64{0.05, 0.3, 0.6, 0.85, 0.93, 0.97} {
		delay := time.Duration(frac * float64(full))
		gen := round + 2
		write(gen)
		cmd := exec.Command(e.bin, "publish", "--python", "none", src, url)
		require.NoError(t, cmd.Start())
		time.Sleep(delay)
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()

		// Every file is whole: of an earlier generation or of this one.
		staged, _ := os.ReadDir(filepath.Join(dir, ".dagnfs/staging"))
		_, jerr := os.Stat(filepath.Join(dir, ".dagnfs/journal.json"))
		disk := onDisk(t, dir)
		require.Len(t, disk, n, "round %d: no file is missing and no temporary file is visible", round)
		switched := 0
		for i := range n {
			got := disk[fmt.Sprintf("f%03d.txt", i)]
			ok := false
			for g := 1; g <= gen; g++ {
				ok = ok || got == content(g, i)
			}
			require.True(t, ok, "round %d: f%03d.txt is not a whole file of any generation", round, i)
			if got == content(gen, i) {
				switched++
			}
		}
		t.Logf("round %d: killed after %v with %d temporary files staged (journal present: %v), %d of %d files already switched",
			round, delay, len(staged), jerr == nil, switched, n)

		// The next publish completes cleanly and removes the leftovers.
		code, out, errOut := e.run(t, "publish", "--python", "none", "--format", "json", src, url)
		require.Equal(t, 0, code, "round %d: %s %s", round, out, errOut)
		disk = onDisk(t, dir)
		for i := range n {
			require.Equal(t, content(gen, i), disk[fmt.Sprintf("f%03d.txt", i)])
		}
		left, err := os.ReadDir(filepath.Join(dir, ".dagnfs/staging"))
		require.NoError(t, err)
		assert.Empty(t, names(left), "round %d: temporary files are cleaned up", round)
		_, err = os.Stat(filepath.Join(dir, ".dagnfs/journal.json"))
		assert.True(t, os.IsNotExist(err))
		_, err = os.Stat(filepath.Join(dir, ".dagnfs/lock"))
		assert.True(t, os.IsNotExist(err))
	}
}

// waitFor polls cond until it holds, failing the test after 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		require.True(t, time.Now().Before(deadline), "timed out waiting until %s", what)
		time.Sleep(5 * time.Millisecond)
	}
}

// staged counts the temporary files in an export folder's staging area.
func staged(dir string) int {
	entries, _ := os.ReadDir(filepath.Join(dir, ".dagnfs/staging"))
	return len(entries)
}

func names(entries []os.DirEntry) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

func TestServerRestartDuringPublish(t *testing.T) {
	e := setup(t)
	state := os.Getenv("DAGNFS_E2E_STATE")
	require.NotEmpty(t, state, "DAGNFS_E2E_STATE is not set: run with make e2e")
	dir, url := e.folder(t)
	src := t.TempDir()
	files := map[string]string{}
	for i := range 1200 {
		files[fmt.Sprintf("f%04d.txt", i)] = fmt.Sprintf("%d %s", i, strings.Repeat("r", 6000))
	}
	writeFiles(t, src, files)

	cmd := exec.Command(e.bin, "publish", "--python", "none", "--format", "json", "--timeout", "3s", src, url)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	require.NoError(t, cmd.Start())
	waitFor(t, "the publish stages files", func() bool { return staged(dir) > 50 })
	script := filepath.Join("..", "scripts", "ganesha.sh")
	t0 := time.Now()
	restart, err := exec.Command("bash", "-c", script+" stop "+state+" && "+script+" start "+state).CombinedOutput()
	require.NoError(t, err, string(restart))
	t.Logf("nfs-ganesha was down for %v", time.Since(t0).Round(time.Millisecond))

	require.NoError(t, cmd.Wait(), "the publish rides out the restart: %s %s", out.String(), errb.String())
	assert.Equal(t, files, onDisk(t, dir))
	var r result
	require.NoError(t, json.Unmarshal(out.Bytes(), &r))
	assert.Len(t, r.Uploaded, 1201, "the files and the root's .airflowignore")
}

func TestSIGTERMStopsCleanly(t *testing.T) {
	e := setup(t)
	dir, url := e.folder(t)
	src := t.TempDir()
	files := map[string]string{}
	for i := range 1500 {
		files[fmt.Sprintf("f%04d.txt", i)] = strings.Repeat("s", 8000)
	}
	writeFiles(t, src, files)
	cmd := exec.Command(e.bin, "publish", "--python", "none", "--concurrency", "1", src, url)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	require.NoError(t, cmd.Start())
	waitFor(t, "the publish stages files", func() bool { return staged(dir) > 20 })
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	err := cmd.Wait()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 130, ee.ExitCode(), errb.String())
	assert.Contains(t, errb.String(), "interrupted")
	left, err := os.ReadDir(filepath.Join(dir, ".dagnfs/staging"))
	require.NoError(t, err)
	assert.Empty(t, names(left), "its temporary files are removed on the way out")
	_, err = os.Stat(filepath.Join(dir, ".dagnfs/lock"))
	assert.True(t, os.IsNotExist(err), "its lock is released")
	assert.Empty(t, onDisk(t, dir), "nothing of the interrupted generation is visible")
}

// A new team's folder below an existing one is made by its first publish on
// nfs-ganesha, as uid 50000 with --dir-mode, so Airflow reads it; a deeper
// missing path is named whole (issue 21).
func TestPublishMakesTheTeamFolder(t *testing.T) {
	e := setup(t)
	dir, url := e.folder(t)
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a.py": dagFile("team_a", "")})
	code, _, errOut := e.publish(t, src, url+"/team-a")
	require.Equal(t, 0, code, errOut)
	fi, err := os.Stat(filepath.Join(dir, "team-a"))
	require.NoError(t, err)
	st := fi.Sys().(*syscall.Stat_t)
	assert.Equal(t, [2]uint32{50000, 50000}, [2]uint32{st.Uid, st.Gid}, "made as the publishing uid")
	assert.Equal(t, os.FileMode(0o755), fi.Mode().Perm())
	assert.FileExists(t, filepath.Join(dir, "team-a", "a.py"))

	code, _, errOut = e.publish(t, src, url+"/x/team-b")
	assert.Equal(t, 3, code)
	assert.Contains(t, errOut, url+"/x/team-b does not exist, nor does "+url+"/x, the folder")
}
