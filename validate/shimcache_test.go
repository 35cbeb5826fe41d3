package validate

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A shim's resolution is cached, and used only while nothing it depends on
// has changed.
func TestShimResolutionIsCached(t *testing.T) {
	real, err := exec.LookPath("python3")
	require.NoError(t, err, "needs python3 (make deps installs it)")
	exe, version, err := realPython(context.Background(), real)
	require.NoError(t, err)

	dir := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	t.Setenv("PYENV_VERSION", "")
	t.Chdir(dir)
	// A shim that counts its starts, then runs the interpreter.
	count := filepath.Join(dir, "starts")
	shim := filepath.Join(dir, "python3")
	require.NoError(t, os.WriteFile(shim, []byte("#!/bin/sh\necho x >> "+count+"\nexec "+exe+" \"$@\"\n"), 0o755))
	starts := func() int {
		b, _ := os.ReadFile(count)
		return strings.Count(string(b), "x")
	}
	resolve := func() (string, string) {
		t.Helper()
		e, v, err := FindPython(context.Background(), shim)
		require.NoError(t, err)
		return e, v
	}

	e, v := resolve()
	assert.Equal(t, exe, e)
	assert.Equal(t, version, v)
	assert.Equal(t, 1, starts(), "the first run asks the shim")
	resolve()
	assert.Equal(t, 1, starts(), "the second does not")

	// What a version manager decides by changes the answer: asked again.
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".python-version"), []byte("3.12\n"), 0o644))
	resolve()
	assert.Equal(t, 2, starts(), "a new .python-version")
	t.Setenv("PYENV_VERSION", "3.13")
	resolve()
	assert.Equal(t, 3, starts(), "PYENV_VERSION")
	resolve()
	assert.Equal(t, 3, starts())

	// A corrupt cache is only a miss.
	cache := filepath.Join(dir, "cache", "dagnfs", "python-shims.json")
	require.FileExists(t, cache)
	require.NoError(t, os.WriteFile(cache, []byte("{not json"), 0o600))
	resolve()
	assert.Equal(t, 4, starts())

	// A direct interpreter is never cached: nothing to save.
	e, _, err = FindPython(context.Background(), exe)
	require.NoError(t, err)
	assert.Equal(t, exe, e)
}
