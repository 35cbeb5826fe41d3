package validate

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// pyError is a syntax error found without an interpreter, in CPython's
// terms (type, 1-based line and column, message).
type pyError struct {
	Type    string
	Line    int
	Col     int
	Msg     string
	rule    string // RuleSyntax, RuleEncoding or RulePythonVersion
	compile bool   // found by the compiler stage (after a successful parse)
	stage   errStage
	indent  bool // an indentation error: it comes before every token of its line
}

// errStage says where CPython raises an error, which decides which of two
// errors it reports: the parser stops at its first error, but before it
// reports one it tokenizes the rest of the file, and an error the tokenizer
// raises there (an unterminated string, a bad number, an unmatched bracket)
// replaces the parser's. Indentation errors the tokenizer finds do not.
type errStage int

const (
	stageParser    errStage = iota // the parser's errors, replaced by a later tokenizer error
	stageFixed                     // "unexpected indent", which nothing replaces
	stageTokenizer                 // raised by the tokenizer; replaces a parser error found earlier
	stageUnclosed                  // "'(' was never closed": replaces a parser error on a later line
	stageIndent                    // the tokenizer's indentation errors: stop it, replace nothing
)

func synErr(line, col int, msg string) *pyError {
	return &pyError{Type: "SyntaxError", Line: line, Col: col, Msg: msg, rule: RuleSyntax}
}

// tokErr is an error the tokenizer raises.
func tokErr(line, col int, msg string) *pyError {
	e := synErr(line, col, msg)
	e.stage = stageTokenizer
	return e
}

// before reports whether a comes before b in the source.
func (a *pyError) before(b *pyError) bool {
	return a.Line < b.Line || a.Line == b.Line && a.order() < b.order()
}

func (a *pyError) order() int {
	if a.indent {
		return -1
	}
	return a.Col
}

var codingRe = regexp.MustCompile(`^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)`)

// decodeSource applies PEP 263 (BOM, coding cookie) and returns UTF-8 text,
// or the error CPython would raise.
func decodeSource(src []byte) ([]byte, *pyError) {
	if i := bytes.IndexByte(src, 0); i >= 0 {
		e := synErr(bytes.Count(src[:i], []byte("\n"))+1, 0, "source code string cannot contain null bytes")
		e.rule = RuleEncoding
		return nil, e
	}
	bom := bytes.HasPrefix(src, []byte("\xef\xbb\xbf"))
	src = bytes.TrimPrefix(src, []byte("\xef\xbb\xbf"))
	src = universalNewlines(src)
	enc, cookie := "", ""
	lines := bytes.SplitN(src, []byte("\n"), 3)
	for i := 0; i < len(lines) && i < 2; i++ {
		if m := codingRe.FindSubmatch(lines[i]); m != nil {
			cookie = string(m[1])
			enc = strings.ToLower(strings.ReplaceAll(cookie, "_", "-"))
			break
		}
		if t := bytes.TrimSpace(lines[i]); len(t) > 0 && t[0] != '#' {
			break // the cookie must be on line 1, or on line 2 after a comment
		}
	}
	if bom && enc != "" && enc != "utf-8" && !strings.HasPrefix(enc, "utf-8-") {
		// With a BOM, only a cookie CPython normalizes to utf-8 will do.
		e := synErr(0, 0, "encoding problem: "+cookie+" with BOM")
		e.rule = RuleEncoding
		e.stage = stageTokenizer
		return nil, e
	}
	switch {
	case enc == "" || enc == "utf-8" || enc == "utf8" || strings.HasPrefix(enc, "utf-8-"):
		if !utf8.Valid(src) {
			bad := 0
			for bad < len(src) {
				r, n := utf8.DecodeRune(src[bad:])
				if r == utf8.RuneError && n <= 1 {
					break
				}
				bad += n
			}
			line, col := position(src, bad)
			e := synErr(line, col,
				fmt.Sprintf("(unicode error) 'utf-8' codec can't decode byte 0x%02x: invalid utf-8 (declare another encoding with a coding comment)", src[bad]))
			e.rule = RuleEncoding
			return nil, e
		}
		return src, nil
	case enc == "latin-1" || enc == "latin1" || enc == "iso-8859-1" || enc == "iso8859-1" || enc == "iso-latin-1" || enc == "l1" || enc == "8859" || enc == "cp819":
		var b bytes.Buffer
		for _, c := range src {
			b.WriteRune(rune(c))
		}
		return b.Bytes(), nil
	case enc == "ascii" || enc == "us-ascii":
		for i, c := range src {
			if c >= 0x80 {
				e := synErr(bytes.Count(src[:i], []byte("\n"))+1, 0, fmt.Sprintf("(unicode error) 'ascii' codec can't decode byte 0x%02x", c))
				e.rule = RuleEncoding
				return nil, e
			}
		}
		return src, nil
	}
	if !knownCodec(enc) {
		e := synErr(0, 0, "unknown encoding: "+cookie)
		e.rule = RuleEncoding
		e.stage = stageTokenizer
		return nil, e
	}
	// Another codec Python knows (cp1252, euc-jp, ...): parse the bytes as
	// they are; ASCII, which all Python syntax is, reads the same.
	return src, nil
}

