package python

import (
	"github.com/dagnfs/dagnfs/validate/python/ast"
)

// The builder: the syntax tree of a source the parser accepted. Parse
// decides, with CPython's grammar and its errors; the builder then reads
// the same tokens once more, knowing they are a program, and makes
// CPython's AST from them (Parser/action_helpers.c's actions, in effect):
// a plain recursive descent, with no backtracking, since what is left to
// choose between (a target or an expression, a group or a tuple) is clear
// from the token that follows. Should it meet what the grammar refuses, it
// is a defect: it stops with an "InternalError" rather than guess.

// ParseFile parses src (decoded, newlines normalised: see Normalize) as
// Python 3.minor into its syntax tree, or returns the error compile()
// reports first: Parse's, or one of the checks compile() makes after
// parsing (check.go).
func ParseFile(src []byte, minor int) (*ast.Tree, *Error) {
	return (&Parser{}).ParseFile(src, minor)
}

// A Parser parses one file after another in the same memory (tokens, memo,
// the tree's nodes), for a worker that parses many: the tree its ParseFile
// returns is valid until its next ParseFile. It is not for concurrent use.
type Parser struct {
	toks  *Tokens
	memo  []memoSlot
	tree  *ast.Tree
	stack []int32
}

// ParseFile is the package's ParseFile, in p's memory.
func (p *Parser) ParseFile(src []byte, minor int) (*ast.Tree, *Error) {
	if minor < 9 || minor > 13 {
		minor = 13
	}
	t, err := p.parseTree(src, minor)
	if err == nil {
		err = checkTree(t, minor)
	}
	if err != nil {
		return nil, err
	}
	return t, nil
}

// BuildTree makes the syntax tree of src without judging it, for a source
// an interpreter judges: what it makes of a source CPython refuses is
// whatever the builder could read (its caller drops it with the file's
// error); it stops with an error where it cannot go on, and bounds its
// recursion, so that no input makes it loop or exhaust the stack. Four
// fifths of ParseFile's time is judging.
func (p *Parser) BuildTree(src []byte, minor int) (*ast.Tree, *Error) {
	if minor < 9 || minor > 13 {
		minor = 13
	}
	ts, err := tokenizeInto(p.toks, src, minor, false)
	p.toks = ts
	if err != nil {
		return nil, err
	}
	return p.build(src, minor, ts)
}

// parseTree is ParseFile without the checks after parsing: ast.parse.
func parseTree(src []byte, minor int) (*ast.Tree, *Error) {
	return (&Parser{}).parseTree(src, minor)
}

func (p *Parser) parseTree(src []byte, minor int) (*ast.Tree, *Error) {
	ts, err := p.check(src, minor)
	if err != nil {
		return nil, err
	}
	return p.build(src, minor, ts)
}

// build makes the tree of src's tokens ts.
func (p *Parser) build(src []byte, minor int, ts *Tokens) (*ast.Tree, *Error) {
	if p.tree == nil {
		p.tree = ast.NewTree(src)
	} else {
		p.tree.Reset(src)
	}
	t := p.tree
	b := &builder{src: src, minor: minor, toks: ts, n: ts.Len(), tree: t, stack: p.stack[:0]}
	b.load()
	b.module()
	p.stack = b.stack
	t.SetRoot(b.stack[0])
	if b.err != nil {
		return nil, b.err
	}
	return t, nil
}

type builder struct {
	src   []byte // what the tokens index (an f-string's field before 3.12: its own text)
	minor int
	toks  *Tokens
	n     int
	pos   int
	shift int32 // added to the tokens' offsets to make the tree's (a field's place in the file)
	// prevEnd is where the last token consumed ends, NEWLINE, INDENT and
	// DEDENT aside: where a node finished now ends.
	prevEnd int32
	tree    *ast.Tree
	stack   []int32 // the nodes made whose parent is not made yet
	err     *Error
	ct      Token // the current token, tok(0)
	depth   int   // nested expressions being read (see deeper)
}

// maxBuildDepth bounds the builder's recursion: deeper than any source
// CPython's parser takes (its stack stops near 6,000 levels), met only by a
// source BuildTree is given unjudged.
const maxBuildDepth = 10000

