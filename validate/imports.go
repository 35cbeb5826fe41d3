package validate

import (
	"regexp"
	"strings"
	"sync"
)

// The static view of Python imports and module namespaces that the
// environment rules (validate --env) and the environment index (dagnfs env
// capture) share. Nothing is imported or run: the module's syntax tree is
// read.

// ImportContext says when an import runs.
type ImportContext int

const (
	// AtImport: at module level, when Airflow parses the file.
	AtImport ImportContext = iota
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
	Context                  ImportContext
}

// ModuleInfo is what a module's top level binds, statically.
type ModuleInfo struct {
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

var parsers = sync.Pool{New: func() any { return newParser() }}

// withTree parses src with a pooled parser and runs fn on the tree.
func withTree(src []byte, fn func(root *node)) {
	p := parsers.Get().(*parser)
	defer parsers.Put(p)
	root := p.parseFlat(src, scanSource(src))
	if root.ft().tooDeep {
		return // nested past what CPython compiles: nothing to read (nothing walks it)
	}
	fn(root)
}

// ModuleNames reads what src's top level binds.
func ModuleNames(src []byte) ModuleInfo {
	var mi ModuleInfo
	withTree(src, func(root *node) {
		if root.HasError() {
			mi.Failed = true
			return
		}
		b := &binder{src: src, seen: map[string]bool{}}
		b.block(root)
		mi = ModuleInfo{Names: b.names, All: b.all, Stars: b.stars, Dynamic: b.dynamic}
	})
	return mi
}

// FileImports lists src's imports with when each runs; nil when src does
// not parse (the syntax rule reports that).
func FileImports(src []byte) []Import {
	var out []Import
	withTree(src, func(root *node) {
		if root.HasError() {
			return
		}
		w := &importWalker{src: src}
		w.block(root, AtImport)
		out = w.out
	})
	return out
}

// binder collects a module's top-level bindings.
type binder struct {
	src     []byte
	names   []string
	seen    map[string]bool
	all     []string
	stars   []string
	dynamic bool
}

func (b *binder) text(n *node) string { return n.Utf8Text(b.src) }

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
func (b *binder) target(n *node) {
	switch n.Kind() {
	case "identifier":
		b.bind(b.text(n))
	case "pattern_list", "tuple_pattern", "list_pattern", "tuple", "list", "list_splat_pattern",
		"parenthesized_expression", "as_pattern_target":
		for _, c := range children(n) {
			b.target(c)
		}
	}
}

// block walks the statements that run at import time: into if, try, with,
// for and while bodies, not into functions or classes.
func (b *binder) block(n *node) {
	for _, st := range children(n) {
		b.statement(st)
	}
}

func (b *binder) statement(st *node) {
	switch st.Kind() {
	case "function_definition", "class_definition":
		name := b.text(st.ChildByFieldName("name"))
		b.bind(name)
		if name == "__getattr__" && st.Kind() == "function_definition" {
			b.dynamic = true
		}
	case "decorated_definition":
		if d := st.ChildByFieldName("definition"); d != nil {
			b.statement(d)
		}
	case "import_statement":
		for _, n := range fieldChildren(st, "name") {
			if n.Kind() == "aliased_import" {
				b.bind(b.text(n.ChildByFieldName("alias")))
			} else {
				first, _, _ := strings.Cut(b.text(n), ".")
				b.bind(first)
			}
		}
	case "import_from_statement":
		mod := st.ChildByFieldName("module_name")
		for _, c := range children(st) {
			if c.Kind() == "wildcard_import" && mod != nil {
				b.stars = append(b.stars, b.text(mod))
			}
		}
		for _, n := range fieldChildren(st, "name") {
			if n.Kind() == "aliased_import" {
				b.bind(b.text(n.ChildByFieldName("alias")))
			} else {
				b.bind(b.text(n))
			}
		}
	case "expression_statement":
		for _, e := range children(st) {
			b.expression(e)
		}
	case "if_statement", "elif_clause", "else_clause", "try_statement", "except_clause", "except_group_clause",
		"finally_clause", "while_statement", "block":
		for _, c := range children(st) {
			if c.Kind() == "block" || strings.HasSuffix(c.Kind(), "_clause") {
				b.statement(c)
			} else if st.Kind() == "block" {
				b.statement(c)
			}
		}
	case "for_statement":
		if l := st.ChildByFieldName("left"); l != nil {
			b.target(l)
		}
		b.statement(st.ChildByFieldName("body"))
		if alt := st.ChildByFieldName("alternative"); alt != nil {
			b.statement(alt)
		}
	case "with_statement":
		for _, c := range children(st) {
			if c.Kind() != "with_clause" {
				continue
			}
			for _, item := range children(c) {
				if v := item.ChildByFieldName("value"); v != nil && v.Kind() == "as_pattern" {
					if a := v.ChildByFieldName("alias"); a != nil {
						b.target(a)
					}
				}
			}
		}
		b.statement(st.ChildByFieldName("body"))
	}
}

// expression binds what an assignment binds, and reads __all__. A module
// that puts modules in sys.modules itself, or calls Airflow's
// add_deprecated_classes (which does), has more than its files show.
func (b *binder) expression(e *node) {
	switch e.Kind() {
	case "call":
		if f := e.ChildByFieldName("function"); f != nil && strings.HasSuffix(b.text(f), "add_deprecated_classes") {
			b.dynamic = true
		}
	case "assignment":
		left, right := e.ChildByFieldName("left"), e.ChildByFieldName("right")
		if left == nil {
			return
		}
		if left.Kind() == "subscript" {
			if v := left.ChildByFieldName("value"); v != nil && b.text(v) == "sys.modules" {
				b.dynamic = true
			}
		}
		b.target(left)
		if left.Kind() == "identifier" && b.text(left) == "__all__" && right != nil {
			b.all = b.strings(right)
		}
		if right != nil && right.Kind() == "assignment" { // a = b = 1
			b.expression(right)
		}
	case "augmented_assignment":
		left, right := e.ChildByFieldName("left"), e.ChildByFieldName("right")
		if left != nil && left.Kind() == "identifier" {
			b.bind(b.text(left))
			if b.text(left) == "__all__" && b.all != nil && right != nil {
				if more := b.strings(right); more != nil {
					b.all = append(b.all, more...)
				}
			}
		}
	}
}

// simpleName is a string literal an __all__ may hold: one plain quoted
// identifier (the environment script applies the same test to the source).
var simpleName = regexp.MustCompile(`^[rRuU]?('|")([A-Za-z_][A-Za-z0-9_]*)('|")$`)

// strings is a literal list or tuple of simple names, or nil.
func (b *binder) strings(n *node) []string {
	if n.Kind() != "list" && n.Kind() != "tuple" && n.Kind() != "expression_list" {
		return nil
	}
	out := []string{}
	for _, c := range children(n) {
		if c.Kind() == "comment" {
			continue
		}
		m := simpleName.FindStringSubmatch(b.text(c))
		if c.Kind() != "string" || m == nil || m[1] != m[3] {
			return nil
		}
		out = append(out, m[2])
	}
	return out
}

// importWalker lists a file's imports with their context.
type importWalker struct {
	src []byte
	out []Import
}

func (w *importWalker) text(n *node) string { return n.Utf8Text(w.src) }

func (w *importWalker) block(n *node, ctx ImportContext) {
	for _, st := range children(n) {
		w.statement(st, ctx)
	}
}

func (w *importWalker) add(n, modNode *node, mod string, level int, name string, ctx ImportContext) {
	w.out = append(w.out, Import{Module: mod, Level: level, Name: name, Line: line(n), Column: col(n),
		ModuleLine: line(modNode), ModuleColumn: col(modNode), Context: ctx})
}

// module splits a from-import's module into its dots and dotted name.
func (w *importWalker) module(n *node) (string, int) {
	if n.Kind() != "relative_import" {
		return w.text(n), 0
	}
	level, mod := 0, ""
	for _, c := range children(n) {
		switch c.Kind() {
		case "import_prefix":
			level = len(strings.TrimSpace(w.text(c)))
		case "dotted_name":
			mod = w.text(c)
		}
	}
	return mod, level
}

func (w *importWalker) statement(st *node, ctx ImportContext) {
	switch st.Kind() {
	case "import_statement":
		for _, n := range fieldChildren(st, "name") {
			name := n
			if n.Kind() == "aliased_import" {
				name = n.ChildByFieldName("name")
			}
			w.add(n, name, w.text(name), 0, "", ctx)
		}
	case "import_from_statement":
		mn := st.ChildByFieldName("module_name")
		if mn == nil {
			return
		}
		mod, level := w.module(mn)
		for _, c := range children(st) {
			if c.Kind() == "wildcard_import" {
				w.add(st, mn, mod, level, "*", ctx)
			}
		}
		for _, n := range fieldChildren(st, "name") {
			name := n
			if n.Kind() == "aliased_import" {
				name = n.ChildByFieldName("name")
			}
			w.add(n, mn, mod, level, w.text(name), ctx)
		}
	case "function_definition":
		w.block(st.ChildByFieldName("body"), Deferred)
	case "class_definition":
		w.block(st.ChildByFieldName("body"), ctx) // a class body runs at import time
	case "decorated_definition":
		if d := st.ChildByFieldName("definition"); d != nil {
			w.statement(d, ctx)
		}
	case "if_statement":
		inner := ctx
		if ctx != Deferred && w.typeChecking(st.ChildByFieldName("condition")) {
			inner = TypeChecking
		}
		w.block(st.ChildByFieldName("consequence"), inner)
		for _, alt := range fieldChildren(st, "alternative") {
			if body := alt.ChildByFieldName("consequence"); body != nil {
				w.block(body, ctx)
			} else if body := alt.ChildByFieldName("body"); body != nil {
				w.block(body, ctx)
			}
		}
	case "try_statement":
		inner := ctx
		if ctx == AtImport && w.catchesImportError(st) {
			inner = Guarded
		}
		w.block(st.ChildByFieldName("body"), inner)
		for _, c := range children(st) {
			switch c.Kind() {
			case "except_clause", "except_group_clause", "finally_clause":
				for _, b := range children(c) {
					if b.Kind() == "block" {
						w.block(b, ctx)
					}
				}
			case "else_clause":
				if body := c.ChildByFieldName("body"); body != nil {
					w.block(body, ctx)
				}
			}
		}
	case "with_statement", "while_statement", "for_statement":
		w.block(st.ChildByFieldName("body"), ctx)
		if alt := st.ChildByFieldName("alternative"); alt != nil {
			if body := alt.ChildByFieldName("body"); body != nil {
				w.block(body, ctx)
			}
		}
	case "block":
		w.block(st, ctx)
	}
}

// typeChecking: the condition is TYPE_CHECKING or typing.TYPE_CHECKING.
func (w *importWalker) typeChecking(cond *node) bool {
	if cond == nil {
		return false
	}
	t := w.text(cond)
	return t == "TYPE_CHECKING" || strings.HasSuffix(t, ".TYPE_CHECKING")
}

// importCatchers are the exceptions whose handler covers a failed import.
var importCatchers = map[string]bool{"ImportError": true, "ModuleNotFoundError": true, "Exception": true, "BaseException": true}

// catchesImportError: one of the try's handlers catches a failed import (a
// bare except does too).
func (w *importWalker) catchesImportError(st *node) bool {
	for _, c := range children(st) {
		if c.Kind() != "except_clause" && c.Kind() != "except_group_clause" {
			continue
		}
		var types *node
		for _, x := range children(c) {
			if x.Kind() != "block" {
				types = x
				break
			}
		}
		if types == nil {
			return true // a bare except
		}
		if types.Kind() == "as_pattern" {
			types = types.NamedChild(0)
		}
		list := []*node{types}
		if types.Kind() == "tuple" || types.Kind() == "parenthesized_expression" {
			list = children(types)
		}
		for _, t := range list {
			name := w.text(t)
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
