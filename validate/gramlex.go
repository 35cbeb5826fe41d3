package validate

// The lexer of the Go parser (gram.go): the tokens tree-sitter-python's
// lexer and external scanner give for a valid program, in their order,
// zero-width NEWLINE, INDENT and DEDENT included. It gives up (errBail) on
// anything it is not sure of; the caller then asks tree-sitter.

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
)

// errBail stops the Go parser: tree-sitter parses the file instead.
var errBail = errors.New("not for the Go parser")

type gkind uint8

const (
	gEOF gkind = iota
	gNewline
	gIndent
	gDedent
	gName
	gInt
	gFloat
	gOp         // punctuation and operators; the text says which
	gStrStart   // prefix and opening quotes
	gStrContent // a run of a string's content (escapes included)
	gStrEnd     // closing quotes
	gConv       // !r, !s, !a in an f-string field
	gSpecText   // literal text of a format specifier (tree-sitter hides it)
)

// Delimiter flags of a string (on gStrStart and gStrContent).
const (
	strRaw uint8 = 1 << iota
	strBytes
	strFormat
	strTriple
)

type gtok struct {
	kind       gkind
	flags      uint8
	start, end uint32
	cm         int32 // comments lexed before this token (a running count)
}

type gspan struct{ start, end uint32 }

// glexer turns src (tree-sitter's input: every logical line on one physical
// line) into tokens.
type glexer struct {
	src     []byte
	pos     int
	toks    []gtok
	cms     []gspan // comments, in order
	indents []int
	depth   int // bracket depth (lines are joined: only for f-strings)
	// quotes are those of the f-strings whose fields are being lexed: a
	// string inside a field that uses one of them is left to tree-sitter.
	quotes []byte
}

func (lx *glexer) bail() {
	if gramWhy != nil {
		_, file, line, _ := runtime.Caller(1)
		gramWhy(fmt.Sprintf("%s:%d near %q", filepath.Base(file), line, excerptAt(lx.src, lx.pos)))
	}
	panic(errBail)
}

func (lx *glexer) emit(k gkind, start, end int) {
	lx.toks = append(lx.toks, gtok{kind: k, start: uint32(start), end: uint32(end), cm: int32(len(lx.cms))})
}

func (lx *glexer) emitFlags(k gkind, flags uint8, start, end int) {
	lx.emit(k, start, end)
	lx.toks[len(lx.toks)-1].flags = flags
}

// lineIndent measures the blanks from pos: tree-sitter counts a tab as 8
// columns, CPython as a tab stop, so tabs (and form feeds) are given up on.
func (lx *glexer) lineIndent(pos int) (indent, next int) {
	for pos < len(lx.src) {
		switch lx.src[pos] {
		case ' ':
			indent++
		case '\t', '\f', '\r', '\\':
			lx.bail()
		default:
			// Deeper than tree-sitter keeps (its indents are bytes): this
			// parser's tree is right where tree-sitter's would be broken.
			return indent, pos
		}
		pos++
	}
	return indent, pos
}

type gcomment struct {
	span   gspan
	indent int
}

