package validate

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Deeply nested input, the shapes an attacker writes: chains of unary,
// not, binary, attribute, call, subscript, power, lambda and conditional
// expressions, nested and unclosed brackets. The embedded checker gives
// CPython's verdict and error on each, 20 levels either side of CPython's
// limits (its compiler's near 2,990 levels, its tokenizer's 200 brackets),
// and neither it nor the DAG analysis may exhaust the Go stack (a fatal
// error no recover catches) at any size: each shape is also built at about
// 1 MiB.
func TestDeepNestingMatchesCPython(t *testing.T) {
	t.Parallel()
	python, minor := installedPython(t)
	shapes := []struct {
		name string
		make func(n int) string
	}{
		{"unary", func(n int) string { return "x = " + strings.Repeat("-", n) + "1\n" }},
		{"not", func(n int) string { return "x = " + strings.Repeat("not ", n) + "1\n" }},
		{"binary", func(n int) string { return "x = 1" + strings.Repeat("+1", n) + "\n" }},
		{"attribute", func(n int) string { return "x = a" + strings.Repeat(".b", n) + "\n" }},
		{"call", func(n int) string { return "x = f" + strings.Repeat("()", n) + "\n" }},
		{"subscript", func(n int) string { return "x = a" + strings.Repeat("[0]", n) + "\n" }},
		{"power", func(n int) string { return "x = 2" + strings.Repeat("**2", n) + "\n" }},
		{"lambda", func(n int) string { return "x = " + strings.Repeat("lambda: ", n) + "1\n" }},
		{"conditional", func(n int) string { return "x = " + strings.Repeat("1 if 1 else ", n) + "1\n" }},
		{"in a function", func(n int) string { return "def f():\n    return a" + strings.Repeat(".b", n) + "\n" }},
		{"parentheses", func(n int) string { return "x = " + strings.Repeat("(", n) + "1" + strings.Repeat(")", n) + "\n" }},
		{"unclosed", func(n int) string { return "x = " + strings.Repeat("(", n) + "\n" }},
		{"lists", func(n int) string { return "x = " + strings.Repeat("[", n) + strings.Repeat("]", n) + "\n" }},
	}
	var ms []mutant
	for _, sh := range shapes {
		sizes := []int{2970, 3010} // 20 levels either side of CPython's edge (2,985 to 3,000)
		if sh.name == "parentheses" || sh.name == "unclosed" || sh.name == "lists" {
			sizes = []int{199, 200, 201}
		}
		// and about 1 MiB of the chains that take distinct ways through
		// the parser (its recursion, its loops) and of brackets
		switch sh.name {
		case "unary", "attribute", "binary", "conditional", "parentheses", "unclosed", "lists":
			sizes = append(sizes, (1<<20)/(len(sh.make(1))-len(sh.make(0))))
		}
		for _, n := range sizes {
			ms = append(ms, mutant{base: sh.name, op: fmt.Sprint(n), src: []byte(sh.make(n))})
		}
	}
	want := cpythonVerdicts(t, python, ms)
	p := newParser()
	for i, m := range ms {
		start := time.Now()
		got := p.embeddedCheck(m.src, minor)
		a := p.analyze(m.src, "deep.py", minor)
		took := time.Since(start)
		label := fmt.Sprintf("%s x %s (%d bytes)", m.base, m.op, len(m.src))
		t.Logf("%s: CPython %s, embedded %s, %v", label, want[i], describe(got), took.Round(time.Millisecond))
		require.Equal(t, want[i].OK, got == nil, "%s: CPython %s, embedded %s", label, want[i], describe(got))
		if got == nil {
			continue
		}
		assert.Empty(t, a.dags, label)
		// The same error: its type (RecursionError, or MemoryError where
		// CPython's parser stack overflows first: ** and lambda chains,
		// any chain far past the limit), and a SyntaxError's place and
		// message.
		assert.Equal(t, want[i].Type, got.Type, label)
		if want[i].Type == "SyntaxError" {
			assert.Equal(t, []any{want[i].Line, want[i].Col, want[i].Msg}, []any{got.Line, got.Col, got.Msg}, label)
		}
	}
}

