package validate

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
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
}

func synErr(line, col int, msg string) *pyError {
	return &pyError{Type: "SyntaxError", Line: line, Col: col, Msg: msg, rule: RuleSyntax}
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
	src = bytes.TrimPrefix(src, []byte("\xef\xbb\xbf"))
	enc := ""
	lines := bytes.SplitN(src, []byte("\n"), 3)
	for i := 0; i < len(lines) && i < 2; i++ {
		if m := codingRe.FindSubmatch(lines[i]); m != nil {
			enc = strings.ToLower(strings.ReplaceAll(string(m[1]), "_", "-"))
			break
		}
		if t := bytes.TrimSpace(lines[i]); len(t) > 0 && t[0] != '#' {
			break // the cookie must be on line 1, or on line 2 after a comment
		}
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
			lineStart := bytes.LastIndexByte(src[:bad], '\n') + 1
			e := synErr(bytes.Count(src[:bad], []byte("\n"))+1, bad-lineStart+1,
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
	// Another codec Python knows (cp1252, euc-jp, ...): parse the bytes as
	// they are; ASCII, which all Python syntax is, reads the same.
	return src, nil
}

// logicalLine is one logical line of Python source.
type logicalLine struct {
	line, endLine int
	col, altcol   int // indentation with tabs to multiples of 8, and with tabs as 1
	indentBytes   int
	first         string // first word
	colonEnd      bool   // ends with ":" (a block follows)
	lineLen       int    // length of its first physical line
}

// scanLines splits source into logical lines, CPython's tokenizer's way, and
// returns the first tokenizer error (strings, brackets, continuations).
func scanLines(src []byte) ([]logicalLine, *pyError) {
	s := &scanner{src: src, line: 1}
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
		if src[s.pos] == '\\' && s.pos+1 < len(src) && (src[s.pos+1] == '\n' || src[s.pos+1] == '\r') {
			// A lone continuation joins this line to the next.
		}
		ll := logicalLine{line: s.line, col: col, altcol: altcol, indentBytes: indentBytes, lineLen: s.physLen(lineStart)}
		j := s.pos
		for j < len(src) && (isIdent(src[j])) {
			j++
		}
		ll.first = string(src[s.pos:j])
		last, err := s.logical()
		if err != nil {
			return out, err
		}
		ll.colonEnd = last == ':'
		ll.endLine = s.line
		out = append(out, ll)
	}
	return out, nil
}

type scanner struct {
	src      []byte
	pos      int
	line     int
	brackets []bracket
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

func (s *scanner) colOf(pos int) int { return pos - (bytes.LastIndexByte(s.src[:pos], '\n') + 1) + 1 }

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
			for s.pos < len(s.src) && s.src[s.pos] != '\n' {
				s.pos++
			}
		case c == '\\':
			if s.pos+1 < len(s.src) && (s.src[s.pos+1] == '\n' || s.src[s.pos+1] == '\r') {
				s.pos++
				if s.src[s.pos] == '\r' && s.pos+1 < len(s.src) && s.src[s.pos+1] == '\n' {
					s.pos++
				}
				s.pos++
				s.line++
				if s.pos >= len(s.src) {
					return last, synErr(s.line-1, s.colOf(s.pos-1), "unexpected EOF while parsing")
				}
				continue
			}
			if s.pos+1 >= len(s.src) {
				return last, synErr(s.line, s.colOf(s.pos)+1, "unexpected EOF while parsing")
			}
			s.pos++
			last = c
		case c == '\n':
			s.pos++
			s.line++
			if len(s.brackets) == 0 {
				return last, nil
			}
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
		case isIdent(c):
			if err := s.word(); err != nil {
				return last, err
			}
			last = 'a'
			continue
		case c == '(' || c == '[' || c == '{':
			s.brackets = append(s.brackets, bracket{c, s.line, s.colOf(s.pos)})
		case c == ')' || c == ']' || c == '}':
			if len(s.brackets) == 0 {
				return last, synErr(s.line, s.colOf(s.pos), fmt.Sprintf("unmatched '%c'", c))
			}
			open := s.brackets[len(s.brackets)-1]
			if pair(open.c) != c {
				msg := fmt.Sprintf("closing parenthesis '%c' does not match opening parenthesis '%c'", c, open.c)
				if open.line != s.line {
					msg += fmt.Sprintf(" on line %d", open.line)
				}
				return last, synErr(s.line, s.colOf(s.pos), msg)
			}
			s.brackets = s.brackets[:len(s.brackets)-1]
		}
		last = c
		s.pos++
	}
	if len(s.brackets) > 0 {
		b := s.brackets[len(s.brackets)-1]
		return last, synErr(b.line, b.col, fmt.Sprintf("'%c' was never closed", b.c))
	}
	return last, nil
}

