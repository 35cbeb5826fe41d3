package python

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dagnfs/dagnfs/validate/python/ast"
)

// astOracle prints, for each file named on stdin, its syntax tree as
// ast.parse gives it, in the form dump writes here: CPython's node types,
// fields (in its order) and positions; a constant by its type (a string
// by its value's bytes); positions inside an f-string only from 3.12
// (before, CPython put its parts where the whole string is, and its inner
// expressions by a search in the string's text); empty literal parts of an
// f-string left out (3.12.0-3.12.x add one after a format spec).
const astOracle = `
import ast, json, sys, warnings
warnings.simplefilter("ignore")
sys.setrecursionlimit(1000000)
V = sys.version_info[:2]
def const(n):
    v = n.value
    if type(v) is str:
        s = "str:" + v.encode("utf-8", "surrogatepass").hex()
    elif type(v) is bytes:
        s = "bytes:" + v.hex()
    elif type(v) is bool or v is None or v is Ellipsis:
        s = repr(v)
    else:
        s = type(v).__name__
    return s + (",u" if n.kind else "")
def dump(n, inside):
    if n is None:
        return "None"
    if isinstance(n, list):
        return "[" + ", ".join(dump(x, inside) for x in n) + "]"
    if isinstance(n, str):
        return "'" + n + "'"
    if isinstance(n, int):
        return str(n)
    name = type(n).__name__
    if isinstance(n, (ast.expr_context, ast.operator, ast.unaryop, ast.boolop, ast.cmpop)):
        return name
    if isinstance(n, ast.Constant):
        body = const(n)
    else:
        parts = []
        for f in n._fields:
            if f in ("type_comment", "type_ignores"):
                continue
            v = getattr(n, f, None)
            if isinstance(n, ast.JoinedStr):
                v = [x for x in v if not (isinstance(x, ast.Constant) and x.value == "")]
            parts.append(f + "=" + dump(v, inside or isinstance(n, ast.JoinedStr)))
        body = ", ".join(parts)
    pos = ""
    if getattr(n, "lineno", None) is not None and not (inside and V < (3, 12)):
        pos = " @%d:%d-%d:%d" % (n.lineno, n.col_offset, n.end_lineno, n.end_col_offset)
    return name + "(" + body + pos + ")"
for path in sys.stdin.read().split("\0"):
    if not path:
        continue
    out = {"file": path}
    try:
        with open(path, "rb") as f:
            src = f.read()
        out["dump"] = dump(ast.parse(src, path), False)
        compile(src, path, "exec", dont_inherit=True)
    except SyntaxError as e:
        if "dump" in out:
            out["compile"] = [e.msg, e.lineno or 0, e.offset or 0]
    except Exception as e:
        out["error"] = type(e).__name__
    print(json.dumps(out))
`

// fieldKinds are how dump writes a field: a node or None, a list, an
// identifier, a number, an operator.
type fieldKind uint8

const (
	fNode fieldKind = iota
	fList
	fIdent
	fIdents
	fInt
	fOp
	fOps
	fCtx
)

type fieldSpec struct {
	name  string
	field ast.Field
	kind  fieldKind
	since int // the first minor version that has it
}

// astFields are CPython's _fields of each node type (type comments
// aside), for dump.
var astFields = map[ast.Kind][]fieldSpec{}