// knownCodec normalizes an encoding name the way CPython's codec search
// does (runs of characters other than letters, digits and "." become one
// "_") and looks it up.
func knownCodec(name string) bool {
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(name) {
		if r == '.' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r >= 0x80 {
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			under = false
			b.WriteRune(r)
		} else {
			under = true
		}
	}
	n := b.String()
	return codecNames[n] || codecNames[strings.ReplaceAll(n, ".", "_")]
}

// universalNewlines turns "\r\n" and a lone "\r" into "\n", as CPython's
// tokenizer does before it reads a line (a lone "\r" ends a line there).
func universalNewlines(src []byte) []byte {
	i := bytes.IndexByte(src, '\r')
	if i < 0 {
		return src
	}
	out := make([]byte, 0, len(src))
	for ; i >= 0; i = bytes.IndexByte(src, '\r') {
		out = append(out, src[:i]...)
		out = append(out, '\n')
		src = src[i+1:]
		if len(src) > 0 && src[0] == '\n' {
			src = src[1:]
		}
	}
	return append(out, src...)
}

// logicalLine is one logical line of Python source.
type logicalLine struct {
	line, endLine int
	col, altcol   int // indentation with tabs to multiples of 8, and with tabs as 1
	indentBytes   int
	first         string // first word
	colonEnd      bool   // ends with ":" (a block follows)
	decorator     bool   // starts with "@"
	lineLen       int    // length of its first physical line
	start         int    // offset of its first physical line
	newline       int    // byte offset of the NEWLINE that ends it, -1 at the end of the file
}

// scanSource splits source into logical lines, CPython's tokenizer's way,
// and returns the first invalid escape in a string literal and the first
// tokenizer error (strings, numbers, brackets, continuations).
func scanSource(src []byte) scanned {
	s := &scanner{src: src, line: 1}
	lines, err := s.scan()
	return scanned{lines: lines, escape: s.escape, err: err, joins: s.joins, legacy: s.legacy, soft: s.soft, swaps: s.swaps}
}

// scanned is what scanSource finds.
type scanned struct {
	lines  []logicalLine
	escape *pyError // the first invalid escape, which the parser raises
	err    *pyError // the first tokenizer error
	joins  [][2]int // see scanner.joins
	legacy []int    // see scanner.legacy
	soft   []int    // see scanner.soft
	swaps  [][2]int // see scanner.swaps
}

// scan reads the logical lines.
func (s *scanner) scan() ([]logicalLine, *pyError) {
	src := s.src
	var out []logicalLine
	for s.pos < len(src) {
		lineStart := s.pos
		col, altcol := 0, 0
		for s.pos < len(src) {
			c := src[s.pos]
			if c == ' ' {
				col++
				altcol++
			} else if c == '\t' {
				col = (col/8 + 1) * 8
				altcol++
			} else if c == '\f' {
				col, altcol = 0, 0
			} else {
				break
			}
			s.pos++
		}
		indentBytes := s.pos - lineStart
		if s.pos >= len(src) {
			break
		}
		if c := src[s.pos]; c == '\n' || c == '\r' || c == '#' {
			s.skipLine()
			continue
		}
		// Indentation cannot be split with backslashes: the first
		// continuation after some indentation fixes the level; after none,
		// the next line's indentation counts. The first token, where
		// CPython reports the line's errors, is on a line below.
		for s.pos < len(src) && src[s.pos] == '\\' {
			start := s.pos
			if !s.continuation() {
				e := synErr(s.line, s.colOf(s.pos)+1, "unexpected character after line continuation character")
				e.stage = stageIndent
				return out, e
			}
			if s.pos >= len(src) {
				return out, tokErr(s.line-1, s.colOf(start)+1, "unexpected EOF while parsing")
			}
			fixed := col != 0
			for s.pos < len(src) && (src[s.pos] == ' ' || src[s.pos] == '\t' || src[s.pos] == '\f') {
				if !fixed {
					if src[s.pos] == '\t' {
						col = (col/8 + 1) * 8
					} else {
						col++
					}
					altcol++
				}
				s.pos++
			}
		}
		if s.pos >= len(src) {
			break
		}
		if c := src[s.pos]; c == '\n' || c == '\r' || c == '#' {
			s.skipLine() // continuations and blanks only: a blank line
			continue
		}
		ll := logicalLine{line: s.line, col: col, altcol: altcol, indentBytes: indentBytes, lineLen: s.physLen(lineStart), start: lineStart}
		j := s.pos
		for j < len(src) && (isIdent(src[j])) {
			j++
		}
		ll.first = string(src[s.pos:j])
		ll.decorator = src[s.pos] == '@'
		last, err := s.logical()
		if err == nil && last == 0 {
			continue // continuations and blanks only: no token, a blank line for CPython
		}
		if err != nil {
			// The tokenizer read this line's indentation before the error.
			ll.endLine, ll.newline = s.line, -1
			return append(out, ll), err
		}
		ll.colonEnd = last == ':'
		ll.endLine = s.line
		ll.newline = -1
		if s.pos > 0 && s.src[s.pos-1] == '\n' {
			ll.newline = s.pos - 1
		}
		out = append(out, ll)
	}
	return out, nil
}

