package validate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The differential test: single-edit mutants of every valid file in the
// corpus, in testdata/realdags and in examples/, judged by the installed
// CPython and by the embedded checker. The verdicts must agree on every
// mutant; the line must agree on nearly all rejected ones.
//
// DAGNFS_MUTANTS sets the mutants per file (default 12, make fuzz runs far
// more) and DAGNFS_MUTANT_SEED the seeds (comma-separated, default 1,2), so
// that a difference found by a long run can be replayed.
func TestEmbeddedCheckerMatchesCPythonOnMutants(t *testing.T) {
	python, minor := installedPython(t)
	bases := mutantBases(t, minor)
	require.GreaterOrEqual(t, len(bases), 40, "the valid files the mutants start from")
	compareMutants(t, python, minor, bases, envInt(t, "DAGNFS_MUTANTS", 12), 98.0)
}

// The same on code no one here wrote: files of the installed Python's
// standard library and site-packages, a fixed sample of them (every file
// with DAGNFS_STDLIB=all, as make fuzz runs it).
func TestEmbeddedCheckerMatchesCPythonOnLibraryMutants(t *testing.T) {
	python, minor := installedPython(t)
	all := os.Getenv("DAGNFS_STDLIB") == "all"
	files := libraryFiles(t, python, all)
	perFile := 12
	if all {
		perFile = 2
	} else {
		files = sample(slices.DeleteFunc(files, func(m mutant) bool { return len(bytes.TrimSpace(m.src)) == 0 }), 80)
	}
	var bases []baseFile
	for _, f := range files {
		if len(bytes.TrimSpace(f.src)) > 0 {
			bases = append(bases, baseFile{name: f.base, src: f.src})
		}
	}
	require.GreaterOrEqual(t, len(bases), 40, "the library files the mutants start from")
	compareMutants(t, python, minor, bases, envInt(t, "DAGNFS_MUTANTS", perFile), 99.0)
}

// compareMutants judges every base and single-edit mutants of it with
// CPython and the embedded checker: the verdicts must agree on every one,
// the error class on every rejected one, the line on minLine percent.
func compareMutants(t *testing.T, python string, minor int, bases []baseFile, perFile int, minLine float64) {
	t.Helper()
	seeds := "1,2"
	if v := os.Getenv("DAGNFS_MUTANT_SEED"); v != "" {
		seeds = v
	}
	// The files themselves first: valid, and to be found so.
	var mutants []mutant
	for _, b := range bases {
		mutants = append(mutants, mutant{base: b.name, op: "original", src: b.src, at: "-"})
	}
	for _, s := range strings.Split(seeds, ",") {
		seed, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
		require.NoError(t, err, "DAGNFS_MUTANT_SEED: seeds separated by commas")
		for i, b := range bases {
			r := rand.New(rand.NewPCG(seed, uint64(i)))
			seen := map[string]bool{}
			for tries := 0; len(seen) < perFile && tries < perFile*4; tries++ {
				src, op := mutate(r, b.src)
				if seen[string(src)] || bytes.Equal(src, b.src) {
					continue
				}
				seen[string(src)] = true
				mutants = append(mutants, mutant{base: b.name, op: op, src: src, at: editAt(b.src, src)})
			}
		}
	}
	verdicts := cpythonVerdicts(t, python, mutants)
	got := embeddedVerdicts(mutants, minor)

	var differ []string
	rejected, sameLine, sameCol, sameClass, atStack := 0, 0, 0, 0, 0
	byOp := map[string][2]int{}
	for i, m := range mutants {
		want, got := verdicts[i], got[i]
		if (got == nil) != want.OK {
			differ = append(differ, fmt.Sprintf("%s (%s at %s): CPython %s, embedded %s\n%s", m.base, m.op, m.at, want, describe(got), excerpt(m.src, want.Line, got)))
			continue
		}
		if want.OK {
			continue
		}
		rejected++
		n := byOp[m.op]
		n[1]++
		if got.Line == want.Line {
			sameLine++
			n[0]++
			if got.Col == want.Col {
				sameCol++
			}
		} else if testing.Verbose() {
			t.Logf("line: %s (%s at %s): CPython %s, embedded %s\n%s", m.base, m.op, m.at, want, describe(got), excerpt(m.src, want.Line, got))
		}
		byOp[m.op] = n
		switch {
		case errClass(got.Type) == errClass(want.Type):
			sameClass++
		case got.Type == "MemoryError" || want.Type == "MemoryError":
			// At the parser's stack limit (the README's known
			// differences): both refuse the file, one with MemoryError.
			atStack++
			t.Logf("at the stack limit: %s (%s at %s): CPython %s, embedded %s", m.base, m.op, m.at, want, describe(got))
		default:
			t.Logf("class: %s (%s at %s): CPython %s, embedded %s\n%s", m.base, m.op, m.at, want, describe(got), excerpt(m.src, want.Line, got))
		}
	}
	for _, op := range slices.Sorted(maps.Keys(byOp)) {
		t.Logf("%-16s same line %d of %d", op, byOp[op][0], byOp[op][1])
	}
	t.Logf("Python 3.%d, %d files, %d mutants (seeds %s): %d verdicts differ; of %d rejected, %d same line (%.1f%%), %d same line and column (%.1f%%), %d same class, %d MemoryError on one side only",
		minor, len(bases), len(mutants), seeds, len(differ), rejected, sameLine, pct(sameLine, rejected), sameCol, pct(sameCol, rejected), sameClass, atStack)
	for i, d := range differ {
		if i == 20 {
			t.Logf("... and %d more", len(differ)-20)
			break
		}
		t.Log(d)
	}
	require.Empty(t, differ, "the embedded checker and CPython must agree on every mutant")
	require.GreaterOrEqual(t, pct(sameLine, rejected), minLine, "CPython's line on at least %.0f%% of rejected mutants (the README says so)", minLine)
	require.Equal(t, rejected, sameClass+atStack, "IndentationError/TabError against SyntaxError")
	require.LessOrEqual(t, pct(atStack, rejected), 0.1, "MemoryError (the parser's stack) on one side only: at most 0.1%% of rejected mutants (the README says so)")
}

