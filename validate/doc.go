// Package validate checks DAG files before they are published.
//
// Today it gives CPython's own verdict on every Python file: all files go
// through one interpreter process that calls compile(source, path, "exec",
// dont_inherit=True), which is what Airflow's import does, so errors that
// ast.parse misses ("return" outside a function, a misplaced __future__
// import) are caught too, with CPython's line, column and message. The
// interpreter is the binary itself (a pyenv shim is resolved to
// sys.executable). Without an interpreter no syntax verdict is given, and the
// report says so with a warning.
package validate
