package main

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkRe splits a claim's checks: PACKAGE:TestName, or
// BENCHMARKS.md:"a quote with spaces".
var checkRe = regexp.MustCompile(`BENCHMARKS\.md:"[^"]*"|\S+`)

// Every claim README.claims maps is still in the README as quoted, and
// every test named for it still exists: removing a test that checks a
// README sentence, or rewording the sentence, fails here (issue 21).
func TestClaimsAreChecked(t *testing.T) {
	root := "../.."
	space := regexp.MustCompile(`\s+`)
	norm := func(s string) string { return space.ReplaceAllString(strings.TrimSpace(s), " ") }
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	text := norm(string(readme))
	benchmarks, err := os.ReadFile(filepath.Join(root, "BENCHMARKS.md"))
	require.NoError(t, err)

	f, err := os.Open(filepath.Join(root, "README.claims"))
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	claims := 0
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		quote, checks, ok := strings.Cut(line, "\t")
		require.True(t, ok, "README.claims:%d: a quote, a tab, the checks", n)
		claims++
		assert.Contains(t, text, norm(quote), "README.claims:%d: the README no longer says this", n)
		fields := checkRe.FindAllString(checks, -1)
		require.NotEmpty(t, fields, "README.claims:%d: no check named", n)
		for _, c := range fields {
			pkg, name, ok := strings.Cut(c, ":")
			require.True(t, ok, "README.claims:%d: %q is not PACKAGE:TestName", n, c)
			if pkg == "BENCHMARKS.md" {
				assert.Contains(t, string(benchmarks), strings.Trim(name, `"`), "README.claims:%d", n)
				continue
			}
			files, err := filepath.Glob(filepath.Join(root, pkg, "*_test.go"))
			require.NoError(t, err)
			found := false
			for _, file := range files {
				b, err := os.ReadFile(file)
				require.NoError(t, err)
				if strings.Contains(string(b), "\nfunc "+name+"(t *testing.T)") || strings.Contains(string(b), "\nfunc "+name+"(b *testing.B)") {
					found = true
					break
				}
			}
			assert.True(t, found, "README.claims:%d: %s names a test that does not exist", n, c)
		}
	}
	require.NoError(t, sc.Err())
	assert.GreaterOrEqual(t, claims, 25)
}