func init() {
	def := func(k ast.Kind, specs ...fieldSpec) { astFields[k] = specs }
	n := func(name string, f ast.Field) fieldSpec { return fieldSpec{name, f, fNode, 0} }
	l := func(name string, f ast.Field) fieldSpec { return fieldSpec{name, f, fList, 0} }
	id := func(name string, f ast.Field) fieldSpec { return fieldSpec{name, f, fIdent, 0} }
	op := fieldSpec{"op", ast.NoField, fOp, 0}
	ctx := fieldSpec{"ctx", ast.NoField, fCtx, 0}
	tp := fieldSpec{"type_params", ast.TypeParams, fList, 12}
	dv := fieldSpec{"default_value", ast.DefaultValue, fNode, 13}
	for _, k := range []ast.Kind{ast.FunctionDef, ast.AsyncFunctionDef} {
		def(k, id("name", ast.Ident), n("args", ast.Args), l("body", ast.Body), l("decorator_list", ast.Decorators), n("returns", ast.Returns), tp)
	}
	def(ast.ClassDef, id("name", ast.Ident), l("bases", ast.Bases), l("keywords", ast.Keywords), l("body", ast.Body), l("decorator_list", ast.Decorators), tp)
	def(ast.Return, n("value", ast.Value))
	def(ast.Delete, l("targets", ast.Targets))
	def(ast.Assign, l("targets", ast.Targets), n("value", ast.Value))
	def(ast.TypeAlias, n("name", ast.Ident), tp, n("value", ast.Value))
	def(ast.AugAssign, n("target", ast.Target), op, n("value", ast.Value))
	def(ast.AnnAssign, n("target", ast.Target), n("annotation", ast.Annotation), n("value", ast.Value), fieldSpec{"simple", ast.NoField, fInt, 0})
	for _, k := range []ast.Kind{ast.For, ast.AsyncFor} {
		def(k, n("target", ast.Target), n("iter", ast.Iter), l("body", ast.Body), l("orelse", ast.OrElse))
	}
	def(ast.While, n("test", ast.Test), l("body", ast.Body), l("orelse", ast.OrElse))
	def(ast.If, n("test", ast.Test), l("body", ast.Body), l("orelse", ast.OrElse))
	def(ast.With, l("items", ast.Items), l("body", ast.Body))
	def(ast.AsyncWith, l("items", ast.Items), l("body", ast.Body))
	def(ast.Match, n("subject", ast.Subject), l("cases", ast.Cases))
	def(ast.Raise, n("exc", ast.Exc), n("cause", ast.Cause))
	for _, k := range []ast.Kind{ast.Try, ast.TryStar} {
		def(k, l("body", ast.Body), l("handlers", ast.Handlers), l("orelse", ast.OrElse), l("finalbody", ast.FinalBody))
	}
	def(ast.Assert, n("test", ast.Test), n("msg", ast.Msg))
	def(ast.Import, l("names", ast.Names))
	def(ast.ImportFrom, id("module", ast.ModuleName), l("names", ast.Names), fieldSpec{"level", ast.NoField, fInt, 0})
	def(ast.Global, fieldSpec{"names", ast.Names, fIdents, 0})
	def(ast.Nonlocal, fieldSpec{"names", ast.Names, fIdents, 0})
	def(ast.Expr, n("value", ast.Value))
	def(ast.Pass)
	def(ast.Break)
	def(ast.Continue)
	def(ast.BoolOp, op, l("values", ast.Values))
	def(ast.NamedExpr, n("target", ast.Target), n("value", ast.Value))
	def(ast.BinOp, n("left", ast.Left), op, n("right", ast.Right))
	def(ast.UnaryOp, op, n("operand", ast.Operand))
	def(ast.Lambda, n("args", ast.Args), n("body", ast.Body))
	def(ast.IfExp, n("test", ast.Test), n("body", ast.Body), n("orelse", ast.OrElse))
	def(ast.Set, l("elts", ast.Elts))
	for _, k := range []ast.Kind{ast.ListComp, ast.SetComp, ast.GeneratorExp} {
		def(k, n("elt", ast.Elt), l("generators", ast.Generators))
	}
	def(ast.DictComp, n("key", ast.Key), n("value", ast.Value), l("generators", ast.Generators))
	def(ast.Await, n("value", ast.Value))
	def(ast.Yield, n("value", ast.Value))
	def(ast.YieldFrom, n("value", ast.Value))
	def(ast.Compare, n("left", ast.Left), fieldSpec{"ops", ast.Ops, fOps, 0}, l("comparators", ast.Comparators))
	def(ast.Call, n("func", ast.Func), l("args", ast.Args), l("keywords", ast.Keywords))
	def(ast.FormattedValue, n("value", ast.Value), fieldSpec{"conversion", ast.NoField, fInt, 0}, n("format_spec", ast.FormatSpec))
	def(ast.JoinedStr, l("values", ast.Values))
	def(ast.Attribute, n("value", ast.Value), id("attr", ast.Attr), ctx)
	def(ast.Subscript, n("value", ast.Value), n("slice", ast.Index), ctx)
	def(ast.Starred, n("value", ast.Value), ctx)
	def(ast.List, l("elts", ast.Elts), ctx)
	def(ast.Tuple, l("elts", ast.Elts), ctx)
	def(ast.Slice, n("lower", ast.Lower), n("upper", ast.Upper), n("step", ast.Step))
	def(ast.Comprehension, n("target", ast.Target), n("iter", ast.Iter), l("ifs", ast.Ifs), fieldSpec{"is_async", ast.NoField, fInt, 0})
	def(ast.ExceptHandler, n("type", ast.Type), id("name", ast.Ident), l("body", ast.Body))
	def(ast.Arg, id("arg", ast.ArgName), n("annotation", ast.Annotation))
	def(ast.Keyword, id("arg", ast.ArgName), n("value", ast.Value))
	def(ast.Alias, id("name", ast.Ident), id("asname", ast.AsName))
	def(ast.WithItem, n("context_expr", ast.ContextExpr), n("optional_vars", ast.OptionalVars))
	def(ast.MatchCase, n("pattern", ast.Pattern), n("guard", ast.Guard), l("body", ast.Body))
	def(ast.MatchValue, n("value", ast.Value))
	def(ast.MatchSequence, l("patterns", ast.Patterns))
	def(ast.MatchMapping, l("keys", ast.Keys), l("patterns", ast.Patterns), id("rest", ast.Rest))
	def(ast.MatchClass, n("cls", ast.Cls), l("patterns", ast.Patterns), fieldSpec{"kwd_attrs", ast.KwdAttrs, fIdents, 0}, l("kwd_patterns", ast.KwdPatterns))
	def(ast.MatchStar, id("name", ast.Ident))
	def(ast.MatchAs, n("pattern", ast.Pattern), id("name", ast.Ident))
	def(ast.MatchOr, l("patterns", ast.Patterns))
	def(ast.TypeVar, id("name", ast.Ident), n("bound", ast.Bound), dv)
	def(ast.ParamSpec, id("name", ast.Ident), dv)
	def(ast.TypeVarTuple, id("name", ast.Ident), dv)
}

