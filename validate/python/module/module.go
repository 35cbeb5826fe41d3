// Package module reads what a Python module binds and imports, from its
// syntax tree: the static view of imports and module namespaces that
// validation's environment rules (validate --env) and the environment index
// (dagnfs env capture) share. Nothing is imported or run.
package module

import (
	"regexp"
	"strings"

	"github.com/dagnfs/dagnfs/validate/python"
	"github.com/dagnfs/dagnfs/validate/python/ast"
)

// Context says when an import runs.
type Context int

const (
	// AtImport: at module level, when Airflow parses the file.
	AtImport Context = iota
	// Guarded: at module level inside a try whose handlers catch
	// ImportError (or something broader): a failure is handled.
	Guarded
	// TypeChecking: under if TYPE_CHECKING: never at run time.
	TypeChecking
	// Deferred: inside a function, when a task runs.
	Deferred
)

// Import is one import statement's module and, for from-imports, a name.
type Import struct {
	// Module is the dotted module name, without the leading dots of a
	// relative import (Level counts them).
	Module string
	Level  int
	// Name is the imported name of a from-import ("*" for a star import),
	// "" for a plain import.
	Name   string
	Line   int
	Column int
	// ModuleLine and ModuleColumn are where the module is named (a
	// failure to find it is reported there).
	ModuleLine, ModuleColumn int
	Context                  Context
}

// Info is what a module's top level binds, statically.
type Info struct {
	// Names are the names bound at module level: definitions,
	// assignments, for and with targets, imports.
	Names []string
	// All is __all__ when it is a literal list or tuple of strings, else
	// nil.
	All []string
	// Stars are the star imports' modules (relative ones with their dots).
	Stars []string
	// Dynamic: a module-level __getattr__ or a lazy-import table makes
	// more names than these resolve.
	Dynamic bool
	// Failed: the module does not parse (its names are unknown).
	Failed bool
}

// newest is the Python 3 minor version modules are read as.
const newest = 13

// withTree parses a file's bytes as the newest Python and runs fn on its
// tree; nothing when it does not compile.
func withTree(raw []byte, fn func(t *ast.Tree)) bool {
	src, _, err := python.Decode(raw)
	if err != nil {
		return false
	}
	var p python.Parser
	t, err := p.ParseFile(src, newest)
	if err != nil {
		return false
	}
	fn(t)
	return true
}

// Names reads what a module's top level binds, from its file's bytes.
func Names(src []byte) Info {
	var mi Info
	if !withTree(src, func(t *ast.Tree) {
		b := &binder{t: t, seen: map[string]bool{}}
		b.block(t.Root(), ast.Body)
		mi = Info{Names: b.names, All: b.all, Stars: b.stars, Dynamic: b.dynamic}
	}) {
		mi.Failed = true
	}
	return mi
}

// Imports lists a module's imports with when each runs, from its file's
// bytes; nil when it does not compile.
func Imports(src []byte) []Import {
	var out []Import
	withTree(src, func(t *ast.Tree) { out = TreeImports(t) })
	return out
}

// TreeImports lists the imports of a module's syntax tree with when each
// runs (never nil).
func TreeImports(t *ast.Tree) []Import {
	w := &importWalker{t: t, out: []Import{}}
	w.block(t.Root(), ast.Body, AtImport)
	return w.out
}

// Identifier reports whether s is an ASCII Python identifier (a module
// name's part as a package's folder or file may spell it).
func Identifier(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for _, c := range s {
		if !(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			return false
		}
	}
	return true
}

// binder collects a module's top-level bindings.
type binder struct {
	t       *ast.Tree
	names   []string
	seen    map[string]bool
	all     []string
	stars   []string
	dynamic bool
}

func (b *binder) bind(name string) {
	if name == "" || b.seen[name] {
		return
	}
	b.seen[name] = true
	b.names = append(b.names, name)
	if strings.Contains(name, "lazy_imports") || strings.Contains(name, "deprecated_classes") {
		b.dynamic = true // Airflow's __lazy_imports and __deprecated_classes, resolved at run time
	}
}

// target binds the names an assignment target binds.
func (b *binder) target(n *ast.Node) {
	switch n.Kind {
	case ast.Name:
		b.bind(b.t.Name(n))
	case ast.Tuple, ast.List, ast.Starred:
		for c := range b.t.Children(n) {
			b.target(c)
		}
	}
}

