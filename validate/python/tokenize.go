package python

import (
	"bytes"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// Tokenize returns the tokens of src (decoded, UTF-8) as CPython's
// tokenizer for Python 3.minor gives them, up to its first error. From 3.12
// an f-string is FSTRING_START, its parts and FSTRING_END (PEP 701); before,
// one STRING. Newlines are normalised first (\r\n and \r read as \n), as
// CPython reads source; offsets are into that normalised text, which
// Normalize returns.
func Tokenize(src []byte, minor int) (*Tokens, *Error) { return tokenize(src, minor, true) }

// tokenize is Tokenize; without trivia it keeps no COMMENT and NL tokens
// (the parser's view).
func tokenize(src []byte, minor int, trivia bool) (*Tokens, *Error) {
	return tokenizeInto(nil, src, minor, trivia)
}

// tokenizeInto is tokenize into ts's memory (nil: new memory).
func tokenizeInto(ts *Tokens, src []byte, minor int, trivia bool) (*Tokens, *Error) {
	if minor < 9 || minor > 13 {
		minor = 13 // unknown: the newest
	}
	if bytes.IndexByte(src, 0) >= 0 {
		return &Tokens{}, &Error{Type: "SyntaxError", Msg: "source code string cannot contain null bytes"}
	}
	t := &tokenizer{src: src, minor: minor, trivia: trivia, line: 1, indents: []int{0}, altIndents: []int{0}, atBOL: true}
	if ts != nil {
		t.toks = *ts
		t.toks.reset()
	}
	t.run()
	return &t.toks, t.err
}

// Normalize is src with \r\n and lone \r read as \n, as CPython reads
// source; src itself when it has no \r.
func Normalize(src []byte) []byte {
	i := 0
	for i < len(src) && src[i] != '\r' {
		i++
	}
	if i == len(src) {
		return src
	}
	out := make([]byte, 0, len(src))
	out = append(out, src[:i]...)
	for ; i < len(src); i++ {
		if src[i] == '\r' {
			out = append(out, '\n')
			if i+1 < len(src) && src[i+1] == '\n' {
				i++
			}
			continue
		}
		out = append(out, src[i])
	}
	return out
}

type bracket struct {
	c         byte
	line, col int // col from 1, as errors give it
}

// field is an f-string's replacement field being read: depth is the
// bracket depth outside its '{'; spec is true once its format spec began.
type field struct {
	depth int
	spec  bool
}

// fstring is an f-string being read (3.12 and later).
type fstring struct {
	quote      byte
	triple     bool
	raw        bool
	line, col  int // where it starts, col from 1
	fields     []field
	middleFrom int // where the text not yet given as FSTRING_MIDDLE starts
}

type tokenizer struct {
	src   []byte
	minor int
	pos   int
	toks  Tokens
	err   *Error

	// line is the current line, lineStart its offset; cOff and cCol are a
	// cursor on it (an offset and its column), moved forward only, so that
	// columns cost what the text between two tokens costs.
	line, lineStart int
	cOff, cCol      int

	indents, altIndents []int
	atBOL               bool
	// content: the logical line has a token (its newline is NEWLINE, not
	// NL).
	content  bool
	brackets []bracket
	fstrings []*fstring
	strLine  int // where the line of the string being read starts
	trivia   bool
}

// col is the column (from 0) of off, on the current line, at or after the
// cursor.
func (t *tokenizer) col(off int) int {
	if off < t.cOff {
		t.cOff, t.cCol = t.lineStart, 0 // not expected: the cursor only moves forward
	}
	for i := t.cOff; i < off; {
		if c := t.src[i]; c < utf8.RuneSelf {
			i++
		} else {
			_, n := utf8.DecodeRune(t.src[i:])
			i += n
		}
		t.cCol++
	}
	t.cOff = off
	return t.cCol
}

// ipos is a position while tokenizing (a Pos once stored).
type ipos struct{ Line, Col int }

func (p ipos) pos() Pos { return Pos{int32(p.Line), int32(p.Col)} }

func (t *tokenizer) here() ipos { return ipos{t.line, t.col(t.pos)} }

// add stores a token.
func (t *tokenizer) add(k Kind, start, end ipos, off, endOff int) {
	if !t.trivia && (k == Comment || k == NL) {
		return
	}
	t.toks.add(Token{Kind: k, Level: uint8(min(len(t.brackets), 255)), Start: start.pos(), End: end.pos(), Off: int32(off), EndOff: int32(endOff)})
}

// newline moves to the line after the newline at off.
func (t *tokenizer) newline(off int) {
	t.line++
	t.lineStart, t.cOff, t.cCol = off+1, off+1, 0
}

func (t *tokenizer) emit(k Kind, start ipos, off int) {
	t.add(k, start, t.here(), off, t.pos)
}

func (t *tokenizer) fail(typ string, line, col int, msg string) {
	if t.err == nil {
		t.err = &Error{Type: typ, Line: line, Col: col, Msg: msg, quiet: t.minor >= 12 && len(t.fstrings) > 0}
	}
}

func (t *tokenizer) syntax(line, col int, format string, args ...any) {
	t.fail("SyntaxError", line, col, fmt.Sprintf(format, args...))
}

func (t *tokenizer) peek(i int) byte {
	if t.pos+i < len(t.src) {
		return t.src[t.pos+i]
	}
	return 0
}

func (t *tokenizer) eof() bool { return t.pos >= len(t.src) }

func (t *tokenizer) run() {
	for t.err == nil {
		if n := len(t.fstrings); n > 0 {
			f := t.fstrings[n-1]
			if len(f.fields) == 0 || f.fields[len(f.fields)-1].spec && len(t.brackets) == f.fields[len(f.fields)-1].depth+1 {
				t.fstringText(f)
				continue
			}
		}
		if t.atBOL {
			t.atBOL = false
			t.indentation()
			continue
		}
		for !t.eof() && (t.src[t.pos] == ' ' || t.src[t.pos] == '\t' || t.src[t.pos] == '\f') {
			t.pos++
		}
		if t.eof() {
			t.end()
			return
		}
		t.token()
	}
}

// indentation reads the indentation of a line and gives its INDENT or
// DEDENTs; a blank line (spaces, a comment) has none.
func (t *tokenizer) indentation() {
	col, alt := 0, 0
	// From 3.10 a line continuation among the indentation joins the next
	// line to it, and the first one preceded by blanks sets the
	// indentation (one at the line's start sets none); before, such a
	// line is blank.
	contCol, contAlt := 0, 0
	i := t.pos
	for ; i < len(t.src); i++ {
		switch t.src[i] {
		case ' ':
			col++
			alt++
		case '\t':
			col = (col/8 + 1) * 8
			alt++
		case '\f':
			col, alt = 0, 0
		case '\\':
			if t.minor < 10 || i+1 >= len(t.src) || t.src[i+1] != '\n' || len(t.brackets) > 0 {
				goto done
			}
			if contCol == 0 {
				contCol, contAlt = col, alt
			}
			if i+2 >= len(t.src) {
				t.syntax(t.line, t.col(i)+2, "unexpected EOF while parsing")
				return
			}
			t.pos = i + 2
			t.newline(i + 1)
			i++
			col, alt = 0, 0
		default:
			goto done
		}
	}
done:
	if i == len(t.src) || t.src[i] == '#' || t.src[i] == '\n' || t.src[i] == '\\' || len(t.brackets) > 0 {
		return // blank, or inside brackets: no indentation
	}
	if contCol != 0 {
		col, alt = contCol, contAlt
	}
	start := ipos{t.line, 0}
	top := len(t.indents) - 1
	switch {
	case col == t.indents[top]:
		if alt != t.altIndents[top] {
			t.tabError()
		}
	case col > t.indents[top]:
		if len(t.indents) >= MaxIndent {
			t.fail("IndentationError", t.line, 1, "too many levels of indentation")
			return
		}
		if alt <= t.altIndents[top] {
			t.tabError()
			return
		}
		t.indents, t.altIndents = append(t.indents, col), append(t.altIndents, alt)
		t.pos = i
		t.emit(Indent, start, t.lineStart)
	default:
		for top > 0 && col < t.indents[top] {
			top--
		}
		if col != t.indents[top] {
			t.fail("IndentationError", t.line, t.lineEnd(i)+1, "unindent does not match any outer indentation level")
			return
		}
		if alt != t.altIndents[top] {
			t.tabError()
			return
		}
		t.pos = i
		at := t.here()
		for len(t.indents)-1 > top {
			t.indents, t.altIndents = t.indents[:len(t.indents)-1], t.altIndents[:len(t.altIndents)-1]
			t.add(Dedent, at, at, i, i)
		}
	}
}

// lineEnd is the column of the end of the line holding off.
func (t *tokenizer) lineEnd(off int) int {
	for off < len(t.src) && t.src[off] != '\n' {
		off++
	}
	return t.col(off)
}

// lastLine is the line the end of the source is on, as CPython counts it
// for "detected at line": a final newline does not begin another.
func (t *tokenizer) lastLine() int {
	if t.line > 1 && len(t.src) > 0 && t.src[len(t.src)-1] == '\n' && t.pos >= len(t.src) {
		return t.line - 1
	}
	return t.line
}

func (t *tokenizer) tabError() {
	t.fail("TabError", t.line, t.col(t.pos)+1, "inconsistent use of tabs and spaces in indentation")
}

// end gives the tokens at the end of the source: the last line's NEWLINE
// when it has none, a DEDENT per open block, ENDMARKER; or the error for
// what is still open.
func (t *tokenizer) end() {
	if n := len(t.fstrings); n > 0 && len(t.fstrings[n-1].fields) == 0 {
		t.unterminatedFString(t.fstrings[n-1])
		return
	}
	if n := len(t.brackets); n > 0 {
		if t.minor == 9 {
			// 3.9's tokenizer ends there; its parser refuses the end.
			at := t.here()
			t.add(EndMarker, at, at, t.pos, t.pos)
			return
		}
		b := t.brackets[n-1]
		t.syntax(b.line, b.col, "'%c' was never closed", b.c)
		return
	}
	if t.content {
		at := t.here()
		t.add(Newline, at, ipos{at.Line, at.Col + 1}, t.pos, t.pos)
		t.content = false
	}
	at := t.here()
	if t.lineStart < len(t.src) || t.pos > t.lineStart {
		at = ipos{t.line + 1, 0} // the last line has no newline: the end is on the line after
	}
	for len(t.indents) > 1 {
		t.indents = t.indents[:len(t.indents)-1]
		t.add(Dedent, at, at, t.pos, t.pos)
	}
	t.add(EndMarker, at, at, t.pos, t.pos)
}

// token reads the token at t.pos (not a blank).
func (t *tokenizer) token() {
	c := t.src[t.pos]
	start, off := t.here(), t.pos
	switch {
	case c == '#':
		for !t.eof() && t.src[t.pos] != '\n' {
			t.pos++
		}
		t.emit(Comment, start, off)
	case c == '\n':
		t.pos++
		kind := NL
		if t.content && len(t.brackets) == 0 {
			kind = Newline
			t.content = false
		}
		t.add(kind, start, ipos{start.Line, start.Col + 1}, off, t.pos)
		t.newline(off)
		t.atBOL = len(t.brackets) == 0
	case c == '\\':
		if t.peek(1) == '\n' {
			t.pos += 2
			t.newline(off + 1)
			if t.eof() {
				t.syntax(start.Line, start.Col+2, "unexpected EOF while parsing")
			}
			return
		}
		if t.pos+1 >= len(t.src) {
			t.syntax(start.Line, start.Col+2, "unexpected EOF while parsing")
			return
		}
		t.syntax(start.Line, start.Col+2, "unexpected character after line continuation character")
	case isDigit(c) || c == '.' && isDigit(t.peek(1)):
		t.content = true
		t.number(start, off)
	case c == '"' || c == '\'':
		t.content = true
		t.str(start, off, 0)
	case c >= utf8.RuneSelf || c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		t.content = true
		t.name(start, off)
	default:
		t.content = true
		t.op(start, off)
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// name reads an identifier, or the prefix of a string.
func (t *tokenizer) name(start ipos, off int) {
	prefix := 0 // b, r, u, f seen, as bits
	checked := false
	for !t.eof() {
		c := t.src[t.pos]
		if c < utf8.RuneSelf {
			if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c)) {
				break
			}
			if prefix >= 0 {
				bit := prefixBit(c)
				if bit == 0 || prefix&bit != 0 {
					prefix = -1
				} else {
					prefix |= bit
				}
			}
			t.pos++
			continue
		}
		if !checked && t.invalidUTF8(off) {
			return
		}
		checked = true
		r, n := utf8.DecodeRune(t.src[t.pos:])
		if !isIDContinue(r) || t.pos == off && !isIDStart(r) {
			if t.pos == off || !unicode.IsPrint(r) || isInvalidChar(r) {
				t.badChar(r)
				return
			}
			break
		}
		prefix = -1
		t.pos += n
	}
	if q := t.peek(0); (q == '"' || q == '\'') && prefix > 0 && validPrefix(prefix) {
		t.str(start, off, prefix)
		return
	}
	t.emit(Name, start, off)
}

// invalidUTF8 refuses a name from off that is not valid UTF-8, as CPython's
// tokenizer does: the name runs over ASCII letters, digits and '_' and
// every byte outside ASCII, and the codec reads it whole before any of its
// characters is looked at.
func (t *tokenizer) invalidUTF8(off int) bool {
	end := off
	for end < len(t.src) {
		c := t.src[end]
		if !(c >= utf8.RuneSelf || c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c)) {
			break
		}
		end++
	}
	name := t.src[off:end]
	if utf8.Valid(name) {
		return false
	}
	i := 0
	for {
		r, n := utf8.DecodeRune(name[i:])
		if r == utf8.RuneError && n == 1 {
			break
		}
		i += n
	}
	t.pos = off + i
	col := t.col(t.pos) + 1 // 3.13: in characters
	if t.minor < 13 {
		// Before, in bytes, and never the first column.
		col = max(t.pos-t.lineStart, 1) + 1
	}
	t.syntax(t.line, col, "(unicode error) %s", utf8DecodeError(string(name[i:]), i))
	return true
}

