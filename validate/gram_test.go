package validate

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// goVsTreeSitter parses src with both parsers. accepted says whether the
// Go parser took the file; diff, when not empty, is where its tree differs
// from tree-sitter's.
func goVsTreeSitter(p *parser, raw []byte) (accepted bool, diff string) {
	src, derr := decodeSource(raw)
	if derr != nil {
		return false, ""
	}
	sc := scanSource(src)
	src, _ = blankTypeParamDefaults(src, sc)
	if sc.err != nil {
		return false, ""
	}
	in := treeSitterInput(src, sc)
	if !p.flat.goParse(&p.gp, in, src) {
		return false, ""
	}
	ref := p.scratch.parse(p.c, in, src)
	if ref.HasError() {
		return true, "tree-sitter finds an error in a file the Go parser takes"
	}
	a, b := p.flat.nodes, p.scratch.nodes
	for i := range min(len(a), len(b)) {
		x, y := &a[i], &b[i]
		fx, fy := "", ""
		if x.Parent() != nil {
			fx, fy = fieldNames[x.field], fieldNames[y.field]
		}
		if x.Kind() != y.Kind() || x.IsNamed() != y.IsNamed() || fx != fy || x.start != y.start || x.end != y.end ||
			x.parent != y.parent || x.StartPosition() != y.StartPosition() || x.EndPosition() != y.EndPosition() {
			return true, fmt.Sprintf("node %d: Go %s %q [%d-%d] field %q parent %d, tree-sitter %s %q [%d-%d] field %q parent %d; near %q",
				i, x.Kind(), x.Utf8Text(in), x.start, x.end, fx, x.parent, y.Kind(), y.Utf8Text(in), y.start, y.end, fy, y.parent,
				excerptAt(in, int(y.start)))
		}
	}
	if len(a) != len(b) {
		return true, fmt.Sprintf("Go: %d nodes, tree-sitter: %d", len(a), len(b))
	}
	return true, ""
}

// goParserInputs are the files both parsers are compared on: the corpus,
// testdata/realdags, examples, the installed standard library's top level
// (all of it with DAGNFS_STDLIB=all), and DAGNFS_GRAM_DIR when set.
func goParserInputs(t *testing.T) []baseFile {
	files := mutantBases(t, 11)
	dirs := []string{}
	if python, err := exec.LookPath("python3"); err == nil {
		out, err := exec.Command(python, "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])").Output()
		require.NoError(t, err)
		dirs = append(dirs, strings.TrimSpace(string(out)))
	}
	all := os.Getenv("DAGNFS_STDLIB") == "all"
	if d := os.Getenv("DAGNFS_GRAM_DIR"); d != "" {
		dirs = append(dirs, d)
		all = true
	}
	for _, root := range dirs {
		require.NoError(t, filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() && p != root && !all {
				return filepath.SkipDir
			}
			if d.Type().IsRegular() && strings.HasSuffix(p, ".py") {
				if src, err := os.ReadFile(p); err == nil && len(src) > 0 && len(src) < 1<<20 {
					files = append(files, baseFile{name: p, src: src})
				}
			}
			return nil
		}))
	}
	return files
}

// gramCases are where tree-sitter's grammar is ambiguous or quirky: the Go
// parser must give its tree, or leave the file to it.
var gramCases = []string{
	"x = [*a < b]\n", "x = [*a + b, *a.b, *a(), *a[0], *-a, *(a), *await a]\n", "f(*a.b, *a(), *a or b)\n",
	"x = {*a, *b | c}\n", "a, *b.c = d\n", "for *a.b, c in d: pass\n", "x = *a, *b\n",
	"x: List[int] | None = 1\ny: int | List[int]\nz: A[int] | B[int] | None\nw: a.B[int]\nv: A[1:2]\n",
	"def f(a: Dict[str, List[int]] = {}, *b: A[int], **c: 'X') -> Optional[A[B]]: pass\n",
	"try:\n  pass\nexcept (A, B) as e:\n  pass\nexcept* C as d:\n  pass\n", "try:\n  pass\nexcept** (A, B):\n  pass\n",
	"with a as b, c as d.e, f() as g[0]: pass\nwith (a, b): pass\nwith (a as b): pass\n",
	`x = r'\\' + r"\"" + r'''\\''' + rb'\\' + r'a\\' + '\q' + b'\N{x}' + '\N{DASH}' + '\1234'` + "\n",
	`x = f'{a!r:>{w}.{p}f} {{}} {b=} {c:%Y-%m-%d} {d["k"]}' rf'\{e}' f'\{f}' f"{'a' 'b'}"` + "\n",
	"if a:\n    b\n    # in\n# out\nelif c:  # head\n    # lead\n    d\n  # odd\nelse:\n    e  # tail\n# end\n",
	"@d  # c\n# between\n@e\ndef f(): pass  # t\n",
	"match x:\n    # first\n    case [1, *_] | {'k': -1, **r} if r:  # g\n        pass\n    case P(a=1+2j, b=_) as q:\n        pass\nmatch = 1\nmatch(x)\ntype = 2\n",
	"from . import (a as b, c,)\nfrom ...m import *\nfrom __future__ import annotations\nimport a.b as c, d\n",
	"x = a if b else c if d else lambda: e\ny = not a == b and c or d\nz = a & b ^ c | d << e ** -f ** g\n",
	"print(x)\nexec(y)\nasync def f():\n    async for a in b:\n        await c\n    async with d as e:\n        pass\n",
	"x = [a for b in c if d for e, f in g]\ny = {k: v for k, v in z}\nw = (a for a in b)\nf(a for a in b)\n",
	"x = a[1:2, ::3, :, b:]\ny = a[b, c,]\nz = (yield)\ndel a, (b), [c]\n",
	"global a, b\nassert a, b\nraise A from b\n", "x = 1if y else 2\n", "x = 0x_ff + 1_000.5e-3j + .5\n",
}