// block walks the statements of n's field f that run at import time: into
// if, try, with, for and while bodies, not into functions or classes.
func (b *binder) block(n *ast.Node, f ast.Field) {
	for st := range b.t.All(n, f) {
		b.statement(st)
	}
}

func (b *binder) statement(st *ast.Node) {
	t := b.t
	switch st.Kind {
	case ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef:
		name := t.Name(t.Child(st, ast.Ident))
		b.bind(name)
		if name == "__getattr__" && st.Kind != ast.ClassDef {
			b.dynamic = true
		}
	case ast.Import:
		for al := range t.All(st, ast.Names) {
			if as := t.Child(al, ast.AsName); as != nil {
				b.bind(t.Name(as))
			} else {
				first, _, _ := strings.Cut(t.Name(t.Child(al, ast.Ident)), ".")
				b.bind(first)
			}
		}
	case ast.ImportFrom:
		mod := t.Child(st, ast.ModuleName)
		if st.Level() == 0 && mod != nil && t.Name(mod) == "__future__" {
			return // compiler directives (capture.py skips them too)
		}
		for al := range t.All(st, ast.Names) {
			_, alias := t.Alias(al)
			if alias == "*" {
				name := strings.Repeat(".", st.Level())
				if mod != nil {
					name += t.Name(mod)
				}
				b.stars = append(b.stars, name)
				continue
			}
			b.bind(alias)
		}
	case ast.Expr:
		if v := t.Child(st, ast.Value); v.Kind == ast.Call && strings.HasSuffix(t.Dotted(t.Child(v, ast.Func)), "add_deprecated_classes") {
			b.dynamic = true
		}
	case ast.Assign:
		value := t.Child(st, ast.Value)
		for tg := range t.All(st, ast.Targets) {
			if tg.Kind == ast.Subscript && t.Dotted(t.Child(tg, ast.Value)) == "sys.modules" {
				b.dynamic = true
			}
			b.target(tg)
			if tg.Kind == ast.Name && t.Name(tg) == "__all__" {
				b.all = b.strings(value)
			}
		}
	case ast.AugAssign, ast.AnnAssign:
		tg := t.Child(st, ast.Target)
		if tg.Kind != ast.Name || st.Kind == ast.AnnAssign && t.Child(st, ast.Value) == nil {
			return
		}
		b.bind(t.Name(tg))
		if st.Kind == ast.AugAssign && t.Name(tg) == "__all__" && b.all != nil {
			if more := b.strings(t.Child(st, ast.Value)); more != nil {
				b.all = append(b.all, more...)
			}
		}
	case ast.If, ast.While:
		b.block(st, ast.Body)
		b.block(st, ast.OrElse)
	case ast.Try, ast.TryStar:
		b.block(st, ast.Body)
		for h := range t.All(st, ast.Handlers) {
			b.block(h, ast.Body)
		}
		b.block(st, ast.OrElse)
		b.block(st, ast.FinalBody)
	case ast.For, ast.AsyncFor:
		b.target(t.Child(st, ast.Target))
		b.block(st, ast.Body)
		b.block(st, ast.OrElse)
	case ast.With, ast.AsyncWith:
		for it := range t.All(st, ast.Items) {
			if v := t.Child(it, ast.OptionalVars); v != nil {
				b.target(v)
			}
		}
		b.block(st, ast.Body)
	}
}

// strings is a literal list or tuple of simple names, or nil.
func (b *binder) strings(n *ast.Node) []string {
	if n == nil || n.Kind != ast.List && n.Kind != ast.Tuple {
		return nil
	}
	out := []string{}
	for c := range b.t.All(n, ast.Elts) {
		m := simpleName.FindStringSubmatch(b.t.Text(c))
		if c.Kind != ast.Constant || c.Op != ast.Str || m == nil || m[1] != m[3] {
			return nil
		}
		out = append(out, m[2])
	}
	return out
}

// simpleName is a string literal an __all__ may hold: one plain quoted
// identifier (the environment script applies the same test to the source).
var simpleName = regexp.MustCompile(`^[rRuU]?('|")([A-Za-z_][A-Za-z0-9_]*)('|")$`)

// importWalker lists a file's imports with their context.
type importWalker struct {
	t   *ast.Tree
	out []Import
}

// block walks the statements of n's field f.
func (w *importWalker) block(n *ast.Node, f ast.Field, ctx Context) {
	for st := range w.t.All(n, f) {
		w.statement(st, ctx)
	}
}