const (
	prefixB = 1 << iota
	prefixR
	prefixU
	prefixF
)

func prefixBit(c byte) int {
	switch c {
	case 'b', 'B':
		return prefixB
	case 'r', 'R':
		return prefixR
	case 'u', 'U':
		return prefixU
	case 'f', 'F':
		return prefixF
	}
	return 0
}

func validPrefix(p int) bool {
	switch p {
	case prefixB, prefixR, prefixU, prefixF, prefixB | prefixR, prefixF | prefixR:
		return true
	}
	return false
}

func isIDStart(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.Is(unicode.Nl, r) || unicode.Is(unicode.Other_ID_Start, r)
}

func isIDContinue(r rune) bool {
	return isIDStart(r) || unicode.In(r, unicode.Mn, unicode.Mc, unicode.Nd, unicode.Pc) || unicode.Is(unicode.Other_ID_Continue, r)
}

// isInvalidChar: a printable character no identifier holds, refused as
// "invalid character".
func isInvalidChar(r rune) bool { return !isIDContinue(r) }

// badChar refuses a character no token starts with, at t.pos.
func (t *tokenizer) badChar(r rune) {
	at := t.here()
	if !unicode.IsPrint(r) {
		t.syntax(at.Line, at.Col+1, "invalid non-printable character U+%04X", r)
		return
	}
	t.syntax(at.Line, at.Col+1, "invalid character '%c' (U+%04X)", r, r)
}

