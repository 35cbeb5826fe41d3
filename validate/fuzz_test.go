package validate

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzEmbeddedCheck: no input makes the embedded checker or the DAG
// analysis panic. Seeded with the corpus; `go test -fuzz FuzzEmbeddedCheck`
// explores further.
func FuzzEmbeddedCheck(f *testing.F) {
	for _, dir := range []string{"valid", "invalid", "valid312", "valid313"} {
		files, _ := filepath.Glob(filepath.Join(corpus, dir, "*.py"))
		for _, file := range files {
			if b, err := os.ReadFile(file); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("def f[T = int](x: T = 1, *, y): return f'{x!r:{y}}'\n"))
	p := newParser()
	f.Fuzz(func(t *testing.T, src []byte) {
		for _, minor := range []int{0, 11, 12} {
			if e := p.embeddedCheck(src, minor); e != nil && e.Line < 0 {
				t.Fatalf("negative line %+v", e)
			}
		}
		p.analyze(src, "fuzz.py", 0)
	})
}

// FuzzIgnore: no .airflowignore content makes the ignore rules panic.
func FuzzIgnore(f *testing.F) {
	for _, s := range []string{"*.py\n!keep.py\n", "/build/\n**/tests/**\n", "[a-\\", "\\!x\n\\#y\n", "a/**/b", "[!]]x"} {
		f.Add(s, "team/x.py")
	}
	f.Fuzz(func(t *testing.T, content, rel string) {
		for _, syntax := range []string{SyntaxGlob, SyntaxRegexp} {
			rules, _ := parseIgnore(content, "team", ".airflowignore", syntax)
			ignored(rules, syntax, rel, false)
			ignored(rules, syntax, rel, true)
		}
	})
}
