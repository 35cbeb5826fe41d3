package python

import (
	"bytes"
	"strings"

	"github.com/dagnfs/dagnfs/validate/python/ast"
)

// The builder's strings: adjacent literals are one Constant, or one
// JoinedStr when an f-string is among them, whose literal parts are merged
// as CPython merges them.

// strParts is the literal text of a JoinedStr being read, not yet a node.
type strParts struct {
	buf      strings.Builder
	off, end int32 // where the text's pieces start and end (3.12 and later)
	any      bool  // a piece was added (the text may still be empty)
}

func (s *strParts) add(text string, off, end int32) {
	if !s.any {
		s.off = off
	}
	s.buf.WriteString(text)
	s.end = end
	s.any = true
}

// flush pushes the text as a Constant (none when empty).
func (b *builder) flush(s *strParts) {
	if s.any && s.buf.Len() > 0 {
		n := b.push(ast.Constant, s.off, s.end)
		n.Field, n.Op = ast.Values, ast.Str
		b.tree.SetString(n, s.buf.String(), false)
	}
	s.buf.Reset()
	s.any = false
}

// strPrefix splits a string token's text into its prefix (lower case) and
// the rest.
func strPrefix(text string) (string, string) {
	i := strings.IndexAny(text, `'"`)
	if i < 0 {
		return "", text
	}
	return strings.ToLower(text[:i]), text[i:]
}

// strBody is a literal's text between its quotes.
func strBody(quoted string) string {
	q := 1
	if len(quoted) >= 6 && (strings.HasPrefix(quoted, `'''`) || strings.HasPrefix(quoted, `"""`)) {
		q = 3
	}
	if len(quoted) < 2*q {
		return ""
	}
	return quoted[q : len(quoted)-q]
}

// strings reads adjacent string literals.
func (b *builder) strings() *ast.Node {
	m := b.mark()
	off := b.off()
	first := b.cur()
	var parts strParts
	joined, isBytes := false, false
	for b.err == nil {
		t := b.cur()
		if t.Kind == FStringStart {
			joined = true
			b.fstring(&parts)
			continue
		}
		if t.Kind != String {
			break
		}
		b.next()
		prefix, quoted := strPrefix(b.text(t))
		isBytes = strings.Contains(prefix, "b")
		raw := strings.Contains(prefix, "r")
		if strings.Contains(prefix, "f") {
			joined = true
			b.oldFString(&parts, t, quoted, raw)
			continue
		}
		parts.add(decodeLiteral(strBody(quoted), raw, isBytes), t.Off+b.shift, t.EndOff+b.shift)
	}
	if !joined {
		b.stack = b.stack[:m]
		n := b.push(ast.Constant, off, b.prevEnd)
		n.Op = ast.Str
		if isBytes {
			n.Op = ast.Bytes
		}
		prefix, _ := strPrefix(b.text(first))
		b.tree.SetString(n, parts.buf.String(), prefix == "u")
		return n
	}
	b.flush(&parts)
	n := b.finish(ast.JoinedStr, m, off)
	if b.minor < 12 {
		// Before 3.12 the parts of a JoinedStr are placed where it is.
		for c := range b.tree.Children(n) {
			c.Off, c.EndOff = n.Off, n.EndOff
		}
	}
	return n
}

// fstring reads an f-string's tokens (3.12 and later) into parts.
func (b *builder) fstring(parts *strParts) {
	start := b.next()
	prefix, _ := strPrefix(b.text(start))
	raw := strings.Contains(prefix, "r")
	for b.err == nil {
		t := b.cur()
		switch {
		case t.Kind == FStringEnd:
			b.next()
			return
		case t.Kind == FStringMiddle:
			b.next()
			parts.add(decodeLiteral(b.text(t), raw, false), t.Off+b.shift, b.middleEnd(t))
		case b.is("{"):
			b.field(parts, raw)
		default:
			b.defect("an f-string's part")
			return
		}
	}
}

