package validate

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dagnfs/dagnfs/internal/srcfile"
	"github.com/dagnfs/dagnfs/internal/testfs"
)

// A file that validation reads (a DAG file, a zip package, an
// .airflowignore) swapped for a symlink to a file of the publisher's while
// validation runs is never read: what is read is the file the walk saw, and
// a run that notices the swap fails naming the file (issue 20). The secret
// files would show in a report that read them: a DAG whose dag_id is the
// secret, a function with a duplicate argument named after it (CPython's
// message names it), an ignore pattern that does not compile.
func TestSwappedSourceNeverRead(t *testing.T) {
	python, err := exec.LookPath("python3")
	require.NoError(t, err, "needs python3 (make deps installs it)")
	const secret = "hunter2"
	outside := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(outside, name)
		require.NoError(t, os.WriteFile(p, b, 0o600))
		return p
	}
	dag := func(id string) string {
		return fmt.Sprintf("from airflow import DAG\nwith DAG(dag_id=%q):\n    pass\n", id)
	}
	zipOf := func(src string) []byte {
		var b bytes.Buffer
		w := zip.NewWriter(&b)
		f, err := w.Create("m.py")
		require.NoError(t, err)
		_, err = f.Write([]byte(src))
		require.NoError(t, err)
		require.NoError(t, w.Close())
		return b.Bytes()
	}
	cases := []struct {
		name, victim string
		regular      []byte
		secrets      []string
	}{
		{"dag file", "d00/f0100.py", []byte(dag("plain")), []string{
			write("a.py", []byte(dag("SECRET_"+secret))),
			write("b.py", []byte(fmt.Sprintf("def f(SECRET_%s, SECRET_%s):\n    pass\n", secret, secret))),
		}},
		{"zip package", "d00/pkg.zip", zipOf(dag("zipped")), []string{write("c.zip", zipOf(dag("SECRET_"+secret)))}},
		{".airflowignore", "d00/.airflowignore", []byte("nothing\n"), []string{write("d", []byte("SECRET_"+secret+"[\n"))}},
	}
	for _, c := range cases {
		for _, checker := range []string{"none", python} {
			t.Run(fmt.Sprintf("%s/%s", c.name, filepath.Base(checker)), func(t *testing.T) {
				src := t.TempDir()
				files := map[string]string{}
				for i := range 300 {
					files[fmt.Sprintf("d%02d/f%04d.py", i%10, i)] = dag(fmt.Sprintf("d%04d", i))
				}
				files[c.victim] = string(c.regular)
				testfs.WriteTree(t, src, files)
				victim := filepath.Join(src, c.victim)
				var stop atomic.Bool
				var wg sync.WaitGroup
				wg.Add(1)
				tmp := filepath.Join(t.TempDir(), "swap") // made outside the source, renamed in
				go func() {
					defer wg.Done()
					for i := 0; !stop.Load(); i++ {
						if k := i % (len(c.secrets) + 1); k < len(c.secrets) {
							_ = os.Symlink(c.secrets[k], tmp)
						} else {
							_ = os.WriteFile(tmp, c.regular, 0o644)
						}
						_ = os.Rename(tmp, victim)
					}
				}()
				noticed := 0
				for run := range 15 {
					r, err := Run(context.Background(), src, Options{Python: checker, AirflowVersion: 2, Interpreters: 1})
					var ce *srcfile.ChangedError
					if errors.As(err, &ce) {
						noticed++
						assert.True(t, strings.HasPrefix(ce.Rel, c.victim), "run %d: the error names the file: %v", run, err)
					} else {
						require.NoError(t, err, "run %d", run)
					}
					b, _ := json.Marshal(r)
					assert.NotContains(t, string(b)+fmt.Sprint(err), secret, "run %d: the secret was read", run)
				}
				stop.Store(true)
				wg.Wait()
				t.Logf("%d of 15 runs noticed the swap while they read the file", noticed)
			})
		}
	}
}

// The interpreter, too, reads the file the walk saw: a job for a file that
// was swapped for a symlink, replaced, or grew since the walk fails naming
// it, and never compiles the new content (CPython's messages quote names
// from it).
func TestInterpreterReadsTheFileTheWalkSaw(t *testing.T) {
	python, err := exec.LookPath("python3")
	require.NoError(t, err, "needs python3 (make deps installs it)")
	judge := &Judge{Python: python}
	secret := filepath.Join(t.TempDir(), "secret.py")
	require.NoError(t, os.WriteFile(secret, []byte("def f(SECRET_x, SECRET_x):\n    pass\n"), 0o600))
	for _, change := range []struct {
		name, why string
		do        func(t *testing.T, p string)
	}{
		{"symlink", "now a symlink", func(t *testing.T, p string) {
			require.NoError(t, os.Remove(p))
			require.NoError(t, os.Symlink(secret, p))
		}},
		{"replaced", "another file now", func(t *testing.T, p string) {
			// made before the old one goes, so that it is another inode
			require.NoError(t, os.WriteFile(p+".new", []byte("x = 2\n"), 0o644))
			require.NoError(t, os.Rename(p+".new", p))
		}},
		{"grew", "bytes now", func(t *testing.T, p string) {
			f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
			require.NoError(t, err)
			_, err = f.WriteString("def g(a, a): pass\n")
			require.NoError(t, err)
			require.NoError(t, f.Close())
		}},
		{"folder swapped", "folder sub", func(t *testing.T, p string) {
			dir := filepath.Dir(p)
			require.NoError(t, os.Rename(dir, dir+".old"))
			require.NoError(t, os.Symlink(filepath.Dir(secret), dir))
		}},
	} {
		t.Run(change.name, func(t *testing.T) {
			root, err := filepath.EvalSymlinks(t.TempDir())
			require.NoError(t, err)
			testfs.WriteTree(t, root, map[string]string{"sub/x.py": "x = 1\n"})
			p := filepath.Join(root, "sub", "x.py")
			info, err := os.Stat(p)
			require.NoError(t, err)
			seen, ok := srcfile.Seen(root, p, "sub/x.py", info)
			require.True(t, ok)
			job := candidate{rel: "sub/x.py", abs: p, size: info.Size(), seen: &seen}.job("")

			found, err := judge.compileAll(context.Background(), []compileJob{job}, nil)
			require.NoError(t, err, "unchanged: compiled")
			assert.Empty(t, found)
			change.do(t, p)
			found, err = judge.compileAll(context.Background(), []compileJob{job}, nil)
			var ce *srcfile.ChangedError
			require.ErrorAs(t, err, &ce, "found: %v", found)
			assert.Equal(t, "sub/x.py", ce.Rel)
			assert.Contains(t, ce.Why, change.why)
			assert.NotContains(t, err.Error(), "SECRET")
		})
	}
}