// dumper writes a tree as astOracle does.
type dumper struct {
	t     *ast.Tree
	minor int
	out   strings.Builder
}

func dump(t *ast.Tree, minor int) string {
	d := &dumper{t: t, minor: minor}
	d.out.WriteString("Module(body=")
	d.list(t.Root(), ast.Body, false)
	d.out.WriteString(")")
	return d.out.String()
}

func (d *dumper) list(n *ast.Node, f ast.Field, inside bool) {
	d.out.WriteString("[")
	first := true
	for c := range d.t.All(n, f) {
		if n.Kind == ast.JoinedStr && c.Kind == ast.Constant {
			if s, _ := d.t.String(c); s == "" {
				continue
			}
		}
		if !first {
			d.out.WriteString(", ")
		}
		first = false
		d.node(c, inside)
	}
	d.out.WriteString("]")
}

func (d *dumper) node(n *ast.Node, inside bool) {
	if n == nil {
		d.out.WriteString("None")
		return
	}
	d.out.WriteString(n.Kind.String() + "(")
	switch n.Kind {
	case ast.Constant:
		d.constant(n)
	case ast.Name:
		fmt.Fprintf(&d.out, "id='%s', ctx=%s", d.t.Name(n), n.Ctx)
	case ast.Arguments:
		d.arguments(n, inside)
	case ast.Dict:
		d.dict(n, inside)
	case ast.MatchSingleton:
		fmt.Fprintf(&d.out, "value=%s", n.Op)
	default:
		inner := inside || n.Kind == ast.JoinedStr
		sep := ""
		for _, s := range astFields[n.Kind] {
			if d.minor < s.since {
				continue
			}
			d.out.WriteString(sep + s.name + "=")
			sep = ", "
			switch s.kind {
			case fNode:
				d.node(d.t.Child(n, s.field), inner)
			case fList:
				d.list(n, s.field, inner)
			case fIdent:
				if c := d.t.Child(n, s.field); c != nil {
					fmt.Fprintf(&d.out, "'%s'", d.t.Name(c))
				} else {
					d.out.WriteString("None")
				}
			case fIdents, fOps:
				var names []string
				for c := range d.t.All(n, s.field) {
					if s.kind == fOps {
						names = append(names, c.Op.String())
					} else {
						names = append(names, "'"+d.t.Name(c)+"'")
					}
				}
				d.out.WriteString("[" + strings.Join(names, ", ") + "]")
			case fInt:
				v := 0
				switch n.Kind {
				case ast.ImportFrom:
					v = n.Level()
				case ast.FormattedValue:
					v = n.Conversion()
				case ast.AnnAssign:
					if n.Simple() {
						v = 1
					}
				case ast.Comprehension:
					if n.IsAsync() {
						v = 1
					}
				}
				fmt.Fprintf(&d.out, "%d", v)
			case fOp:
				d.out.WriteString(n.Op.String())
			case fCtx:
				d.out.WriteString(n.Ctx.String())
			}
		}
	}
	if d.positioned(n) && !(inside && d.minor < 12) {
		l1, c1 := d.t.Position(n.Off)
		l2, c2 := d.t.Position(n.EndOff)
		fmt.Fprintf(&d.out, " @%d:%d-%d:%d", l1, c1, l2, c2)
	}
	d.out.WriteString(")")
}