// middleEnd is where an FSTRING_MIDDLE's text ends: past the second
// brace of a doubled one, which the token leaves out.
func (b *builder) middleEnd(t Token) int32 {
	if e := t.EndOff; e > t.Off && int(e) < len(b.src) && (b.src[e-1] == '{' || b.src[e-1] == '}') && b.src[e] == b.src[e-1] {
		return e + 1 + b.shift
	}
	return t.EndOff + b.shift
}

// field reads a replacement field (3.12 and later) as a FormattedValue,
// after the literal text before it (and its own text, for a '=').
func (b *builder) field(parts *strParts, raw bool) {
	m := b.mark()
	off := b.off()
	textOff := b.next().EndOff // after the {
	b.as(ast.Value, b.starExpressionsOrYield())
	conversion := -1
	debug := b.accept("=")
	if debug {
		// The text from the { to the next token, as written, its
		// comments left out.
		end := b.cur().Off
		parts.add(withoutComments(b.src[textOff:end]), textOff+b.shift, end+b.shift)
	}
	if b.accept("!") {
		if t := b.next(); t.EndOff > t.Off {
			conversion = int(b.src[t.Off])
		} else {
			b.defect("a conversion")
		}
	}
	if b.is(":") {
		sm := b.mark()
		soff := b.off()
		b.next()
		var spec strParts
		for b.err == nil && !b.is("}") {
			t := b.cur()
			if t.Kind == FStringMiddle {
				b.next()
				spec.add(decodeLiteral(b.text(t), raw, false), t.Off+b.shift, b.middleEnd(t))
				continue
			}
			b.field(&spec, raw)
		}
		b.flush(&spec)
		b.finish(ast.JoinedStr, sm, soff).Field = ast.FormatSpec
	}
	if debug && conversion < 0 && b.top().Field != ast.FormatSpec {
		conversion = 'r'
	}
	b.expect("}")
	b.finishField(parts, m, off, conversion)
}

// finishField makes the FormattedValue whose children were pushed since m
// and puts the literal text before it.
func (b *builder) finishField(parts *strParts, m int, off int32, conversion int) {
	fv := b.finish(ast.FormattedValue, m, off)
	fv.Field = ast.Values
	ast.SetAux(fv, conversion)
	i := b.pop()
	b.flush(parts)
	b.stack = append(b.stack, i)
}

// withoutComments is s without its comments (from a '#' outside strings
// to the end of its line).
func withoutComments(s []byte) string {
	if bytes.IndexByte(s, '#') < 0 {
		return string(s)
	}
	out := make([]byte, 0, len(s))
	var quote []byte
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case quote != nil && c == '\\' && i+1 < len(s):
			out = append(out, s[i:i+2]...)
			i += 2
		case quote != nil && bytes.HasPrefix(s[i:], quote):
			out = append(out, quote...)
			i += len(quote)
			quote = nil
		case quote != nil:
			out = append(out, c)
			i++
		case c == '\'' || c == '"':
			n := 1
			if bytes.HasPrefix(s[i:], []byte{c, c, c}) {
				n = 3
			}
			quote = s[i : i+n]
			out = append(out, quote...)
			i += n
		case c == '#':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		default:
			out = append(out, c)
			i++
		}
	}
	return string(out)
}

// oldFString reads an f-string token (before 3.12): its literal text and
// its fields, each field's expression parsed from its own text, as
// CPython parsed "(" + expression + ")".
func (b *builder) oldFString(parts *strParts, t Token, quoted string, raw bool) {
	body := strBody(quoted)
	bodyOff := t.EndOff - int32(len(quoted)) + int32((len(quoted)-len(body))/2) + b.shift
	b.oldFStringBody(parts, body, bodyOff, raw)
}

// oldFStringBody reads literal text and fields from s, which stands at off
// in the tree's source, up to its end.
func (b *builder) oldFStringBody(parts *strParts, s string, off int32, raw bool) {
	lit := 0 // where the literal text not yet added starts
	addLit := func(end int) {
		if end > lit {
			text := doubledBraces.Replace(s[lit:end])
			parts.add(decodeLiteral(text, raw, false), off+int32(lit), off+int32(end))
		}
	}
	for i := literalEnd(s, 0, raw); i < len(s) && b.err == nil; i = literalEnd(s, i, raw) {
		if i+1 < len(s) && s[i+1] == s[i] {
			i += 2 // a doubled brace: literal text
			continue
		}
		if s[i] == '}' {
			i++ // a single '}' (only in a source not judged): literal text
			continue
		}
		addLit(i)
		n := b.oldField(parts, s[i+1:], off+int32(i+1), raw)
		i += 1 + n
		lit = i
	}
	addLit(len(s))
}

