package python

import (
	"fmt"
	"strings"

	"github.com/dagnfs/dagnfs/validate/python/ast"
)

// compile.c's checks, made as it compiles: statements in order, a
// function's body where it is defined.

// unit is a code object being compiled: the module, a class body, a
// function or lambda, a comprehension.
type unit struct {
	kind   scopeKind
	sc     *scope
	async  bool // await may stand here
	loops  int  // loops around, in this unit
	blocks int  // the compiler's frame blocks around, in this unit
}

// maxBlocks is CPython's CO_MAXBLOCKS for Python 3.minor: a frame block
// more is "too many statically nested blocks".
func maxBlocks(minor int) int {
	if minor >= 13 {
		return 21
	}
	return 20
}

func (c *compiler) codegen() {
	root := c.t.Root()
	c.genStmts(&unit{kind: moduleScope, sc: c.module}, root, ast.Body)
}

func (c *compiler) genStmts(u *unit, n *ast.Node, f ast.Field) {
	for st := range c.t.All(n, f) {
		if c.err != nil {
			return
		}
		c.genStmt(u, st)
	}
}

// inBlocks compiles the statements of n's field f inside k more frame
// blocks, opened at n.
func (c *compiler) inBlocks(u *unit, n *ast.Node, f ast.Field, k int, loop bool) {
	if c.err != nil {
		return
	}
	if limit := maxBlocks(c.minor); u.blocks <= limit && u.blocks+k > limit {
		c.fail(n, "too many statically nested blocks")
		return
	}
	inner := *u
	inner.blocks += k
	if loop {
		inner.loops++
	}
	c.genStmts(&inner, n, f)
}

func (c *compiler) genStmt(u *unit, n *ast.Node) {
	t := c.t
	switch n.Kind {
	case ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef:
		c.forbidden(n, t.Child(n, ast.Ident), ast.Store)
		c.genExprs(u, n, ast.Decorators)
		if n.Kind == ast.ClassDef {
			c.genCall(u, n, n, ast.Bases)
			c.genStmts(&unit{kind: classScope, sc: c.scopes[n]}, n, ast.Body)
			return
		}
		c.genParams(u, n, t.Child(n, ast.Args))
		if r := t.Child(n, ast.Returns); r != nil {
			c.genExpr(u, r)
		}
		c.genStmts(&unit{kind: functionScope, sc: c.scopes[n], async: n.Kind == ast.AsyncFunctionDef}, n, ast.Body)
	case ast.Return:
		v := t.Child(n, ast.Value)
		switch {
		case u.kind != functionScope:
			c.fail(n, "'return' outside function")
		case v != nil && u.sc != nil && u.sc.async && u.sc.gen:
			c.fail(n, "'return' with value in async generator")
		}
		c.genExpr(u, v)
	case ast.Delete:
		for e := range t.All(n, ast.Targets) {
			c.genTarget(u, e)
		}
	case ast.Assign:
		c.genExpr(u, t.Child(n, ast.Value))
		for e := range t.All(n, ast.Targets) {
			c.genTarget(u, e)
		}
	case ast.AugAssign, ast.AnnAssign:
		target := t.Child(n, ast.Target)
		if n.Kind == ast.AnnAssign {
			c.genExpr(u, t.Child(n, ast.Value))
		}
		c.genTarget(u, target)
		c.genExpr(u, t.Child(n, ast.Annotation))
		if n.Kind == ast.AugAssign {
			c.genExpr(u, t.Child(n, ast.Value))
		}
	case ast.For, ast.AsyncFor:
		if n.Kind == ast.AsyncFor && !u.async {
			c.fail(n, "'async for' outside async function")
			return
		}
		c.genExpr(u, t.Child(n, ast.Iter))
		c.genTarget(u, t.Child(n, ast.Target))
		c.inBlocks(u, n, ast.Body, 1, true)
		c.genStmts(u, n, ast.OrElse)
	case ast.While:
		c.genExpr(u, t.Child(n, ast.Test))
		c.inBlocks(u, n, ast.Body, 1, true)
		c.genStmts(u, n, ast.OrElse)
	case ast.If:
		c.genExpr(u, t.Child(n, ast.Test))
		c.genStmts(u, n, ast.Body)
		c.genStmts(u, n, ast.OrElse)
	case ast.With, ast.AsyncWith:
		if n.Kind == ast.AsyncWith && !u.async {
			c.fail(n, "'async with' outside async function")
			return
		}
		// Each item opens a block (3.13 places the error at its
		// expression, earlier versions at the statement).
		k := 0
		limit := maxBlocks(c.minor)
		for it := range t.All(n, ast.Items) {
			k++
			expr := t.Child(it, ast.ContextExpr)
			c.genExpr(u, expr)
			if u.blocks+k == limit+1 && c.minor >= 13 {
				c.fail(expr, "too many statically nested blocks")
				return
			}
			if v := t.Child(it, ast.OptionalVars); v != nil {
				c.genTarget(u, v)
			}
		}
		c.inBlocks(u, n, ast.Body, k, false)
	case ast.Try, ast.TryStar:
		c.genTry(u, n)
	case ast.Break:
		if u.loops == 0 {
			c.fail(n, "'break' outside loop")
		}
	case ast.Continue:
		if u.loops == 0 {
			c.fail(n, "'continue' not properly in loop")
		}
	case ast.Import, ast.ImportFrom:
		if n.Kind == ast.ImportFrom && c.isFuture(n) {
			if line, _ := t.Position(n.Off); line > c.futureLine {
				c.fail(n, "from __future__ imports must occur at the beginning of the file")
				return
			}
		}
		for a := range t.All(n, ast.Names) {
			name := t.Child(a, ast.AsName)
			if name == nil {
				name = t.Child(a, ast.Ident)
			}
			if t.Name(name) == "__debug__" {
				c.fail(n, "cannot assign to __debug__")
				return
			}
		}
	case ast.Match:
		c.genMatch(u, n)
	default:
		// Expr, Raise, Assert, TypeAlias and the rest: their expressions.
		for ch := range t.Children(n) {
			c.genExpr(u, ch)
		}
	}
}

