package verify

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dagnfs/dagnfs/internal/testfs"
	"github.com/dagnfs/dagnfs/layout"
	"github.com/dagnfs/dagnfs/nfs"
	"github.com/dagnfs/dagnfs/perms"
	"github.com/dagnfs/dagnfs/publish"
	"github.com/dagnfs/dagnfs/validate"
)

func writeTree(t *testing.T, dir string, files map[string]string) { testfs.WriteTree(t, dir, files) }

const dagA = "from airflow import DAG\nDAG('a', schedule=None)\n"

// localExport is a fresh folder destination that every uid may read.
func localExport(t *testing.T) (string, nfs.Dest) {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o755))
	d, err := nfs.OpenLocal(dir)
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })
	return dir, d
}

// published makes a folder holding a published generation.
func published(t *testing.T, label string) (string, nfs.Dest, string) {
	t.Helper()
	dir, d := localExport(t)
	src := t.TempDir()
	writeTree(t, src, map[string]string{"a.py": dagA, "team/b.sql": "select 1"})
	_, err := publish.Publish(context.Background(), publish.Options{Source: publish.Source{Dir: src, Validate: validate.Options{Python: "none"}},
		Dest: d, Owner: publish.Owner{UID: 50000, GID: 50000}, Label: label})
	require.NoError(t, err)
	return dir, d, src
}

func opts() Options {
	return Options{As: perms.Identity{UID: 50000, GIDs: []uint32{50000}}, Poll: 20 * time.Millisecond}
}

func rules(r *Result) map[string][]string {
	out := map[string][]string{}
	for _, f := range r.Findings {
		out[f.Rule] = append(out[f.Rule], f.File)
	}
	return out
}

func TestVerifyGood(t *testing.T) {
	dir, d, _ := published(t, "c1")
	o := opts()
	o.LocalPath = dir
	r, err := Verify(context.Background(), d, o)
	require.NoError(t, err)
	assert.True(t, r.OK, "%v", r.Findings)
	assert.Equal(t, 1, r.Generation)
	assert.Equal(t, "c1", r.Label)
	assert.Equal(t, 3, r.Files, "two files and the root's .airflowignore")
	assert.Equal(t, int64(len(dagA)+len("select 1")+len(layout.IgnoreBlock)), r.Bytes)
	require.NotNil(t, r.Mount)
	assert.Equal(t, []string{""}, rules(r)[RuleNotAMount], "a temporary folder is not a mount: said, not failed")
	o.ExpectFSType = "nfs"
	r, err = Verify(context.Background(), d, o)
	require.NoError(t, err)
	assert.False(t, r.OK)
	assert.Contains(t, rules(r), RuleFSType)
}

func TestVerifyFindsDrift(t *testing.T) {
	dir, d, _ := published(t, "c1")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.py"), []byte(dagA[:10]), 0o644))        // truncated
	require.NoError(t, os.WriteFile(filepath.Join(dir, "team/b.sql"), []byte("select 2"), 0o644)) // same size, other bytes
	writeTree(t, dir, map[string]string{"extra.py": "x = 1\n", "notes.txt": "hi"})                // not published
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".dagnfs/journal.json"), []byte(`{"temps":[]}`), 0o644))
	r, err := Verify(context.Background(), d, opts())
	require.NoError(t, err)
	assert.False(t, r.OK)
	got := rules(r)
	assert.Equal(t, []string{"a.py"}, got[RuleSize])
	assert.Equal(t, []string{"team/b.sql"}, got[RuleContent])
	assert.ElementsMatch(t, []string{"extra.py", "notes.txt"}, got[RuleUnmanaged])
	assert.Equal(t, 2, r.Unmanaged)
	assert.Contains(t, got, RuleLeftoverTemp)

	// --quick sees the size, not same-size edits with the mtime kept.
	require.NoError(t, os.Remove(filepath.Join(dir, "a.py")))
	o := opts()
	o.Quick = true
	r, err = Verify(context.Background(), d, o)
	require.NoError(t, err)
	got = rules(r)
	assert.Equal(t, []string{"a.py"}, got[RuleMissing])
	assert.Equal(t, []string{"team/b.sql"}, got[RuleMTime], "the edit changed the mtime")
}

