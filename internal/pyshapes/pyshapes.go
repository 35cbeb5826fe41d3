// Package pyshapes holds the shapes of Python source that make parsers
// slow or deep, at about a megabyte each: validate/python's bounds test
// and make bench (internal/benchparse) parse the same ones.
package pyshapes

import "strings"

// Megabyte returns the shapes at about a megabyte each, divided by k: one
// line, many lines, deep brackets, long chains, long strings, an unclosed
// nesting, an error at the very end.
func Megabyte(k int) map[string]string {
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
