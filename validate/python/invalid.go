package python

// The second pass: CPython's invalid_ rules, which run when the first pass
// fails and raise its specific errors. The rules of compound statements
// sit in their rules in parse.go, in the grammar's places; their helpers
// and the expression-level rules are here.

import (
	"bytes"
	"fmt"
	"strings"
)

// invalid reports whether the invalid_ rules run (the second pass, from
// 3.10: 3.9 has only the one of block).
func (p *parser) invalid() bool { return p.second && p.minor >= 10 }

// raise is an invalid_ rule's error, at the furthest token fetched (as
// CPython's RAISE_SYNTAX_ERROR and RAISE_INDENTATION_ERROR place it). It
// ends the parse.
func (p *parser) raise(typ, msg string) bool {
	if p.forced == nil {
		i := min(p.fill, p.n) - 1
		var t Token
		if i >= 0 {
			t = p.toks.At(i)
		}
		line, col := int(t.Start.Line), int(t.Start.Col)+1
		if i >= 0 && p.atEnd(t) {
			line, col = p.endPos()
		}
		p.forced = &Error{Type: typ, Line: line, Col: col, Msg: msg}
	}
	return false
}

// headerErrors are the invalid_ rules of a compound statement whose header
// is head: a newline where its ':' belongs ("expected ':'"), or no indented
// block after it.
func (p *parser) headerErrors(head func() bool, what string) bool {
	return p.alt(
		func() bool { return head() && p.kind(Newline) && p.raise("SyntaxError", "expected ':'") },
		func() bool { return p.noBlock(func() bool { return head() && p.tok(":") }, what) },
	)
}

// noBlock is the invalid_ rule of a header (up to its ':') that no
// indented block follows.
func (p *parser) noBlock(head func() bool, what string) bool {
	line := 0
	if t, ok := p.at(0); ok {
		line = int(t.Start.Line)
	}
	return head() && p.kind(Newline) && !p.look(func() bool { return p.kind(Indent) }) &&
		p.raise("IndentationError", fmt.Sprintf("expected an indented block after %s on line %d", what, line))
}

var softKeywords = map[string]bool{"_": true, "case": true, "match": true, "type": true}

// legacyName reports whether the tokens from..to are the one name print or
// exec (CPython's _PyPegen_check_legacy_stmt).
func (p *parser) legacyName(from, to int) bool {
	if to != from+1 {
		return false
	}
	t := p.toks.At(from)
	return t.Kind == Name && (p.text(t) == "print" || p.text(t) == "exec")
}

// raiseAt is an invalid_ rule's error at the start of the token i (CPython's
// RAISE_SYNTAX_ERROR_KNOWN_LOCATION and _RANGE).
func (p *parser) raiseAt(i int, msg string) bool {
	if p.forced == nil {
		t := p.toks.At(i)
		p.forced = &Error{Type: "SyntaxError", Line: int(t.Start.Line), Col: int(t.Start.Col) + 1, Msg: msg}
	}
	return false
}

// invalidExpression: two expressions in a row inside brackets ("Perhaps
// you forgot a comma?"), and an 'if' expression without 'else'.
func (p *parser) invalidExpression() bool {
	if !p.invalid() {
		return false
	}
	return p.alt(
		func() bool {
			if p.look(func() bool {
				t, ok := p.at(0)
				if ok && t.Kind == Name && softKeywords[p.text(t)] {
					return true
				}
				return p.name() && p.kind(String)
			}) {
				return false
			}
			a := p.pos
			if !p.disjunction() {
				return false
			}
			aEnd := p.pos
			if !p.withoutInvalid(p.expressionWithoutInvalid) {
				return false
			}
			if p.legacyName(a, aEnd) || p.toks.At(p.pos-1).Level == 0 {
				return false
			}
			return p.raiseAtExpr(a, (*builder).disjunction, "invalid syntax. Perhaps you forgot a comma?")
		},
		func() bool {
			a := p.pos
			return p.disjunction() && p.tok("if") && p.disjunction() &&
				!p.look(func() bool { return p.is("else") || p.is(":") }) && p.raiseAtExpr(a, (*builder).disjunction, "expected 'else' after 'if' expression")
		},
	)
}

