// Package validate checks a DAG folder the way Airflow will see it, before
// anything is published.
//
// Run reproduces Airflow's discovery for Airflow 2 or 3 (the walk with
// followed folder symlinks and loop detection, .airflowignore in the regexp
// or glob syntax with inheritance, negation and anchoring, candidates by
// ".py" suffix or zip content, safe mode), then gives every Python file a
// syntax verdict and analyses its DAGs:
//
//   - With an interpreter (Options.Python "auto" or a path), CPython's own
//     compile() verdict, which is what Airflow's import gets: one interpreter
//     process for the whole folder, with CPython's line, column and message.
//   - Without one, the embedded checker: the subpackage python, dagnfs's
//     own front end in pure Go written from CPython's rules (tokenizer, PEG
//     grammar, the checks its compiler makes after parsing, its limits),
//     for the workers' Python version (Options.PythonVersion): CPython's
//     error, type, line and column; syntax a newer version's grammar takes
//     is reported with the version it needs.
//   - The DAG analysis walks each file's syntax tree (package python/ast):
//     DAG(...), models.DAG, @dag (aliased or qualified) and their dag_ids,
//     duplicates across the folder and inside zips, and best-practice
//     rules; imports (validate --env) and module names (the environment
//     index) are read from the same tree (package python/module).
//   - With an environment index (IndexEnvironment, validate --env), every
//     import is resolved as the image's Python would resolve it.
//
// Findings carry a stable rule id (see Rules) and a severity; they can be
// silenced per line ("# dagnfs: ignore[rule]"), per file
// ("# dagnfs: ignore-file[rule]") or per run (Options.Disable). A Report
// prints as text, JSON, JUnit, GitHub annotations or SARIF 2.1.0.
package validate
