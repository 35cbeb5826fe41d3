package python

import (
	"fmt"
	"strconv"
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
				if r, ok := runeNamed(s[i+1:i+end], newestMinor); ok {
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

// newestMinor is the newest Python 3 minor version known here.
const newestMinor = 13

// runeNamed is the code point a \N{name} escape names in Python 3.minor:
// the Unicode character names (case does not matter), the names of CJK
// ideographs and Hangul syllables that the database computes, and the name
// aliases of minor's database (\N{NBSP}, \N{BOM}). The names' table is
// built on first use, since few files use \N{...}.
func runeNamed(name string, minor int) (rune, bool) {
	name = strings.ToUpper(name)
	if a, ok := nameAliases[name]; ok && minor >= int(a.minor) {
		return a.r, true
	}
	for _, p := range []string{"CJK UNIFIED IDEOGRAPH-", "CJK COMPATIBILITY IDEOGRAPH-"} {
		if hex, ok := strings.CutPrefix(name, p); ok {
			v, err := strconv.ParseUint(hex, 16, 32)
			if err == nil && (len(hex) == 4 || len(hex) == 5) && runenames.Name(rune(v)) != "" {
				return rune(v), true
			}
			return 0, false
		}
	}
	if s, ok := strings.CutPrefix(name, "HANGUL SYLLABLE "); ok {
		return hangul(s)
	}
	namesOnce.Do(func() {
		runeNames = make(map[string]rune, 1<<15)
		for r := rune(0); r <= utf8.MaxRune; r++ {
			if n := runenames.Name(r); n != "" && n[0] != '<' {
				runeNames[n] = r
			}
		}
	})
	r, ok := runeNames[name]
	return r, ok
}

// hangul is the syllable a "HANGUL SYLLABLE" name spells (Unicode's
// algorithm: initial, medial and final jamo).
func hangul(s string) (rune, bool) {
	initials := []string{"G", "GG", "N", "D", "DD", "R", "M", "B", "BB", "S", "SS", "", "J", "JJ", "C", "K", "T", "P", "H"}
	medials := []string{"A", "AE", "YA", "YAE", "EO", "E", "YEO", "YE", "O", "WA", "WAE", "OE", "YO", "U", "WEO", "WE", "WI", "YU", "EU", "YI", "I"}
	finals := []string{"", "G", "GG", "GS", "N", "NJ", "NH", "D", "L", "LG", "LM", "LB", "LS", "LT", "LP", "LH", "M", "B", "BS", "S", "SS", "NG", "J", "C", "K", "T", "P", "H"}
	for l, a := range initials {
		rest, ok := strings.CutPrefix(s, a)
		if !ok {
			continue
		}
		for v, b := range medials {
			last, ok := strings.CutPrefix(rest, b)
			if !ok {
				continue
			}
			for t, c := range finals {
				if last == c {
					return rune(0xAC00 + (l*21+v)*28 + t), true
				}
			}
		}
	}
	return 0, false
}

// utf8Error is the error CPython's UTF-8 codec raises on body (which is not
// valid UTF-8) as the string rule reads it: over the whole body where it
// holds no escape (whole), else over each run of bytes outside ASCII, as
// its escape decoder hands them to the codec.
func utf8Error(body string, whole bool) string {
	start := 0
	for i := 0; i < len(body); {
		if body[i] < utf8.RuneSelf {
			i++
			continue
		}
		if !whole && (i == 0 || body[i-1] < utf8.RuneSelf) {
			start = i
		}
		end := len(body)
		if !whole {
			end = i
			for end < len(body) && body[end] >= utf8.RuneSelf {
				end++
			}
		}
		r, n := utf8.DecodeRuneInString(body[i:end])
		if r != utf8.RuneError || n > 1 {
			i += n
			continue
		}
		return "(unicode error) " + utf8DecodeError(body[i:end], i-start)
	}
	return ""
}

// utf8DecodeError is Python's message for the invalid UTF-8 at the start of
// b, at position pos of what it decodes: "'utf-8' codec can't decode byte
// 0xe9 in position 0: unexpected end of data".
func utf8DecodeError(b string, pos int) string {
	c := b[0]
	lo, hi, need := 0x80, 0xBF, 0
	switch {
	case c < 0xC2 || c > 0xF4:
		return fmt.Sprintf("'utf-8' codec can't decode byte 0x%02x in position %d: invalid start byte", c, pos)
	case c < 0xE0:
		need = 1
	case c < 0xF0:
		need = 2
		if c == 0xE0 {
			lo = 0xA0
		} else if c == 0xED {
			hi = 0x9F
		}
	default:
		need = 3
		if c == 0xF0 {
			lo = 0x90
		} else if c == 0xF4 {
			hi = 0x8F
		}
	}
	why := "invalid continuation byte"
	k := 1
	for ; k <= need; k++ {
		if k >= len(b) {
			why = "unexpected end of data"
			break
		}
		if b[k] < byte(lo) || b[k] > byte(hi) {
			break
		}
		lo, hi = 0x80, 0xBF
	}
	if k > 1 {
		return fmt.Sprintf("'utf-8' codec can't decode bytes in position %d-%d: %s", pos, pos+k-1, why)
	}
	return fmt.Sprintf("'utf-8' codec can't decode byte 0x%02x in position %d: %s", c, pos, why)
}

// literalError is the error CPython raises as it reads a string
// literal's body (between its quotes; an f-string's literal part, whose
// positions count from its start), or "": a bytes literal with a
// character outside ASCII, an escape the unicode_escape codec refuses (a
// short \x, \u or \U, a code point past U+10FFFF, a malformed or unknown
// \N{...}), a short \x in bytes. Positions are the codec's: in bytes of
// its input, where CPython writes each character outside ASCII as a
// ten-byte \U escape.
func literalError(body string, raw, isBytes bool, minor int) string {
	if !isBytes && !utf8.ValidString(body) {
		return utf8Error(body, raw || strings.IndexByte(body, '\\') < 0)
	}
	if isBytes {
		for i := 0; i < len(body); i++ {
			if body[i] >= utf8.RuneSelf {
				if minor == 9 {
					return "bytes can only contain ASCII literal characters."
				}
				return "bytes can only contain ASCII literal characters"
			}
		}
	}
	if raw || strings.IndexByte(body, '\\') < 0 {
		return ""
	}
	// at is the codec's position of each byte of body.
	at := make([]int, len(body)+1)
	pos := 0
	for i := 0; i < len(body); {
		at[i] = pos
		if body[i] < utf8.RuneSelf || isBytes {
			pos++
			i++
			continue
		}
		_, n := utf8.DecodeRuneInString(body[i:])
		for k := 1; k < n; k++ {
			at[i+k] = pos
		}
		pos += 10
		i += n
	}
	at[len(body)] = pos
	bad := func(from, to int, what string) string {
		return fmt.Sprintf("(unicode error) 'unicodeescape' codec can't decode bytes in position %d-%d: %s", at[from], at[to], what)
	}
	for i := 0; i+1 < len(body); i++ {
		if body[i] != '\\' {
			continue
		}
		e := body[i+1]
		switch {
		case e == 'x' && isBytes:
			if _, ok := hexValue(body, i+2, 2); !ok {
				return fmt.Sprintf("(value error) invalid \\x escape at position %d", i)
			}
		case (e == 'x' || e == 'u' || e == 'U') && !isBytes:
			need := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			k := 0
			for k < need && i+2+k < len(body) && isHexDigit(body[i+2+k]) {
				k++
			}
			if k < need {
				return bad(i, i+1+k, fmt.Sprintf("truncated \\%c%s escape", e, strings.Repeat("X", need)))
			}
			if v, _ := hexValue(body, i+2, need); v > utf8.MaxRune {
				return bad(i, i+1+k, "illegal Unicode character")
			}
		case e == 'N' && !isBytes:
			end := strings.IndexByte(body[i:], '}')
			switch {
			case i+2 >= len(body) || body[i+2] != '{':
				return bad(i, i+1, "malformed \\N character escape")
			case end < 0:
				return bad(i, len(body)-1, "malformed \\N character escape")
			case end == 3:
				return bad(i, i+2, "malformed \\N character escape")
			}
			if _, ok := runeNamed(body[i+3:i+end], minor); !ok {
				return bad(i, i+end, "unknown Unicode character name")
			}
		}
		i++ // the escaped character
	}
	return ""
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'f'
}