type scanner struct {
	src      []byte
	pos      int
	line     int
	brackets []bracket
	// escape is the first invalid escape in a string literal ("\x4",
	// "\N{NO SUCH NAME}"): the parser raises it, not the tokenizer.
	escape *pyError
	// joins are the byte ranges that only continue a logical line: line
	// breaks and comments inside brackets, backslash continuations.
	joins [][2]int
	// legacy are the offsets of the names print and exec, which
	// tree-sitter's grammar takes for Python 2 statements; soft those of
	// the name type where it cannot start a type alias.
	legacy, soft []int
	// swaps are "except *": the star moves next to the keyword.
	swaps [][2]int
	// colAt and colLine remember the last column asked for: the offset,
	// and where its line starts. The scan asks in order, so each column
	// costs the bytes since the last one, not a rescan of the line.
	colAt, colLine int
}

func (s *scanner) join(from, to int) { s.joins = append(s.joins, [2]int{from, to}) }

// continuation consumes a backslash and the line break after it, when that
// is what s.pos is at, and reports whether it did.
func (s *scanner) continuation() bool {
	if s.pos+1 >= len(s.src) || s.src[s.pos] != '\\' || s.src[s.pos+1] != '\n' && s.src[s.pos+1] != '\r' {
		return false
	}
	start := s.pos
	s.pos++
	if s.src[s.pos] == '\r' && s.pos+1 < len(s.src) && s.src[s.pos+1] == '\n' {
		s.pos++
	}
	s.pos++
	s.line++
	s.join(start, s.pos)
	return true
}

// treeSitterInput is src as tree-sitter is given it, with no byte moved:
// every logical line on one physical line (what sc.joins names becomes
// spaces; tree-sitter's Python grammar takes a line inside brackets that is
// indented less than its block for a dedent, where CPython's tokenizer does
// not look at its indentation at all), and the names print and exec with a
// capital letter (its grammar still has Python 2's print and exec
// statements, and reads some Python 3 calls of print as those), "type"
// where no alias can follow as "tyPe", and "except *" as "except* ".
func treeSitterInput(src []byte, sc scanned) []byte {
	if len(sc.joins) == 0 && len(sc.legacy) == 0 && len(sc.soft) == 0 && len(sc.swaps) == 0 {
		return src
	}
	out := append([]byte(nil), src...)
	for _, j := range sc.joins {
		for i := j[0]; i < j[1] && i < len(out); i++ {
			out[i] = ' '
		}
	}
	for _, names := range [][]int{sc.legacy, sc.soft} {
		for _, at := range names {
			if at+2 < len(out) {
				out[at+2] -= 'a' - 'A' // prInt, exEc, tyPe
			}
		}
	}
	for _, sw := range sc.swaps {
		out[sw[0]], out[sw[1]] = '*', ' ' // "except *E" -> "except* E"
	}
	return out
}

// legacyCall turns a parse error at the name print or exec, or just after
// it where an expression starts, into CPython's own message, at the name.
func legacyCall(e *pyError, src []byte, sc scanned) *pyError {
	for _, at := range sc.legacy {
		name := "print"
		if bytes.HasPrefix(src[at:], []byte("exec")) {
			name = "exec"
		}
		next := skipBlanks(src, at+len(name))
		if next >= len(src) || next == at+len(name) {
			continue
		}
		if c := src[next]; !(isIdent(c) || c == '"' || c == '\'' || c == '{') {
			continue
		}
		line, col := position(src, at)
		_, nextCol := position(src, next)
		if e.Line == line && (e.Col == col || e.Col == nextCol) {
			return synErr(line, col, fmt.Sprintf("Missing parentheses in call to '%s'. Did you mean %s(...)?", name, name))
		}
	}
	return e
}

type bracket struct {
	c         byte
	line, col int
}

func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

func (s *scanner) physLen(start int) int {
	end := bytes.IndexByte(s.src[start:], '\n')
	if end < 0 {
		return len(s.src) - start
	}
	return len(strings.TrimRight(string(s.src[start:start+end]), "\r"))
}

// maxIndents is how many indentation levels CPython's tokenizer keeps,
// the top level's included.
const maxIndents = 100

