package python

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// oracle prints, for each file named on stdin, the tokens CPython's
// tokenize module gives (its C tokenizer from 3.12), or its error.
const oracle = `
import json, sys, tokenize
for path in sys.stdin.read().split("\0"):
    if not path:
        continue
    out = {"file": path}
    try:
        with open(path, "rb") as f:
            enc, _ = tokenize.detect_encoding(f.readline)
        if enc not in ("utf-8", "utf-8-sig"):
            out["skip"] = enc
        else:
            with open(path, encoding=enc) as f:
                toks = list(tokenize.generate_tokens(f.readline))
            if sys.version_info < (3, 12) and any(t.type == tokenize.ERRORTOKEN for t in toks):
                # The pure-Python tokenize of 3.11 splits names its \w does
                # not match (combining marks) and passes what the real
                # tokenizer refuses: not an oracle for this file.
                out["skip"] = "ERRORTOKEN"
            elif sys.version_info < (3, 12) and any(a.string == "<" and b.string == ">" and a.end == b.start for a, b in zip(toks, toks[1:])):
                out["skip"] = "<> is one token for the C tokenizer, two for 3.11's tokenize"
            else:
                out["tokens"] = ["%s %d %d %d %d %s" % (tokenize.tok_name[t.type], t.start[0], t.start[1], t.end[0], t.end[1], t.string)
                                 for t in toks]
    except (SyntaxError, tokenize.TokenError, UnicodeDecodeError) as e:
        out["error"] = str(e)
    try:
        with open(path, "rb") as f:
            compile(f.read(), path, "exec", dont_inherit=True)
    except SyntaxError as e:
        out["compile"] = [e.msg, e.lineno or 0, e.offset or 0]
    except ValueError as e:  # null bytes, before 3.11.4
        out["compile"] = [str(e), 0, 0]
    except Exception:
        pass
    print(json.dumps(out))
`

type oracleFile struct {
	File string `json:"file"`
	Skip string `json:"skip"`
	// Tokens are "TYPE LINE COL ENDLINE ENDCOL TEXT".
	Tokens []string `json:"tokens"`
	Error  string   `json:"error"`
	// Compile is compile()'s SyntaxError (message, line, offset), if any.
	Compile []any `json:"compile"`
	// Dump is the syntax tree astOracle writes.
	Dump string `json:"dump"`
}

// pythons are the interpreters to compare with: python3 (required: make
// deps provides it) and any of python3.9 to python3.13 that runs here.
func pythons(t *testing.T) map[int]string {
	pythonsOnce.Do(func() { foundPythons, pythonsErr = findPythons() })
	require.NoError(t, pythonsErr, "the comparison with CPython needs python3 (make deps installs it)")
	return foundPythons
}

var (
	pythonsOnce  sync.Once
	foundPythons map[int]string
	pythonsErr   error
)

