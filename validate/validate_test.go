package validate

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dagnfs/dagnfs/internal/testfs"
)

const corpus = "testdata/pycorpus"

func writeTree(t *testing.T, dir string, files map[string]string) { testfs.WriteTree(t, dir, files) }

func run(t *testing.T, dir string, o Options) *Report {
	t.Helper()
	if o.Python == "" {
		o.Python = "auto"
	}
	r, err := Run(context.Background(), dir, o)
	require.NoError(t, err)
	return r
}

func rules(r *Report) map[string][]string {
	out := map[string][]string{}
	for _, f := range r.Findings {
		out[f.Rule] = append(out[f.Rule], f.File)
	}
	return out
}

func TestCorpusDAGs(t *testing.T) {
	if _, err := os.Stat(corpus); err != nil {
		t.Fatalf("the Python corpus is not at %s: it is part of the repository (validate/testdata/pycorpus); restore it with git checkout", corpus)
	}
	r := run(t, filepath.Join(corpus, "valid"), Options{})
	if r.Python == "" {
		t.Fatal("no python3 on PATH: these tests compare with CPython's verdicts (make deps installs it)")
	}
	var got []string
	for _, d := range r.DAGs {
		got = append(got, d.DagID+"@"+d.File)
	}
	assert.Equal(t, []string{
		"positional_dag_id@dag_assignment_positional.py", "duplicate_dag_id@dag_duplicate_a.py", "duplicate_dag_id@dag_duplicate_b.py",
		"models_dag_bq@dag_models_module.py", "upstream_dag@dag_multiple_in_file.py", "downstream_dag@dag_multiple_in_file.py",
		"aliased_decorator_dag@dag_multiple_in_file.py", "qualified_decorator_dag@dag_qualified_decorator.py",
		"tutorial_taskflow_api@dag_taskflow.py", "taskflow_explicit_id@dag_taskflow_explicit_id.py", "etl_daily_sales@dag_with_context.py",
	}, got)
	require.Len(t, r.DynamicDAGs, 1)
	assert.Equal(t, "dag_dynamic_ids.py", r.DynamicDAGs[0].File)
	assert.Equal(t, []string{"dag_duplicate_b.py"}, rules(r)[RuleDuplicateDagID])
	assert.Equal(t, 1, r.Errors())
	assert.Equal(t, 45, r.Files)
}

func TestDiscoveryGlobAndSafeMode(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		".airflowignore":      "scratch/\n*_old.py  # retired\n",
		"good.py":             "from airflow import DAG\nwith DAG('good', schedule=None):\n    pass\n",
		"scratch/broken.py":   "def (:\n",
		"team/x_old.py":       "def (:\n",
		"team/.airflowignore": "*.py\n!keep.py\n",
		"team/keep.py":        "from airflow import DAG\nDAG('keep', schedule=None)\n",
		"team/drop.py":        "def (:\n",
		"factory.py":          "from mylib import build_dag\nbuild_dag('factory')\n",
		"helpers.py":          "def helper():\n    return 1\n",
		"asset_only.py":       "# airflow asset\nfrom airflow.sdk import Asset\nA = Asset('x')\n",
		"broken_helper.py":    "def f(:\n",
	})
	r := run(t, dir, Options{})
	assert.ElementsMatch(t, []string{"scratch/", "team/x_old.py", "team/drop.py"}, r.Ignored)
	got := rules(r)
	assert.Equal(t, []string{"broken_helper.py"}, got[RuleSyntax], "ignored files are not reported; skipped helpers still are (they can be imported)")
	assert.Equal(t, []string{"factory.py"}, got[RuleNotDiscovered])
	assert.Contains(t, r.Skipped, "helpers.py")
	assert.NotContains(t, r.Skipped, "asset_only.py", "Airflow 3 parses a file that says airflow and asset")

	r2 := run(t, dir, Options{AirflowVersion: 2, IgnoreSyntax: SyntaxGlob})
	assert.Contains(t, r2.Skipped, "asset_only.py", "Airflow 2 wants both airflow and dag")

	r3 := run(t, dir, Options{NoSafeMode: true})
	assert.Empty(t, rules(r3)[RuleNotDiscovered])
	assert.Empty(t, r3.Skipped)
}