// positioned reports whether CPython gives the node a position.
func (d *dumper) positioned(n *ast.Node) bool {
	switch n.Kind {
	case ast.Module, ast.Comprehension, ast.Arguments, ast.WithItem, ast.MatchCase:
		return false
	case ast.Alias:
		return d.minor >= 10
	}
	return true
}

func (d *dumper) constant(n *ast.Node) {
	switch n.Op {
	case ast.Str, ast.Bytes:
		s, _ := d.t.String(n)
		fmt.Fprintf(&d.out, "%s:%s", n.Op, hex.EncodeToString([]byte(s)))
	default:
		d.out.WriteString(n.Op.String())
	}
	if d.t.UKind(n) {
		d.out.WriteString(",u")
	}
}

func (d *dumper) arguments(n *ast.Node, inside bool) {
	group := func(name string, f ast.Field) {
		fmt.Fprintf(&d.out, "%s=", name)
		d.list(n, f, inside)
	}
	one := func(name string, f ast.Field) {
		fmt.Fprintf(&d.out, ", %s=", name)
		d.node(d.t.Child(n, f), inside)
	}
	group("posonlyargs", ast.PosOnlyArgs)
	d.out.WriteString(", ")
	group("args", ast.Args)
	one("vararg", ast.VarArg)
	d.out.WriteString(", ")
	group("kwonlyargs", ast.KwOnlyArgs)
	d.out.WriteString(", kw_defaults=[")
	sep := ""
	for a := range d.t.All(n, ast.KwOnlyArgs) {
		d.out.WriteString(sep)
		sep = ", "
		d.node(d.t.Child(a, ast.Default), inside)
	}
	d.out.WriteString("]")
	one("kwarg", ast.KwArg)
	d.out.WriteString(", defaults=[")
	sep = ""
	for a := range d.t.Children(n) {
		if def := d.t.Child(a, ast.Default); def != nil && (a.Field == ast.PosOnlyArgs || a.Field == ast.Args) {
			d.out.WriteString(sep)
			sep = ", "
			d.node(def, inside)
		}
	}
	d.out.WriteString("]")
}

