package python

import (
	"fmt"
	"strings"

	"github.com/dagnfs/dagnfs/validate/python/ast"
)

// The checks compile() makes after parsing, in its order: the __future__
// imports (Python/future.c), the symbol table (Python/symtable.c: scopes,
// global and nonlocal, parameters, assignment expressions in
// comprehensions), then code generation (Python/compile.c: return, yield,
// await, break and continue where they may not stand, starred targets,
// repeated keywords, __debug__, the frame block limit, patterns). Each
// reports the first error as compile() does, with its message and the
// place each Python version gives it.

// checkTree returns compile()'s first error in the tree, or nil.
func checkTree(t *ast.Tree, minor int) *Error {
	c := &compiler{t: t, minor: minor, blockMemo: map[blockKey]*ast.Node{}}
	c.future()
	if c.err == nil && c.tooDeep() {
		return &Error{Type: "RecursionError", Msg: "maximum recursion depth exceeded during compilation"}
	}
	if c.err == nil {
		c.buildSymtable()
	}
	if c.err == nil {
		c.codegen()
	}
	return c.err
}

type compiler struct {
	t     *ast.Tree
	minor int
	err   *Error
	// futureLine is the line of the last __future__ import future.c
	// accepted (0: none); one after it is compile.c's error.
	futureLine int
	scopes     map[*ast.Node]*scope // by the node that opens each
	module     *scope
	blockMemo  map[blockKey]*ast.Node
}

// fail records err at byte offset off of the source: compile()'s offset is
// the byte column plus one (unless plus is false: future.c before 3.12).
func (c *compiler) failAt(off int32, plus bool, msg string) {
	if c.err != nil {
		return
	}
	line, col := c.t.Position(off)
	if plus {
		col++
	} else {
		col = max(col, 1)
	}
	c.err = &Error{Type: "SyntaxError", Line: line, Col: col, Msg: msg}
}

func (c *compiler) fail(n *ast.Node, msg string) { c.failAt(n.Off, true, msg) }

// ---- future.c ----

var futureFeatures = map[string]bool{"nested_scopes": true, "generators": true, "division": true, "absolute_import": true,
	"with_statement": true, "print_function": true, "unicode_literals": true, "barry_as_FLUFL": true,
	"generator_stop": true, "annotations": true}

// future reads the __future__ imports at the top of the module: their
// features, and one on the line of the statement that ended them.
func (c *compiler) future() {
	done, prevLine := false, 0
	i := 0
	for s := range c.t.All(c.t.Root(), ast.Body) {
		line, _ := c.t.Position(s.Off)
		if done && line > prevLine {
			return
		}
		prevLine = line
		switch {
		case s.Kind == ast.ImportFrom && c.isFuture(s):
			if done {
				c.failAt(s.Off, c.minor >= 12, "from __future__ imports must occur at the beginning of the file")
				return
			}
			for a := range c.t.All(s, ast.Names) {
				name := c.t.Name(c.t.Child(a, ast.Ident))
				switch {
				case name == "braces":
					c.failAt(s.Off, c.minor >= 12, "not a chance")
					return
				case !futureFeatures[name]:
					c.failAt(s.Off, c.minor >= 12, fmt.Sprintf("future feature %s is not defined", name))
					return
				}
			}
			c.futureLine = line
		case i == 0 && c.isDocstring(s):
		default:
			done = true
		}
		i++
	}
}

func (c *compiler) isFuture(s *ast.Node) bool {
	m := c.t.Child(s, ast.ModuleName)
	return s.Level() == 0 && m != nil && c.t.Name(m) == "__future__"
}

func (c *compiler) isDocstring(s *ast.Node) bool {
	v := c.t.Child(s, ast.Value)
	return s.Kind == ast.Expr && v != nil && v.Kind == ast.Constant && v.Op == ast.Str
}

// compileDepth is how deeply statements and expressions may nest before
// compile() raises RecursionError ("maximum recursion depth exceeded during
// compilation") in Python 3.minor, counted from the module's statements.
// In 3.9 and 3.10 the limit is three levels per Python frame left below
// the interpreter's recursion limit: these are for compile() called from a
// module's top level, and a call made deeper (Airflow's import is some
// tens of frames down) meets it a few tens of levels earlier. From 3.11
// they count levels of C recursion, whatever the caller. (3.9 folds chains
// of constants, -----1 or 1+1+...+1, into one before it counts; they are
// counted here.)
func compileDepth(minor int) int {
	switch minor {
	case 9, 10:
		return 2995
	case 11:
		return 2995
	case 12:
		return 2997
	}
	return 9999
}

