package main

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"
)

// didYouMean returns " (did you mean X?)" for the candidate closest to
// word, when one is close enough to be a slip (an edit or two, or a
// prefix), else "".
func didYouMean(word string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		d := editDistance(strings.ToLower(word), c)
		if len(word) >= 3 && strings.HasPrefix(c, strings.ToLower(word)) {
			d = min(d, 1)
		}
		if d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" || bestDist > max(1, len(word)/3) {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

// editDistance is the Levenshtein distance of a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// flagSuggestion is didYouMean for the flag an "unknown flag: --x" error
// of fset names.
func flagSuggestion(fset *pflag.FlagSet, err error) string {
	name, ok := strings.CutPrefix(err.Error(), "unknown flag: --")
	if !ok {
		return ""
	}
	var names []string
	fset.VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
	if s := didYouMean(name, names); s != "" {
		return strings.Replace(s, "mean ", "mean --", 1)
	}
	return ""
}