// CPython's limits on blocks: 99 indentation levels (the 100th is
// "too many levels of indentation"), and 20 frame blocks nested in one
// function (loops, with, try bodies, handlers, finally bodies; "too many
// statically nested blocks"), which a function or lambda starts afresh.
// The embedded checker gives the same verdict, line, column and message.
func TestBlockAndIndentLimitsMatchCPython(t *testing.T) {
	t.Parallel()
	python, minor := installedPython(t)
	nest := func(n int, unit string, header func(i int) string, tail func(i int) string, body string) string {
		var b strings.Builder
		for i := range n {
			b.WriteString(strings.Repeat(unit, i) + header(i) + "\n")
		}
		b.WriteString(strings.Repeat(unit, n) + body + "\n")
		for i := n - 1; i >= 0; i-- {
			if t := tail(i); t != "" {
				b.WriteString(strings.Repeat(unit, i) + t + "\n")
			}
		}
		return b.String()
	}
	none := func(int) string { return "" }
	fixed := func(s string) func(int) string { return func(int) string { return s } }
	shapes := map[string]func(n int) string{
		"if": func(n int) string { return nest(n, "    ", fixed("if x:"), none, "pass") },
		// tabs count 8 columns: 32 levels pass 255 columns
		"if, tabs":    func(n int) string { return nest(n, "\t", fixed("if x:"), none, "pass") },
		"for":         func(n int) string { return nest(n, " ", fixed("for a in b:"), none, "pass") },
		"while":       func(n int) string { return nest(n, " ", fixed("while x:"), none, "pass") },
		"with":        func(n int) string { return nest(n, " ", fixed("with a:"), none, "pass") },
		"try":         func(n int) string { return nest(n, " ", fixed("try:"), fixed("except E: pass"), "pass") },
		"try finally": func(n int) string { return nest(n, " ", fixed("try:"), fixed("finally: pass"), "pass") },
		"handler":     func(n int) string { return nest(n, " ", fixed("try: pass\n"+strings.Repeat(" ", 0)), none, "pass") },
		"loops in def": func(n int) string {
			return nest(15, " ", fixed("for a in b:"), none, nest(n, " ", fixed("def f():"), none, "pass"))
		},
	}
	// handler: each level's body is an except clause's
	shapes["handler"] = func(n int) string {
		var b strings.Builder
		for i := range n {
			pad := strings.Repeat(" ", i)
			b.WriteString(pad + "try: pass\n" + pad + "except E:\n")
		}
		b.WriteString(strings.Repeat(" ", n) + "pass\n")
		return b.String()
	}
	// in finally: n-2 loops, then a loop in a finally's body (nesting in
	// finally bodies costs CPython's compiler twice per level: one is
	// enough here)
	shapes["in finally"] = func(n int) string {
		var b strings.Builder
		for i := range n - 2 {
			b.WriteString(strings.Repeat(" ", i) + "for a in b:\n")
		}
		pad := strings.Repeat(" ", n-2)
		b.WriteString(pad + "try: pass\n" + pad + "finally:\n" + pad + " while x:\n" + pad + "  pass\n")
		return b.String()
	}
	shapes["loops in def"] = func(n int) string {
		var b strings.Builder
		for i := range 15 {
			b.WriteString(strings.Repeat(" ", i) + "for a in b:\n")
		}
		b.WriteString(strings.Repeat(" ", 15) + "def f():\n")
		for i := range n {
			b.WriteString(strings.Repeat(" ", 16+i) + "while x:\n")
		}
		b.WriteString(strings.Repeat(" ", 16+n) + "pass\n")
		return b.String()
	}
	sizes := map[string][]int{"if": {98, 99, 100, 150}, "if, tabs": {31, 32, 99, 100}, "for": {19, 20, 21, 40},
		"while": {20, 21}, "with": {20, 21}, "try": {20, 21}, "try finally": {20, 21}, "in finally": {20, 21}, "handler": {10, 11},
		"loops in def": {20, 21}}
	var ms []mutant
	for name, mk := range shapes {
		for _, n := range sizes[name] {
			ms = append(ms, mutant{base: name, op: fmt.Sprint(n), src: []byte(mk(n))})
		}
	}
	want := cpythonVerdicts(t, python, ms)
	p := newParser()
	for i, m := range ms {
		got := p.embeddedCheck(m.src, minor)
		label := fmt.Sprintf("%s x %s", m.base, m.op)
		t.Logf("%s: CPython %s, embedded %s", label, want[i], describe(got))
		if want[i].OK {
			assert.Nil(t, got, label)
			continue
		}
		if assert.NotNil(t, got, label) {
			assert.Equal(t, []any{want[i].Type, want[i].Line, want[i].Col, want[i].Msg}, []any{got.Type, got.Line, got.Col, got.Msg}, label)
		}
	}
}