// maxBrackets is how many brackets CPython's tokenizer keeps open at once.
const maxBrackets = 200

// colOf is the 1-based column (in bytes) of offset pos.
func (s *scanner) colOf(pos int) int {
	if pos < s.colAt {
		// Behind the last one asked (rare): from the line's start.
		return pos - bytes.LastIndexByte(s.src[:pos], '\n')
	}
	if i := bytes.LastIndexByte(s.src[s.colAt:pos], '\n'); i >= 0 {
		s.colLine = s.colAt + i + 1
	}
	s.colAt = pos
	return pos - s.colLine + 1
}

// position is the 1-based line and column (in bytes) of offset off.
func position(src []byte, off int) (line, col int) {
	return bytes.Count(src[:off], []byte("\n")) + 1, off - bytes.LastIndexByte(src[:off], '\n')
}

// skipBlanks returns the offset of the first byte from i that is not a
// space or a tab.
func skipBlanks(src []byte, i int) int {
	for i < len(src) && (src[i] == ' ' || src[i] == '\t') {
		i++
	}
	return i
}

func (s *scanner) skipLine() {
	for s.pos < len(s.src) && s.src[s.pos] != '\n' {
		s.pos++
	}
	if s.pos < len(s.src) {
		s.pos++
		s.line++
	}
}

// logical scans to the end of the current logical line and returns its last
// significant character.
func (s *scanner) logical() (byte, *pyError) {
	var last byte
	for s.pos < len(s.src) {
		c := s.src[s.pos]
		switch {
		case c == '#':
			start := s.pos
			for s.pos < len(s.src) && s.src[s.pos] != '\n' {
				s.pos++
			}
			if len(s.brackets) > 0 {
				s.join(start, s.pos)
			}
			continue // the newline ends the line, as without the comment
		case c == '\\':
			if s.continuation() {
				if s.pos >= len(s.src) {
					return last, tokErr(s.line-1, s.colOf(s.pos-1), "unexpected EOF while parsing")
				}
				continue
			}
			if s.pos+1 >= len(s.src) {
				return last, tokErr(s.line, s.colOf(s.pos)+1, "unexpected EOF while parsing")
			}
			// A backslash anywhere else: the tokenizer stops there.
			e := synErr(s.line, s.colOf(s.pos)+1, "unexpected character after line continuation character")
			e.stage = stageIndent
			return last, e
		case c == '\n':
			s.pos++
			s.line++
			if len(s.brackets) == 0 {
				return last, nil
			}
			s.join(s.pos-1, s.pos)
			continue
		case c == '\r' && len(s.brackets) > 0:
			s.join(s.pos, s.pos+1)
			s.pos++
			continue
		case c == '\r' || c == ' ' || c == '\t' || c == '\f':
			s.pos++
			continue
		case c == '\'' || c == '"':
			if err := s.str(s.pos, s.pos, ""); err != nil {
				return last, err
			}
			last = 'a'
			continue
		case isIdent(c) || c == '.' && s.pos+1 < len(s.src) && isDigit(s.src[s.pos+1]):
			if err := s.word(); err != nil {
				return last, err
			}
			last = 'a'
			continue
		case c == '(' || c == '[' || c == '{':
			if len(s.brackets) == maxBrackets {
				// CPython's tokenizer (MAXLEVEL), at the bracket past it
				return last, tokErr(s.line, s.colOf(s.pos), "too many nested parentheses")
			}
			s.brackets = append(s.brackets, bracket{c, s.line, s.colOf(s.pos)})
		case c == ')' || c == ']' || c == '}':
			if len(s.brackets) == 0 {
				return last, tokErr(s.line, s.colOf(s.pos), fmt.Sprintf("unmatched '%c'", c))
			}
			open := s.brackets[len(s.brackets)-1]
			if pair(open.c) != c {
				msg := fmt.Sprintf("closing parenthesis '%c' does not match opening parenthesis '%c'", c, open.c)
				if open.line != s.line {
					msg += fmt.Sprintf(" on line %d", open.line)
				}
				return last, tokErr(s.line, s.colOf(s.pos), msg)
			}
			s.brackets = s.brackets[:len(s.brackets)-1]
		}
		last = c
		s.pos++
	}
	if len(s.brackets) > 0 {
		b := s.brackets[len(s.brackets)-1]
		e := synErr(b.line, b.col, fmt.Sprintf("'%c' was never closed", b.c))
		e.stage = stageUnclosed
		return last, e
	}
	return last, nil
}