// lex tokenizes the whole source.
func (lx *glexer) lex() {
	lx.indents = append(lx.indents[:0], 0)
	// Lines before the first statement: comments only.
	cms, indent, at := lx.skipLines(0)
	for _, c := range cms {
		lx.cms = append(lx.cms, c.span)
	}
	if at >= len(lx.src) {
		lx.bail() // nothing but comments: rare, not worth the care
	}
	if indent != 0 {
		lx.bail()
	}
	lx.pos = at
	for {
		last := lx.logicalLine()
		q := int(lx.toks[len(lx.toks)-1].end)
		if lx.pos < len(lx.src) && lx.src[lx.pos] == '#' {
			end := lx.pos
			for end < len(lx.src) && lx.src[end] != '\n' {
				end++
			}
			lx.cms = append(lx.cms, gspan{uint32(lx.pos), uint32(end)})
			q = end
			lx.pos = end
		}
		if lx.pos < len(lx.src) {
			lx.pos++ // the newline
		}
		cms, indent, at := lx.skipLines(lx.pos)
		cur := lx.indents[len(lx.indents)-1]
		if last == ":" {
			if indent <= cur || at >= len(lx.src) {
				lx.bail()
			}
			lx.emit(gIndent, q, q)
			lx.indents = append(lx.indents, indent)
			for _, c := range cms {
				lx.cms = append(lx.cms, c.span)
			}
		} else {
			lx.emit(gNewline, q, q)
			p := q
			for j := 0; ; j++ {
				c1 := -1
				if j < len(cms) {
					c1 = cms[j].indent
				}
				for cur = lx.indents[len(lx.indents)-1]; indent < cur && c1 < cur; cur = lx.indents[len(lx.indents)-1] {
					lx.emit(gDedent, p, p)
					lx.indents = lx.indents[:len(lx.indents)-1]
				}
				if j == len(cms) {
					break
				}
				lx.cms = append(lx.cms, cms[j].span)
				p = int(cms[j].span.end)
			}
			if indent != lx.indents[len(lx.indents)-1] {
				lx.bail()
			}
		}
		lx.pos = at
		if at >= len(lx.src) {
			lx.emit(gEOF, len(lx.src), len(lx.src))
			return
		}
	}
}

// skipLines reads blank and comment lines from pos, the start of a line,
// up to the next line with code (or the end): the comments, that line's
// indent and where its code starts.
func (lx *glexer) skipLines(pos int) (cms []gcomment, indent, at int) {
	for pos < len(lx.src) {
		indent, next := lx.lineIndent(pos)
		if next >= len(lx.src) {
			return cms, 0, len(lx.src)
		}
		switch lx.src[next] {
		case '\n':
			pos = next + 1
			continue
		case '#':
			end := next
			for end < len(lx.src) && lx.src[end] != '\n' {
				end++
			}
			cms = append(cms, gcomment{gspan{uint32(next), uint32(end)}, indent})
			pos = end + 1
			continue
		}
		return cms, indent, next
	}
	return cms, 0, len(lx.src)
}

// logicalLine lexes the tokens of one line, up to its newline, trailing
// comment or the end, and returns the text of its last token.
func (lx *glexer) logicalLine() string {
	last := ""
	for {
		lx.skipBlanks()
		if lx.pos >= len(lx.src) || lx.src[lx.pos] == '\n' || lx.src[lx.pos] == '#' {
			if last == "" {
				lx.bail()
			}
			return last
		}
		start := lx.pos
		lx.token()
		t := lx.toks[len(lx.toks)-1]
		if t.kind == gStrEnd || t.kind == gOp || t.kind == gName || t.kind == gInt || t.kind == gFloat {
			last = string(lx.src[t.start:t.end])
		}
		if lx.pos == start {
			lx.bail()
		}
	}
}

func (lx *glexer) skipBlanks() {
	for lx.pos < len(lx.src) {
		switch lx.src[lx.pos] {
		case ' ':
			lx.pos++
		case '\t', '\f', '\r', '\\':
			lx.bail()
		default:
			return
		}
	}
}

var ops3 = []string{"**=", "//=", ">>=", "<<=", "..."}
var ops2 = []string{"**", "//", ">>", "<<", "<=", ">=", "==", "!=", "->", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "@=", ":="}

// token lexes one token (a string: all of its tokens) at pos.
func (lx *glexer) token() {
	src, pos := lx.src, lx.pos
	c := src[pos]
	switch {
	case c >= 0x80:
		lx.bail()
	case isDigit(c) || c == '.' && pos+1 < len(src) && isDigit(src[pos+1]):
		lx.number()
		return
	case isIdent(c):
		end := pos
		for end < len(src) && isIdent(src[end]) {
			if src[end] >= 0x80 {
				lx.bail()
			}
			end++
		}
		if end < len(src) && (src[end] == '\'' || src[end] == '"') {
			lx.str(pos, end)
			return
		}
		lx.emit(gName, pos, end)
		lx.pos = end
		return
	case c == '\'' || c == '"':
		lx.str(pos, pos)
		return
	}
	rest := src[pos:]
	for _, op := range ops3 {
		if len(rest) >= 3 && string(rest[:3]) == op {
			lx.emit(gOp, pos, pos+3)
			lx.pos += 3
			return
		}
	}
	for _, op := range ops2 {
		if len(rest) >= 2 && string(rest[:2]) == op {
			lx.emit(gOp, pos, pos+2)
			lx.pos += 2
			return
		}
	}
	switch c {
	case '(', '[', '{':
		lx.depth++
	case ')', ']', '}':
		lx.depth--
	case '+', '-', '*', '/', '%', '@', '&', '|', '^', '~', '<', '>', ',', ':', ';', '.', '=':
	default:
		lx.bail() // !, $, ?, backquote
	}
	lx.emit(gOp, pos, pos+1)
	lx.pos++
}