// op reads an operator or a bracket.
func (t *tokenizer) op(start ipos, off int) {
	c := t.src[t.pos]
	if n := len(t.fstrings); n > 0 {
		f := t.fstrings[n-1]
		if k := len(f.fields); k > 0 && len(t.brackets) == f.fields[k-1].depth+1 {
			fd := &f.fields[k-1]
			switch {
			case c == ':' && !fd.spec:
				// The field's top level: its format spec begins.
				t.pos++
				t.emit(Op, start, off)
				fd.spec = true
				f.middleFrom = t.pos
				return
			case c == '}':
				t.pos++
				t.brackets = t.brackets[:len(t.brackets)-1]
				t.emit(Op, start, off)
				f.fields = f.fields[:k-1]
				f.middleFrom = t.pos
				return
			}
		}
	}
	switch c {
	case '(', '[', '{':
		if len(t.brackets) >= MaxLevel {
			t.syntax(start.Line, start.Col+1, "too many nested parentheses")
			return
		}
		t.brackets = append(t.brackets, bracket{c: c, line: start.Line, col: start.Col + 1})
		t.pos++
		t.emit(Op, start, off)
		return
	case ')', ']', '}':
		if len(t.brackets) == 0 {
			t.syntax(start.Line, start.Col+1, "unmatched '%c'", c)
			return
		}
		open := t.brackets[len(t.brackets)-1]
		if open.c != opening(c) {
			if open.line != start.Line {
				t.syntax(start.Line, start.Col+1, "closing parenthesis '%c' does not match opening parenthesis '%c' on line %d", c, open.c, open.line)
			} else {
				t.syntax(start.Line, start.Col+1, "closing parenthesis '%c' does not match opening parenthesis '%c'", c, open.c)
			}
			return
		}
		t.brackets = t.brackets[:len(t.brackets)-1]
		t.pos++
		t.emit(Op, start, off)
		return
	}
	if n := opLen(t.src[t.pos:]); n > 0 {
		t.pos += n
		t.emit(Op, start, off)
		return
	}
	t.pos++
	t.emit(ErrorToken, start, off)
}