// word scans a name, or a string literal with its prefix (r, b, f, ...).
func (s *scanner) word() *pyError {
	start := s.pos
	if c := s.src[s.pos]; isDigit(c) || c == '.' {
		return s.number()
	}
	for s.pos < len(s.src) && isIdent(s.src[s.pos]) {
		s.pos++
	}
	if s.pos < len(s.src) && (s.src[s.pos] == '\'' || s.src[s.pos] == '"') && isStringPrefix(string(s.src[start:s.pos])) {
		return s.str(start, s.pos, strings.ToLower(string(s.src[start:s.pos])))
	}
	switch w := string(s.src[start:s.pos]); w {
	case "print", "exec":
		s.legacy = append(s.legacy, start)
	case "type":
		// A type alias is "type" and a name; "type(x)" is a call, which
		// tree-sitter's grammar can take for an alias.
		if j := skipBlanks(s.src, s.pos); j == s.pos || j >= len(s.src) || !isIdent(s.src[j]) || isDigit(s.src[j]) {
			s.soft = append(s.soft, start)
		}
	case "except":
		// "except *E" is "except* E" to CPython; tree-sitter's grammar
		// wants the star right after the keyword.
		if j := skipBlanks(s.src, s.pos); j > s.pos && j < len(s.src) && s.src[j] == '*' {
			s.swaps = append(s.swaps, [2]int{s.pos, j})
		}
	}
	return s.identifier(start)
}

// identifier checks a name's characters beyond ASCII as CPython's tokenizer
// does: a letter (or _) first, then letters, digits, marks and connectors.
func (s *scanner) identifier(start int) *pyError {
	w := s.src[start:s.pos]
	if !bytes.ContainsFunc(w, func(r rune) bool { return r >= utf8.RuneSelf }) {
		return nil
	}
	for i := 0; i < len(w); {
		r, n := utf8.DecodeRune(w[i:])
		ok := r == '_' || unicode.IsLetter(r) || unicode.Is(unicode.Nl, r) || unicode.Is(unicode.Other_ID_Start, r)
		if i > 0 {
			ok = ok || unicode.IsDigit(r) || unicode.In(r, unicode.Mn, unicode.Mc, unicode.Nd, unicode.Pc, unicode.Other_ID_Continue)
		}
		if !ok {
			at := s.colOf(start + i)
			if !unicode.IsPrint(r) {
				return tokErr(s.line, at, fmt.Sprintf("invalid non-printable character U+%04X", r))
			}
			return tokErr(s.line, at, fmt.Sprintf("invalid character '%c' (U+%04X)", r, r))
		}
		i += n
	}
	return nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// at returns the byte at i, or 0 past the end.
func (s *scanner) at(i int) byte {
	if i < len(s.src) {
		return s.src[i]
	}
	return 0
}

// number scans a numeric literal the way CPython's tokenizer does, with its
// errors: "invalid decimal literal", "invalid digit '8' in octal literal",
// leading zeros, and a literal run into a name ("1abc").
func (s *scanner) number() *pyError {
	start := s.pos
	bad := func(kind string) *pyError {
		return tokErr(s.line, s.colOf(s.pos), fmt.Sprintf("invalid %s literal", kind))
	}
	// digits scans digits with single underscores between them.
	digits := func(ok func(byte) bool, kind string) *pyError {
		for {
			for ok(s.at(s.pos)) {
				s.pos++
			}
			if s.at(s.pos) != '_' {
				return nil
			}
			s.pos++
			if !ok(s.at(s.pos)) {
				return bad(kind)
			}
		}
	}
	radix := func(ok func(byte) bool, kind string) *pyError {
		s.pos += 2
		if s.at(s.pos) == '_' {
			s.pos++
		}
		if !ok(s.at(s.pos)) {
			if isDigit(s.at(s.pos)) {
				return tokErr(s.line, s.colOf(s.pos)+1, fmt.Sprintf("invalid digit '%c' in %s literal", s.at(s.pos), kind))
			}
			return bad(kind)
		}
		if err := digits(ok, kind); err != nil {
			return err
		}
		if isDigit(s.at(s.pos)) {
			return tokErr(s.line, s.colOf(s.pos)+1, fmt.Sprintf("invalid digit '%c' in %s literal", s.at(s.pos), kind))
		}
		return s.endOfNumber(kind)
	}
	if s.at(s.pos) == '0' {
		switch s.at(s.pos + 1) {
		case 'x', 'X':
			return radix(isHex, "hexadecimal")
		case 'o', 'O':
			return radix(func(c byte) bool { return c >= '0' && c <= '7' }, "octal")
		case 'b', 'B':
			return radix(func(c byte) bool { return c == '0' || c == '1' }, "binary")
		}
	}
	if s.at(s.pos) != '.' {
		if err := digits(isDigit, "decimal"); err != nil {
			return err
		}
	}
	intEnd := s.pos
	isFloat := false
	if s.at(s.pos) == '.' {
		isFloat = true
		s.pos++
		if isDigit(s.at(s.pos)) {
			if err := digits(isDigit, "decimal"); err != nil {
				return err
			}
		}
	}
	if c := s.at(s.pos); c == 'e' || c == 'E' {
		e := s.pos
		s.pos++
		if c := s.at(s.pos); c == '+' || c == '-' {
			s.pos++
			if !isDigit(s.at(s.pos)) {
				return bad("decimal")
			}
		} else if !isDigit(s.at(s.pos)) {
			s.pos = e
			return s.endOfNumber("decimal")
		}
		isFloat = true
		if err := digits(isDigit, "decimal"); err != nil {
			return err
		}
	}
	if c := s.at(s.pos); c == 'j' || c == 'J' {
		s.pos++
		return s.endOfNumber("imaginary")
	}
	if !isFloat && s.src[start] == '0' && strings.Trim(string(s.src[start:intEnd]), "0_") != "" {
		return tokErr(s.line, s.colOf(start), "leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers")
	}
	return s.endOfNumber("decimal")
}

// endOfNumber: a literal may be followed by a keyword ("1if x else 2", with
// a warning), not by another name character.
func (s *scanner) endOfNumber(kind string) *pyError {
	c := s.at(s.pos)
	if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c)) {
		return nil
	}
	rest := s.src[s.pos:]
	for _, kw := range []string{"and", "else", "for", "if", "in", "is", "not", "or"} {
		if bytes.HasPrefix(rest, []byte(kw)) {
			return nil
		}
	}
	return tokErr(s.line, s.colOf(s.pos), fmt.Sprintf("invalid %s literal", kind))
}