// invalidLegacyExpression: print or exec used as a statement.
func (p *parser) invalidLegacyExpression() bool {
	if !p.invalid() {
		return false
	}
	a := p.pos
	if !(p.name() && !p.is("(") && p.starExpressions()) {
		return false
	}
	if !p.legacyName(a, a+1) {
		return false
	}
	name := p.text(p.toks.At(a))
	return p.raiseAt(a, fmt.Sprintf("Missing parentheses in call to '%s'. Did you mean %s(...)?", name, name))
}

// expressionWithoutInvalid is expression_without_invalid.
func (p *parser) expressionWithoutInvalid() bool {
	return p.alt(
		func() bool {
			return p.disjunction() && p.tok("if") && p.disjunction() && p.tok("else") && p.expression()
		},
		p.disjunction,
		p.lambdef,
	)
}

// withoutInvalid runs f with the invalid_ rules off, as CPython does for
// the rules named _without_invalid.
func (p *parser) withoutInvalid(f func() bool) bool {
	prev := p.second
	p.second = false
	ok := p.try(f)
	p.second = prev
	return ok
}

// legacyStatement is 3.9's rewording of a SyntaxError on a line that
// starts with print or exec and has no '(' (its SyntaxError does it, for
// any message).
func (p *parser) legacyStatement(e *Error) *Error {
	if e.Type != "SyntaxError" || e.Line < 1 {
		return e
	}
	text := p.lineText(e.Line)
	if strings.Contains(text, "(") {
		return e
	}
	text = strings.TrimLeft(text, " \t\f")
	switch {
	case strings.HasPrefix(text, "print "):
		data := text[len("print "):]
		if i := strings.IndexByte(data, ';'); i >= 0 {
			data = data[:i]
		}
		return &Error{Type: e.Type, Line: e.Line, Col: e.Col,
			Msg: fmt.Sprintf("Missing parentheses in call to 'print'. Did you mean print(%s)?", strings.TrimSpace(data))}
	case strings.HasPrefix(text, "exec "):
		return &Error{Type: e.Type, Line: e.Line, Col: e.Col, Msg: "Missing parentheses in call to 'exec'"}
	}
	return e
}

// lineText is the text of the line (from 1) of the source.
func (p *parser) lineText(line int) string {
	start := 0
	for n := 1; n < line; n++ {
		i := bytes.IndexByte(p.src[start:], '\n')
		if i < 0 {
			return ""
		}
		start += i + 1
	}
	end := bytes.IndexByte(p.src[start:], '\n')
	if end < 0 {
		end = len(p.src) - start
	}
	return string(p.src[start : start+end])
}

// invalidArguments is invalid_arguments.
func (p *parser) invalidArguments() bool {
	if !p.second {
		return false
	}
	const genexp = "Generator expression must be parenthesized"
	return p.alt(
		func() bool {
			// A '*' argument after a '**' one: placed at the arguments
			// (3.10), the '*' (3.11, 3.12), the ',' before it (3.13), or
			// where the parser stands (3.9).
			a := p.pos
			if !p.args() {
				return false
			}
			comma := p.pos
			if !p.tok(",") || !p.is("*") {
				return false
			}
			const msg = "iterable argument unpacking follows keyword argument unpacking"
			switch p.minor {
			case 9:
				return p.raise("SyntaxError", msg)
			case 10:
				return p.raiseAt(a, msg)
			case 11, 12:
				return p.raiseAt(comma+1, msg)
			}
			return p.raiseAt(comma, msg)
		},
		func() bool {
			a := p.pos
			return p.expression() && p.forIfClauses() && p.tok(",") &&
				p.opt(func() bool { return p.alt(p.args, func() bool { return p.expression() && p.forIfClauses() }) }) &&
				p.raiseAtExpr(a, (*builder).expression, genexp)
		},
		func() bool {
			a := p.pos
			return p.invalid() && p.name() && p.tok("=") && p.expression() && p.forIfClauses() &&
				p.raiseAt(a, "invalid syntax. Maybe you meant '==' or ':=' instead of '='?")
		},
		func() bool {
			// A generator expression after other positional arguments
			// (_PyPegen_nonparen_genexp_in_call), raised at the last of
			// them.
			a := p.pos
			if !p.args() {
				return false
			}
			end := p.pos
			if !p.forIfClauses() {
				return false
			}
			last, n := p.positionalArgs(a, end)
			return n > 1 && p.raiseAtExpr(last, (*builder).starNamedExpression, genexp)
		},
		func() bool {
			if !(p.args() && p.tok(",")) {
				return false
			}
			a := p.pos
			return p.expression() && p.forIfClauses() && p.raiseAtExpr(a, (*builder).expression, genexp)
		},
		func() bool {
			// A positional argument after keyword ones; the message says
			// whether those held a '**' (_PyPegen_arguments_parsing_error).
			p.unpacked = false
			if !p.args() {
				return false
			}
			unpacked := p.unpacked
			if !(p.tok(",") && p.args()) {
				return false
			}
			if unpacked {
				return p.raise("SyntaxError", "positional argument follows keyword argument unpacking")
			}
			return p.raise("SyntaxError", "positional argument follows keyword argument")
		},
	)
}

