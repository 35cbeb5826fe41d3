package validate

// A recursive-descent parser of the Python that tree-sitter-python parses,
// giving, for a valid program, the very tree tree-sitter gives: the same
// nodes (named and anonymous), fields, byte ranges and comment placement,
// in about a quarter of tree-sitter's time on DAG files (tree-sitter's parse
// was three quarters of validation's time). It takes no risk: whatever it
// does not know for certain (an error, a construct where tree-sitter's GLR
// parse keeps one of several trees depending on the rest of the file, tabs
// in indentation, names beyond ASCII...) it gives up on, and the file goes
// to tree-sitter. TestGoParserMatchesTreeSitter compares the two, node for
// node, on the corpora, the installed Python and their mutants.

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
)

// gnode is a node under construction: children are linked, in order.
type gnode struct {
	sym, field        uint16
	named             bool
	start, end        uint32
	first, last, next int32
}

type gparser struct {
	src    []byte
	toks   []gtok
	cms    []gspan
	i      int   // the next token
	cmDone int32 // comments placed so far
	nodes  []gnode
	lx     glexer
	depth  int // of the recursion (enter, leave)
}

// Named node kinds and fields the parser makes, as tree-sitter numbers them.
var (
	sModule, sComment, sIdentifier, sInteger, sFloat, sTrue, sFalse, sNone, sEllipsis                     uint16
	sString, sStringStart, sStringContent, sStringEnd, sEscapeSequence, sEscapeInterpolation              uint16
	sConcatenatedString, sInterpolation, sTypeConversion, sFormatSpecifier, sFormatExpression             uint16
	sExpressionStatement, sAssignment, sAugmentedAssignment, sPatternList, sExpressionList                uint16
	sTuplePattern, sListPattern, sListSplatPattern, sDictionarySplatPattern, sListSplat, sDictionarySplat uint16
	sBooleanOperator, sNotOperator, sComparisonOperator, sBinaryOperator, sUnaryOperator, sAwait          uint16
	sConditionalExpression, sNamedExpression, sLambda, sLambdaParameters, sYield                          uint16
	sAttribute, sSubscript, sSlice, sCall, sArgumentList, sKeywordArgument, sGeneratorExpression          uint16
	sParenthesizedExpression, sTuple, sList, sSet, sDictionary, sPair                                     uint16
	sListComprehension, sSetComprehension, sDictionaryComprehension, sForInClause, sIfClause              uint16
	sType, sGenericType, sTypeParameter, sUnionType                                                       uint16
	sImportStatement, sImportFromStatement, sFutureImportStatement, sDottedName, sAliasedImport           uint16
	sRelativeImport, sImportPrefix, sWildcardImport                                                       uint16
	sAssertStatement, sReturnStatement, sDeleteStatement, sRaiseStatement, sPassStatement                 uint16
	sBreakStatement, sContinueStatement, sGlobalStatement, sNonlocalStatement                             uint16
	sIfStatement, sElifClause, sElseClause, sForStatement, sWhileStatement, sTryStatement                 uint16
	sExceptClause, sExceptGroupClause, sFinallyClause, sWithStatement, sWithClause, sWithItem             uint16
	sAsPattern, sAsPatternTarget, sFunctionDefinition, sParameters, sTypedParameter                       uint16
	sDefaultParameter, sTypedDefaultParameter, sKeywordSeparator, sPositionalSeparator                    uint16
	sClassDefinition, sDecoratedDefinition, sDecorator, sBlock                                            uint16
	sMatchStatement, sCaseClause, sCasePattern, sUnionPattern, sKeywordPattern, sClassPattern             uint16
	sSplatPattern, sDictPattern, sComplexPattern                                                          uint16

	fLeft, fRight, fType, fOperator, fArgument, fOperators, fName, fValue, fAlias, fObject, fAttribute uint16
	fSubscript, fFunction, fArguments, fBody, fKey, fCondition, fConsequence, fAlternative, fCause     uint16
	fParameters, fReturnType, fSuperclasses, fDefinition, fModuleName, fExpression, fTypeConversion    uint16
	fFormatSpecifier, fSubject, fGuard                                                                 uint16

	anonSyms map[string]uint16
)

func init() {
	named := func(s *uint16, kind string) {
		*s = pythonLang.IdForNodeKind(kind, true)
		if *s == 0 {
			panic("tree-sitter-python has no node kind " + kind) // a build defect
		}
	}
	for s, k := range map[*uint16]string{
		&sModule: "module", &sComment: "comment", &sIdentifier: "identifier", &sInteger: "integer", &sFloat: "float",
		&sTrue: "true", &sFalse: "false", &sNone: "none", &sEllipsis: "ellipsis",
		&sString: "string", &sStringStart: "string_start", &sStringContent: "string_content", &sStringEnd: "string_end",
		&sEscapeSequence: "escape_sequence", &sEscapeInterpolation: "escape_interpolation",
		&sConcatenatedString: "concatenated_string", &sInterpolation: "interpolation", &sTypeConversion: "type_conversion",
		&sFormatSpecifier: "format_specifier", &sFormatExpression: "format_expression",
		&sExpressionStatement: "expression_statement", &sAssignment: "assignment", &sAugmentedAssignment: "augmented_assignment",
		&sPatternList: "pattern_list", &sExpressionList: "expression_list", &sTuplePattern: "tuple_pattern",
		&sListPattern: "list_pattern", &sListSplatPattern: "list_splat_pattern", &sDictionarySplatPattern: "dictionary_splat_pattern",
		&sListSplat: "list_splat", &sDictionarySplat: "dictionary_splat", &sBooleanOperator: "boolean_operator",
		&sNotOperator: "not_operator", &sComparisonOperator: "comparison_operator", &sBinaryOperator: "binary_operator",
		&sUnaryOperator: "unary_operator", &sAwait: "await", &sConditionalExpression: "conditional_expression",
		&sNamedExpression: "named_expression", &sLambda: "lambda", &sLambdaParameters: "lambda_parameters", &sYield: "yield",
		&sAttribute: "attribute", &sSubscript: "subscript", &sSlice: "slice", &sCall: "call", &sArgumentList: "argument_list",
		&sKeywordArgument: "keyword_argument", &sGeneratorExpression: "generator_expression",
		&sParenthesizedExpression: "parenthesized_expression", &sTuple: "tuple", &sList: "list", &sSet: "set",
		&sDictionary: "dictionary", &sPair: "pair", &sListComprehension: "list_comprehension",
		&sSetComprehension: "set_comprehension", &sDictionaryComprehension: "dictionary_comprehension",
		&sForInClause: "for_in_clause", &sIfClause: "if_clause", &sType: "type", &sGenericType: "generic_type",
		&sTypeParameter: "type_parameter", &sUnionType: "union_type",
		&sImportStatement: "import_statement", &sImportFromStatement: "import_from_statement",
		&sFutureImportStatement: "future_import_statement", &sDottedName: "dotted_name", &sAliasedImport: "aliased_import",
		&sRelativeImport: "relative_import", &sImportPrefix: "import_prefix", &sWildcardImport: "wildcard_import",
		&sAssertStatement: "assert_statement", &sReturnStatement: "return_statement", &sDeleteStatement: "delete_statement",
		&sRaiseStatement: "raise_statement", &sPassStatement: "pass_statement", &sBreakStatement: "break_statement",
		&sContinueStatement: "continue_statement", &sGlobalStatement: "global_statement", &sNonlocalStatement: "nonlocal_statement",
		&sIfStatement: "if_statement", &sElifClause: "elif_clause", &sElseClause: "else_clause", &sForStatement: "for_statement",
		&sWhileStatement: "while_statement", &sTryStatement: "try_statement", &sExceptClause: "except_clause",
		&sExceptGroupClause: "except_group_clause", &sFinallyClause: "finally_clause", &sWithStatement: "with_statement",
		&sWithClause: "with_clause", &sWithItem: "with_item", &sAsPattern: "as_pattern", &sAsPatternTarget: "as_pattern_target",
		&sFunctionDefinition: "function_definition", &sParameters: "parameters", &sTypedParameter: "typed_parameter",
		&sDefaultParameter: "default_parameter", &sTypedDefaultParameter: "typed_default_parameter",
		&sKeywordSeparator: "keyword_separator", &sPositionalSeparator: "positional_separator",
		&sClassDefinition: "class_definition", &sDecoratedDefinition: "decorated_definition", &sDecorator: "decorator",
		&sBlock: "block", &sMatchStatement: "match_statement", &sCaseClause: "case_clause", &sCasePattern: "case_pattern",
		&sUnionPattern: "union_pattern", &sKeywordPattern: "keyword_pattern", &sClassPattern: "class_pattern",
		&sSplatPattern: "splat_pattern", &sDictPattern: "dict_pattern", &sComplexPattern: "complex_pattern",
	} {
		named(s, k)
	}
	for f, name := range map[*uint16]string{
		&fLeft: "left", &fRight: "right", &fType: "type", &fOperator: "operator", &fArgument: "argument",
		&fOperators: "operators", &fName: "name", &fValue: "value", &fAlias: "alias", &fObject: "object",
		&fAttribute: "attribute", &fSubscript: "subscript", &fFunction: "function", &fArguments: "arguments",
		&fBody: "body", &fKey: "key", &fCondition: "condition", &fConsequence: "consequence",
		&fAlternative: "alternative", &fCause: "cause", &fParameters: "parameters", &fReturnType: "return_type",
		&fSuperclasses: "superclasses", &fDefinition: "definition", &fModuleName: "module_name",
		&fExpression: "expression", &fTypeConversion: "type_conversion", &fFormatSpecifier: "format_specifier",
		&fSubject: "subject", &fGuard: "guard",
	} {
		id := pythonLang.FieldIdForName(name)
		if id == 0 {
			panic("tree-sitter-python has no field " + name) // a build defect
		}
		*f = id
	}
	anonSyms = map[string]uint16{}
	for _, s := range []string{
		"(", ")", "[", "]", "{", "}", ",", ":", ";", ".", "=", "->", "@", "*", "**", "/", "//", "%", "+", "-", "~",
		"&", "|", "^", "<<", ">>", "<", "<=", "==", "!=", ">=", ">", ":=", "+=", "-=", "*=", "/=", "@=", "//=", "%=",
		"**=", ">>=", "<<=", "&=", "^=", "|=", "and", "or", "not", "in", "is", "not in", "is not", "if", "elif",
		"else", "for", "async", "while", "try", "except", "except*", "finally", "with", "as", "def", "class",
		"lambda", "return", "yield", "from", "import", "__future__", "assert", "del", "raise", "pass", "break",
		"continue", "global", "nonlocal", "await", "\\", "match", "case", "_",
	} {
		id := pythonLang.IdForNodeKind(s, false)
		if id == 0 {
			panic("tree-sitter-python has no token " + s) // a build defect
		}
		anonSyms[s] = id
	}
}

