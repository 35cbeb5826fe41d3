package python

import (
	"github.com/dagnfs/dagnfs/validate/python/ast"
)

// The builder's expressions, by precedence as in the grammar.

func (b *builder) starExpressionsOrYield() *ast.Node {
	if b.is("yield") {
		return b.yieldExpr()
	}
	return b.starExpressions()
}

// starExpressions is one star_expression, or a tuple of them.
func (b *builder) starExpressions() *ast.Node {
	return b.tupleOf(b.starExpression)
}

// tupleOf reads item, or items separated by commas as a Tuple without
// brackets (a trailing comma included).
func (b *builder) tupleOf(item func() *ast.Node) *ast.Node {
	m := b.mark()
	off := b.off()
	first := item()
	if !b.is(",") {
		return first
	}
	first.Field = ast.Elts
	for b.err == nil && b.accept(",") && b.startsExpr() && !b.is("yield") {
		b.as(ast.Elts, item())
	}
	n := b.finish(ast.Tuple, m, off)
	n.Ctx = ast.Load
	return n
}

func (b *builder) starExpression() *ast.Node {
	if !b.is("*") {
		return b.expression()
	}
	m := b.mark()
	off := b.off()
	b.next()
	b.as(ast.Value, b.bitwiseOr())
	n := b.finish(ast.Starred, m, off)
	n.Ctx = ast.Load
	return n
}

func (b *builder) starNamedExpression() *ast.Node {
	if b.is("*") {
		return b.starExpression()
	}
	return b.namedExpression()
}

func (b *builder) namedExpression() *ast.Node {
	if !b.isName() || !b.isAt(1, ":=") {
		return b.expression()
	}
	m := b.mark()
	off := b.off()
	n := b.leaf(ast.Name, b.next())
	n.Field, n.Ctx = ast.Target, ast.Store
	b.next()
	b.as(ast.Value, b.expression())
	return b.finish(ast.NamedExpr, m, off)
}

func (b *builder) expression() *ast.Node {
	if n := b.atomAlone(); n != nil {
		return n
	}
	defer func() { b.depth-- }()
	if !b.deeper() {
		return b.push(ast.Name, b.off(), b.off())
	}
	if b.is("lambda") {
		return b.lambdef()
	}
	m := b.mark()
	off := b.off()
	body := b.disjunction()
	if !b.is("if") {
		return body
	}
	body.Field = ast.Body
	b.next()
	b.as(ast.Test, b.disjunction())
	b.expect("else")
	b.as(ast.OrElse, b.expression())
	return b.finish(ast.IfExp, m, off)
}

// atomAlone is a name or number that a token ending an expression follows,
// taken without the descent through the precedence levels; nil otherwise.
func (b *builder) atomAlone() *ast.Node {
	t := b.cur()
	if t.Kind != Name && t.Kind != Number || b.pos+1 >= b.n || !endsExpression(b.src, b.tok(1)) {
		return nil
	}
	if t.Kind == Name && isKeyword(string(b.src[t.Off:t.EndOff])) {
		if _, ok := constOps[string(b.src[t.Off:t.EndOff])]; !ok {
			return nil
		}
	}
	return b.atom()
}

func (b *builder) lambdef() *ast.Node {
	m := b.mark()
	off := b.off()
	b.expect("lambda")
	b.params(":")
	b.expect(":")
	b.as(ast.Body, b.expression())
	return b.finish(ast.Lambda, m, off)
}

func (b *builder) yieldExpr() *ast.Node {
	m := b.mark()
	off := b.off()
	b.expect("yield")
	if b.accept("from") {
		b.as(ast.Value, b.expression())
		return b.finish(ast.YieldFrom, m, off)
	}
	if b.startsExpr() {
		b.as(ast.Value, b.starExpressions())
	}
	return b.finish(ast.Yield, m, off)
}

// boolOp reads operands joined by the keyword kw as one BoolOp.
func (b *builder) boolOp(kw string, op ast.Op, operand func() *ast.Node) *ast.Node {
	m := b.mark()
	off := b.off()
	first := operand()
	if !b.is(kw) {
		return first
	}
	first.Field = ast.Values
	for b.err == nil && b.accept(kw) {
		b.as(ast.Values, operand())
	}
	n := b.finish(ast.BoolOp, m, off)
	n.Op = op
	return n
}

func (b *builder) disjunction() *ast.Node { return b.boolOp("or", ast.Or, b.conjunction) }

func (b *builder) conjunction() *ast.Node { return b.boolOp("and", ast.And, b.inversion) }