func TestDiscoveryRegexp(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		".airflowignore":  "^team/old\nhelpers\n[bad\n",
		"team/old_dag.py": "def (:\n",
		"x/helpers_1.py":  "def (:\n",
		"team/dag.py":     "from airflow import DAG\nDAG('a', schedule=None)\n",
	})
	r := run(t, dir, Options{AirflowVersion: 2})
	assert.Equal(t, SyntaxRegexp, r.IgnoreSyntax)
	got := rules(r)
	assert.Empty(t, got[RuleSyntax])
	assert.Equal(t, []string{".airflowignore"}, got[RuleIgnorePattern])
	assert.Equal(t, 3, r.Findings[0].Line)
}

func TestSymlinksNamesAndSize(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	writeTree(t, outside, map[string]string{"shared.py": "x = 1\n"})
	writeTree(t, dir, map[string]string{"a/dag.py": "x = 1\n", "big.py": strings.Repeat("#", 2000)})
	require.NoError(t, os.Symlink(filepath.Join(outside, "shared.py"), filepath.Join(dir, "escape.py")))
	require.NoError(t, os.Symlink("..", filepath.Join(dir, "a", "loop")))
	require.NoError(t, os.Symlink("a/dag.py", filepath.Join(dir, "inside.py")))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bad\x01name.py"), []byte("x = 1\n"), 0o644))
	r := run(t, dir, Options{MaxFileSize: 1000})
	got := rules(r)
	assert.Equal(t, []string{"escape.py"}, got[RuleSymlinkEscape])
	assert.Equal(t, []string{"a/loop"}, got[RuleSymlinkLoop])
	assert.Len(t, got[RuleUnsafeName], 1)
	assert.Equal(t, []string{"big.py"}, got[RuleFileTooLarge])
	assert.Empty(t, got[RuleSyntax])
}

func makeZip(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range files {
		w, err := zw.Create(name)
		require.NoError(t, err)
		_, err = w.Write([]byte(content))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func TestZips(t *testing.T) {
	dir := t.TempDir()
	good := makeZip(t, map[string]string{"pkg_dag.py": "from airflow import DAG\nDAG('zipped', schedule=None)\n", "lib/util.py": "def f(:\n"})
	noRoot := makeZip(t, map[string]string{"lib/dag.py": "from airflow import DAG\n"})
	broken := makeZip(t, map[string]string{"m.py": strings.Repeat("from airflow import DAG\n", 50)})
	broken[40] ^= 0xff // inside the member's data: the archive lists, the member does not read
	dup := makeZip(t, map[string]string{"d.py": "from airflow import DAG\nDAG('zipped', schedule=None)\n# v2\n", "bad.py": "from airflow import DAG\ndef (:\n"})
	require.NoError(t, os.WriteFile(filepath.Join(dir, "good.zip"), good, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "no_root.zip"), noRoot, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "packaged.bin"), broken, 0o644), "zips are found by content")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "dup.zip"), dup, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("PK not a zip"), 0o644))
	r := run(t, dir, Options{})
	got := rules(r)
	assert.Equal(t, []string{"no_root.zip"}, got[RuleZipLayout])
	assert.Equal(t, []string{"packaged.bin/m.py"}, got[RuleZipInvalid])
	assert.Equal(t, []string{"good.zip/pkg_dag.py"}, got[RuleDuplicateDagID], "duplicates are found across zips")
	assert.Equal(t, []string{"dup.zip/bad.py"}, got[RuleSyntax], "zip members get CPython's verdict; subfolders are not DAG modules")
	assert.Equal(t, 4, r.Files)
}