// positionalArgs counts the positional arguments (starred ones included)
// among the arguments in tokens from..to, and finds where the last one
// starts: arguments are split by the commas at their own bracket level.
func (p *parser) positionalArgs(from, to int) (last, n int) {
	var base uint8
	if from > 0 {
		base = p.toks.At(from - 1).Level
	}
	start := true
	for i := from; i < to; i++ {
		t := p.toks.At(i)
		if start {
			keyword := p.text(t) == "**" || t.Kind == Name && i+1 < to && p.text(p.toks.At(i+1)) == "="
			if !keyword {
				last, n = i, n+1
			}
		}
		start = t.Kind == Op && t.Level == base && p.text(t) == ","
	}
	return last, n
}

// invalidDoubleStarredKVPairs is invalid_double_starred_kvpairs (3.10).
func (p *parser) invalidDoubleStarredKVPairs() bool {
	return p.alt(
		func() bool {
			return p.sep1(",", p.doubleStarredKVPair) && p.tok(",") && p.invalidKVPair()
		},
		p.invalidKVValue,
	)
}

// invalidKVPair is invalid_kvpair: a key without its ':', or what
// invalidKVValue finds.
func (p *parser) invalidKVPair() bool {
	return p.alt(
		func() bool {
			a := p.pos
			if !p.expression() || p.is(":") {
				return false
			}
			// Placed at the key's end (its end offset, as a column from
			// 1), on its first line; up to 3.12 that offset counts the
			// bytes of the key's last line, characters and all.
			if p.forced == nil {
				first, last := p.toks.At(a), p.toks.At(p.pos-1)
				e := &Error{Type: "SyntaxError", Line: int(first.Start.Line), Col: int(last.End.Col), Msg: "':' expected after dictionary key"}
				lineStart := bytes.LastIndexByte(p.src[:last.EndOff], '\n') + 1
				if byteCol := int(last.EndOff) - lineStart; p.minor <= 12 && byteCol != e.Col {
					e.Col, e.charCol = byteCol, e.Col
				}
				p.forced = e
			}
			return false
		},
		p.invalidKVValue,
	)
}

// invalidKVValue: a starred value, or none, after a key's ':'.
func (p *parser) invalidKVValue() bool {
	return p.alt(
		func() bool {
			if !(p.expression() && p.tok(":")) {
				return false
			}
			a := p.pos
			return p.tok("*") && p.bitwiseOr() && p.raiseAt(a, "cannot use a starred expression in a dictionary value")
		},
		func() bool {
			return p.expression() && p.tok(":") && p.look(func() bool { return p.is("}") || p.is(",") }) &&
				p.raiseAt(p.pos-1, "expression expected after dictionary key and ':'")
		},
	)
}

// invalidAsPattern is invalid_as_pattern (3.10).
func (p *parser) invalidAsPattern() bool {
	if !p.invalid() || !(p.orPattern() && p.tok("as")) {
		return false
	}
	a := p.pos
	if p.soft("_") {
		return p.raiseAt(a, "cannot use '_' as a target")
	}
	return !p.look(p.name) && p.expression() && p.raiseAtExpr(a, (*builder).expression, "invalid pattern target")
}