// tooDeep reports whether the tree nests deeper than compileDepth.
func (c *compiler) tooDeep() bool {
	limit := compileDepth(c.minor)
	deep := false
	c.t.Depths(c.t.Root(), func(n *ast.Node) bool { return n.IsStmt() || n.IsExpr() }, func(n *ast.Node, d int) bool {
		if d >= limit {
			deep = true
		}
		return !deep
	})
	return deep
}

// ---- symtable.c ----

type scopeKind uint8

const (
	moduleScope scopeKind = iota
	functionScope
	classScope
	comprehensionScope
)

type symFlags uint16

const (
	defLocal symFlags = 1 << iota
	defParam
	defGlobal
	defNonlocal
	use
	defAnnot
	defCompIter // a comprehension's loop variable
	defWalrus   // bound by an assignment expression
	defImport   // bound by an import
)

// scope is a block of the symbol table.
type scope struct {
	kind     scopeKind
	node     *ast.Node
	parent   *scope
	children []*scope
	names    []string             // in the order first seen
	symFlags []symFlags           // names[i]'s
	index    map[string]int32     // names' positions, once there are more than smallScope
	directs  map[string]*ast.Node // the first global or nonlocal statement of each name (made at the first)
	async    bool                 // an async def, an async comprehension
	gen      bool                 // it yields
	iterExpr int                  // inside a comprehension's iterable, as ste_comp_iter_expr
	compKind string               // "list comprehension", ...
}

func (c *compiler) newScope(kind scopeKind, n *ast.Node, parent *scope) *scope {
	s := &scope{kind: kind, node: n, parent: parent}
	if parent != nil {
		parent.children = append(parent.children, s)
		s.iterExpr = parent.iterExpr // a lambda in a comprehension's iterable is in it too
	}
	c.scopes[n] = s
	return s
}

// smallScope is how many names a scope looks up by a scan before it
// indexes them: most scopes are a function's few names.
const smallScope = 8

func (s *scope) find(name string) int {
	if s.index != nil {
		if i, ok := s.index[name]; ok {
			return int(i)
		}
		return -1
	}
	for i, n := range s.names {
		if n == name {
			return i
		}
	}
	return -1
}

// flags are name's flags in s (0: not a symbol of s).
func (s *scope) flags(name string) symFlags {
	if i := s.find(name); i >= 0 {
		return s.symFlags[i]
	}
	return 0
}

func (s *scope) add(name string, f symFlags) {
	if i := s.find(name); i >= 0 {
		s.symFlags[i] |= f
		return
	}
	s.names = append(s.names, name)
	s.symFlags = append(s.symFlags, f)
	switch {
	case s.index != nil:
		s.index[name] = int32(len(s.names) - 1)
	case len(s.names) > smallScope:
		s.index = make(map[string]int32, 2*len(s.names))
		for i, n := range s.names {
			s.index[n] = int32(i)
		}
	}
}

// symErr places a symbol table error: at the node from 3.10, at the
// scope's own node in 3.9 (its ste_lineno and col).
func (c *compiler) symErr(s *scope, n *ast.Node, msg string) {
	if c.minor == 9 && s.node != nil {
		n = s.node
	}
	c.fail(n, msg)
}

func (c *compiler) buildSymtable() {
	c.scopes = map[*ast.Node]*scope{}
	root := c.t.Root()
	c.module = c.newScope(moduleScope, root, nil)
	for st := range c.t.All(root, ast.Body) {
		c.symStmt(c.module, st)
	}
	if c.err == nil {
		c.analyze(c.module)
	}
}

// defParams binds a function's parameters in its scope, in symtable.c's
// order: positional-only, the others, keyword-only, *args, **kwargs.
func (c *compiler) defParams(s *scope, args *ast.Node) {
	if args == nil {
		return
	}
	for _, f := range []ast.Field{ast.PosOnlyArgs, ast.Args, ast.KwOnlyArgs, ast.VarArg, ast.KwArg} {
		for a := range c.t.All(args, f) {
			id := c.t.Child(a, ast.ArgName)
			name := c.t.Name(id)
			if s.flags(name)&defParam != 0 {
				c.symErr(s, a, fmt.Sprintf("duplicate argument '%s' in function definition", name))
				return
			}
			s.add(name, defParam)
		}
	}
}