func pair(c byte) byte {
	switch c {
	case '(':
		return ')'
	case '[':
		return ']'
	}
	return '}'
}

func isStringPrefix(p string) bool {
	switch strings.ToLower(p) {
	case "r", "u", "f", "b", "br", "rb", "fr", "rf":
		return true
	}
	return false
}

// str scans a string literal whose prefix starts at start and whose quote
// is at q; f-strings' replacement fields are scanned as code (PEP 701).
func (s *scanner) str(start, q int, prefix string) *pyError {
	quote := s.src[q]
	triple := q+2 < len(s.src) && s.src[q+1] == quote && s.src[q+2] == quote
	raw := strings.Contains(prefix, "r")
	fstr := strings.Contains(prefix, "f")
	startLine, startCol := s.line, s.colOf(start)
	s.pos = q + 1
	if triple {
		s.pos = q + 3
	}
	for s.pos < len(s.src) {
		c := s.src[s.pos]
		switch {
		case c == '\\' && s.pos+1 < len(s.src):
			if s.src[s.pos+1] == '\n' {
				s.line++
			}
			if !raw && s.escape == nil {
				if msg := badEscape(s.src[s.pos:], strings.Contains(prefix, "b")); msg != "" {
					s.escape = synErr(startLine, startCol, msg)
				}
			}
			if fstr && (s.src[s.pos+1] == '{' || s.src[s.pos+1] == '}') {
				s.pos++ // "\{" in an f-string: the brace is still a brace
				continue
			}
			s.pos += 2
			continue
		case c == '\n':
			if !triple {
				return tokErr(startLine, startCol, fmt.Sprintf("unterminated string literal (detected at line %d)", startLine))
			}
			s.line++
		case c == quote:
			if !triple {
				s.pos++
				return nil
			}
			if s.pos+2 < len(s.src) && s.src[s.pos+1] == quote && s.src[s.pos+2] == quote {
				s.pos += 3
				return nil
			}
		case fstr && c == '{':
			if s.pos+1 < len(s.src) && s.src[s.pos+1] == '{' {
				s.pos += 2
				continue
			}
			if err := s.field(); err != nil {
				return err
			}
			continue
		}
		_ = raw
		s.pos++
	}
	if triple {
		return tokErr(startLine, startCol, fmt.Sprintf("unterminated triple-quoted string literal (detected at line %d)", s.line))
	}
	return tokErr(startLine, startCol, fmt.Sprintf("unterminated string literal (detected at line %d)", startLine))
}

// field scans an f-string replacement field from its "{" to its "}".
func (s *scanner) field() *pyError {
	depth := 0
	s.pos++ // the "{"
	for s.pos < len(s.src) {
		c := s.src[s.pos]
		switch {
		case c == '\n':
			s.line++
		case c == '#':
			for s.pos < len(s.src) && s.src[s.pos] != '\n' {
				s.pos++
			}
			continue
		case c == '\'' || c == '"':
			if err := s.str(s.pos, s.pos, ""); err != nil {
				return err
			}
			continue
		case isIdent(c) || c == '.' && s.pos+1 < len(s.src) && isDigit(s.src[s.pos+1]):
			if err := s.word(); err != nil {
				return err
			}
			continue
		case c == '(' || c == '[' || c == '{':
			depth++
		case c == ')' || c == ']':
			depth--
		case c == '}':
			if depth == 0 {
				s.pos++
				return nil
			}
			depth--
		case c == ':' && depth == 0:
			return s.formatSpec()
		}
		s.pos++
	}
	return nil // the enclosing string reports the missing end
}