func TestBestPracticeAndSuppression(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"a.py": `from datetime import datetime
from airflow import DAG
from airflow.models import Variable

BUCKET = Variable.get("bucket")
QUIET = Variable.get("q")  # dagnfs: ignore[variable-get-top-level]

def task_fn():
    return Variable.get("fine inside a function")

with DAG("a", start_date=datetime.now()) as dag:
    pass
`,
		"b.py": `# dagnfs: ignore-file[dag-no-schedule]
from airflow import DAG
DAG("b")
`,
	})
	r := run(t, dir, Options{})
	got := rules(r)
	assert.Equal(t, []string{"a.py"}, got[RuleVariableGet], "one Variable.get at module level, one silenced, one in a function")
	assert.Equal(t, []string{"a.py"}, got[RuleDatetimeNow])
	assert.Equal(t, []string{"a.py"}, got[RuleNoSchedule], "b.py silences it for the file")
	assert.Equal(t, 0, r.Errors())
	assert.False(t, r.Failed())

	r = run(t, dir, Options{Strict: true, Disable: []string{RuleDatetimeNow}})
	assert.True(t, r.Failed(), "warnings fail with --strict")
	assert.Empty(t, rules(r)[RuleDatetimeNow])
	_, err := Run(context.Background(), dir, Options{Disable: []string{"no-such-rule"}})
	assert.ErrorContains(t, err, "no such rule")
}

func TestFormats(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"bad.py": "from airflow import DAG\nDAG('x', schedule=None)\ndef (:\n", "ok.py": "x = 1\n"})
	r := run(t, dir, Options{})
	var buf bytes.Buffer

	require.NoError(t, r.Write(&buf, "json", false))
	var doc map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &doc))
	for _, k := range []string{"airflow_version", "files", "dags", "findings", "summary"} {
		assert.Contains(t, doc, k)
	}
	f := doc["findings"].([]any)[0].(map[string]any)
	for _, k := range []string{"rule", "severity", "file", "line", "column", "message"} {
		assert.Contains(t, f, k)
	}

	buf.Reset()
	require.NoError(t, r.Write(&buf, "github", false))
	assert.True(t, strings.HasPrefix(buf.String(), "::error file=bad.py,line=3,col="), buf.String())

	buf.Reset()
	require.NoError(t, r.Write(&buf, "junit", false))
	var suites junitSuites
	require.NoError(t, xml.Unmarshal(buf.Bytes(), &suites))
	assert.Equal(t, 1, suites.Failures)

	buf.Reset()
	require.NoError(t, r.Write(&buf, "sarif", false))
	var sarif struct {
		Version string `json:"version"`
		Runs    []struct {
			Results []struct {
				RuleID string `json:"ruleId"`
			} `json:"results"`
		} `json:"runs"`
	}
	require.NoError(t, json.Unmarshal(buf.Bytes(), &sarif))
	assert.Equal(t, "2.1.0", sarif.Version)
	assert.Equal(t, "syntax", sarif.Runs[0].Results[0].RuleID)

	buf.Reset()
	require.NoError(t, r.Write(&buf, "text", false))
	assert.Contains(t, buf.String(), "bad.py\n  3:")
	assert.Contains(t, buf.String(), "FAILED: 1 error, 0 warnings")
}

func TestKnownResultsAreReused(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"old.py": "def broken(:\n", // would fail, but an earlier run vouches for these bytes
		"new.py": "from airflow import DAG\nDAG('shared_id', schedule=None)\n",
	})
	var asked []string
	r := run(t, dir, Options{Known: func(fp, name string) (Known, bool) {
		asked = append(asked, name)
		if name != "old.py" || fp == "" {
			return Known{}, false
		}
		return Known{DAGs: []DAG{{DagID: "shared_id", File: "old.py", Line: 7}}}, true
	}})
	assert.ElementsMatch(t, []string{"old.py", "new.py"}, unique(asked))
	got := rules(r)
	assert.Empty(t, got[RuleSyntax], "known bytes are not compiled again")
	assert.Equal(t, []string{"old.py"}, got[RuleDuplicateDagID], "known DAGs still take part in the duplicate check")
	assert.Equal(t, 1, r.Compiled)

	other := run(t, dir, Options{AirflowVersion: 2})
	assert.NotEqual(t, r.Fingerprint, other.Fingerprint, "other options, other fingerprint")
}

