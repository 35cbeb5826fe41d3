package main

import (
	"encoding/json"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVersion(t *testing.T) {
	old, oldCommit := version, commit
	version, commit = "v1.2.3", "0123456789abcdef0123456789abcdef01234567"
	t.Cleanup(func() { version, commit = old, oldCommit })
	code, out, _ := runCLI(t, "version")
	require.Equal(t, exitOK, code)
	assert.Contains(t, out, "dagnfs v1.2.3\n")
	assert.Contains(t, out, "commit              0123456789abcdef0123456789abcdef01234567\n")
	assert.Contains(t, out, runtime.Version())
	assert.Contains(t, out, "python front end    pure Go")
	assert.Contains(t, out, "Python 3.9, 3.10, 3.11, 3.12, 3.13")
	code, out, _ = runCLI(t, "version", "--format", "json")
	require.Equal(t, exitOK, code)
	var b buildInfo
	require.NoError(t, json.Unmarshal([]byte(out), &b))
	assert.Equal(t, "v1.2.3", b.Version)
	assert.Equal(t, runtime.GOOS+"/"+runtime.GOARCH, b.Platform)
	assert.Equal(t, []string{"3.9", "3.10", "3.11", "3.12", "3.13"}, b.Parsers.Pythons)
}