func TestVerifyPermissions(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test needs root (a root-owned 0600 file); run it as root as CI does")
	}
	dir, d, _ := published(t, "c1")
	require.NoError(t, os.Chown(filepath.Join(dir, "a.py"), 0, 0))
	require.NoError(t, os.Chmod(filepath.Join(dir, "a.py"), 0o600))
	require.NoError(t, os.Chmod(filepath.Join(dir, "team"), 0o700))
	require.NoError(t, os.Chown(filepath.Join(dir, "team"), 0, 0))
	r, err := Verify(context.Background(), d, opts())
	require.NoError(t, err)
	got := rules(r)
	assert.Equal(t, []string{"a.py"}, got[RuleNotReadableAirflow], "root reads it, uid 50000 would not")
	assert.Contains(t, got[RuleNotTraversable], "team")
	assert.Equal(t, 1, r.Unreadable)
}

func TestVerifyManifestProblems(t *testing.T) {
	dir := t.TempDir()
	d, err := nfs.OpenLocal(dir)
	require.NoError(t, err)
	defer d.Close()
	r, err := Verify(context.Background(), d, opts())
	require.NoError(t, err)
	assert.Equal(t, []string{layout.ManifestPath}, rules(r)[RuleManifestMissing])

	writeTree(t, dir, map[string]string{layout.ManifestPath: "garbage {"})
	r, err = Verify(context.Background(), d, opts())
	require.NoError(t, err)
	assert.False(t, r.OK)
	assert.Equal(t, []string{layout.ManifestPath}, rules(r)[RuleManifestCorrupt])

	_, err = Verify(context.Background(), &gone{d}, opts())
	var ue *UnreadableError
	require.ErrorAs(t, err, &ue)
}

type gone struct{ nfs.Dest }

func (gone) Stat(context.Context, string) (nfs.FileInfo, error) {
	return nfs.FileInfo{}, &os.PathError{Op: "stat", Path: ".", Err: os.ErrPermission}
}

func TestWaitForLabel(t *testing.T) {
	dir, d, src := published(t, "c1")
	o := opts()
	o.ExpectLabel, o.Wait = "c2", 3*time.Second
	published := make(chan struct{})
	t.Cleanup(func() { <-published }) // the publish ends before the destination closes
	go func() {
		defer close(published)
		time.Sleep(300 * time.Millisecond)
		writeTree(t, src, map[string]string{"a.py": dagA + "# c2\n"})
		_, err := publish.Publish(context.Background(), publish.Options{Source: publish.Source{Dir: src, Validate: validate.Options{Python: "none"}},
			Dest: d, Owner: publish.Owner{UID: -1, GID: -1}, Label: "c2"})
		assert.NoError(t, err)
	}()
	r, err := Verify(context.Background(), d, o)
	require.NoError(t, err)
	assert.True(t, r.OK, "%v", r.Findings)
	assert.Equal(t, 2, r.Generation)
	assert.GreaterOrEqual(t, r.WaitedMS, int64(250))
	_ = dir

	o.ExpectLabel, o.Wait = "c3", 200*time.Millisecond
	r, err = Verify(context.Background(), d, o)
	require.NoError(t, err)
	assert.False(t, r.OK)
	assert.Contains(t, rules(r), RuleWaitTimeout)
}

func TestFindMount(t *testing.T) {
	info := filepath.Join(t.TempDir(), "mountinfo")
	require.NoError(t, os.WriteFile(info, []byte(
		"22 1 0:21 / / rw,relatime - ext4 /dev/vda rw\n"+
			"40 22 0:45 / /usr/local/airflow/dags ro,relatime shared:1 - nfs4 nfs.example.internal:/srv/airflow/dags ro,vers=4.1\n"+
			"41 22 0:46 / /mnt/with\\040space rw - tmpfs tmpfs rw\n"), 0o644))
	m, err := FindMount("/usr/local/airflow/dags", info)
	require.NoError(t, err)
	assert.Equal(t, &Mount{Path: "/usr/local/airflow/dags", FSType: "nfs4", Source: "nfs.example.internal:/srv/airflow/dags", IsMount: true, Options: "ro,relatime"}, m)
	m, err = FindMount("/usr/local/airflow/dags/team", info)
	require.NoError(t, err)
	assert.False(t, m.IsMount)
	m, err = FindMount("/mnt/with space/x", info)
	require.NoError(t, err)
	assert.Equal(t, "/mnt/with space", m.Path)
}

// faulty fails reads of chosen files with chosen errors.
type faulty struct {
	nfs.Dest
	faults map[string]error
}

func (f faulty) ReadFile(ctx context.Context, name string, max int64) ([]byte, error) {
	if err, ok := f.faults[name]; ok {
		return nil, &os.PathError{Op: "read", Path: name, Err: err}
	}
	return f.Dest.ReadFile(ctx, name, max)
}

