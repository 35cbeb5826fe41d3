// Package python is dagnfs's Python front end in pure Go, written from
// CPython's own rules (its tokenizer, Parser/lexer, and its PEG grammar,
// Grammar/python.gram) rather than from any other parser's: what it accepts,
// and where and how it refuses, is what CPython's compile() does for the
// workers' Python version.
//
// This is its first part, the tokenizer: Tokenize turns decoded source into
// the tokens CPython's tokenizer gives (the tokenize module's stream in
// Python 3.12 and later, comments and non-logical newlines included), or
// the first error CPython's tokenizer raises, with its message and
// position. It runs in time linear in the source whatever its shape (one
// line of a megabyte, deep nesting): positions are computed as it goes,
// never by counting from the start of a line again, and it holds nothing
// but the tokens.
//
// The package imports nothing of dagnfs.
package python
