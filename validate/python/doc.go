// Package python is dagnfs's Python front end in pure Go, written from
// CPython's own rules (its tokenizer, Parser/lexer, and its PEG grammar,
// Grammar/python.gram) rather than from any other parser's: what it accepts,
// and where and how it refuses, is what CPython's compile() does for the
// workers' Python version.
//
// Its first parts are the tokenizer and the first pass of the parser.
// Tokenize turns decoded source into the tokens CPython's tokenizer gives
// (the tokenize module's stream, comments and non-logical newlines
// included), or the first error CPython's tokenizer raises, with its
// message and position. It runs in time linear in the source whatever its shape (one
// line of a megabyte, deep nesting): positions are computed as it goes,
// never by counting from the start of a line again, and it holds nothing
// but the tokens. Parse runs CPython's PEG grammar over them as a
// recogniser (parse.go): the verdict, CPython's generic error where its
// first pass stops, and the errors of the invalid_ rules of its second pass
// written so far (invalid.go); the others and the syntax tree are to come.
//
// The package imports nothing of dagnfs.
package python