// goParse parses in (tree-sitter's input) into ft, as tree-sitter would,
// and reports whether it could; rows and columns come from orig (in when
// nil). On false, ft is unchanged.
func (ft *flatTree) goParse(gp *gparser, in, orig []byte) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			// Giving up, or a defect in this parser: either way
			// tree-sitter parses the file; tests hear of defects.
			if r == errTooDeep {
				// Nested past what CPython compiles: no tree to walk (and
				// no tree-sitter parse, slow on such input), an empty one.
				ft.empty(gp)
				ok = true
				return
			}
			if r != errBail && gramDefect != nil {
				gramDefect(r)
			}
			ok = false
		}
	}()
	gp.reset(in)
	gp.lx.lex()
	gp.toks, gp.cms = gp.lx.toks, gp.lx.cms
	root := gp.module()
	ft.fromGo(gp, root)
	ft.link()
	if orig == nil {
		orig = in
	}
	ft.repositionFrom(orig)
	return true
}

// empty makes ft the tree of an empty module, marked too deep.
func (ft *flatTree) empty(gp *gparser) {
	gp.reset(nil)
	gp.nodes = append(gp.nodes, gnode{sym: sModule, named: true, first: -1, last: -1, next: -1})
	ft.fromGo(gp, 0)
	ft.link()
	ft.tooDeep = true
}

// errTooDeep stops the Go parser where its recursion passes maxNesting.
var errTooDeep = errors.New("nested deeper than CPython compiles")

// enter counts one more level of the parser's recursion; leave one less.
func (gp *gparser) enter() {
	if gp.depth++; gp.depth > maxNesting {
		panic(errTooDeep)
	}
}

func (gp *gparser) leave() { gp.depth-- }

func (gp *gparser) reset(in []byte) {
	gp.src = in
	gp.depth = 0
	gp.i, gp.cmDone = 0, 0
	gp.nodes = gp.nodes[:0]
	gp.lx = glexer{src: in, toks: gp.lx.toks[:0], cms: gp.lx.cms[:0], indents: gp.lx.indents[:0]}
}

func (gp *gparser) bail() {
	if gramWhy != nil {
		_, file, line, _ := runtime.Caller(1)
		gramWhy(fmt.Sprintf("%s:%d near %q", filepath.Base(file), line, excerptAt(gp.src, int(gp.tok().start))))
	}
	panic(errBail)
}

// gramWhy, when set (by tests), hears where the Go parser gave up;
// gramDefect hears of any other panic in it.
var (
	gramWhy    func(where string)
	gramDefect func(r any)
)

// Tokens.

func (gp *gparser) tok() *gtok { return &gp.toks[gp.i] }

func (gp *gparser) peekTok(k int) *gtok {
	if gp.i+k < len(gp.toks) {
		return &gp.toks[gp.i+k]
	}
	return &gp.toks[len(gp.toks)-1]
}

func (gp *gparser) textOf(t *gtok) string { return string(gp.src[t.start:t.end]) }

// is says whether the next token is the operator or keyword s.
func (gp *gparser) is(s string) bool {
	t := gp.tok()
	return (t.kind == gOp || t.kind == gName) && string(gp.src[t.start:t.end]) == s
}

func (gp *gparser) isAt(k int, s string) bool {
	t := gp.peekTok(k)
	return (t.kind == gOp || t.kind == gName) && string(gp.src[t.start:t.end]) == s
}

// advance moves past the next token; comments before it must have been
// placed.
func (gp *gparser) advance() *gtok {
	t := gp.tok()
	if t.cm != gp.cmDone || t.kind == gEOF {
		gp.bail()
	}
	gp.i++
	return t
}

// comments places the comments before the next token in parent.
func (gp *gparser) comments(parent int32) {
	for end := gp.tok().cm; gp.cmDone < end; gp.cmDone++ {
		c := gp.cms[gp.cmDone]
		gp.add(parent, gp.leafAt(sComment, true, c.start, c.end), 0)
	}
}

// Nodes.

func (gp *gparser) node(sym uint16) int32 {
	gp.nodes = append(gp.nodes, gnode{sym: sym, named: true, first: -1, last: -1, next: -1})
	return int32(len(gp.nodes) - 1)
}

func (gp *gparser) leafAt(sym uint16, named bool, start, end uint32) int32 {
	gp.nodes = append(gp.nodes, gnode{sym: sym, named: named, start: start, end: end, first: -1, last: -1, next: -1})
	return int32(len(gp.nodes) - 1)
}

// leaf makes a named leaf of the next token.
func (gp *gparser) leaf(sym uint16) int32 {
	t := gp.advance()
	return gp.leafAt(sym, true, t.start, t.end)
}

// add appends child to parent's children, in field (0: none).
func (gp *gparser) add(parent, child int32, field uint16) {
	gp.nodes[child].field = field
	c := gp.nodes[child]
	p := &gp.nodes[parent]
	if p.first < 0 {
		p.first = child
		p.start = c.start
	} else {
		gp.nodes[p.last].next = child
	}
	p.last = child
	if c.end > p.end || p.first == child {
		p.end = c.end
	}
}

// extend makes a node reach a hidden token's position.
func (gp *gparser) extend(n int32, end uint32) {
	if end > gp.nodes[n].end {
		gp.nodes[n].end = end
	}
}

// anon adds the next token, an operator or keyword, to parent.
func (gp *gparser) anon(parent int32, field uint16) {
	t := gp.advance()
	sym, ok := anonSyms[string(gp.src[t.start:t.end])]
	if !ok {
		gp.bail()
	}
	gp.add(parent, gp.leafAt(sym, false, t.start, t.end), field)
}

// expect adds the next token to parent if it is s, and gives up if not.
func (gp *gparser) expect(parent int32, s string, field uint16) {
	if !gp.is(s) {
		gp.bail()
	}
	gp.anon(parent, field)
}

// commaList adds to n, in field, what item parses, with the commas between
// (a trailing one too, when one of ends follows it).
func (gp *gparser) commaList(n int32, field uint16, item func() int32, ends ...string) {
	for {
		gp.add(n, item(), field)
		if !gp.is(",") {
			return
		}
		gp.anon(n, 0)
		for _, end := range ends {
			if gp.is(end) {
				return
			}
		}
	}
}

