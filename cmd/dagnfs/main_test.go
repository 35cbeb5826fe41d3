package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dagnfs/dagnfs/internal/testfs"
	"github.com/dagnfs/dagnfs/k8s"
	"github.com/dagnfs/dagnfs/layout"
	"github.com/dagnfs/dagnfs/nfs"
	"github.com/dagnfs/dagnfs/nfs/nfstest"
	"github.com/dagnfs/dagnfs/publish"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, bytes.NewReader(nil), &out, &errb)
	return code, out.String(), errb.String()
}

func srcDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	testfs.WriteTree(t, dir, files)
	return dir
}

const dag = "from airflow import DAG\nwith DAG('x'):\n    pass\n"

func TestUsageErrors(t *testing.T) {
	src := srcDir(t, map[string]string{"a.py": dag})
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "Usage:"},
		{"unknown command", []string{"pubish"}, `unknown command "pubish"`},
		{"unknown flag", []string{"publish", "--nope", src, t.TempDir()}, "unknown flag: --nope"},
		{"missing dest", []string{"publish", src}, "wrong number of arguments"},
		{"bad url", []string{"publish", src, "nfs://host"}, "has no path on the server"},
		{"other scheme", []string{"publish", src, "s3://bucket/x"}, "only nfs:// URLs and folders"},
		{"bad mode", []string{"publish", "--file-mode", "0999", src, t.TempDir()}, "not an octal permission mode"},
		{"bad format", []string{"publish", "--format", "yaml", src, t.TempDir()}, `"yaml" is not one of text, json`},
		{"bad check-as", []string{"publish", "--check-as", "airflow", src, t.TempDir()}, "--check-as"},
		{"source not a folder", []string{"publish", filepath.Join(src, "a.py"), t.TempDir()}, "is not a folder"},
		{"serve without export", []string{"serve"}, "--export DIR is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tt.args...)
			assert.Equal(t, exitUsage, code)
			assert.Contains(t, out+errOut, tt.want)
			assert.NotContains(t, errOut, "goroutine", "no stack trace")
		})
	}
}

func TestEnvFallback(t *testing.T) {
	src := srcDir(t, map[string]string{"a.py": dag})
	t.Setenv("DAGNFS_MAX_DELETE", "lots")
	code, _, errOut := runCLI(t, "publish", src, t.TempDir())
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "DAGNFS_MAX_DELETE")

	t.Setenv("DAGNFS_MAX_DELETE", "5")
	t.Setenv("DAGNFS_FORMAT", "json")
	t.Setenv("GITHUB_SHA", "0123abc")
	dest := t.TempDir()
	code, out, errOut := runCLI(t, "publish", src, dest)
	require.Equal(t, exitOK, code, errOut)
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	assert.Equal(t, "0123abc", res["label"], "the label defaults to the CI commit")
}