// genTry: a try's body, handlers, else and finally, each inside the frame
// blocks compile.c opens for it (a handler is inside two: the handlers'
// and its cleanup's). compile.c compiles a finally body twice: for the
// normal path, in no block of its own, then for the exceptional one, in
// one; the second only adds frame blocks (blockError).
func (c *compiler) genTry(u *unit, n *ast.Node) {
	t := c.t
	var handlers []*ast.Node
	for h := range t.All(n, ast.Handlers) {
		handlers = append(handlers, h)
	}
	finally := t.Child(n, ast.FinalBody) != nil
	fin := 0
	if finally {
		fin = 1
	}
	if len(handlers) == 0 {
		c.inBlocks(u, n, ast.Body, 1, false)
		c.finally(u, n)
		return
	}
	c.inBlocks(u, n, ast.Body, fin+1, false)
	const handler = 2
	for i, h := range handlers {
		if c.err != nil {
			return
		}
		ty := t.Child(h, ast.Type)
		if ty == nil && i < len(handlers)-1 {
			at := h
			if c.minor == 9 {
				at = c.lastStmt(n, handlers[:i])
			}
			c.fail(at, "default 'except:' must be last")
			return
		}
		c.genExpr(u, ty)
		if id := t.Child(h, ast.Ident); id != nil && t.Name(id) == "__debug__" {
			c.fail(h, "cannot assign to __debug__")
			return
		}
		c.inBlocks(u, h, ast.Body, fin+handler, false)
	}
	c.inBlocks(u, n, ast.OrElse, fin, false)
	if finally {
		c.finally(u, n)
	}
}

// finally compiles a finally body twice, as compile.c does.
func (c *compiler) finally(u *unit, n *ast.Node) {
	c.inBlocks(u, n, ast.FinalBody, 0, false)
	if c.err == nil {
		if at := c.blockError(n, ast.FinalBody, u.blocks+1); at != nil {
			c.fail(at, "too many statically nested blocks")
		}
	}
}

// blockKey is a statement list entered with some frame blocks around.
type blockKey struct {
	n      *ast.Node
	f      ast.Field
	blocks int
}