func (b *builder) inversion() *ast.Node {
	if !b.is("not") {
		return b.comparison()
	}
	defer func() { b.depth-- }()
	if !b.deeper() {
		return b.push(ast.Name, b.off(), b.off())
	}
	m := b.mark()
	off := b.off()
	b.next()
	b.as(ast.Operand, b.inversion())
	n := b.finish(ast.UnaryOp, m, off)
	n.Op = ast.Not
	return n
}

var compareOps = map[string]ast.Op{"==": ast.Eq, "!=": ast.NotEq, "<": ast.Lt, "<=": ast.LtE, ">": ast.Gt, ">=": ast.GtE,
	"is": ast.Is, "in": ast.In, "not": ast.NotIn}

// compareOp consumes a comparison operator, or returns NoOp.
func (b *builder) compareOp() ast.Op {
	t := b.cur()
	if t.Kind != Op && t.Kind != Name {
		return ast.NoOp
	}
	op, ok := compareOps[b.text(t)]
	switch {
	case !ok, op == ast.NotIn && !b.isAt(1, "in"):
		return ast.NoOp
	case op == ast.NotIn:
		b.next()
	case op == ast.Is && b.isAt(1, "not"):
		b.next()
		op = ast.IsNot
	}
	b.next()
	return op
}

func (b *builder) comparison() *ast.Node {
	m := b.mark()
	off := b.off()
	left := b.bitwiseOr()
	opOff := b.off()
	op := b.compareOp()
	if op == ast.NoOp {
		return left
	}
	left.Field = ast.Left
	for b.err == nil && op != ast.NoOp {
		o := b.push(ast.Operator, opOff, b.prevEnd)
		o.Field, o.Op = ast.Ops, op
		b.as(ast.Comparators, b.bitwiseOr())
		opOff = b.off()
		op = b.compareOp()
	}
	return b.finish(ast.Compare, m, off)
}

// Binary operators by precedence: | ^ & (<< >>) (+ -) (* / // % @).
const (
	levelOr = iota + 1
	levelXor
	levelAnd
	levelShift
	levelSum
	levelTerm
)

// binaryOp is the precedence level and operator of a binary operator token
// (0 for any other token).
func binaryOp(src []byte, t Token) (int, ast.Op) {
	if t.Kind != Op {
		return 0, ast.NoOp
	}
	switch string(src[t.Off:t.EndOff]) {
	case "|":
		return levelOr, ast.BitOr
	case "^":
		return levelXor, ast.BitXor
	case "&":
		return levelAnd, ast.BitAnd
	case "<<":
		return levelShift, ast.LShift
	case ">>":
		return levelShift, ast.RShift
	case "+":
		return levelSum, ast.Add
	case "-":
		return levelSum, ast.Sub
	case "*":
		return levelTerm, ast.Mult
	case "/":
		return levelTerm, ast.Div
	case "//":
		return levelTerm, ast.FloorDiv
	case "%":
		return levelTerm, ast.Mod
	case "@":
		return levelTerm, ast.MatMult
	}
	return 0, ast.NoOp
}

// binary reads the operands and binary operators of bitwise_or and the
// levels below it, binding each operator of level at least min: precedence
// climbing, left-associative (an operator's right operand binds only the
// levels above its own). One loop for all five levels: a chain of operands
// costs no recursion.
func (b *builder) binary(min int) *ast.Node {
	m := b.mark()
	off := b.off()
	left := b.factor()
	for b.err == nil {
		lvl, op := binaryOp(b.src, b.ct)
		if lvl == 0 || lvl < min {
			break
		}
		b.next()
		left.Field = ast.Left
		b.as(ast.Right, b.binary(lvl+1))
		left = b.finish(ast.BinOp, m, off)
		left.Op = op
	}
	return left
}

var unaryOps = map[string]ast.Op{"+": ast.UAdd, "-": ast.USub, "~": ast.Invert}

func (b *builder) bitwiseOr() *ast.Node { return b.binary(levelOr) }

func (b *builder) factor() *ast.Node {
	op, ok := unaryOps[string(b.src[b.ct.Off:b.ct.EndOff])]
	if !ok || b.cur().Kind != Op {
		return b.power()
	}
	defer func() { b.depth-- }()
	if !b.deeper() {
		return b.push(ast.Name, b.off(), b.off())
	}
	m := b.mark()
	off := b.off()
	b.next()
	b.as(ast.Operand, b.factor())
	n := b.finish(ast.UnaryOp, m, off)
	n.Op = op
	return n
}

func (b *builder) power() *ast.Node {
	m := b.mark()
	off := b.off()
	left := b.awaitPrimary()
	if !b.accept("**") {
		return left
	}
	left.Field = ast.Left
	b.as(ast.Right, b.factor())
	n := b.finish(ast.BinOp, m, off)
	n.Op = ast.Pow
	return n
}

