package python

// The invalid_ rules of targets and of what may not stand where a target
// or a plain expression must: assignment, annotation, augmented
// assignment, del, for, with ... as, assignment expressions, keyword
// arguments, groups and comprehensions. Their messages name what the
// offending expression is (CPython's _PyPegen_get_expr_name), so the rule
// that raises reads the expression's syntax tree, made by the builder from
// the tokens the rule accepted; only then, so the second pass costs no
// more where no such rule matches. 3.9 runs these rules too (in its one
// pass, where CPython 3.10 moved them to a second).

import (
	"fmt"

	"github.com/dagnfs/dagnfs/validate/python/ast"
)

// targetKind is what a target is for: CPython's TARGETS_TYPE.
type targetKind uint8

const (
	assignTargets targetKind = iota // STAR_TARGETS
	delTargets                      // DEL_TARGETS
	forTargets                      // FOR_TARGETS
)

// exprAt is the syntax tree of what build reads from token from, which the
// recogniser accepted; nil where the builder meets what it does not expect.
func (p *parser) exprAt(from int, build func(b *builder) *ast.Node) (*ast.Tree, *ast.Node) {
	t := ast.NewTree(p.src)
	// The builder reads only the tokens the recogniser took (up to p.pos):
	// it knows valid source only, and what follows may not be.
	b := &builder{src: p.src, minor: p.minor, toks: p.toks, n: max(p.pos, from), tree: t, pos: from}
	b.load()
	n := build(b)
	if b.err != nil || n == nil {
		return nil, nil
	}
	return t, n
}

// tokenAt is the token, from from on, where the node starting at off
// starts.
func (p *parser) tokenAt(off int32, from int) int {
	for i := from; i < p.n; i++ {
		if t := p.toks.At(i); t.Off >= off {
			return i
		}
	}
	return from
}

// exprName is what CPython's messages call an expression of n's kind, in
// p's version.
func (p *parser) exprName(n *ast.Node) string {
	switch n.Kind {
	case ast.Attribute:
		return "attribute"
	case ast.Subscript:
		return "subscript"
	case ast.Starred:
		return "starred"
	case ast.Name:
		return "name"
	case ast.List:
		return "list"
	case ast.Tuple:
		return "tuple"
	case ast.Lambda:
		return "lambda"
	case ast.Call:
		return "function call"
	case ast.BoolOp, ast.BinOp, ast.UnaryOp:
		if p.minor < 10 {
			return "operator"
		}
		return "expression"
	case ast.GeneratorExp:
		return "generator expression"
	case ast.Yield, ast.YieldFrom:
		return "yield expression"
	case ast.Await:
		return "await expression"
	case ast.ListComp:
		return "list comprehension"
	case ast.SetComp:
		return "set comprehension"
	case ast.DictComp:
		return "dict comprehension"
	case ast.Dict:
		if p.minor < 10 {
			return "dict display"
		}
		return "dict literal"
	case ast.Set:
		return "set display"
	case ast.JoinedStr, ast.FormattedValue:
		return "f-string expression"
	case ast.Constant:
		switch n.Op {
		case ast.None:
			return "None"
		case ast.False:
			return "False"
		case ast.True:
			return "True"
		case ast.Ellipsis:
			if p.minor < 10 {
				return "Ellipsis"
			}
			return "ellipsis"
		}
		return "literal"
	case ast.Compare:
		return "comparison"
	case ast.IfExp:
		return "conditional expression"
	case ast.NamedExpr:
		return "named expression"
	}
	return "expression"
}

// invalidTarget is the first part of n that cannot be a target of kind k
// (CPython's _PyPegen_get_invalid_target), or nil. Containers are walked
// with an explicit stack: a target nests as deep as the brackets do.
func invalidTarget(t *ast.Tree, n *ast.Node, k targetKind) *ast.Node {
	stack := []*ast.Node{n}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		switch n.Kind {
		case ast.List, ast.Tuple:
			// Visited in order: push the elements last first.
			mark := len(stack)
			for e := range t.All(n, ast.Elts) {
				stack = append(stack, e)
			}
			for i, j := mark, len(stack)-1; i < j; i, j = i+1, j-1 {
				stack[i], stack[j] = stack[j], stack[i]
			}
		case ast.Starred:
			if k == delTargets {
				return n
			}
			if v := t.Child(n, ast.Value); v != nil {
				stack = append(stack, v)
			}
		case ast.Compare:
			// In `for a in b` the `a in b` reads as a comparison: its
			// left side is the target.
			if k != forTargets {
				return n
			}
			if op := t.Child(n, ast.Ops); op != nil && op.Op == ast.In {
				if l := t.Child(n, ast.Left); l != nil {
					stack = append(stack, l)
				}
			}
		case ast.Name, ast.Subscript, ast.Attribute:
		default:
			return n
		}
	}
	return nil
}