// deeper enters one more level of nesting; false (a defect recorded) past
// maxBuildDepth. Each call is paired with a b.depth-- by its caller.
func (b *builder) deeper() bool {
	b.depth++
	if b.depth > maxBuildDepth {
		b.defect("less nesting")
		return false
	}
	return true
}

// ---- tokens ----

func (b *builder) tok(i int) Token {
	if j := b.pos + i; j < b.n {
		return b.toks.At(j)
	}
	return Token{Kind: EndMarker, Off: int32(len(b.src)), EndOff: int32(len(b.src))}
}

// cur is the current token (kept at hand: the builder asks for it most).
func (b *builder) cur() Token { return b.ct }

// load makes the token at pos the current one.
func (b *builder) load() { b.ct = b.tok(0) }

func (b *builder) text(t Token) string { return string(b.src[t.Off:t.EndOff]) }

// isAt reports whether token i ahead is the operator or keyword s.
func (b *builder) isAt(i int, s string) bool {
	if i == 0 {
		return b.is(s)
	}
	t := b.tok(i)
	return (t.Kind == Op || t.Kind == Name) && int(t.EndOff-t.Off) == len(s) && string(b.src[t.Off:t.EndOff]) == s
}

// is reports whether the current token is the operator or keyword s.
func (b *builder) is(s string) bool {
	t := &b.ct
	return int(t.EndOff-t.Off) == len(s) && (t.Kind == Op || t.Kind == Name) && string(b.src[t.Off:t.EndOff]) == s
}

// next consumes the current token.
func (b *builder) next() Token {
	t := b.ct
	if b.pos < b.n {
		b.pos++
		b.load()
		switch t.Kind {
		case Newline, Indent, Dedent, EndMarker:
		default:
			b.prevEnd = t.EndOff + b.shift
		}
	}
	return t
}

// accept consumes s if it is the current token.
func (b *builder) accept(s string) bool {
	if b.is(s) {
		b.next()
		return true
	}
	return false
}

// expect consumes s, which the grammar says is there.
func (b *builder) expect(s string) {
	if !b.accept(s) {
		b.defect("'" + s + "'")
	}
}

func (b *builder) expectKind(k Kind) {
	if b.cur().Kind != k {
		b.defect(k.String())
		return
	}
	b.next()
}

// defect records that the tokens are not what the grammar accepts: a
// fault of the builder (or of Parse), never of the source.
func (b *builder) defect(want string) {
	if b.err == nil {
		t := b.cur()
		b.err = &Error{Type: "InternalError", Line: int(t.Start.Line), Col: int(t.Start.Col) + 1,
			Msg: "the syntax tree builder expected " + want + " where the parser accepted " + t.Kind.String()}
	}
}

// isName reports whether the current token is a NAME that is not a keyword.
func (b *builder) isName() bool {
	t := b.cur()
	return t.Kind == Name && !isKeyword(b.text(t))
}

// startsExpr reports whether the current token can begin an expression.
func (b *builder) startsExpr() bool {
	t := b.cur()
	switch t.Kind {
	case Number, String, FStringStart:
		return true
	case Name:
		switch text := b.text(t); text {
		case "True", "False", "None", "lambda", "not", "await", "yield":
			return true
		default:
			return !isKeyword(text)
		}
	case Op:
		switch b.text(t) {
		case "(", "[", "{", "-", "+", "~", "...", "*":
			return true
		}
	}
	return false
}

// ---- nodes ----

// push makes a node of no children from off to end and pushes it.
func (b *builder) push(k ast.Kind, off, end int32) *ast.Node {
	i := b.tree.NewNode(k, off, end)
	b.stack = append(b.stack, i)
	return b.tree.At(i)
}

// leaf makes a node of no children over token t and pushes it.
func (b *builder) leaf(k ast.Kind, t Token) *ast.Node {
	return b.push(k, t.Off+b.shift, t.EndOff+b.shift)
}

// ident consumes a NAME and pushes it as an Identifier in field f.
func (b *builder) ident(f ast.Field) *ast.Node {
	t := b.cur()
	if t.Kind != Name {
		b.defect("a name")
	}
	b.next()
	n := b.leaf(ast.Identifier, t)
	n.Field = f
	return n
}

