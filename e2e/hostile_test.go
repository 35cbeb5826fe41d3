//go:build e2e

package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ganesha runs scripts/ganesha.sh with a command (stop, start).
func ganesha(t *testing.T, cmd string) {
	t.Helper()
	state := os.Getenv("DAGNFS_E2E_STATE")
	require.NotEmpty(t, state, "DAGNFS_E2E_STATE is not set: run with make e2e")
	out, err := exec.Command(filepath.Join("..", "scripts", "ganesha.sh"), cmd, state).CombinedOutput()
	require.NoError(t, err, string(out))
}

// signalGanesha sends a signal (KILL, STOP, CONT) to the running nfs-ganesha.
func signalGanesha(t *testing.T, sig string) {
	t.Helper()
	out, err := exec.Command("bash", "-c", "kill -"+sig+" $(cat \"$DAGNFS_E2E_STATE/run/ganesha.main\")").CombinedOutput()
	require.NoError(t, err, string(out))
}

// exited waits for cmd and returns its exit code and how long it took
// since t0.
func exited(t *testing.T, cmd *exec.Cmd, t0 time.Time) (int, time.Duration) {
	t.Helper()
	err := cmd.Wait()
	took := time.Since(t0)
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	return ee.ExitCode(), took
}

func manyFiles(n, size int) map[string]string {
	files := map[string]string{}
	for i := range n {
		files[fmt.Sprintf("f%04d.txt", i)] = fmt.Sprintf("%d %s", i, strings.Repeat("k", size))
	}
	return files
}

// A server that dies mid-publish and does not come back: the publish ends
// by itself within --deadline (exit 3, one line), and after the server is
// back the next publish completes and leaves nothing of the dead run.
func TestServerKilledMidPublish(t *testing.T) {
	e := setup(t)
	dir, url := e.folder(t)
	src := t.TempDir()
	files := manyFiles(1500, 6000)
	writeFiles(t, src, files)

	cmd := exec.Command(e.bin, "publish", "--python", "none", "--format", "json", "--timeout", "2s", "--deadline", "20s", src, url)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	require.NoError(t, cmd.Start())
	waitFor(t, "the publish stages files", func() bool { return staged(dir) > 50 })
	t0 := time.Now()
	signalGanesha(t, "KILL")
	t.Cleanup(func() { ganesha(t, "start") }) // for the tests after this one, whatever happens

	code, took := exited(t, cmd, t0)
	t.Logf("the publish ended %v after nfs-ganesha was killed: %s", took.Round(time.Millisecond), strings.TrimSpace(errb.String()))
	assert.Equal(t, 3, code)
	assert.Less(t, took, 30*time.Second, "within the deadline (20 s) and the cleanup budget")
	assert.Equal(t, 1, strings.Count(errb.String(), "dagnfs: "), "one error line: %s", errb.String())
	assert.NotContains(t, errb.String(), "goroutine")
	var r result
	require.NoError(t, json.Unmarshal(out.Bytes(), &r), "one JSON document on failure too: %s", out.String())
	assert.False(t, r.OK)
	require.NotNil(t, r.Error)
	assert.Contains(t, []string{"destination", "deadline"}, r.Error.Kind)
	assert.Empty(t, onDisk(t, dir), "nothing of the dead run is visible")

	ganesha(t, "start")
	code, r, errOut := e.publish(t, src, url, "--python", "none")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, files, onDisk(t, dir))
	left, err := os.ReadDir(filepath.Join(dir, ".dagnfs/staging"))
	require.NoError(t, err)
	assert.Empty(t, names(left), "the journal led the next publish to every leftover")
}

// SIGTERM while the server does not answer: the publish still ends within
// seconds (exit 130), its cleanup bounded.
func TestSIGTERMWithADeadServer(t *testing.T) {
	e := setup(t)
	dir, url := e.folder(t)
	src := t.TempDir()
	writeFiles(t, src, manyFiles(1500, 6000))
	cmd := exec.Command(e.bin, "publish", "--python", "none", "--timeout", "30s", src, url)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	require.NoError(t, cmd.Start())
	waitFor(t, "the publish stages files", func() bool { return staged(dir) > 50 })
	// Stopped, not killed: the connections stay open and nothing answers.
	signalGanesha(t, "STOP")
	t.Cleanup(func() { signalGanesha(t, "CONT") })
	time.Sleep(500 * time.Millisecond)
	t0 := time.Now()
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	code, took := exited(t, cmd, t0)
	t.Logf("exited %v after SIGTERM: %s", took.Round(time.Millisecond), strings.TrimSpace(errb.String()))
	assert.Equal(t, 130, code)
	assert.Less(t, took, 10*time.Second, "SIGTERM ends a run within seconds, server or not")
	signalGanesha(t, "CONT")
	assert.Empty(t, onDisk(t, dir))
}