// embeddedVerdicts is the embedded checker's verdict on each mutant, on
// every core (a parser each).
func embeddedVerdicts(ms []mutant, minor int) []*pyError {
	out := make([]*pyError, len(ms))
	var wg sync.WaitGroup
	var next atomic.Int64
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := newParser()
			for i := int(next.Add(1)) - 1; i < len(ms); i = int(next.Add(1)) - 1 {
				out[i] = p.embeddedCheck(ms[i].src, minor)
			}
		}()
	}
	wg.Wait()
	return out
}

// libraryFiles are the .py files under 1 MiB of the installed Python's
// standard library and site-packages, in path order: all of them, or the
// standard library's top level and 1,000 of site-packages.
func libraryFiles(t *testing.T, python string, all bool) []mutant {
	t.Helper()
	out, err := exec.Command(python, "-I", "-c", "import sysconfig; p = sysconfig.get_paths(); print(p['stdlib']); print(p['purelib'])").Output()
	require.NoError(t, err)
	roots := strings.Fields(string(out))
	require.Len(t, roots, 2, "stdlib and purelib of %s", python)
	var ms []mutant
	for i, root := range roots {
		var found []mutant
		top := i == 0 && !all
		require.NoError(t, filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return nil // unreadable corners of an installation
			}
			if d.IsDir() && p != root && (top || i == 0 && p == roots[1]) {
				return filepath.SkipDir // the stdlib's walk leaves site-packages to the second
			}
			if d.Type().IsRegular() && strings.HasSuffix(p, ".py") {
				src, err := os.ReadFile(p)
				if err == nil && len(src) < 1<<20 {
					found = append(found, mutant{base: p, src: src})
				}
			}
			return nil
		}))
		if i == 1 && !all {
			found = sample(found, 1000)
		}
		ms = append(ms, found...)
	}
	return ms
}

// sample takes n of ms spread evenly over them (all of them when fewer).
func sample(ms []mutant, n int) []mutant {
	if len(ms) <= n {
		return ms
	}
	out := make([]mutant, 0, n)
	for i := range n {
		out = append(out, ms[i*len(ms)/n])
	}
	return out
}