// finish makes a node of kind k from off to the last token consumed, whose
// children are the nodes pushed since mark, and pushes it in their place.
func (b *builder) finish(k ast.Kind, mark int, off int32) *ast.Node {
	i := b.tree.NewNode(k, off, max(off, b.prevEnd))
	b.tree.SetChildren(i, b.stack[mark:])
	b.stack = append(b.stack[:mark], i)
	return b.tree.At(i)
}

// mark is where the nodes of the construct about to be read start.
func (b *builder) mark() int { return len(b.stack) }

// off is where the current token starts in the tree's terms.
func (b *builder) off() int32 { return b.cur().Off + b.shift }

// top is the node pushed last.
func (b *builder) top() *ast.Node { return b.tree.At(b.stack[len(b.stack)-1]) }

// pop removes the node pushed last from the stack and returns its index.
func (b *builder) pop() int32 {
	i := b.stack[len(b.stack)-1]
	b.stack = b.stack[:len(b.stack)-1]
	return i
}

// as sets the field of the node pushed last and returns it.
func (b *builder) as(f ast.Field, n *ast.Node) *ast.Node {
	n.Field = f
	return n
}

// setCtx gives a target (and the targets inside it) its context.
func (b *builder) setCtx(n *ast.Node, ctx ast.Ctx) {
	switch n.Kind {
	case ast.Name, ast.Attribute, ast.Subscript:
		n.Ctx = ctx
	case ast.Starred:
		n.Ctx = ctx
		if v := b.tree.Child(n, ast.Value); v != nil {
			b.setCtx(v, ctx)
		}
	case ast.List, ast.Tuple:
		n.Ctx = ctx
		for c := range b.tree.All(n, ast.Elts) {
			b.setCtx(c, ctx)
		}
	}
}

// ---- statements ----

func (b *builder) module() *ast.Node {
	m := b.mark()
	for b.err == nil && b.cur().Kind != EndMarker {
		b.statement(ast.Body)
	}
	n := b.finish(ast.Module, m, 0)
	n.EndOff = int32(len(b.src))
	return n
}

// statement reads one statement (or the simple statements of a line) and
// pushes each in field f.
func (b *builder) statement(f ast.Field) {
	defer func() { b.depth-- }()
	if !b.deeper() {
		b.next()
		return
	}
	t := b.cur()
	if t.Kind == Op && b.text(t) == "@" {
		b.as(f, b.decorated())
		return
	}
	if t.Kind == Name {
		var n *ast.Node
		switch b.text(t) {
		case "def", "class":
			n = b.definition(b.mark())
		case "async":
			switch {
			case b.isAt(1, "def"):
				n = b.definition(b.mark())
			case b.isAt(1, "for"):
				n = b.forStmt()
			case b.isAt(1, "with"):
				n = b.withStmt()
			}
		case "if":
			n = b.ifStmt()
		case "while":
			n = b.whileStmt()
		case "for":
			n = b.forStmt()
		case "with":
			n = b.withStmt()
		case "try":
			n = b.tryStmt()
		case "match":
			if b.minor >= 10 && b.isMatch() {
				n = b.matchStmt()
			}
		}
		if n != nil {
			b.as(f, n)
			return
		}
	}
	for b.err == nil {
		b.as(f, b.simple())
		if !b.accept(";") || b.cur().Kind == Newline {
			break
		}
	}
	b.expectKind(Newline)
}

// block reads a block: its statements, in field f.
func (b *builder) block(f ast.Field) {
	if b.cur().Kind != Newline {
		for b.err == nil {
			b.as(f, b.simple())
			if !b.accept(";") || b.cur().Kind == Newline {
				break
			}
		}
		b.expectKind(Newline)
		return
	}
	b.next()
	b.expectKind(Indent)
	for b.err == nil && b.cur().Kind != Dedent && b.cur().Kind != EndMarker {
		b.statement(f)
	}
	b.expectKind(Dedent)
}

// isMatch reports whether the line that starts with the soft keyword
// match is a match statement: it ends with ':' and a block. (No simple
// statement ends with ':'.)
func (b *builder) isMatch() bool {
	if b.isAt(1, "=") || b.isAt(1, ".") {
		return false
	}
	for i := 1; ; i++ {
		t := b.tok(i)
		switch t.Kind {
		case Newline:
			return b.isAt(i-1, ":") && b.tok(i+1).Kind == Indent
		case EndMarker:
			return false
		}
	}
}