func (d *dumper) dict(n *ast.Node, inside bool) {
	var keys, values []*ast.Node
	var key *ast.Node
	for c := range d.t.Children(n) {
		if c.Field == ast.Key {
			key = c
			continue
		}
		keys, values = append(keys, key), append(values, c)
		key = nil
	}
	for i, part := range [][]*ast.Node{keys, values} {
		if i > 0 {
			d.out.WriteString(", ")
		}
		d.out.WriteString([]string{"keys=[", "values=["}[i])
		for j, c := range part {
			if j > 0 {
				d.out.WriteString(", ")
			}
			d.node(c, inside)
		}
		d.out.WriteString("]")
	}
}

// The syntax tree is CPython's: for every file of the corpus and the
// standard library that CPython parses, for each Python found, the same
// node types, fields, identifiers, constants and positions as ast.parse
// (dump says what is compared); and where compile() refuses what
// ast.parse takes (its checks after parsing), the same error.
func TestTreeMatchesCPython(t *testing.T) {
	t.Parallel() // the measuring tests run alone first
	for minor, python := range pythons(t) {
		t.Run(fmt.Sprintf("3.%d", minor), func(t *testing.T) {
			files := append(corpusFiles(t, python, minor), treeFiles(t, minor)...)
			cmd := exec.Command(python, "-c", astOracle)
			cmd.Stdin = strings.NewReader(strings.Join(files, "\x00"))
			var same, differ, compiled int
			var wrong []string
			for _, o := range runOracleWith(t, cmd) {
				if o.Dump == "" {
					continue
				}
				raw, err := os.ReadFile(o.File)
				require.NoError(t, err)
				if !utf8.Valid(raw) {
					continue // decoding is the caller's
				}
				src := bytes.TrimPrefix(Normalize(raw), []byte("\ufeff"))
				tree, e := parseTree(src, minor)
				if e != nil {
					differ++
					wrong = append(wrong, fmt.Sprintf("%s: CPython parses it; ours: %v", o.File, e))
					continue
				}
				e = checkTree(tree, minor)
				if o.Compile != nil {
					// ast.parse takes it, compile() refuses it: one of
					// the compiler's checks, which ours must make alike.
					compiled++
				}
				if o.Compile != nil && (e == nil || o.Compile[0] != e.Msg || o.Compile[1] != float64(e.Line) || o.Compile[2] != float64(e.Col)) ||
					o.Compile == nil && e != nil {
					differ++
					wrong = append(wrong, fmt.Sprintf("%s: CPython's compile() says %v; ours: %v", o.File, o.Compile, e))
					continue
				}
				if got := dump(tree, minor); got != o.Dump {
					differ++
					wrong = append(wrong, fmt.Sprintf("%s:\n%s", o.File, firstDifference(got, o.Dump)))
					continue
				}
				same++
			}
			t.Logf("3.%d: %d trees the same, %d differ; %d files compile() refuses after parsing", minor, same, differ, compiled)
			if len(wrong) > 8 {
				wrong = wrong[:8]
			}
			assert.Empty(t, wrong)
		})
	}
}

// treeFiles are testdata/trees' files that hold every construct of the
// grammar up to Python 3.minor (allNN.py has those of 3.NN).
func treeFiles(t *testing.T, minor int) []string {
	var files []string
	for m := 9; m <= minor; m++ {
		f := fmt.Sprintf("testdata/trees/all3%d.py", m)
		_, err := os.Stat(f)
		require.NoError(t, err)
		files = append(files, f)
	}
	return files
}

// firstDifference shows where two dumps part.
func firstDifference(got, want string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(0, i-200)
	return fmt.Sprintf("  ours:    ...%s\n  CPython: ...%s", got[from:min(len(got), i+120)], want[from:min(len(want), i+120)])
}
