package python

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// corpusFiles are the files the differential tests read for Python
// 3.minor: the corpus (its 3.12 and 3.13 folders from those versions on),
// and the interpreter's standard library, its top level (all of it with
// DAGNFS_STDLIB=all), unless short.
func corpusFiles(t *testing.T, python string, minor int) []string {
	files := pyFiles(t, "../testdata/pycorpus/valid", "../testdata/pycorpus/invalid", "../testdata/realdags")
	if minor >= 12 {
		files = append(files, pyFiles(t, "../testdata/pycorpus/valid312")...)
	}
	if minor >= 13 {
		files = append(files, pyFiles(t, "../testdata/pycorpus/valid313")...)
	}
	if testing.Short() {
		return files
	}
	out, err := exec.Command(python, "-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])").Output()
	require.NoError(t, err)
	stdlib := strings.TrimSpace(string(out))
	if os.Getenv("DAGNFS_STDLIB") == "all" {
		return append(files, pyFiles(t, stdlib)...)
	}
	top, err := filepath.Glob(filepath.Join(stdlib, "*.py"))
	require.NoError(t, err)
	return append(files, top...)
}

// The front end (ParseFile: the parser and the checks after parsing)
// accepts every file CPython compiles, for each Python found, and refuses
// every file CPython refuses with its generic "invalid syntax" at the same
// line and column. How often its other errors are CPython's is logged:
// not all of the second pass's invalid_ rules are written yet.
func TestParseMatchesCPython(t *testing.T) {
	t.Parallel() // the measuring tests run alone first
	for minor, python := range pythons(t) {
		t.Run(fmt.Sprintf("3.%d", minor), func(t *testing.T) {
			files := corpusFiles(t, python, minor)
			var accepted, refused, generic, bothRefuse, sameLine, sameError int
			var wrong []string
			start := time.Now()
			for _, o := range runOracle(t, python, files) {
				if strings.Contains(o.Error, "encoding") || o.Skip != "" && o.Skip != "ERRORTOKEN" && o.Compile == nil {
					continue
				}
				raw, err := os.ReadFile(o.File)
				require.NoError(t, err)
				src := bytes.TrimPrefix(Normalize(raw), []byte("\ufeff"))
				_, e := ParseFile(src, minor)
				switch {
				case o.Compile == nil:
					accepted++
					if e != nil {
						wrong = append(wrong, fmt.Sprintf("%s: CPython compiles it; ours: %v", o.File, e))
					}
				case o.Compile[0] == "invalid syntax":
					// CPython's generic error, where its first pass
					// stopped: ours must be the same.
					refused++
					generic++
					// 3.9 puts it where its second pass (the invalid_
					// rules, not written yet) stopped: refused is enough.
					exact := e != nil && e.Msg == "invalid syntax" && float64(e.Line) == o.Compile[1] && float64(e.Col) == o.Compile[2]
					if e == nil || !exact && minor > 9 {
						wrong = append(wrong, fmt.Sprintf("%s: CPython: invalid syntax (line %v, column %v); ours: %v", o.File, o.Compile[1], o.Compile[2], e))
					} else {
						bothRefuse++
						if float64(e.Line) == o.Compile[1] {
							sameLine++
						}
						if exact {
							sameError++
						}
					}
				case e != nil:
					refused++
					bothRefuse++
					if float64(e.Line) == o.Compile[1] {
						sameLine++
						if e.Msg == o.Compile[0] && float64(e.Col) == o.Compile[2] {
							sameError++
						}
					}
				default:
					refused++
				}
			}
			t.Logf("3.%d: %d files CPython compiles, %d it refuses (%d with its generic \"invalid syntax\"); %d refused here (same line %d, same message and column %d); %d differences; %v",
				minor, accepted, refused, generic, bothRefuse, sameLine, sameError, len(wrong), time.Since(start).Round(time.Millisecond))
			if len(wrong) > 10 {
				wrong = wrong[:10]
			}
			assert.Empty(t, wrong)
		})
	}
}