func (b *builder) decorated() *ast.Node {
	m := b.mark()
	for b.err == nil && b.is("@") {
		b.next()
		b.as(ast.Decorators, b.namedExpression())
		b.expectKind(Newline)
	}
	return b.definition(m)
}

// definition reads a def or a class, whose decorators were pushed since m.
func (b *builder) definition(m int) *ast.Node {
	off := b.off()
	kind := ast.FunctionDef
	switch {
	case b.accept("async"):
		kind = ast.AsyncFunctionDef
		b.expect("def")
	case b.accept("class"):
		kind = ast.ClassDef
	default:
		b.expect("def")
	}
	b.ident(ast.Ident)
	if b.is("[") {
		b.typeParams()
	}
	if kind == ast.ClassDef {
		if lparen := b.off(); b.accept("(") && !b.callArgs(ast.Bases, lparen) {
			b.expect(")")
		}
	} else {
		b.expect("(")
		b.params(")")
		b.expect(")")
		if b.accept("->") {
			b.as(ast.Returns, b.expression())
		}
	}
	b.expect(":")
	b.block(ast.Body)
	return b.finish(kind, m, off)
}

// params reads parameters up to the token end (')' or a lambda's ':')
// into an arguments node.
func (b *builder) params(end string) *ast.Node {
	m := b.mark()
	off := b.off()
	field := ast.Args
	for b.err == nil && !b.is(end) {
		switch {
		case b.accept("/"):
			for _, i := range b.stack[m:] {
				if a := b.tree.At(i); a.Field == ast.Args {
					a.Field = ast.PosOnlyArgs
				}
			}
		case b.is("*"):
			b.next()
			field = ast.KwOnlyArgs
			if !b.is(",") && !b.is(end) {
				b.param(ast.VarArg, end != ":")
			}
		case b.is("**"):
			b.next()
			b.param(ast.KwArg, end != ":")
		default:
			b.param(field, end != ":")
		}
		if !b.accept(",") {
			break
		}
	}
	n := b.finish(ast.Arguments, m, off)
	n.Field = ast.Args
	return n
}

// param reads one parameter: its name, annotation and default.
func (b *builder) param(f ast.Field, annotated bool) {
	m := b.mark()
	off := b.off()
	b.ident(ast.ArgName)
	if annotated && b.accept(":") {
		if b.is("*") {
			b.as(ast.Annotation, b.starExpression())
		} else {
			b.as(ast.Annotation, b.expression())
		}
	}
	b.finish(ast.Arg, m, off).Field = f
	if b.accept("=") {
		// Its default is its child here, outside its span as CPython
		// places it.
		b.expression().Field = ast.Default
		d := b.pop()
		b.tree.SetChildren(b.stack[len(b.stack)-1], []int32{d})
	}
}

func (b *builder) typeParams() {
	b.expect("[")
	for b.err == nil && !b.is("]") {
		m := b.mark()
		off := b.off()
		kind := ast.TypeVar
		switch {
		case b.accept("*"):
			kind = ast.TypeVarTuple
		case b.accept("**"):
			kind = ast.ParamSpec
		}
		b.ident(ast.Ident)
		if kind == ast.TypeVar && b.accept(":") {
			b.as(ast.Bound, b.expression())
		}
		if b.accept("=") {
			if kind == ast.TypeVarTuple {
				b.as(ast.DefaultValue, b.starExpression())
			} else {
				b.as(ast.DefaultValue, b.expression())
			}
		}
		b.finish(kind, m, off).Field = ast.TypeParams
		if !b.accept(",") {
			break
		}
	}
	b.expect("]")
}

func (b *builder) ifStmt() *ast.Node {
	m := b.mark()
	off := b.off()
	b.next() // if or elif
	b.as(ast.Test, b.namedExpression())
	b.expect(":")
	b.block(ast.Body)
	switch {
	case b.is("elif"):
		b.as(ast.OrElse, b.ifStmt())
	case b.accept("else"):
		b.expect(":")
		b.block(ast.OrElse)
	}
	return b.finish(ast.If, m, off)
}

func (b *builder) elseBlock() {
	if b.accept("else") {
		b.expect(":")
		b.block(ast.OrElse)
	}
}

