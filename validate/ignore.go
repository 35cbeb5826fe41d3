package validate

import (
	"fmt"
	"path"
	"regexp"
	"strings"
)

// Ignore file syntaxes.
const (
	SyntaxRegexp = "regexp"
	SyntaxGlob   = "glob"
)

// IgnoreFile is the name Airflow reads in every folder.
const IgnoreFile = ".airflowignore"

// ignoreRule is one compiled line of an .airflowignore.
type ignoreRule struct {
	re *regexp.Regexp
	// glob only: false for a "!" line, which re-includes.
	include bool
	// glob only: the folder (relative to the DAG folder) an anchored
	// pattern is relative to; "" with anchored=false means the base name.
	relTo    string
	anchored bool
}

var commentRe = regexp.MustCompile(`\s*#.*`)

// parseIgnore compiles the lines of an ignore file found in folder dir
// (relative to the DAG folder, "" for the root), as Airflow does: text from
// "#" on is dropped, then empty lines. Lines that do not compile are
// returned as findings; Airflow skips them with a warning.
func parseIgnore(content, dir, file, syntax string) ([]ignoreRule, []Finding) {
	var rules []ignoreRule
	var bad []Finding
	for i, line := range strings.Split(content, "\n") {
		line = commentRe.ReplaceAllString(line, "")
		if line == "" {
			continue
		}
		r, err := compileIgnore(line, dir, syntax)
		if err != nil {
			bad = append(bad, Finding{Rule: RuleIgnorePattern, File: file, Line: i + 1,
				Message: fmt.Sprintf("pattern %q does not compile (%v); Airflow skips this line", line, err)})
			continue
		}
		if r != nil {
			rules = append(rules, *r)
		}
	}
	return rules, bad
}

func compileIgnore(line, dir, syntax string) (*ignoreRule, error) {
	if syntax == SyntaxRegexp {
		re, err := regexp.Compile(line)
		if err != nil {
			return nil, err
		}
		return &ignoreRule{re: re, include: true}, nil
	}
	if strings.TrimSpace(line) == "/" {
		return nil, nil // a no-op in gitignore; Airflow warns and skips it
	}
	r := &ignoreRule{include: true}
	if strings.HasPrefix(line, "/") || strings.Contains(strings.TrimRight(line, "/"), "/") {
		r.anchored, r.relTo = true, dir
	}
	expr, include, err := gitWildMatch(line)
	if err != nil {
		return nil, err
	}
	if expr == "" {
		return nil, nil
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, err
	}
	r.re, r.include = re, include
	return r, nil
}

// ignored reports whether the path rel (relative to the DAG folder) is
// ignored by rules, for a folder when isDir.
func ignored(rules []ignoreRule, syntax, rel string, isDir bool) bool {
	if syntax == SyntaxRegexp {
		for _, r := range rules {
			if r.re.MatchString(rel) {
				return true
			}
		}
		return false
	}
	matched := false
	for _, r := range rules {
		p := path.Base(rel)
		if r.anchored {
			p = strings.TrimPrefix(strings.TrimPrefix(rel, r.relTo), "/")
		}
		if isDir {
			p += "/"
		}
		if r.re.MatchString(p) {
			matched = r.include
		}
	}
	return matched
}

// gitWildMatch translates a gitignore ("gitwildmatch") pattern into a
// regular expression, with the semantics of Python's pathspec, which Airflow
// uses. It returns "" for a pattern that matches nothing.
func gitWildMatch(pat string) (string, bool, error) {
	include := true
	if strings.HasPrefix(pat, "!") {
		include, pat = false, pat[1:]
	} else if strings.HasPrefix(pat, `\!`) || strings.HasPrefix(pat, `\#`) {
		pat = pat[1:]
	}
	// Trailing spaces are dropped unless escaped.
	for strings.HasSuffix(pat, " ") && !strings.HasSuffix(pat, `\ `) {
		pat = pat[:len(pat)-1]
	}
	if pat == "" {
		return "", include, nil
	}
	segs := strings.Split(pat, "/")
	if segs[0] == "" {
		segs = segs[1:] // anchored: "/x"
	} else if len(segs) == 1 || (len(segs) == 2 && segs[1] == "") {
		if segs[0] != "**" {
			segs = append([]string{"**"}, segs...)
		}
	}
	if len(segs) > 1 && segs[len(segs)-1] == "" {
		segs[len(segs)-1] = "**" // "dir/" matches what is inside dir
	}
	var b strings.Builder
	b.WriteString("^")
	needSlash := false
	end := len(segs) - 1
	for i, seg := range segs {
		switch {
		case seg == "**" && i == 0 && i == end:
			b.WriteString(`[^/]+(?:/.*)?`)
		case seg == "**" && i == 0:
			b.WriteString(`(?:.+/)?`)
			needSlash = false
		case seg == "**" && i == end:
			b.WriteString(`/.*`)
		case seg == "**":
			b.WriteString(`(?:/.+)?`)
			needSlash = true
		case seg == "":
			return "", include, fmt.Errorf("empty path segment")
		default:
			if needSlash {
				b.WriteString("/")
			}
			s, err := globSegment(seg)
			if err != nil {
				return "", include, err
			}
			b.WriteString(s)
			if i == end {
				b.WriteString(`(?:/.*)?`)
			}
			needSlash = true
		}
	}
	b.WriteString("$")
	return b.String(), include, nil
}

// globSegment translates one path segment of a glob.
func globSegment(seg string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		switch c {
		case '\\':
			if i+1 < len(seg) {
				i++
				b.WriteString(regexp.QuoteMeta(string(seg[i])))
			}
		case '*':
			b.WriteString(`[^/]*`)
		case '?':
			b.WriteString(`[^/]`)
		case '[':
			j := i + 1
			if j < len(seg) && (seg[j] == '!' || seg[j] == '^') {
				j++
			}
			if j < len(seg) && seg[j] == ']' {
				j++
			}
			for j < len(seg) && seg[j] != ']' {
				j++
			}
			if j >= len(seg) {
				b.WriteString(`\[`) // no closing bracket: a literal "["
				continue
			}
			class := seg[i+1 : j]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			class = strings.ReplaceAll(class, `\`, `\\`)
			b.WriteString("[" + class + "]")
			i = j
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	return b.String(), nil
}
