package layout

import "strings"

// IgnoreFile is the file in which Airflow reads, in every folder it walks,
// the patterns of what it must not scan.
const IgnoreFile = ".airflowignore"

// Airflow reads IgnoreFile with the syntax [core] dag_ignore_file_syntax
// names: regexp (Airflow 2's default) or glob (Airflow 3's). dagnfs's lines
// prune every folder named .dagnfs, at any depth, in either syntax, and
// each line matches nothing in the other syntax:
//
//   - IgnoreRegexp, as a regular expression searched in the path relative
//     to the dags folder, matches a .dagnfs folder at any depth; as a glob
//     it holds a slash, so it is anchored, and it names no real path
//     ("(^|" and "\.dagnfs$" are taken literally).
//   - IgnoreGlob, as a gitignore pattern, matches a folder named .dagnfs
//     at any depth ("\." is a literal dot, the trailing slash means
//     folders only); as a regular expression it matches only paths inside
//     a folder whose name ends in ".dagnfs", which the first line has
//     pruned already.
const (
	IgnoreRegexp = `(^|/)\.dagnfs$`
	IgnoreGlob   = `\.dagnfs/`
	// ignoreHeader starts the lines dagnfs adds, and the whole file
	// dagnfs writes where the export root holds no file of the user's.
	ignoreHeader = "# dagnfs: keeps Airflow's scan out of the folders dagnfs keeps its records in (.dagnfs); written by dagnfs, do not edit\n"
)

// IgnoreBlock is what dagnfs writes into IgnoreFile at the export root:
// the whole file in the generations layout, the end of the user's own file
// in the in-place layout (last, so that no "!" line of the user's can
// re-include .dagnfs).
const IgnoreBlock = ignoreHeader + IgnoreRegexp + "\n" + IgnoreGlob + "\n"

// IsIgnoreFileOurs reports whether content is the IgnoreFile dagnfs writes
// on its own (not the user's file with dagnfs's lines added).
func IsIgnoreFileOurs(content []byte) bool { return string(content) == IgnoreBlock }

// PrunesMeta reports whether an ignore file's content holds both of
// dagnfs's lines, so that a scan in either syntax leaves .dagnfs alone.
func PrunesMeta(content []byte) bool {
	var re, glob bool
	for line := range strings.SplitSeq(string(content), "\n") {
		switch strings.TrimRight(line, "\r") {
		case IgnoreRegexp:
			re = true
		case IgnoreGlob:
			glob = true
		}
	}
	return re && glob
}

// WithIgnoreBlock returns the user's ignore file with dagnfs's lines added
// at its end, or as it is when it has them already.
func WithIgnoreBlock(user []byte) []byte {
	if PrunesMeta(user) {
		return user
	}
	out := make([]byte, 0, len(user)+1+len(IgnoreBlock))
	out = append(out, user...)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	return append(out, IgnoreBlock...)
}

// MaxIgnoreFile bounds the ignore file dagnfs reads back from an export.
const MaxIgnoreFile = 1 << 20