func TestPublishJSONAndExitCodes(t *testing.T) {
	_, s := nfstest.Server(t)
	dagY := strings.ReplaceAll(dag, "'x'", "'y'")
	src := srcDir(t, map[string]string{"a.py": dag, "b/c.py": dagY})

	code, out, errOut := runCLI(t, "publish", "--format", "json", "--label", "v1", src, s.URL())
	require.Equal(t, exitOK, code, errOut)
	var res struct {
		OK         bool     `json:"ok"`
		Generation int      `json:"generation"`
		Uploaded   []string `json:"uploaded"`
		Deleted    []string `json:"deleted"`
		Unchanged  int      `json:"unchanged"`
		Bytes      int64    `json:"bytes"`
		SwitchMS   *float64 `json:"switch_ms"`
		DurationMS *int64   `json:"duration_ms"`
		Protocol   string   `json:"protocol"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	assert.True(t, res.OK)
	assert.Equal(t, 1, res.Generation)
	assert.Equal(t, "NFSv3", res.Protocol, "the in-process server speaks NFSv3 only: found without ?vers=")
	assert.Equal(t, []string{layout.IgnoreFile, "a.py", "b/c.py"}, res.Uploaded, "the files and the root's .airflowignore that keeps Airflow out of .dagnfs")
	assert.Equal(t, []string{}, res.Deleted)
	assert.Equal(t, int64(len(dag)+len(dagY)+len(layout.IgnoreBlock)), res.Bytes)
	require.NotNil(t, res.SwitchMS)
	require.NotNil(t, res.DurationMS)

	code, out, _ = runCLI(t, "publish", "-v", "--label", "v1", src, s.URL())
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "Nothing to do")
	assert.Contains(t, out, "  protocol    NFSv3\n")

	bad := srcDir(t, map[string]string{"a.py": "def f(:\n"})
	code, out, _ = runCLI(t, "publish", bad, s.URL())
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, out, "a.py\n  1:")

	code, out, _ = runCLI(t, "validate", bad)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, out, "FAILED: 1 error, 0 warnings")
	code, out, _ = runCLI(t, "validate", "--format", "json", "--airflow-version", "2", bad)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, out, `"airflow_version": 2`)
	code, _, errOut = runCLI(t, "validate", "--airflow-version", "4", bad)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "--airflow-version must be 2 or 3")
	code, _, errOut = runCLI(t, "validate", "--disable", "nope", bad)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "no such rule")
	code, _, _ = runCLI(t, "validate", src)
	assert.Equal(t, exitOK, code)

	// Unreachable server: a destination error, on one line.
	code, _, errOut = runCLI(t, "publish", "--timeout", "1s", src, "nfs://127.0.0.1:1/x")
	assert.Equal(t, exitDest, code)
	assert.Contains(t, errOut, "127.0.0.1:1")
	assert.Equal(t, 1, bytes.Count([]byte(errOut), []byte("\n")))
}

func TestLockedExitCode(t *testing.T) {
	dest := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dest, ".dagnfs"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dest, ".dagnfs/lock"),
		[]byte(`{"holder":"cron@etl-1 pid 7","run_id":"x","expires":"2999-01-01T00:00:00Z"}`), 0o644))
	src := srcDir(t, map[string]string{"a.py": dag})
	code, _, errOut := runCLI(t, "publish", src, dest)
	assert.Equal(t, exitLocked, code)
	assert.Contains(t, errOut, "cron@etl-1 pid 7")
}

func TestVersionAndHelp(t *testing.T) {
	code, out, _ := runCLI(t, "version")
	assert.Equal(t, exitOK, code)
	assert.True(t, strings.HasPrefix(out, "dagnfs dev\n"), out)
	code, out, _ = runCLI(t, "publish", "--help")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "EXIT STATUS")
	assert.Contains(t, out, "--max-delete")
}

type jsonOut struct {
	OK    bool `json:"ok"`
	Error *struct {
		Kind    string `json:"kind"`
		Message string `json:"message"`
	} `json:"error"`
	Deleted        []string `json:"deleted"`
	RefusedDeletes []string `json:"refused_deletes"`
	Uploaded       []string `json:"uploaded"`
}

func decodeOne(t *testing.T, out string) jsonOut {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	var v jsonOut
	require.NoError(t, dec.Decode(&v), "stdout holds a JSON document: %q", out)
	assert.False(t, dec.More(), "exactly one JSON document")
	return v
}

// --format json prints one document on every path: success, an unreachable
// destination, a usage error, a refused plan.
func TestJSONOnEveryFailure(t *testing.T) {
	src := srcDir(t, map[string]string{"a.py": dag})

	code, out, errOut := runCLI(t, "publish", "--format", "json", "--timeout", "1s", src, "nfs://127.0.0.1:1/x?mountport=1")
	assert.Equal(t, exitDest, code, errOut)
	v := decodeOne(t, out)
	assert.False(t, v.OK)
	require.NotNil(t, v.Error)
	assert.Equal(t, "destination", v.Error.Kind)
	assert.Contains(t, v.Error.Message, "127.0.0.1:1")

	code, out, _ = runCLI(t, "publish", "--format", "json", "--concurrency", "0", src, t.TempDir())
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "usage", decodeOne(t, out).Error.Kind)

	code, out, _ = runCLI(t, "verify", "--format", "json", "--timeout", "1s", "nfs://127.0.0.1:1/x?mountport=1")
	assert.Equal(t, exitDest, code)
	assert.Equal(t, "destination", decodeOne(t, out).Error.Kind)

	// Refused deletes are listed as refused, never as deleted.
	dest := t.TempDir()
	other := func(id string) string { return strings.Replace(dag, "'x'", "'"+id+"'", 1) }
	srcTwo := srcDir(t, map[string]string{"a.py": dag, "b.py": other("b"), "c.py": other("c")})
	code, _, errOut = runCLI(t, "publish", "--python", "none", srcTwo, dest)
	require.Equal(t, exitOK, code, errOut)
	require.NoError(t, os.Remove(filepath.Join(srcTwo, "b.py")))
	require.NoError(t, os.Remove(filepath.Join(srcTwo, "c.py")))
	code, out, _ = runCLI(t, "publish", "--python", "none", "--format", "json", "--delete", "--max-delete", "1", srcTwo, dest)
	assert.Equal(t, exitFailed, code)
	v = decodeOne(t, out)
	assert.Equal(t, "refused", v.Error.Kind)
	assert.Empty(t, v.Deleted)
	assert.Equal(t, []string{"b.py", "c.py"}, v.RefusedDeletes)
	_, err := os.Stat(filepath.Join(dest, "b.py"))
	assert.NoError(t, err, "nothing was deleted")
}

// A server that stops answering cannot hold a publish past --deadline.
func TestDeadlineEndsARun(t *testing.T) {
	_, s := nfstest.Server(t)
	addr := nfstest.Proxy(t, s.Addr().String(), func(c nfstest.Call, reply []byte) []byte {
		if c.Proc == 7 { // WRITE: never answered, retried on new connections
			return nfstest.Silence
		}
		return nfstest.Record(reply)
	})
	src := srcDir(t, map[string]string{"a.py": dag})
	start := time.Now()
	// the call's timeout (5 s) outlasts the deadline (2 s)
	code, out, errOut := runCLI(t, "publish", "--python", "none", "--format", "json", "--deadline", "2s", "--timeout", "5s", src, "nfs://"+addr+"/")
	assert.Less(t, time.Since(start), 2*time.Second+nfs.CleanupBudget+2*time.Second, "the deadline, then at most the cleanup budget")
	assert.Equal(t, exitDest, code, errOut)
	assert.Equal(t, "deadline", decodeOne(t, out).Error.Kind)
	assert.Contains(t, errOut, "--deadline 2s")
}

// status on a corrupt manifest is a failure (exit 3), not "nothing published".
func TestStatusCorruptManifest(t *testing.T) {
	dest := t.TempDir()
	testfs.WriteTree(t, dest, map[string]string{".dagnfs/manifest.json": "{garbage"})
	code, out, errOut := runCLI(t, "status", dest)
	assert.Equal(t, exitDest, code, out)
	assert.Contains(t, errOut, "manifest.json is corrupt")
}

func TestPrintableEscapesControlCharacters(t *testing.T) {
	assert.Equal(t, "plain/name.py", printable("plain/name.py"))
	assert.Equal(t, `evil\x1b[2Jname`, printable("evil\x1b[2Jname"))
	assert.Equal(t, `bad\xffutf8`, printable("bad\xffutf8"))
}

func TestRefusalsNameTheFlag(t *testing.T) {
	code, _, errOut := runCLI(t, "publish", srcDir(t, nil), t.TempDir())
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, errOut, "(--allow-empty)")
}

func TestServeRefusesRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test checks the refusal to serve as root: run it as root (make test does)")
	}
	code, _, errOut := runCLI(t, "serve", "--export", t.TempDir())
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "refusing to serve as root")
	assert.Contains(t, errOut, "--allow-root")
}

// An unwritable --url-file is refused before the server starts, in one line
// that names the flag (issue 20).
func TestServeChecksTheURLFileFirst(t *testing.T) {
	start := time.Now()
	code, _, errOut := runCLI(t, "serve", "--allow-root", "--listen", "127.0.0.1:0", "--export", t.TempDir(), "--url-file", "/nonexistent/dir/url")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "--url-file /nonexistent/dir/url")
	assert.Equal(t, 1, strings.Count(strings.TrimSpace(errOut), "\n")+1, errOut)
	assert.Less(t, time.Since(start), 5*time.Second, "refused at once, not once serving")
}

// A file planted on the export with an escape sequence in its name reaches
// the terminal escaped.
func TestPlantedNamesAreEscaped(t *testing.T) {
	src := srcDir(t, map[string]string{"a.py": dag})
	dest := t.TempDir()
	code, _, errOut := runCLI(t, "publish", "--python", "none", "--label", "x\x1b[31m", src, dest)
	require.Equal(t, exitOK, code, errOut)
	require.NoError(t, os.WriteFile(filepath.Join(dest, "evil\x1b[2J.py"), []byte("x"), 0o644))
	for _, args := range [][]string{{"verify", dest}, {"status", dest}, {"history", dest}} {
		_, out, errOut := runCLI(t, args...)
		assert.NotContains(t, out+errOut, "\x1b", "%v prints control characters raw", args)
	}
	_, out, _ := runCLI(t, "verify", dest)
	assert.Contains(t, out, `evil\x1b[2J.py`)
}

// The library says whose the folder is; the command names the flags.
func TestPermissionErrorNamesTheFlags(t *testing.T) {
	err := &publish.PermissionError{Dest: "/d", Folder: ".dagnfs", Identity: "uid 50000", Detail: "x", Remedy: "y",
		OwnerUID: 50000, OwnerGID: 50000, AsRoot: true}
	code, kind, shown := classify(err)
	assert.Equal(t, exitDest, code)
	assert.Equal(t, "destination", kind)
	assert.Contains(t, shown.Error(), "(--uid 50000 --gid 50000, as root)")
	assert.NotContains(t, err.Error(), "--", "the library's own message names no flag")
}

// validate's option errors name the setting; the command names the flag,
// and a bad interpreter is a usage error.
func TestValidateOptionErrorsNameTheFlag(t *testing.T) {
	dir := srcDir(t, map[string]string{"a.py": dag})
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"validate", "--python-version", "2.7", dir}, `--python-version "2.7": want 3.X`},
		{[]string{"validate", "--python", "/nonexistent/python3", dir}, "--python /nonexistent/python3"},
		{[]string{"validate", "--ignore-syntax", "fnmatch", dir}, "--ignore-syntax must be regexp or glob"},
	} {
		code, _, errOut := runCLI(t, tc.args...)
		assert.Equal(t, exitUsage, code, "%v: %s", tc.args, errOut)
		assert.Contains(t, errOut, tc.want)
	}
}

// Off a terminal a run prints one timestamped summary line (a JSON object
// with --log-format json), and a dry run and the real run give the same
// notices.
func TestSummaryOffTerminal(t *testing.T) {
	dest := t.TempDir()
	require.NoError(t, os.Chmod(dest, 0o755))
	src := srcDir(t, map[string]string{"a.py": dag, "b.py": strings.ReplaceAll(dag, "'x'", "'y'")})
	code, out, errOut := runCLI(t, "publish", src, dest)
	require.Equal(t, exitOK, code, errOut)
	require.Equal(t, 1, strings.Count(out, "\n"), out)
	assert.Regexp(t, `^time=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\S* level=INFO msg=published dest=\S+ generation=1 previous=0 uploaded=3 deleted=0 unchanged=0 `, out)

	require.NoError(t, os.Remove(filepath.Join(src, "b.py")))
	for _, dry := range []bool{true, false} {
		args := []string{"publish", "-v", src, dest}
		if dry {
			args = append(args, "--dry-run")
		}
		code, out, errOut = runCLI(t, args...)
		require.Equal(t, exitOK, code, errOut)
		assert.Contains(t, out, "  left        1 file gone from the source (pass --delete to remove them):\n                b.py\n", "dry run %v", dry)
	}
	code, out, errOut = runCLI(t, "publish", "--log-format", "json", src, dest)
	require.Equal(t, exitOK, code, errOut)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2, out)
	var ev struct {
		Time       time.Time `json:"time"`
		Level      string    `json:"level"`
		Msg        string    `json:"msg"`
		Generation int       `json:"generation"`
		Left       int       `json:"left"`
	}
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &ev))
	assert.WithinDuration(t, time.Now(), ev.Time, time.Minute)
	assert.Equal(t, "nothing to do", ev.Msg)
	assert.Equal(t, 1, ev.Generation)
	assert.Equal(t, 1, ev.Left)
	assert.Contains(t, lines[1], `"level":"WARN"`)
	assert.Contains(t, lines[1], `"files":["b.py"]`)
}

// A plan refused at the prompt or by a limit says so: nothing changed, the
// generation stays; it never reads as an interrupted publish.
func TestRefusedPlanWording(t *testing.T) {
	var b bytes.Buffer
	res := &publish.Result{Dest: "nfs://h/d", Generation: 8, Previous: 7, RefusedDeletes: []string{"a.py"}, Unchanged: 3}
	printResult(&b, res, &publish.RefusedError{Reason: "publish cancelled at the confirmation prompt; nothing was changed"}, false)
	assert.Contains(t, b.String(), "Publish to nfs://h/d refused: nothing was changed (generation 7 stays)\n")
	assert.Contains(t, b.String(), "  refused     1 file to delete (nothing was changed): a.py\n")
	assert.NotContains(t, b.String(), "did not complete")
}

// A slip in a command, a sub-command or a flag gets the closest name; a
// word that is nothing like one gets no guess (issue 21).
func TestDidYouMean(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"pubish"}, "(did you mean publish?)"},
		{[]string{"rollbak", "x"}, "(did you mean rollback?)"},
		{[]string{"publish", "--max-delet", "3", "a", "b"}, "(did you mean --max-delete?)"},
		{[]string{"publish", "--dryrun", "a", "b"}, "(did you mean --dry-run?)"},
		{[]string{"k8s", "verify-jobs"}, "(did you mean verify-job?)"},
		{[]string{"env", "captur"}, "(did you mean capture?)"},
	} {
		code, _, errOut := runCLI(t, tt.args...)
		assert.Equal(t, exitUsage, code, tt.args)
		assert.Contains(t, errOut, tt.want, tt.args)
	}
	code, _, errOut := runCLI(t, "frobnicate")
	assert.Equal(t, exitUsage, code)
	assert.NotContains(t, errOut, "did you mean")
}

// dagnfs --help names every command and every k8s kind.
func TestHelpListsEveryCommand(t *testing.T) {
	code, out, _ := runCLI(t, "--help")
	require.Equal(t, exitOK, code)
	for _, c := range commands {
		assert.Contains(t, out, "dagnfs "+c, "command %s", c)
	}
	for kind := range k8sKinds {
		assert.Contains(t, strings.Join(strings.Fields(out), " "), kind, "k8s kind %s", kind)
	}
	for _, sub := range []string{"capture", "script"} {
		assert.Contains(t, out, sub)
	}
}

// nfs:/host/path (one slash) is a misspelled URL, even where a folder of
// that name exists: it is refused with the right spelling, and nothing is
// written there (issue 21: the publish wrote into ./nfs:/host/path).
func TestOneSlashURLIsRefused(t *testing.T) {
	src := srcDir(t, map[string]string{"a.py": dag})
	cwd := t.TempDir()
	t.Chdir(cwd)
	require.NoError(t, os.MkdirAll(filepath.Join(cwd, "nfs:", "host", "srv"), 0o755))
	for _, dest := range []string{"nfs:/host/srv", "NFS:host/srv"} {
		code, _, errOut := runCLI(t, "publish", src, dest)
		assert.Equal(t, exitUsage, code, errOut)
		assert.Contains(t, errOut, "did you mean nfs://host/srv?")
	}
	entries, err := os.ReadDir(filepath.Join(cwd, "nfs:", "host", "srv"))
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing written into the folder named like the URL")
}

// The flags that belong to a repository are accepted in dagnfs.toml:
// max-delete there limits a publish's deletes as the flag does (issue 21).
func TestRepositorySettingsInTheFile(t *testing.T) {
	repo := t.TempDir()
	src := filepath.Join(repo, "dags")
	testfs.WriteTree(t, src, map[string]string{"a.py": dag, "b.py": "x = 1\n", "c.py": "x = 2\n"})
	require.NoError(t, os.WriteFile(filepath.Join(repo, "dagnfs.toml"), []byte("delete = true\nmax-delete = 1\ncheck-as = \"50000:0\"\n"), 0o644))
	dest := t.TempDir()
	require.NoError(t, os.Chmod(dest, 0o755))
	code, _, errOut := runCLI(t, "publish", src, dest)
	require.Equal(t, exitOK, code, errOut)
	require.NoError(t, os.Remove(filepath.Join(src, "b.py")))
	require.NoError(t, os.Remove(filepath.Join(src, "c.py")))
	code, _, errOut = runCLI(t, "publish", src, dest)
	assert.Equal(t, exitFailed, code, errOut)
	assert.Contains(t, errOut, "(--max-delete)")
	assert.FileExists(t, filepath.Join(dest, "c.py"))
	code, out, errOut := runCLI(t, "config", src)
	require.Equal(t, exitOK, code, errOut)
	for _, k := range []string{"max-delete", "delete", "check-as"} {
		assert.Regexp(t, `(?m)^\s*`+k+`\s.*dagnfs.toml`, out, k)
	}
}

// A publish to a folder that does not exist yet makes it when its parent
// exists (a new team's folder), with --dir-mode; a deeper missing path is
// named whole, not made (issue 21: the error dropped a component).
func TestPublishMakesTheLastFolder(t *testing.T) {
	src := srcDir(t, map[string]string{"a.py": dag})
	dir, s := nfstest.Server(t)
	require.NoError(t, os.Mkdir(filepath.Join(dir, "srv"), 0o755))
	local := t.TempDir()
	// The in-process server makes folders as its own user (root here),
	// so there the folder must be world-listable; in a folder, as root,
	// dagnfs gives it to 50000 and 0750 is enough.
	for _, tg := range []struct {
		name, base, disk string
		mode             fs.FileMode
	}{
		{"nfs", strings.TrimSuffix(s.URL(), "/"), dir, 0o755},
		{"folder", local, local, 0o750},
	} {
		t.Run(tg.name, func(t *testing.T) {
			if tg.name == "folder" {
				require.NoError(t, os.Mkdir(filepath.Join(local, "srv"), 0o755))
			}
			code, _, errOut := runCLI(t, "publish", "--dir-mode", fmt.Sprintf("%04o", tg.mode), src, tg.base+"/srv/team-a")
			require.Equal(t, exitOK, code, errOut)
			fi, err := os.Stat(filepath.Join(tg.disk, "srv", "team-a"))
			require.NoError(t, err)
			assert.Equal(t, tg.mode, fi.Mode().Perm())
			assert.FileExists(t, filepath.Join(tg.disk, "srv", "team-a", "a.py"))

			code, _, errOut = runCLI(t, "publish", "--dry-run", src, tg.base+"/srv/team-b")
			assert.Equal(t, exitDest, code)
			assert.Contains(t, errOut, "does not exist yet")
			assert.NoDirExists(t, filepath.Join(tg.disk, "srv", "team-b"), "a dry run makes nothing")

			code, _, errOut = runCLI(t, "publish", src, tg.base+"/srv/x/team-c")
			assert.Equal(t, exitDest, code)
			assert.Contains(t, errOut, "/srv/x/team-c does not exist, nor does ")
			assert.Contains(t, errOut, "/srv/x, the folder")
			assert.NoDirExists(t, filepath.Join(tg.disk, "srv", "x"))
		})
	}
	// The missing component is named with the whole path to it.
	code, _, errOut := runCLI(t, "status", strings.TrimSuffix(s.URL(), "/")+"/srv/nope/deeper")
	assert.Equal(t, exitDest, code)
	assert.Contains(t, errOut, "lookup /srv/nope:")
}

// With --format json (or DAGNFS_FORMAT=json) exactly one JSON document is
// printed on stdout on every path, a usage error included (issue 21: it
// printed nothing).
func TestJSONOnEveryPath(t *testing.T) {
	src := srcDir(t, map[string]string{"a.py": dag})
	for _, args := range [][]string{
		{"publish", "--format", "json", "--nope", src, t.TempDir()},
		{"publish", "--format=json", src},
		{"publish", "--format", "json", src, "nfs://host"},
		{"validate", "--format", "json", "--nope"},
		{"status", "--format", "json"},
		{"verify", "--format", "json", "nfs://host"},
		{"history", "--format", "json", "a", "b"},
		{"rollback", "--format", "json", "--to", "x", t.TempDir()},
	} {
		code, out, errOut := runCLI(t, args...)
		assert.Equal(t, exitUsage, code, args)
		var doc struct {
			OK    *bool      `json:"ok"`
			Error *jsonError `json:"error"`
		}
		dec := json.NewDecoder(strings.NewReader(out))
		require.NoError(t, dec.Decode(&doc), "%v: stdout %q", args, out)
		assert.False(t, dec.More(), "one document: %q", out)
		require.NotNil(t, doc.OK, args)
		assert.False(t, *doc.OK)
		require.NotNil(t, doc.Error, args)
		assert.Equal(t, "usage", doc.Error.Kind, args)
		assert.Equal(t, "dagnfs: "+doc.Error.Message+"\n", errOut, "the same error, once, on stderr")
	}
	t.Setenv("DAGNFS_FORMAT", "json")
	code, out, _ := runCLI(t, "status")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, out, `"kind":"usage"`)
	code, out, _ = runCLI(t, "status", "--format", "text")
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, out, "text asked for on the command line")
}

// The README lists every error kind the JSON output can name, in order.
func TestREADMEListsEveryErrorKind(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	m := regexp.MustCompile("kind one of ((?:`[a-z]+`,?\\s*)+)").FindSubmatch(b)
	require.NotNil(t, m, "the README's list of error kinds")
	var listed []string
	for _, k := range regexp.MustCompile("`([a-z]+)`").FindAllSubmatch(m[1], -1) {
		listed = append(listed, string(k[1]))
	}
	assert.Equal(t, errorKinds, listed)
}

// Off a terminal one run prints what the README documents, once: the
// summary on stdout (a JSON object per line with --log-format json, the
// findings of a failed validation included), the error line on stderr (a
// JSON object too), the error's message in one place only, and the real
// duration of a run that ended at a timeout (issue 21).
func TestCronOutput(t *testing.T) {
	dest := t.TempDir()
	require.NoError(t, os.Chmod(dest, 0o755))
	src := srcDir(t, map[string]string{"a.py": dag})
	jsonLines := func(s string) []map[string]any {
		var out []map[string]any
		for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
			var m map[string]any
			require.NoError(t, json.Unmarshal([]byte(l), &m), "not a JSON object: %q", l)
			out = append(out, m)
		}
		return out
	}
	code, out, errOut := runCLI(t, "publish", "--log-format", "json", src, dest)
	require.Equal(t, exitOK, code, errOut)
	lines := jsonLines(out)
	require.Len(t, lines, 1, "one summary line: %s", out)
	assert.Equal(t, "published", lines[0]["msg"])
	assert.Empty(t, errOut)

	require.NoError(t, os.WriteFile(filepath.Join(src, "b.py"), []byte("def f(:\n"), 0o644))
	code, out, errOut = runCLI(t, "publish", "--log-format", "json", src, dest)
	assert.Equal(t, exitFailed, code)
	lines = jsonLines(out)
	require.Len(t, lines, 2, out)
	assert.Equal(t, "syntax", lines[0]["rule"], "the finding, as JSON")
	assert.Equal(t, "failed", lines[1]["msg"])
	assert.Equal(t, "validation", lines[1]["error_kind"])
	errLines := jsonLines(errOut)
	require.Len(t, errLines, 1, errOut)
	msg := errLines[0]["msg"].(string)
	assert.Contains(t, msg, "failed validation with 1 error;")
	assert.Equal(t, 1, strings.Count(out+errOut, msg), "the error once")

	code, out, errOut = runCLI(t, "publish", src, dest)
	assert.Equal(t, exitFailed, code)
	assert.Equal(t, 1, strings.Count(out+errOut, "failed validation with 1 error;"), "once in text too: %s%s", out, errOut)
	require.NoError(t, os.Remove(filepath.Join(src, "b.py")))

	// A server that never answers: the run takes its --timeout, and says so.
	_, s := nfstest.Server(t)
	addr := nfstest.Proxy(t, s.Addr().String(), func(nfstest.Call, []byte) []byte { return nfstest.Silence })
	code, out, errOut = runCLI(t, "publish", "--log-format", "json", "--timeout", "1s", src, "nfs://"+addr+"/")
	assert.Equal(t, exitDest, code, errOut)
	lines = jsonLines(out)
	require.Len(t, lines, 1, out)
	assert.GreaterOrEqual(t, lines[0]["took_ms"], float64(1000), "took_ms is the run's duration")
}

// A message of any length is printed capped, saying how much more there
// was; a source with thousands of problems names ten (issue 21: a 466 KB
// error line).
func TestLongMessagesAreCapped(t *testing.T) {
	long := strings.Repeat("é", 233_000) // 466 KB
	var errb bytes.Buffer
	exitCode(errors.New(long), &errb)
	assert.Less(t, errb.Len(), maxMessage+100)
	assert.Regexp(t, `… \(\d+ more bytes not shown\)\n$`, errb.String())
	assert.True(t, utf8.ValidString(errb.String()), "cut on a character's boundary")
	assert.Less(t, len(errorObject(errors.New(long)).Message), maxMessage+100)

	src := t.TempDir()
	for i := range 3000 {
		require.NoError(t, os.Symlink("/etc/hostname", filepath.Join(src, fmt.Sprintf("l%04d.py", i))))
	}
	code, _, errOut := runCLI(t, "publish", src, t.TempDir())
	assert.NotEqual(t, exitOK, code)
	assert.Less(t, len(errOut), 2000, errOut)
	assert.Contains(t, errOut, "and 2990 more (dagnfs validate lists them all)")
}

// publish-cronjob names only the flags that are missing, and runs the
// pinned git-sync image unless told otherwise (issue 21).
func TestPublishCronJobFlags(t *testing.T) {
	code, _, errOut := runCLI(t, "k8s", "publish-cronjob", "--repo", "https://git.example.internal/d.git", "--image", "registry.invalid/dagnfs:1")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "publish-cronjob needs --nfs-url (or --nfs-server and --nfs-path)\n")
	assert.NotContains(t, errOut, "--repo")
	assert.NotContains(t, errOut, "--git-sync-image")
	code, out, errOut := runCLI(t, "k8s", "publish-cronjob", "--repo", "https://git.example.internal/d.git", "--image", "registry.invalid/dagnfs:1",
		"--nfs-url", "nfs://nfs.example.internal/srv/dags")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "image: "+k8s.DefaultGitSyncImage)
}

// Files Airflow could not read are refused before anything is written
// (exit 1, naming the identity, the missing bit and the flag); published
// anyway for another reader (--check-as), status --check and verify fail on
// them (issue 21).
func TestUnreadablePlanRefused(t *testing.T) {
	src := srcDir(t, map[string]string{"a.py": dag})
	dest := t.TempDir()
	require.NoError(t, os.Chmod(dest, 0o755))
	code, _, errOut := runCLI(t, "publish", "--uid", "1000", "--file-mode", "0640", src, dest)
	assert.Equal(t, exitFailed, code, errOut)
	assert.Contains(t, errOut, "Airflow's identity uid 50000 gid 0 could not read every published file")
	assert.Contains(t, errOut, "but r-- is needed")
	assert.Contains(t, errOut, "--file-mode 0644")
	entries, err := os.ReadDir(dest)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing was written")

	code, _, errOut = runCLI(t, "publish", "--uid", "1000", "--gid", "1000", "--file-mode", "0640", "--check-as", "1000:1000", src, dest)
	require.Equal(t, exitOK, code, errOut)
	code, out, _ := runCLI(t, "status", "--check", dest)
	assert.Equal(t, exitFailed, code, out)
	assert.Contains(t, out, "not-readable-for-airflow")
	code, out, _ = runCLI(t, "verify", dest)
	assert.Equal(t, exitFailed, code, out)
	assert.Contains(t, out, "not-readable-for-airflow")
}

// DAGNFS_NFS_VERSION chooses the version of URLs that name none: checked,
// and never a fallback.
func TestNFSVersionFromTheEnvironment(t *testing.T) {
	_, s := nfstest.Server(t)
	src := srcDir(t, map[string]string{"a.py": dag})
	t.Setenv("DAGNFS_NFS_VERSION", "4.0")
	code, _, errOut := runCLI(t, "publish", src, s.URL())
	assert.Equal(t, exitUsage, code, errOut)
	assert.Contains(t, errOut, `DAGNFS_NFS_VERSION="4.0": give 3 or 4.1`)
	t.Setenv("DAGNFS_NFS_VERSION", "4.1")
	code, _, errOut = runCLI(t, "publish", "--timeout", "2s", src, s.URL())
	assert.NotEqual(t, exitOK, code, "an NFSv3-only server is not reached over NFSv3: %s", errOut)
	t.Setenv("DAGNFS_NFS_VERSION", "3")
	code, out, errOut := runCLI(t, "publish", "--format", "json", src, s.URL())
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, `"protocol": "NFSv3"`)
}