func (f faulty) Open(ctx context.Context, name string) (nfs.File, error) {
	if err, ok := f.faults[name]; ok {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	return f.Dest.Open(ctx, name)
}

func (f faulty) ReadDir(ctx context.Context, name string) ([]nfs.FileInfo, error) {
	if err, ok := f.faults["readdir:"+name]; ok {
		return nil, &os.PathError{Op: "readdir", Path: name, Err: err}
	}
	return f.Dest.ReadDir(ctx, name)
}

func (f faulty) Stat(ctx context.Context, name string) (nfs.FileInfo, error) {
	if err, ok := f.faults["stat:"+name]; ok {
		return nfs.FileInfo{}, &os.PathError{Op: "stat", Path: name, Err: err}
	}
	return f.Dest.Stat(ctx, name)
}

func TestFaultsAreFindings(t *testing.T) {
	_, d, _ := published(t, "c1")
	fd := faulty{d, map[string]error{
		"a.py":            syscall.ESTALE,
		"readdir:team":    &nfs.TransportError{Addr: "127.0.0.1:2049", Err: os.ErrDeadlineExceeded},
		"stat:team/b.sql": &nfs.TransportError{Addr: "127.0.0.1:2049", Err: os.ErrDeadlineExceeded},
	}}
	r, err := Verify(context.Background(), fd, opts())
	var ue *UnreadableError
	require.ErrorAs(t, err, &ue, "a folder the server does not list is no sound export: Airflow finds DAGs by listing (issue 20)")
	assert.Contains(t, err.Error(), "listing team")
	got := rules(r)
	assert.Equal(t, []string{"a.py"}, got[RuleStale])
	assert.Equal(t, []string{"team/b.sql", "team"}, got[RuleTimeout], "the file, and its folder that could not be listed")
	fd.faults = map[string]error{"team/b.sql": &nfs.TransportError{Addr: "127.0.0.1:2049", Err: os.ErrDeadlineExceeded}}
	r, err = Verify(context.Background(), fd, opts())
	require.NoError(t, err, "a file the server does not answer for is a finding")
	assert.Equal(t, []string{"team/b.sql"}, rules(r)[RuleTimeout])
	for _, f := range r.Findings {
		if f.Rule == RuleStale {
			assert.Contains(t, f.Message, "restart the pod, or remount")
		}
	}
	fd.faults = map[string]error{"a.py": syscall.EIO, "team/b.sql": syscall.EACCES}
	r, err = Verify(context.Background(), fd, opts())
	require.NoError(t, err)
	got = rules(r)
	assert.Equal(t, []string{"a.py"}, got[RuleIO])
	assert.Equal(t, []string{"team/b.sql"}, got[RuleUnreadable])
	assert.Equal(t, 2, r.Unreadable)
}

// While a publish runs, its lock and journal are its own: verify and
// status say "publishing (pid, host, since)", not that a publish was
// interrupted; once its process is gone, they say it was (issue 20).
func TestRunningPublishIsNotInterrupted(t *testing.T) {
	dir, d, _ := published(t, "c1")
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".dagnfs/journal.json"), []byte(`{"temps":[]}`), 0o644))
	host, _ := os.Hostname()
	lock := func(pid int) {
		li := layout.LockInfo{Holder: "ci@" + host, Host: host, User: "ci", PID: pid, RunID: "r1",
			Acquired: time.Now().Add(-time.Minute), Expires: time.Now().Add(time.Hour)}
		require.NoError(t, os.WriteFile(filepath.Join(dir, ".dagnfs/lock"), li.Encode(), 0o644))
	}
	lock(os.Getppid()) // a process of this host that runs
	r, err := Verify(context.Background(), d, opts())
	require.NoError(t, err)
	got := rules(r)
	assert.NotContains(t, got, RuleLeftoverTemp, "the journal is the running publish's")
	assert.NotContains(t, got, RuleStaleLock)
	require.Contains(t, got, RulePublishing)
	assert.Contains(t, findingOf(r, RulePublishing), fmt.Sprintf("publishing (pid %d, host %s, since ", os.Getppid(), host))

	gone := exec.Command("true")
	require.NoError(t, gone.Run())
	lock(gone.Process.Pid) // a process of this host that has exited
	r, err = Verify(context.Background(), d, opts())
	require.NoError(t, err)
	got = rules(r)
	assert.Contains(t, got, RuleLeftoverTemp)
	assert.Contains(t, got, RuleStaleLock)
	assert.Contains(t, findingOf(r, RuleStaleLock), "whose process no longer runs")
	assert.NotContains(t, got, RulePublishing)
}

func findingOf(r *Result, rule string) string {
	for _, f := range r.Findings {
		if f.Rule == rule {
			return f.Message
		}
	}
	return ""
}