// visitParamsOuter visits what of the parameters belongs to the enclosing
// scope: defaults, then annotations.
func (c *compiler) visitParamsOuter(s *scope, args *ast.Node) {
	if args == nil {
		return
	}
	for a := range c.t.Children(args) {
		if d := c.t.Child(a, ast.Default); d != nil {
			c.symExpr(s, d)
		}
	}
	for a := range c.t.Children(args) {
		if an := c.t.Child(a, ast.Annotation); an != nil {
			c.symExpr(s, an)
		}
	}
}

func (c *compiler) symStmts(s *scope, n *ast.Node, f ast.Field) {
	for st := range c.t.All(n, f) {
		if c.err != nil {
			return
		}
		c.symStmt(s, st)
	}
}

func (c *compiler) symStmt(s *scope, n *ast.Node) {
	if c.err != nil {
		return
	}
	t := c.t
	switch n.Kind {
	case ast.FunctionDef, ast.AsyncFunctionDef:
		s.add(t.Name(t.Child(n, ast.Ident)), defLocal)
		args := t.Child(n, ast.Args)
		c.visitParamsOuter(s, args)
		if r := t.Child(n, ast.Returns); r != nil {
			c.symExpr(s, r)
		}
		c.symExprs(s, n, ast.Decorators)
		outer := c.typeParamScope(s, n)
		fs := c.newScope(functionScope, n, outer)
		fs.async = n.Kind == ast.AsyncFunctionDef
		c.defParams(fs, args)
		c.symStmts(fs, n, ast.Body)
	case ast.ClassDef:
		s.add(t.Name(t.Child(n, ast.Ident)), defLocal)
		c.symExprs(s, n, ast.Bases)
		for k := range t.All(n, ast.Keywords) {
			c.symExpr(s, t.Child(k, ast.Value))
		}
		c.symExprs(s, n, ast.Decorators)
		cs := c.newScope(classScope, n, c.typeParamScope(s, n))
		c.symStmts(cs, n, ast.Body)
	case ast.TypeAlias:
		s.add(t.Name(t.Child(n, ast.Ident)), defLocal)
		c.symExpr(c.typeParamScope(s, n), t.Child(n, ast.Value))
	case ast.AnnAssign:
		target := t.Child(n, ast.Target)
		if target.Kind == ast.Name {
			name := t.Name(target)
			cur := s.flags(name)
			if cur&(defGlobal|defNonlocal) != 0 && s != c.module && n.Simple() {
				what := "nonlocal"
				if cur&defGlobal != 0 {
					what = "global"
				}
				c.fail(n, fmt.Sprintf("annotated name '%s' can't be %s", name, what))
				return
			}
			switch {
			case n.Simple():
				s.add(name, defAnnot|defLocal)
			case t.Child(n, ast.Value) != nil:
				s.add(name, defLocal)
			}
		} else {
			c.symExpr(s, target)
		}
		c.symExpr(s, t.Child(n, ast.Annotation))
		if v := t.Child(n, ast.Value); v != nil {
			c.symExpr(s, v)
		}
	case ast.Global, ast.Nonlocal:
		c.symDirective(s, n)
	case ast.Import, ast.ImportFrom:
		for a := range t.All(n, ast.Names) {
			c.symAlias(s, n, a)
		}
	default:
		for ch := range t.Children(n) {
			if c.err != nil {
				return
			}
			switch ch.Field {
			case ast.Body, ast.OrElse, ast.FinalBody:
				c.symStmt(s, ch)
			case ast.Handlers:
				if ty := t.Child(ch, ast.Type); ty != nil {
					c.symExpr(s, ty)
				}
				if id := t.Child(ch, ast.Ident); id != nil {
					s.add(t.Name(id), defLocal)
				}
				c.symStmts(s, ch, ast.Body)
			case ast.Cases:
				c.symPattern(s, t.Child(ch, ast.Pattern))
				if g := t.Child(ch, ast.Guard); g != nil {
					c.symExpr(s, g)
				}
				c.symStmts(s, ch, ast.Body)
			case ast.Items:
				c.symExpr(s, t.Child(ch, ast.ContextExpr))
				if v := t.Child(ch, ast.OptionalVars); v != nil {
					c.symExpr(s, v)
				}
			default:
				c.symExpr(s, ch)
			}
		}
	}
}