// wrap makes a node of kind sym whose first child is child.
func (gp *gparser) wrap(sym uint16, child int32, field uint16) int32 {
	n := gp.node(sym)
	gp.add(n, child, field)
	return n
}

func (gp *gparser) children(n int32) []int32 {
	var out []int32
	for k := gp.nodes[n].first; k >= 0; k = gp.nodes[k].next {
		out = append(out, k)
	}
	return out
}

// Statements.

func (gp *gparser) module() int32 {
	m := gp.node(sModule)
	for gp.tok().kind != gEOF {
		gp.comments(m)
		gp.statement(m)
	}
	gp.comments(m)
	if gp.nodes[m].first < 0 {
		gp.bail()
	}
	gp.nodes[m].end = uint32(len(gp.src))
	return m
}

func (gp *gparser) statement(parent int32) {
	t := gp.tok()
	if t.kind == gOp && gp.is("@") {
		gp.decorated(parent)
		return
	}
	if t.kind != gName {
		gp.simpleStatements(parent)
		return
	}
	switch gp.textOf(t) {
	case "if":
		gp.ifStatement(parent)
	case "for":
		gp.forStatement(parent, -1)
	case "while":
		gp.whileStatement(parent)
	case "try":
		gp.tryStatement(parent)
	case "with":
		gp.withStatement(parent, -1)
	case "def":
		gp.add(parent, gp.functionDefinition(-1), 0)
	case "class":
		gp.add(parent, gp.classDefinition(), 0)
	case "async":
		a := gp.leafAt(anonSyms["async"], false, t.start, t.end)
		gp.advance()
		switch {
		case gp.is("def"):
			gp.add(parent, gp.functionDefinition(a), 0)
		case gp.is("for"):
			gp.forStatement(parent, a)
		case gp.is("with"):
			gp.withStatement(parent, a)
		default:
			gp.bail()
		}
	case "match", "type", "case":
		// a soft keyword starting a statement: tree-sitter weighs
		// several parses; only the plain cases are taken
		switch {
		case gp.isAt(1, "=") || gp.isAt(1, "."):
			gp.simpleStatements(parent)
		case gp.is("match") && gp.isMatchStatement():
			gp.matchStatement(parent)
		default:
			gp.bail()
		}
	default:
		gp.simpleStatements(parent)
	}
}

// simpleStatements parses statements separated by semicolons, to the
// newline, into container (module, block, or a one-line suite's block).
func (gp *gparser) simpleStatements(container int32) {
	for {
		gp.simpleStatement(container)
		if !gp.is(";") {
			break
		}
		gp.anon(container, 0)
		if gp.tok().kind == gNewline {
			break
		}
	}
	gp.comments(container)
	t := gp.tok()
	if t.kind != gNewline {
		gp.bail()
	}
	gp.advance()
	gp.extend(container, t.end)
}

// keywordStatement makes a statement of kind sym with its keyword.
func (gp *gparser) keywordStatement(sym uint16) int32 {
	n := gp.node(sym)
	gp.anon(n, 0)
	return n
}

func (gp *gparser) simpleStatement(container int32) {
	t := gp.tok()
	if t.kind != gName {
		gp.expressionStatement(container)
		return
	}
	switch gp.textOf(t) {
	case "import":
		n := gp.keywordStatement(sImportStatement)
		gp.importList(n, false)
		gp.add(container, n, 0)
	case "from":
		gp.importFrom(container)
	case "assert":
		n := gp.node(sAssertStatement)
		gp.anon(n, 0)
		gp.add(n, gp.expression(), 0)
		for gp.is(",") {
			gp.anon(n, 0)
			gp.add(n, gp.expression(), 0)
		}
		gp.add(container, n, 0)
	case "return":
		n := gp.node(sReturnStatement)
		gp.anon(n, 0)
		if gp.startsExpression() {
			gp.add(n, gp.expressions(), 0)
		}
		gp.add(container, n, 0)
	case "del":
		n := gp.node(sDeleteStatement)
		gp.anon(n, 0)
		gp.add(n, gp.expressions(), 0)
		gp.add(container, n, 0)
	case "raise":
		n := gp.node(sRaiseStatement)
		gp.anon(n, 0)
		if gp.startsExpression() {
			gp.add(n, gp.expressions(), 0)
		}
		if gp.is("from") {
			gp.anon(n, 0)
			gp.add(n, gp.expression(), fCause)
		}
		gp.add(container, n, 0)
	case "pass":
		gp.add(container, gp.keywordStatement(sPassStatement), 0)
	case "break":
		gp.add(container, gp.keywordStatement(sBreakStatement), 0)
	case "continue":
		gp.add(container, gp.keywordStatement(sContinueStatement), 0)
	case "global", "nonlocal":
		sym := sGlobalStatement
		if gp.is("nonlocal") {
			sym = sNonlocalStatement
		}
		n := gp.node(sym)
		gp.anon(n, 0)
		gp.add(n, gp.identifier(), 0)
		for gp.is(",") {
			gp.anon(n, 0)
			gp.add(n, gp.identifier(), 0)
		}
		gp.add(container, n, 0)
	default:
		gp.expressionStatement(container)
	}
}

func (gp *gparser) identifier() int32 {
	t := gp.tok()
	if t.kind != gName || hardKeywords[gp.textOf(t)] {
		gp.bail()
	}
	return gp.leaf(sIdentifier)
}

func (gp *gparser) dottedName() int32 {
	n := gp.wrap(sDottedName, gp.identifier(), 0)
	for gp.is(".") {
		gp.anon(n, 0)
		gp.add(n, gp.identifier(), 0)
	}
	return n
}

// importList parses names (dotted, maybe aliased) into n, each in field
// name; in parentheses, a trailing comma is allowed.
func (gp *gparser) importList(n int32, parens bool) {
	for {
		name := gp.dottedName()
		if gp.is("as") {
			a := gp.wrap(sAliasedImport, name, fName)
			gp.anon(a, 0)
			gp.add(a, gp.identifier(), fAlias)
			name = a
		}
		gp.add(n, name, fName)
		if !gp.is(",") {
			return
		}
		gp.anon(n, 0)
		if parens && gp.is(")") {
			return
		}
	}
}

func (gp *gparser) importFrom(container int32) {
	n := gp.node(sImportFromStatement)
	gp.anon(n, 0)
	switch {
	case gp.is("__future__"):
		gp.nodes[n].sym = sFutureImportStatement
		gp.anon(n, 0)
	case gp.is(".") || gp.is("..."):
		r := gp.node(sRelativeImport)
		pre := gp.node(sImportPrefix)
		for gp.is(".") || gp.is("...") {
			t := gp.advance()
			for at := t.start; at < t.end; at++ {
				gp.add(pre, gp.leafAt(anonSyms["."], false, at, at+1), 0)
			}
		}
		gp.add(r, pre, 0)
		if !gp.is("import") {
			gp.add(r, gp.dottedName(), 0)
		}
		gp.add(n, r, fModuleName)
	default:
		gp.add(n, gp.dottedName(), fModuleName)
	}
	gp.expect(n, "import", 0)
	switch {
	case gp.is("*") && gp.nodes[n].sym == sImportFromStatement:
		w := gp.node(sWildcardImport)
		gp.anon(w, 0)
		gp.add(n, w, 0)
	case gp.is("("):
		gp.anon(n, 0)
		gp.importList(n, true)
		gp.expect(n, ")", 0)
	default:
		gp.importList(n, false)
	}
	gp.add(container, n, 0)
}

var augOps = map[string]bool{"+=": true, "-=": true, "*=": true, "/=": true, "@=": true, "//=": true, "%=": true,
	"**=": true, ">>=": true, "<<=": true, "&=": true, "^=": true, "|=": true}

func (gp *gparser) isAugOp() bool {
	t := gp.tok()
	return t.kind == gOp && augOps[string(gp.src[t.start:t.end])]
}

func (gp *gparser) expressionStatement(container int32) {
	n := gp.node(sExpressionStatement)
	if gp.is("yield") {
		gp.add(n, gp.yield(), 0)
		gp.add(container, n, 0)
		return
	}
	elems, comma := gp.starList(gp.starredSimple)
	switch {
	case gp.is("="):
		gp.add(n, gp.assignment(gp.targets(elems, comma)), 0)
	case gp.is(":") && !comma:
		a := gp.wrap(sAssignment, gp.toPattern(elems[0]), fLeft)
		gp.anon(a, 0)
		gp.add(a, gp.typeNode(), fType)
		if gp.is("=") {
			gp.anon(a, 0)
			gp.add(a, gp.rightHandSide(), fRight)
		}
		gp.add(n, a, 0)
	case gp.isAugOp():
		a := gp.wrap(sAugmentedAssignment, gp.targets(elems, comma), fLeft)
		gp.anon(a, fOperator)
		gp.add(a, gp.rightHandSide(), fRight)
		gp.add(n, a, 0)
	default:
		for _, e := range elems {
			gp.add(n, e, 0)
		}
	}
	gp.add(container, n, 0)
}