// number lexes an integer or a float as tree-sitter's token rules do.
func (lx *glexer) number() {
	src, pos := lx.src, lx.pos
	end := pos
	digits := func(ok func(byte) bool) {
		for end < len(src) && (ok(src[end]) || src[end] == '_') {
			end++
		}
	}
	kind := gInt
	if src[pos] == '0' && pos+1 < len(src) && strings1(src[pos+1], "xXoObB") {
		end += 2
		digits(isHex)
		if end < len(src) && (src[end] == 'l' || src[end] == 'L') {
			lx.bail()
		}
	} else {
		digits(isDigit)
		if end < len(src) && src[end] == '.' {
			kind = gFloat
			end++
			digits(isDigit)
		}
		if end < len(src) && (src[end] == 'e' || src[end] == 'E') {
			kind = gFloat
			end++
			if end < len(src) && (src[end] == '+' || src[end] == '-') {
				end++
			}
			digits(isDigit)
		}
		if end < len(src) && (src[end] == 'j' || src[end] == 'J') {
			end++
		}
	}
	if end < len(src) && (isIdent(src[end]) || src[end] == '.') {
		lx.bail() // 1if, 1_000.real, 1..x: not worth the care
	}
	lx.emit(kind, pos, end)
	lx.pos = end
}

func strings1(c byte, set string) bool {
	for i := 0; i < len(set); i++ {
		if set[i] == c {
			return true
		}
	}
	return false
}

// str lexes a string literal whose prefix starts at start and whose quote
// is at q, and the fields of an f-string.
func (lx *glexer) str(start, q int) {
	src := lx.src
	var flags uint8
	for _, c := range src[start:q] {
		switch c {
		case 'r', 'R':
			flags |= strRaw
		case 'b', 'B':
			flags |= strBytes
		case 'f', 'F':
			flags |= strFormat
		case 'u', 'U':
		default:
			lx.bail()
		}
	}
	quote := src[q]
	for _, outer := range lx.quotes {
		if outer == quote || outer == 0 {
			lx.bail()
		}
	}
	open := q + 1
	if q+2 < len(src) && src[q+1] == quote && src[q+2] == quote {
		flags |= strTriple
		open = q + 3
	}
	lx.emitFlags(gStrStart, flags, start, open)
	lx.pos = open
	lx.strBody(quote, flags)
}

