// Package python is dagnfs's Python front end in pure Go, written from
// CPython's own rules (its tokenizer, Parser/lexer, and its PEG grammar,
// Grammar/python.gram) rather than from any other parser's: what it accepts,
// and where and how it refuses, is what CPython's compile() does for the
// workers' Python version.
//
// Decode applies PEP 263 to a file's bytes (BOM, coding comment) and gives
// the text the rest reads; bytes that are not UTF-8 are left for the
// tokenizer and the string rule to meet where CPython meets them (a
// comment's never are).
//
// Tokenize turns decoded source into the tokens CPython's tokenizer gives
// (the tokenize module's stream, comments and non-logical newlines
// included), or the first error CPython's tokenizer raises, with its
// message and position. It runs in time linear in the source whatever its
// shape (one line of a megabyte, deep nesting): positions are computed as
// it goes, never by counting from the start of a line again, and it holds
// nothing but the tokens.
//
// Parse runs CPython's PEG grammar over them as a recogniser (parse.go):
// the verdict, CPython's generic error where its first pass stops, and the
// errors of the invalid_ rules of its second pass written so far
// (invalid.go).
//
// ParseFile is Parse and then the syntax tree (package ast: CPython's node
// types, fields and positions), made by a second, plain reading of the
// tokens Parse accepted (build.go): the grammar has decided, so the
// builder needs no backtracking. The tree is ast.parse's for every file of
// the standard library of 3.9 to 3.13 (TestTreeMatchesCPython).
//
// ParseFile then makes the checks compile() makes after parsing (check.go,
// check_code.go): __future__ imports, the symbol table's (global and
// nonlocal, duplicate parameters, assignment expressions in
// comprehensions, import *), and code generation's (return, yield, await,
// break and continue out of place, starred targets, repeated keywords,
// __debug__, the frame block limit, pattern rules), each with the message
// and place of each version (TestCompileChecksMatchCPython).
//
// The parser also raises the errors CPython raises as it reads string
// literals (escapes the codec refuses, bytes outside ASCII, bytes beside
// str: TestLiteralErrorsMatchCompile), and counts columns as CPython does
// for a file's bytes (Error.Declared).
//
// The compiler's recursion limit (RecursionError) is CPython's, called
// from a module's top level, within two levels (TestCompileDepthMatchesCPython;
// 3.9 and 3.10 meet it a few tens of levels earlier when called deeper).
// The parser's stack limit (MemoryError) is counted in CPython's levels:
// each recursing rule and each bracket by kind (TestDepthLimitsMatchCPython,
// TestBracketLevelsMatchCPython).
//
// Package module reads what a module binds and imports from its tree, for
// the import checks and the environment index.
//
// The package and those under it import nothing else of dagnfs
// (TestFrontEndStandsAlone).
package python