func (b *builder) whileStmt() *ast.Node {
	m := b.mark()
	off := b.off()
	b.expect("while")
	b.as(ast.Test, b.namedExpression())
	b.expect(":")
	b.block(ast.Body)
	b.elseBlock()
	return b.finish(ast.While, m, off)
}

func (b *builder) forStmt() *ast.Node {
	m := b.mark()
	off := b.off()
	kind := ast.For
	if b.accept("async") {
		kind = ast.AsyncFor
	}
	b.expect("for")
	b.as(ast.Target, b.targets(ast.Store))
	b.expect("in")
	b.as(ast.Iter, b.starExpressions())
	b.expect(":")
	b.block(ast.Body)
	b.elseBlock()
	return b.finish(kind, m, off)
}

func (b *builder) withStmt() *ast.Node {
	m := b.mark()
	off := b.off()
	kind := ast.With
	if b.accept("async") {
		kind = ast.AsyncWith
	}
	b.expect("with")
	// with (a, b): is two items, with (a, b) as c: one; the grammar tries
	// the items in brackets first, which hold when ':' follows ')'.
	if b.is("(") && b.withItemsInBrackets() {
		b.next()
		for b.err == nil && !b.is(")") {
			b.withItem()
			if !b.accept(",") {
				break
			}
		}
		b.expect(")")
	} else {
		for b.err == nil {
			b.withItem()
			if !b.accept(",") {
				break
			}
		}
	}
	b.expect(":")
	b.block(ast.Body)
	return b.finish(kind, m, off)
}

// withItemsInBrackets reports whether the bracket that follows with holds
// its items, as with (a as b, c): they hold when ':' follows the ')', and
// each item is an expression (no yield, starred item, generator or
// walrus), as the grammar's first alternative wants; otherwise the
// bracket begins the first item's expression.
func (b *builder) withItemsInBrackets() bool {
	level := b.cur().Level
	itemStart := true
	for j := 1; ; j++ {
		t := b.tok(j)
		if t.Kind == EndMarker || t.Level < level {
			return j > 1 && b.isAt(j+1, ":")
		}
		if t.Level == level && (t.Kind == Op || t.Kind == Name) {
			switch text := b.text(t); {
			case itemStart && (text == "yield" || text == "*"), text == "for", text == ":=":
				return false
			case text == ",":
				itemStart = true
				continue
			}
		}
		itemStart = false
	}
}

func (b *builder) withItem() {
	m := b.mark()
	off := b.off()
	b.as(ast.ContextExpr, b.expression())
	if b.accept("as") {
		b.as(ast.OptionalVars, b.target(ast.Store))
	}
	b.finish(ast.WithItem, m, off).Field = ast.Items
}

func (b *builder) tryStmt() *ast.Node {
	m := b.mark()
	off := b.off()
	b.expect("try")
	b.expect(":")
	b.block(ast.Body)
	kind := ast.Try
	for b.err == nil && b.is("except") {
		hm := b.mark()
		hoff := b.off()
		b.next()
		if b.accept("*") {
			kind = ast.TryStar
		}
		if !b.is(":") {
			b.as(ast.Type, b.expression())
			if b.accept("as") {
				b.ident(ast.Ident)
			}
		}
		b.expect(":")
		b.block(ast.Body)
		b.finish(ast.ExceptHandler, hm, hoff).Field = ast.Handlers
	}
	b.elseBlock()
	if b.accept("finally") {
		b.expect(":")
		b.block(ast.FinalBody)
	}
	return b.finish(kind, m, off)
}