func (b *builder) awaitPrimary() *ast.Node {
	if !b.is("await") {
		return b.primary()
	}
	m := b.mark()
	off := b.off()
	b.next()
	b.as(ast.Value, b.primary())
	return b.finish(ast.Await, m, off)
}

// primary is an atom and what follows it: attributes, calls, subscripts.
func (b *builder) primary() *ast.Node {
	m := b.mark()
	off := b.off()
	n := b.atom()
	for b.err == nil {
		switch {
		case b.is("."):
			n.Field = ast.Value
			b.next()
			b.ident(ast.Attr)
			n = b.finish(ast.Attribute, m, off)
			n.Ctx = ast.Load
		case b.is("("):
			n.Field = ast.Func
			b.call()
			n = b.finish(ast.Call, m, off)
		case b.is("["):
			n.Field = ast.Value
			b.next()
			b.as(ast.Index, b.slices())
			b.expect("]")
			n = b.finish(ast.Subscript, m, off)
			n.Ctx = ast.Load
		default:
			return n
		}
	}
	return n
}

// call reads a call's arguments, its brackets included.
func (b *builder) call() {
	lparen := b.off()
	b.expect("(")
	if !b.callArgs(ast.Args, lparen) {
		b.expect(")")
	}
}

// callArgs reads arguments up to ')': positional ones in field pos,
// keywords in Keywords. A generator expression that is the only argument
// spans the brackets of the call, from lparen: then callArgs consumes the
// ')' and returns true.
func (b *builder) callArgs(pos ast.Field, lparen int32) bool {
	for b.err == nil && !b.is(")") {
		m := b.mark()
		off := b.off()
		switch {
		case b.is("*"):
			b.next()
			b.as(ast.Value, b.expression())
			n := b.finish(ast.Starred, m, off)
			n.Field, n.Ctx = pos, ast.Load
		case b.is("**"):
			b.next()
			b.as(ast.Value, b.expression())
			b.finish(ast.Keyword, m, off).Field = ast.Keywords
		case b.cur().Kind == Name && b.isAt(1, "="):
			b.ident(ast.ArgName)
			b.next()
			b.as(ast.Value, b.expression())
			b.finish(ast.Keyword, m, off).Field = ast.Keywords
		default:
			e := b.namedExpression()
			if b.is("for") || b.is("async") {
				e.Field = ast.Elt
				b.comprehension()
				b.expect(")")
				b.finish(ast.GeneratorExp, m, lparen).Field = pos
				return true
			}
			e.Field = pos
		}
		if !b.accept(",") {
			break
		}
	}
	return false
}

// comprehension reads for ... in ... if ... clauses.
func (b *builder) comprehension() {
	for b.err == nil && (b.is("for") || b.is("async")) {
		m := b.mark()
		off := b.off()
		async := b.accept("async")
		b.expect("for")
		b.as(ast.Target, b.targets(ast.Store))
		b.expect("in")
		b.as(ast.Iter, b.disjunction())
		for b.err == nil && b.accept("if") {
			b.as(ast.Ifs, b.disjunction())
		}
		n := b.finish(ast.Comprehension, m, off)
		n.Field = ast.Generators
		if async {
			ast.SetAux(n, 1)
		}
	}
}

// slices is what a subscript holds: one slice or expression, or a tuple.
func (b *builder) slices() *ast.Node {
	m := b.mark()
	off := b.off()
	first := b.slice()
	if !b.is(",") && first.Kind != ast.Starred {
		return first
	}
	first.Field = ast.Elts
	for b.err == nil && b.accept(",") && !b.is("]") {
		b.as(ast.Elts, b.slice())
	}
	n := b.finish(ast.Tuple, m, off)
	n.Ctx = ast.Load
	return n
}

func (b *builder) slice() *ast.Node {
	if b.is("*") {
		return b.starExpression()
	}
	m := b.mark()
	off := b.off()
	if !b.is(":") {
		e := b.namedExpression()
		if !b.is(":") {
			return e
		}
		e.Field = ast.Lower
	}
	b.expect(":")
	if b.startsExpr() {
		b.as(ast.Upper, b.expression())
	}
	if b.accept(":") && b.startsExpr() {
		b.as(ast.Step, b.expression())
	}
	return b.finish(ast.Slice, m, off)
}

func (b *builder) atom() *ast.Node {
	t := b.cur()
	switch t.Kind {
	case Name:
		if op, ok := constOps[b.text(t)]; ok {
			b.next()
			n := b.leaf(ast.Constant, t)
			n.Op = op
			return n
		}
		b.next()
		n := b.leaf(ast.Name, t)
		n.Ctx = ast.Load
		return n
	case Number:
		return b.number()
	case String, FStringStart:
		return b.strings()
	case Op:
		switch b.text(t) {
		case "...":
			b.next()
			n := b.leaf(ast.Constant, t)
			n.Op = ast.Ellipsis
			return n
		case "(":
			return b.paren()
		case "[":
			return b.display("[", "]", ast.List, ast.ListComp)
		case "{":
			return b.brace()
		}
	}
	b.defect("an expression")
	b.next()
	return b.leaf(ast.Name, t)
}

