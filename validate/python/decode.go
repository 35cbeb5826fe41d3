package python

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

var codingRe = regexp.MustCompile(`^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)`)

// Decode applies PEP 263 (BOM, coding cookie) to a file's bytes and returns
// its text with its newlines normalised, UTF-8 where a coding comment
// declares another codec, and whether one declares its encoding; or the
// error CPython raises for a null byte, an unknown codec, a BOM beside
// another codec, or bytes the declared codec refuses.
func Decode(src []byte) ([]byte, bool, *Error) {
	if i := bytes.IndexByte(src, 0); i >= 0 {
		return nil, false, &Error{Type: "SyntaxError", Line: bytes.Count(src[:i], []byte("\n")) + 1, Msg: "source code string cannot contain null bytes"}
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
		return nil, false, &Error{Type: "SyntaxError", Msg: "encoding problem: " + cookie + " with BOM"}
	}
	switch {
	case enc == "" || enc == "utf-8" || enc == "utf8" || strings.HasPrefix(enc, "utf-8-"):
		// Not checked here: CPython reads the bytes as they are and only
		// the UTF-8 of a name or a string literal is decoded (by the
		// tokenizer, by the string rule), in the order the parse reaches
		// them. A comment's bytes are never decoded.
		return src, cookie != "", nil
	case enc == "latin-1" || enc == "latin1" || enc == "iso-8859-1" || enc == "iso8859-1" || enc == "iso-latin-1" || enc == "l1" || enc == "8859" || enc == "cp819":
		var b bytes.Buffer
		for _, c := range src {
			b.WriteRune(rune(c))
		}
		return b.Bytes(), true, nil
	case enc == "ascii" || enc == "us-ascii":
		for i, c := range src {
			if c >= 0x80 {
				return nil, false, &Error{Type: "SyntaxError", Line: bytes.Count(src[:i], []byte("\n")) + 1, Msg: fmt.Sprintf("(unicode error) 'ascii' codec can't decode byte 0x%02x", c)}
			}
		}
		return src, cookie != "", nil
	}
	if !knownCodec(enc) {
		return nil, false, &Error{Type: "SyntaxError", Msg: "unknown encoding: " + cookie}
	}
	// Another codec Python knows (cp1252, euc-jp, ...): ASCII, which all
	// Python syntax is, reads the same; its other bytes are read one
	// character each (as Latin-1), so that the front end, which reads
	// UTF-8, sees text.
	if !utf8.Valid(src) {
		var b bytes.Buffer
		for _, c := range src {
			b.WriteRune(rune(c))
		}
		return b.Bytes(), true, nil
	}
	return src, cookie != "", nil
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