// oldField reads a replacement field after its '{' (before 3.12) and
// returns how much of s it took, its '}' included.
func (b *builder) oldField(parts *strParts, s string, off int32, raw bool) int {
	end := fieldExprEnd(s)
	if end < 0 {
		b.defect("an f-string's field")
		return len(s)
	}
	m := b.mark()
	b.as(ast.Value, b.subExpression(s[:end], off))
	i := end
	conversion := -1
	debug := s[i] == '='
	if debug {
		i++
		for i < len(s) && s[i] == ' ' {
			i++
		}
		parts.add(s[:i], off, off+int32(i))
	}
	if i < len(s) && s[i] == '!' {
		if i+1 >= len(s) {
			b.defect("a conversion")
			return len(s)
		}
		conversion = int(s[i+1])
		i += 2
	}
	if i < len(s) && s[i] == ':' {
		sm := b.mark()
		i++
		var spec strParts
		specStart := i
		for i < len(s) && s[i] != '}' && b.err == nil {
			if s[i] == '{' {
				if i > specStart {
					spec.add(s[specStart:i], off+int32(specStart), off+int32(i))
				}
				b.flush(&spec)
				n := b.oldField(&spec, s[i+1:], off+int32(i+1), raw)
				i += 1 + n
				specStart = i
				continue
			}
			i++
		}
		if i > specStart {
			spec.add(s[specStart:i], off+int32(specStart), off+int32(i))
		}
		b.flush(&spec)
		b.finish(ast.JoinedStr, sm, off).Field = ast.FormatSpec
	} else if debug && conversion < 0 {
		conversion = 'r'
	}
	b.finishField(parts, m, off, conversion)
	return i + 1
}

// fieldExprEnd is where a field's expression ends in s (at a '=', '!',
// ':' or '}' outside brackets and strings), or -1.
func fieldExprEnd(s string) int {
	depth := 0
	var quote string
	for i := 0; i < len(s); i++ {
		c := s[i]
		if quote != "" {
			if strings.HasPrefix(s[i:], quote) {
				i += len(quote) - 1
				quote = ""
			}
			continue
		}
		switch c {
		case '\'', '"':
			quote = string(c)
			if strings.HasPrefix(s[i:], strings.Repeat(string(c), 3)) {
				quote = strings.Repeat(string(c), 3)
				i += 2
			}
		case '(', '[', '{':
			depth++
		case ')', ']':
			depth--
		case '}':
			if depth == 0 {
				return i
			}
			depth--
		case '=', '!', ':', '<', '>':
			if depth > 0 {
				continue
			}
			next := byte(0)
			if i+1 < len(s) {
				next = s[i+1]
			}
			switch {
			case c == '<' || c == '>':
				if next == '=' {
					i++
				}
			case next == '=' && (c == '=' || c == '!'):
				i++
			case c == '!' || c == ':' || c == '=':
				return i
			}
		}
	}
	return -1
}

// subExpression builds "(" + expr + ")", expr standing at off in the
// tree's source, as CPython before 3.12 built a field's expression.
func (b *builder) subExpression(expr string, off int32) *ast.Node {
	src := []byte("(" + expr + ")")
	ts, err := tokenize(src, b.minor, false)
	if err != nil {
		b.defect("a field's expression")
		return b.leaf(ast.Name, Token{})
	}
	sub := &builder{src: src, minor: b.minor, toks: ts, n: ts.Len(), shift: off - 1, tree: b.tree}
	sub.load()
	n := sub.paren()
	if sub.err != nil && b.err == nil {
		b.err = sub.err
	}
	b.stack = append(b.stack, sub.pop())
	return n
}

// doubledBraces undoes the doubled braces of an f-string's literal text.
var doubledBraces = strings.NewReplacer("{{", "{", "}}", "}")