// simple reads a simple statement.
func (b *builder) simple() *ast.Node {
	m := b.mark()
	off := b.off()
	t := b.cur()
	if t.Kind == Name {
		switch b.text(t) {
		case "pass":
			b.next()
			return b.finish(ast.Pass, m, off)
		case "break":
			b.next()
			return b.finish(ast.Break, m, off)
		case "continue":
			b.next()
			return b.finish(ast.Continue, m, off)
		case "return":
			b.next()
			if b.startsExpr() {
				b.as(ast.Value, b.starExpressions())
			}
			return b.finish(ast.Return, m, off)
		case "raise":
			b.next()
			if b.startsExpr() {
				b.as(ast.Exc, b.expression())
				if b.accept("from") {
					b.as(ast.Cause, b.expression())
				}
			}
			return b.finish(ast.Raise, m, off)
		case "global", "nonlocal":
			kind := ast.Global
			if b.text(t) == "nonlocal" {
				kind = ast.Nonlocal
			}
			b.next()
			for b.err == nil {
				b.ident(ast.Names)
				if !b.accept(",") {
					break
				}
			}
			return b.finish(kind, m, off)
		case "del":
			b.next()
			for b.err == nil && !b.is(";") && b.cur().Kind != Newline {
				b.as(ast.Targets, b.target(ast.Del))
				if !b.accept(",") {
					break
				}
			}
			return b.finish(ast.Delete, m, off)
		case "assert":
			b.next()
			b.as(ast.Test, b.expression())
			if b.accept(",") {
				b.as(ast.Msg, b.expression())
			}
			return b.finish(ast.Assert, m, off)
		case "import":
			b.next()
			for b.err == nil {
				b.alias(true)
				if !b.accept(",") {
					break
				}
			}
			return b.finish(ast.Import, m, off)
		case "from":
			return b.importFrom()
		case "type":
			if b.minor >= 12 && b.tok(1).Kind == Name && (b.isAt(2, "=") || b.isAt(2, "[")) {
				b.next()
				name := b.next()
				n := b.leaf(ast.Name, name)
				n.Field, n.Ctx = ast.Ident, ast.Store
				if b.is("[") {
					b.typeParams()
				}
				b.expect("=")
				b.as(ast.Value, b.expression())
				return b.finish(ast.TypeAlias, m, off)
			}
		}
	}
	first := b.starExpressionsOrYield()
	switch {
	case b.is("="):
		b.setCtx(b.as(ast.Targets, first), ast.Store)
		for b.err == nil && b.accept("=") {
			v := b.starExpressionsOrYield()
			if b.is("=") {
				b.setCtx(b.as(ast.Targets, v), ast.Store)
			} else {
				v.Field = ast.Value
			}
		}
		return b.finish(ast.Assign, m, off)
	case b.is(":"):
		b.next()
		b.setCtx(b.as(ast.Target, first), ast.Store)
		b.as(ast.Annotation, b.expression())
		if b.accept("=") {
			b.as(ast.Value, b.starExpressionsOrYield())
		}
		n := b.finish(ast.AnnAssign, m, off)
		if first.Kind == ast.Name && b.src[off-b.shift] != '(' {
			ast.SetAux(n, 1)
		}
		return n
	}
	if op, ok := augOps[b.text(b.cur())]; ok && b.cur().Kind == Op {
		b.next()
		b.setCtx(b.as(ast.Target, first), ast.Store)
		b.as(ast.Value, b.starExpressionsOrYield())
		n := b.finish(ast.AugAssign, m, off)
		n.Op = op
		return n
	}
	first.Field = ast.Value
	return b.finish(ast.Expr, m, off)
}

var augOps = map[string]ast.Op{
	"+=": ast.Add, "-=": ast.Sub, "*=": ast.Mult, "@=": ast.MatMult, "/=": ast.Div, "%=": ast.Mod, "**=": ast.Pow,
	"<<=": ast.LShift, ">>=": ast.RShift, "|=": ast.BitOr, "^=": ast.BitXor, "&=": ast.BitAnd, "//=": ast.FloorDiv,
}

// alias reads a name to import and its 'as' name; dotted for import.
func (b *builder) alias(dotted bool) {
	m := b.mark()
	off := b.off()
	if b.is("*") {
		t := b.next()
		b.leaf(ast.Identifier, t).Field = ast.Ident
	} else if dotted {
		b.dottedName(ast.Ident)
	} else {
		b.ident(ast.Ident)
	}
	if b.accept("as") {
		b.ident(ast.AsName)
	}
	b.finish(ast.Alias, m, off).Field = ast.Names
}

// dottedName reads a.b.c as one Identifier in field f.
func (b *builder) dottedName(f ast.Field) {
	m := b.mark()
	off := b.off()
	b.next()
	for b.err == nil && b.is(".") && b.tok(1).Kind == Name {
		b.next()
		b.next()
	}
	b.finish(ast.Identifier, m, off).Field = f
}

