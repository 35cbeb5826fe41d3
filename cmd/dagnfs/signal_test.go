package main

import (
	"bytes"
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

// TestMain lets a test run this binary as dagnfs itself (DAGNFS_TEST_MAIN),
// signals and exit statuses included.
func TestMain(m *testing.M) {
	if os.Getenv("DAGNFS_TEST_MAIN") == "1" {
		main()
		return
	}
	if os.Getenv("DAGNFS_TEST_LATE_SIGNAL") == "1" {
		// A run that is over, then a SIGINT while it exits.
		_, stop := interruptible(os.Stderr, os.Exit)
		finish(0, func() {
			stop()
			_ = syscall.Kill(os.Getpid(), syscall.SIGINT)
			time.Sleep(200 * time.Millisecond)
		}, os.Exit)
	}
	os.Exit(m.Run())
}

// dagnfsProcess starts this test binary as dagnfs with args.
func dagnfsProcess(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "DAGNFS_TEST_MAIN=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	return cmd, &out
}

// bigDAGs is a folder of large generated DAG files, each just under the
// 1 MiB validation limit: seconds of parsing and compiling.
func bigDAGs(t *testing.T, n int) string {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("from airflow import DAG\nx = [\n")
	for j := 0; b.Len() < 1<<20-200; j++ {
		fmt.Fprintf(&b, "  (%d, 'a%d', {'k': [1, 2, (3, [4])]}),\n", j, j)
	}
	b.WriteString("]\n")
	for i := range n {
		require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("big%03d.py", i)), []byte(b.String()), 0o644))
	}
	return dir
}

// reading reports whether process pid has a file below dir open: it has
// begun its work, long after it set up its signal handling.
func reading(pid int, dir string) bool {
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	for _, fd := range fds {
		if target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); err == nil && strings.HasPrefix(target, dir) {
			return true
		}
	}
	return false
}

// children are the processes pid started that still run.
func children(pid int) []int {
	var out []int
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	for _, task := range tasks {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, task.Name()))
		for _, f := range strings.Fields(string(b)) {
			var kid int
			if _, err := fmt.Sscan(f, &kid); err == nil {
				out = append(out, kid)
			}
		}
	}
	return out
}

// alive reports whether process pid runs (a zombie does not).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	return !strings.HasPrefix(rest, "Z") && !strings.HasPrefix(rest, "X")
}

// SIGINT and SIGTERM end a command within two seconds whatever it is
// doing: the walk, the parse of large files, the Python worker, the hashing
// of a publish's source (issue 20: SIGTERM was ignored for 42 minutes while
// validation parsed).
func TestSignalsEndEveryPhase(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 120 MiB folder")
	}
	dags := bigDAGs(t, 120)
	dest := t.TempDir()
	python, err := exec.LookPath("python3")
	require.NoError(t, err, "the Python worker's case needs python3")
	cases := []struct {
		name string
		args []string
	}{
		{"validate, embedded checker", []string{"validate", "--python", "none", dags}},
		{"validate, Python worker", []string{"validate", "--python", python, dags}},
		{"publish, folder", []string{"publish", dags, dest}},
	}
	for _, c := range cases {
		for _, at := range []time.Duration{200 * time.Millisecond, 1200 * time.Millisecond} {
			for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
				if (sig == syscall.SIGINT) != (at < time.Second) {
					continue // each signal at one of the two moments
				}
				t.Run(fmt.Sprintf("%s/%v/%v", c.name, at, sig), func(t *testing.T) {
					cmd, out := dagnfsProcess(t, c.args...)
					exited := make(chan error, 1)
					go func() { exited <- cmd.Wait() }()
					// from when it reads the folder (a race-built test binary
					// takes a moment to start)
					for start := time.Now(); !reading(cmd.Process.Pid, dags); {
						require.Less(t, time.Since(start), 20*time.Second, "it never read %s: %s", dags, out)
						time.Sleep(time.Millisecond)
					}
					select {
					case err := <-exited:
						t.Fatalf("ended before the signal (%v): %s", err, out)
					case <-time.After(at):
					}
					kids := children(cmd.Process.Pid)
					t0 := time.Now()
					require.NoError(t, cmd.Process.Signal(sig))
					var err error
					select {
					case err = <-exited:
					case <-time.After(20 * time.Second):
						_ = cmd.Process.Kill()
						t.Fatal("still running 20 s after the signal")
					}
					took := time.Since(t0)
					var ee *exec.ExitError
					require.True(t, errors.As(err, &ee), "exit status: %v: %s", err, out)
					assert.Equal(t, exitCanceled, ee.ExitCode(), out.String())
					assert.Less(t, took, 2*time.Second, "ended %v after the signal", took)
					lines := strings.Split(strings.TrimSpace(out.String()), "\n")
					assert.LessOrEqual(t, len(lines), 2, "one line, and the log line off a terminal: %s", out)
					assert.Contains(t, out.String(), "interrupted")
					// and the Python interpreters it started end with it
					for _, kid := range kids {
						for start := time.Now(); alive(kid); {
							if !assert.Less(t, time.Since(start), 2*time.Second, "process %d, started by dagnfs, still runs", kid) {
								_ = syscall.Kill(kid, syscall.SIGKILL)
								break
							}
							time.Sleep(10 * time.Millisecond)
						}
					}
				})
			}
		}
	}
}

// A second signal ends the process at once, saying what may be left.
func TestSecondSignalExitsAtOnce(t *testing.T) {
	var out bytes.Buffer
	code := make(chan int, 1)
	ctx, stop := interruptible(&out, func(c int) { code <- c })
	defer stop()
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGINT))
	select {
	case <-ctx.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("the first signal did not cancel the run")
	}
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGINT))
	select {
	case c := <-code:
		assert.Equal(t, exitCanceled, c)
	case <-time.After(2 * time.Second):
		t.Fatal("the second signal did not end the process")
	}
	assert.Contains(t, out.String(), "interrupted again: exiting now; a publish's lock may be left")
}

// A signal that lands once the run is over changes nothing: the process
// exits with the run's code, not by the signal (make test once saw a
// finished publish killed by the SIGINT meant for it, exit -1 for 0).
func TestLateSignalKeepsTheExitCode(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run", "^$")
	cmd.Env = append(os.Environ(), "DAGNFS_TEST_LATE_SIGNAL=1")
	err := cmd.Run()
	require.NoError(t, err, "exit status %d", cmd.ProcessState.ExitCode())
}
