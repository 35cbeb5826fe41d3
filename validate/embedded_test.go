package validate

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cpythonVerdict is one line of testdata/pycorpus-3.X.jsonl, written by
// testdata/pycorpus/verdict.py with that CPython (make corpus-verdicts).
type cpythonVerdict struct {
	File    string `json:"file"`
	Compile struct {
		OK   bool   `json:"ok"`
		Type string `json:"type"`
		Line *int   `json:"line"`
		Msg  string `json:"msg"`
	} `json:"compile"`
}

func readVerdicts(t *testing.T, minor int) []cpythonVerdict {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("testdata/pycorpus-3.%d.jsonl", minor))
	require.NoError(t, err)
	defer f.Close()
	var out []cpythonVerdict
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var v cpythonVerdict
		require.NoError(t, json.Unmarshal(sc.Bytes(), &v))
		out = append(out, v)
	}
	require.NoError(t, sc.Err())
	return out
}

// The embedded checker agrees with CPython 3.11, 3.12 and 3.13 on every
// file of the corpus, and gives the same line on nearly all.
func TestEmbeddedCheckerAgreesWithCPython(t *testing.T) {
	if _, err := os.Stat(corpus); err != nil {
		t.Fatalf("the Python corpus is not at %s: it is part of the repository (validate/testdata/pycorpus); restore it with git checkout", corpus)
	}
	p := newParser()
	for _, minor := range []int{11, 12, 13} {
		verdicts := readVerdicts(t, minor)
		require.Len(t, verdicts, 108)
		sameLine, withLine := 0, 0
		for _, v := range verdicts {
			src, err := os.ReadFile(filepath.Join(corpus, v.File))
			require.NoError(t, err)
			got := p.embeddedCheck(src, minor)
			if v.Compile.OK {
				if !assert.Nil(t, got, "3.%d %s: CPython compiles it, the embedded checker says %+v", minor, v.File, got) {
					continue
				}
				continue
			}
			if !assert.NotNil(t, got, "3.%d %s: CPython says %s %v %q, the embedded checker accepts it", minor, v.File, v.Compile.Type, v.Compile.Line, v.Compile.Msg) {
				continue
			}
			if v.Compile.Line != nil {
				withLine++
				if got.Line == *v.Compile.Line {
					sameLine++
				} else {
					t.Logf("3.%d %s: line %d, CPython %d (%s | %s)", minor, v.File, got.Line, *v.Compile.Line, got.Msg, v.Compile.Msg)
				}
			}
		}
		t.Logf("3.%d: same line as CPython on %d of %d errors", minor, sameLine, withLine)
		assert.GreaterOrEqual(t, float64(sameLine), 0.9*float64(withLine), "3.%d: the same line on nearly all", minor)
	}
}

// The causes the issue named, each with CPython 3.11's verdict and line.
func TestEmbeddedCheckerNamedCauses(t *testing.T) {
	p := newParser()
	for _, c := range []struct {
		src  string
		line int // 0: compiles
		msg  string
	}{
		{"if x:  # note\n    y = 1\nelse:\n    y = 2\n", 0, ""},
		{"try:\n    a = 1  # c\nexcept E:\n    pass\nfinally:\n    b = 2  # d\n", 0, ""},
		{"a = 1  # c\nb = (\n    2)\nc = = 3\n", 4, "invalid syntax"},
		{"from c import AAAAAAAAAAA d\n", 1, "invalid syntax"},
		{"x = f() y = 2\n", 1, "invalid syntax"},
		{"t = \n()\n", 1, "invalid syntax"},
		{"x = f\"{a\"\n", 1, "f-string"},
		{"x = 2class\n", 1, "invalid decimal literal"},
	} {
		got := p.embeddedCheck([]byte(c.src), 11)
		if c.line == 0 {
			assert.Nil(t, got, "%q", c.src)
			continue
		}
		if assert.NotNil(t, got, "%q", c.src) {
			assert.Equal(t, c.line, got.Line, "%q: %s", c.src, got.Msg)
			assert.NotContains(t, got.Msg, "needs Python", "%q", c.src)
			t.Logf("%q: %s (CPython: %s)", c.src, got.Msg, c.msg)
			assert.Equal(t, RuleSyntax, got.rule, "%q", c.src)
		}
	}
}

// Syntax newer than the workers' Python is named with the version it needs.
func TestEmbeddedCheckerNamesNewerSyntax(t *testing.T) {
	p := newParser()
	for _, c := range []struct {
		src  string
		need int
	}{
		{"match x:\n    case 1:\n        pass\n", 10},
		{"try:\n    pass\nexcept* ValueError:\n    pass\n", 11},
		{"type T = int\n", 12},
		{"def f[T](x: T) -> T:\n    return x\n", 12},
		{"x = f\"{\"a\"}\"\n", 12},          // the same quotes inside: PEP 701
		{"type A[T = int] = list[T]\n", 13}, // PEP 696 defaults
	} {
		for minor := 9; minor <= 13; minor++ {
			got := p.embeddedCheck([]byte(c.src), minor)
			if minor >= c.need {
				assert.Nil(t, got, "3.%d: %q", minor, c.src)
				continue
			}
			if assert.NotNil(t, got, "3.%d: %q", minor, c.src) {
				assert.Equal(t, RulePythonVersion, got.rule, "3.%d: %q", minor, c.src)
				assert.Contains(t, got.Msg, fmt.Sprintf("needs Python 3.%d", c.need))
			}
		}
	}
}