// raiseInvalidTarget is RAISE_SYNTAX_ERROR_INVALID_TARGET for the
// expression build reads from token a: "cannot assign to ..." (or delete)
// at the part that cannot be a target; else 3.9 says "invalid syntax"
// where the parser stands, and later versions go on parsing.
func (p *parser) raiseInvalidTarget(k targetKind, a int, build func(b *builder) *ast.Node) bool {
	t, n := p.exprAt(a, build)
	if n == nil {
		return false
	}
	if bad := invalidTarget(t, n, k); bad != nil {
		verb := "assign to"
		if k == delTargets {
			verb = "delete"
		}
		return p.raiseAt(p.tokenAt(bad.Off, a), fmt.Sprintf("cannot %s %s", verb, p.exprName(bad)))
	}
	if p.minor >= 10 {
		return false // the rule does not match: the parse goes on
	}
	return p.raise("SyntaxError", "invalid syntax")
}

// raiseNaming raises msg, formatted with the name of the expression build
// reads from token a, at that expression.
func (p *parser) raiseNaming(a int, build func(b *builder) *ast.Node, msg string) bool {
	_, n := p.exprAt(a, build)
	if n == nil {
		return false
	}
	return p.raiseAt(p.tokenAt(n.Off, a), fmt.Sprintf(msg, p.exprName(n)))
}

// raiseAtExpr raises msg at the expression build reads from token a,
// which starts inside any parentheses around it.
func (p *parser) raiseAtExpr(a int, build func(b *builder) *ast.Node, msg string) bool {
	if _, n := p.exprAt(a, build); n != nil {
		a = p.tokenAt(n.Off, a)
	}
	return p.raiseAt(a, msg)
}

// invalidAssignment is invalid_assignment.
func (p *parser) invalidAssignment() bool {
	if !p.second {
		return false
	}
	rhs := func() bool { return p.alt(p.yieldExpr, p.starExpressions) }
	return p.alt(
		func() bool {
			a, name, ok := p.invalidAnnAssignTarget()
			return ok && p.tok(":") && p.expression() &&
				p.raiseAt(a, fmt.Sprintf("only single target (not %s) can be annotated", name))
		},
		func() bool {
			a := p.pos
			return p.starNamedExpression() && p.tok(",") && p.many(p.starNamedExpressions) && p.tok(":") && p.expression() &&
				p.raiseAtExpr(a, (*builder).starNamedExpression, "only single target (not tuple) can be annotated")
		},
		func() bool {
			a := p.pos
			return p.expression() && p.tok(":") && p.expression() && p.raiseAtExpr(a, (*builder).expression, "illegal target for annotation")
		},
		func() bool {
			p.many(func() bool { return p.starTargets() && p.tok("=") })
			a := p.pos
			return p.starExpressions() && p.tok("=") && p.raiseInvalidTarget(assignTargets, a, (*builder).starExpressions)
		},
		func() bool {
			p.many(func() bool { return p.starTargets() && p.tok("=") })
			a := p.pos
			return p.yieldExpr() && p.tok("=") && p.raiseAt(a, "assignment to yield expression not possible")
		},
		func() bool {
			a := p.pos
			return p.starExpressions() && p.augassign() && rhs() &&
				p.raiseNaming(a, (*builder).starExpressions, "'%s' is an illegal expression for augmented assignment")
		},
	)
}

// invalidAnnAssignTarget is invalid_ann_assign_target: a list or tuple
// display, in any number of parentheses. It returns the display's first
// token and its name.
func (p *parser) invalidAnnAssignTarget() (int, string, bool) {
	save := p.pos
	for depth := 0; ; depth++ {
		a := p.pos
		switch {
		case p.try(p.list):
		case p.try(p.tuple):
		case p.tok("("):
			continue
		default:
			p.pos = save
			return 0, "", false
		}
		for range depth {
			if !p.tok(")") {
				p.pos = save
				return 0, "", false
			}
		}
		if p.toks.At(a).Kind == Op && p.text(p.toks.At(a)) == "[" {
			return a, "list", true
		}
		return a, "tuple", true
	}
}

// invalidDelStmt is invalid_del_stmt.
func (p *parser) invalidDelStmt() bool {
	return p.second && p.tok("del") && p.invalidTargets(delTargets)
}

// invalidForTarget is invalid_for_target.
func (p *parser) invalidForTarget() bool {
	return p.second && p.optTok("async") && p.tok("for") && p.invalidTargets(forTargets)
}

// invalidTargets raises the error of the star_expressions here as targets
// of kind k.
func (p *parser) invalidTargets(k targetKind) bool {
	a := p.pos
	return p.starExpressions() && p.raiseInvalidTarget(k, a, (*builder).starExpressions)
}

// invalidWithItem is invalid_with_item.
func (p *parser) invalidWithItem() bool {
	if !p.second {
		return false
	}
	if !(p.expression() && p.tok("as")) {
		return false
	}
	a := p.pos
	// 3.9's rule has no lookahead after the target.
	return p.expression() && (p.minor == 9 || p.look(func() bool { return p.is(",") || p.is(")") || p.is(":") })) &&
		p.raiseInvalidTarget(assignTargets, a, (*builder).expression)
}