// typeParamScope is the scope of a definition's type parameters (3.12):
// a function-like scope between the enclosing one and the definition;
// the enclosing scope itself when it has none.
func (c *compiler) typeParamScope(s *scope, n *ast.Node) *scope {
	if c.t.Child(n, ast.TypeParams) == nil {
		return s
	}
	ts := &scope{kind: functionScope, node: n, parent: s}
	s.children = append(s.children, ts)
	for p := range c.t.All(n, ast.TypeParams) {
		ts.add(c.t.Name(c.t.Child(p, ast.Ident)), defLocal)
		for ch := range c.t.Children(p) {
			if ch.Kind != ast.Identifier {
				c.symExpr(ts, ch)
			}
		}
	}
	return ts
}

// symDirective is a global or nonlocal statement.
func (c *compiler) symDirective(s *scope, n *ast.Node) {
	what, flag := "global", defGlobal
	if n.Kind == ast.Nonlocal {
		what, flag = "nonlocal", defNonlocal
		if s.kind == moduleScope {
			c.fail(n, "nonlocal declaration not allowed at module level")
			return
		}
	}
	for id := range c.t.All(n, ast.Names) {
		name := c.t.Name(id)
		cur := s.flags(name)
		if cur&(defParam|defLocal|use|defAnnot) != 0 {
			var msg string
			switch {
			case cur&defParam != 0:
				msg = "name '%s' is parameter and " + what
			case cur&use != 0:
				msg = "name '%s' is used prior to " + what + " declaration"
			case cur&defAnnot != 0:
				msg = "annotated name '%s' can't be " + what
			default:
				msg = "name '%s' is assigned to before " + what + " declaration"
			}
			c.fail(n, fmt.Sprintf(msg, name))
			return
		}
		s.add(name, flag)
		if s.directs == nil {
			s.directs = map[string]*ast.Node{}
		}
		if s.directs[name] == nil {
			s.directs[name] = n
		}
	}
}

func (c *compiler) symAlias(s *scope, stmt, a *ast.Node) {
	name := c.t.Name(c.t.Child(a, ast.Ident))
	if as := c.t.Child(a, ast.AsName); as != nil {
		name = c.t.Name(as)
	} else if i := strings.IndexByte(name, '.'); i >= 0 {
		name = name[:i]
	}
	if name == "*" {
		if s.kind != moduleScope {
			at := a
			if c.minor < 10 {
				at = stmt // alias has no place before 3.10
			}
			c.symErr(s, at, "import * only allowed at module level")
		}
		return
	}
	s.add(name, defImport)
}

func (c *compiler) symExprs(s *scope, n *ast.Node, f ast.Field) {
	for e := range c.t.All(n, f) {
		c.symExpr(s, e)
	}
}

var compNames = map[ast.Kind]string{ast.ListComp: "list comprehension", ast.SetComp: "set comprehension",
	ast.DictComp: "dict comprehension", ast.GeneratorExp: "generator expression"}

func (c *compiler) symExpr(s *scope, n *ast.Node) {
	if c.err != nil || n == nil {
		return
	}
	t := c.t
	switch n.Kind {
	case ast.Name:
		switch n.Ctx {
		case ast.Load:
			s.add(t.Name(n), use)
		default:
			s.add(t.Name(n), defLocal)
		}
		return
	case ast.NamedExpr:
		c.symNamed(s, n)
		return
	case ast.Lambda:
		args := t.Child(n, ast.Args)
		for a := range t.Children(args) {
			if d := t.Child(a, ast.Default); d != nil {
				c.symExpr(s, d)
			}
		}
		fs := c.newScope(functionScope, n, s)
		c.defParams(fs, args)
		c.symExpr(fs, t.Child(n, ast.Body))
		return
	case ast.Yield, ast.YieldFrom, ast.Await:
		if n.Kind != ast.Await && s.kind == comprehensionScope {
			c.symErr(s, n, "'yield' inside "+s.compKind)
			return
		}
		if n.Kind != ast.Await {
			s.gen = true
		} else if s.kind == comprehensionScope {
			s.async = true // a comprehension that awaits is asynchronous
		}
	case ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp:
		c.symComprehension(s, n)
		return
	}
	for ch := range t.Children(n) {
		if ch.Kind != ast.Identifier && ch.Kind != ast.Operator {
			c.symExpr(s, ch)
		}
	}
}