// blockError is where compiling the statements of n's field f, inside
// blocks frame blocks, first opens one too many (nil: nowhere). Finally
// bodies are compiled twice at each level, so the paths double with each
// nested one: the answers are kept by list and block count, which makes
// the search linear.
func (c *compiler) blockError(n *ast.Node, f ast.Field, blocks int) *ast.Node {
	limit := maxBlocks(c.minor)
	if blocks > limit {
		return n
	}
	key := blockKey{n, f, blocks}
	if at, ok := c.blockMemo[key]; ok {
		return at
	}
	var at *ast.Node
	t := c.t
	within := func(inner *ast.Node, f ast.Field, k int) *ast.Node {
		if blocks+k > limit {
			return inner
		}
		return c.blockError(inner, f, blocks+k)
	}
	for st := range t.All(n, f) {
		switch st.Kind {
		case ast.For, ast.AsyncFor, ast.While:
			at = within(st, ast.Body, 1)
			if at == nil {
				at = c.blockError(st, ast.OrElse, blocks)
			}
		case ast.If:
			at = c.blockError(st, ast.Body, blocks)
			if at == nil {
				at = c.blockError(st, ast.OrElse, blocks)
			}
		case ast.With, ast.AsyncWith:
			k := 0
			for range t.All(st, ast.Items) {
				k++
			}
			at = within(st, ast.Body, k)
		case ast.Match:
			for cs := range t.All(st, ast.Cases) {
				if at = c.blockError(cs, ast.Body, blocks); at != nil {
					break
				}
			}
		case ast.Try, ast.TryStar:
			fin := 0
			if t.Child(st, ast.FinalBody) != nil {
				fin = 1
			}
			hasHandlers := t.Child(st, ast.Handlers) != nil
			if !hasHandlers {
				fin = 0
			}
			at = within(st, ast.Body, fin+1)
			for h := range t.All(st, ast.Handlers) {
				if at != nil {
					break
				}
				at = within(h, ast.Body, fin+2)
			}
			if at == nil {
				at = c.blockError(st, ast.OrElse, blocks+fin)
			}
			if at == nil && t.Child(st, ast.FinalBody) != nil {
				at = c.blockError(st, ast.FinalBody, blocks)
				if at == nil {
					at = within(st, ast.FinalBody, 1)
				}
			}
		}
		if at != nil {
			break
		}
	}
	c.blockMemo[key] = at
	return at
}

// lastStmt is the statement 3.9's compiler compiled last before the
// handler after handlers: the last one of the try's body, or of the last
// handler's, at any depth.
func (c *compiler) lastStmt(try *ast.Node, handlers []*ast.Node) *ast.Node {
	from := try
	if len(handlers) > 0 {
		from = handlers[len(handlers)-1]
	}
	var last *ast.Node
	for st := range c.t.All(from, ast.Body) {
		last = st
	}
	for last != nil {
		var inner *ast.Node
		for ch := range c.t.Children(last) {
			if ch.Field == ast.Body || ch.Field == ast.OrElse || ch.Field == ast.FinalBody || ch.Field == ast.Handlers {
				inner = ch
			}
		}
		if inner == nil {
			return last
		}
		if inner.Kind == ast.ExceptHandler {
			for st := range c.t.All(inner, ast.Body) {
				inner = st
			}
		}
		last = inner
	}
	return try
}

// forbidden: a name that may not be bound.
func (c *compiler) forbidden(at, name *ast.Node, ctx ast.Ctx) {
	if name == nil || c.t.Name(name) != "__debug__" {
		return
	}
	if ctx == ast.Del {
		if c.minor >= 10 {
			c.fail(at, "cannot delete __debug__")
		}
		return
	}
	c.fail(at, "cannot assign to __debug__")
}

// genParams: a function's or lambda's parameters may not be __debug__
// (the error at the definition before 3.12, at the parameter after);
// then their defaults and annotations.
func (c *compiler) genParams(u *unit, def, args *ast.Node) {
	if args == nil {
		return
	}
	for a := range c.t.Children(args) {
		at := a
		if c.minor < 12 {
			at = def
		}
		c.forbidden(at, c.t.Child(a, ast.ArgName), ast.Store)
	}
	for a := range c.t.Children(args) {
		c.genExpr(u, c.t.Child(a, ast.Default))
	}
	for a := range c.t.Children(args) {
		an := c.t.Child(a, ast.Annotation)
		if an != nil && an.Kind == ast.Starred {
			an = c.t.Child(an, ast.Value) // *args: *Ts
		}
		c.genExpr(u, an)
	}
}