func (b *builder) importFrom() *ast.Node {
	m := b.mark()
	off := b.off()
	b.expect("from")
	level := 0
	for {
		switch {
		case b.accept("."):
			level++
			continue
		case b.accept("..."):
			level += 3
			continue
		}
		break
	}
	if !b.is("import") {
		b.dottedName(ast.ModuleName)
	}
	b.expect("import")
	paren := b.accept("(")
	for b.err == nil && !b.is(")") {
		b.alias(false)
		if !b.accept(",") {
			break
		}
	}
	if paren {
		b.expect(")")
	}
	n := b.finish(ast.ImportFrom, m, off)
	ast.SetAux(n, level)
	return n
}

// ---- match ----

func (b *builder) matchStmt() *ast.Node {
	m := b.mark()
	off := b.off()
	b.next() // match
	sm := b.mark()
	soff := b.off()
	first := b.starNamedExpression()
	if b.accept(",") {
		first.Field = ast.Elts
		for b.err == nil && !b.is(":") {
			b.as(ast.Elts, b.starNamedExpression())
			if !b.accept(",") {
				break
			}
		}
		b.finish(ast.Tuple, sm, soff).Ctx = ast.Load
	}
	b.top().Field = ast.Subject
	b.expect(":")
	b.expectKind(Newline)
	b.expectKind(Indent)
	for b.err == nil && b.is("case") {
		cm := b.mark()
		coff := b.off()
		b.next()
		b.as(ast.Pattern, b.patterns())
		if b.accept("if") {
			b.as(ast.Guard, b.namedExpression())
		}
		b.expect(":")
		b.block(ast.Body)
		b.finish(ast.MatchCase, cm, coff).Field = ast.Cases
	}
	b.expectKind(Dedent)
	return b.finish(ast.Match, m, off)
}

// patterns is a case's patterns: one, or a sequence without brackets.
func (b *builder) patterns() *ast.Node {
	m := b.mark()
	off := b.off()
	first := b.maybeStarPattern()
	if !b.is(",") {
		return first
	}
	first.Field = ast.Patterns
	for b.err == nil && b.accept(",") && !b.is(":") && !b.is("if") {
		b.as(ast.Patterns, b.maybeStarPattern())
	}
	return b.finish(ast.MatchSequence, m, off)
}

func (b *builder) maybeStarPattern() *ast.Node {
	if !b.is("*") {
		return b.pattern()
	}
	m := b.mark()
	off := b.off()
	b.next()
	if b.is("_") {
		b.next()
	} else {
		b.ident(ast.Ident)
	}
	return b.finish(ast.MatchStar, m, off)
}

func (b *builder) pattern() *ast.Node {
	m := b.mark()
	off := b.off()
	first := b.closedPattern()
	if b.is("|") {
		first.Field = ast.Patterns
		for b.err == nil && b.accept("|") {
			b.as(ast.Patterns, b.closedPattern())
		}
		first = b.finish(ast.MatchOr, m, off)
	}
	if b.accept("as") {
		first.Field = ast.Pattern
		b.ident(ast.Ident)
		return b.finish(ast.MatchAs, m, off)
	}
	return first
}