// installedPython is python3 and its minor version: the CPython the
// embedded checker is compared with. make deps installs it.
func installedPython(t *testing.T) (string, int) {
	t.Helper()
	python, err := exec.LookPath("python3")
	require.NoError(t, err, "the comparison with CPython needs python3 (make deps installs it)")
	out, err := exec.Command(python, "-I", "-c", "import sys; print(sys.version_info[1])").Output()
	require.NoError(t, err)
	minor, err := strconv.Atoi(strings.TrimSpace(string(out)))
	require.NoError(t, err)
	return python, minor
}

type mutant struct {
	base, op string
	src      []byte
	at       string // where the edit is: "line:col"
}

// editAt says where a mutant first differs from its base.
func editAt(base, m []byte) string {
	i := 0
	for i < len(base) && i < len(m) && base[i] == m[i] {
		i++
	}
	line := bytes.Count(m[:i], []byte("\n")) + 1
	return fmt.Sprintf("%d:%d", line, i-bytes.LastIndexByte(m[:i], '\n'))
}

type baseFile struct {
	name string
	src  []byte
}

// mutantBases returns the files CPython 3.minor compiles: the corpus's valid
// files (by the committed verdicts), testdata/realdags and examples.
func mutantBases(t *testing.T, minor int) []baseFile {
	t.Helper()
	var names []string
	for _, v := range readVerdicts(t, min(max(minor, 11), 13)) {
		if v.Compile.OK {
			names = append(names, filepath.Join(corpus, v.File))
		}
	}
	for _, root := range []string{"testdata/realdags", "../examples"} {
		require.NoError(t, filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".py") {
				names = append(names, path)
			}
			return err
		}))
	}
	var out []baseFile
	for _, n := range names {
		src, err := os.ReadFile(n)
		require.NoError(t, err)
		if len(bytes.TrimSpace(src)) == 0 {
			continue
		}
		out = append(out, baseFile{name: n, src: src})
	}
	return out
}

type cpVerdict struct {
	OK   bool   `json:"ok"`
	Type string `json:"type"`
	Line int    `json:"line"`
	Col  int    `json:"col"`
	Msg  string `json:"msg"`
}

func (v cpVerdict) String() string {
	if v.OK {
		return "compiles"
	}
	return fmt.Sprintf("%s line %d col %d %q", v.Type, v.Line, v.Col, v.Msg)
}

// diffScript reads JSON strings (latin-1 text standing for bytes) and prints
// compile()'s verdict on each.
const diffScript = `
import json, sys
for raw in sys.stdin:
    src = json.loads(raw).encode("latin-1")
    r = {"ok": True}
    try:
        compile(src, "<mutant>", "exec", dont_inherit=True)
    except SyntaxError as e:
        r = {"ok": False, "type": type(e).__name__, "line": e.lineno or 0, "col": e.offset or 0, "msg": e.msg}
    except (ValueError, UnicodeDecodeError, RecursionError, MemoryError) as e:
        r = {"ok": False, "type": type(e).__name__, "line": 0, "col": 0, "msg": str(e)}
    print(json.dumps(r), flush=True)
`

func cpythonVerdicts(t *testing.T, python string, ms []mutant) []cpVerdict {
	t.Helper()
	var in bytes.Buffer
	for _, m := range ms {
		runes := make([]rune, len(m.src))
		for i, b := range m.src {
			runes[i] = rune(b)
		}
		b, err := json.Marshal(string(runes))
		require.NoError(t, err)
		in.Write(b)
		in.WriteByte('\n')
	}
	cmd := exec.Command(python, "-I", "-S", "-B", "-c", diffScript)
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	var vs []cpVerdict
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var v cpVerdict
		require.NoError(t, json.Unmarshal(sc.Bytes(), &v))
		vs = append(vs, v)
	}
	require.Len(t, vs, len(ms))
	return vs
}

func describe(e *pyError) string {
	if e == nil {
		return "compiles"
	}
	return fmt.Sprintf("%s line %d col %d %q", e.Type, e.Line, e.Col, e.Msg)
}

func errClass(typ string) string {
	if typ == "TabError" {
		return "IndentationError"
	}
	return typ
}

func excerpt(src []byte, line int, got *pyError) string {
	if line == 0 && got != nil {
		line = got.Line
	}
	lines := strings.Split(string(src), "\n")
	var b strings.Builder
	for i := max(line-3, 1); i <= min(line+1, len(lines)); i++ {
		fmt.Fprintf(&b, "    %4d| %s\n", i, lines[i-1])
	}
	return b.String()
}