// assignment parses "= right" after left.
func (gp *gparser) assignment(left int32) int32 {
	a := gp.wrap(sAssignment, left, fLeft)
	gp.anon(a, 0)
	gp.add(a, gp.rightHandSide(), fRight)
	return a
}

func (gp *gparser) rightHandSide() int32 {
	if gp.is("yield") {
		return gp.yield()
	}
	elems, comma := gp.starList(gp.starredSimple)
	if gp.is("=") {
		return gp.assignment(gp.targets(elems, comma))
	}
	if gp.isAugOp() {
		gp.bail()
	}
	return gp.listOf(sExpressionList, elems, comma)
}

// listOf is the one element, or a node of kind sym holding them with their
// commas.
func (gp *gparser) listOf(sym uint16, elems []int32, comma bool) int32 {
	if !comma {
		return elems[0]
	}
	n := gp.node(sym)
	for _, e := range elems {
		gp.add(n, e, 0)
	}
	return n
}

// starList parses elements separated by commas (with the commas, as
// anonymous nodes), a trailing comma allowed; comma says whether there was
// one.
func (gp *gparser) starList(elem func() int32) (elems []int32, comma bool) {
	elems = append(elems, elem())
	for gp.is(",") {
		comma = true
		t := gp.advance()
		elems = append(elems, gp.leafAt(anonSyms[","], false, t.start, t.end))
		if !gp.startsExpression() {
			break
		}
		elems = append(elems, elem())
	}
	return elems, comma
}

// starredSimple is an expression, or a star and a name, attribute or
// subscript (tree-sitter's list_splat_pattern, shown as list_splat).
func (gp *gparser) starredSimple() int32 {
	if gp.is("*") {
		n := gp.node(sListSplat)
		gp.anon(n, 0)
		e := gp.binary(precBitOr)
		if gp.nodes[e].sym != sIdentifier {
			gp.bail()
		}
		gp.add(n, e, 0)
		return n
	}
	return gp.expression()
}

// starOperand parses what follows a star with parse. tree-sitter also
// reads "*name" as a node of its own, to which calls, attributes,
// subscripts and operators may then apply, and which of the two trees it
// keeps depends on the rest of the file: an operand that starts with a name
// and is more than that name is left to it.
func (gp *gparser) starOperand(parse func() int32) int32 {
	first := gp.tok()
	byName := first.kind == gName
	switch string(gp.src[first.start:first.end]) {
	case "True", "False", "None", "lambda", "not", "yield":
		byName = false
	}
	e := parse()
	if byName && gp.nodes[e].sym != sIdentifier {
		gp.bail()
	}
	return e
}

// targets turns what was parsed as expressions into assignment targets.
func (gp *gparser) targets(elems []int32, comma bool) int32 {
	if !comma {
		return gp.toPattern(elems[0])
	}
	n := gp.node(sPatternList)
	for _, e := range elems {
		if gp.nodes[e].named {
			e = gp.toPattern(e)
		}
		gp.add(n, e, 0)
	}
	return n
}

// toPattern turns an expression into the pattern tree-sitter parses in
// its place.
func (gp *gparser) toPattern(e int32) int32 {
	g := &gp.nodes[e]
	switch g.sym {
	case sIdentifier, sAttribute, sSubscript:
		return e
	case sParenthesizedExpression, sTuple:
		g.sym = sTuplePattern
	case sList:
		g.sym = sListPattern
	case sListSplat:
		g.sym = sListSplatPattern
		k := gp.nodes[g.last].sym
		if k != sIdentifier && k != sAttribute && k != sSubscript {
			gp.bail()
		}
		return e
	default:
		gp.bail()
	}
	for k := gp.nodes[e].first; k >= 0; k = gp.nodes[k].next {
		if gp.nodes[k].named {
			gp.toPattern(k)
		}
	}
	return e
}

// startsExpression says whether the next token can start an expression.
func (gp *gparser) startsExpression() bool {
	t := gp.tok()
	switch t.kind {
	case gInt, gFloat, gStrStart:
		return true
	case gName:
		switch gp.textOf(t) {
		case "True", "False", "None", "lambda", "not", "await", "yield":
			return true
		}
		return !hardKeywords[gp.textOf(t)]
	case gOp:
		switch gp.textOf(t) {
		case "(", "[", "{", "-", "+", "~", "*", "...":
			return true
		}
	}
	return false
}

// expressions is an expression or an expression_list.
func (gp *gparser) expressions() int32 {
	elems, comma := gp.starList(gp.expression)
	return gp.listOf(sExpressionList, elems, comma)
}

func (gp *gparser) yield() int32 {
	n := gp.node(sYield)
	gp.anon(n, 0)
	if gp.is("from") {
		gp.anon(n, 0)
		gp.add(n, gp.expression(), 0)
	} else if gp.startsExpression() {
		gp.add(n, gp.expressions(), 0)
	}
	return n
}

// Compound statements.

// suite parses a block after a header's colon into parent, in field.
func (gp *gparser) suite(parent int32, field uint16) {
	b := gp.node(sBlock)
	if gp.tok().kind != gIndent {
		gp.simpleStatements(b)
		gp.add(parent, b, field)
		return
	}
	gp.comments(parent)
	gp.advance()
	gp.comments(parent)
	for gp.tok().kind != gDedent {
		gp.comments(b)
		gp.statement(b)
	}
	gp.comments(b)
	t := gp.advance()
	gp.extend(b, t.end)
	gp.add(parent, b, field)
}

// clause says whether the next token is the keyword of a clause that
// continues a compound statement, placing the comments before it in n.
func (gp *gparser) clause(n int32, kw string) bool {
	if gp.is(kw) {
		gp.comments(n)
		return true
	}
	return false
}

func (gp *gparser) ifStatement(parent int32) {
	n := gp.node(sIfStatement)
	gp.anon(n, 0)
	gp.add(n, gp.expression(), fCondition)
	gp.expect(n, ":", 0)
	gp.suite(n, fConsequence)
	for gp.clause(n, "elif") {
		c := gp.node(sElifClause)
		gp.anon(c, 0)
		gp.add(c, gp.expression(), fCondition)
		gp.expect(c, ":", 0)
		gp.suite(c, fConsequence)
		gp.add(n, c, fAlternative)
	}
	gp.elseClause(n, fAlternative)
	gp.add(parent, n, 0)
}

func (gp *gparser) elseClause(n int32, field uint16) {
	if gp.clause(n, "else") {
		c := gp.node(sElseClause)
		gp.anon(c, 0)
		gp.expect(c, ":", 0)
		gp.suite(c, fBody)
		gp.add(n, c, field)
	}
}

func (gp *gparser) forStatement(parent, async int32) {
	n := gp.node(sForStatement)
	if async >= 0 {
		gp.add(n, async, 0)
	}
	gp.anon(n, 0)
	gp.add(n, gp.forTargets(), fLeft)
	gp.expect(n, "in", 0)
	gp.add(n, gp.expressions(), fRight)
	gp.expect(n, ":", 0)
	gp.suite(n, fBody)
	gp.elseClause(n, fAlternative)
	gp.add(parent, n, 0)
}

// forTargets parses a for loop's or comprehension's targets, up to "in".
func (gp *gparser) forTargets() int32 {
	elems, comma := gp.starList(func() int32 {
		if gp.is("*") {
			n := gp.node(sListSplat)
			gp.anon(n, 0)
			gp.add(n, gp.starOperand(gp.bitOr), 0)
			return n
		}
		return gp.binary(precBitOr)
	})
	return gp.targets(elems, comma)
}

func (gp *gparser) whileStatement(parent int32) {
	n := gp.node(sWhileStatement)
	gp.anon(n, 0)
	gp.add(n, gp.expression(), fCondition)
	gp.expect(n, ":", 0)
	gp.suite(n, fBody)
	gp.elseClause(n, fAlternative)
	gp.add(parent, n, 0)
}