// The Go parser gives tree-sitter's tree, node for node, on every file it
// takes, valid or a mutant; and it takes every DAG file of the corpora and
// of the bench generator. make fuzz runs it over the whole installed
// Python with more mutants (DAGNFS_STDLIB, DAGNFS_MUTANTS).
func TestGoParserMatchesTreeSitter(t *testing.T) {
	files := goParserInputs(t)
	for i, c := range append(append([]string{}, gramCases...), judgedCases...) {
		files = append(files, baseFile{name: fmt.Sprintf("case %d %q", i, c), src: []byte(c)})
	}
	// DAG files as scripts/gendags.py writes them (what make bench times)
	gen := t.TempDir()
	out, err := exec.Command("python3", "../scripts/gendags.py", gen, "300").CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.NoError(t, filepath.WalkDir(gen, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".py") {
			src, err := os.ReadFile(p)
			files = append(files, baseFile{name: "generated " + strings.TrimPrefix(p, gen), src: src})
			return err
		}
		return err
	}))
	p := newParser()
	defer p.close()
	var defects []string
	gramDefect = func(r any) { defects = append(defects, fmt.Sprint(r)) }
	defer func() { gramDefect = nil }()
	var differ, missed []string
	took, mutantsTook, mutants := 0, 0, 0
	perFile := envInt(t, "DAGNFS_MUTANTS", 4)
	// DAGNFS_GRAM_WHY=1 logs where the Go parser gave up, by place in
	// gram.go and gramlex.go, and the files it left to tree-sitter.
	explain := os.Getenv("DAGNFS_GRAM_WHY") != ""
	why := map[string]int{}
	var left []string
	if explain {
		gramWhy = func(where string) { why[where[:strings.Index(where, " near")]]++ }
		defer func() { gramWhy = nil }()
	}
	for i, f := range files {
		ok, diff := goVsTreeSitter(p, f.src)
		if ok {
			took++
		} else {
			left = append(left, f.name)
		}
		if dagFile := strings.Contains(f.name, "realdags/") || strings.Contains(f.name, "examples/") || strings.HasPrefix(f.name, "generated "); dagFile && !ok {
			missed = append(missed, f.name)
		}
		if diff != "" {
			differ = append(differ, f.name+": "+diff)
		}
		r := rand.New(rand.NewPCG(7, uint64(i)))
		for range perFile {
			m, op := mutate(r, f.src)
			mutants++
			ok, diff := goVsTreeSitter(p, m)
			if ok {
				mutantsTook++
			}
			if diff != "" {
				differ = append(differ, fmt.Sprintf("%s (mutant: %s at %s): %s", f.name, op, editAt(f.src, m), diff))
			}
		}
	}
	t.Logf("Go parser took %d of %d files (%.1f%%) and %d of %d mutants; %d trees differ", took, len(files), pct(took, len(files)), mutantsTook, mutants, len(differ))
	if explain {
		var ws []string
		for w, n := range why {
			ws = append(ws, fmt.Sprintf("%6d %s", n, w))
		}
		sort.Sort(sort.Reverse(sort.StringSlice(ws)))
		t.Logf("gave up at (files and mutants):\n%s\nleft to tree-sitter: %s", strings.Join(ws, "\n"), strings.Join(left, " "))
	}
	if len(differ) > 30 {
		differ = append(differ[:30], fmt.Sprintf("... and %d more", len(differ)-30))
	}
	assert.Empty(t, differ)
	assert.Empty(t, defects, "panics in the Go parser")
	assert.Empty(t, missed, "DAG files the Go parser leaves to tree-sitter")
}

// FuzzGoParser: on any input the Go parser either leaves the file to
// tree-sitter or gives tree-sitter's very tree, and never panics.
func FuzzGoParser(f *testing.F) {
	for _, c := range append(append([]string{}, gramCases...), judgedCases...) {
		f.Add([]byte(c))
	}
	for _, dir := range []string{"valid", "valid312", "valid313"} {
		files, _ := filepath.Glob(filepath.Join(corpus, dir, "*.py"))
		for _, file := range files {
			if b, err := os.ReadFile(file); err == nil {
				f.Add(b)
			}
		}
	}
	p := newParser()
	defer p.close()
	f.Fuzz(func(t *testing.T, src []byte) {
		gramDefect = func(r any) { t.Fatalf("the Go parser panics: %v", r) }
		defer func() { gramDefect = nil }()
		if _, diff := goVsTreeSitter(p, src); diff != "" {
			t.Fatal(diff)
		}
	})
}
