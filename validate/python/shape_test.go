package python

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dagnfs/dagnfs/internal/pyshapes"
)

// Any shape of about a megabyte is parsed in bounded time and memory, and
// none overflows the Go stack: 64 MiB allocated at most (the tokens, and a
// memo of fixed size), and 3 s (30 s under the race detector), which a
// parse worse than linear misses by minutes. The slowest shapes (deep
// brackets, the one-line list, an error at the very end) take 0.7 to 1 s
// here: issue 22's second is for make bench to show, not this test.
func TestParseIsBounded(t *testing.T) {
	shapes := megabyteShapes()
	bound := raced(3 * time.Second)
	for name, src := range shapes {
		var err *Error
		took, alloc := measure(func() { err = Parse([]byte(src), 12) })
		t.Logf("%s: %d bytes, %v, %d MiB allocated: %v", name, len(src), took, alloc>>20, err)
		assert.Less(t, took, bound, name)
		assert.Less(t, alloc, uint64(64<<20), name)
	}
}

// megabyteShapes are internal/pyshapes' sources of about a megabyte, an
// eighth of that under the race detector (make test runs every package
// under it): the parser is one goroutine, and a parse worse than linear is
// still minutes over its bound.
func megabyteShapes() map[string]string {
	if raceEnabled {
		return pyshapes.Megabyte(8)
	}
	return pyshapes.Megabyte(1)
}

// depthShapes are the chains that reach CPython's parser stack limit.
var depthShapes = []struct {
	name   string
	prefix string
	unit   string
	suffix string
}{
	{"unary minus", "x = ", "-", "1\n"},
	{"not", "x = ", "not ", "1\n"},
	{"power", "x = 2", "**2", "\n"},
	{"lambda", "x = ", "lambda: ", "1\n"},
	{"conditional", "x = ", "1 if 1 else ", "1\n"},
	{"unary two blocks deep", "def f():\n    if x:\n        x = ", "-", "1\n"},
}

// edgeOracle prints, for each shape, the first count of units at which
// compile() raises MemoryError (the parser's stack), by bisection.
const edgeOracle = `
import json, sys
shapes = json.load(sys.stdin)
def mem(src):
    try:
        compile(src, "f", "exec")
    except MemoryError:
        return True
    except (SyntaxError, RecursionError):
        pass
    return False
out = []
for pre, unit, post in shapes:
    lo, hi = 1, 8000
    while lo < hi:
        m = (lo + hi) // 2
        if mem(pre + unit * m + post): hi = m
        else: lo = m + 1
    out.append(lo)
print(json.dumps(out))
`

// The parser's stack limit is CPython's: the first chain length refused
// with MemoryError is within two levels of CPython's for each shape and
// each Python found (issue 22 asks for 100), with 3.12's message.
func TestDepthLimitsMatchCPython(t *testing.T) {
	var shapes [][3]string
	for _, s := range depthShapes {
		shapes = append(shapes, [3]string{s.prefix, s.unit, s.suffix})
	}
	in, err := json.Marshal(shapes)
	require.NoError(t, err)
	for minor, python := range pythons(t) {
		t.Run(fmt.Sprintf("3.%d", minor), func(t *testing.T) {
			cmd := exec.Command(python, "-c", edgeOracle)
			cmd.Stdin = bytes.NewReader(in)
			out, err := cmd.Output()
			require.NoError(t, err)
			var want []int
			require.NoError(t, json.Unmarshal(out, &want))
			for i, s := range depthShapes {
				lo, hi := 1, 8000
				for lo < hi {
					m := (lo + hi) / 2
					if e := Parse([]byte(s.prefix+strings.Repeat(s.unit, m)+s.suffix), minor); e != nil && e.Type == "MemoryError" {
						hi = m
					} else {
						lo = m + 1
					}
				}
				t.Logf("3.%d %s: MemoryError from %d here, %d in CPython", minor, s.name, lo, want[i])
				assert.InDelta(t, want[i], lo, 2, "3.%d %s", minor, s.name)
			}
			e := Parse([]byte("x = "+strings.Repeat("-", 7000)+"1\n"), minor)
			require.NotNil(t, e)
			if minor >= 12 {
				assert.Equal(t, "Parser stack overflowed - Python source too complex to parse", e.Msg)
			} else {
				assert.Equal(t, "", e.Msg)
			}
		})
	}
}