// formatSpec scans a replacement field's format spec from its ":" to the
// field's "}": text, with nested fields.
func (s *scanner) formatSpec() *pyError {
	s.pos++
	for s.pos < len(s.src) {
		switch s.src[s.pos] {
		case '{':
			if err := s.field(); err != nil {
				return err
			}
			continue
		case '}':
			s.pos++
			return nil
		case '\n':
			s.line++
		case '\'', '"':
			return nil // the end of the string: it reports the unclosed field
		}
		s.pos++
	}
	return nil
}

var blockNames = map[string]string{
	"def": "function definition", "class": "class definition", "if": "'if' statement", "elif": "'elif' statement",
	"else": "'else' statement", "for": "'for' statement", "while": "'while' statement", "try": "'try' statement",
	"except": "'except' statement", "finally": "'finally' statement", "with": "'with' statement",
	"match": "'match' statement", "case": "'case' statement",
}

// checkIndent applies the tokenizer's and the parser's indentation rules to
// the logical lines.
// complete is false when the tokenizer stopped early (the last line is not
// known to end the file).
func checkIndent(lines []logicalLine, complete bool) *pyError {
	stack, alt := []int{0}, []int{0}
	for i, ll := range lines {
		top := stack[len(stack)-1]
		var prev *logicalLine
		if i > 0 {
			prev = &lines[i-1]
		}
		switch {
		case ll.col == top:
			if ll.altcol != alt[len(alt)-1] {
				return &pyError{Type: "TabError", Line: ll.line, Col: 1, Msg: "inconsistent use of tabs and spaces in indentation", rule: RuleSyntax, stage: stageIndent, indent: true}
			}
		case ll.col > top:
			if ll.altcol <= alt[len(alt)-1] {
				return &pyError{Type: "TabError", Line: ll.line, Col: 1, Msg: "inconsistent use of tabs and spaces in indentation", rule: RuleSyntax, stage: stageIndent, indent: true}
			}
			if prev == nil || !prev.colonEnd {
				return &pyError{Type: "IndentationError", Line: ll.line, Col: ll.indentBytes, Msg: "unexpected indent", rule: RuleSyntax, stage: stageFixed, indent: true}
			}
			if len(stack) == maxIndents {
				// CPython's tokenizer (MAXINDENT): the 100th level
				return &pyError{Type: "IndentationError", Line: ll.line, Col: 1, Msg: "too many levels of indentation", rule: RuleSyntax, stage: stageIndent, indent: true}
			}
			stack, alt = append(stack, ll.col), append(alt, ll.altcol)
			continue
		default:
			for len(stack) > 1 && ll.col < stack[len(stack)-1] {
				stack, alt = stack[:len(stack)-1], alt[:len(alt)-1]
			}
			if ll.col != stack[len(stack)-1] {
				return &pyError{Type: "IndentationError", Line: ll.line, Col: ll.lineLen + 1, Msg: "unindent does not match any outer indentation level", rule: RuleSyntax, stage: stageIndent, indent: true}
			}
			if ll.altcol != alt[len(alt)-1] {
				return &pyError{Type: "TabError", Line: ll.line, Col: 1, Msg: "inconsistent use of tabs and spaces in indentation", rule: RuleSyntax, stage: stageIndent, indent: true}
			}
			if prev != nil && prev.decorator {
				// A decorator needs its definition at its own level.
				return &pyError{Type: "IndentationError", Line: ll.line, Col: 0, Msg: "unexpected unindent", rule: RuleSyntax, stage: stageFixed, indent: true}
			}
		}
		if prev != nil && prev.colonEnd {
			return expectedIndent(prev, ll.line, ll.indentBytes+1)
		}
	}
	if n := len(lines); complete && n > 0 && lines[n-1].colonEnd {
		return expectedIndent(&lines[n-1], lines[n-1].endLine+1, 1)
	}
	return nil
}

func expectedIndent(header *logicalLine, line, col int) *pyError {
	what := blockNames[header.first]
	if header.first == "async" {
		what = "function definition"
	}
	msg := "expected an indented block"
	if what != "" {
		msg += fmt.Sprintf(" after %s on line %d", what, header.line)
	}
	return &pyError{Type: "IndentationError", Line: line, Col: col, Msg: msg, rule: RuleSyntax, indent: true}
}

