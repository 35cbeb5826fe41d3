package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/dagnfs/dagnfs/nfs/nfstest"
)

func TestVerifyStatusHistoryRollback(t *testing.T) {
	dest := t.TempDir()
	require.NoError(t, os.Chmod(dest, 0o755))
	src := srcDir(t, map[string]string{"a.py": dag})
	code, _, errOut := runCLI(t, "publish", "--label", "v1", src, dest)
	require.Equal(t, exitOK, code, errOut)
	require.NoError(t, os.WriteFile(filepath.Join(src, "a.py"), []byte(dag+"# v2\n"), 0o644))
	code, _, errOut = runCLI(t, "publish", "--label", "v2", src, dest)
	require.Equal(t, exitOK, code, errOut)

	code, out, errOut := runCLI(t, "verify", "--format", "json", "--expect-label", "v2", dest)
	require.Equal(t, exitOK, code, errOut)
	var v struct {
		OK         bool `json:"ok"`
		Generation int  `json:"generation"`
		Files      int  `json:"files"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &v))
	assert.True(t, v.OK)
	assert.Equal(t, 2, v.Generation)

	code, out, _ = runCLI(t, "verify", "--expect-label", "v3", dest)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, out, "label-mismatch")

	code, _, errOut = runCLI(t, "verify", filepath.Join(dest, "missing"))
	assert.Equal(t, exitDest, code)
	assert.Contains(t, errOut, "cannot read")

	code, out, _ = runCLI(t, "status", dest)
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "generation  2 (v2)")
	assert.Contains(t, out, "lock        free")

	code, out, _ = runCLI(t, "history", dest)
	assert.Equal(t, exitOK, code)
	assert.Equal(t, 4, strings.Count(out, "\n"), out)
	assert.Contains(t, out, "restore one with: dagnfs rollback "+dest+" --to 1\n")

	code, out, errOut = runCLI(t, "rollback", "-v", "--to", "1", dest)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "Published generation 3")
	b, err := os.ReadFile(filepath.Join(dest, "a.py"))
	require.NoError(t, err)
	assert.Equal(t, dag, string(b))

	code, _, errOut = runCLI(t, "rollback", "--to", "9", dest)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, errOut, "not kept")
}

func TestK8sCommands(t *testing.T) {
	code, out, errOut := runCLI(t, "k8s", "agent-daemonset", "--image", "img", "--pvc", "dags", "--node-selector", "pool=airflow",
		"--tolerations", "dedicated=airflow:NoSchedule")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "kind: DaemonSet")
	assert.Contains(t, out, "claimName: dags")
	assert.Contains(t, out, "pool: airflow")
	assert.Contains(t, out, "key: dedicated")
	assert.NotContains(t, out, "status:")

	code, _, errOut = runCLI(t, "k8s", "verify-job", "--image", "img")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "--nfs-server")
	code, _, errOut = runCLI(t, "k8s", "deployment")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "verify-job")
	code, _, errOut = runCLI(t, "k8s", "verify-job", "--image", "img", "--pvc", "dags", "--name", "Dags_Verify")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, `--name "Dags_Verify" is not a valid name`)
	code, _, errOut = runCLI(t, "k8s", "agent-daemonset", "--image", "img", "--pvc", "dags", "--tolerations", "x:Always")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "NoSchedule, PreferNoSchedule or NoExecute")
	code, _, errOut = runCLI(t, "k8s", "verify-job", "--image", "img", "--pvc", "dags", "--repo", "r")
	assert.Equal(t, exitUsage, code, "a flag of another kind")
	assert.Contains(t, errOut, "unknown flag: --repo")

	code, out, errOut = runCLI(t, "k8s", "agent-networkpolicy", "--namespace", "airflow")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "kind: NetworkPolicy")
	assert.Contains(t, out, "port: 8080")

	code, out, _ = runCLI(t, "k8s", "publish-cronjob", "--image", "img", "--nfs-server", "nfs", "--nfs-path", "/d",
		"--repo", "git@git.example.internal:d.git", "--git-secret", "key", "--git-sync-image", "gs")
	require.Equal(t, exitOK, code)
	assert.Contains(t, out, "--ssh-key-file=/etc/git-secret/ssh")
	assert.Contains(t, out, "secretName: key")
}

// Each command's help lists only its own flags, with an example; each k8s
// kind has its own.
func TestHelpPerCommand(t *testing.T) {
	for _, c := range []struct {
		args     []string
		has, not []string
	}{
		{[]string{"k8s", "--help"}, []string{"agent-networkpolicy", "Example:"}, []string{"Flags:"}},
		{[]string{"k8s", "verify-job", "--help"}, []string{"--expect-label", "--node-selector", "Example:"}, []string{"--repo", "--schedule", "--interval"}},
		{[]string{"k8s", "agent-daemonset", "--help"}, []string{"--interval", "--tolerations", "Example:"}, []string{"--repo", "--expect-label"}},
		{[]string{"k8s", "publish-cronjob", "--help"}, []string{"--git-secret", "--schedule", "Example:"}, []string{"--expect-label", "--interval"}},
		{[]string{"k8s", "agent-networkpolicy", "--help"}, []string{"--prometheus-selector", "Example:"}, []string{"--image", "--nfs-server"}},
		{[]string{"rollback", "--help"}, []string{"--to", "--lock-timeout", "Example:"}, []string{"--delete", "--allow-empty", "--exclude", "--force", "--max-delete", "5  the destination is paused"}},
		{[]string{"publish", "--help"}, []string{"--delete", "--force", "Example:", "5  the destination is paused"}, []string{"--to "}},
	} {
		for _, cmd := range [][]string{c.args} {
			code, out, errOut := runCLI(t, cmd...)
			require.Equal(t, exitOK, code, errOut)
			for _, h := range c.has {
				assert.Contains(t, out, h, "%v", cmd)
			}
			for _, n := range c.not {
				assert.NotContains(t, out, n, "%v", cmd)
			}
		}
	}
	for _, cmd := range []string{"publish", "validate", "config", "verify", "agent", "status", "history", "rollback", "unlock", "pause", "resume", "serve", "env", "version"} {
		code, out, _ := runCLI(t, cmd, "--help")
		assert.Equal(t, exitOK, code, cmd)
		assert.Contains(t, out, "\nExample:\n  dagnfs "+cmd, cmd)
	}
}

func TestAgentUsage(t *testing.T) {
	code, _, errOut := runCLI(t, "agent", "--interval", "1ms", t.TempDir())
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "--interval")
	code, _, errOut = runCLI(t, "agent", "--listen", "256.0.0.1:1", t.TempDir())
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "--listen")
}

// status --check: 0 when all is well, 1 when a managed file drifted or a
// publish was interrupted, 0 again once a publish repaired it; a file
// placed by hand is listed but is no reason to fail. --no-repair exits 1.
func TestStatusCheckAndRepair(t *testing.T) {
	dest := t.TempDir()
	require.NoError(t, os.Chmod(dest, 0o755))
	src := srcDir(t, map[string]string{"a.py": dag})
	code, _, errOut := runCLI(t, "publish", "--layout", "generations", src, dest)
	require.Equal(t, exitOK, code, errOut)
	code, _, _ = runCLI(t, "status", "--check", dest)
	assert.Equal(t, exitOK, code)

	require.NoError(t, os.WriteFile(filepath.Join(dest, "current", "by_hand.txt"), []byte("x"), 0o644))
	code, out, _ := runCLI(t, "status", "--check", dest)
	assert.Equal(t, exitOK, code, out)

	require.NoError(t, os.Chmod(filepath.Join(dest, "current", "a.py"), 0o600))
	code, out, _ = runCLI(t, "status", "--check", dest)
	assert.Equal(t, exitFailed, code, out)
	code, out, errOut = runCLI(t, "publish", "-v", "--no-repair", src, dest)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, out, "drifted     a.py (someone else's change: mode 0600, 0644 published)")
	assert.Contains(t, errOut, "were not repaired")
	code, out, errOut = runCLI(t, "publish", "-v", src, dest)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "repaired    a.py")
	code, out, _ = runCLI(t, "status", "--check", dest)
	assert.Equal(t, exitOK, code, out)
	require.NoError(t, os.Remove(filepath.Join(dest, "current", "by_hand.txt")))
	_, out, _ = runCLI(t, "verify", dest)
	assert.Contains(t, out, "OK: 0 errors, 1 finding in all", "plurals right")

	require.NoError(t, os.WriteFile(filepath.Join(dest, ".dagnfs", "journal.json"), []byte(`{"run_id":"x","temps":[]}`), 0o644))
	code, out, _ = runCLI(t, "status", "--check", dest)
	assert.Equal(t, exitFailed, code, "an interrupted publish: %s", out)
}

// unlock shows the holder; it removes an expired lock, refuses a live one
// (exit 4) unless --force --yes, and says when there is none.
func TestUnlock(t *testing.T) {
	dest := t.TempDir()
	require.NoError(t, os.Chmod(dest, 0o755))
	src := srcDir(t, map[string]string{"a.py": dag})
	code, _, errOut := runCLI(t, "publish", src, dest)
	require.Equal(t, exitOK, code, errOut)
	lockFile := filepath.Join(dest, ".dagnfs", "lock")
	plant := func(expires time.Time) {
		b, err := json.Marshal(map[string]any{"holder": "ci@elsewhere pid 7", "host": "elsewhere", "pid": 7, "run_id": "x",
			"acquired": time.Now().Add(-time.Minute), "expires": expires})
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(lockFile, b, 0o644))
	}

	code, out, _ := runCLI(t, "unlock", dest)
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "is not locked")

	plant(time.Now().Add(time.Hour))
	code, out, errOut = runCLI(t, "unlock", dest)
	assert.Equal(t, exitLocked, code, out)
	assert.Contains(t, out, "locked by ci@elsewhere pid 7")
	assert.Contains(t, errOut, "dagnfs unlock --force")
	assert.FileExists(t, lockFile, "a live lock stays")
	code, _, errOut = runCLI(t, "publish", src, dest)
	assert.Equal(t, exitLocked, code)
	assert.Contains(t, errOut, "dagnfs unlock "+dest)

	code, out, _ = runCLI(t, "unlock", "--force", "--yes", dest)
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "lock removed")
	assert.NoFileExists(t, lockFile)

	plant(time.Now().Add(-time.Minute))
	code, out, _ = runCLI(t, "unlock", dest)
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "expired")
	assert.NoFileExists(t, lockFile)
}

func TestPauseResumeCLI(t *testing.T) {
	dest := t.TempDir()
	require.NoError(t, os.Chmod(dest, 0o755))
	src := srcDir(t, map[string]string{"a.py": dag})
	t.Setenv("DAGNFS_VIA", "cronjob/airflow/dagnfs-publish")
	code, out, errOut := runCLI(t, "publish", "-v", src, dest)
	require.Equal(t, exitOK, code, errOut)
	assert.NotContains(t, out, "undo", "the first generation has nothing before it")
	require.NoError(t, os.WriteFile(filepath.Join(src, "a.py"), []byte(dag+"# v2\n"), 0o644))
	code, out, errOut = runCLI(t, "publish", "-v", src, dest)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "  undo        dagnfs rollback "+dest+" --to 1\n")

	code, _, errOut = runCLI(t, "pause", dest)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "--reason is required")
	code, out, errOut = runCLI(t, "pause", "--reason", "INC-9 bad deploy", dest)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "Paused "+dest)
	assert.Contains(t, out, "undo        dagnfs resume "+dest)

	// A rollback runs, says the destination stays paused, and offers no
	// pause command (it is paused already).
	code, out, errOut = runCLI(t, "rollback", "-v", dest)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "stays paused (INC-9 bad deploy)")
	assert.NotContains(t, out, "dagnfs pause")
	assert.Contains(t, out, "undo        dagnfs rollback "+dest+" --to 2")

	require.NoError(t, os.WriteFile(filepath.Join(src, "a.py"), []byte(dag+"# v3\n"), 0o644))
	code, _, errOut = runCLI(t, "publish", "-v", src, dest)
	assert.Equal(t, exitPaused, code)
	assert.Contains(t, errOut, "is paused")
	assert.Contains(t, errOut, "INC-9 bad deploy")
	code, out, _ = runCLI(t, "publish", "--format", "json", src, dest)
	assert.Equal(t, exitPaused, code)
	var pub struct {
		OK    bool `json:"ok"`
		Error struct {
			Kind string `json:"kind"`
		} `json:"error"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &pub))
	assert.Equal(t, "paused", pub.Error.Kind)

	code, out, _ = runCLI(t, "status", "--check", dest)
	assert.Equal(t, exitFailed, code, "a pause needs attention")
	assert.Contains(t, out, "paused      by ")
	assert.Contains(t, out, "INC-9 bad deploy; publishes are refused until dagnfs resume "+dest)
	code, out, _ = runCLI(t, "history", "--format", "json", dest)
	require.Equal(t, exitOK, code)
	var hist struct {
		Paused struct {
			Reason string `json:"reason"`
		} `json:"paused"`
		Generations []struct {
			Generation int    `json:"generation"`
			Via        string `json:"via"`
		} `json:"generations"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &hist))
	assert.Equal(t, "INC-9 bad deploy", hist.Paused.Reason)
	require.Len(t, hist.Generations, 3)
	assert.Equal(t, "cronjob/airflow/dagnfs-publish", hist.Generations[2].Via)
	code, out, _ = runCLI(t, "history", dest)
	require.Equal(t, exitOK, code)
	assert.True(t, strings.HasPrefix(out, "paused by "), out)
	assert.Contains(t, out, "restore one with: dagnfs rollback "+dest+" --to 2")

	code, out, errOut = runCLI(t, "resume", dest)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "Resumed "+dest)
	code, out, errOut = runCLI(t, "publish", "-v", src, dest)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "Published generation 4")

	// Not paused: a rollback of a CronJob's publish says how to keep it.
	code, out, errOut = runCLI(t, "rollback", "-v", dest)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "the last publish came from cronjob/airflow/dagnfs-publish")
	assert.Contains(t, out, "dagnfs pause "+dest+" --reason 'rolled back from generation 4'")
}

// Bundles of one published root are operated on one by one: --bundle on
// pause, resume, history, status and unlock names the bundle, and one
// bundle's pause leaves the other publishing.
func TestBundleCommands(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.Chmod(root, 0o755))
	a := srcDir(t, map[string]string{"a.py": dag})
	b := srcDir(t, map[string]string{"b.py": strings.ReplaceAll(dag, "'x'", "'y'")})
	for _, c := range [][]string{{"--bundle", "a", a}, {"--bundle", "b", b}} {
		code, _, errOut := runCLI(t, append([]string{"publish"}, append(c, root)...)...)
		require.Equal(t, exitOK, code, errOut)
	}
	code, _, errOut := runCLI(t, "pause", "--bundle", "a", "--reason", "freeze", root)
	require.Equal(t, exitOK, code, errOut)
	require.NoError(t, os.WriteFile(filepath.Join(a, "a2.py"), []byte(strings.ReplaceAll(dag, "'x'", "'z'")), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(b, "b2.py"), []byte(strings.ReplaceAll(dag, "'x'", "'w'")), 0o644))
	code, _, _ = runCLI(t, "publish", "--bundle", "a", a, root)
	assert.Equal(t, exitPaused, code, "bundle a is paused")
	code, _, errOut = runCLI(t, "publish", "--bundle", "b", b, root)
	assert.Equal(t, exitOK, code, "bundle b is not: %s", errOut)
	code, out, _ := runCLI(t, "status", "--check", "--bundle", "a", root)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, out, "paused")
	code, out, _ = runCLI(t, "history", "--bundle", "b", root)
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "dagnfs rollback "+root+" --bundle b --to 1")
	code, _, errOut = runCLI(t, "resume", "--bundle", "a", root)
	require.Equal(t, exitOK, code, errOut)
	code, _, errOut = runCLI(t, "publish", "--bundle", "a", a, root)
	assert.Equal(t, exitOK, code, errOut)
	code, out, _ = runCLI(t, "unlock", "--bundle", "a", root)
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "not locked")
}

// status --check runs Airflow's scan of the dags folder it is given: a
// generations export scanned from its root needs attention.
func TestStatusScansTheDagsFolder(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.Chmod(root, 0o755))
	src := srcDir(t, map[string]string{"a.py": dag, "common/util.py": "X = 1\n"})
	code, _, errOut := runCLI(t, "publish", "--layout", "generations", src, root)
	require.Equal(t, exitOK, code, errOut)
	code, out, _ := runCLI(t, "status", "--check", "--dags-folder", filepath.Join(root, "current"), root)
	assert.Equal(t, exitOK, code, out)
	code, out, _ = runCLI(t, "status", "--check", "--dags-folder", root, root)
	assert.Equal(t, exitFailed, code, out)
	assert.Contains(t, out, "[dags-folder-setting]")
	assert.Contains(t, out, "AIRFLOW__CORE__DAGS_FOLDER="+filepath.Join(root, "current"))
}

// verify and status --check through a server whose folder listing never
// ends: Airflow finds DAGs by listing, so that is no sound export but a
// server fault, exit 3, in one line that says what failed (issue 20; they
// said OK with a warning).
func TestEndlessListingIsAFault(t *testing.T) {
	_, s := nfstest.Server(t)
	src := srcDir(t, map[string]string{"a.py": dag})
	code, _, errOut := runCLI(t, "publish", "--python", "none", src, s.URL())
	require.Equal(t, exitOK, code, errOut)
	addr := nfstest.Proxy(t, s.Addr().String(), func(c nfstest.Call, reply []byte) []byte {
		if c.Prog == 100003 && c.Proc == 17 { // READDIRPLUS
			return nfstest.EndlessListing(reply)
		}
		return nfstest.Record(reply)
	})
	for _, args := range [][]string{{"verify", "--timeout", "2s"}, {"status", "--check", "--timeout", "2s"}} {
		code, out, errOut := runCLI(t, append(args, "nfs://"+addr+"/")...)
		assert.Equal(t, exitDest, code, "%v: %s %s", args, out, errOut)
		assert.Contains(t, errOut, "listing .", args)
		assert.Equal(t, 1, strings.Count(strings.TrimSpace(errOut), "\n")+1, "%v: one line: %s", args, errOut)
	}
}

// A terminal is a terminal, not any character device: cron and CI give
// /dev/null as stdin, and there nothing asks (unlock --force removes a live
// lock, as told) and a publish is recorded as unattended; on a terminal
// unlock --force asks first (issue 21).
func TestTerminalIsARealTerminal(t *testing.T) {
	null, err := os.Open(os.DevNull)
	require.NoError(t, err)
	defer null.Close()
	master, tty := openPTY(t)
	assert.False(t, isTerminal(null), "/dev/null is a character device, not a terminal")
	assert.True(t, isTerminal(tty))

	dest := t.TempDir()
	require.NoError(t, os.Chmod(dest, 0o755))
	src := srcDir(t, map[string]string{"a.py": dag})
	t.Setenv("DAGNFS_VIA", "")
	for _, v := range []string{"CI", "TF_BUILD", "JENKINS_URL", "BUILDKITE", "GITLAB_CI", "GITHUB_ACTIONS"} {
		t.Setenv(v, "")
	}
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"publish", src, dest}, null, &out, &errb)
	require.Equal(t, exitOK, code, errb.String())
	b, err := os.ReadFile(filepath.Join(dest, ".dagnfs", "manifest.json"))
	require.NoError(t, err)
	assert.Contains(t, string(b), `"via": "unattended"`)

	lockFile := filepath.Join(dest, ".dagnfs", "lock")
	plant := func() {
		b, err := json.Marshal(map[string]any{"holder": "ci@elsewhere pid 7", "host": "elsewhere", "pid": 7, "run_id": "x",
			"acquired": time.Now().Add(-time.Minute), "expires": time.Now().Add(time.Hour)})
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(lockFile, b, 0o644))
	}
	plant()
	out.Reset()
	errb.Reset()
	code = run(context.Background(), []string{"unlock", "--force", dest}, null, &out, &errb)
	assert.Equal(t, exitOK, code, errb.String())
	assert.NotContains(t, errb.String(), "Remove it?", "nothing asks off a terminal")
	assert.NoFileExists(t, lockFile)

	plant()
	_, err = master.Write([]byte("n\n"))
	require.NoError(t, err)
	errb.Reset()
	code = run(context.Background(), []string{"unlock", "--force", dest}, tty, &out, &errb)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, errb.String(), "Remove it? [y/N]")
	assert.FileExists(t, lockFile, "answered no on the terminal")
}

// openPTY opens a pseudo-terminal: the side a person types into, and the
// terminal a program reads.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	require.NoError(t, err)
	t.Cleanup(func() { master.Close() })
	require.NoError(t, unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0))
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	require.NoError(t, err)
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	require.NoError(t, err)
	t.Cleanup(func() { tty.Close() })
	return master, tty
}