func (gp *gparser) tryStatement(parent int32) {
	n := gp.node(sTryStatement)
	gp.anon(n, 0)
	gp.expect(n, ":", 0)
	gp.suite(n, fBody)
	handlers, groups := 0, 0
	for gp.clause(n, "except") {
		handlers++
		t, next := gp.tok(), gp.peekTok(1)
		if next.kind == gOp && next.start == t.end && next.end == next.start+1 && gp.src[next.start] == '*' {
			if groups++; groups != handlers {
				gp.bail() // except and except* mixed
			}
			// except*: one token
			c := gp.node(sExceptGroupClause)
			gp.advance()
			gp.advance()
			gp.add(c, gp.leafAt(anonSyms["except*"], false, t.start, next.end), 0)
			gp.add(c, gp.exceptValue(), 0)
			gp.expect(c, ":", 0)
			gp.suite(c, 0)
			gp.add(n, c, 0)
			continue
		}
		if groups > 0 {
			gp.bail()
		}
		c := gp.node(sExceptClause)
		gp.anon(c, 0)
		if !gp.is(":") {
			gp.add(c, gp.exceptValue(), fValue)
		}
		gp.expect(c, ":", 0)
		gp.suite(c, 0)
		gp.add(n, c, 0)
	}
	if handlers > 0 {
		gp.elseClause(n, 0)
	}
	if gp.clause(n, "finally") {
		c := gp.node(sFinallyClause)
		gp.anon(c, 0)
		gp.expect(c, ":", 0)
		gp.suite(c, 0)
		gp.add(n, c, 0)
	} else if handlers == 0 {
		gp.bail()
	}
	gp.add(parent, n, 0)
}

// exceptValue parses what an except clause catches, and its "as" name:
// tree-sitter makes them an as_pattern.
func (gp *gparser) exceptValue() int32 {
	e := gp.expression()
	if gp.is("as") {
		e = gp.asPattern(e)
	}
	return e
}

// asPattern parses "as target" after e.
func (gp *gparser) asPattern(e int32) int32 {
	ap := gp.wrap(sAsPattern, e, 0)
	gp.anon(ap, 0)
	target := gp.expression()
	if s := gp.nodes[target].sym; s != sIdentifier && s != sAttribute && s != sSubscript {
		gp.bail()
	}
	gp.add(ap, gp.wrap(sAsPatternTarget, target, 0), fAlias)
	return ap
}

func (gp *gparser) withStatement(parent, async int32) {
	n := gp.node(sWithStatement)
	if async >= 0 {
		gp.add(n, async, 0)
	}
	gp.anon(n, 0)
	if gp.is("(") {
		gp.bail() // parenthesized items or a tuple: tree-sitter weighs both
	}
	wc := gp.node(sWithClause)
	for {
		it := gp.node(sWithItem)
		e := gp.expression()
		if gp.is("as") {
			e = gp.asPattern(e)
		}
		gp.add(it, e, fValue)
		gp.add(wc, it, 0)
		if !gp.is(",") {
			break
		}
		gp.anon(wc, 0)
	}
	gp.add(n, wc, 0)
	gp.expect(n, ":", 0)
	gp.suite(n, fBody)
	gp.add(parent, n, 0)
}

func (gp *gparser) functionDefinition(async int32) int32 {
	n := gp.node(sFunctionDefinition)
	if async >= 0 {
		gp.add(n, async, 0)
	}
	gp.anon(n, 0)
	gp.add(n, gp.identifier(), fName)
	if !gp.is("(") {
		gp.bail() // type parameters
	}
	ps := gp.node(sParameters)
	gp.anon(ps, 0)
	if !gp.is(")") {
		gp.parameterList(ps, true)
	}
	gp.expect(ps, ")", 0)
	gp.add(n, ps, fParameters)
	if gp.is("->") {
		gp.anon(n, 0)
		gp.add(n, gp.typeNode(), fReturnType)
	}
	gp.expect(n, ":", 0)
	gp.suite(n, fBody)
	return n
}

// parameterList parses parameters into n, with their commas; typed says
// whether annotations are allowed (not in a lambda).
func (gp *gparser) parameterList(n int32, typed bool) {
	for {
		var p int32
		switch {
		case gp.is("/"):
			p = gp.node(sPositionalSeparator)
			gp.anon(p, 0)
		case gp.is("*") && (gp.isAt(1, ",") || gp.isAt(1, ")") || gp.isAt(1, ":")):
			p = gp.node(sKeywordSeparator)
			gp.anon(p, 0)
		case gp.is("*") || gp.is("**"):
			sym := sListSplatPattern
			if gp.is("**") {
				sym = sDictionarySplatPattern
			}
			p = gp.node(sym)
			gp.anon(p, 0)
			gp.add(p, gp.identifier(), 0)
			if typed && gp.is(":") {
				p = gp.wrap(sTypedParameter, p, 0)
				gp.anon(p, 0)
				gp.add(p, gp.typeNode(), fType)
			}
		default:
			name := gp.identifier()
			switch {
			case typed && gp.is(":"):
				p = gp.node(sTypedParameter)
				gp.add(p, name, 0)
				gp.anon(p, 0)
				gp.add(p, gp.typeNode(), fType)
				if gp.is("=") {
					gp.nodes[p].sym = sTypedDefaultParameter
					gp.nodes[name].field = fName
					gp.anon(p, 0)
					gp.add(p, gp.expression(), fValue)
				}
			case gp.is("="):
				p = gp.wrap(sDefaultParameter, name, fName)
				gp.anon(p, 0)
				gp.add(p, gp.expression(), fValue)
			default:
				p = name
			}
		}
		gp.add(n, p, 0)
		if !gp.is(",") {
			return
		}
		gp.anon(n, 0)
		if gp.is(")") || gp.is(":") {
			return
		}
	}
}

func (gp *gparser) classDefinition() int32 {
	n := gp.node(sClassDefinition)
	gp.anon(n, 0)
	gp.add(n, gp.identifier(), fName)
	if gp.is("[") {
		gp.bail() // type parameters
	}
	if gp.is("(") {
		gp.add(n, gp.argumentList(), fSuperclasses)
	}
	gp.expect(n, ":", 0)
	gp.suite(n, fBody)
	return n
}

func (gp *gparser) decorated(parent int32) {
	n := gp.node(sDecoratedDefinition)
	for gp.is("@") {
		gp.comments(n)
		d := gp.node(sDecorator)
		gp.anon(d, 0)
		gp.add(d, gp.expression(), 0)
		gp.comments(d)
		t := gp.tok()
		if t.kind != gNewline {
			gp.bail()
		}
		gp.advance()
		gp.extend(d, t.end)
		gp.add(n, d, 0)
	}
	gp.comments(n)
	switch {
	case gp.is("def"):
		gp.add(n, gp.functionDefinition(-1), fDefinition)
	case gp.is("class"):
		gp.add(n, gp.classDefinition(), fDefinition)
	case gp.is("async") && gp.isAt(1, "def"):
		t := gp.advance()
		gp.add(n, gp.functionDefinition(gp.leafAt(anonSyms["async"], false, t.start, t.end)), fDefinition)
	default:
		gp.bail()
	}
	gp.add(parent, n, 0)
}

// Match statements.

// isMatchStatement says whether the line starting with "match" is a match
// statement: a header whose block starts with "case".
func (gp *gparser) isMatchStatement() bool {
	for k := gp.i; k < len(gp.toks); k++ {
		switch gp.toks[k].kind {
		case gNewline, gEOF:
			return false
		case gIndent:
			t := &gp.toks[k+1]
			return t.kind == gName && string(gp.src[t.start:t.end]) == "case"
		}
	}
	return false
}

func (gp *gparser) matchStatement(parent int32) {
	n := gp.node(sMatchStatement)
	gp.anon(n, 0)
	gp.commaList(n, fSubject, gp.expression, ":")
	gp.expect(n, ":", 0)
	gp.comments(n)
	indent := gp.advance() // the lexer made it an INDENT: the block starts there
	b := gp.node(sBlock)
	for gp.tok().kind != gDedent {
		gp.comments(b)
		if !gp.is("case") {
			gp.bail()
		}
		gp.add(b, gp.caseClause(), fAlternative)
	}
	gp.comments(b)
	t := gp.advance()
	gp.extend(b, t.end)
	gp.nodes[b].start = indent.start
	gp.add(n, b, fBody)
	gp.add(parent, n, 0)
}

func (gp *gparser) caseClause() int32 {
	c := gp.node(sCaseClause)
	gp.anon(c, 0)
	gp.commaList(c, 0, gp.casePattern, ":", "if")
	if gp.is("if") {
		g := gp.node(sIfClause)
		gp.anon(g, 0)
		gp.add(g, gp.expression(), 0)
		gp.add(c, g, fGuard)
	}
	gp.expect(c, ":", 0)
	gp.suite(c, fConsequence)
	return c
}

