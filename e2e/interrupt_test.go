//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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

// SIGINT at every step of a 2,000-file publish and republish, on
// nfs-ganesha: each run ends within 3 s with exit 130 and at most 5 lines
// in all, leaves no lock, no journal and no temporary file, and status,
// history and rollback agree on what is current and what can be restored
// (issue 20). The steps are told apart by what the server's disk shows, so
// that each is hit whatever the machine's speed.
func TestInterruptAtEveryStep(t *testing.T) {
	e := setup(t)
	const n = 2000
	content := func(gen, i int) string {
		return dagFile(fmt.Sprintf("d%04d", i), fmt.Sprintf("# generation %d\n%s\n", gen, strings.Repeat("#", 600)))
	}
	write := func(src string, gen int) {
		files := map[string]string{}
		for i := range n {
			files[fmt.Sprintf("team%d/f%04d.py", i%10, i)] = content(gen, i)
		}
		writeFiles(t, src, files)
	}
	meta := func(dir, name string) string { return filepath.Join(dir, ".dagnfs", name) }
	exists := func(p string) bool { _, err := os.Lstat(p); return err == nil }
	manifestOf := func(dir string) string { b, _ := os.ReadFile(meta(dir, "manifest.json")); return string(b) }
	switchedFiles := func(dir string, gen int) int {
		k := 0
		for _, i := range []int{0, 999, 1999} {
			if b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("team%d/f%04d.py", i%10, i))); err == nil && string(b) == content(gen, i) {
				k++
			}
		}
		return k
	}

	// written counts the run's files on the server: staged under temporary
	// names (in place) or in the folder of the generation being built.
	written := func(dir string, gen int) int {
		k := staged(dir)
		for i := range 10 {
			entries, _ := os.ReadDir(filepath.Join(dir, ".dagnfs/generations", fmt.Sprint(gen), fmt.Sprintf("team%d", i)))
			k += len(entries)
		}
		return k
	}

	type step struct {
		name string
		// when says, from the server's disk, that the run is at this step;
		// before is the manifest before the run.
		when func(dir, before string, gen int) bool
	}
	started := time.Time{}
	steps := []step{
		{"validating", func(string, string, int) bool { return time.Since(started) > 150*time.Millisecond }},
		{"locked", func(dir, _ string, _ int) bool { return exists(meta(dir, "lock")) }},
		{"uploading", func(dir, _ string, gen int) bool { return written(dir, gen) >= n/2 }},
		{"keeping", func(dir, _ string, gen int) bool { return written(dir, gen) >= n }},
		{"switching", func(dir, _ string, gen int) bool { return switchedFiles(dir, gen) > 0 }},
		{"switched", func(dir, before string, _ int) bool { return manifestOf(dir) != before }},
	}
	for _, lay := range []string{"in-place", "generations"} {
		for _, republish := range []bool{false, true} {
			for _, st := range steps {
				if st.name == "switching" && lay != "in-place" {
					continue // one rename: no step between the two
				}
				if st.name == "keeping" && lay == "in-place" && !republish {
					continue // nothing to keep: the renames follow the last upload at once
				}
				name := fmt.Sprintf("%s/republish=%v/%s", lay, republish, st.name)
				t.Run(name, func(t *testing.T) {
					dir, url := e.folder(t)
					src := t.TempDir()
					prevGen, gen := 0, 1
					if republish {
						write(src, 1)
						code, _, errOut := e.publish(t, src, url, "--layout", lay)
						require.Equal(t, 0, code, errOut)
						prevGen, gen = 1, 2
					}
					write(src, gen)
					before := manifestOf(dir)
					cmd := exec.Command(e.bin, "publish", "--layout", lay, src, url)
					var out, errb bytes.Buffer
					cmd.Stdout, cmd.Stderr = &out, &errb
					started = time.Now()
					require.NoError(t, cmd.Start())
					exitedEarly := make(chan error, 1)
					go func() { exitedEarly <- cmd.Wait() }()
					var t0 time.Time
				poll:
					for {
						select {
						case err := <-exitedEarly:
							t.Fatalf("the publish ended before the step was seen (%v): %s", err, errb.String())
						default:
						}
						if st.when(dir, before, gen) {
							t0 = time.Now()
							// At the last step the run may end between the
							// look and the signal (handled as "done" below).
							if err := cmd.Process.Signal(syscall.SIGINT); !(st.name == "switched" && errors.Is(err, os.ErrProcessDone)) {
								require.NoError(t, err)
							}
							break poll
						}
						require.Less(t, time.Since(started), 60*time.Second, "the step was never seen")
						time.Sleep(time.Millisecond)
					}
					var err error
					select {
					case err = <-exitedEarly:
					case <-time.After(20 * time.Second):
						_ = cmd.Process.Kill()
						t.Fatalf("still running 20 s after SIGINT")
					}
					took := time.Since(t0)
					code := 0
					if ee, ok := err.(*exec.ExitError); ok {
						code = ee.ExitCode()
					}
					said := strings.TrimSpace(out.String() + errb.String())
					t.Logf("%s: SIGINT; exit %d after %v: %s", name, code, took.Round(time.Millisecond), said)
					done := st.name == "switched" && code == 0
					if done {
						// After the manifest's rename an in-place run has a
						// few milliseconds left (the history's rename, the
						// lock): the signal may land once it is done. Then
						// it published, and the records must agree all the
						// same (below).
						require.Contains(t, said, "msg=published", said)
						t.Logf("%s: the run was done before the signal landed", name)
					} else {
						require.Equal(t, 130, code, said)
					}
					assert.Less(t, took, 3*time.Second, "SIGINT ends the run within 3 s")
					assert.LessOrEqual(t, strings.Count(said, "\n")+1, 5, "at most 5 lines in all")
					assert.False(t, exists(meta(dir, "lock")), "the lock is released")
					assert.False(t, exists(meta(dir, "journal.json")), "no journal is left")
					if lay == "in-place" {
						assert.Zero(t, staged(dir), "no temporary file is left")
					}

					// The records agree: status's generation is history's
					// current one, and what the line said.
					code, stOut, stErr := e.run(t, "status", "--format", "json", url)
					require.Contains(t, []int{0, 1}, code, stErr)
					var status struct {
						Generation int `json:"generation"`
					}
					require.NoError(t, json.Unmarshal([]byte(stOut), &status), stOut)
					code, hOut, hErr := e.run(t, "history", "--format", "json", url)
					require.Equal(t, 0, code, hErr)
					var hist struct {
						Generations []struct {
							Generation int  `json:"generation"`
							Current    bool `json:"current"`
						} `json:"generations"`
					}
					require.NoError(t, json.Unmarshal([]byte(hOut), &hist), hOut)
					current := 0
					for _, g := range hist.Generations {
						if g.Current {
							current = g.Generation
						}
					}
					assert.Equal(t, status.Generation, current, "status and history name the same current generation")
					switch {
					case done:
						assert.Equal(t, gen, status.Generation, said)
					case strings.Contains(said, "after the switch"), strings.Contains(said, "during the switch"):
						assert.Equal(t, gen, status.Generation, said)
						if prevGen > 0 {
							assert.Contains(t, said, fmt.Sprintf("undo: dagnfs rollback %s --to %d", url, prevGen))
						}
					default:
						assert.Equal(t, prevGen, status.Generation, said)
						if lay == "in-place" && prevGen > 0 {
							assert.Equal(t, 0, switchedFiles(dir, gen), "nothing of the run is visible")
						}
					}
					if status.Generation > 1 {
						code, rOut, rErr := e.run(t, "rollback", "--dry-run", "--to", fmt.Sprint(status.Generation-1), url)
						assert.Equal(t, 0, code, "history's previous generation can be restored: %s %s", rOut, rErr)
					}

					// The next publish completes and leaves nothing behind.
					code, _, errOut := e.publish(t, src, url, "--layout", lay)
					require.Equal(t, 0, code, errOut)
					assert.Equal(t, 3, switchedFiles(filepath.Join(dir, map[bool]string{true: "current", false: ""}[lay == "generations"]), gen))
					assert.Zero(t, staged(dir))
					assert.False(t, exists(meta(dir, "journal.json")))
				})
			}
		}
	}
}