// invalidNamedExpression is invalid_named_expression (from 3.10; 3.9 has
// its first alternative).
func (p *parser) invalidNamedExpression() bool {
	if !p.second {
		return false
	}
	notAssign := func() bool { return !p.look(func() bool { return p.is("=") || p.is(":=") }) }
	return p.memoize(mInvalidNamedExpression, func() bool {
		return p.alt(
			func() bool {
				a := p.pos
				return p.expression() && p.tok(":=") && p.expression() &&
					p.raiseNaming(a, (*builder).expression, "cannot use assignment expressions with %s")
			},
			func() bool {
				a := p.pos
				return p.invalid() && p.name() && p.tok("=") && p.bitwiseOr() && notAssign() &&
					p.raiseAt(a, "invalid syntax. Maybe you meant '==' or ':=' instead of '='?")
			},
			func() bool {
				if !p.invalid() || p.look(func() bool {
					return p.alt(p.list, p.tuple, p.genexp, func() bool { return p.tok("True") || p.tok("None") || p.tok("False") })
				}) {
					return false
				}
				a := p.pos
				return p.bitwiseOr() && p.tok("=") && p.bitwiseOr() && notAssign() &&
					p.raiseNaming(a, (*builder).bitwiseOr, "cannot assign to %s here. Maybe you meant '==' instead of '='?")
			},
		)
	})
}

// invalidKwarg is invalid_kwarg.
func (p *parser) invalidKwarg() bool {
	if !p.second {
		return false
	}
	const msg = `expression cannot contain assignment, perhaps you meant "=="?`
	if !p.invalid() {
		a := p.pos
		return p.expression() && p.tok("=") && p.raiseAtExpr(a, (*builder).expression, msg)
	}
	return p.alt(
		func() bool {
			a := p.pos
			if !(p.tok("True") || p.tok("False") || p.tok("None")) || !p.is("=") {
				return false
			}
			return p.raiseAt(a, "cannot assign to "+p.text(p.toks.At(a)))
		},
		func() bool {
			a := p.pos
			return p.name() && p.tok("=") && p.expression() && p.forIfClauses() &&
				p.raiseAt(a, "invalid syntax. Maybe you meant '==' or ':=' instead of '='?")
		},
		func() bool {
			if p.look(func() bool { return p.name() && p.tok("=") }) {
				return false
			}
			a := p.pos
			return p.expression() && p.tok("=") && p.raiseAtExpr(a, (*builder).expression, msg)
		},
	)
}

// invalidGroup is invalid_group.
func (p *parser) invalidGroup() bool {
	if !p.second {
		return false
	}
	return p.alt(
		func() bool {
			if !p.tok("(") {
				return false
			}
			a := p.pos
			msg := "cannot use starred expression here"
			if p.minor < 10 {
				msg = "can't use starred expression here"
			}
			return p.starredExpression() && p.tok(")") && p.raiseAt(a, msg)
		},
		func() bool {
			if !p.invalid() || !p.tok("(") {
				return false
			}
			a := p.pos
			return p.tok("**") && p.expression() && p.tok(")") && p.raiseAt(a, "cannot use double starred expression here")
		},
	)
}

// invalidComprehension is invalid_comprehension (3.9 has its first
// alternative).
func (p *parser) invalidComprehension() bool {
	if !p.second {
		return false
	}
	const forgot = "did you forget parentheses around the comprehension target?"
	return p.alt(
		func() bool {
			if !(p.tok("[") || p.tok("(") || p.tok("{")) {
				return false
			}
			a := p.pos
			return p.starredExpression() && p.forIfClauses() && p.raiseAt(a, "iterable unpacking cannot be used in comprehension")
		},
		func() bool {
			if !p.invalid() || !(p.tok("[") || p.tok("{")) {
				return false
			}
			a := p.pos
			return p.starNamedExpression() && p.tok(",") && p.starNamedExpressions() && p.forIfClauses() && p.raiseAtExpr(a, (*builder).starNamedExpression, forgot)
		},
		func() bool {
			if !p.invalid() || !(p.tok("[") || p.tok("{")) {
				return false
			}
			a := p.pos
			return p.starNamedExpression() && p.tok(",") && p.forIfClauses() && p.raiseAtExpr(a, (*builder).starNamedExpression, forgot)
		},
	)
}

// invalidDictComprehension is invalid_dict_comprehension.
func (p *parser) invalidDictComprehension() bool {
	if !p.second || !p.tok("{") {
		return false
	}
	a := p.pos
	return p.tok("**") && p.bitwiseOr() && p.forIfClauses() && p.tok("}") &&
		p.raiseAt(a, "dict unpacking cannot be used in dict comprehension")
}