func (gp *gparser) casePattern() int32 {
	cp := gp.node(sCasePattern)
	if t := gp.tok(); t.kind == gName && gp.isAt(1, "=") {
		kp := gp.wrap(sKeywordPattern, gp.identifier(), 0)
		gp.anon(kp, 0)
		for _, k := range gp.simplePattern() {
			gp.add(kp, k, 0)
		}
		gp.add(cp, kp, 0)
	} else {
		first := gp.simplePattern()
		if gp.is("|") {
			u := gp.node(sUnionPattern)
			for _, k := range first {
				gp.add(u, k, 0)
			}
			for gp.is("|") {
				gp.anon(u, 0)
				for _, k := range gp.simplePattern() {
					gp.add(u, k, 0)
				}
			}
			first = []int32{u}
		}
		for _, k := range first {
			gp.add(cp, k, 0)
		}
	}
	for gp.is("as") {
		ap := gp.wrap(sAsPattern, cp, 0)
		gp.anon(ap, 0)
		gp.add(ap, gp.identifier(), 0)
		cp = gp.wrap(sCasePattern, ap, 0)
	}
	return cp
}

// simplePattern parses a pattern without "as" or "|": the nodes it adds
// to its parent (a signed number is two).
func (gp *gparser) simplePattern() []int32 {
	t := gp.tok()
	switch {
	case gp.is("-") || t.kind == gInt || t.kind == gFloat:
		var out []int32
		if gp.is("-") {
			t := gp.advance()
			out = append(out, gp.leafAt(anonSyms["-"], false, t.start, t.end))
		}
		out = append(out, gp.number())
		if gp.is("+") || gp.is("-") {
			c := gp.node(sComplexPattern)
			for _, k := range out {
				gp.add(c, k, 0)
			}
			gp.anon(c, 0)
			gp.add(c, gp.number(), 0)
			out = []int32{c}
		}
		return out
	case t.kind == gStrStart:
		return []int32{gp.atom()}
	case gp.is("True") || gp.is("False") || gp.is("None"):
		return []int32{gp.atom()}
	case gp.is("_"):
		if gp.isAt(1, ".") || gp.isAt(1, "(") {
			gp.bail()
		}
		t := gp.advance()
		return []int32{gp.leafAt(anonSyms["_"], false, t.start, t.end)}
	case t.kind == gName:
		d := gp.dottedName()
		if !gp.is("(") {
			return []int32{d}
		}
		c := gp.wrap(sClassPattern, d, 0)
		gp.anon(c, 0)
		gp.patternsUntil(c, ")")
		return []int32{c}
	case gp.is("("):
		n := gp.node(sTuplePattern)
		gp.anon(n, 0)
		gp.patternsUntil(n, ")")
		return []int32{n}
	case gp.is("["):
		n := gp.node(sListPattern)
		gp.anon(n, 0)
		gp.patternsUntil(n, "]")
		return []int32{n}
	case gp.is("*"):
		n := gp.node(sSplatPattern)
		gp.anon(n, 0)
		gp.add(n, gp.splatTarget(), 0)
		return []int32{n}
	case gp.is("{"):
		n := gp.node(sDictPattern)
		gp.anon(n, 0)
		for !gp.is("}") {
			if gp.is("**") {
				sp := gp.node(sSplatPattern)
				gp.anon(sp, 0)
				gp.add(sp, gp.splatTarget(), 0)
				gp.add(n, sp, 0)
			} else {
				for _, k := range gp.simplePattern() {
					gp.add(n, k, fKey)
				}
				gp.expect(n, ":", 0)
				gp.add(n, gp.casePattern(), fValue)
			}
			if !gp.is(",") {
				break
			}
			gp.anon(n, 0)
		}
		gp.expect(n, "}", 0)
		return []int32{n}
	}
	gp.bail()
	return nil
}

func (gp *gparser) number() int32 {
	switch gp.tok().kind {
	case gInt:
		return gp.leaf(sInteger)
	case gFloat:
		return gp.leaf(sFloat)
	}
	gp.bail()
	return -1
}

// splatTarget is the name after * or ** in a pattern, or _.
func (gp *gparser) splatTarget() int32 {
	if gp.is("_") {
		t := gp.advance()
		return gp.leafAt(anonSyms["_"], false, t.start, t.end)
	}
	return gp.identifier()
}

// patternsUntil parses case patterns separated by commas into n, up to and
// with close.
func (gp *gparser) patternsUntil(n int32, close string) {
	for !gp.is(close) {
		gp.add(n, gp.casePattern(), 0)
		if !gp.is(",") {
			break
		}
		gp.anon(n, 0)
	}
	gp.expect(n, close, 0)
}

// Types.

// typeNode parses an annotation as tree-sitter does: an expression, except
// that a name subscripted is a generic type.
func (gp *gparser) typeNode() int32 {
	e := gp.expression()
	switch gp.nodes[e].sym {
	case sComparisonOperator, sBooleanOperator, sNotOperator, sConditionalExpression, sLambda, sNamedExpression:
		gp.bail() // not in annotations as tree-sitter reads them
	}
	return gp.wrap(sType, gp.typeOf(e), 0)
}

func (gp *gparser) isGeneric(e int32) bool {
	g := gp.nodes[e]
	return g.sym == sSubscript && gp.nodes[g.first].sym == sIdentifier
}

// typeOf is the inner node of a type for expression e. In a type,
// tree-sitter takes a name subscripted for a generic type wherever it can,
// and then nothing may follow it: so a subscripted name anywhere but where
// the cases below place it leaves the file to tree-sitter.
func (gp *gparser) typeOf(e int32) int32 {
	g := gp.nodes[e]
	switch {
	case gp.isGeneric(e):
		kids := gp.children(e)
		gt := gp.node(sGenericType)
		gp.nodes[kids[0]].field = 0
		gp.add(gt, kids[0], 0)
		tp := gp.node(sTypeParameter)
		for _, k := range kids[1:] {
			gp.nodes[k].next = -1
			if gp.nodes[k].named {
				if gp.nodes[k].sym == sSlice {
					gp.bail()
				}
				k = gp.wrap(sType, gp.typeOf(k), 0)
			}
			gp.add(tp, k, 0)
		}
		gp.add(gt, tp, 0)
		return gt
	case g.sym == sBinaryOperator && gp.src[gp.nodes[gp.children(e)[1]].start] == '|':
		kids := gp.children(e)
		left, right := kids[0], kids[2]
		if !gp.isGeneric(left) {
			// an expression: "int | List[int]" is one, a longer union
			// with a generic type in it is left to tree-sitter
			if gp.hasGeneric(left) || (gp.isUnion(left) || !gp.isGeneric(right)) && gp.hasGeneric(right) {
				gp.bail()
			}
			return e
		}
		u := gp.node(sUnionType)
		for _, k := range []int32{left, kids[1], right} {
			gp.nodes[k].next = -1
			gp.nodes[k].field = 0
			if gp.nodes[k].named {
				k = gp.wrap(sType, gp.typeOf(k), 0)
			}
			gp.add(u, k, 0)
		}
		return u
	}
	if gp.hasGeneric(e) {
		gp.bail()
	}
	return e
}

func (gp *gparser) isUnion(e int32) bool {
	return gp.nodes[e].sym == sBinaryOperator && gp.src[gp.nodes[gp.children(e)[1]].start] == '|'
}

// hasGeneric says whether a subscripted name is anywhere in e.
func (gp *gparser) hasGeneric(e int32) bool {
	if gp.isGeneric(e) {
		return true
	}
	for k := gp.nodes[e].first; k >= 0; k = gp.nodes[k].next {
		if gp.hasGeneric(k) {
			return true
		}
	}
	return false
}

// Expressions.

const (
	precOr = 10 + iota
	precAnd
	precNot
	precCompare
	precBitOr
	precBitAnd
	precXor
	precShift
	precPlus
	precTimes
	precUnary
	precPower
)

// binaryPrec is tree-sitter's precedence of a binary operator (0: none).
func (gp *gparser) binaryPrec() int {
	t := gp.tok()
	if t.kind != gOp {
		return 0
	}
	switch string(gp.src[t.start:t.end]) {
	case "|":
		return precBitOr
	case "&":
		return precBitAnd
	case "^":
		return precXor
	case "<<", ">>":
		return precShift
	case "+", "-":
		return precPlus
	case "*", "@", "/", "%", "//":
		return precTimes
	case "**":
		return precPower
	}
	return 0
}