// paren reads what stands in brackets: a group, a tuple, a generator, a
// yield.
func (b *builder) paren() *ast.Node {
	m := b.mark()
	off := b.off()
	b.next()
	if b.accept(")") {
		n := b.finish(ast.Tuple, m, off)
		n.Ctx = ast.Load
		return n
	}
	if b.is("yield") {
		y := b.yieldExpr()
		b.expect(")")
		return y
	}
	first := b.starNamedExpression()
	switch {
	case b.is("for") || b.is("async"):
		first.Field = ast.Elt
		b.comprehension()
		b.expect(")")
		return b.finish(ast.GeneratorExp, m, off)
	case b.accept(")"):
		return first
	}
	first.Field = ast.Elts
	for b.err == nil && b.accept(",") && !b.is(")") {
		b.as(ast.Elts, b.starNamedExpression())
	}
	b.expect(")")
	n := b.finish(ast.Tuple, m, off)
	n.Ctx = ast.Load
	return n
}

// display reads a list (or set) display or its comprehension.
func (b *builder) display(open, close string, kind, comp ast.Kind) *ast.Node {
	m := b.mark()
	off := b.off()
	b.expect(open)
	if b.accept(close) {
		n := b.finish(kind, m, off)
		n.Ctx = ast.Load
		return n
	}
	return b.displayFrom(m, off, b.starNamedExpression(), close, kind, comp)
}

// displayFrom reads the rest of a display whose first element was read.
func (b *builder) displayFrom(m int, off int32, first *ast.Node, close string, kind, comp ast.Kind) *ast.Node {
	if b.is("for") || b.is("async") {
		first.Field = ast.Elt
		b.comprehension()
		b.expect(close)
		return b.finish(comp, m, off)
	}
	first.Field = ast.Elts
	for b.err == nil && b.accept(",") && !b.is(close) {
		b.as(ast.Elts, b.starNamedExpression())
	}
	b.expect(close)
	n := b.finish(kind, m, off)
	if kind == ast.List {
		n.Ctx = ast.Load
	}
	return n
}

// brace reads a dict, a set or their comprehensions.
func (b *builder) brace() *ast.Node {
	m := b.mark()
	off := b.off()
	b.expect("{")
	if b.accept("}") {
		return b.finish(ast.Dict, m, off)
	}
	if !b.is("**") {
		first := b.starNamedExpression()
		if !b.is(":") {
			return b.displayFrom(m, off, first, "}", ast.Set, ast.SetComp)
		}
		first.Field = ast.Key
		b.next()
		b.as(ast.Value, b.expression())
		if b.is("for") || b.is("async") {
			b.comprehension()
			b.expect("}")
			return b.finish(ast.DictComp, m, off)
		}
		if !b.accept(",") {
			b.expect("}")
			return b.finish(ast.Dict, m, off)
		}
	}
	for b.err == nil && !b.is("}") {
		if b.accept("**") {
			b.as(ast.Value, b.bitwiseOr())
		} else {
			b.as(ast.Key, b.expression())
			b.expect(":")
			b.as(ast.Value, b.expression())
		}
		if !b.accept(",") {
			break
		}
	}
	b.expect("}")
	return b.finish(ast.Dict, m, off)
}

// targets reads assignment targets (of for, a comprehension): one, or a
// tuple of them without brackets. They are read as primaries (a target is
// one), so that 'in' ends them.
func (b *builder) targets(ctx ast.Ctx) *ast.Node {
	m := b.mark()
	off := b.off()
	first := b.target(ctx)
	if !b.is(",") {
		return first
	}
	first.Field = ast.Elts
	for b.err == nil && b.accept(",") && (b.isName() || b.is("(") || b.is("[") || b.is("*")) {
		b.as(ast.Elts, b.target(ctx))
	}
	n := b.finish(ast.Tuple, m, off)
	b.setCtx(n, ctx)
	return n
}

// target reads one target: a primary, starred or not.
func (b *builder) target(ctx ast.Ctx) *ast.Node {
	defer func() { b.depth-- }()
	if !b.deeper() {
		return b.push(ast.Name, b.off(), b.off())
	}
	var n *ast.Node
	if b.is("*") {
		m := b.mark()
		off := b.off()
		b.next()
		b.as(ast.Value, b.target(ctx))
		n = b.finish(ast.Starred, m, off)
	} else {
		n = b.primary()
	}
	b.setCtx(n, ctx)
	return n
}
