package python

import (
	"strings"
	"unicode/utf8"
)

// Before 3.12 an f-string is one STRING token, and CPython reads what is
// inside it when the parser has its strings (the action of the strings
// rule): fstringError is that reading, as Parser/string_parser.c does it: literal text with doubled braces, then
// replacement fields whose expression, conversion and format spec it
// checks. It returns CPython's message for the first fault, or "".
// p.inner is set to the error of a field's expression (CPython before 3.12
// gives its place in the expression, not in the file).
func (p *parser) fstringError(tok string) string {
	prefix := strings.IndexAny(tok, `'"`)
	if prefix < 0 || !strings.ContainsAny(tok[:prefix], "fF") {
		return ""
	}
	raw := strings.ContainsAny(tok[:prefix], "rR")
	body := tok[prefix:]
	q := 1
	if len(body) >= 6 && (strings.HasPrefix(body, `'''`) || strings.HasPrefix(body, `"""`)) {
		q = 3
	}
	if len(body) < 2*q {
		return ""
	}
	return p.fstringBody(body[q:len(body)-q], raw)
}

// fstringBody reads literal text and fields up to the end of s. Each
// stretch of literal text (up to a field, or a doubled brace's first) is
// decoded on its own, as CPython does.
func (p *parser) fstringBody(s string, raw bool) string {
	chunk := 0 // where the literal text not yet decoded starts
	literal := func(end int) string { return fstringLiteralError(s[chunk:end], raw, p.minor) }
	for i := literalEnd(s, 0, raw); i < len(s); i = literalEnd(s, i, raw) {
		switch c := s[i]; {
		case i+1 < len(s) && s[i+1] == c:
			if msg := literal(i + 1); msg != "" {
				return msg
			}
			i += 2
			chunk = i
		case c == '}':
			return "f-string: single '}' is not allowed"
		default:
			if msg := literal(i); msg != "" {
				return msg
			}
			n, msg := p.fstringField(s[i+1:], raw, 0)
			if msg != "" {
				if p.inner != nil {
					// On the line of the string the field is on (its
					// column stays the expression's own).
					p.inner.Line += strings.Count(s[:i], "\n")
				}
				return msg
			}
			i += 1 + n
			chunk = i
		}
	}
	return literal(len(s))
}

// literalEnd is where the literal text of a pre-3.12 f-string's body s
// that goes on at i ends: at the first brace no escape holds (\N{...}
// holds its own braces; a backslash holds none: \{ is a backslash, then a
// field), or at its end.
func literalEnd(s string, i int, raw bool) int {
	for i < len(s) {
		switch c := s[i]; {
		case c == '\\' && !raw && i+1 < len(s):
			if s[i+1] == 'N' && i+2 < len(s) && s[i+2] == '{' {
				if j := strings.IndexByte(s[i:], '}'); j >= 0 {
					i += j + 1
					continue
				}
			}
			if s[i+1] == '{' || s[i+1] == '}' {
				i++
				continue
			}
			i += 2
		case c == '{' || c == '}':
			return i
		default:
			i++
		}
	}
	return len(s)
}