func (gp *gparser) expression() int32 {
	gp.enter()
	defer gp.leave()
	if gp.is("lambda") {
		return gp.lambda()
	}
	e := gp.disjunction()
	if gp.is("if") {
		c := gp.wrap(sConditionalExpression, e, 0)
		gp.anon(c, 0)
		gp.add(c, gp.disjunction(), 0)
		gp.expect(c, "else", 0)
		gp.add(c, gp.expression(), 0)
		return c
	}
	return e
}

func (gp *gparser) lambda() int32 {
	n := gp.node(sLambda)
	gp.anon(n, 0)
	if !gp.is(":") {
		ps := gp.node(sLambdaParameters)
		gp.parameterList(ps, false)
		gp.add(n, ps, fParameters)
	}
	gp.expect(n, ":", 0)
	gp.add(n, gp.expression(), fBody)
	return n
}

func (gp *gparser) disjunction() int32 {
	if t := gp.tok(); t.kind == gName && gp.peekTok(1).kind == gOp && gp.isAt(1, ":=") {
		n := gp.wrap(sNamedExpression, gp.identifier(), fName)
		gp.anon(n, 0)
		gp.add(n, gp.expression(), fValue)
		return n
	}
	return gp.booleanChain("or", gp.conjunction)
}

func (gp *gparser) conjunction() int32 { return gp.booleanChain("and", gp.inversion) }

// booleanChain parses operands joined by the boolean operator op, left
// associative.
func (gp *gparser) booleanChain(op string, operand func() int32) int32 {
	e := operand()
	for gp.is(op) {
		n := gp.wrap(sBooleanOperator, e, fLeft)
		gp.anon(n, fOperator)
		gp.add(n, operand(), fRight)
		e = n
	}
	return e
}

func (gp *gparser) inversion() int32 {
	gp.enter()
	defer gp.leave()
	if gp.is("not") {
		n := gp.node(sNotOperator)
		gp.anon(n, 0)
		gp.add(n, gp.inversion(), fArgument)
		return n
	}
	return gp.comparison()
}

func (gp *gparser) comparison() int32 {
	e := gp.binary(precBitOr)
	var n int32 = -1
	for {
		t := gp.tok()
		var op string
		if t.kind == gOp || t.kind == gName {
			op = string(gp.src[t.start:t.end])
		}
		switch op {
		case "<", "<=", "==", "!=", ">=", ">", "in", "is", "not":
		default:
			if n < 0 {
				return e
			}
			return n
		}
		if n < 0 {
			n = gp.wrap(sComparisonOperator, e, 0)
		}
		switch {
		case op == "not" || op == "is" && gp.isAt(1, "not"):
			if op == "not" && !gp.isAt(1, "in") {
				gp.bail()
			}
			name := "not in"
			if op == "is" {
				name = "is not"
			}
			pair := gp.node(anonSyms[name])
			gp.nodes[pair].named = false
			gp.anon(pair, 0)
			gp.anon(pair, 0)
			gp.add(n, pair, fOperators)
		default:
			gp.anon(n, fOperators)
		}
		gp.add(n, gp.binary(precBitOr), 0)
	}
}

func (gp *gparser) bitOr() int32 { return gp.binary(precBitOr) }

// binary parses operators of precedence min and above (precedence
// climbing with tree-sitter's table, which is not quite Python's: ^ binds
// tighter than &).
func (gp *gparser) binary(min int) int32 {
	left := gp.unary()
	for {
		prec := gp.binaryPrec()
		if prec == 0 || prec < min {
			return left
		}
		n := gp.wrap(sBinaryOperator, left, fLeft)
		gp.anon(n, fOperator)
		if prec == precPower {
			gp.add(n, gp.binary(precPower), fRight)
		} else {
			gp.add(n, gp.binary(prec+1), fRight)
		}
		left = n
	}
}

func (gp *gparser) unary() int32 {
	gp.enter()
	defer gp.leave()
	switch {
	case gp.is("-") || gp.is("+") || gp.is("~"):
		n := gp.node(sUnaryOperator)
		gp.anon(n, fOperator)
		gp.add(n, gp.binary(precPower), fArgument)
		return n
	case gp.is("await"):
		n := gp.node(sAwait)
		gp.anon(n, 0)
		gp.add(n, gp.binary(precPower), 0)
		return n
	}
	return gp.postfix(gp.atom())
}

func (gp *gparser) postfix(e int32) int32 {
	for {
		switch {
		case gp.is("."):
			n := gp.wrap(sAttribute, e, fObject)
			gp.anon(n, 0)
			gp.add(n, gp.identifier(), fAttribute)
			e = n
		case gp.is("("):
			n := gp.wrap(sCall, e, fFunction)
			gp.add(n, gp.argumentList(), fArguments)
			e = n
		case gp.is("["):
			n := gp.wrap(sSubscript, e, fValue)
			gp.anon(n, 0)
			gp.commaList(n, fSubscript, gp.subscriptElem, "]")
			gp.expect(n, "]", 0)
			e = n
		default:
			return e
		}
	}
}

func (gp *gparser) subscriptElem() int32 {
	if gp.is("*") {
		gp.bail()
	}
	if !gp.is(":") {
		e := gp.expression()
		if !gp.is(":") {
			return e
		}
		s := gp.wrap(sSlice, e, 0)
		gp.sliceRest(s)
		return s
	}
	s := gp.node(sSlice)
	gp.sliceRest(s)
	return s
}

// sliceRest parses a slice from its first colon.
func (gp *gparser) sliceRest(s int32) {
	gp.anon(s, 0)
	if !gp.is(":") && !gp.is("]") && !gp.is(",") {
		gp.add(s, gp.expression(), 0)
	}
	if gp.is(":") {
		gp.anon(s, 0)
		if !gp.is("]") && !gp.is(",") {
			gp.add(s, gp.expression(), 0)
		}
	}
}

// argumentList parses a call's arguments; a lone generator expression is
// the call's arguments itself.
func (gp *gparser) argumentList() int32 {
	open := gp.advance()
	n := gp.node(sArgumentList)
	gp.add(n, gp.leafAt(anonSyms["("], false, open.start, open.end), 0)
	first := true
	for !gp.is(")") {
		var a int32
		switch {
		case gp.is("*"):
			a = gp.node(sListSplat)
			gp.anon(a, 0)
			gp.add(a, gp.starOperand(gp.expression), 0)
		case gp.is("**"):
			a = gp.node(sDictionarySplat)
			gp.anon(a, 0)
			gp.add(a, gp.expression(), 0)
		case gp.tok().kind == gName && gp.isAt(1, "="):
			a = gp.wrap(sKeywordArgument, gp.identifier(), fName)
			gp.anon(a, 0)
			gp.add(a, gp.expression(), fValue)
		default:
			a = gp.expression()
			if first && (gp.is("for") || gp.is("async")) {
				gp.nodes[n].sym = sGeneratorExpression
				gp.add(n, a, fBody)
				gp.comprehension(n)
				gp.expect(n, ")", 0)
				return n
			}
		}
		first = false
		gp.add(n, a, 0)
		if !gp.is(",") {
			break
		}
		gp.anon(n, 0)
	}
	gp.expect(n, ")", 0)
	return n
}

// comprehension parses for and if clauses into n.
func (gp *gparser) comprehension(n int32) {
	if !gp.is("for") && !gp.is("async") {
		gp.bail()
	}
	for {
		switch {
		case gp.is("for") || gp.is("async"):
			c := gp.node(sForInClause)
			if gp.is("async") {
				gp.anon(c, 0)
			}
			gp.expect(c, "for", 0)
			gp.add(c, gp.forTargets(), fLeft)
			gp.expect(c, "in", 0)
			if gp.is("lambda") {
				gp.bail()
			}
			gp.add(c, gp.disjunction(), fRight)
			if gp.is(",") {
				gp.bail()
			}
			gp.add(n, c, 0)
		case gp.is("if"):
			c := gp.node(sIfClause)
			gp.anon(c, 0)
			gp.add(c, gp.disjunction(), 0)
			gp.add(n, c, 0)
		default:
			return
		}
	}
}

// collectionElem is an element of a list, tuple or set.
func (gp *gparser) collectionElem() int32 {
	switch {
	case gp.is("*"):
		n := gp.node(sListSplat)
		gp.anon(n, 0)
		gp.add(n, gp.starOperand(gp.expression), 0)
		return n
	case gp.is("yield"):
		return gp.yield()
	}
	return gp.expression()
}