// genTarget checks an assignment's (or del's) target.
func (c *compiler) genTarget(u *unit, n *ast.Node) {
	if n == nil || c.err != nil {
		return
	}
	t := c.t
	switch n.Kind {
	case ast.Name:
		c.forbidden(n, n, n.Ctx)
	case ast.Attribute:
		c.genExpr(u, t.Child(n, ast.Value))
		if n.Ctx == ast.Store {
			c.forbidden(n, t.Child(n, ast.Attr), ast.Store)
		}
	case ast.Starred:
		c.fail(n, "starred assignment target must be in a list or tuple")
	case ast.Tuple, ast.List:
		starred := 0
		for e := range t.All(n, ast.Elts) {
			if e.Kind == ast.Starred {
				starred++
				if starred > 1 {
					c.fail(n, "multiple starred expressions in assignment")
					return
				}
			}
		}
		for e := range t.All(n, ast.Elts) {
			if e.Kind == ast.Starred {
				e = t.Child(e, ast.Value)
			}
			c.genTarget(u, e)
		}
	default:
		c.genExpr(u, n)
	}
}

func (c *compiler) genExprs(u *unit, n *ast.Node, f ast.Field) {
	for e := range c.t.All(n, f) {
		c.genExpr(u, e)
	}
}

// genElts compiles a display's elements, whose stars unpack.
func (c *compiler) genElts(u *unit, n *ast.Node, f ast.Field) {
	for e := range c.t.All(n, f) {
		if e.Kind == ast.Starred {
			e = c.t.Child(e, ast.Value)
		}
		c.genExpr(u, e)
	}
}

func (c *compiler) genExpr(u *unit, n *ast.Node) {
	if n == nil || c.err != nil {
		return
	}
	t := c.t
	switch n.Kind {
	case ast.Name:
		if n.Ctx != ast.Load {
			c.forbidden(n, n, n.Ctx)
		}
		return
	case ast.Starred:
		if n.Ctx == ast.Load {
			c.fail(n, "can't use starred expression here")
		} else {
			c.genTarget(u, n)
		}
		return
	case ast.Tuple, ast.List:
		if n.Ctx != ast.Load {
			c.genTarget(u, n)
			return
		}
		c.genElts(u, n, ast.Elts)
		return
	case ast.Set:
		c.genElts(u, n, ast.Elts)
		return
	case ast.Yield, ast.YieldFrom:
		if u.kind != functionScope && u.kind != comprehensionScope {
			c.fail(n, "'yield' outside function")
			return
		}
		if n.Kind == ast.YieldFrom && u.kind == functionScope && u.sc != nil && u.sc.node.Kind == ast.AsyncFunctionDef {
			c.fail(n, "'yield from' inside async function")
			return
		}
	case ast.Await:
		switch {
		case u.kind == moduleScope || u.kind == classScope:
			c.fail(n, "'await' outside function")
			return
		case !u.async:
			c.fail(n, "'await' outside async function")
			return
		}
	case ast.NamedExpr:
		c.genExpr(u, t.Child(n, ast.Value))
		c.genTarget(u, t.Child(n, ast.Target))
		return
	case ast.Lambda:
		c.genParams(u, n, t.Child(n, ast.Args))
		c.genExpr(&unit{kind: functionScope, sc: c.scopes[n]}, t.Child(n, ast.Body))
		return
	case ast.Call:
		c.genExpr(u, t.Child(n, ast.Func))
		c.genCall(u, n, n, ast.Args)
		return
	case ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp:
		c.genComprehension(u, n)
		return
	}
	for ch := range t.Children(n) {
		if ch.Kind != ast.Identifier && ch.Kind != ast.Operator {
			c.genExpr(u, ch)
		}
	}
}

// genCall checks a call's (or a class's) arguments: no keyword twice, none
// named __debug__ (the error at the call before 3.12, at the keyword
// after); then the arguments.
func (c *compiler) genCall(u *unit, call, n *ast.Node, positional ast.Field) {
	t := c.t
	seen := map[string]bool{}
	for k := range t.All(n, ast.Keywords) {
		id := t.Child(k, ast.ArgName)
		if id == nil {
			continue
		}
		at := k
		if c.minor < 12 {
			at = call
		}
		c.forbidden(at, id, ast.Store)
		name := t.Name(id)
		if seen[name] {
			c.fail(k, "keyword argument repeated: "+name)
			return
		}
		seen[name] = true
	}
	c.genElts(u, n, positional)
	for k := range t.All(n, ast.Keywords) {
		c.genExpr(u, t.Child(k, ast.Value))
	}
}

