package python

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// Any shape of about a megabyte is parsed in bounded time and memory, and
// none overflows the Go stack: 64 MiB allocated at most (the tokens, and a
// memo of fixed size), and 3 s (30 s under the race detector), which a
// parse worse than linear misses by minutes. Issue 22's second is not met
// yet by the one-line list (about 1.45 s here; deep brackets and calls
// take 0.7 to 0.8 s): each rule is a closure-heavy function for now.
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

// megabyteShapes are sources of about a megabyte in the shapes that make
// parsers slow or deep: one line, many lines, deep brackets, long chains,
// long strings, an unclosed nesting, an error at the very end.
//
// Under the race detector (make test runs every package under it) they
// are an eighth of that: the parser is one goroutine, and a parse worse
// than linear is still minutes over its bound.
func megabyteShapes() map[string]string {
	k := 1
	if raceEnabled {
		k = 8
	}
	return map[string]string{
		"one line":    "x = [" + strings.Repeat("(),", 350_000/k) + "]\n",
		"many lines":  strings.Repeat("x = f'{a!r:>{w}} {{b}}' + 1_000 + 0x_ff  # c\n", 23_000/k),
		"deep":        strings.Repeat("x = "+strings.Repeat("(", 199)+"1"+strings.Repeat(")", 199)+"\n", 2_500/k),
		"unary":       "x = " + strings.Repeat("-", 1<<20/k) + "1\n",
		"attributes":  "x = a" + strings.Repeat(".b", 1<<19/k) + "\n",
		"sum":         "x = 1" + strings.Repeat("+1", 1<<19/k) + "\n",
		"calls":       "x = f" + strings.Repeat("()", 1<<19/k) + "\n",
		"unclosed":    "x = " + strings.Repeat("(", 1<<20/k) + "\n",
		"lambdas":     "x = " + strings.Repeat("lambda: ", 1<<17/k) + "1\n",
		"statements":  strings.Repeat("if x:\n    y = [a for a in b if a] or {c: d for c, d in e}\n", 15_000/k),
		"bad at end":  strings.Repeat("x = (1, 2)\n", 90_000/k) + "x = = 1\n",
		"power chain": "x = 2" + strings.Repeat("**2", 1<<18/k) + "\n",
		"non-ascii":   "é = '" + strings.Repeat("é", 500_000/k) + "'; y = 1\n",
		"long string": "x = '''" + strings.Repeat("a\\n", 350_000/k) + "'''\n",
	}
}