func (b *builder) closedPattern() *ast.Node {
	defer func() { b.depth-- }()
	if !b.deeper() {
		return b.push(ast.MatchAs, b.off(), b.off())
	}
	m := b.mark()
	off := b.off()
	t := b.cur()
	switch {
	case t.Kind == Number || b.is("-"):
		b.as(ast.Value, b.signedNumber())
		return b.finish(ast.MatchValue, m, off)
	case t.Kind == String || t.Kind == FStringStart:
		b.as(ast.Value, b.strings())
		return b.finish(ast.MatchValue, m, off)
	case b.is("None") || b.is("True") || b.is("False"):
		b.next()
		n := b.finish(ast.MatchSingleton, m, off)
		n.Op = constOps[b.text(t)]
		return n
	case b.is("("), b.is("["):
		closer := map[string]string{"(": ")", "[": "]"}[b.text(t)]
		b.next()
		if b.accept(closer) {
			return b.finish(ast.MatchSequence, m, off)
		}
		first := b.maybeStarPattern()
		if closer == ")" && b.accept(")") && first.Kind != ast.MatchStar {
			return first // a group
		}
		first.Field = ast.Patterns
		for b.err == nil && b.accept(",") && !b.is(closer) {
			b.as(ast.Patterns, b.maybeStarPattern())
		}
		b.expect(closer)
		return b.finish(ast.MatchSequence, m, off)
	case b.is("{"):
		b.next()
		for b.err == nil && !b.is("}") {
			if b.accept("**") {
				b.ident(ast.Rest)
			} else {
				if b.cur().Kind == Name && !b.is("None") && !b.is("True") && !b.is("False") {
					b.as(ast.Keys, b.nameOrAttr())
				} else if b.cur().Kind == Name {
					tt := b.next()
					n := b.leaf(ast.Constant, tt)
					n.Op, n.Field = constOps[b.text(tt)], ast.Keys
				} else if b.cur().Kind == String || b.cur().Kind == FStringStart {
					b.as(ast.Keys, b.strings())
				} else {
					b.as(ast.Keys, b.signedNumber())
				}
				b.expect(":")
				b.as(ast.Patterns, b.pattern())
			}
			if !b.accept(",") {
				break
			}
		}
		b.expect("}")
		return b.finish(ast.MatchMapping, m, off)
	case t.Kind == Name:
		if b.text(t) == "_" && !b.isAt(1, ".") && !b.isAt(1, "(") {
			b.next()
			return b.finish(ast.MatchAs, m, off)
		}
		if !b.isAt(1, ".") && !b.isAt(1, "(") {
			b.ident(ast.Ident)
			return b.finish(ast.MatchAs, m, off)
		}
		cls := b.nameOrAttr()
		if !b.is("(") {
			cls.Field = ast.Value
			return b.finish(ast.MatchValue, m, off)
		}
		cls.Field = ast.Cls
		b.next()
		for b.err == nil && !b.is(")") {
			if b.cur().Kind == Name && b.isAt(1, "=") {
				b.ident(ast.KwdAttrs)
				b.next()
				b.as(ast.KwdPatterns, b.pattern())
			} else {
				b.as(ast.Patterns, b.pattern())
			}
			if !b.accept(",") {
				break
			}
		}
		b.expect(")")
		return b.finish(ast.MatchClass, m, off)
	}
	b.defect("a pattern")
	b.next()
	return b.finish(ast.MatchAs, m, off)
}

// nameOrAttr is a name or a dotted name, loaded.
func (b *builder) nameOrAttr() *ast.Node {
	m := b.mark()
	off := b.off()
	n := b.leaf(ast.Name, b.next())
	n.Ctx = ast.Load
	for b.err == nil && b.is(".") {
		n.Field = ast.Value
		b.next()
		b.ident(ast.Attr)
		n = b.finish(ast.Attribute, m, off)
		n.Ctx = ast.Load
	}
	return n
}

// signedNumber is a pattern's number: -1, 1.5, 1+2j, -1-2j.
func (b *builder) signedNumber() *ast.Node {
	m := b.mark()
	off := b.off()
	var n *ast.Node
	if b.accept("-") {
		b.as(ast.Operand, b.number())
		n = b.finish(ast.UnaryOp, m, off)
		n.Op = ast.USub
	} else {
		n = b.number()
	}
	if b.is("+") || b.is("-") {
		op := ast.Add
		if b.is("-") {
			op = ast.Sub
		}
		b.next()
		n.Field = ast.Left
		b.as(ast.Right, b.number())
		n = b.finish(ast.BinOp, m, off)
		n.Op = op
	}
	return n
}

func (b *builder) number() *ast.Node {
	if b.ct.Kind != Number {
		b.defect("a number")
	}
	t := b.next()
	n := b.leaf(ast.Constant, t)
	n.Op = numberType(b.text(t))
	return n
}

// numberType is the type of a NUMBER token's value.
func numberType(s string) ast.Op {
	if s == "" {
		return ast.Int
	}
	last := s[len(s)-1]
	switch {
	case last == 'j' || last == 'J':
		return ast.Complex
	case len(s) > 1 && s[0] == '0' && (s[1]|0x20 == 'x' || s[1]|0x20 == 'o' || s[1]|0x20 == 'b'):
		return ast.Int
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '.' || c == 'e' || c == 'E' {
			return ast.Float
		}
	}
	return ast.Int
}

var constOps = map[string]ast.Op{"None": ast.None, "True": ast.True, "False": ast.False}
