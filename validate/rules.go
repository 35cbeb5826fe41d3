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
	RuleAirflowVersion = "airflow-version"
)

// RuleInfo describes a rule.
type RuleInfo struct {
	ID       string
	Severity Severity
	Summary  string
	Help     string // what to do about a finding
}

// Rules is every rule dagnfs knows, with its default severity.
var Rules = []RuleInfo{
	{RuleSyntax, Error, "a Python file that CPython would not compile: Airflow records an import error (\"Broken DAG\")", "Fix the file where the message says, or run python3 -m py_compile on it for CPython's own words."},
	{RuleEncoding, Error, "a file that is not UTF-8 (and declares no other coding), has a bad coding cookie, or contains a NUL byte", "Save the file as UTF-8, or declare its encoding on line 1 or 2 (# -*- coding: latin-1 -*-), and remove NUL bytes."},
	{RuleDuplicateDagID, Error, "two DAGs with one dag_id: in production one silently replaces the other", "Give each DAG its own dag_id; the message names both files."},
	{RuleSymlinkEscape, Error, "a symlink that resolves outside the DAG folder: it will not exist on the export", "Copy the target into the DAG folder, or make the link point inside it."},
	{RuleSymlinkLoop, Error, "a folder reached twice through symlinks: Airflow's scan stops with \"Detected recursive loop\"", "Remove the link that leads back to a folder above it."},
	{RuleZipInvalid, Error, "a file Airflow takes for a zip archive that cannot be read as one", "Rebuild the archive (zip -r), or rename the file if it is not meant to be one."},
	{RuleZipLayout, Warning, "a zip archive with no DAG module at its root: Airflow loads nothing from it", "Put the DAG modules at the root of the archive, not inside a folder."},
	{RuleNotDiscovered, Warning, "a file that looks like it defines a DAG but that safe mode skips", "Mention both 'airflow' and 'dag' in the file (a comment will do), or turn safe mode off in Airflow and here."},
	{RuleIgnorePattern, Error, "an .airflowignore line that does not compile: Airflow skips it", "Fix the pattern, or switch the syntax (ignore-syntax) to the one the pattern is written in."},
	{RuleUnsafeName, Error, "a file name with control characters or invalid UTF-8", "Rename the file with printable UTF-8 characters."},
	{RuleFileTooLarge, Warning, "a file larger than the maximum file size (1 MiB by default)", "Move data out of the DAG folder, or raise max-file-size if the file is meant to be that large."},
	{RuleUnreadable, Error, "a file that cannot be read", "Make the file readable by the user that runs dagnfs (and by UID 50000 on the export)."},
	{RuleSpecialFile, Error, "a FIFO, socket or device in the DAG folder: publish cannot copy it", "Remove the FIFO, socket or device from the DAG folder, or exclude it."},
	{RuleDanglingLink, Error, "a symlink that leads nowhere: publish cannot copy it", "Remove the link, or restore what it points to."},
	{RulePythonVersion, Warning, "the interpreter differs from the workers' Python version, or a file uses syntax newer than it", "Use syntax the workers' Python understands, or set python-version to the workers' version."},
	{RuleAirflowVersion, Warning, "the environment index holds another Airflow major version than the rules applied (--airflow-version)", "Set airflow-version to the image's Airflow, or capture the environment of the image the DAGs run on."},
	{RuleVariableGet, Warning, "Variable.get at module level: a database query every time the file is parsed", "Read the Variable inside a task, or with a Jinja template ({{ var.value.name }})."},
	{RuleDatetimeNow, Warning, "datetime.now() or similar in DAG arguments: the DAG changes at every parse", "Use a fixed start_date (pendulum.datetime(2024, 1, 1)) instead of now()."},
	{RuleNoSchedule, Warning, "a DAG with no explicit schedule: the default differs between Airflow 2 (daily) and 3 (none)", "Set schedule= explicitly (None, a cron expression or a timetable)."},
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
