package validate

import (
	"slices"
	"sort"
)

// Rule ids. They are stable: users silence them by name.
const (
	RuleSyntax         = "syntax"
	RuleEncoding       = "encoding"
	RuleDuplicateDagID = "duplicate-dag-id"
	RuleSymlinkEscape  = "symlink-escape"
	RuleSymlinkLoop    = "symlink-loop"
	RuleZipInvalid     = "zip-invalid"
	RuleZipLayout      = "zip-layout"
	RuleNotDiscovered  = "not-discovered"
	RuleIgnorePattern  = "ignore-pattern"
	RuleUnsafeName     = "unsafe-name"
	RuleFileTooLarge   = "file-too-large"
	RuleUnreadable     = "unreadable"
	RuleSpecialFile    = "special-file"
	RuleDanglingLink   = "dangling-symlink"
	RulePythonVersion  = "python-version"
	RuleVariableGet    = "variable-get-top-level"
	RuleDatetimeNow    = "datetime-now-in-dag"
	RuleNoSchedule     = "dag-no-schedule"
)

// RuleInfo describes a rule.
type RuleInfo struct {
	ID       string
	Severity Severity
	Summary  string
}

// Rules is every rule dagnfs knows, with its default severity.
var Rules = []RuleInfo{
	{RuleSyntax, Error, "a Python file that CPython would not compile: Airflow records an import error (\"Broken DAG\")"},
	{RuleEncoding, Error, "a file that is not UTF-8 (and declares no other coding), has a bad coding cookie, or contains a NUL byte"},
	{RuleDuplicateDagID, Error, "two DAGs with one dag_id: in production one silently replaces the other"},
	{RuleSymlinkEscape, Error, "a symlink that resolves outside the DAG folder: it will not exist on the export"},
	{RuleSymlinkLoop, Error, "a folder reached twice through symlinks: Airflow's scan stops with \"Detected recursive loop\""},
	{RuleZipInvalid, Error, "a file Airflow takes for a zip archive that cannot be read as one"},
	{RuleZipLayout, Warning, "a zip archive with no DAG module at its root: Airflow loads nothing from it"},
	{RuleNotDiscovered, Warning, "a file that looks like it defines a DAG but that safe mode skips"},
	{RuleIgnorePattern, Error, "an .airflowignore line that does not compile: Airflow skips it"},
	{RuleUnsafeName, Error, "a file name with control characters or invalid UTF-8"},
	{RuleFileTooLarge, Warning, "a file larger than the maximum file size (1 MiB by default)"},
	{RuleUnreadable, Error, "a file that cannot be read"},
	{RuleSpecialFile, Error, "a FIFO, socket or device in the DAG folder: publish cannot copy it"},
	{RuleDanglingLink, Error, "a symlink that leads nowhere: publish cannot copy it"},
	{RulePythonVersion, Warning, "the interpreter differs from the workers' Python version, or a file uses syntax newer than it"},
	{RuleVariableGet, Warning, "Variable.get at module level: a database query every time the file is parsed"},
	{RuleDatetimeNow, Warning, "datetime.now() or similar in DAG arguments: the DAG changes at every parse"},
	{RuleNoSchedule, Warning, "a DAG with no explicit schedule: the default differs between Airflow 2 (daily) and 3 (none)"},
}

func ruleSeverity(id string) Severity {
	for _, r := range Rules {
		if r.ID == id {
			return r.Severity
		}
	}
	return Error
}

// KnownRule reports whether id names a rule.
func KnownRule(id string) bool {
	return slices.ContainsFunc(Rules, func(r RuleInfo) bool { return r.ID == id })
}

// RuleIDs lists the rule ids, sorted.
func RuleIDs() []string {
	ids := make([]string, len(Rules))
	for i, r := range Rules {
		ids[i] = r.ID
	}
	sort.Strings(ids)
	return ids
}