// genComprehension: the first iterable in the enclosing unit, the rest in
// the comprehension's own, which may await where the enclosing function
// may (or, for a generator, always: it is then an async generator).
func (c *compiler) genComprehension(u *unit, n *ast.Node) {
	t := c.t
	sc := c.scopes[n]
	inner := &unit{kind: comprehensionScope, sc: sc, async: u.async || n.Kind == ast.GeneratorExp}
	if sc != nil && sc.async && n.Kind != ast.GeneratorExp && !u.async {
		if c.minor == 9 {
			c.err = &Error{Type: "SyntaxError", Line: 0, Col: 1, Msg: "asynchronous comprehension outside of an asynchronous function"}
			return
		}
		c.fail(n, "asynchronous comprehension outside of an asynchronous function")
		return
	}
	first := true
	for g := range t.All(n, ast.Generators) {
		if first {
			c.genExpr(u, t.Child(g, ast.Iter))
		} else {
			c.genExpr(inner, t.Child(g, ast.Iter))
		}
		first = false
		c.genTarget(inner, t.Child(g, ast.Target))
		c.genExprs(inner, g, ast.Ifs)
	}
	for ch := range t.Children(n) {
		if ch.Field != ast.Generators {
			c.genExpr(inner, ch)
		}
	}
}

// genMatch checks a match statement's cases: an irrefutable pattern only
// last, and each pattern's own rules.
func (c *compiler) genMatch(u *unit, n *ast.Node) {
	t := c.t
	c.genExpr(u, t.Child(n, ast.Subject))
	var cases []*ast.Node
	for cs := range t.All(n, ast.Cases) {
		cases = append(cases, cs)
	}
	for i, cs := range cases {
		if c.err != nil {
			return
		}
		p := t.Child(cs, ast.Pattern)
		allow := i == len(cases)-1 || t.Child(cs, ast.Guard) != nil
		c.genPattern(u, p, map[string]bool{}, allow)
		c.genExpr(u, t.Child(cs, ast.Guard))
		c.genStmts(u, cs, ast.Body)
	}
}