// badEscape checks the escape sequence at the start of b (b[0] is the
// backslash) and returns CPython's complaint, or "".
func badEscape(b []byte, bytesLit bool) string {
	need := 0
	switch b[1] {
	case 'x':
		need = 2
	case 'u', 'U':
		if bytesLit {
			return ""
		}
		need = 4
		if b[1] == 'U' {
			need = 8
		}
	case 'N':
		if bytesLit {
			return ""
		}
		end := bytes.IndexByte(b, '}')
		nl := bytes.IndexByte(b, '\n')
		if len(b) < 3 || b[2] != '{' || end < 0 || nl >= 0 && nl < end || end == 3 {
			return "(unicode error) 'unicodeescape' codec can't decode bytes: malformed \\N character escape"
		}
		if !unicodeName(string(b[3:end])) {
			return "(unicode error) 'unicodeescape' codec can't decode bytes: unknown Unicode character name"
		}
		return ""
	default:
		return ""
	}
	codec := "unicodeescape"
	if bytesLit {
		if len(b) >= 4 && isHex(b[2]) && isHex(b[3]) {
			return ""
		}
		return "(value error) invalid \\x escape"
	}
	v := 0
	for i := 0; i < need; i++ {
		if 2+i >= len(b) || !isHex(b[2+i]) {
			return fmt.Sprintf("(unicode error) '%s' codec can't decode bytes: truncated \\%c%s escape", codec, b[1], strings.Repeat("X", need))
		}
		v = v*16 + hexVal(b[2+i])
	}
	if v > 0x10FFFF {
		return fmt.Sprintf("(unicode error) '%s' codec can't decode bytes: illegal Unicode character", codec)
	}
	return ""
}

func hexVal(c byte) int {
	switch {
	case c >= 'a':
		return int(c-'a') + 10
	case c >= 'A':
		return int(c-'A') + 10
	}
	return int(c - '0')
}

// lexTok is a token of forgotComma's small lexer.
type lexTok struct {
	kind       byte // 'n' name, 's' string, '1' number, else the operator's byte
	start, end int
	depth      int // brackets open before it
	text       string
}

// forgotComma looks in src[from:to] (one logical line) for two expressions
// side by side inside brackets, which CPython reports as "invalid syntax.
// Perhaps you forgot a comma?" at the first of them (the commonest broken
// DAG: a keyword argument without its comma, before the next one). It
// returns the offset of that first expression, or -1.
func forgotComma(src []byte, from, to int) int {
	s := &scanner{src: src[:to], pos: from, line: 1}
	var toks []lexTok
	depth := 0
	for s.pos < len(s.src) {
		c := s.src[s.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\f' || c == '\r' || c == '\n':
			s.pos++
			continue
		case c == '\\':
			s.pos += 2
			continue
		case c == '#':
			for s.pos < len(s.src) && s.src[s.pos] != '\n' {
				s.pos++
			}
			continue
		}
		start := s.pos
		t := lexTok{start: start, depth: depth}
		switch {
		case c == '\'' || c == '"':
			if s.str(start, start, "") != nil {
				return -1
			}
			t.kind = 's'
		case isIdent(c) || c == '.' && s.pos+1 < len(s.src) && isDigit(s.src[s.pos+1]):
			if s.word() != nil {
				return -1
			}
			switch last := s.src[s.pos-1]; {
			case last == '\'' || last == '"':
				t.kind = 's'
			case isDigit(c) || c == '.':
				t.kind = '1'
			default:
				t.kind = 'n'
			}
		default:
			t.kind = c
			s.pos++
			switch c {
			case '(', '[', '{':
				depth++
			case ')', ']', '}':
				depth--
				t.depth = depth
			}
		}
		t.end = s.pos
		t.text = string(src[t.start:t.end])
		toks = append(toks, t)
	}
	ends := func(t lexTok) bool {
		return t.kind == 's' || t.kind == '1' || t.kind == ')' || t.kind == ']' || t.kind == '}' || t.kind == 'n' && !operatorWords[t.text]
	}
	starts := func(t lexTok) bool {
		return t.kind == 's' || t.kind == '1' || t.kind == 'n' && !operatorWords[t.text]
	}
	for i := 1; i < len(toks); i++ {
		a, b := toks[i-1], toks[i]
		if b.depth == 0 || !ends(a) || !starts(b) || a.kind == 's' && b.kind == 's' {
			continue
		}
		// The first expression runs back to the delimiter before it.
		j := i - 1
		for j > 0 {
			p := toks[j-1]
			if p.depth < a.depth || p.depth == a.depth && (p.kind == ',' || p.kind == '=' || p.kind == ':' || p.kind == 'n' && operatorWords[p.text] && p.text != "not") {
				break
			}
			j--
		}
		if t := toks[j]; t.kind == 'n' && j+1 < len(toks) && toks[j+1].kind == 's' && j+1 == i {
			continue // NAME STRING: CPython leaves that to other rules
		}
		return toks[j].start
	}
	return -1
}

// operatorWords are keywords that sit between expressions.
var operatorWords = map[string]bool{
	"and": true, "or": true, "not": true, "in": true, "is": true, "if": true, "else": true, "for": true, "async": true,
	"lambda": true, "await": true, "yield": true, "from": true, "as": true, "return": true, "del": true, "assert": true,
	"import": true, "raise": true, "with": true, "while": true, "elif": true, "except": true, "global": true, "nonlocal": true,
	"case": true, "match": true, "print": true, "exec": true,
}