func pct(a, b int) float64 {
	if b == 0 {
		return 100
	}
	return 100 * float64(a) / float64(b)
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	require.NoError(t, err, "%s must be a number", name)
	return n
}

// pyTokens splits source into rough tokens: names/numbers, strings' quotes,
// operators and brackets one byte each, and whitespace runs.
func pyTokens(src []byte) [][2]int {
	var out [][2]int
	for i := 0; i < len(src); {
		j := i + 1
		switch c := src[i]; {
		case isIdent(c):
			for j < len(src) && isIdent(src[j]) {
				j++
			}
		case c == ' ' || c == '\t':
			for j < len(src) && (src[j] == ' ' || src[j] == '\t') {
				j++
			}
		}
		out = append(out, [2]int{i, j})
		i = j
	}
	return out
}

// isIdent: c may be part of a name (any byte of a character outside ASCII).
func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

var mutantBytes = []byte("()[]{}:,.=+-*/%<>!@'\"#\\\n \tax0_;")

var mutantWords = []string{"if", "else", "def", "class", "return", "yield", "lambda", "in", "not", "is", "await",
	"async", "for", "import", "from", "pass", "with", "as", "try", "except", "None", "print", "f\"", "b'", "'''", "match", "case"}

// mutate makes one single edit.
func mutate(r *rand.Rand, src []byte) ([]byte, string) {
	toks := pyTokens(src)
	pos := r.IntN(len(src))
	out := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	switch r.IntN(13) {
	case 11:
		return breakHeader(r, src), "header"
	case 12:
		return nest(r, src, toks), "nest"
	case 0:
		return out(src[:pos], src[pos+1:]), "delete-char"
	case 1:
		return out(src[:pos], []byte{mutantBytes[r.IntN(len(mutantBytes))]}, src[pos:]), "insert-char"
	case 2:
		return out(src[:pos], []byte{mutantBytes[r.IntN(len(mutantBytes))]}, src[pos+1:]), "replace-char"
	case 3:
		tk := toks[r.IntN(len(toks))]
		return out(src[:tk[0]], src[tk[1]:]), "delete-token"
	case 4:
		tk := toks[r.IntN(len(toks))]
		return out(src[:tk[0]], src[tk[0]:tk[1]], src[tk[0]:]), "duplicate-token"
	case 5:
		tk := toks[r.IntN(len(toks))]
		return out(src[:tk[0]], []byte(mutantWords[r.IntN(len(mutantWords))]), src[tk[1]:]), "replace-token"
	case 6:
		i := r.IntN(len(toks))
		if i+2 >= len(toks) {
			return out(src[:pos], src[pos+1:]), "delete-char"
		}
		a, b := toks[i], toks[i+2] // skip the token between (often a space)
		return out(src[:a[0]], src[b[0]:b[1]], src[a[1]:b[0]], src[a[0]:a[1]], src[b[1]:]), "swap-tokens"
	case 7, 8:
		// indentation: add or remove spaces, or a tab, at a line start
		starts := []int{0}
		for i, c := range src {
			if c == '\n' && i+1 < len(src) {
				starts = append(starts, i+1)
			}
		}
		s := starts[r.IntN(len(starts))]
		switch r.IntN(4) {
		case 0:
			return out(src[:s], []byte("    "), src[s:]), "indent"
		case 1:
			return out(src[:s], []byte(" "), src[s:]), "indent"
		case 2:
			return out(src[:s], []byte("\t"), src[s:]), "indent"
		}
		e := s
		for e < len(src) && e < s+4 && src[e] == ' ' {
			e++
		}
		return out(src[:s], src[e:]), "dedent"
	case 9:
		// unbalance brackets: drop or add one
		var at []int
		for i, c := range src {
			if bytes.IndexByte([]byte("()[]{}"), c) >= 0 {
				at = append(at, i)
			}
		}
		if len(at) == 0 {
			return out(src[:pos], []byte("("), src[pos:]), "bracket"
		}
		i := at[r.IntN(len(at))]
		if r.IntN(2) == 0 {
			return out(src[:i], src[i+1:]), "bracket"
		}
		return out(src[:i], src[i:i+1], src[i:]), "bracket"
	default:
		// split strings: a newline or a quote inside (or next to) a string
		var at []int
		for i, c := range src {
			if c == '"' || c == '\'' {
				at = append(at, i)
			}
		}
		if len(at) == 0 {
			return out(src[:pos], []byte("\""), src[pos:]), "string"
		}
		i := at[r.IntN(len(at))] + r.IntN(3)
		i = min(i, len(src))
		ins := []string{"\n", "\"", "'", "\\\n", "{", "}"}[r.IntN(6)]
		return out(src[:i], []byte(ins), src[i:]), "string"
	}
}