// A publisher that is not root (uid 50000, as an admin's CronJob with the
// volume mounted runs) publishes into a folder it owns, republishes, and
// Airflow can still not list its staging folder. A folder first published by
// root with --uid 50000 is then handed over: 50000 publishes there too.
func TestNonRootPublisher(t *testing.T) {
	e := setup(t)
	dir, _ := e.folder(t)
	src := t.TempDir()
	require.NoError(t, os.Chmod(filepath.Dir(src), 0o755)) // t.TempDir's parent is 0700
	require.NoError(t, os.Chmod(src, 0o755))
	writeFiles(t, src, map[string]string{"a.py": dagFile("a", ""), "team/b.py": dagFile("b", "")})
	for _, p := range []string{src, filepath.Join(src, "team"), filepath.Join(src, "a.py"), filepath.Join(src, "team/b.py")} {
		require.NoError(t, os.Chmod(p, map[bool]os.FileMode{true: 0o755, false: 0o644}[!strings.HasSuffix(p, ".py")]))
	}
	asOwner := func(args ...string) (int, string, string) {
		a := append([]string{"--reuid", "50000", "--regid", "50000", "--clear-groups", e.bin}, args...)
		return runCmd(t, exec.Command("setpriv", a...))
	}

	code, out, errOut := asOwner("publish", "--python", "none", "--label", "n1", src, dir)
	require.Equal(t, 0, code, "%s %s", out, errOut)
	assert.Equal(t, map[string]string{"a.py": dagFile("a", ""), "team/b.py": dagFile("b", "")}, onDisk(t, dir))
	fi, err := os.Stat(filepath.Join(dir, ".dagnfs/staging"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o300), fi.Mode().Perm())
	assert.Equal(t, uint32(50000), fi.Sys().(*syscall.Stat_t).Uid)

	writeFiles(t, src, map[string]string{"a.py": dagFile("a", "# v2\n")})
	require.NoError(t, os.Chmod(filepath.Join(src, "a.py"), 0o644))
	code, out, errOut = asOwner("publish", "--python", "none", "--delete", src, dir)
	require.Equal(t, 0, code, "%s %s", out, errOut)
	assert.Equal(t, dagFile("a", "# v2\n"), onDisk(t, dir)["a.py"])
	code, out, errOut = asOwner("verify", "--quick", dir)
	assert.Equal(t, 0, code, "%s %s", out, errOut)

	// Root publishes first (with --uid 50000), then 50000 takes over.
	dir2, _ := e.folder(t)
	code, out, errOut = e.run(t, "publish", "--python", "none", "--uid", "50000", "--gid", "50000", src, dir2)
	require.Equal(t, 0, code, "%s %s", out, errOut)
	for _, meta := range []string{".dagnfs", ".dagnfs/staging", ".dagnfs/objects", ".dagnfs/history"} {
		fi, err := os.Stat(filepath.Join(dir2, meta))
		require.NoError(t, err)
		assert.Equal(t, uint32(50000), fi.Sys().(*syscall.Stat_t).Uid, "%s is handed to --uid", meta)
	}
	writeFiles(t, src, map[string]string{"c.py": dagFile("c", "")})
	require.NoError(t, os.Chmod(filepath.Join(src, "c.py"), 0o644))
	code, out, errOut = asOwner("publish", "--python", "none", src, dir2)
	require.Equal(t, 0, code, "%s %s", out, errOut)
	assert.Contains(t, onDisk(t, dir2), "c.py")

	// A .dagnfs that root made without --uid: the message says whose it is
	// and what to run.
	dir3, _ := e.folder(t)
	require.NoError(t, os.Mkdir(filepath.Join(dir3, ".dagnfs"), 0o755))
	code, _, errOut = asOwner("publish", "--python", "none", src, dir3)
	assert.Equal(t, 3, code)
	assert.Contains(t, errOut, ".dagnfs")
	assert.Contains(t, errOut, "chown -R 50000:50000 "+filepath.Join(dir3, ".dagnfs"))
	assert.Contains(t, errOut, "of 0:0 mode 0755", "whose it is")
}

// maxRSS runs a dagnfs command and returns its exit code and peak resident
// memory.
func maxRSS(t *testing.T, e env, args ...string) (int, int64, string) {
	t.Helper()
	cmd := exec.Command(e.bin, args...)
	var errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return code, cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10, errb.String()
}