// word scans a name, or a string literal with its prefix (r, b, f, ...).
func (s *scanner) word() *pyError {
	start := s.pos
	for s.pos < len(s.src) && isIdent(s.src[s.pos]) {
		s.pos++
	}
	if s.pos < len(s.src) && (s.src[s.pos] == '\'' || s.src[s.pos] == '"') && isStringPrefix(string(s.src[start:s.pos])) {
		return s.str(start, s.pos, strings.ToLower(string(s.src[start:s.pos])))
	}
	return nil
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
			s.pos += 2
			continue
		case c == '\n':
			if !triple {
				return synErr(startLine, startCol, fmt.Sprintf("unterminated string literal (detected at line %d)", startLine))
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
		return synErr(startLine, startCol, fmt.Sprintf("unterminated triple-quoted string literal (detected at line %d)", s.line))
	}
	return synErr(startLine, startCol, fmt.Sprintf("unterminated string literal (detected at line %d)", startLine))
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
		case isIdent(c):
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
		}
		s.pos++
	}
	return nil // the enclosing string reports the missing end
}

var blockNames = map[string]string{
	"def": "function definition", "class": "class definition", "if": "'if' statement", "elif": "'elif' statement",
	"else": "'else' statement", "for": "'for' statement", "while": "'while' statement", "try": "'try' statement",
	"except": "'except' statement", "finally": "'finally' statement", "with": "'with' statement",
	"match": "'match' statement", "case": "'case' statement",
}

// checkIndent applies the tokenizer's and the parser's indentation rules to
// the logical lines.
func checkIndent(lines []logicalLine, src []byte) *pyError {
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
				return &pyError{Type: "TabError", Line: ll.line, Col: 1, Msg: "inconsistent use of tabs and spaces in indentation", rule: RuleSyntax}
			}
		case ll.col > top:
			if ll.altcol <= alt[len(alt)-1] {
				return &pyError{Type: "TabError", Line: ll.line, Col: 1, Msg: "inconsistent use of tabs and spaces in indentation", rule: RuleSyntax}
			}
			if prev == nil || !prev.colonEnd {
				return &pyError{Type: "IndentationError", Line: ll.line, Col: ll.indentBytes, Msg: "unexpected indent", rule: RuleSyntax}
			}
			stack, alt = append(stack, ll.col), append(alt, ll.altcol)
			continue
		default:
			for len(stack) > 1 && ll.col < stack[len(stack)-1] {
				stack, alt = stack[:len(stack)-1], alt[:len(alt)-1]
			}
			if ll.col != stack[len(stack)-1] {
				return &pyError{Type: "IndentationError", Line: ll.line, Col: ll.lineLen + 1, Msg: "unindent does not match any outer indentation level", rule: RuleSyntax}
			}
			if ll.altcol != alt[len(alt)-1] {
				return &pyError{Type: "TabError", Line: ll.line, Col: 1, Msg: "inconsistent use of tabs and spaces in indentation", rule: RuleSyntax}
			}
		}
		if prev != nil && prev.colonEnd {
			return expectedIndent(prev, ll.line, ll.indentBytes+1)
		}
	}
	if n := len(lines); n > 0 && lines[n-1].colonEnd {
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
	return &pyError{Type: "IndentationError", Line: line, Col: col, Msg: msg, rule: RuleSyntax}
}