var compoundWords = []string{"if", "elif", "else", "for", "while", "def", "class", "with", "try", "except", "finally", "match", "case", "async"}

// lineStarts are the offsets where src's lines begin.
func lineStarts(src []byte) []int {
	starts := []int{0}
	for i, c := range src {
		if c == '\n' && i+1 < len(src) {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// breakHeader breaks a compound statement's header: its colon dropped or
// doubled or replaced, its keyword dropped or changed, a token put before
// its colon, or the body's first line joined to it.
func breakHeader(r *rand.Rand, src []byte) []byte {
	type header struct{ start, kw, kwEnd, colon, end int }
	var hs []header
	starts := lineStarts(src)
	for i, s := range starts {
		end := len(src)
		if i+1 < len(starts) {
			end = starts[i+1] - 1
		}
		line := src[s:end]
		body := bytes.TrimLeft(line, " \t")
		kw := s + len(line) - len(body)
		word := body
		if j := bytes.IndexFunc(body, func(c rune) bool { return !isIdent(byte(c)) }); j >= 0 {
			word = body[:j]
		}
		if !slices.Contains(compoundWords, string(word)) {
			continue
		}
		colon := bytes.LastIndexByte(bytes.TrimRight(line, " \t\r"), ':')
		if colon < 0 {
			continue
		}
		hs = append(hs, header{s, kw, kw + len(word), s + colon, end})
	}
	out := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	if len(hs) == 0 {
		return out(src, []byte("if x\n"))
	}
	h := hs[r.IntN(len(hs))]
	switch r.IntN(6) {
	case 0:
		return out(src[:h.colon], src[h.colon+1:])
	case 1:
		rep := []string{";", "::", " =", ",", ")", ":="}[r.IntN(6)]
		return out(src[:h.colon], []byte(rep), src[h.colon+1:])
	case 2:
		return out(src[:h.kw], src[h.kwEnd:])
	case 3:
		kw := compoundWords[r.IntN(len(compoundWords))]
		return out(src[:h.kw], []byte(kw), src[h.kwEnd:])
	case 4:
		ins := []string{" x", " (", " =", " in y", " as y", " if", ","}[r.IntN(7)]
		return out(src[:h.colon], []byte(ins), src[h.colon:])
	}
	// join the next line to the header
	if h.end >= len(src) {
		return out(src[:h.colon], src[h.colon+1:])
	}
	next := h.end + 1
	for next < len(src) && (src[next] == ' ' || src[next] == '\t') {
		next++
	}
	return out(src[:h.colon+1], []byte(" "), src[next:])
}

// nest inserts deep nesting around or near CPython's limits: a name or
// number wrapped in brackets (the tokenizer's 200), in unary operators or
// in an attribute chain (the parser's and the compiler's depth, kept well
// clear of the compiler's edge, which moves with the caller's stack), or a
// line wrapped in nested blocks (20 statically nested, 99 indentation
// levels).
func nest(r *rand.Rand, src []byte, toks [][2]int) []byte {
	out := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	var names [][2]int
	for _, tk := range toks {
		if isIdent(src[tk[0]]) {
			names = append(names, tk)
		}
	}
	if k := r.IntN(4); k < 3 && len(names) > 0 {
		tk := names[r.IntN(len(names))]
		switch k {
		case 0:
			n := []int{60, 198, 199, 200, 201, 260}[r.IntN(6)]
			open, close := []string{"(", "[", "{"}[r.IntN(3)], ""
			close = map[string]string{"(": ")", "[": "]", "{": "}"}[open]
			return out(src[:tk[0]], []byte(strings.Repeat(open, n)), src[tk[0]:tk[1]], []byte(strings.Repeat(close, n)), src[tk[1]:])
		case 1:
			n := []int{100, 1000, 6000}[r.IntN(3)]
			return out(src[:tk[0]], []byte(strings.Repeat([]string{"-", "~", "not "}[r.IntN(3)], n)), src[tk[0]:])
		default:
			n := []int{100, 1000, 6000}[r.IntN(3)]
			return out(src[:tk[1]], []byte(strings.Repeat(".a", n)), src[tk[1]:])
		}
	}
	// a line wrapped in blocks
	starts := lineStarts(src)
	s := starts[r.IntN(len(starts))]
	ind := s
	for ind < len(src) && (src[ind] == ' ' || src[ind] == '\t') {
		ind++
	}
	n := []int{19, 20, 21, 98, 99, 100}[r.IntN(6)]
	head := []string{"if x:", "for _ in x:", "while x:", "with x:"}[r.IntN(4)]
	var b bytes.Buffer
	b.Write(src[:ind])
	for i := range n {
		b.WriteString(head)
		b.WriteByte('\n')
		b.Write(src[s:ind])
		b.WriteString(strings.Repeat(" ", i+1))
	}
	b.Write(src[ind:])
	return b.Bytes()
}

// judgedCases are sources CPython judges in TestEmbeddedCheckerMatchesCPythonOnCases
// (and the Go parser meets in TestGoParserMatchesTreeSitter).
var judgedCases = []string{
	// nonlocal needs a binding in an enclosing function
	"def o():\n    total = 0\n    def i():\n        nonlocal total\n        total += 1\n",
	"def o():\n    toal = 0\n    def i():\n        nonlocal total\n",
	"def o():\n    for a, (b, *c) in x:\n        pass\n    class K:\n        def m(self):\n            nonlocal c\n",
	"def o():\n    class K:\n        z = 1\n        def m(self):\n            nonlocal z\n",
	"def o():\n    global g\n    def i():\n        nonlocal g\n",
	"def o(p, *a, k=1, **kw):\n    def i():\n        nonlocal p, a, k, kw\n",
	"def o():\n    import os.path as q, sys\n    [w := 1 for _ in x]\n    def i():\n        nonlocal q, sys, w\n",
	"def o():\n    [y for y in x]\n    def i():\n        nonlocal y\n",
	"def o():\n    def a():\n        nonlocal v\n    v = 1\n",
	"nonlocal x\n",
	"class C:\n    nonlocal x\n",
	"def o():\n    v = 1\n    class C:\n        nonlocal v\n",
	"def o():\n    with a as (b, c):\n        pass\n    try:\n        pass\n    except E as e:\n        pass\n    del d\n    def i():\n        nonlocal b, c, e, d\n",
	// bytes that are not UTF-8: never decoded in a comment, whatever the
	// file declares; in a name or string, when the parse reaches it
	"x = 1 # \xe9\n", "# coding: utf-8\nx = 1 # \xe9\n", "\xef\xbb\xbfx = 1 # \xe9\n", "\xef\xbb\xbf# coding: utf-8\nx = '\xe9'\n",
	" -*- coding: latin-1 -*-\nx = '\xe9'\n", "x = 1\n  y = '\xe9'\n", "x = '\xe9'\n  y = 1\n", "x = 1\n\xe9 = 2\n",
	// what a grammar other than CPython's lets through
	"from m import a.b\n", "import o,\n", "x = lambd: None\n", "c=n += 1\n",
	"try:\n  pass\nexcept E as+ e:\n  pass\n", "with open(f) as- a:\n  pass\n",
	"with open(f) as a.b:\n  pass\n", "try:\n  pass\nexcept E as a.b:\n  pass\n",
	"g = (x for*x in xs)\n", "for *x in y:\n  pass\n", "first, *middle, last == range(10)\n", "*a\n",
	// annotations and starred expressions
	"tags: list[str] : field(default_factory=list)\n", "delay: floa:t = 1.5\n", "msg = (*f\"a\")\n",
	"x = (*a)\n", "x = (*a,)\n", "def f(x: a: b): pass\n",
	// case patterns
	"match o:\n    case P(x=0, y):\n        pass\n", "match o:\n    case P(x=0, y=yy) | P(yy=x, y=0):\n        pass\n",
	"match o:\n    case [a, *r] | {\"k\": a, **r}:\n        pass\n", "match o:\n    case (a as b) | c.d:\n        pass\n",
	"match o:\n    case P(a, b=c) | P(c, b=a):\n        pass\n", "match o:\n    case [_, x] | [x, _]:\n        pass\n",
	// f-strings: a backslash before a brace, numbers in fields
	"x = rf'[{a}][^@][{a}]'\ny = rf'(\\{{%)({b})'\n", "x = f\"{-.01:.1f}\"\n", "x = f\"\\{6*7}\"\n",
	// f-strings before 3.12
	"print(f\"{d['key']!s:>#}\")\n", "print(f\"{d['key']!s:\\x41}\")\n", "print(f\"{d['key']!s:{'>'}10}\")\n",
	// a decorator and a less indented definition
	"class C:\n    @property\ndef p(self):\n        pass\n", "class C:\n    def f(self):\n        @d\n    def g(self):\n        pass\n",
	// backslashes
	"def f():\n    x = 1\n   \\globals()[x] = 2\n", "x = 1 \\ + 2\n", "def f():\n    return 1\n\\\n    y = 2\n",
	"if x:\n\\\n    y = 2\n", "if x:\n    \\\ny = 2\n", "if x:\n\\\ny = 2\n",
	"def f():\n    x = 1\n  \\\n    y = 2\n", "def f():\n    x = 1\n\\\ny = 2\n  z = 3\n",
	// patterns and comprehensions
	"match o:\n    case {\"k\": r, *rest}:\n        pass\n", "match o:\n    case {\"k\": r, **rest}:\n        pass\n",
	"f = [y for x in (y := data)]\n", "f = [y for x in data if (y := x)]\n", "f = [y for x in (lambda: (z := 1))()]\n",
	// del targets, and a continuation at the end of the file
	"del [0], a[0]\n", "del (a, [b, c.d])\n", "del f()\n", "del a + b\n", "del *a\n", "del a, b,\n",
	"x = 1\n\\\n", "x = 1\n\\\n\n", "x = 1\n\\\n# c\n", "x = 1 \\\n",
	// parenthesized context managers, bytes and str
	"with (\n  # c\n    open(f) as b,\n):\n    pass\n", "with (open(f) as b,):\n    pass\n", "with (open(f) as b):\n    pass\n",
	"with (open(f) as b, open(g) as c):\n    pass\n", "x = (a as b)\n",
	"x = \"a\" b\"b\"\n", "x = b\"a\" rb\"b\" B'c'\n", "x = f\"a\" \"b\"\n",
	// PEP 646 stars (3.11)
	"def f(*args: *Ts): pass\n", "x: tuple[*Ts]\n", "def f() -> tuple[*Ts]: pass\n", "def g():\n    yield *a, b\n", "a[*b] = 1\n",
	// stars
	"@*task\ndef f(): pass\n", "x = [*a + b]\n", "x = [*a.b(), *c[0], *d | e]\n", "x = f*(*a, **kw)\n", "x = {**a, 'b': 1}\n",
	"x = [*a < b]\n", "x = -*a\n", "def f():\n    return *a\n", "def f():\n    yield *a\n", "for x in *a, *b:\n    pass\n",
	"for x in *a:\n    pass\n",
	// yield in comprehensions
	"def f():\n    return [(yield x) for x in y]\n", "def f():\n    return ((yield) for x in y)\n", "x = [(yield) for x in y]\n",
	"def f():\n    return [x for x in (yield)]\n", "def f():\n    return {(yield): 1 for x in y}\n",
	"def f():\n    return [lambda: (yield) for x in y]\n", "def f():\n    return [x for x in y for z in (yield)]\n",
	// a missing comma, the commonest broken DAG
	"with DAG(\n    dag_id=\"x\"\n    schedule=None,\n) as dag:\n    pass\n", "x = [\n    1\n    2,\n]\n", "f(a\n  b)\n",
	"x = {\n  \"a\": 1\n  \"b\": 2\n}\n", "t = BashOperator(\n    task_id=\"t\",\n    bash_command=\"echo\"\n    retries=2,\n)\n",
	"x = (1 2)\n", "f(a.b(c) d)\n", "x = [a if b else c d]\n", "x = (\"a\" \"b\")\n",
	// where CPython puts an argument order error
	"f(a=1, b)\n", "x = f(a=1, b) + 2\n", "f(a=1,\n  b,\n  c=2,\n)\n", "f(a=1,\n  b\n  )\ny = 3\n", "f(**k, *a)\n", "f(**k,\n b)\n",
	"def f(a=1,\n      b):\n  pass\n",
	// commas
	"print(list(delegate(,)))\n", "one =1( ,)\n", "x = [1, , 2]\n", "x = {,}\n", "def f(a, , b): pass\n", "x = (,)\n",
	"f(a,)\n", "x = [1,]\n", "def f(a,): pass\n", "msg = (*    f\"a, b\" f\"c\")\n",
	// names beyond ASCII
	"x = a\ufeffb\n", "x = \U0001F44B\n", "x\u00a0= 1\n", "\u00e9t\u00e9 = 1\n", "x = 1\u2082\n", "x\u2082 = 1\n",
	"x = \u200b1\n", "a\u0301 = 1\n", "\u0394 = \u03c0 = 3\n",
	"x = f\"echo {total:\"2f}\"\n", "x = f'{a:{\"b\"}}'\n",
	// print and exec are names in Python 3
	"print \"x\"\n", "print x, y\n", "print(a, b,  *c(d), e)\n",
	"print(sum(x for x in xs), lst, st, dc,  *list(gen), flat)\n", "print *args, *kw\n",
	"print >>sys.stderr, \"x\"\n", "exec \"code\"\n", "print -1\n", "def f():\n    print x\n",
	// lines that CPython's tokenizer joins
	"def f():\n    return {\"a\": 1, \"n\": \nen(f)}\n",
	"def f():\n    x = [1,  # one\n2]\n    return x\n",
	"def f():\n    return 1\n\\\n\n    y = 2\n",
	"import os\r\rdef f(x):\r    return os.sep\r",
	"def f(x):\r\n    if x:\r\n        return 1\r\n",
}

// Hand-written cases, each once a difference between the embedded checker
// and CPython (found by the mutants or in real files), judged by the
// installed CPython now: verdict, line and class must agree.
func TestEmbeddedCheckerMatchesCPythonOnCases(t *testing.T) {
	python, minor := installedPython(t)
	cases := judgedCases
	var ms []mutant
	for _, c := range cases {
		ms = append(ms, mutant{base: "case", src: []byte(c)})
	}
	verdicts := cpythonVerdicts(t, python, ms)
	p := newParser()
	for i, c := range cases {
		want, got := verdicts[i], p.embeddedCheck([]byte(c), minor)
		if !assert.Equal(t, want.OK, got == nil, "%q: CPython %s, embedded %s", c, want, describe(got)) || want.OK {
			continue
		}
		assert.Equal(t, want.Line, got.Line, "%q: CPython %s, embedded %s", c, want, describe(got))
		assert.Equal(t, errClass(want.Type), errClass(got.Type), "%q", c)
	}
}

// Every module of the installed Python's standard library and site-packages:
// code no one here wrote, in every style. The embedded checker must give
// CPython's verdict on each. make test takes the standard library's top
// level and 1,000 files of site-packages; DAGNFS_STDLIB=all (make fuzz)
// every file of both, the standard library's tests included.
func TestEmbeddedCheckerOnInstalledPython(t *testing.T) {
	python, minor := installedPython(t)
	ms := libraryFiles(t, python, os.Getenv("DAGNFS_STDLIB") == "all")
	require.GreaterOrEqual(t, len(ms), 100, "the library of %s", python)
	verdicts := cpythonVerdicts(t, python, ms)
	gots := embeddedVerdicts(ms, minor)
	var differ []string
	rejected := 0
	for i, m := range ms {
		want, got := verdicts[i], gots[i]
		if !want.OK {
			rejected++
		}
		if want.OK != (got == nil) {
			differ = append(differ, fmt.Sprintf("%s: CPython %s, embedded %s", m.base, want, describe(got)))
		}
	}
	t.Logf("Python 3.%d: %d files (%d rejected by CPython), %d verdicts differ", minor, len(ms), rejected, len(differ))
	if len(differ) > 20 {
		differ = append(differ[:20], fmt.Sprintf("... and %d more", len(differ)-20))
	}
	assert.Empty(t, differ)
}