// Memory does not grow with a file's size: a 400 MB file is published
// (over NFS), verified (over NFS and through the folder) and replaced, each
// under 150 MB of resident memory.
func TestLargeFileMemory(t *testing.T) {
	e := setup(t)
	dir, url := e.folder(t)
	src := t.TempDir()
	f, err := os.Create(filepath.Join(src, "big.bin"))
	require.NoError(t, err)
	_, err = io.CopyN(f, rand.Reader, 400<<20)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	writeFiles(t, src, map[string]string{"a.py": dagFile("a", "")})
	const limit = 150 << 20
	for _, step := range []struct {
		name string
		args []string
	}{
		{"publish over NFS", []string{"publish", "--python", "none", src, url}},
		{"verify over NFS", []string{"verify", url}},
		{"verify through the folder", []string{"verify", dir}},
	} {
		code, rss, errOut := maxRSS(t, e, step.args...)
		require.Equal(t, 0, code, "%s: %s", step.name, errOut)
		t.Logf("%s of a 400 MB file: max RSS %d MiB", step.name, rss>>20)
		assert.Less(t, rss, int64(limit), step.name)
	}
	// Replace it: the old content is kept (a hard link on ganesha), the
	// delete check streams.
	f, err = os.OpenFile(filepath.Join(src, "big.bin"), os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteAt([]byte("changed"), 0)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	code, rss, errOut := maxRSS(t, e, "publish", "--python", "none", "--delete", src, url)
	require.Equal(t, 0, code, errOut)
	t.Logf("republish of a changed 400 MB file: max RSS %d MiB", rss>>20)
	assert.Less(t, rss, int64(limit))
}

// A server that stops answering (SIGSTOP) during the upload of a republish
// of 500 changed files, or once they are all staged (the keep-for-rollback
// step): with the default --timeout (30 s) the publish ends within that
// timeout plus seconds, not a timeout per file or per try (it hung more
// than ten minutes, then 7 tries of 30 s), exit 3, with at most ten lines
// on each stream and no per-file flood; once the server answers again the
// next publish completes (issue 20).
func TestServerSilentDuringKeep(t *testing.T) {
	e := setup(t)
	for _, phase := range []struct {
		name   string
		staged int
	}{{"uploading", 100}, {"keeping", 500}} {
		t.Run(phase.name, func(t *testing.T) {
			dir, url := e.folder(t)
			src := t.TempDir()
			files := manyFiles(500, 2000)
			writeFiles(t, src, files)
			code, _, errOut := e.publish(t, src, url, "--python", "none")
			require.Equal(t, 0, code, errOut)
			for k := range files {
				files[k] += " v2"
			}
			writeFiles(t, src, files)

			cmd := exec.Command(e.bin, "publish", "--python", "none", src, url)
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			require.NoError(t, cmd.Start())
			waitFor(t, "the publish stages the files", func() bool { return staged(dir) >= phase.staged })
			t0 := time.Now()
			signalGanesha(t, "STOP")
			resumed := false
			resume := func() {
				if !resumed {
					signalGanesha(t, "CONT")
					resumed = true
				}
			}
			t.Cleanup(resume)
			// bounded here too: the hang this guards against lasted ten minutes
			guard := time.AfterFunc(120*time.Second, func() { _ = cmd.Process.Kill() })
			code, took := exited(t, cmd, t0)
			guard.Stop()
			resume()
			t.Logf("%s: the publish ended %v after nfs-ganesha stopped answering; stdout: %s\nstderr: %s", phase.name, took.Round(time.Millisecond), strings.TrimSpace(out.String()), strings.TrimSpace(errb.String()))
			assert.Equal(t, 3, code)
			assert.Less(t, took, 30*time.Second+10*time.Second, "--timeout (30 s), the cleanup budget and seconds: not a timeout per file or per try")
			assert.LessOrEqual(t, strings.Count(out.String(), "\n"), 10, "stdout: %s", out.String())
			assert.LessOrEqual(t, strings.Count(errb.String(), "\n"), 10, "stderr: %s", errb.String())
			assert.NotContains(t, errb.String()+out.String(), "could not keep f0", "no per-file flood")
			assert.Regexp(t, `(?m)^dagnfs: .*nfs server [^ ]+: no answer within 30s .*--timeout.*the next one removes`, errb.String(), "one line names the server, the timeout and what is left")

			code, _, errOut = e.publish(t, src, url, "--python", "none")
			require.Equal(t, 0, code, errOut)
			assert.Equal(t, files, onDisk(t, dir))
		})
	}
}