// The second pass's errors (the invalid_ rules written so far) are
// compile()'s, message, line and column, for each Python found: each
// rule's case here, and every file of the corpus whose CPython error is
// one of them (TestParseMatchesCPython counts the others).
func TestSecondPassMatchesCompile(t *testing.T) {
	t.Parallel() // the measuring tests run alone first
	cases := []string{
		"if x\n    pass\n", "if x:\npass\n", "if x:\n    pass\nelif y\n    pass\n", "if x:\n    pass\nelif y:\npass\n",
		"if x:\n    pass\nelse:\npass\n", "while x\n    pass\n", "while x:\npass\n", "for a in b\n    pass\n",
		"for a in b:\npass\n", "async def f():\n    async for a in b:\n    pass\n", "with a as b\n    pass\n",
		"with a as b:\npass\n", "with (a as b, c):\npass\n", "with (a, b)\n    pass\n", "try:\npass\n",
		"try:\n    pass\nx = 1\n", "try:\n    pass\nexcept E\n    pass\n", "try:\n    pass\nexcept E as e:\npass\n",
		"try:\n    pass\nexcept:\npass\n", "try:\n    pass\nexcept\n    pass\n", "try:\n    pass\nfinally:\npass\n",
		"try:\n    pass\nexcept* E:\npass\n", "try:\n    pass\nexcept*:\n    pass\n", "def f():\nreturn 1\n",
		"def f\n    pass\n", "def f(x) -> int\n    pass\n", "class C\n    pass\n", "class C(B):\npass\n",
		"match x\n    case 1: pass\n", "match x:\npass\n", "match x:\n    case 1\n        pass\n",
		"match x:\n    case 1:\n    pass\n", "x = [1, 2 3]\n", "f(a b)\n", "x = {'a': 1 'b': 2}\n",
		"print 'hello'\n", "exec 'code'\n", "print x, y\n", "x = 1 if y\n", "x = [a for a in b if c if]\n",
		"if x:\n  y\n z\n", "x = (1,\n2\ny = 3\n", "class C:\n    def f(self):\n    pass\n",
		"def f(a=1, b):\n    pass\n", "def f(a, /, b=1, c):\n    pass\n", "lambda a=1, b: 0\n",
		"try:\n    pass\nexcept A, B:\n    pass\n", "try:\n    pass\nexcept A, B as e:\n    pass\n",
		"f(a=1, b)\n", "f(**k, b)\n", "f(a, *b, c=1, d)\n", "from m import a, b,\n",
		"x = f'{}'\n", "x = f'{=}'\n", "x = f'{!r}'\n", "x = f'{:>3}'\n", "x = f'{x!z}'\n", "x = f'a}'\n",
		"x = f'{x'\n", "x = f'{x!r:>{w}}' + f'{{}}' + f'{a[1]:{b}}' + f'{d[\"k\"]}'\n", "x = f'{a b}'\n",
		"x = f'{x:{y:{z}}}'\n", "x = f'{3:{\"}\"}>10}' + f'{2:{\"{\"}>10}'\n", "x = f'{x!}'\n", "x = f'{#}'\n",
	}
	sameAsCompile(t, cases)
}

// sameAsCompile: Parse gives compile()'s error (message, line, column) on
// each case, for each Python found.
func sameAsCompile(t *testing.T, cases []string) {
	for minor, python := range pythons(t) {
		t.Run(fmt.Sprintf("3.%d", minor), func(t *testing.T) {
			for i, o := range oracleOf(t, python, cases) {
				e := Parse([]byte(cases[i]), minor)
				if o.Compile == nil {
					assert.Nil(t, e, "%q: CPython compiles it", cases[i])
					continue
				}
				require.NotNil(t, e, "%q: CPython says %v", cases[i], o.Compile)
				assert.Equal(t, o.Compile, []any{e.Msg, float64(e.Line), float64(e.Col)}, "%q", cases[i])
			}
		})
	}
}

// The errors CPython raises as it reads string literals (escapes the
// codec refuses, bytes outside ASCII, bytes beside str) are compile()'s,
// message, line and column, in each version: before 3.12 where the parser
// stands, from 3.12 at the literal.
func TestLiteralErrorsMatchCompile(t *testing.T) {
	t.Parallel() // the measuring tests run alone first
	sameAsCompile(t, []string{
		"x = b\"a\" \"b\"\n", "x = \"a\" b\"b\" + 1\n", "x = f\"a\" b\"b\"\n", "y = \"\\xZ\"\n", "y = \"ab\\x4\"\n", "y = \"é\\x4\"\n",
		"y = \"\\u12\"\n", "y = \"\\U0011FFFF\"\n", "y = \"\\N{NOPE}\"\n", "y = \"\\N\"\n", "y = \"\\N{DASH\"\n", "y = \"\\N{}\"\n",
		"y = \"\\N{BULLET}\\N{bullet}\\N{CJK UNIFIED IDEOGRAPH-4E00}\\N{HANGUL SYLLABLE GAG}\"\n", "y = b\"\\x4\"\n", "y = b\"é\"\n",
		"y = \"a\" \"\\x4\"\n", "y = f\"\\x4\"\n", "y = f\"{x}\\x4\"\n", "y = f\"{{\\x4\"\n", "y = f\"{x:\\x4}\"\n", "y = \"\\x4\" if (\n",
		"y = r\"\\x4\"\n", "y = b\"\\777\"\n", "y = \"\\777\"\n", "f(\"\\x4\", 1 2)\n", "f(1 2, \"\\x4\")\n",
		"y = 'ok'\nz = '\\x'\n", "y = \"\\\\x4\"\n", "y = rb\"\\x4\" b'\\x41'\n", "y = \"é\" \"\\N{NOPE}\"\n", "y = u\"\\u00e9\" \"\\xe9\"\n",
	})
}

// The hard keywords are CPython's (keyword.kwlist) in every version found
// (3.9's __peg_parser__ included), and nothing else is one: not its soft
// keywords nor any builtin name.
func TestKeywordsAreCPythons(t *testing.T) {
	for minor, python := range pythons(t) {
		out, err := exec.Command(python, "-I", "-c",
			"import builtins, keyword; print(' '.join(keyword.kwlist)); print(' '.join(getattr(keyword, 'softkwlist', []) + dir(builtins)))").Output()
		require.NoError(t, err)
		lines := strings.SplitN(string(out), "\n", 2)
		require.Len(t, lines, 2)
		p := &parser{minor: minor}
		hard := map[string]bool{}
		for _, w := range strings.Fields(lines[0]) {
			hard[w] = true
			assert.True(t, p.keyword(w), "3.%d: %s", minor, w)
		}
		for _, w := range strings.Fields(lines[1]) {
			assert.Equal(t, hard[w], p.keyword(w), "3.%d: %s", minor, w)
		}
		assert.Equal(t, minor == 9, p.keyword("__peg_parser__"), "3.%d", minor)
	}
	for _, w := range []string{"", "print", "exec", "Falsey", "none", "iff", "a"} {
		assert.False(t, isKeyword(w), w)
	}
}