func opening(c byte) byte {
	switch c {
	case ')':
		return '('
	case ']':
		return '['
	}
	return '{'
}

// opLen is the length of the operator b starts with (the longest of
// CPython's: "<>" is one, which the parser refuses), 0 for none.
func opLen(b []byte) int {
	at := func(i int) byte {
		if i < len(b) {
			return b[i]
		}
		return 0
	}
	c1, c2, c3 := at(0), at(1), at(2)
	switch {
	case c1 == '*' && c2 == '*' && c3 == '=', c1 == '/' && c2 == '/' && c3 == '=', c1 == '>' && c2 == '>' && c3 == '=',
		c1 == '<' && c2 == '<' && c3 == '=', c1 == '.' && c2 == '.' && c3 == '.':
		return 3
	}
	switch string([]byte{c1, c2}) {
	case "!=", "%=", "&=", "**", "*=", "+=", "-=", "->", "//", "/=", ":=", "<<", "<=", "<>", "==", ">=", ">>", "@=", "^=", "|=":
		return 2
	}
	switch c1 {
	case '!', '%', '&', '*', '+', ',', '-', '.', '/', ':', ';', '<', '=', '>', '@', '^', '|', '~':
		return 1
	}
	return 0
}

// number reads a numeric literal and checks what follows it.
func (t *tokenizer) number(start ipos, off int) {
	digits := func(ok func(byte) bool) bool { // digits with single underscores between
		if !ok(t.peek(0)) {
			return false
		}
		for {
			for ok(t.peek(0)) {
				t.pos++
			}
			if t.peek(0) != '_' {
				return true
			}
			t.pos++
			if !ok(t.peek(0)) {
				return false // CPython points after the underscore
			}
		}
	}
	dec := func(c byte) bool { return isDigit(c) }
	c := t.src[t.pos]
	if c == '0' && (t.peek(1)|0x20 == 'x' || t.peek(1)|0x20 == 'o' || t.peek(1)|0x20 == 'b') {
		kind := t.peek(1) | 0x20
		t.pos += 2
		if t.peek(0) == '_' {
			t.pos++
		}
		var ok func(byte) bool
		var name string
		switch kind {
		case 'x':
			ok, name = func(c byte) bool { return isDigit(c) || c|0x20 >= 'a' && c|0x20 <= 'f' }, "hexadecimal"
		case 'o':
			ok, name = func(c byte) bool { return c >= '0' && c <= '7' }, "octal"
		default:
			ok, name = func(c byte) bool { return c == '0' || c == '1' }, "binary"
		}
		if !digits(ok) {
			if d := t.peek(0); isDigit(d) && kind != 'x' {
				t.badNumber(fmt.Sprintf("invalid digit '%c' in %s literal", d, name), t.digitSkip())
				return
			}
			t.badNumber("invalid "+name+" literal", 0)
			return
		}
		if d := t.peek(0); isDigit(d) && kind != 'x' {
			t.badNumber(fmt.Sprintf("invalid digit '%c' in %s literal", d, name), 1)
			return
		}
		t.endOfNumber(start, off, name)
		return
	}
	isFloat := false
	if c != '.' {
		leadingZero := c == '0'
		if !digits(dec) {
			t.badNumber("invalid decimal literal", 0)
			return
		}
		nonzero := false
		for _, d := range t.src[off:t.pos] {
			if d != '0' && d != '_' {
				nonzero = true
			}
		}
		if leadingZero && nonzero && t.peek(0) != '.' && t.peek(0)|0x20 != 'e' && t.peek(0)|0x20 != 'j' {
			col := start.Col + 1
			if t.minor == 9 {
				col = t.here().Col // 3.9 points at the end of the number
			}
			t.syntax(start.Line, col, "leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers")
			return
		}
	}
	if t.peek(0) == '.' {
		isFloat = true
		t.pos++
		if isDigit(t.peek(0)) && !digits(dec) {
			t.badNumber("invalid decimal literal", 0)
			return
		}
	}
	if t.peek(0)|0x20 == 'e' {
		save := t.pos
		t.pos++
		if t.peek(0) == '+' || t.peek(0) == '-' {
			t.pos++
			if !isDigit(t.peek(0)) {
				t.badNumber("invalid decimal literal", 0)
				return
			}
		}
		if !isDigit(t.peek(0)) {
			t.pos = save // "1else": the e is not an exponent
		} else if !digits(dec) {
			t.badNumber("invalid decimal literal", 0)
			return
		} else {
			isFloat = true
		}
	}
	_ = isFloat
	if t.peek(0)|0x20 == 'j' {
		t.pos++
		t.endOfNumber(start, off, "imaginary")
		return
	}
	t.endOfNumber(start, off, "decimal")
}