// fstringField reads a replacement field after its '{': the expression,
// up to a '=', '!', ':' or '}' outside brackets and strings, then the
// conversion and the format spec, whose fields are one level deeper
// (depth: CPython allows one). It returns how much it read (the '}'
// included) or CPython's message.
func (p *parser) fstringField(s string, raw bool, depth int) (int, string) {
	var stack []byte
	var quote string
	i := 0
	end := -1
scan:
	for ; i < len(s); i++ {
		c := s[i]
		if c == '\\' {
			return 0, "f-string expression part cannot include a backslash" // even in a string
		}
		if quote != "" {
			if strings.HasPrefix(s[i:], quote) {
				i += len(quote) - 1
				quote = ""
			}
			continue
		}
		switch c {
		case '\\':
			return 0, "f-string expression part cannot include a backslash"
		case '#':
			return 0, "f-string expression part cannot include '#'"
		case '\'', '"':
			quote = string(c)
			if strings.HasPrefix(s[i:], strings.Repeat(string(c), 3)) {
				quote = strings.Repeat(string(c), 3)
				i += 2
			}
		case '(', '[', '{':
			stack = append(stack, c)
		case ')', ']':
			if len(stack) == 0 {
				return 0, "f-string: unmatched '" + string(c) + "'"
			}
			if stack[len(stack)-1] != opening(c) {
				return 0, "f-string: closing parenthesis '" + string(c) + "' does not match opening parenthesis '" + string(stack[len(stack)-1]) + "'"
			}
			stack = stack[:len(stack)-1]
		case '}':
			if len(stack) > 0 {
				if stack[len(stack)-1] != '{' {
					return 0, "f-string: closing parenthesis '}' does not match opening parenthesis '" + string(stack[len(stack)-1]) + "'"
				}
				stack = stack[:len(stack)-1]
				continue
			}
			end = i
			break scan
		case '=', '!', ':':
			if len(stack) > 0 {
				continue
			}
			if c == '=' && i+1 < len(s) && s[i+1] == '=' || c == '!' && i+1 < len(s) && s[i+1] == '=' {
				i++
				continue
			}
			if c == '=' && i > 0 && strings.ContainsRune("=!<>", rune(s[i-1])) {
				continue
			}
			end = i
			break scan
		}
	}
	if quote != "" {
		return 0, "f-string: unterminated string"
	}
	if end < 0 {
		return 0, "f-string: expecting '}'"
	}
	expr := s[:end]
	if strings.TrimSpace(expr) == "" {
		if p.minor == 11 && s[end] != '}' {
			return 0, "f-string: expression required before '" + s[end:end+1] + "'"
		}
		return 0, "f-string: empty expression not allowed"
	}
	if e := Parse([]byte("("+expr+")\n"), p.minor); e != nil {
		if e.Type != "SyntaxError" {
			return 0, e.Msg
		}
		p.inner = &Error{Type: e.Type, Line: e.Line, Col: e.Col, Msg: "f-string: " + e.Msg}
		return 0, "f-string: " + e.Msg
	}
	i = end
	if s[i] == '=' {
		i++
		for i < len(s) && s[i] == ' ' {
			i++
		}
	}
	if i < len(s) && s[i] == '!' {
		i++
		if i >= len(s) {
			return 0, "f-string: expecting '}'"
		}
		if c := s[i]; c != 's' && c != 'r' && c != 'a' {
			return 0, "f-string: invalid conversion character: expected 's', 'r', or 'a'"
		}
		i++
		if i >= len(s) || s[i] != ':' && s[i] != '}' {
			return 0, "f-string: expecting '}'"
		}
	}
	if i < len(s) && s[i] == ':' {
		// The format spec: text and nested fields (read as fields, quotes
		// and all) up to the field's '}'.
		i++
		chunk := i // the spec's literal text not yet decoded
		for i < len(s) && s[i] != '}' {
			if s[i] != '{' {
				i++
				continue
			}
			if msg := fstringLiteralError(s[chunk:i], raw, p.minor); msg != "" {
				return 0, msg
			}
			if depth >= 1 {
				return 0, "f-string: expressions nested too deeply"
			}
			n, msg := p.fstringField(s[i+1:], raw, depth+1)
			if msg != "" {
				return 0, msg
			}
			i += 1 + n
			chunk = i
		}
		if msg := fstringLiteralError(s[chunk:min(i, len(s))], raw, p.minor); msg != "" {
			return 0, msg
		}
	}
	if i >= len(s) || s[i] != '}' {
		return 0, "f-string: expecting '}'"
	}
	return i + 1, ""
}

// fstringLiteralError is literalError for a literal part of an f-string
// before 3.12, whose bytes outside ASCII CPython decodes run by run unless
// the f-string is raw.
func fstringLiteralError(s string, raw bool, minor int) string {
	if !raw && !utf8.ValidString(s) {
		return utf8Error(s, false)
	}
	return literalError(s, raw, false, minor)
}
