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
//   - Without one, an embedded checker: tree-sitter-python plus the checks
//     tree-sitter does not make (decoding, indentation, Python 2 leftovers,
//     argument order, the compiler's context checks) and, with
//     Options.PythonVersion, syntax newer than the workers' Python. It agrees
//     with CPython 3.11 to 3.13 on the test corpus in testdata/pycorpus.
//   - The DAG analysis runs a tree-sitter query over each file (one parser
//     per worker): DAG(...), models.DAG, @dag (aliased or qualified) and
//     their dag_ids, duplicates across the folder and inside zips, and
//     best-practice rules.
//
// The subpackage python is the pure-Go front end built from CPython's own
// rules that is to replace tree-sitter; so far its tokenizer, its parser
// and its syntax tree, which validation does not use yet.
//
// Findings carry a stable rule id (see Rules) and a severity; they can be
// silenced per line ("# dagnfs: ignore[rule]"), per file
// ("# dagnfs: ignore-file[rule]") or per run (Options.Disable). A Report
// prints as text, JSON, JUnit, GitHub annotations or SARIF 2.1.0.
package validate
