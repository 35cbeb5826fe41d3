package validate

import "fmt"

// Severity of a finding.
type Severity string

// Severities.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Finding is one problem, at a file (relative to the checked folder) and,
// where known, a line and column (1-based).
type Finding struct {
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	// File is the file's path relative to the current directory (or to
	// the path base: see Report.Relocate), as CI systems resolve it; Rel is
	// its path inside the DAG folder.
	File    string `json:"file"`
	Rel     string `json:"rel,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Message string `json:"message"`
	// Also is another file the message names (a duplicate dag_id's first
	// definition), on the same base as File: Relocate moves both.
	Also string `json:"also,omitempty"`
}

func (f Finding) String() string {
	loc := f.File
	if f.Line > 0 {
		loc += fmt.Sprintf(":%d", f.Line)
		if f.Column > 0 {
			loc += fmt.Sprintf(":%d", f.Column)
		}
	}
	return fmt.Sprintf("%s: %s [%s] %s", loc, f.Severity, f.Rule, f.Message)
}
