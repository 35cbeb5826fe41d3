package validate

import (
	"fmt"
	"sync"

	"github.com/dagnfs/dagnfs/validate/python"
	"github.com/dagnfs/dagnfs/validate/python/ast"
)

// parser is one worker's front end: the pure-Go Python front end (package
// python), which gives CPython's verdict and the syntax tree the DAG
// analysis reads.
type parser struct {
	// wantImports: analyzeTree also lists the imports (validate --env).
	wantImports bool
	// py holds the memory of the front end from one file to the next: a
	// tree it gives is valid until the parser's next parse.
	py python.Parser
}

func newParser() *parser { return &parser{} }

// parsers keep their memory between the files of a run.
var parsers = sync.Pool{New: func() any { return newParser() }}

// newest is the Python 3 minor version assumed when the workers' is not
// known.
const newest = 13

// parse parses decoded source as Python 3.minor (0: the newest): its tree,
// or CPython's first error. declared says the file declares its encoding
// (CPython then counts the columns of its parser's errors in characters).
// Syntax that a newer Python's grammar accepts is reported under
// RulePythonVersion, with the version it needs.
func (p *parser) parse(src []byte, minor int, declared bool) (*ast.Tree, *pyError) {
	m := minor
	if m == 0 {
		m = newest
	}
	tree, err := p.py.ParseFile(src, m)
	if err == nil {
		return tree, nil
	}
	if declared {
		err = err.Declared()
	}
	e := &pyError{Type: err.Type, Line: err.Line, Col: err.Col, Msg: err.Msg, rule: RuleSyntax}
	if err.Type == "SyntaxError" && m < newest && python.Parse(src, m) != nil {
		// The grammar refused it: does a later one take it?
		for later := m + 1; later <= newest; later++ {
			if python.Parse(src, later) == nil {
				e.rule = RulePythonVersion
				e.Msg = fmt.Sprintf("%s (this syntax needs Python 3.%d; the workers run 3.%d)", e.Msg, later, m)
				break
			}
		}
	}
	return nil, e
}

// embeddedCheck gives the syntax verdict on raw source without an
// interpreter, for the workers' Python 3.minor: nil for a file CPython
// would compile.
func (p *parser) embeddedCheck(raw []byte, minor int) *pyError {
	src, declared, derr := decodeSource(raw)
	if derr != nil {
		return derr
	}
	_, e := p.parse(src, minor, declared)
	return e
}