// genPattern checks a pattern: its captures bound once (stores), its
// alternatives binding the same names, one star in a sequence, no
// keyword twice in a class pattern, no key twice in a mapping; and, where
// allow is false (a case with more after it, an alternative with more
// after it), that it can fail to match.
func (c *compiler) genPattern(u *unit, p *ast.Node, stores map[string]bool, allow bool) {
	if p == nil || c.err != nil {
		return
	}
	t := c.t
	switch p.Kind {
	case ast.MatchAs, ast.MatchStar:
		sub := t.Child(p, ast.Pattern)
		id := t.Child(p, ast.Ident)
		if p.Kind == ast.MatchAs && sub == nil && !allow {
			if id != nil {
				c.fail(p, fmt.Sprintf("name capture '%s' makes remaining patterns unreachable", t.Name(id)))
			} else {
				c.fail(p, "wildcard makes remaining patterns unreachable")
			}
			return
		}
		c.genPattern(u, sub, stores, allow)
		if id != nil && c.err == nil {
			c.capture(p, id, stores)
		}
	case ast.MatchMapping:
		if c.duplicateKey(p) {
			return
		}
		for k := range t.All(p, ast.Keys) {
			c.genExpr(u, k)
		}
		// Its rest is stored before its patterns up to 3.11, after them
		// from 3.12.
		rest := t.Child(p, ast.Rest)
		if rest != nil && c.minor < 12 {
			c.capture(p, rest, stores)
		}
		for q := range t.All(p, ast.Patterns) {
			c.genPattern(u, q, stores, true)
		}
		if rest != nil && c.minor >= 12 {
			c.capture(p, rest, stores)
		}
	case ast.MatchSequence:
		stars := 0
		for q := range t.All(p, ast.Patterns) {
			if q.Kind == ast.MatchStar {
				stars++
			}
		}
		if stars > 1 {
			c.fail(p, "multiple starred names in sequence pattern")
			return
		}
		for q := range t.All(p, ast.Patterns) {
			c.genPattern(u, q, stores, true)
		}
	case ast.MatchClass:
		seen := map[string]bool{}
		var attrs []string
		for a := range t.All(p, ast.KwdAttrs) {
			attrs = append(attrs, t.Name(a))
		}
		i := 0
		for q := range t.All(p, ast.KwdPatterns) {
			if i < len(attrs) {
				if seen[attrs[i]] {
					c.fail(q, "attribute name repeated in class pattern: "+attrs[i])
					return
				}
				seen[attrs[i]] = true
			}
			i++
		}
		c.genExpr(u, t.Child(p, ast.Cls))
		for q := range t.Children(p) {
			if q.Field == ast.Patterns || q.Field == ast.KwdPatterns {
				c.genPattern(u, q, stores, true)
			}
		}
	case ast.MatchOr:
		var alts []*ast.Node
		for q := range t.All(p, ast.Patterns) {
			alts = append(alts, q)
		}
		var first map[string]bool
		for i, q := range alts {
			own := map[string]bool{}
			for k := range stores {
				own[k] = true
			}
			c.genPattern(u, q, own, allow && i == len(alts)-1)
			if c.err != nil {
				return
			}
			if i == 0 {
				first = own
			} else if !sameNames(first, own) {
				// Placed at the alternatives from 3.12; before, where
				// compile.c was last: the alternative's last pattern.
				last := p
				if c.minor < 12 {
					t.Walk(q, func(x *ast.Node) bool {
						if x.Kind >= ast.MatchValue && x.Kind <= ast.MatchOr {
							last = x
						}
						return true
					})
				}
				c.fail(last, "alternative patterns bind different names")
				return
			}
		}
		for k := range first {
			stores[k] = true
		}
	case ast.MatchValue:
		c.genExpr(u, t.Child(p, ast.Value))
	}
}

// duplicateKey is compile.c's error for a mapping pattern that names a
// literal key twice, by value (the keys it can compare here: strings and
// bytes of printable ASCII, decimal integers, None, True, False).
func (c *compiler) duplicateKey(p *ast.Node) bool {
	seen := map[string]bool{}
	for k := range c.t.All(p, ast.Keys) {
		if k.Kind != ast.Constant {
			continue
		}
		var repr, value string
		switch k.Op {
		case ast.Str, ast.Bytes:
			v, _ := c.t.String(k)
			var ok bool
			if repr, ok = pyRepr(v, k.Op == ast.Bytes); !ok {
				continue
			}
		case ast.Int:
			repr = c.t.Text(k)
			if repr != "0" && (repr[0] < '1' || repr[0] > '9' || strings.IndexByte(repr, '_') >= 0) {
				continue
			}
		case ast.None, ast.True, ast.False:
			repr = k.Op.String()
		default:
			continue
		}
		// True is 1 and False is 0 as keys.
		switch value = repr; repr {
		case "True":
			value = "1"
		case "False":
			value = "0"
		}
		if seen[value] {
			c.fail(p, "mapping pattern checks duplicate key ("+repr+")")
			return true
		}
		seen[value] = true
	}
	return false
}

// pyRepr is Python's repr of a str (or bytes) of printable ASCII; false
// for any other, whose repr is not worth writing here.
func pyRepr(v string, isBytes bool) (string, bool) {
	quote := byte('\'')
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return "", false
		}
		if v[i] == '\'' {
			quote = '"'
		}
	}
	var b []byte
	if isBytes {
		b = append(b, 'b')
	}
	if quote == '"' && strings.IndexByte(v, '"') >= 0 {
		quote = '\''
	}
	b = append(b, quote)
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' || v[i] == quote {
			b = append(b, '\\')
		}
		b = append(b, v[i])
	}
	return string(append(b, quote)), true
}

func sameNames(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// capture binds a pattern's name, once.
func (c *compiler) capture(p, id *ast.Node, stores map[string]bool) {
	name := c.t.Name(id)
	c.forbidden(p, id, ast.Store)
	if c.err != nil {
		return
	}
	if stores[name] {
		c.fail(p, fmt.Sprintf("multiple assignments to name '%s' in pattern", name))
		return
	}
	stores[name] = true
}