// endOfNumber emits the number read, unless a name runs into it ("1abc"):
// a keyword that may follow a number ("1if x else 2") only warns.
func (t *tokenizer) endOfNumber(start ipos, off int, kind string) {
	c := t.peek(0)
	if t.minor == 9 {
		t.emit(Number, start, off) // 3.9 leaves "1abc" to the parser
		return
	}
	if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= utf8.RuneSelf {
		for _, kw := range []string{"and", "else", "for", "if", "in", "is", "not", "or"} {
			if t.pos+len(kw) <= len(t.src) && string(t.src[t.pos:t.pos+len(kw)]) == kw {
				t.emit(Number, start, off)
				return
			}
		}
		t.badNumber("invalid "+kind+" literal", 0)
		return
	}
	t.emit(Number, start, off)
}

// digitSkip is where an error for a bad first digit points: after it, or
// (3.9) at it.
func (t *tokenizer) digitSkip() int {
	if t.minor == 9 {
		return 0
	}
	return 1
}

// badNumber refuses the number read so far: CPython's column is the
// character it stopped at, counted from 0 (skip more for a bad digit).
func (t *tokenizer) badNumber(msg string, skip int) {
	at := t.here()
	t.syntax(at.Line, at.Col+skip, "%s", msg)
}

// str reads a string literal whose quote is at t.pos; prefix holds its
// prefix letters. An f-string from 3.12 starts its own mode.
func (t *tokenizer) str(start ipos, off int, prefix int) {
	q := t.src[t.pos]
	triple := t.peek(1) == q && t.peek(2) == q
	t.strLine = t.lineStart
	n := 1
	if triple {
		n = 3
	}
	if prefix&prefixF != 0 && t.minor >= 12 {
		t.pos += n
		t.emit(FStringStart, start, off)
		t.fstrings = append(t.fstrings, &fstring{quote: q, triple: triple, raw: prefix&prefixR != 0,
			line: start.Line, col: start.Col + 1, middleFrom: t.pos})
		return
	}
	t.pos += n
	for {
		if t.eof() {
			t.unterminated(start, q, triple)
			return
		}
		c := t.src[t.pos]
		switch {
		case c == q && (!triple || t.peek(1) == q && t.peek(2) == q):
			t.pos += n
			t.emit(String, start, off)
			return
		case c == '\\':
			t.pos++
			if !t.eof() {
				if t.src[t.pos] == '\n' {
					t.newline(t.pos)
				}
				t.pos++
			}
		case c == '\n':
			if !triple {
				t.unterminated(start, q, false)
				return
			}
			t.newline(t.pos)
			t.pos++
		default:
			t.pos++
		}
	}
}

