package validate

import "github.com/dagnfs/dagnfs/validate/python"

// pyError is a syntax error found without an interpreter, in CPython's
// terms (type, 1-based line and column, message).
type pyError struct {
	Type string
	Line int
	Col  int
	Msg  string
	rule string // RuleSyntax, RuleEncoding or RulePythonVersion
}

// decodeSource is python.Decode with its error as a finding of the
// encoding rule.
func decodeSource(src []byte) ([]byte, bool, *pyError) {
	text, declared, err := python.Decode(src)
	if err != nil {
		return nil, false, &pyError{Type: err.Type, Line: err.Line, Col: err.Col, Msg: err.Msg, rule: RuleEncoding}
	}
	return text, declared, nil
}
