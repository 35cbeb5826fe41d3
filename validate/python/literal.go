package python

import (
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/unicode/runenames"
)

// decodeLiteral is the value of a string literal's text between its quotes
// (an f-string's literal part), its escapes read as CPython reads them; a
// str as UTF-8 (a lone surrogate as its three bytes, as Python's
// "surrogatepass" writes it), bytes as those bytes. An escape CPython does
// not know stays as written (CPython warns); an escape it refuses (a short
// \x, an unknown \N name) cannot reach here: Parse refused the source.
func decodeLiteral(s string, raw, isBytes bool) string {
	if raw || strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var out strings.Builder
	out.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			out.WriteByte(c)
			i++
			continue
		}
		e := s[i+1]
		i += 2
		switch e {
		case '\n':
		case '\\', '\'', '"':
			out.WriteByte(e)
		case 'a':
			out.WriteByte('\a')
		case 'b':
			out.WriteByte('\b')
		case 'f':
			out.WriteByte('\f')
		case 'n':
			out.WriteByte('\n')
		case 'r':
			out.WriteByte('\r')
		case 't':
			out.WriteByte('\t')
		case 'v':
			out.WriteByte('\v')
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v := rune(e - '0')
			for k := 0; k < 2 && i < len(s) && s[i] >= '0' && s[i] <= '7'; k++ {
				v = v*8 + rune(s[i]-'0')
				i++
			}
			writeCode(&out, v, isBytes)
		case 'x', 'u', 'U':
			digits := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			if isBytes && e != 'x' {
				out.WriteString(s[i-2 : i])
				continue
			}
			v, ok := hexValue(s, i, digits)
			if !ok {
				out.WriteString(s[i-2 : i])
				continue
			}
			i += digits
			writeCode(&out, v, isBytes)
		case 'N':
			if isBytes {
				out.WriteString(s[i-2 : i])
				continue
			}
			if end := strings.IndexByte(s[i:], '}'); i < len(s) && s[i] == '{' && end > 0 {
				if r, ok := runeNamed(s[i+1 : i+end]); ok {
					writeCode(&out, r, false)
					i += end + 1
					continue
				}
			}
			out.WriteString(s[i-2 : i])
		default:
			out.WriteString(s[i-2 : i])
		}
	}
	return out.String()
}

// hexValue reads n hex digits of s at i.
func hexValue(s string, i, n int) (rune, bool) {
	if i+n > len(s) {
		return 0, false
	}
	var v rune
	for _, c := range []byte(s[i : i+n]) {
		switch {
		case c >= '0' && c <= '9':
			v = v*16 + rune(c-'0')
		case c|0x20 >= 'a' && c|0x20 <= 'f':
			v = v*16 + rune(c|0x20-'a'+10)
		default:
			return 0, false
		}
	}
	return v, true
}

// writeCode writes code point (or, for bytes, byte) v.
func writeCode(out *strings.Builder, v rune, isBytes bool) {
	switch {
	case isBytes:
		out.WriteByte(byte(v))
	case v >= 0xD800 && v <= 0xDFFF:
		out.WriteByte(byte(0xE0 | v>>12))
		out.WriteByte(byte(0x80 | v>>6&0x3F))
		out.WriteByte(byte(0x80 | v&0x3F))
	case v > utf8.MaxRune:
		out.WriteRune(utf8.RuneError)
	default:
		out.WriteRune(v)
	}
}

var (
	namesOnce sync.Once
	runeNames map[string]rune
)

// runeNamed is the code point a \N{name} escape names.
func runeNamed(name string) (rune, bool) {
	namesOnce.Do(func() {
		runeNames = map[string]rune{}
		for r := rune(0); r <= utf8.MaxRune; r++ {
			if n := runenames.Name(r); n != "" && n[0] != '<' {
				runeNames[n] = r
			}
		}
	})
	r, ok := runeNames[strings.ToUpper(name)]
	return r, ok
}