// unterminated refuses a string that does not end: inside an f-string's
// field with the f-string's own quotes, it is the field that does not end.
func (t *tokenizer) unterminated(start ipos, q byte, triple bool) {
	if t.minor == 9 {
		// 3.9 counts the column from the start of the string's first
		// line, to the end of the source (with the newline it adds where
		// the last line has none) or past the end of the line.
		first := t.strLine
		col := utf8.RuneCount(t.src[first:t.pos])
		if triple {
			if len(t.src) > 0 && t.src[len(t.src)-1] != '\n' {
				col++
			}
			t.syntax(t.lastLine(), col, "EOF while scanning triple-quoted string literal")
		} else {
			t.syntax(t.line, col+1, "EOL while scanning string literal")
		}
		return
	}
	if n := len(t.fstrings); n > 0 && t.fstrings[n-1].quote == q && t.fstrings[n-1].triple == triple {
		t.syntax(start.Line, start.Col+1, "f-string: expecting '}'")
		return
	}
	if triple {
		t.syntax(start.Line, start.Col+1, "unterminated triple-quoted string literal (detected at line %d)", t.lastLine())
		return
	}
	hint := ""
	if t.minor >= 13 && t.pos >= 2 && t.src[t.pos-1] == q && t.src[t.pos-2] == '\\' {
		hint = "; perhaps you escaped the end quote?"
	}
	t.syntax(start.Line, start.Col+1, "unterminated string literal (detected at line %d)%s", t.line, hint)
}