func unique(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// Folders that the caller's walk already read are not read again: a
// listing that leaves out a file on disk hides it.
func TestListedFoldersAreNotReadAgain(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a.py": "from airflow import DAG\nDAG('a')\n", "b.py": "from airflow import DAG\nDAG('b')\n"})
	full := run(t, dir, Options{Python: "none"})
	require.Len(t, full.DAGs, 2)

	fi, err := os.Stat(filepath.Join(dir, "a.py"))
	require.NoError(t, err)
	r := run(t, dir, Options{Python: "none", Listed: map[string][]Listed{dir: {{Name: "a.py", Info: fi}}}})
	require.Len(t, r.DAGs, 1)
	assert.Equal(t, "a", r.DAGs[0].DagID)
}

// validate and publish agree on what cannot be published: a FIFO and a
// dangling symlink are errors in validate too, even where .airflowignore
// hides them from Airflow.
func TestUnpublishableFilesAreFindings(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a.py": "from airflow import DAG\nDAG('a')\n", ".airflowignore": "hidden\nskipped_dir\n",
		"skipped_dir/deep/b.py": "from airflow import DAG\nx = = 1\n"})
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o644))
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "hidden_pipe"), 0o644))
	// Inside a folder .airflowignore prunes: Airflow never enters it, but
	// publish copies it.
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "skipped_dir", "deep", "pipe"), 0o644))
	require.NoError(t, os.Symlink("nowhere.py", filepath.Join(dir, "skipped_dir", "gone.py")))
	require.NoError(t, os.Symlink("nowhere.py", filepath.Join(dir, "dangling.py")))
	r := run(t, dir, Options{Python: "none"})
	got := rules(r)
	assert.ElementsMatch(t, []string{"pipe", "hidden_pipe", "skipped_dir/deep/pipe"}, got[RuleSpecialFile])
	assert.ElementsMatch(t, []string{"dangling.py", "skipped_dir/gone.py"}, got[RuleDanglingLink])
	assert.Empty(t, got[RuleSyntax], "the pruned folder's files are not Airflow's: not compiled")
	assert.Contains(t, r.Ignored, "skipped_dir/")
	assert.True(t, r.Failed())
	for _, f := range r.Findings {
		if f.Rule == RuleSpecialFile {
			assert.Contains(t, f.Message, "a FIFO")
		}
	}
}

// Several interpreters find what one finds.
func TestSeveralInterpreters(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{}
	for i := 0; i < 160; i++ {
		src := "x = 1\n"
		if i%7 == 0 {
			src = "x = = 1\n"
		}
		files[fmt.Sprintf("f%03d.py", i)] = src
	}
	writeTree(t, dir, files)
	one := run(t, dir, Options{Interpreters: 1, Workers: 1})
	three := run(t, dir, Options{Interpreters: 3, Workers: 1})
	require.NotEmpty(t, one.Findings)
	assert.Equal(t, one.Findings, three.Findings)
	assert.Equal(t, 23, len(three.Findings))
	assert.Equal(t, one.Checker, three.Checker)
	assert.Contains(t, three.Checker, "cpython")
}