func findPythons() (map[int]string, error) {
	found := map[int]string{}
	p, err := exec.LookPath("python3")
	if err != nil {
		return nil, err
	}
	// The interpreter itself (sys.executable), not a version manager's
	// shim in front of it, which costs every later run 0.4 s here.
	minorOf := func(p string) (int, string, bool) {
		out, err := exec.Command(p, "-I", "-c", "import sys; print(sys.version_info[1]); print(sys.executable)").Output()
		if err != nil {
			return 0, "", false
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		m, err := strconv.Atoi(strings.TrimSpace(lines[0]))
		if err != nil || len(lines) != 2 || strings.TrimSpace(lines[1]) == "" {
			return 0, "", false
		}
		return m, strings.TrimSpace(lines[1]), true
	}
	m, exe, ok := minorOf(p)
	if !ok {
		return nil, fmt.Errorf("%s does not run", p)
	}
	found[m] = exe
	// Each asked at once: a version manager's shim for a version it does
	// not have takes a second or more to say so.
	var mu sync.Mutex
	var wg sync.WaitGroup
	for minor := 9; minor <= 13; minor++ {
		p, err := exec.LookPath(fmt.Sprintf("python3.%d", minor))
		if err != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if m, exe, ok := minorOf(p); ok && m == minor {
				mu.Lock()
				found[m] = exe
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return found, nil
}

func runOracle(t *testing.T, python string, files []string) []oracleFile {
	cmd := exec.Command(python, "-c", oracle)
	cmd.Stdin = strings.NewReader(strings.Join(files, "\x00"))
	return runOracleWith(t, cmd)
}

// runOracleWith runs an oracle script and reads its JSON lines.
func runOracleWith(t *testing.T, cmd *exec.Cmd) []oracleFile {
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	var out []oracleFile
	sc := bufio.NewScanner(stdout)
	sc.Buffer(nil, 1<<30)
	for sc.Scan() {
		var o oracleFile
		require.NoError(t, json.Unmarshal(sc.Bytes(), &o))
		out = append(out, o)
	}
	require.NoError(t, sc.Err())
	require.NoError(t, cmd.Wait())
	return out
}

func pyFiles(t *testing.T, roots ...string) []string {
	var files []string
	for _, root := range roots {
		require.NoError(t, filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == "site-packages" {
				return filepath.SkipDir // the standard library's own files are enough
			}
			if !d.IsDir() && strings.HasSuffix(p, ".py") {
				files = append(files, p)
			}
			return nil
		}))
	}
	return files
}

// compare checks our tokens of src against the oracle's; it returns a
// description of the first difference, or "".
func compare(src []byte, minor int, got []Token, want []string) string {
	n := min(len(got), len(want))
	var b []byte
	for i := range n {
		g, w := got[i], want[i]
		b = b[:0]
		b = append(b, g.Kind.String()...)
		for _, v := range []int32{g.Start.Line, g.Start.Col, g.End.Line} {
			b = strconv.AppendInt(append(b, ' '), int64(v), 10)
		}
		endCol := strconv.Itoa(int(g.End.Col))
		if g.End.Line > g.Start.Line && minor == 12 {
			// 3.12's tokenize gives the end column of a token of several
			// lines in bytes, and sometimes one short: 3.11 and 3.13
			// check it.
			if f := strings.SplitN(w, " ", 6); len(f) == 6 {
				endCol = f[4]
			}
		}
		b = append(append(b, ' '), endCol...)
		b = append(append(b, ' '), src[g.Off:g.EndOff]...)
		if string(b) != w {
			return fmt.Sprintf("token %d: got %q, CPython %q", i, b, w)
		}
	}
	if len(got) != len(want) {
		if n < len(got) {
			return fmt.Sprintf("%d tokens, CPython %d (first extra: %+v)", len(got), len(want), got[n])
		}
		return fmt.Sprintf("%d tokens, CPython %d (first extra: %s)", len(got), len(want), want[n])
	}
	return ""
}

// The tokens of every file of the corpus and of the interpreter's standard
// library are CPython's, position for position, for each Python found.
func TestTokensMatchCPython(t *testing.T) {
	t.Parallel() // the measuring tests run alone first
	for minor, python := range pythons(t) {
		t.Run(fmt.Sprintf("3.%d", minor), func(t *testing.T) { tokensMatch(t, python, minor) })
	}
}

func tokensMatch(t *testing.T, python string, minor int) {
	files := pyFiles(t, "../testdata/pycorpus/valid", "../testdata/pycorpus/invalid", "../testdata/realdags")
	if minor >= 12 {
		files = append(files, pyFiles(t, "../testdata/pycorpus/valid312")...)
	}
	if !testing.Short() {
		// The standard library's top level; all of it (its tests, with
		// their hostile files) with DAGNFS_STDLIB=all (make fuzz).
		out, err := exec.Command(python, "-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])").Output()
		require.NoError(t, err)
		stdlib := strings.TrimSpace(string(out))
		if os.Getenv("DAGNFS_STDLIB") == "all" {
			files = append(files, pyFiles(t, stdlib)...)
		} else {
			top, err := filepath.Glob(filepath.Join(stdlib, "*.py"))
			require.NoError(t, err)
			files = append(files, top...)
		}
	}
	results := runOracle(t, python, files)
	require.Len(t, results, len(files))
	compared, differ := 0, 0
	var first []string
	for _, o := range results {
		if o.Skip != "" && (o.Compile == nil || o.Skip != "ERRORTOKEN") || strings.Contains(o.Error, "encoding") {
			continue // decoding is not the tokenizer's (validate decodes first)
		}
		raw, err := os.ReadFile(o.File)
		require.NoError(t, err)
		src := bytes.TrimPrefix(Normalize(raw), []byte("\ufeff"))
		ts, terr := Tokenize(src, minor)
		toks := ts.Slice()
		compared++
		want := o.Tokens
		if terr == nil && o.Error == "" && len(o.Compile) == 3 && o.Compile[0] == "invalid syntax" && errorTokenAt(toks, o.Compile) {
			continue // a character no token starts with: the parser refuses it there
		}
		if terr == nil && minor == 9 && strings.Contains(o.Error, "EOF in multi-line statement") {
			continue // 3.9's tokenizer ends inside brackets; its parser refuses the end
		}
		if minor < 12 && len(o.Compile) == 3 && strings.HasPrefix(fmt.Sprint(o.Compile[0]), "f-string") {
			continue // before 3.12 the parser reads f-strings, and its error comes first
		}
		if terr != nil || o.Error != "" || o.Skip != "" {
			// An error of ours is compile()'s (the tokenize module
			// passes some that compile refuses: leading zeros, invalid
			// characters).
			if terr == nil || len(o.Compile) != 3 || terr.Msg != o.Compile[0] || float64(terr.Line) != o.Compile[1] || float64(terr.Col) != o.Compile[2] {
				differ++
				first = append(first, fmt.Sprintf("%s: ours %v; tokenize %q; compile %v", o.File, terr, o.Error, o.Compile))
			}
			continue
		}
		if d := compare(src, minor, toks, want); d != "" {
			differ++
			first = append(first, o.File+": "+d)
		}
	}
	t.Logf("%d files compared with %s's tokenize, %d differ", compared, python, differ)
	if len(first) > 10 {
		first = first[:10]
	}
	assert.Zero(t, differ, strings.Join(first, "\n"))
	assert.Greater(t, compared, 50)
}

// Any shape of about a megabyte is tokenized in linear time and memory:
// one line, deep brackets, many tokens, long strings, an unclosed nesting
// (refused at the 201st bracket). Under the race detector (make test) the
// time bound is 10 s: it catches a quadratic scan (minutes) all the same.
func TestTokenizeIsLinear(t *testing.T) {
	shapes := megabyteShapes()
	bound := raced(time.Second)
	for name, src := range shapes {
		var toks *Tokens
		var err *Error
		took, alloc := measure(func() { toks, err = Tokenize([]byte(src), 12) })
		if name == "unclosed" {
			require.NotNil(t, err)
			assert.Equal(t, "too many nested parentheses", err.Msg)
		} else {
			require.Nil(t, err, name)
			require.Positive(t, toks.Len())
		}
		assert.Less(t, took, bound, "%s: %v for %d bytes", name, took, len(src))
		assert.Less(t, alloc, uint64(40<<20), "%s: %d MiB allocated for %d bytes", name, alloc>>20, len(src))
		t.Logf("%s: %d bytes, %d tokens, %v, %d MiB allocated", name, len(src), toks.Len(), took, alloc>>20)
	}
}

// errorTokenAt reports whether toks has an ERRORTOKEN where compile's error
// (message, line, offset from 1) is.
func errorTokenAt(toks []Token, e []any) bool {
	for _, tk := range toks {
		if tk.Kind == ErrorToken && float64(tk.Start.Line) == e[1] && float64(tk.Start.Col+1) == e[2] {
			return true
		}
	}
	return false
}

// The tokenizer's errors are compile()'s, message, line and column, for
// each Python found; what only the parser refuses tokenizes.
func TestTokenizerErrorsMatchCompile(t *testing.T) {
	t.Parallel() // the measuring tests run alone first
	cases := []struct {
		src  string
		from int // the first 3.x whose tokenizer refuses it (before, or 0: the parser's to refuse)
	}{
		{"x = 12abc\n", 10}, {"x = 0x\n", 9}, {"x = 0xg\n", 9}, {"x = 0o8\n", 9}, {"x = 0o18\n", 9},
		{"x = 1_\n", 9}, {"x = 1__2\n", 9}, {"x = 1e+\n", 9}, {"x = 1.5_\n", 9}, {"x = 0777\n", 9},
		{"x = 00_7\n", 9}, {"x = 0b12\n", 9}, {"x = 1e5x\n", 10}, {"x = 1jx\n", 10}, {"x = 0x1g\n", 10},
		{"x = 1 + \\", 9}, {"x = 1 + \\\n", 9}, {"x = 1 + \\ y\n", 9},
		{"if 1:\n        x = 1\n    y\n", 9}, {"x = '''abc\n\n", 9}, {"x = 'abc\n", 9}, {"(\n", 10},
		{"x = (1,\n 2", 10}, {"x = )\n", 9}, {"x = (]\n", 9}, {"x = (\n]\n", 9}, {"x = \u20ac\n", 9},
		{"x = a\u00a0b\n", 9}, {"x = 'a\\\nb\n", 9},
		{"x = " + strings.Repeat("(", 201) + strings.Repeat(")", 201) + "\n", 9},
		{nested(100), 9},
		{"x = $\n", 0}, {"x = 1\n   y\n", 0}, {"x = 1.2.3\n", 0},
		{"x = 1if 1 else 2\n", 0}, {"x = 0_0\n", 0}, {"x = 1_000.5e-3j\n", 0}, {nested(99), 0},
	}
	for minor, python := range pythons(t) {
		t.Run(fmt.Sprintf("3.%d", minor), func(t *testing.T) {
			srcs := make([]string, len(cases))
			for i, c := range cases {
				srcs[i] = c.src
			}
			for i, o := range oracleOf(t, python, srcs) {
				c := cases[i]
				_, err := Tokenize([]byte(c.src), minor)
				if c.from == 0 || minor < c.from {
					assert.Nil(t, err, "%q: the parser's to refuse, if anyone's", c.src)
					continue
				}
				require.NotNil(t, err, "%q: compile says %v", c.src, o.Compile)
				require.Len(t, o.Compile, 3, "%q: compile passes it", c.src)
				assert.Equal(t, o.Compile, []any{err.Msg, float64(err.Line), float64(err.Col)}, "%q", c.src)
			}
		})
	}
}

// nested is a block nested depth levels deep, one space per level.
func nested(depth int) string {
	var b strings.Builder
	for i := range depth {
		fmt.Fprintf(&b, "%sif x:\n", strings.Repeat(" ", i))
	}
	fmt.Fprintf(&b, "%spass\n", strings.Repeat(" ", depth))
	return b.String()
}

// measure runs f, giving how long it took and how much it allocated.
func measure(f func()) (time.Duration, uint64) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	f()
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	return took, after.TotalAlloc - before.TotalAlloc
}

// raced is a time bound, ten times longer under the race detector (make
// test runs every package under it).
func raced(d time.Duration) time.Duration {
	if raceEnabled {
		return 10 * d
	}
	return d
}

// oracleOf is runOracle on sources, each written to a file of its own.
func oracleOf(t *testing.T, python string, srcs []string) []oracleFile {
	dir := t.TempDir()
	files := make([]string, len(srcs))
	for i, src := range srcs {
		files[i] = filepath.Join(dir, fmt.Sprintf("c%02d.py", i))
		require.NoError(t, os.WriteFile(files[i], []byte(src), 0o644))
	}
	return runOracle(t, python, files)
}
