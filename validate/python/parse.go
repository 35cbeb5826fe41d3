package python

import (
	"bytes"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// The parser: CPython's PEG grammar (Grammar/python.gram), its first pass,
// as a recogniser. Each rule is a method that consumes tokens and reports
// whether it matched, trying its alternatives in the grammar's order, so
// that it looks at the tokens CPython's parser looks at: where a program
// fails, CPython's generic error stands at the furthest token its parser
// fetched (p->tokens[p->fill-1]), and so does this one's. Left-recursive
// rules are loops; the rules CPython memoises are memoised. When the first
// pass fails a second runs with the invalid_ rules written so far
// (invalid.go), as CPython's does. The syntax tree is to come.

// Parse checks src (decoded) as Python 3.minor: nil, or the error CPython
// reports first: the tokenizer's, an invalid_ rule's, or the parser's
// generic one.
func Parse(src []byte, minor int) *Error {
	if minor < 9 || minor > 13 {
		minor = 13
	}
	_, err := (&Parser{}).check(src, minor)
	return err
}

// check is Parse, which also returns the tokens it parsed, in ps's memory.
func (ps *Parser) check(src []byte, minor int) (*Tokens, *Error) {
	ts, terr := tokenizeInto(ps.toks, src, minor, false)
	ps.toks = ts
	p := &parser{src: src, minor: minor, toks: ts, n: ts.Len(), terr: terr}
	p.memoBits = memoBits(ts.Len())
	if len(ps.memo) < 1<<p.memoBits {
		ps.memo = make([]memoSlot, 1<<p.memoBits)
	}
	p.memo = ps.memo[:1<<p.memoBits]
	clear(p.memo)
	ok := p.file()
	if !ok && p.forced == nil && !p.tooDeep {
		// The second pass: the invalid_ rules, which raise CPython's
		// specific errors. The generic error stays where the first pass
		// stopped (3.9: where the second did).
		last := p.fill
		p.pos, p.second = 0, true
		clear(p.memo)
		p.file()
		if p.minor > 9 {
			p.last = last
		}
	}
	var e *Error
	switch {
	case p.tooDeep:
		if p.minor <= 11 {
			return ts, &Error{Type: "MemoryError"} // no message before 3.12
		}
		return ts, &Error{Type: "MemoryError", Msg: "Parser stack overflowed - Python source too complex to parse"}
	case p.forced == terr && terr != nil:
		return ts, terr // the parser reached the tokenizer's error
	case p.forced != nil:
		e = p.forced
	case ok:
		return ts, terr
	default:
		e = p.generic()
	}
	if p.minor == 9 {
		e = p.legacyStatement(e)
	}
	if e != p.inner {
		e = p.inBytes(e) // p.inner is placed in its own expression's text
	}
	// Before reporting its error CPython (from 3.10) tokenizes the rest
	// of the source: an error of its tokenizer there is reported instead,
	// but not one its tokenizer only signals (an indentation error, a
	// character after a line continuation, the end of the file after
	// one, from 3.12 an error inside an f-string), and an unclosed
	// bracket only when the parser's error is on a later line than the
	// bracket. (Not for an unexpected indent or unindent where its first
	// pass stopped: that it reports at once.)
	switch {
	case terr == nil || terr.Type != "SyntaxError" || p.minor == 9 || terr.quiet:
		return ts, e
	case terr.Msg == "unexpected character after line continuation character" || terr.Msg == "unexpected EOF while parsing":
		return ts, e
	case p.forced == nil && e.Type == "IndentationError":
		return ts, e
	case strings.HasSuffix(terr.Msg, "was never closed"):
		if i := min(p.fill, p.n) - 1; i >= 0 && int(p.toks.At(i).Start.Line) > terr.Line {
			return ts, terr
		}
		return ts, e
	}
	return ts, terr
}

// inBytes is a parser's error on a line that holds characters outside
// ASCII before it as CPython up to 3.12 reports it for a file's bytes: its
// column counted in bytes (see Error.Declared).
func (p *parser) inBytes(e *Error) *Error {
	if p.minor >= 13 || e == nil || e.Line < 1 || e.Col < 1 || e.charCol != 0 {
		return e
	}
	// The line's start, and the offset of the e.Col-1'th character.
	start := 0
	for line := 1; line < e.Line; line++ {
		i := bytes.IndexByte(p.src[start:], '\n')
		if i < 0 {
			return e
		}
		start += i + 1
	}
	off := start
	for k := 0; k < e.Col-1 && off < len(p.src) && p.src[off] != '\n'; k++ {
		_, n := utf8.DecodeRune(p.src[off:])
		off += n
	}
	if off-start == e.Col-1 {
		return e
	}
	b := *e
	b.Col, b.charCol = off-start+1, e.Col
	return &b
}

// atEnd: t is a token of the end of the source (the DEDENTs and ENDMARKER
// after the last line).
func (p *parser) atEnd(t Token) bool {
	return (t.Kind == EndMarker || t.Kind == Dedent) && int(t.Off) == len(p.src)
}

// endPos is where CPython places an error at the end of the source: the
// end of its last line (which a final newline does not begin), column from
// 1 in characters.
func (p *parser) endPos() (line, col int) {
	s := p.src
	if n := len(s); n > 0 && s[n-1] == '\n' {
		s = s[:n-1]
	}
	start := bytes.LastIndexByte(s, '\n') + 1
	return bytes.Count(s, []byte{'\n'}) + 1, utf8.RuneCount(s[start:]) + 1
}

// generic is the first pass's error at the furthest token fetched.
func (p *parser) generic() *Error {
	last := p.last
	if last == 0 {
		last = p.fill
	}
	i := min(last, p.n) - 1
	if i < 0 {
		return &Error{Type: "SyntaxError", Line: 1, Col: 1, Msg: "invalid syntax"}
	}
	t := p.toks.At(i)
	if p.atEnd(t) {
		line, col := p.endPos()
		if p.minor == 9 {
			return &Error{Type: "SyntaxError", Line: line, Col: col, Msg: "unexpected EOF while parsing"}
		}
		return &Error{Type: "SyntaxError", Line: line, Col: 0, Msg: "invalid syntax"}
	}
	switch t.Kind {
	case Indent:
		return &Error{Type: "IndentationError", Line: int(t.Start.Line), Col: int(t.End.Col), Msg: "unexpected indent"}
	case Dedent:
		return &Error{Type: "IndentationError", Line: int(t.Start.Line), Col: int(t.Start.Col) + 1, Msg: "unexpected unindent"}
	}
	return &Error{Type: "SyntaxError", Line: int(t.Start.Line), Col: int(t.Start.Col) + 1, Msg: "invalid syntax"}
}

// memoSlot is an entry of the memo: a cache, since a PEG parse is the same
// with or without one (it only saves parsing a rule at a position twice),
// of fixed size, so that it costs the same memory for any source. key is
// pos<<5 | rule, plus one (0: empty); end is where the rule ended (-1: it
// failed).
type memoSlot struct{ key, end int32 }

const maxMemoBits = 17

// memoBits sizes the memo for n tokens: room for four entries a token, as
// a power of two, at most 1 << maxMemoBits (a megabyte), so that a small
// file clears a small table.
func memoBits(n int) uint {
	b := uint(8)
	for b < maxMemoBits && 1<<b < 4*n {
		b++
	}
	return b
}

// The memoised rules.
const (
	mSimpleStmt uint8 = iota
	mBlock
	mExpression
	mStarExpression
	mDisjunction
	mConjunction
	mInversion
	mFactor
	mAwaitPrimary
	mPrimary
	mTPrimary
	mStarTarget
	mTargetWithStarAtom
	mDelTarget
	mArguments
	mStrings
	mClosedPattern
	mStarPattern
	mTypeParam
	mBitwiseOr
	mInvalidNamedExpression // memo in CPython's grammar too: without it, nested displays cost 2^depth
)

// maxDepth bounds the recursion of the rules here (a safety net for the Go
// stack: the rule levels below stop any real source first).
const maxDepth = 1 << 17

// maxLevel is CPython's parser stack (MAXSTACK, 6000 rule calls), counted
// as levels: the rules that recurse (expression, inversion, factor, power,
// lambdef) count one each, a block seven (the rules CPython enters for a
// compound statement and its block), and the rules above the first
// expression of a statement the rest (levelBase). Calibrated against
// CPython 3.9 to 3.13, whose MemoryError starts at 5,968 unary minus signs
// (5,967 from 3.12), 2,984 '**' or lambdas, 5,968 conditional expressions
// and 5,955 minus signs two blocks deep: each exactly at module level, one
// level early two blocks deep (TestDepthLimitsMatchCPython).
const (
	maxLevel   = 6000
	blockLevel = 7
)

// levelBase is the levels CPython's parser spends above the rules counted
// here, for Python 3.minor, in its first pass (its second, the invalid_
// rules', spends two or three more).
func levelBase(minor int) int {
	if minor >= 12 {
		return 30
	}
	return 29
}

// secondBase is the levels CPython's second pass spends above its first's.
func secondBase(minor int) int {
	if minor == 9 || minor == 12 {
		return 2
	}
	return 3
}

// A bracket's kind, for its levels.
type bracketKind int

const (
	paren bracketKind = iota
	square
	brace
	call
	subscript
	replacementField // an f-string's replacement field, 3.12 and later
)

// bracketCost is the levels CPython's parser spends on one bracket around
// an expression (from the expression outside to the one inside), by kind:
// in its first pass (every version, and 3.9's second), in the second from
// 3.10 to 3.12, and in 3.13's second. Measured against CPython (nested
// brackets around a chain of minus signs; TestBracketLevelsMatchCPython):
// other content than one expression (a comparison, a lambda, a slice)
// costs up to three levels more or four fewer.
var bracketCost = [3][6]int{
	{28, 29, 29, 24, 24, 33},
	{30, 31, 30, 25, 28, 34},
	{31, 32, 31, 26, 29, 35},
}

// CPython's parser spends more levels than the rules counted here on a
// keyword or starred argument (argLevels), on the arguments after the first
// (laterArgLevels) and on the right of a comparison (pairLevels): the
// difference a bracket around each makes, measured as bracketCost is.
const (
	argLevels      = 3
	laterArgLevels = 4
	pairLevels     = 3
)

// firstBracket is the levels CPython's parser spends less on the outermost
// bracket of an expression than on those inside it (measured as
// bracketCost is).
const firstBracket = 14

// bracketed runs rule inside bracket b at the levels CPython spends on it.
func (p *parser) bracketed(b bracketKind, rule func() bool) bool {
	n := p.bracketLevels(b)
	if p.brackets == 0 {
		n -= firstBracket
	}
	p.brackets++
	ok := p.counted(n, rule)
	p.brackets--
	return ok
}

// bracketLevels are the levels to count on entering bracket b: CPython's
// cost less the four that expression, inversion, factor and power count
// on the way to the next.
func (p *parser) bracketLevels(b bracketKind) int {
	row := 0
	if p.second && p.minor >= 13 {
		row = 2
	} else if p.second && p.minor >= 10 {
		row = 1
	}
	return bracketCost[row][b] - 4
}

// counted runs rule as n levels of recursion (enter).
func (p *parser) counted(n int, rule func() bool) bool {
	if !p.enter(n) {
		return false
	}
	ok := rule()
	p.level -= n
	return ok
}

// enter counts n levels of rule recursion; false (and the parse ends, as
// CPython's MemoryError ends it) past maxLevel.
func (p *parser) enter(n int) bool {
	base := levelBase(p.minor)
	if p.second {
		base += secondBase(p.minor)
	}
	if p.level+n+base > maxLevel {
		p.tooDeep = true
		return false
	}
	p.level += n
	return true
}

type parser struct {
	brackets int  // brackets open (bracketed)
	cut      bool // the current alternative passed a cut (cutHere)
	src      []byte
	minor    int
	toks     *Tokens // without comments and NL, as CPython's parser sees them
	n        int     // how many
	pos      int
	fill     int // one past the furthest token fetched
	depth    int
	tooDeep  bool
	forced   *Error // a forced token (&&) was missing, or an invalid_ rule raised
	memo     []memoSlot
	memoBits uint   // the memo holds 1 << memoBits slots
	terr     *Error // the tokenizer's error, after the last token
	second   bool   // the second pass: the invalid_ rules run
	last     int    // the first pass's fill, where its generic error stands
	// unpacked: the arguments parsed since it was cleared hold a '**'
	// (invalid_arguments words its error by it).
	unpacked bool
	level    int    // rule recursion, as CPython's parser counts it (enter)
	fraw     []bool // the f-strings being read (3.12 and later): raw or not
	spec     int    // inside a format spec
	inner    *Error // the error of an f-string field's expression, where CPython places it
	// paramRules are the rules of def's and lambda's parameters.
	paramRules [2]*paramRules
}

func (p *parser) setUnpacked() bool { p.unpacked = true; return true }

// at fetches the token i ahead; past the end it is ENDMARKER's kind.
func (p *parser) at(i int) (Token, bool) {
	j := p.pos + i
	if j+1 > p.fill {
		p.fill = j + 1
	}
	if j < p.n {
		return p.toks.At(j), true
	}
	if p.terr != nil && p.forced == nil {
		// The tokenizer stopped here: CPython's parser raises its error
		// as it asks for the token.
		p.forced = p.terr
	}
	return Token{}, false
}

// text is t's text: a view of the source, not a copy (the parser compares
// and formats it; it never keeps it past the parse).
func (p *parser) text(t Token) string {
	if t.EndOff <= t.Off {
		return ""
	}
	return unsafe.String(&p.src[t.Off], int(t.EndOff-t.Off))
}

// is reports whether the current token is the operator or keyword s.
func (p *parser) is(s string) bool {
	t := p.cur()
	return t != nil && int(t.EndOff-t.Off) == len(s) && p.src[t.Off] == s[0] && (t.Kind == Op || t.Kind == Name) &&
		string(p.src[t.Off:t.EndOff]) == s
}

// cur fetches the current token, in place (nil past the end), as at(0).
func (p *parser) cur() *Token {
	if p.pos+1 > p.fill {
		p.fill = p.pos + 1
	}
	if p.pos < p.n {
		return p.toks.ptr(p.pos)
	}
	if p.terr != nil && p.forced == nil {
		p.forced = p.terr
	}
	return nil
}

// tok consumes the operator or keyword s.
func (p *parser) tok(s string) bool {
	if p.is(s) {
		p.pos++
		return true
	}
	return false
}

func (p *parser) kind(k Kind) bool {
	t, ok := p.at(0)
	if ok && t.Kind == k {
		p.pos++
		return true
	}
	return false
}

// pegParser is a keyword of 3.9 alone (keyword.kwlist has it): its atom
// refuses it with "You found it!", and no rule takes it as a name.
const pegParser = "__peg_parser__"

// keyword reports whether s is a keyword in p's version.
func (p *parser) keyword(s string) bool { return isKeyword(s) || p.minor == 9 && s == pegParser }

// isKeyword reports whether s is a hard keyword (keyword.kwlist of 3.10
// on; TestKeywordsAreCPythons) by a switch the compiler turns into a search
// by length and bytes, without hashing: the parser asks it of nearly every
// name.
func isKeyword(s string) bool {
	switch s {
	case "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield":
		return true
	}
	return false
}

// name consumes a NAME that is not a keyword.
func (p *parser) name() bool {
	t, ok := p.at(0)
	if ok && t.Kind == Name && !p.keyword(p.text(t)) {
		p.pos++
		return true
	}
	return false
}

// soft consumes the soft keyword s.
func (p *parser) soft(s string) bool {
	t, ok := p.at(0)
	if ok && t.Kind == Name && p.text(t) == s {
		p.pos++
		return true
	}
	return false
}

// forcedTok is &&s: a missing s is an error at once.
func (p *parser) forcedTok(s string) bool {
	if p.tok(s) {
		return true
	}
	if p.forced == nil {
		t, ok := p.at(0)
		if !ok && p.n > 0 {
			t = p.toks.At(p.n - 1)
		}
		p.forced = &Error{Type: "SyntaxError", Line: int(t.Start.Line), Col: int(t.Start.Col) + 1, Msg: "expected '" + s + "'"}
	}
	return false
}

// try runs f, putting the position back when it fails.
func (p *parser) try(f func() bool) bool {
	if p.forced != nil || p.tooDeep {
		return false
	}
	save := p.pos
	p.depth++
	if p.depth > maxDepth {
		p.tooDeep = true
	}
	ok := !p.tooDeep && f()
	p.depth--
	if !ok || p.forced != nil {
		p.pos = save
		return false
	}
	return true
}

// memo runs a memoised rule.
func (p *parser) memoize(rule uint8, f func() bool) bool {
	key := int32(p.pos)<<5 | int32(rule) + 1
	slot := &p.memo[uint32(key)*2654435761>>(32-p.memoBits)]
	if slot.key == key {
		if slot.end < 0 {
			return false
		}
		p.pos = int(slot.end)
		return true
	}
	ok := p.try(f)
	end := int32(-1)
	if ok {
		end = int32(p.pos)
	}
	slot = &p.memo[uint32(key)*2654435761>>(32-p.memoBits)]
	*slot = memoSlot{key, end}
	return ok
}

// look runs f as a lookahead: it consumes nothing.
func (p *parser) look(f func() bool) bool {
	save := p.pos
	ok := p.try(f)
	p.pos = save
	return ok
}

func (p *parser) opt(f func() bool) bool { p.try(f); return true }

// optTok is opt(t(s)), without a closure to allocate: it consumes s if it
// is there.
func (p *parser) optTok(s string) bool {
	if p.forced == nil && !p.tooDeep {
		p.tok(s)
	}
	return true
}

// many is f*; many1 is f+.
func (p *parser) many(f func() bool) bool {
	for p.try(f) {
	}
	return true
}

func (p *parser) many1(f func() bool) bool {
	if !p.try(f) {
		return false
	}
	return p.many(f)
}

// sep1 is s.f+ (one or more f separated by s).
func (p *parser) sep1(s string, f func() bool) bool {
	if !p.try(f) {
		return false
	}
	for p.try(func() bool { return p.tok(s) && f() }) {
	}
	return true
}

func (p *parser) alt(fs ...func() bool) bool {
	outer := p.cut
	p.cut = false
	ok := false
	for _, f := range fs {
		if ok = p.try(f); ok || p.forced != nil || p.tooDeep || p.cut {
			break
		}
	}
	p.cut = outer
	return ok
}

// cutHere is the grammar's cut (~): the alternative of the innermost alt
// that reached it is the rule's last, whether it then matches or not.
func (p *parser) cutHere() bool {
	p.cut = true
	return true
}

// ---- statements ----

func (p *parser) file() bool {
	p.opt(p.statements)
	return p.kind(EndMarker)
}

func (p *parser) statements() bool { return p.many1(p.statement) }

func (p *parser) statement() bool { return p.alt(p.compoundStmt, p.simpleStmts) }

func (p *parser) simpleStmts() bool {
	return p.alt(
		func() bool { return p.simpleStmt() && !p.is(";") && p.kind(Newline) },
		func() bool { return p.sep1(";", p.simpleStmt) && p.optTok(";") && p.kind(Newline) },
	)
}

func (p *parser) simpleStmt() bool {
	return p.memoize(mSimpleStmt, func() bool {
		return p.alt(
			p.assignment,
			func() bool { return p.minor >= 12 && p.look(func() bool { return p.soft("type") }) && p.typeAlias() },
			p.starExpressions,
			func() bool { return p.is("return") && p.tok("return") && p.opt(p.starExpressions) },
			func() bool { return p.look(func() bool { return p.is("import") || p.is("from") }) && p.importStmt() },
			func() bool { return p.is("raise") && p.raiseStmt() },
			func() bool { return p.tok("pass") },
			func() bool {
				return p.is("del") && p.tok("del") && p.delTargets() && p.look(func() bool { return p.is(";") || p.kind(Newline) })
			},
			func() bool { return p.is("del") && p.invalidDelStmt() },
			func() bool { return p.is("yield") && p.yieldExpr() },
			func() bool {
				return p.is("assert") && p.tok("assert") && p.expression() && p.opt(func() bool { return p.tok(",") && p.expression() })
			},
			func() bool { return p.tok("break") },
			func() bool { return p.tok("continue") },
			func() bool { return p.is("global") && p.tok("global") && p.sep1(",", p.name) },
			func() bool { return p.is("nonlocal") && p.tok("nonlocal") && p.sep1(",", p.name) },
		)
	})
}

func (p *parser) compoundStmt() bool {
	return p.alt(
		func() bool {
			return p.look(func() bool { return p.is("def") || p.is("@") || p.is("async") }) && p.functionDef()
		},
		func() bool { return p.is("if") && p.ifStmt("if") },
		func() bool { return p.look(func() bool { return p.is("class") || p.is("@") }) && p.classDef() },
		func() bool { return p.look(func() bool { return p.is("with") || p.is("async") }) && p.withStmt() },
		func() bool { return p.look(func() bool { return p.is("for") || p.is("async") }) && p.forStmt() },
		func() bool { return p.is("try") && p.tryStmt() },
		func() bool { return p.is("while") && p.whileStmt() },
		p.matchStmt,
	)
}

func (p *parser) assignment() bool {
	rhs := func() bool { return p.alt(p.yieldExpr, p.starExpressions) }
	return p.alt(
		func() bool {
			return p.name() && p.tok(":") && p.expression() && p.opt(func() bool { return p.tok("=") && rhs() })
		},
		func() bool {
			return p.alt(func() bool { return p.tok("(") && p.singleTarget() && p.tok(")") }, p.singleSubscriptAttributeTarget) &&
				p.tok(":") && p.expression() && p.opt(func() bool { return p.tok("=") && rhs() })
		},
		func() bool {
			return p.many1(func() bool { return p.starTargets() && p.tok("=") }) && rhs() && !p.is("=")
		},
		func() bool { return p.singleTarget() && p.augassign() && p.cutHere() && rhs() },
		p.invalidAssignment,
	)
}

func (p *parser) augassign() bool {
	t, ok := p.at(0)
	if !ok || t.Kind != Op {
		return false
	}
	switch p.text(t) {
	case "+=", "-=", "*=", "@=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>=", "**=", "//=":
		p.pos++
		return true
	}
	return false
}

func (p *parser) raiseStmt() bool {
	return p.alt(
		func() bool { return p.tok("raise") && p.expression() && p.tok("from") && p.expression() },
		func() bool { return p.tok("raise") && p.expression() },
		func() bool { return p.tok("raise") },
	)
}

func (p *parser) importStmt() bool {
	dots := func() bool { return p.tok(".") || p.tok("...") }
	targets := func() bool {
		return p.alt(
			func() bool { return p.tok("(") && p.importFromAsNames() && p.optTok(",") && p.tok(")") },
			func() bool { return p.importFromAsNames() && !p.is(",") },
			func() bool { return p.tok("*") },
			func() bool {
				return p.second && p.importFromAsNames() && p.tok(",") && p.kind(Newline) &&
					p.raise("SyntaxError", "trailing comma not allowed without surrounding parentheses")
			},
		)
	}
	return p.alt(
		func() bool { return p.tok("import") && p.sep1(",", p.dottedAsName) },
		func() bool { return p.tok("from") && p.many(dots) && p.dottedName() && p.tok("import") && targets() },
		func() bool { return p.tok("from") && p.many1(dots) && p.tok("import") && targets() },
	)
}

func (p *parser) importFromAsNames() bool {
	return p.sep1(",", func() bool { return p.name() && p.opt(func() bool { return p.tok("as") && p.name() }) })
}

func (p *parser) dottedAsName() bool {
	return p.dottedName() && p.opt(func() bool { return p.tok("as") && p.name() })
}

func (p *parser) dottedName() bool { return p.sep1(".", p.name) }

func (p *parser) block() bool { return p.counted(blockLevel, p.blockRule) }

func (p *parser) blockRule() bool {
	return p.memoize(mBlock, func() bool {
		return p.alt(
			func() bool { return p.kind(Newline) && p.kind(Indent) && p.statements() && p.kind(Dedent) },
			p.simpleStmts,
			func() bool {
				return p.second && p.kind(Newline) && !p.look(func() bool { return p.kind(Indent) }) &&
					p.raise("IndentationError", "expected an indented block")
			},
		)
	})
}

func (p *parser) decorators() bool {
	return p.many1(func() bool { return p.tok("@") && p.namedExpression() && p.kind(Newline) })
}

func (p *parser) classDef() bool {
	head := func() bool {
		return p.tok("class") && p.name() && p.opt(p.typeParams) &&
			p.opt(func() bool { return p.tok("(") && p.opt(p.arguments) && p.tok(")") })
	}
	raw := func() bool {
		return p.alt(
			func() bool { return p.invalid() && p.headerErrors(head, "class definition") },
			func() bool { return head() && p.tok(":") && p.block() },
		)
	}
	return p.alt(func() bool { return p.decorators() && raw() }, raw)
}

func (p *parser) functionDef() bool {
	raw := func() bool {
		head := func() bool {
			return p.optTok("async") && p.tok("def") && p.name() && p.opt(p.typeParams) && p.tok("(") && p.opt(func() bool { return p.params(false) }) &&
				p.tok(")") && p.opt(func() bool { return p.tok("->") && p.expression() })
		}
		// 3.10 and 3.11 force the ':' (3.11 the '(' too) in the rule
		// itself; 3.12 in its invalid_ rule.
		open := func() bool { return p.tok("(") }
		colon := func() bool { return p.tok(":") }
		if p.minor == 10 || p.minor == 11 {
			colon = func() bool { return p.forcedTok(":") }
		}
		if p.minor == 11 {
			open = func() bool { return p.forcedTok("(") }
		}
		rest := func() bool {
			return p.tok("def") && p.name() && p.opt(p.typeParams) && open() && p.opt(func() bool { return p.params(false) }) &&
				p.tok(")") && p.opt(func() bool { return p.tok("->") && p.expression() }) && colon() && p.block()
		}
		return p.alt(
			func() bool {
				return p.invalid() && p.noBlock(func() bool { return head() && p.tok(":") }, "function definition")
			},
			func() bool {
				// 3.12: a missing '(' or ':' is named.
				return p.invalid() && p.minor >= 12 && p.optTok("async") && p.tok("def") && p.name() && p.opt(p.typeParams) &&
					p.forcedTok("(") && p.opt(func() bool { return p.params(false) }) && p.tok(")") &&
					p.opt(func() bool { return p.tok("->") && p.expression() }) && p.forcedTok(":") && p.block()
			},
			rest, func() bool { return p.tok("async") && rest() })
	}
	return p.alt(func() bool { return p.decorators() && raw() }, raw)
}

// params is parameters (lambda: lambda_parameters, without annotations
// and closed by ':'), after invalid_parameters (invalid_params.go).
func (p *parser) params(lambda bool) bool {
	g := p.paramGrammar(lambda)
	return p.alt(
		func() bool { return p.invalidParameters(g) },
		func() bool {
			return g.slashNoDefault() && p.many(g.noDefault) && p.many(g.withDefault) && p.opt(g.starEtc)
		},
		func() bool { return g.slashWithDefault() && p.many(g.withDefault) && p.opt(g.starEtc) },
		func() bool { return p.many1(g.noDefault) && p.many(g.withDefault) && p.opt(g.starEtc) },
		func() bool { return p.many1(g.withDefault) && p.opt(g.starEtc) },
		g.starEtc,
	)
}

// paramRules are the rules of a parameter list, for def or lambda.
type paramRules struct {
	lambda                                  bool
	closer                                  string
	param, end, dflt                        func() bool
	noDefault, withDefault, maybeDefault    func() bool
	starAnnotated, kwds, starEtc            func() bool
	slash, slashNoDefault, slashWithDefault func() bool
}

// paramGrammar is the rules for def (lambda false) or lambda, made once a
// parse.
func (p *parser) paramGrammar(lambda bool) *paramRules {
	i := 0
	if lambda {
		i = 1
	}
	if p.paramRules[i] == nil {
		p.paramRules[i] = p.newParamRules(lambda)
	}
	return p.paramRules[i]
}

func (p *parser) newParamRules(lambda bool) *paramRules {
	g := &paramRules{lambda: lambda, closer: ")"}
	if lambda {
		g.closer = ":"
	}
	g.param = func() bool {
		return p.name() && (lambda || p.opt(func() bool { return p.tok(":") && p.expression() }))
	}
	g.end = func() bool { return p.tok(",") || p.is(g.closer) }
	g.dflt = func() bool {
		return p.alt(func() bool { return p.tok("=") && p.expression() }, p.invalidDefault)
	}
	g.noDefault = func() bool { return g.param() && g.end() }
	g.withDefault = func() bool { return g.param() && g.dflt() && g.end() }
	g.maybeDefault = func() bool { return g.param() && p.opt(g.dflt) && g.end() }
	g.starAnnotated = func() bool {
		return !lambda && p.minor >= 11 && p.name() && p.tok(":") && p.starExpression() && g.end()
	}
	g.kwds = func() bool {
		return p.alt(func() bool { return p.invalidKwds(g) }, func() bool { return p.tok("**") && g.noDefault() })
	}
	g.starEtc = func() bool {
		return p.alt(
			func() bool { return p.invalidStarEtc(g) },
			func() bool { return p.tok("*") && g.noDefault() && p.many(g.maybeDefault) && p.opt(g.kwds) },
			func() bool { return p.tok("*") && g.starAnnotated() && p.many(g.maybeDefault) && p.opt(g.kwds) },
			func() bool { return p.tok("*") && p.tok(",") && p.many1(g.maybeDefault) && p.opt(g.kwds) },
			g.kwds,
		)
	}
	g.slash = func() bool { return p.tok("/") && (p.tok(",") || p.is(g.closer)) }
	g.slashNoDefault = func() bool { return p.many1(g.noDefault) && g.slash() }
	g.slashWithDefault = func() bool { return p.many(g.noDefault) && p.many1(g.withDefault) && g.slash() }
	return g
}

func (p *parser) ifStmt(kw string) bool {
	head := func() bool { return p.tok(kw) && p.namedExpression() && p.tok(":") && p.block() }
	return p.alt(
		func() bool {
			return p.invalid() && p.headerErrors(func() bool { return p.tok(kw) && p.namedExpression() }, "'"+kw+"' statement")
		},
		func() bool { return head() && p.is("elif") && p.ifStmt("elif") },
		func() bool { return head() && p.opt(p.elseBlock) },
	)
}

func (p *parser) elseBlock() bool {
	return p.alt(
		func() bool {
			return p.invalid() && p.noBlock(func() bool { return p.tok("else") && p.tok(":") }, "'else' statement")
		},
		func() bool { return p.tok("else") && p.forcedTok(":") && p.block() },
	)
}

func (p *parser) whileStmt() bool {
	return p.alt(
		func() bool {
			return p.invalid() && p.headerErrors(func() bool { return p.tok("while") && p.namedExpression() }, "'while' statement")
		},
		func() bool {
			return p.tok("while") && p.namedExpression() && p.tok(":") && p.block() && p.opt(p.elseBlock)
		},
	)
}

func (p *parser) forStmt() bool {
	rest := func() bool {
		return p.tok("for") && p.starTargets() && p.tok("in") && p.cutHere() && p.starExpressions() && p.tok(":") && p.block() && p.opt(p.elseBlock)
	}
	head := func() bool {
		return p.optTok("async") && p.tok("for") && p.starTargets() && p.tok("in") && p.starExpressions()
	}
	return p.alt(
		func() bool { return p.invalid() && p.headerErrors(head, "'for' statement") },
		rest, func() bool { return p.tok("async") && rest() },
		p.invalidForTarget)
}

func (p *parser) withStmt() bool {
	item := func() bool {
		return p.alt(
			func() bool {
				return p.expression() && p.tok("as") && p.starTarget() && p.look(func() bool { return p.is(",") || p.is(")") || p.is(":") })
			},
			p.invalidWithItem,
			p.expression,
		)
	}
	rest := func() bool {
		return p.alt(
			func() bool {
				return p.tok("with") && p.tok("(") && p.sep1(",", item) && p.optTok(",") && p.tok(")") && p.tok(":") && p.block()
			},
			func() bool { return p.tok("with") && p.sep1(",", item) && p.tok(":") && p.block() },
		)
	}
	invalidItem := func() bool { return p.expression() && p.opt(func() bool { return p.tok("as") && p.starTarget() }) }
	plain := func() bool { return p.optTok("async") && p.tok("with") && p.sep1(",", invalidItem) }
	parens := func() bool {
		return p.optTok("async") && p.tok("with") && p.tok("(") &&
			p.sep1(",", func() bool {
				return p.expression() && p.many(func() bool { return p.tok(",") && p.expression() }) &&
					p.opt(func() bool { return p.tok("as") && p.starTarget() })
			}) && p.optTok(",") && p.tok(")")
	}
	return p.alt(
		func() bool {
			return p.invalid() && p.noBlock(func() bool { return plain() && p.tok(":") }, "'with' statement")
		},
		func() bool {
			return p.invalid() && p.noBlock(func() bool { return parens() && p.tok(":") }, "'with' statement")
		},
		rest, func() bool { return p.tok("async") && rest() },
		func() bool {
			return p.invalid() && plain() && p.kind(Newline) && p.raise("SyntaxError", "expected ':'")
		},
		func() bool {
			return p.invalid() && parens() && p.kind(Newline) && p.raise("SyntaxError", "expected ':'")
		},
	)
}

func (p *parser) tryStmt() bool {
	finally := func() bool {
		return p.alt(
			func() bool {
				return p.invalid() && p.noBlock(func() bool { return p.tok("finally") && p.tok(":") }, "'finally' statement")
			},
			func() bool { return p.tok("finally") && p.forcedTok(":") && p.block() },
		)
	}
	except := func(star bool) func() bool {
		what := "'except' statement"
		if star {
			what = "'except*' statement"
		}
		kw := func() bool { return p.tok("except") && (!star || p.tok("*")) }
		as := func() bool { return p.opt(func() bool { return p.tok("as") && p.name() }) }
		return func() bool {
			return p.alt(
				func() bool {
					return p.invalid() && p.alt(
						func() bool {
							return p.noBlock(func() bool { return kw() && p.expression() && as() && p.tok(":") }, what)
						},
						func() bool { return !star && p.noBlock(func() bool { return kw() && p.tok(":") }, what) },
					)
				},
				func() bool {
					return kw() && p.alt(
						func() bool { return p.expression() && as() && p.tok(":") && p.block() },
						func() bool { return !star && p.tok(":") && p.block() },
					)
				},
				func() bool {
					return p.invalid() && p.alt(
						func() bool {
							// except A, B as e: (Python 2's form)
							if !kw() {
								return false
							}
							a := p.pos
							return p.expression() && p.tok(",") && p.starExpressions() && as() && p.tok(":") &&
								p.raiseAt(a, "multiple exception types must be parenthesized")
						},
						func() bool {
							return kw() && p.expression() && as() && p.kind(Newline) && p.raise("SyntaxError", "expected ':'")
						},
						func() bool { return !star && kw() && p.kind(Newline) && p.raise("SyntaxError", "expected ':'") },
						func() bool {
							return star && kw() && (p.kind(Newline) || p.tok(":")) && p.raise("SyntaxError", "expected one or more exception types")
						},
					)
				},
			)
		}
	}
	head := func() bool { return p.tok("try") && p.forcedTok(":") && p.block() }
	return p.alt(
		func() bool {
			return p.invalid() && p.alt(
				func() bool { return p.noBlock(func() bool { return p.tok("try") && p.tok(":") }, "'try' statement") },
				func() bool {
					return p.tok("try") && p.tok(":") && p.block() && !p.look(func() bool { return p.is("except") || p.is("finally") }) &&
						p.raise("SyntaxError", "expected 'except' or 'finally' block")
				},
				func() bool {
					// except and except* on one try (3.11).
					if p.minor < 11 || !(p.tok("try") && p.tok(":") && p.many(p.block)) {
						return false
					}
					star := p.look(func() bool { return p.tok("except") && p.is("*") })
					if !p.many1(except(star)) {
						return false
					}
					a := p.pos
					if !p.tok("except") {
						return false
					}
					const msg = "cannot have both 'except' and 'except*' on the same 'try'"
					if !star {
						return p.tok("*") && p.expression() && p.opt(func() bool { return p.tok("as") && p.name() }) && p.tok(":") &&
							p.raiseAt(a, msg)
					}
					return p.opt(func() bool { return p.expression() && p.opt(func() bool { return p.tok("as") && p.name() }) }) &&
						p.tok(":") && p.raiseAt(a, msg)
				},
			)
		},
		func() bool { return head() && finally() },
		func() bool { return head() && p.many1(except(false)) && p.opt(p.elseBlock) && p.opt(finally) },
		func() bool {
			return p.minor >= 11 && head() && p.many1(except(true)) && p.opt(p.elseBlock) && p.opt(finally)
		},
	)
}

// ---- targets ----

func (p *parser) starTargets() bool {
	return p.alt(
		func() bool { return p.starTarget() && !p.is(",") },
		func() bool {
			return p.starTarget() && p.many(func() bool { return p.tok(",") && p.starTarget() }) && p.optTok(",")
		},
	)
}

func (p *parser) starTarget() bool {
	return p.memoize(mStarTarget, func() bool {
		return p.alt(
			func() bool { return p.tok("*") && !p.is("*") && p.starTarget() },
			p.targetWithStarAtom,
		)
	})
}

func (p *parser) tLookahead() bool { return p.is("(") || p.is("[") || p.is(".") }

// attributeOrSubscript is t_primary '.' NAME !t_lookahead | t_primary '['
// slices ']' !t_lookahead.
func (p *parser) attributeOrSubscript() bool {
	return p.alt(
		func() bool { return p.tPrimary() && p.tok(".") && p.name() && !p.look(p.tLookahead) },
		func() bool {
			return p.tPrimary() && p.tok("[") && p.bracketed(subscript, p.slices) && p.tok("]") && !p.look(p.tLookahead)
		},
	)
}

func (p *parser) targetWithStarAtom() bool {
	return p.memoize(mTargetWithStarAtom, func() bool {
		return p.alt(p.attributeOrSubscript, p.starAtom)
	})
}

func (p *parser) starAtom() bool {
	return p.alt(
		p.name,
		func() bool { return p.tok("(") && p.targetWithStarAtom() && p.tok(")") },
		func() bool {
			return p.tok("(") && p.opt(func() bool {
				return p.alt(
					func() bool {
						return p.starTarget() && p.many1(func() bool { return p.tok(",") && p.starTarget() }) && p.optTok(",")
					},
					func() bool { return p.starTarget() && p.tok(",") },
				)
			}) && p.tok(")")
		},
		func() bool {
			return p.tok("[") && p.opt(func() bool { return p.sep1(",", p.starTarget) && p.optTok(",") }) && p.tok("]")
		},
	)
}

func (p *parser) singleTarget() bool {
	return p.alt(
		p.singleSubscriptAttributeTarget,
		p.name,
		func() bool { return p.tok("(") && p.singleTarget() && p.tok(")") },
	)
}

func (p *parser) singleSubscriptAttributeTarget() bool { return p.attributeOrSubscript() }

// tPrimary is the left-recursive t_primary: an atom and the trailers after
// it, each followed by one more ('(', '[' or '.').
func (p *parser) tPrimary() bool {
	return p.memoize(mTPrimary, func() bool {
		if !(p.atom() && p.look(p.tLookahead)) {
			return false
		}
		for p.alt(
			func() bool { return p.tok(".") && p.name() && p.look(p.tLookahead) },
			func() bool {
				return p.tok("[") && p.bracketed(subscript, p.slices) && p.tok("]") && p.look(p.tLookahead)
			},
			func() bool { return p.is("(") && p.bracketed(call, p.genexp) && p.look(p.tLookahead) },
			func() bool {
				return p.tok("(") && p.bracketed(call, func() bool { return p.opt(p.arguments) }) && p.tok(")") && p.look(p.tLookahead)
			},
		) {
		}
		return true
	})
}

func (p *parser) delTargets() bool { return p.sep1(",", p.delTarget) && p.optTok(",") }

func (p *parser) delTarget() bool {
	return p.memoize(mDelTarget, func() bool {
		return p.alt(
			p.attributeOrSubscript,
			p.name,
			func() bool { return p.tok("(") && p.delTarget() && p.tok(")") },
			func() bool { return p.tok("(") && p.opt(p.delTargets) && p.tok(")") },
			func() bool { return p.tok("[") && p.opt(p.delTargets) && p.tok("]") },
		)
	})
}

// ---- expressions ----

func (p *parser) expression() bool { return p.counted(1, p.expressionRule) }

func (p *parser) expressionRule() bool {
	if !p.startsExpression() {
		return false
	}
	if p.atomAlone() || p.primaryAlone() {
		return true
	}
	return p.memoize(mExpression, func() bool {
		return p.alt(
			p.invalidExpression,
			p.invalidLegacyExpression,
			func() bool {
				return p.disjunction() && p.tok("if") && p.disjunction() && p.tok("else") && p.expression()
			},
			p.disjunction,
			p.lambdef,
		)
	})
}

func (p *parser) yieldExpr() bool {
	return p.alt(
		func() bool { return p.tok("yield") && p.tok("from") && p.expression() },
		func() bool { return p.tok("yield") && p.opt(p.starExpressions) },
	)
}

func (p *parser) starExpressions() bool {
	return p.alt(
		func() bool {
			return p.starExpression() && p.many1(func() bool { return p.tok(",") && p.starExpression() }) && p.optTok(",")
		},
		func() bool { return p.starExpression() && p.tok(",") },
		p.starExpression,
	)
}

func (p *parser) starExpression() bool {
	return p.memoize(mStarExpression, func() bool {
		return p.alt(func() bool { return p.tok("*") && p.bitwiseOr() }, p.expression)
	})
}

func (p *parser) starNamedExpressions() bool {
	return p.sep1(",", p.starNamedExpression) && p.optTok(",")
}

func (p *parser) starNamedExpression() bool {
	return p.alt(func() bool { return p.tok("*") && p.bitwiseOr() }, p.namedExpression)
}

func (p *parser) assignmentExpression() bool { return p.name() && p.tok(":=") && p.expression() }

func (p *parser) namedExpression() bool {
	return p.alt(p.assignmentExpression, p.invalidNamedExpression, func() bool { return p.expression() && !p.is(":=") })
}

func (p *parser) disjunction() bool {
	if !p.startsExpression() {
		return false
	}
	if p.atomAlone() || p.primaryAlone() {
		return true
	}
	return p.memoize(mDisjunction, func() bool {
		return p.conjunction() && p.many(func() bool { return p.tok("or") && p.conjunction() })
	})
}

func (p *parser) conjunction() bool {
	return p.memoize(mConjunction, func() bool {
		return p.inversion() && p.many(func() bool { return p.tok("and") && p.inversion() })
	})
}

func (p *parser) inversion() bool { return p.counted(1, p.inversionRule) }

func (p *parser) inversionRule() bool {
	return p.memoize(mInversion, func() bool {
		return p.alt(func() bool { return p.tok("not") && p.inversion() }, p.comparison)
	})
}

func (p *parser) comparison() bool {
	// compare_op_bitwise_or_pair, its ten alternatives told apart by the
	// current token, looking at what they look at ('not' 'in', 'is'
	// ['not']).
	pair := func() bool {
		t, ok := p.at(0)
		if !ok || t.Kind != Op && t.Kind != Name {
			return false
		}
		switch string(p.src[t.Off:t.EndOff]) {
		case "==", "!=", "<=", "<", ">=", ">", "in":
			p.pos++
		case "not":
			p.pos++
			if !p.tok("in") {
				return false
			}
		case "is":
			p.pos++
			p.tok("not")
		default:
			return false
		}
		return p.counted(pairLevels, p.bitwiseOr)
	}
	return p.bitwiseOr() && p.many(pair)
}

// bitwiseOr is bitwise_or. Its five levels below (bitwise_xor,
// bitwise_and, shift_expr, sum, term), each a left-recursive "lower (op
// lower)*", accept together exactly factor (op factor)* for any of their
// operators, fetching the same tokens: for a recogniser one loop does
// (the builder keeps the precedence).
func (p *parser) bitwiseOr() bool {
	return p.memoize(mBitwiseOr, func() bool {
		if !p.factor() {
			return false
		}
		for p.forced == nil && !p.tooDeep {
			t := p.cur()
			if t == nil || t.Kind != Op || !binaryOperator(p.src[t.Off:t.EndOff]) {
				break
			}
			save := p.pos
			p.pos++
			if !p.factor() {
				p.pos = save
				break
			}
		}
		return true
	})
}

// binaryOperator reports whether s is an operator of bitwise_or's levels:
// | ^ & << >> + - * / // % @.
func binaryOperator(s []byte) bool {
	switch len(s) {
	case 1:
		switch s[0] {
		case '|', '^', '&', '+', '-', '*', '/', '%', '@':
			return true
		}
	case 2:
		return s[0] == s[1] && (s[0] == '<' || s[0] == '>' || s[0] == '/')
	}
	return false
}

func (p *parser) factor() bool { return p.counted(1, p.factorRule) }

func (p *parser) factorRule() bool {
	return p.memoize(mFactor, func() bool {
		return p.alt(
			func() bool { return (p.tok("+") || p.tok("-") || p.tok("~")) && p.factor() },
			p.power,
		)
	})
}

func (p *parser) power() bool { return p.counted(1, p.powerRule) }

func (p *parser) powerRule() bool {
	return p.alt(func() bool { return p.awaitPrimary() && p.tok("**") && p.factor() }, p.awaitPrimary)
}

func (p *parser) awaitPrimary() bool {
	return p.memoize(mAwaitPrimary, func() bool {
		return p.alt(func() bool { return p.tok("await") && p.primary() }, p.primary)
	})
}

// primary is the left-recursive primary: an atom and its trailers.
func (p *parser) primary() bool {
	return p.memoize(mPrimary, func() bool {
		if !p.atom() {
			return false
		}
		for p.alt(
			func() bool { return p.tok(".") && p.name() },
			func() bool { return p.is("(") && p.bracketed(call, p.genexp) },
			func() bool {
				return p.tok("(") && p.bracketed(call, func() bool { return p.opt(p.arguments) }) && p.tok(")")
			},
			func() bool { return p.tok("[") && p.bracketed(subscript, p.slices) && p.tok("]") },
		) {
		}
		return true
	})
}

func (p *parser) slices() bool {
	return p.alt(
		func() bool { return p.slice() && !p.is(",") },
		func() bool {
			return p.sep1(",", func() bool {
				return p.alt(p.slice, func() bool { return p.minor >= 11 && p.starredExpression() })
			}) && p.optTok(",")
		},
	)
}

func (p *parser) slice() bool {
	return p.alt(
		func() bool {
			return p.opt(p.expression) && p.tok(":") && p.opt(p.expression) && p.opt(func() bool { return p.tok(":") && p.opt(p.expression) })
		},
		p.namedExpression,
	)
}

func (p *parser) atom() bool {
	t, ok := p.at(0)
	if !ok {
		return false
	}
	switch t.Kind {
	case Name:
		switch p.text(t) {
		case "True", "False", "None":
			p.pos++
			return true
		case pegParser:
			if p.minor == 9 {
				p.pos++
				return p.raise("SyntaxError", "You found it!") // 3.9's atom, in its first pass
			}
		}
		return p.name()
	case String, FStringStart:
		return p.strings()
	case Number:
		p.pos++
		return true
	case Op:
		switch p.text(t) {
		case "(":
			return p.bracketed(paren, func() bool { return p.alt(p.tuple, p.group, p.genexp) })
		case "[":
			return p.bracketed(square, func() bool { return p.alt(p.list, p.listcomp) })
		case "{":
			return p.bracketed(brace, func() bool { return p.alt(p.dict, p.set, p.dictcomp, p.setcomp) })
		case "...":
			p.pos++
			return true
		}
	}
	return false
}

func (p *parser) group() bool {
	return p.alt(func() bool { return p.tok("(") && p.alt(p.yieldExpr, p.namedExpression) && p.tok(")") }, p.invalidGroup)
}

func (p *parser) lambdef() bool { return p.counted(1, p.lambdefRule) }

func (p *parser) lambdefRule() bool {
	return p.tok("lambda") && p.opt(func() bool { return p.params(true) }) && p.tok(":") && p.expression()
}

func (p *parser) strings() bool {
	return p.memoize(mStrings, func() bool {
		start := p.pos
		if !p.many1(func() bool { return p.kind(String) && p.readString(p.pos-1) || p.fstring() }) {
			return false
		}
		return p.readStrings(start)
	})
}

// readStrings is what CPython does with the literals the strings rule
// matched, from token start: it reads each (escapes; before 3.12 an
// f-string's parts) and joins them, raising the first error in token
// order: before 3.12 where the parser stands (the token after the
// strings), from 3.12 at the literal (a bytes literal outside ASCII from
// 3.11), and "cannot mix bytes and nonbytes literals" as it joins them.
func (p *parser) readStrings(start int) bool {
	var firstBytes, mixed bool
	fstrings := 0 // open f-strings (3.12): their inner tokens are their own
	for i := start; i < p.pos; i++ {
		t := p.toks.At(i)
		switch t.Kind {
		case FStringStart:
			mixed = mixed || fstrings == 0 && i > start && firstBytes
			fstrings++
		case FStringEnd:
			fstrings--
		case String:
			if fstrings > 0 {
				continue
			}
			prefix, quoted := strPrefix(p.text(t))
			isBytes, isF := strings.Contains(prefix, "b"), strings.Contains(prefix, "f")
			if !isF && p.minor < 12 {
				// (From 3.12 readString read it as it was taken.)
				if msg := literalError(strBody(quoted), strings.Contains(prefix, "r"), isBytes, p.minor); msg != "" {
					if p.minor == 11 && strings.HasPrefix(msg, "bytes") {
						return p.raiseAt(i, msg)
					}
					return p.raise("SyntaxError", msg)
				}
			}
			if i == start {
				firstBytes = isBytes
			} else if isBytes != firstBytes {
				if p.minor < 12 {
					return p.raise("SyntaxError", "cannot mix bytes and nonbytes literals")
				}
				mixed = true
			}
			if isF && p.minor < 12 {
				// Before 3.12 an f-string is read here, its errors
				// placed where the parser stands (its field's own
				// expression's, where CPython placed them: p.inner).
				if msg := p.fstringError(p.text(t)); msg != "" {
					if p.inner != nil && p.forced == nil {
						p.inner.Line += int(t.Start.Line) - 1
						p.forced = p.inner
						return false
					}
					return p.raise("SyntaxError", msg)
				}
			}
		}
	}
	if mixed {
		return p.raise("SyntaxError", "cannot mix bytes and nonbytes literals")
	}
	return true
}

func (p *parser) fstring() bool {
	if !p.kind(FStringStart) {
		return false
	}
	prefix, _ := strPrefix(p.text(p.toks.At(p.pos - 1)))
	p.fraw = append(p.fraw, strings.Contains(prefix, "r"))
	ok := p.many(p.fstringMiddle) && p.kind(FStringEnd)
	p.fraw = p.fraw[:len(p.fraw)-1]
	return ok
}

func (p *parser) fstringMiddle() bool {
	return p.alt(p.replacementField, func() bool { return p.kind(FStringMiddle) && p.readMiddle(p.pos-1) })
}

// readMiddle reads an f-string's literal part (3.12 and later) as its
// action does: an escape the codec refuses is an error at once, placed
// after the part (in a format spec, CPython gives it no place and its
// message no "(unicode error)").
func (p *parser) readMiddle(i int) bool {
	raw := len(p.fraw) > 0 && p.fraw[len(p.fraw)-1]
	t := p.toks.At(i)
	msg := literalError(p.text(t), raw, false, p.minor)
	switch {
	case msg == "" || p.forced != nil:
		return msg == ""
	case strings.HasPrefix(msg, "(unicode error) 'utf-8'"):
		// Not valid UTF-8: the codec's own error, not a SyntaxError.
		p.forced = &Error{Type: "UnicodeDecodeError", Line: int(t.Start.Line), Col: int(t.Start.Col) + 1, Msg: strings.TrimPrefix(msg, "(unicode error) ")}
	case p.spec > 0:
		p.forced = &Error{Type: "SyntaxError", Msg: strings.TrimPrefix(msg, "(unicode error) ")}
	default:
		p.forced = &Error{Type: "SyntaxError", Line: int(t.End.Line), Col: int(t.End.Col) + 1, Msg: msg}
	}
	return false
}

// readString reads a string literal (3.12 and later) as the string rule's
// action does, as the parser takes it: an error at once, at the literal.
func (p *parser) readString(i int) bool {
	if p.minor < 12 {
		return true
	}
	prefix, quoted := strPrefix(p.text(p.toks.At(i)))
	if msg := literalError(strBody(quoted), strings.Contains(prefix, "r"), strings.Contains(prefix, "b"), p.minor); msg != "" {
		return p.raiseAt(i, msg)
	}
	return true
}

func (p *parser) replacementField() bool {
	return p.alt(
		func() bool {
			return p.tok("{") && p.bracketed(replacementField, func() bool { return p.alt(p.yieldExpr, p.starExpressions) }) && p.optTok("=") &&
				p.opt(p.conversion) &&
				p.opt(func() bool { return p.tok(":") && p.inSpec(func() bool { return p.many(p.fstringMiddle) }) }) && p.tok("}")
		},
		func() bool {
			// invalid_replacement_field: no expression before what
			// ends it.
			if !p.invalid() || !p.tok("{") {
				return false
			}
			for _, s := range []string{"=", "!", ":", "}"} {
				if a := p.pos; p.tok(s) {
					return p.raiseAt(a, "f-string: valid expression required before '"+s+"'")
				}
			}
			return false
		},
	)
}

// inSpec runs f inside a format spec.
func (p *parser) inSpec(f func() bool) bool {
	p.spec++
	ok := f()
	p.spec--
	return ok
}

func (p *parser) list() bool {
	return p.tok("[") && p.opt(p.starNamedExpressions) && p.tok("]")
}

func (p *parser) tuple() bool {
	return p.tok("(") && p.opt(func() bool {
		return p.starNamedExpression() && p.tok(",") && p.opt(p.starNamedExpressions)
	}) && p.tok(")")
}

func (p *parser) set() bool { return p.tok("{") && p.starNamedExpressions() && p.tok("}") }

func (p *parser) dict() bool {
	return p.alt(
		func() bool {
			return p.tok("{") && p.opt(func() bool { return p.sep1(",", p.doubleStarredKVPair) && p.optTok(",") }) && p.tok("}")
		},
		func() bool {
			// Not the alternative's only item: CPython's generated parser
			// runs it in the first pass too (from 3.10).
			return p.minor >= 10 && p.tok("{") && p.invalidDoubleStarredKVPairs() && p.tok("}")
		},
	)
}

func (p *parser) doubleStarredKVPair() bool {
	return p.alt(func() bool { return p.tok("**") && p.bitwiseOr() }, p.kvpair)
}

func (p *parser) kvpair() bool { return p.expression() && p.tok(":") && p.expression() }

func (p *parser) forIfClauses() bool {
	clause := func() bool {
		return p.alt(func() bool {
			return p.optTok("async") && p.tok("for") && p.starTargets() && p.tok("in") && p.cutHere() && p.disjunction() &&
				p.many(func() bool { return p.tok("if") && p.disjunction() })
		}, p.invalidForTarget)
	}
	return p.many1(clause)
}

func (p *parser) listcomp() bool {
	return p.alt(func() bool { return p.tok("[") && p.namedExpression() && p.forIfClauses() && p.tok("]") }, p.invalidComprehension)
}

func (p *parser) setcomp() bool {
	return p.alt(func() bool { return p.tok("{") && p.namedExpression() && p.forIfClauses() && p.tok("}") }, p.invalidComprehension)
}

func (p *parser) genexp() bool {
	return p.alt(func() bool {
		return p.tok("(") && p.alt(p.assignmentExpression, func() bool { return p.expression() && !p.is(":=") }) &&
			p.forIfClauses() && p.tok(")")
	}, p.invalidComprehension)
}

func (p *parser) dictcomp() bool {
	return p.alt(func() bool { return p.tok("{") && p.kvpair() && p.forIfClauses() && p.tok("}") }, p.invalidDictComprehension)
}

func (p *parser) arguments() bool {
	return p.memoize(mArguments, func() bool {
		return p.alt(
			func() bool { return p.args() && p.optTok(",") && p.is(")") },
			p.invalidArguments,
		)
	})
}

func (p *parser) starredExpression() bool { return p.tok("*") && p.expression() }

func (p *parser) args() bool {
	positional := func() bool {
		return p.alt(
			func() bool { return p.is("*") && p.counted(argLevels, p.starredExpression) },
			func() bool {
				return p.alt(p.assignmentExpression, func() bool { return p.expression() && !p.is(":=") }) && !p.is("=")
			})
	}
	// CPython's parser reaches the arguments after the first one more
	// levels down (through its loop rule): laterArgLevels more.
	later := func() bool { return p.tok(",") && p.counted(laterArgLevels, positional) }
	return p.alt(
		func() bool {
			return p.try(positional) && p.many(later) && p.opt(func() bool { return p.tok(",") && p.kwargs() })
		},
		p.kwargs,
	)
}

func (p *parser) kwargs() bool {
	kw := func() bool { return p.name() && p.tok("=") && p.counted(argLevels, p.expression) }
	// invalid_kwarg comes first from 3.10, last in 3.9.
	first := func() bool { return p.minor >= 10 && p.invalidKwarg() }
	last := func() bool { return p.minor < 10 && p.invalidKwarg() }
	orStarred := func() bool {
		return p.alt(first, kw, func() bool { return p.is("*") && p.counted(argLevels, p.starredExpression) }, last)
	}
	orDouble := func() bool {
		return p.alt(first, kw, func() bool { return p.tok("**") && p.expression() && p.setUnpacked() }, last)
	}
	return p.alt(
		func() bool { return p.sep1(",", orStarred) && p.tok(",") && p.sep1(",", orDouble) },
		func() bool { return p.sep1(",", orStarred) },
		func() bool { return p.sep1(",", orDouble) },
	)
}

// ---- type parameters and aliases (3.12) ----

func (p *parser) typeAlias() bool {
	return p.soft("type") && p.name() && p.opt(p.typeParams) && p.tok("=") && p.expression()
}

func (p *parser) typeParams() bool {
	if p.minor < 12 {
		return false
	}
	return p.tok("[") && p.sep1(",", p.typeParam) && p.optTok(",") && p.tok("]")
}

func (p *parser) typeParam() bool {
	return p.memoize(mTypeParam, func() bool {
		def := func(f func() bool) func() bool {
			return func() bool { return p.opt(func() bool { return p.minor >= 13 && p.tok("=") && f() }) }
		}
		return p.alt(
			func() bool {
				return p.name() && p.opt(func() bool { return p.tok(":") && p.expression() }) && def(p.expression)()
			},
			func() bool { return p.tok("*") && p.name() && def(p.starExpression)() },
			func() bool { return p.tok("**") && p.name() && def(p.expression)() },
		)
	})
}

// ---- match (3.10) ----

func (p *parser) matchStmt() bool {
	if p.minor < 10 {
		return false
	}
	subject := func() bool {
		return p.alt(
			func() bool { return p.starNamedExpression() && p.tok(",") && p.opt(p.starNamedExpressions) },
			p.namedExpression,
		)
	}
	caseHead := func() bool {
		return p.soft("case") && p.patterns() && p.opt(func() bool { return p.tok("if") && p.namedExpression() })
	}
	caseBlock := func() bool {
		return p.alt(
			func() bool { return p.invalid() && p.headerErrors(caseHead, "'case' statement") },
			func() bool { return caseHead() && p.tok(":") && p.block() },
		)
	}
	return p.alt(
		func() bool {
			return p.soft("match") && subject() && p.tok(":") && p.kind(Newline) && p.kind(Indent) && p.many1(caseBlock) && p.kind(Dedent)
		},
		func() bool {
			return p.invalid() && p.headerErrors(func() bool { return p.soft("match") && subject() }, "'match' statement")
		},
	)
}

func (p *parser) patterns() bool { return p.alt(p.openSequencePattern, p.pattern) }

func (p *parser) pattern() bool {
	return p.alt(func() bool { return p.orPattern() && p.tok("as") && p.captureTarget() }, p.invalidAsPattern, p.orPattern)
}

func (p *parser) orPattern() bool { return p.sep1("|", p.closedPattern) }

func (p *parser) captureTarget() bool {
	return !p.look(func() bool { return p.soft("_") }) && p.name() && !p.look(func() bool { return p.is(".") || p.is("(") || p.is("=") })
}

func (p *parser) closedPattern() bool {
	return p.memoize(mClosedPattern, func() bool {
		return p.alt(p.literalPattern, p.captureTarget, func() bool { return p.soft("_") },
			func() bool { return p.attr() && !p.look(func() bool { return p.is(".") || p.is("(") || p.is("=") }) },
			func() bool { return p.tok("(") && p.pattern() && p.tok(")") },
			p.sequencePattern, p.mappingPattern, p.classPattern)
	})
}

func (p *parser) signedNumber() bool {
	return p.opt(func() bool { return p.tok("-") || p.tok("+") }) && p.kind(Number)
}

func (p *parser) literalPattern() bool {
	return p.alt(
		func() bool { return p.signedNumber() && !p.look(func() bool { return p.is("+") || p.is("-") }) },
		func() bool { return p.signedNumber() && (p.tok("+") || p.tok("-")) && p.kind(Number) },
		p.strings, func() bool { return p.tok("None") }, func() bool { return p.tok("True") }, func() bool { return p.tok("False") },
	)
}

func (p *parser) attr() bool {
	return p.name() && p.many1(func() bool { return p.tok(".") && p.name() })
}

func (p *parser) nameOrAttr() bool { return p.alt(p.attr, p.name) }

func (p *parser) sequencePattern() bool {
	return p.alt(
		func() bool { return p.tok("[") && p.opt(p.maybeSequencePattern) && p.tok("]") },
		func() bool { return p.tok("(") && p.opt(p.openSequencePattern) && p.tok(")") },
	)
}

func (p *parser) openSequencePattern() bool {
	return p.maybeStarPattern() && p.tok(",") && p.opt(p.maybeSequencePattern)
}

func (p *parser) maybeSequencePattern() bool {
	return p.sep1(",", p.maybeStarPattern) && p.optTok(",")
}

func (p *parser) maybeStarPattern() bool {
	return p.alt(func() bool {
		return p.memoize(mStarPattern, func() bool {
			return p.tok("*") && p.alt(p.captureTarget, func() bool { return p.soft("_") })
		})
	}, p.pattern)
}

func (p *parser) mappingPattern() bool {
	rest := func() bool { return p.tok("**") && p.captureTarget() }
	item := func() bool {
		return p.alt(func() bool {
			return p.alt(
				func() bool { return p.signedNumber() && !p.look(func() bool { return p.is("+") || p.is("-") }) },
				func() bool { return p.signedNumber() && (p.tok("+") || p.tok("-")) && p.kind(Number) },
				p.strings, func() bool { return p.tok("None") }, func() bool { return p.tok("True") }, func() bool { return p.tok("False") })
		}, p.attr) && p.tok(":") && p.pattern()
	}
	return p.alt(
		func() bool { return p.tok("{") && p.tok("}") },
		func() bool { return p.tok("{") && rest() && p.optTok(",") && p.tok("}") },
		func() bool {
			return p.tok("{") && p.sep1(",", item) && p.tok(",") && rest() && p.optTok(",") && p.tok("}")
		},
		func() bool { return p.tok("{") && p.sep1(",", item) && p.optTok(",") && p.tok("}") },
	)
}

func (p *parser) classPattern() bool {
	kw := func() bool { return p.name() && p.tok("=") && p.pattern() }
	return p.alt(
		func() bool { return p.nameOrAttr() && p.tok("(") && p.tok(")") },
		func() bool {
			return p.nameOrAttr() && p.tok("(") && p.sep1(",", p.pattern) && p.optTok(",") && p.tok(")")
		},
		func() bool { return p.nameOrAttr() && p.tok("(") && p.sep1(",", kw) && p.optTok(",") && p.tok(")") },
		func() bool {
			return p.nameOrAttr() && p.tok("(") && p.sep1(",", p.pattern) && p.tok(",") && p.sep1(",", kw) && p.optTok(",") && p.tok(")")
		},
		func() bool {
			// invalid_class_pattern: positional patterns after keyword
			// ones.
			if !p.invalid() || !(p.nameOrAttr() && p.tok("(")) {
				return false
			}
			p.opt(func() bool { return p.sep1(",", p.pattern) && p.tok(",") })
			if !(p.sep1(",", kw) && p.tok(",")) {
				return false
			}
			a := p.pos
			return p.sep1(",", p.pattern) && p.raiseAt(a, "positional patterns follow keyword patterns")
		},
	)
}

// conversion is fstring_conversion: "!" NAME, whose name CPython checks as
// it builds the field.
func (p *parser) conversion() bool {
	if !p.tok("!") {
		return false
	}
	at := p.pos
	if p.second && (p.is(":") || p.is("}")) {
		return p.raiseAt(at, "f-string: missing conversion character")
	}
	if !p.name() {
		return false
	}
	if c := p.text(p.toks.At(at)); c != "s" && c != "r" && c != "a" {
		return p.raiseAt(at, "f-string: invalid conversion character '"+c+"': expected 's', 'r', or 'a'")
	}
	return true
}

// atomAlone takes a name or a number that a token ending an expression
// follows (x, 1) ...): what the rules from expression down to atom would
// take, having fetched the same tokens, without descending them. Only in
// the first pass (the second runs the invalid_ rules on the way), and only
// clear of the parser's stack limit (the descent would count levels).
func (p *parser) atomAlone() bool {
	if !p.fastPath() {
		return false
	}
	if t := p.toks.ptr(p.pos); t.Kind != Number && !p.atomName(t) {
		return false
	}
	next, _ := p.at(1)
	if !endsExpression(p.src, next) {
		return false
	}
	p.pos++
	return true
}

// primaryLevels are the levels the descent from expression (or
// disjunction) to primary counts: inversion, factor and power.
const primaryLevels = 3

// primaryAlone takes a name, a number or strings and their trailers
// (calls, attributes, subscripts) that a token ending an expression follows, as atomAlone
// takes a lone atom: primary itself, memoised as the descent would leave
// it, at the level the descent would reach it, then the same look at the
// next token that every rule on the way up makes. Where another token
// follows, the descent runs after all (and finds primary memoised).
func (p *parser) primaryAlone() bool {
	if !p.fastPath() {
		return false
	}
	if t := p.toks.ptr(p.pos); t.Kind != String && t.Kind != FStringStart && t.Kind != Number && !p.atomName(t) {
		return false
	}
	save := p.pos
	if !p.enter(primaryLevels) {
		return false
	}
	ok := p.primary()
	p.level -= primaryLevels
	if !ok || p.forced != nil || p.tooDeep {
		p.pos = save
		return false
	}
	if next := p.cur(); next == nil || !endsExpression(p.src, *next) {
		p.pos = save
		return false
	}
	return true
}

// fastPath reports whether atomAlone and primaryAlone may skip the
// descent: in the first pass (the second runs the invalid_ rules on the
// way), clear of the parser's stack limit (the descent would count
// levels), with a token after the current one.
func (p *parser) fastPath() bool {
	return !p.second && p.level+levelBase(p.minor)+8 <= maxLevel && p.pos+1 < p.n
}

// atomName: t is an atom that is a name (True, False and None included).
func (p *parser) atomName(t *Token) bool {
	if t.Kind != Name {
		return false
	}
	text := p.text(*t)
	return !p.keyword(text) || text == "None" || text == "True" || text == "False"
}

// endsExpression: no expression goes on past token t.
func endsExpression(src []byte, t Token) bool {
	if t.Kind == Newline {
		return true
	}
	if t.Kind != Op || t.EndOff-t.Off != 1 {
		return false
	}
	switch src[t.Off] {
	case ',', ')', ']', '}', '=', ':':
		return true
	}
	return false
}

// startsExpression reports whether the current token can begin an
// expression. Every alternative of expression and disjunction fails at
// once on any other token, having fetched it and nothing else: answering
// first fetches the same token and saves descending the precedence rules
// to atom to learn it.
func (p *parser) startsExpression() bool {
	t := p.cur()
	if t == nil {
		return false
	}
	switch t.Kind {
	case Number, String, FStringStart:
		return true
	case Name:
		switch text := string(p.src[t.Off:t.EndOff]); text {
		case "True", "False", "None", "lambda", "not", "await":
			return true
		default:
			return !isKeyword(text)
		}
	case Op:
		switch string(p.src[t.Off:t.EndOff]) {
		case "(", "[", "{", "-", "+", "~", "...":
			return true
		}
	}
	return false
}