// Every path in a report has one base: a duplicate dag_id's message names
// the other file as the finding's own file is named, and a file that does
// not compile defines no DAG (neither counted nor a duplicate) (issue 21).
func TestOnePathBaseAndBrokenFilesDefineNoDAG(t *testing.T) {
	root := t.TempDir()
	dags := filepath.Join(root, "dags")
	testfs.WriteTree(t, dags, map[string]string{
		"etl.py":      "from airflow import DAG\nwith DAG('etl'):\n    pass\n",
		"team/etl.py": "from airflow import DAG\n\nwith DAG('etl'):\n    pass\n",
		"broken.py":   "from airflow import DAG\nwith DAG('etl') as dag\n    pass\n",
	})
	r, err := Run(context.Background(), dags, Options{Python: "none"})
	require.NoError(t, err)
	require.NoError(t, r.Relocate(dags, root))
	var dup *Finding
	for i, f := range r.Findings {
		if f.Rule == RuleDuplicateDagID {
			require.Nil(t, dup, "one duplicate, not one with the broken file: %v", r.Findings)
			dup = &r.Findings[i]
		}
	}
	require.NotNil(t, dup)
	assert.Equal(t, "dags/team/etl.py", dup.File)
	assert.Contains(t, dup.Message, "also defined at dags/etl.py:2;")
	assert.Len(t, r.DAGs, 2, "broken.py defines no DAG: %v", r.DAGs)
	for _, f := range r.Findings {
		if f.File == "dags/broken.py" {
			assert.Equal(t, RuleSyntax, f.Rule, "only its syntax error: %v", f)
		}
	}
	for _, d := range r.DAGs {
		assert.NotEqual(t, "broken.py", d.File)
	}
}

// Files that are not ".py" are sniffed for zip content several at a time,
// yet the candidates keep the walk's order (which decides, as in Airflow,
// which of two duplicate dag_ids wins) and each zip is found: 60 files,
// a third of them zips (one with an archive comment), a third ".py", a
// third neither.
func TestSniffedZipsKeepTheWalkOrder(t *testing.T) {
	dir := t.TempDir()
	var want []string
	for i := range 60 {
		name := fmt.Sprintf("f%02d", i)
		switch i % 3 {
		case 0:
			name += ".zip"
			var b bytes.Buffer
			zw := zip.NewWriter(&b)
			_, err := zw.Create("m.py")
			require.NoError(t, err)
			require.NoError(t, zw.Close())
			require.NoError(t, os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644))
			want = append(want, name)
		case 1:
			name += ".py"
			require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("x = 1\n"), 0o644))
			want = append(want, name)
		default:
			name += ".bin"
			require.NoError(t, os.WriteFile(filepath.Join(dir, name), bytes.Repeat([]byte("PK\x05"), 2000), 0o644))
		}
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.Create("m.py")
	require.NoError(t, err)
	_, _ = w.Write([]byte("x = 2\n"))
	require.NoError(t, zw.SetComment("a comment after the record"))
	require.NoError(t, zw.Close())
	require.NoError(t, os.WriteFile(filepath.Join(dir, "g-commented.dat"), b.Bytes(), 0o644))
	want = append(want, "g-commented.dat")

	d, err := discover(dir, "regexp", 0, nil, nil)
	require.NoError(t, err)
	var got []string
	for _, c := range d.candidates {
		got = append(got, c.rel)
		assert.Equal(t, !strings.HasSuffix(c.rel, ".py"), c.zip, c.rel)
	}
	assert.Equal(t, want, got)
}

// lastIndex finds what bytes.LastIndex finds, in buffers of zip-like bytes
// with signatures and their prefixes anywhere (the last one, one cut short
// at the end, overlapping 'P's).
func TestLastIndexMatchesBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := []string{eocdSig, "PK", "P", "PK\x05", "x", "\x00", "PPK\x05\x06"}
	for range 20000 {
		var b []byte
		for range rng.IntN(12) {
			b = append(b, pieces[rng.IntN(len(pieces))]...)
		}
		require.Equal(t, bytes.LastIndex(b, []byte(eocdSig)), lastIndex(b, eocdSig), "%q", b)
	}
}
