package python

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dagnfs/dagnfs/validate/python/ast"
)

// FuzzTokenize: no input makes the tokenizer panic, loop or take long, and
// its tokens are in order, inside the source, each where its text is.
func FuzzTokenize(f *testing.F) {
	addCorpus(f)
	f.Add([]byte("x = f'{a!r:>{w}} {{b}} \\N{DASH}' + fr'\\'{c}'\n\tif 1:\n  pass\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		for _, minor := range []int{11, 12} {
			start := time.Now()
			toks, err := Tokenize(src, minor)
			if took := time.Since(start); took > time.Second {
				t.Fatalf("3.%d: %v for %d bytes", minor, took, len(src))
			}
			if err != nil && (err.Line < 0 || err.Col < 0 || err.Msg == "") {
				t.Fatalf("3.%d: malformed error %+v", minor, err)
			}
			prev := Token{}
			for i := range toks.Len() {
				tk := toks.At(i)
				if tk.Off < prev.Off || tk.EndOff < tk.Off || int(tk.EndOff) > len(src) {
					t.Fatalf("3.%d: token %d %+v after %+v (source of %d bytes)", minor, i, tk, prev, len(src))
				}
				if tk.End.Line < tk.Start.Line || tk.End.Line == tk.Start.Line && tk.End.Col < tk.Start.Col || tk.Start.Line < prev.Start.Line {
					t.Fatalf("3.%d: token %d positions %+v after %+v", minor, i, tk, prev)
				}
				prev = tk
			}
		}
	})
}

// FuzzParse: no input makes the parser panic, overflow the stack or take
// long; an error it gives is in the source; the syntax tree builder takes
// every source the parser accepts, and places its nodes in the source.
func FuzzParse(f *testing.F) {
	addCorpus(f)
	f.Add([]byte("match x:\n case [1, *_, {'a': b, **c}] | Point(x=0) as p if p: pass\ntype T[U: int = str, *V, **W] = list[U]\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		for _, minor := range []int{9, 12, 13} {
			start := time.Now()
			tree, err := ParseFile(src, minor)
			if took := time.Since(start); took > 2*time.Second {
				t.Fatalf("3.%d: %v for %d bytes", minor, took, len(src))
			}
			if err != nil && (err.Line < 0 || err.Col < 0 || err.Msg == "" && err.Type != "MemoryError" || err.Type == "InternalError") {
				t.Fatalf("3.%d: malformed error %+v", minor, err)
			}
			if err == nil {
				tree.Walk(tree.Root(), func(n *ast.Node) bool {
					if n.Off < 0 || n.EndOff < n.Off || int(n.EndOff) > len(src) || n.Kind == ast.BadKind {
						t.Fatalf("3.%d: node %v at %d-%d (source of %d bytes)", minor, n.Kind, n.Off, n.EndOff, len(src))
					}
					return true
				})
			}
		}
	})
}

// addCorpus seeds f with the files of the Python corpus.
func addCorpus(f *testing.F) {
	for _, dir := range []string{"valid", "invalid", "valid312", "valid313"} {
		files, _ := filepath.Glob(filepath.Join("..", "testdata", "pycorpus", dir, "*.py"))
		for _, file := range files {
			if b, err := os.ReadFile(file); err == nil {
				f.Add(b)
			}
		}
	}
}

// FuzzBuildTree: the builder alone (BuildTree, for a source an interpreter
// judges) takes any input without a panic, a loop or a long time, and
// places its nodes in the source.
func FuzzBuildTree(f *testing.F) {
	addCorpus(f)
	f.Add([]byte("x = " + "-(" + "[{" + "lambda: not " + ")]}\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		var p Parser
		for _, minor := range []int{9, 12} {
			start := time.Now()
			tree, err := p.BuildTree(src, minor)
			if took := time.Since(start); took > 2*time.Second {
				t.Fatalf("3.%d: %v for %d bytes", minor, took, len(src))
			}
			if err == nil {
				tree.Walk(tree.Root(), func(n *ast.Node) bool {
					if n.Off < 0 || n.EndOff < n.Off || int(n.EndOff) > len(src) {
						t.Fatalf("3.%d: node %v at %d-%d (source of %d bytes)", minor, n.Kind, n.Off, n.EndOff, len(src))
					}
					return true
				})
			}
		}
	})
}