func (gp *gparser) atom() int32 {
	t := gp.tok()
	switch t.kind {
	case gName:
		switch gp.textOf(t) {
		case "True":
			return gp.leaf(sTrue)
		case "False":
			return gp.leaf(sFalse)
		case "None":
			return gp.leaf(sNone)
		}
		return gp.identifier()
	case gInt:
		return gp.leaf(sInteger)
	case gFloat:
		return gp.leaf(sFloat)
	case gStrStart:
		s := gp.str()
		if gp.tok().kind == gStrStart {
			s = gp.wrap(sConcatenatedString, s, 0)
			for gp.tok().kind == gStrStart {
				gp.add(s, gp.str(), 0)
			}
		}
		return s
	case gOp:
		switch gp.textOf(t) {
		case "...":
			return gp.leaf(sEllipsis)
		case "(":
			return gp.parenthesized()
		case "[":
			return gp.bracketed()
		case "{":
			return gp.braced()
		}
	}
	gp.bail()
	return -1
}

func (gp *gparser) parenthesized() int32 {
	n := gp.node(sTuple)
	gp.anon(n, 0)
	if gp.is(")") {
		gp.anon(n, 0)
		return n
	}
	if gp.is("yield") {
		gp.nodes[n].sym = sParenthesizedExpression
		gp.add(n, gp.yield(), 0)
		gp.expect(n, ")", 0)
		return n
	}
	first := gp.collectionElem()
	switch {
	case gp.is("for") || gp.is("async"):
		gp.nodes[n].sym = sGeneratorExpression
		gp.add(n, first, fBody)
		gp.comprehension(n)
	case gp.is(")"):
		if gp.nodes[first].sym == sListSplat {
			gp.bail()
		}
		gp.nodes[n].sym = sParenthesizedExpression
		gp.add(n, first, 0)
	default:
		gp.add(n, first, 0)
		gp.restOfCollection(n, ")")
	}
	gp.expect(n, ")", 0)
	return n
}

// restOfCollection parses ", elem" up to close (not consumed).
func (gp *gparser) restOfCollection(n int32, close string) {
	for gp.is(",") {
		gp.anon(n, 0)
		if gp.is(close) {
			return
		}
		gp.add(n, gp.collectionElem(), 0)
	}
}

func (gp *gparser) bracketed() int32 {
	n := gp.node(sList)
	gp.anon(n, 0)
	if !gp.is("]") {
		first := gp.collectionElem()
		if gp.is("for") || gp.is("async") {
			gp.nodes[n].sym = sListComprehension
			gp.add(n, first, fBody)
			gp.comprehension(n)
		} else {
			gp.add(n, first, 0)
			gp.restOfCollection(n, "]")
		}
	}
	gp.expect(n, "]", 0)
	return n
}

func (gp *gparser) braced() int32 {
	n := gp.node(sDictionary)
	gp.anon(n, 0)
	if gp.is("}") {
		gp.anon(n, 0)
		return n
	}
	dictElem := func() int32 {
		if gp.is("**") {
			d := gp.node(sDictionarySplat)
			gp.anon(d, 0)
			gp.add(d, gp.binary(precBitOr), 0)
			return d
		}
		p := gp.wrap(sPair, gp.expression(), fKey)
		gp.expect(p, ":", 0)
		gp.add(p, gp.expression(), fValue)
		return p
	}
	if gp.is("**") {
		gp.add(n, dictElem(), 0)
	} else {
		first := gp.collectionElem()
		if gp.is(":") {
			p := gp.wrap(sPair, first, fKey)
			gp.anon(p, 0)
			gp.add(p, gp.expression(), fValue)
			if gp.is("for") || gp.is("async") {
				gp.nodes[n].sym = sDictionaryComprehension
				gp.add(n, p, fBody)
				gp.comprehension(n)
				gp.expect(n, "}", 0)
				return n
			}
			gp.add(n, p, 0)
		} else {
			gp.nodes[n].sym = sSet
			if gp.is("for") || gp.is("async") {
				gp.nodes[n].sym = sSetComprehension
				gp.add(n, first, fBody)
				gp.comprehension(n)
				gp.expect(n, "}", 0)
				return n
			}
			gp.add(n, first, 0)
			gp.restOfCollection(n, "}")
			gp.expect(n, "}", 0)
			return n
		}
	}
	for gp.is(",") {
		gp.anon(n, 0)
		if gp.is("}") {
			break
		}
		gp.add(n, dictElem(), 0)
	}
	gp.expect(n, "}", 0)
	return n
}

// Strings.

func (gp *gparser) str() int32 {
	n := gp.node(sString)
	gp.add(n, gp.leaf(sStringStart), 0)
	for {
		t := gp.tok()
		switch {
		case t.kind == gStrContent:
			gp.add(n, gp.stringContent(), 0)
		case t.kind == gStrEnd:
			gp.add(n, gp.leaf(sStringEnd), 0)
			return n
		case gp.is("{"):
			gp.add(n, gp.interpolation(sInterpolation), 0)
		default:
			gp.bail()
		}
	}
}

// stringContent makes a string_content node with its escape sequences, by
// tree-sitter's rules for them.
func (gp *gparser) stringContent() int32 {
	t := gp.advance()
	n := gp.leafAt(sStringContent, true, t.start, t.end)
	src := gp.src[:t.end]
	esc := func(from, to int, sym uint16) {
		gp.add(n, gp.leafAt(sym, true, uint32(from), uint32(to)), 0)
		gp.nodes[n].start, gp.nodes[n].end = t.start, t.end // the content's range, not its escapes'
	}
	for i := int(t.start); i < len(src); {
		c := src[i]
		switch {
		case t.flags&strFormat != 0 && (c == '{' || c == '}'):
			esc(i, i+2, sEscapeInterpolation)
			i += 2
		case c != '\\':
			i++
		case t.flags&strRaw != 0:
			i++
			if i < len(src) && (src[i] == '\\' || src[i] == '\'' || src[i] == '"' || src[i] == '\n') {
				i++
			}
		default:
			if l := escapeLen(src[i:], t.flags&strBytes != 0); l > 0 {
				esc(i, i+l, sEscapeSequence)
				i += l
			} else if t.flags&strBytes != 0 && i+1 < len(src) && (src[i+1] == 'N' || src[i+1] == 'u' || src[i+1] == 'U') {
				i += 2 // content, in bytes
			} else {
				esc(i, i+1, anonSyms["\\"]) // a backslash that escapes nothing
				gp.nodes[gp.nodes[n].last].named = false
				i++
			}
		}
	}
	return n
}

// escapeLen is the length of the escape sequence at b (a backslash), 0
// for none, as tree-sitter's escape_sequence token matches it.
func escapeLen(b []byte, bytesLit bool) int {
	if len(b) < 2 {
		return 0
	}
	hex := func(n int) int {
		if len(b) < 2+n {
			return 0
		}
		for _, c := range b[2 : 2+n] {
			if !isHex(c) {
				return 0
			}
		}
		return 2 + n
	}
	switch c := b[1]; {
	case c == 'u' && !bytesLit:
		return hex(4)
	case c == 'U' && !bytesLit:
		return hex(8)
	case c == 'x':
		return hex(2)
	case isDigit(c):
		n := 2
		for n < 4 && n < len(b) && isDigit(b[n]) {
			n++
		}
		return n
	case c == '\n':
		return 2
	case strings1(c, "'\"abfrntv\\"):
		return 2
	case c == 'N' && !bytesLit:
		if len(b) > 3 && b[2] == '{' && b[3] != '}' {
			for j := 3; j < len(b); j++ {
				if b[j] == '}' {
					return j + 1
				}
			}
		}
	}
	return 0
}

// interpolation parses an f-string field (kind sym: interpolation, or
// format_expression inside a format specifier).
func (gp *gparser) interpolation(sym uint16) int32 {
	n := gp.node(sym)
	gp.anon(n, 0)
	if gp.is("*") || gp.is("yield") {
		gp.bail()
	}
	gp.add(n, gp.expressions(), fExpression)
	if gp.is("=") {
		gp.anon(n, 0)
	}
	if gp.tok().kind == gConv {
		t := gp.advance()
		gp.add(n, gp.leafAt(sTypeConversion, true, t.start, t.end), fTypeConversion)
	}
	if gp.is(":") {
		s := gp.node(sFormatSpecifier)
		gp.anon(s, 0)
		for !gp.is("}") {
			switch t := gp.tok(); {
			case t.kind == gSpecText:
				gp.advance()
				gp.extend(s, t.end)
			case gp.is("{"):
				gp.add(s, gp.interpolation(sFormatExpression), 0)
			default:
				gp.bail()
			}
		}
		gp.add(n, s, fFormatSpecifier)
	}
	gp.expect(n, "}", 0)
	return n
}

// excerptAt is the source around an offset, for messages.
func excerptAt(src []byte, at int) string {
	from, to := max(at-30, 0), min(at+30, len(src))
	return string(src[from:to])
}
