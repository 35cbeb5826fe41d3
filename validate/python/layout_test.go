package python

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The front end (this package and those under it) imports nothing of
// dagnfs but itself, and the environment index needs only the front end:
// the README's map of who may import whom.
func TestFrontEndStandsAlone(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "../../validate/python/...", "../../envindex").Output()
	require.NoError(t, err)
	const mod, front = "github.com/dagnfs/dagnfs/", "github.com/dagnfs/dagnfs/validate/python"
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		seen++
		for _, imp := range fields[1:] {
			if strings.HasPrefix(imp, mod) {
				assert.True(t, imp == front || strings.HasPrefix(imp, front+"/"), "%s imports %s", fields[0], imp)
			}
		}
	}
	assert.GreaterOrEqual(t, seen, 4, "validate/python, its ast and module packages, envindex")
}