func (t *tokenizer) unterminatedFString(f *fstring) {
	if f.triple {
		t.syntax(f.line, f.col, "unterminated triple-quoted f-string literal (detected at line %d)", t.lastLine())
		return
	}
	t.syntax(f.line, f.col, "unterminated f-string literal (detected at line %d)", t.line)
}

// fstringText reads an f-string's text (or a field's format spec) up to
// the next field, the end of the field, or the closing quote.
func (t *tokenizer) fstringText(f *fstring) {
	inSpec := len(f.fields) > 0
	start, from := t.here(), t.pos
	flush := func(force bool) {
		if t.pos > from || force {
			t.add(FStringMiddle, start, t.here(), from, t.pos)
		}
	}
	for {
		if t.eof() {
			t.unterminatedFString(f)
			return
		}
		c := t.src[t.pos]
		switch {
		case !inSpec && c == f.quote && (!f.triple || t.peek(1) == f.quote && t.peek(2) == f.quote):
			flush(false)
			at, off := t.here(), t.pos
			if f.triple {
				t.pos += 3
			} else {
				t.pos++
			}
			t.emit(FStringEnd, at, off)
			t.fstrings = t.fstrings[:len(t.fstrings)-1]
			return
		case c == '{' || c == '}':
			if !inSpec && t.peek(1) == c {
				// A doubled brace is one: the text ends with the first.
				t.pos++
				flush(true)
				t.pos++
				start, from = t.here(), t.pos
				continue
			}
			if c == '}' && !inSpec {
				at := t.here()
				t.syntax(at.Line, at.Col+1, "f-string: single '}' is not allowed")
				return
			}
			flush(inSpec && c == '}') // a spec ends with its text, even empty
			at, off := t.here(), t.pos
			t.pos++
			if c == '{' {
				if len(t.brackets) >= MaxLevel {
					t.syntax(at.Line, at.Col+1, "too many nested parentheses")
					return
				}
				t.brackets = append(t.brackets, bracket{c: '{', line: at.Line, col: at.Col + 1})
				t.emit(Op, at, off)
				f.fields = append(f.fields, field{depth: len(t.brackets) - 1})
				return
			}
			// The end of the field whose spec this is.
			t.brackets = t.brackets[:len(t.brackets)-1]
			t.emit(Op, at, off)
			f.fields = f.fields[:len(f.fields)-1]
			return
		case c == '\\' && f.raw:
			// A raw f-string keeps its backslashes, but one still
			// escapes a quote or a backslash from ending it.
			t.pos++
			if q := t.peek(0); q == f.quote || q == '\\' {
				t.pos++
			}
		case c == '\\':
			t.pos++
			if t.peek(0) == 'N' && t.peek(1) == '{' {
				for !t.eof() && t.src[t.pos] != '}' && t.src[t.pos] != '\n' {
					t.pos++
				}
				if t.peek(0) == '}' {
					// A named escape ends a FSTRING_MIDDLE, as CPython's
					// tokenizer cuts it.
					t.pos++
					flush(false)
					start, from = t.here(), t.pos
					continue
				}
			}
			if !t.eof() {
				if t.src[t.pos] == '\n' {
					t.newline(t.pos)
				}
				t.pos++
			}
		case c == '\n':
			if !f.triple {
				t.unterminatedFString(f)
				return
			}
			t.newline(t.pos)
			t.pos++
		default:
			t.pos++
		}
	}
}
