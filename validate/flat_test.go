package validate

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	sitter "github.com/tree-sitter/go-tree-sitter"
)

// The flat copy of a parse is the parse: same nodes in the same order, with
// the same kinds, fields, flags and positions, as go-tree-sitter's own walk
// gives; on valid and broken files alike. It guards the layout the copy
// relies on (the C declarations in flat.go).
func TestFlatTreeMatches(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(corpus, "*", "*.py"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	files = append(files, "testdata/realdags/sales_etl.py")
	p := newParser()
	defer p.close()
	ref := sitter.NewParser()
	defer ref.Close()
	require.NoError(t, ref.SetLanguage(pythonLang))
	nodes := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, s := range [][]byte{src, append(append([]byte{}, src...), "\nx = = (\n"...)} {
			tree := ref.Parse(s, nil)
			flat := p.parseFlat(s, scanned{}) // as given: no line joined
			var walk func(a *sitter.Node, b *node)
			walk = func(a *sitter.Node, b *node) {
				nodes++
				require.Equal(t, a.Kind(), b.Kind(), "%s", f)
				require.Equal(t, a.StartByte(), b.StartByte(), "%s %s", f, a.Kind())
				require.Equal(t, a.EndByte(), b.EndByte(), "%s %s", f, a.Kind())
				require.Equal(t, a.StartPosition().Row, b.StartPosition().Row)
				require.Equal(t, a.StartPosition().Column, b.StartPosition().Column)
				require.Equal(t, a.EndPosition().Row, b.EndPosition().Row)
				require.Equal(t, a.EndPosition().Column, b.EndPosition().Column)
				require.Equal(t, a.IsNamed(), b.IsNamed())
				require.Equal(t, a.IsError(), b.IsError())
				require.Equal(t, a.IsMissing(), b.IsMissing())
				require.Equal(t, a.HasError(), b.HasError())
				require.Equal(t, a.ChildCount(), b.ChildCount(), "%s %s", f, a.Kind())
				require.Equal(t, a.NamedChildCount(), b.NamedChildCount(), "%s %s", f, a.Kind())
				for i := uint(0); i < a.ChildCount(); i++ {
					require.Equal(t, a.FieldNameForChild(uint32(i)), b.FieldNameForChild(uint32(i)), "%s %s child %d", f, a.Kind(), i)
					walk(a.Child(i), b.Child(i))
				}
				for i := uint(0); i < a.NamedChildCount(); i++ {
					require.Equal(t, a.NamedChild(i).StartByte(), b.NamedChild(i).StartByte())
				}
				for _, field := range []string{"body", "name", "value", "left", "right", "function", "arguments"} {
					fa, fb := a.ChildByFieldName(field), b.ChildByFieldName(field)
					require.Equal(t, fa == nil, fb == nil, "%s %s field %s", f, a.Kind(), field)
					if fa != nil {
						require.Equal(t, fa.StartByte(), fb.StartByte())
					}
				}
			}
			walk(tree.RootNode(), flat)
			tree.Close()
		}
	}
	t.Logf("%d files, %d nodes compared", len(files), nodes)
}
