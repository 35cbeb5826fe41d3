package validate

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestGlobIgnore(t *testing.T) {
	tests := []struct {
		name  string
		lines string
		dir   string // folder of the ignore file
		path  string
		isDir bool
		want  bool
	}{
		{"basename anywhere", "*.tmp", "", "a/b/x.tmp", false, true},
		{"basename no match", "*.tmp", "", "a/b/x.py", false, false},
		{"folder only: folder", "scratch/", "", "team/scratch", true, true},
		{"folder only: file", "scratch/", "", "team/scratch", false, false},
		{"anchored at the ignore file", "/build", "", "build", true, true},
		{"anchored: not deeper", "/build", "", "x/build", true, false},
		{"middle slash anchors", "team/old_*.py", "", "team/old_dag.py", false, true},
		{"middle slash anchors to the ignore file's folder", "old/*.py", "team", "team/old/a.py", false, true},
		{"negation: last match wins", "*.py\n!keep.py", "", "keep.py", false, false},
		{"negation then ignore again", "*.py\n!keep.py\nkeep.py", "", "keep.py", false, true},
		{"double star", "**/tests/**", "", "a/tests/b.py", false, true},
		{"comment and blank", "# all\n\n*.sql  # sql files", "", "q.sql", false, true},
		{"lone slash is a no-op", "/", "", "a.py", false, false},
		{"character class", "dag_[0-9].py", "", "dag_7.py", false, true},
		{"negated class", "dag_[!0-9].py", "", "dag_7.py", false, false},
		{"question mark", "dag_?.py", "", "dag_ab.py", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules, bad := parseIgnore(tt.lines, tt.dir, ".airflowignore", SyntaxGlob)
			assert.Empty(t, bad)
			assert.Equal(t, tt.want, ignored(rules, SyntaxGlob, tt.path, tt.isDir))
		})
	}
}

func TestRegexpIgnore(t *testing.T) {
	rules, bad := parseIgnore("helpers\n^team/old\n[unclosed\n(?=x)", "sub", ".airflowignore", SyntaxRegexp)
	assert.Len(t, bad, 2, "two lines do not compile")
	assert.Equal(t, 4, bad[1].Line)
	assert.True(t, ignored(rules, SyntaxRegexp, "a/helpers_x.py", false), "unanchored search")
	assert.True(t, ignored(rules, SyntaxRegexp, "team/old_dag.py", false), "relative to the DAG folder root")
	assert.False(t, ignored(rules, SyntaxRegexp, "x/team/old_dag.py", false))
}