// symComprehension: the first iterable belongs to the enclosing scope, the
// rest to the comprehension's own.
func (c *compiler) symComprehension(s *scope, n *ast.Node) {
	t := c.t
	gens := t.All(n, ast.Generators)
	var first *ast.Node
	for g := range gens {
		first = g
		break
	}
	s.iterExpr++
	c.symExpr(s, t.Child(first, ast.Iter))
	s.iterExpr--
	cs := c.newScope(comprehensionScope, n, s)
	cs.compKind = compNames[n.Kind]
	for g := range gens {
		if g.IsAsync() {
			cs.async = true
		}
		c.symCompTarget(cs, t.Child(g, ast.Target))
		if g != first {
			cs.iterExpr++
			c.symExpr(cs, t.Child(g, ast.Iter))
			cs.iterExpr--
		}
		c.symExprs(cs, g, ast.Ifs)
	}
	for ch := range t.Children(n) {
		if ch.Field != ast.Generators {
			c.symExpr(cs, ch)
		}
	}
}

// symCompTarget binds a comprehension's loop variables.
func (c *compiler) symCompTarget(cs *scope, n *ast.Node) {
	c.t.Walk(n, func(x *ast.Node) bool {
		if x.Kind == ast.Name && x.Ctx == ast.Store {
			name := c.t.Name(x)
			if cs.flags(name)&defWalrus != 0 {
				c.symErr(cs, x, fmt.Sprintf("comprehension inner loop cannot rebind assignment expression target '%s'", name))
				return false
			}
			cs.add(name, defLocal|defCompIter)
			return false
		}
		if x.Kind == ast.Tuple || x.Kind == ast.List || x.Kind == ast.Starred {
			return true
		}
		c.symExpr(cs, x)
		return false
	})
}

// symNamed is an assignment expression: inside a comprehension it binds
// in the first enclosing function (or the module).
func (c *compiler) symNamed(s *scope, n *ast.Node) {
	target := c.t.Child(n, ast.Target)
	name := c.t.Name(target)
	// At the target: 3.9 gives its col_offset as the offset, not plus one.
	fail := func(msg string) { c.failAt(target.Off, c.minor >= 10, msg) }
	if s.iterExpr > 0 {
		fail("assignment expression cannot be used in a comprehension iterable expression")
		return
	}
	if s.kind == comprehensionScope {
		for e := s; e != nil; e = e.parent {
			if e.kind == comprehensionScope {
				if e.flags(name)&defCompIter != 0 {
					fail(fmt.Sprintf("assignment expression cannot rebind comprehension iteration variable '%s'", name))
					return
				}
				continue
			}
			if e.kind == classScope {
				fail("assignment expression within a comprehension cannot be used in a class body")
				return
			}
			e.add(name, defLocal)
			break
		}
		s.add(name, defWalrus)
	} else {
		s.add(name, defLocal)
	}
	c.symExpr(s, c.t.Child(n, ast.Value))
}

// symPattern binds a pattern's captures.
func (c *compiler) symPattern(s *scope, n *ast.Node) {
	c.t.Walk(n, func(x *ast.Node) bool {
		switch x.Kind {
		case ast.Identifier:
			if x.Field == ast.Ident || x.Field == ast.Rest {
				s.add(c.t.Name(x), defLocal)
			}
		case ast.MatchValue, ast.MatchClass, ast.MatchMapping:
			for ch := range c.t.Children(x) {
				if ch.Field == ast.Value || ch.Field == ast.Cls || ch.Field == ast.Keys {
					c.symExpr(s, ch)
				} else {
					c.symPattern(s, ch)
				}
			}
			return false
		}
		return true
	})
}

// analyze resolves the nonlocal declarations, as symtable.c's analysis
// does once the table is built: a block's names in the order first seen,
// then its children.
func (c *compiler) analyze(s *scope) {
	for _, name := range s.names {
		f := s.flags(name)
		if f&defGlobal != 0 && f&defNonlocal != 0 {
			c.fail(s.directs[name], fmt.Sprintf("name '%s' is nonlocal and global", name))
			return
		}
		if f&defNonlocal != 0 && !c.boundAbove(s, name) {
			c.fail(s.directs[name], fmt.Sprintf("no binding for nonlocal '%s' found", name))
			return
		}
	}
	for _, ch := range s.children {
		if c.analyze(ch); c.err != nil {
			return
		}
	}
}

// boundAbove reports whether an enclosing function binds name (class
// bodies and the module do not count; a global declaration hides it).
func (c *compiler) boundAbove(s *scope, name string) bool {
	for e := s.parent; e != nil && e.kind != moduleScope; e = e.parent {
		f := e.flags(name)
		if e.kind == classScope {
			if name == "__class__" {
				return true // a method's implicit cell
			}
			continue
		}
		if f&defGlobal != 0 {
			return false
		}
		if f&(defLocal|defParam|defImport|defNonlocal) != 0 {
			return true
		}
	}
	return false
}