// strBody lexes a string's content, fields and closing quotes.
func (lx *glexer) strBody(quote byte, flags uint8) {
	src := lx.src
	run := lx.pos
	flush := func(end int) {
		if end > run {
			lx.emitFlags(gStrContent, flags, run, end)
		}
	}
	// seg and content follow tree-sitter's scanner in a raw string: seg is
	// where its current token started, content whether anything but
	// backslash pairs came since. Closing quotes after backslash pairs
	// alone take them into the string_end token.
	seg, content := lx.pos, false
	raw := flags&strRaw != 0
	for lx.pos < len(src) {
		c := src[lx.pos]
		switch {
		case c == '\\':
			lx.pos++
			if lx.pos >= len(src) {
				continue
			}
			switch next := src[lx.pos]; {
			case raw:
				if next == quote || next == '\\' || next == '\n' {
					lx.pos++
				}
			case flags&strFormat != 0 && (next == '{' || next == '}'):
				// not an escape: the brace opens a field
			case flags&strFormat != 0 && flags&strBytes == 0 && next == 'N':
				if l := escapeLen(src[lx.pos-1:], false); l > 0 {
					lx.pos += l - 1 // \N{...}: its braces are the escape's
				} else {
					lx.pos++
				}
			default:
				lx.pos++
			}
		case c == '\n' && flags&strTriple == 0:
			lx.bail()
		case c == quote:
			n := 1
			if flags&strTriple != 0 {
				if lx.pos+2 < len(src) && src[lx.pos+1] == quote && src[lx.pos+2] == quote {
					n = 3
				} else {
					for lx.pos < len(src) && src[lx.pos] == quote {
						lx.pos++ // one or two quotes end a content token
					}
					seg, content = lx.pos, false
					continue
				}
			}
			end := lx.pos
			if raw && !content && lx.pos > seg {
				end = seg
			}
			flush(end)
			lx.emit(gStrEnd, end, lx.pos+n)
			lx.pos += n
			return
		case flags&strFormat != 0 && (c == '{' || c == '}'):
			if raw && !content && lx.pos > seg {
				lx.bail() // tree-sitter's scanner loses the backslashes
			}
			if lx.pos+1 < len(src) && src[lx.pos+1] == c {
				lx.pos += 2 // {{ or }}: content
				seg, content = lx.pos, false
				continue
			}
			if c == '}' {
				lx.bail()
			}
			flush(lx.pos)
			lx.field(quote, flags)
			run = lx.pos
			seg, content = lx.pos, false
		default:
			lx.pos++
			content = true
		}
	}
	lx.bail()
}

// field lexes an f-string's replacement field from its {, up to and with
// its }.
func (lx *glexer) field(quote byte, flags uint8) {
	src := lx.src
	lx.emit(gOp, lx.pos, lx.pos+1)
	lx.pos++
	outer := quote
	if flags&strTriple != 0 {
		outer = 0 // any quote
	}
	lx.quotes = append(lx.quotes, outer)
	defer func() { lx.quotes = lx.quotes[:len(lx.quotes)-1] }()
	depth := 0
	for {
		lx.skipBlanks()
		if lx.pos >= len(src) {
			lx.bail()
		}
		c := src[lx.pos]
		switch {
		case c == '\n' || c == '#' || c == '\\':
			lx.bail()
		case depth == 0 && c == '}':
			lx.emit(gOp, lx.pos, lx.pos+1)
			lx.pos++
			return
		case depth == 0 && c == '!' && lx.pos+1 < len(src) && src[lx.pos+1] >= 'a' && src[lx.pos+1] <= 'z':
			lx.emit(gConv, lx.pos, lx.pos+2)
			lx.pos += 2
		case depth == 0 && c == '=' && lx.pos+1 < len(src) && src[lx.pos+1] != '=':
			lx.emit(gOp, lx.pos, lx.pos+1)
			lx.pos++
		case depth == 0 && c == ':' && !(lx.pos+1 < len(src) && src[lx.pos+1] == '='):
			lx.emit(gOp, lx.pos, lx.pos+1)
			lx.pos++
			lx.spec(quote, flags)
			return
		default:
			switch c {
			case '(', '[', '{':
				depth++
			case ')', ']', '}':
				depth--
			}
			saved := lx.depth
			lx.token()
			lx.depth = saved
		}
	}
}

// spec lexes a format specifier after its colon, up to and with the
// field's }.
func (lx *glexer) spec(quote byte, flags uint8) {
	src := lx.src
	run := lx.pos
	for lx.pos < len(src) {
		switch c := src[lx.pos]; {
		case c == '\n' || c == '\\' || c == quote:
			lx.bail()
		case c == '{':
			if lx.pos > run {
				lx.emit(gSpecText, run, lx.pos)
			}
			if lx.pos+1 < len(src) && src[lx.pos+1] == '{' {
				lx.bail()
			}
			lx.field(quote, flags)
			run = lx.pos
		case c == '}':
			if lx.pos > run {
				lx.emit(gSpecText, run, lx.pos)
			}
			lx.emit(gOp, lx.pos, lx.pos+1)
			lx.pos++
			return
		default:
			lx.pos++
		}
	}
	lx.bail()
}