func (w *importWalker) add(n *ast.Node, modOff int32, mod string, level int, name string, ctx Context) {
	line, col := w.t.Position(n.Off)
	mline, mcol := w.t.Position(modOff)
	w.out = append(w.out, Import{Module: mod, Level: level, Name: name, Line: line, Column: col + 1,
		ModuleLine: mline, ModuleColumn: mcol + 1, Context: ctx})
}

func (w *importWalker) statement(st *ast.Node, ctx Context) {
	t := w.t
	switch st.Kind {
	case ast.Import:
		for al := range t.All(st, ast.Names) {
			name := t.Child(al, ast.Ident)
			w.add(al, name.Off, t.Name(name), 0, "", ctx)
		}
	case ast.ImportFrom:
		// The module is named where its dots or its name begin.
		mn := t.Child(st, ast.ModuleName)
		mod, at := "", w.afterFrom(st)
		if mn != nil {
			mod = t.Name(mn)
			if st.Level() == 0 {
				at = mn.Off
			}
		}
		for al := range t.All(st, ast.Names) {
			name := t.Name(t.Child(al, ast.Ident))
			where := al
			if name == "*" {
				where = st
			}
			w.add(where, at, mod, st.Level(), name, ctx)
		}
	case ast.FunctionDef, ast.AsyncFunctionDef:
		w.block(st, ast.Body, Deferred)
	case ast.ClassDef:
		w.block(st, ast.Body, ctx) // a class body runs at import time
	case ast.If:
		inner := ctx
		if ctx != Deferred && w.typeChecking(t.Child(st, ast.Test)) {
			inner = TypeChecking
		}
		w.block(st, ast.Body, inner)
		w.block(st, ast.OrElse, ctx)
	case ast.Try, ast.TryStar:
		inner := ctx
		if ctx == AtImport && w.catchesImportError(st) {
			inner = Guarded
		}
		w.block(st, ast.Body, inner)
		for h := range t.All(st, ast.Handlers) {
			w.block(h, ast.Body, ctx)
		}
		w.block(st, ast.OrElse, ctx)
		w.block(st, ast.FinalBody, ctx)
	case ast.With, ast.AsyncWith, ast.While, ast.For, ast.AsyncFor:
		w.block(st, ast.Body, ctx)
		w.block(st, ast.OrElse, ctx)
	case ast.Match:
		for c := range t.All(st, ast.Cases) {
			w.block(c, ast.Body, ctx)
		}
	}
}

// afterFrom is where a from-import's module begins: past "from" and the
// blanks and line continuations after it.
func (w *importWalker) afterFrom(st *ast.Node) int32 {
	i := st.Off + int32(len("from"))
	for int(i) < len(w.t.Src) {
		switch c := w.t.Src[i]; {
		case c == ' ' || c == '\t' || c == '\f':
			i++
		case c == '\\' && int(i)+1 < len(w.t.Src) && w.t.Src[i+1] == '\n':
			i += 2
		default:
			return i
		}
	}
	return i
}

// typeChecking: the condition is TYPE_CHECKING or typing.TYPE_CHECKING.
func (w *importWalker) typeChecking(cond *ast.Node) bool {
	if cond == nil {
		return false
	}
	name := w.t.Dotted(cond)
	return name == "TYPE_CHECKING" || strings.HasSuffix(name, ".TYPE_CHECKING")
}

// importCatchers are the exceptions whose handler covers a failed import.
var importCatchers = map[string]bool{"ImportError": true, "ModuleNotFoundError": true, "Exception": true, "BaseException": true}

// catchesImportError: one of the try's handlers catches a failed import (a
// bare except does too).
func (w *importWalker) catchesImportError(st *ast.Node) bool {
	for h := range w.t.All(st, ast.Handlers) {
		types := w.t.Child(h, ast.Type)
		if types == nil {
			return true // a bare except
		}
		list := []*ast.Node{types}
		if types.Kind == ast.Tuple {
			list = list[:0]
			for e := range w.t.All(types, ast.Elts) {
				list = append(list, e)
			}
		}
		for _, ty := range list {
			name := w.t.Dotted(ty)
			if i := strings.LastIndexByte(name, '.'); i >= 0 {
				name = name[i+1:]
			}
			if importCatchers[name] {
				return true
			}
		}
	}
	return false
}
