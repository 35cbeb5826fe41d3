package python

import (
	"bytes"
	"encoding/json"
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
		// the grammar's cuts (~): after a for's 'in' (statement and
		// comprehension) and an augmented assignment's operator, no other
		// alternative (invalid_for_target, invalid_assignment) is tried
		"for d in x:\n for s in 0,0:\n  a\n   b\n", "for d in():\n for s in 0,0:\n  ()-s\n   )\n",
		"async def f():\n async for s in 0,0:\n  a\n   b\n", "for x in 1, 2:\n pass\n  y\n", "x = [a for b in 0, 1]\n",
		"x = [a for b in ]\n", "x = [a for b, 1 in c if]\n", "x += )\n", "x.y += 1 +\n", "x[0] += yield\n  y\n",
		// an invalid_ rule's expression is read up to where the rule
		// took it, not into what follows ("if" with no condition)
		"[a for b, 1 in c +]\n", "for b, 1 in c if:\n pass\n", "(a for b, 1 in c if)\n", "f(a for a in b if, c)\n",
		"with a as 1 if:\n pass\n", "del a, 1 if\n", "a, 1 = 2 if\n",
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
		"y = \"\\N{NBSP}\\N{bom}\\N{LATIN CAPITAL LETTER GHA}\\N{vs256}\" \"\\x4\"\n", "y = \"\\N{FVS4}\"\n", "y = \"\\N{LINE FEED (LF)}\"\n",
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

// utf8Oracle prints compile()'s verdict on each file named: its error's
// type, message, line and column.
const utf8Oracle = `
import json, sys
out = []
for path in sys.argv[1:]:
    try:
        with open(path, "rb") as f:
            compile(f.read(), path, "exec", dont_inherit=True)
        out.append(None)
    except SyntaxError as e:
        out.append([type(e).__name__, e.msg, e.lineno or 0, e.offset or 0])
    except UnicodeDecodeError as e:
        out.append([type(e).__name__, str(e), 0, 0])
print(json.dumps(out))
`

// Source that is not valid UTF-8 (with no coding comment, or a UTF-8 one or
// a BOM) is judged as compile() judges it: the bytes of a comment are never
// decoded; a name's are by the tokenizer, a string's by the string rule,
// each when the parse reaches it, so an earlier error comes first. The
// same error type, message, line and column in each version (3.12's
// f-string raises UnicodeDecodeError, with no place: here it keeps one).
func TestInvalidUTF8MatchesCompile(t *testing.T) {
	t.Parallel()
	cases := []string{
		"x = 1 # \xe9\n", "# coding: utf-8\nx = 1 # \xe9\n", "x = 1 # \xe9\n  y\n",
		"x = 1\n# \xe9\n  y = 1\n", "x = 1\ny = 2 +\n# \xe9\n", " -*- coding: latin-1 -*-\nx = '\xe9'\n",
		"x = '\xe9\xe9'\n", "x = '\xc3'\n", "x = '\x80'\n", "x = 'ab\xc3(c'\n", "x = '\xe0\xa0A'\n", "x = '\xf0\x90\x80'\n",
		"x = '\\\xe9'\n", "x = '\\n\xe9'\n", "x = '\\n\xe0\xa0A'\n", "x = b'\\\xe9'\n", "x = rb'\xe9'\n", "x = r'\xe9'\n", "x = u'\xe9'\n",
		"x = '''\n\xe9'''\n", "x = '\xe9' if 1 +\n", "x = ('\xe9',\n", "def f(x, x): '\xe9'\n", "x = '\xe9\n", "'\xe9' 'b'\n",
		"x\xe9 = 1\n", "x = 1 \xe9\n", "x = 1\n\xe9\xe9 = 2\n", "x = 1 + \xc3\n", "x = 1 + a\xc3\xa9\xc3\n", "x\xe2\x82\xac\xe9 = 1\n",
		"x = 1\n  '\xe9'\n", "def f(:\n  '\xe9'\n", "def f():\n  '\xe9'\n  return 1 +\n",
		"x = f'a\xe9'\n", "x = f'{a}\xe9'\n", "x = f'{a!r:\xe9}'\n",
	}
	for minor, python := range pythons(t) {
		t.Run(fmt.Sprintf("3.%d", minor), func(t *testing.T) {
			dir := t.TempDir()
			args := []string{"-I", "-c", utf8Oracle}
			for i, c := range cases {
				f := filepath.Join(dir, fmt.Sprintf("c%02d.py", i))
				require.NoError(t, os.WriteFile(f, []byte(c), 0o644))
				args = append(args, f)
			}
			out, err := exec.Command(python, args...).Output()
			require.NoError(t, err)
			var want [][]any
			require.NoError(t, json.Unmarshal(out, &want))
			for i, c := range cases {
				e := Parse([]byte(c), minor)
				if want[i] == nil {
					assert.Nil(t, e, "%q: CPython compiles it", c)
					continue
				}
				if !assert.NotNil(t, e, "%q: CPython says %v", c, want[i]) {
					continue
				}
				assert.Equal(t, want[i][0], e.Type, "%q", c)
				assert.Equal(t, want[i][1], e.Msg, "%q", c)
				if want[i][0] != "UnicodeDecodeError" {
					assert.Equal(t, want[i][2:], []any{float64(e.Line), float64(e.Col)}, "%q: %v", c, want[i])
				}
			}
		})
	}
}

// An error CPython finds at the end of the file (a block never given, an
// `except` never written, a decorator with nothing after it) stands at the
// end of the file's last line, which a final newline does not begin:
// after its comment or its spaces, whatever blank lines or comments come
// between, as compile() places it in each version.
func TestErrorsAtTheEndMatchCompile(t *testing.T) {
	t.Parallel()
	var cases []string
	for _, head := range []string{"if x:\n", "@dec\n", "class A:\n", "try:\n  pass\n", "def f():\n  x = 1 if y\n", "x = 1\nif x:\n  pass\nelse:\n", "def f(): # c\n"} {
		for _, tail := range []string{"", "\n", "    \n", "    \n\n", "    ", "\n    ", "# c\n", "# c", "  # c\n", "  # c\n\n", "  # c\n  \n", "\n\n  # c", "   \n# c\n   ", "\t\n", "  # é\n"} {
			cases = append(cases, head+tail)
		}
	}
	// 3.9 reads its strings' escapes when its parser has reached the end,
	// and places their errors there
	cases = append(cases, "x = ('\\x4'", "f('\\x4'", "x = ['\\x4'", "x = ('\\x4' +", "x = ('a' '\\x4'", "x = {'\\x4': 1",
		"x = (b'\\xff' 'a'", "(\n'\\x4'\n\n", "f(a,\n  '\\x4'\n  # c\n", "x = f'{a}\\x4'\n(", "x = ('\\x4'\n\n\n", "[b'\\x4'\n",
		"[b'\\xé'\n", "['\\N{NOPE}'")
	sameAsCompile(t, cases)
}

// A tokenizer error after the line where the parser stopped replaces the
// parser's error as compile() lets it: never in 3.9 (its tokenizer stops
// where its parser did); from 3.10, one its tokenizer raises (an
// unterminated string, an unmatched bracket, a bad number), not one it
// only signals (a character after a line continuation, the end of the
// file after one, indentation, from 3.12 anything inside an f-string).
func TestLaterTokenizerErrorsMatchCompile(t *testing.T) {
	t.Parallel()
	sameAsCompile(t, []string{"x = 1 +\ny = 2 \\ 3\n", "x = 1 +\ny = 2 $\n", "x = 1 +\ny = 2 ?\n", "x = 1 +\ny = 2 €\n", "x = 1 +\ny = 2 !\n", "x = 1 +\ny = 'abc\n", "x = 1 +\ny = 2)\n", "x = 1 +\ny = 0777\n", "x = 1 +\n  y = 2\n z = 3\n", "x = 1 +\nif 1:\n        a\n\tb\n", "def f(:\n  x = 1 \\ 2\n", "x = (1 +\n  2 \\ 3\n", "x = 1 +\ny = '''abc\n", "x = 1 +\ny = 1_\n", "x = 1 +\ny = 0x\n", "x = 1 +\ny = 1e\n", "x = 1 +\ny = f'{'\n", "x = 1 +\ny = (]\n", "x = 1 +\n" + "(" + "(((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((" + "\n", "x = 1 +\ny = 1\\\n", "x = 1 +\ny = f'{'\n", "x = 1 +\ny = f'{a'\n", "x = 1 +\ny = f'{a!'\n", "x = 1 +\ny = f'{a!r'\n", "x = 1 +\ny = f'{a:'\n", "x = 1 +\ny = f'}'\n", "x = 1 +\ny = f'{}'\n", "x = 1 +\ny = f'{a!x}'\n", "x = 1 +\ny = f'{!r}'\n", "x = 1 +\ny = f'{a=!r:x'\n", "x = 1 +\ny = f'{a b}'\n", "x = 1 +\ny = f\"{'\"\n", "x = 1 +\ny = f'abc\n", "x = 1 +\ny = f'{a:{'\n", "x = 1 +\ny = f'{a:{b'\n", "x = 1 +\ny = f'''{\n'''\n"})
}

// Every name alias \N{...} knows here is one CPython's database knows, for
// the same code point, from the same version (case aside); and a few it
// does not know are not.
func TestNameAliasesMatchCPython(t *testing.T) {
	t.Parallel()
	names := []string{"LINE FEED (LF)", "NO SUCH ALIAS", "BELL"}
	for n := range nameAliases {
		names = append(names, n, strings.ToLower(n))
	}
	in, err := json.Marshal(names)
	require.NoError(t, err)
	for minor, python := range pythons(t) {
		cmd := exec.Command(python, "-I", "-c", `import json, sys, unicodedata
out = []
for n in json.load(sys.stdin):
    try:
        out.append(ord(unicodedata.lookup(n)))
    except KeyError:
        out.append(-1)
print(json.dumps(out))`)
		cmd.Stdin = bytes.NewReader(in)
		out, err := cmd.Output()
		require.NoError(t, err)
		var want []int
		require.NoError(t, json.Unmarshal(out, &want))
		for i, n := range names {
			r, ok := runeNamed(n, minor)
			if !ok {
				r = -1
			}
			assert.Equal(t, want[i], int(r), "3.%d: \\N{%s}", minor, n)
		}
	}
}
