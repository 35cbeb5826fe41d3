package validate

import (
	"strconv"
	"strings"
	"sync"

	"golang.org/x/text/unicode/runenames"
)

var (
	unicodeNamesOnce sync.Once
	unicodeNames     map[string]bool
)

// unicodeName reports whether "\N{name}" names a character: the Unicode
// character names (case does not matter), and the names of CJK ideographs
// and Hangul syllables that the database computes. The table is built on
// first use, since few files use \N{...}. Name aliases (\N{NBSP}) are not
// known here: see the README's list of differences.
func unicodeName(name string) bool {
	name = strings.ToUpper(name)
	for _, p := range []string{"CJK UNIFIED IDEOGRAPH-", "CJK COMPATIBILITY IDEOGRAPH-"} {
		if hex, ok := strings.CutPrefix(name, p); ok {
			v, err := strconv.ParseUint(hex, 16, 32)
			return err == nil && (len(hex) == 4 || len(hex) == 5) && runenames.Name(rune(v)) != ""
		}
	}
	if strings.HasPrefix(name, "HANGUL SYLLABLE ") {
		return true
	}
	unicodeNamesOnce.Do(func() {
		unicodeNames = make(map[string]bool, 1<<15)
		for r := rune(0); r <= 0x10FFFF; r++ {
			if n := runenames.Name(r); n != "" && n[0] != '<' {
				unicodeNames[n] = true
			}
		}
	})
	return unicodeNames[name]
}
