package validate

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// hardKeywords cannot be names.
var hardKeywords = map[string]bool{
	"False": true, "None": true, "True": true, "and": true, "as": true, "assert": true, "async": true, "await": true,
	"break": true, "class": true, "continue": true, "def": true, "del": true, "elif": true, "else": true, "except": true,
	"finally": true, "for": true, "from": true, "global": true, "if": true, "import": true, "in": true, "is": true,
	"lambda": true, "nonlocal": true, "not": true, "or": true, "pass": true, "raise": true, "return": true, "try": true,
	"while": true, "with": true, "yield": true,
}

// embeddedCheck gives a syntax verdict without an interpreter: tree-sitter's
// parse plus the checks CPython's tokenizer, parser and compiler make that
// tree-sitter does not. minor is the workers' Python 3 minor version; syntax
// newer than it is an error. It returns nil for a file CPython would compile.
func (p *parser) embeddedCheck(raw []byte, minor int) *pyError {
	src, derr := decodeSource(raw)
	if derr != nil {
		return derr
	}
	_, _, e := p.embedded(src, minor, true)
	return e
}

// embedded parses decoded source once and, when check is true, gives the
// embedded checker's verdict on it. The tree, and the source as it was
// parsed (type parameter defaults blanked), serve the DAG analysis too.
func (p *parser) embedded(src []byte, minor int, check bool) (*node, []byte, *pyError) {
	sc := scanSource(src)
	src, defaults := blankTypeParamDefaults(src, sc)
	root := p.parseFlat(src, sc)
	if !check {
		return root, src, nil
	}
	return root, src, p.checkTree(root, src, sc, defaults, minor)
}

// checkTree gives the verdict on decoded source (with type parameter
// defaults blanked, see blankTypeParamDefaults) and its parse.
func (p *parser) checkTree(root *node, src []byte, sc scanned, defaults [][2]int, minor int) *pyError {
	lines, escape, scanErr := sc.lines, sc.escape, sc.err
	indentErr := checkIndent(lines, scanErr == nil)
	if root.ft().tooDeep {
		// Nothing walks it: the tokenizer's errors, else the compiler's.
		return firstOf(scanErr, indentErr, []*pyError{tooDeepError()})
	}
	c := &checker{src: src, minor: minor}
	if escape != nil {
		c.syntax = append(c.syntax, escape)
	}
	for _, ll := range lines {
		if ll.newline >= 0 {
			c.newlines = append(c.newlines, ll.newline)
		}
	}
	for _, d := range defaults {
		if minor != 0 && minor < 13 {
			e := synErr(d[0], d[1], fmt.Sprintf("type parameter defaults (PEP 696) need Python 3.13; the workers run 3.%d", minor))
			e.rule = RulePythonVersion
			c.syntax = append(c.syntax, e)
		}
	}
	c.visit(root, ctxFlags{})
	if bytes.Contains(src, []byte("nonlocal")) {
		c.checkNonlocals(root)
	}
	if e := treeError(root); e != nil {
		c.generic = append(c.generic, e)
	}
	var generic *pyError
	for _, e := range c.generic {
		if generic == nil || e.before(generic) {
			generic = e
		}
	}
	if generic != nil {
		if e := p.refine(generic, src, lines, scanErr != nil); e != nil {
			c.syntax = append(c.syntax, legacyCall(forgotCommaAt(e, src, lines), src, sc))
		}
	}
	if best := firstOf(scanErr, indentErr, c.syntax); best != nil {
		return best
	}
	var best *pyError
	for _, e := range c.compile {
		if best == nil || e.Line < best.Line {
			best = e
		}
	}
	return best
}

// forgotCommaAt moves a generic error to where CPython reports a missing
// comma, when its logical line has two expressions side by side inside
// brackets before it.
func forgotCommaAt(e *pyError, src []byte, lines []logicalLine) *pyError {
	if e.Msg != "invalid syntax" {
		return e
	}
	i := sort.Search(len(lines), func(i int) bool { return lines[i].endLine >= e.Line })
	if i == len(lines) || lines[i].line > e.Line {
		return e
	}
	ll := lines[i]
	end := len(src)
	if ll.newline >= 0 {
		end = ll.newline
	}
	at := forgotComma(src, ll.start, end)
	if at < 0 {
		return e
	}
	line, col := position(src, at)
	if line > e.Line || line == e.Line && col > e.Col {
		return e // the juxtaposition comes after the error
	}
	return synErr(line, col, "invalid syntax. Perhaps you forgot a comma?")
}

// treeError is where tree-sitter's parse has its first error, or nil.
func treeError(root *node) *pyError {
	if !root.HasError() {
		return nil
	}
	if n := firstError(root); n != nil {
		return synErr(line(n), col(n), "invalid syntax")
	}
	if l, cl, ok := hiddenError(root); ok {
		return synErr(l, cl, "invalid syntax")
	}
	return nil
}

// refine moves a parse error to the logical line where CPython's parser
// stops. Tree-sitter's error node often starts at the statement (or block,
// or module) that encloses the bad token; CPython reports the first token
// no valid program can continue with. So: the first logical line from the
// error node's on whose end the source stops being the beginning of a valid
// program (checked by parsing that prefix, completed by the least that
// closes its open blocks).
//
// It returns nil when every line the tokenizer read (it stopped at an error
// of its own, stopped) is such a beginning: then the tokenizer's error is
// where CPython stops.
func (p *parser) refine(e *pyError, src []byte, lines []logicalLine, stopped bool) *pyError {
	const maxParses = 64 // bounds the work on one broken file
	first := sort.Search(len(lines), func(i int) bool { return lines[i].endLine >= e.Line })
	i, n := first, 0
	for ; i < len(lines) && n < maxParses; i, n = i+1, n+1 {
		end := len(src)
		if lines[i].newline >= 0 {
			end = lines[i].newline + 1
		}
		prefix := completePrefix(src[:end], lines[:i+1])
		pe := p.prefixError(prefix)
		if pe == nil {
			continue
		}
		if i == first && pe.Line <= e.Line {
			return e // the error is where tree-sitter says
		}
		if pe.Line >= lines[i].line && pe.Line <= lines[i].endLine {
			return pe
		}
		return synErr(lines[i].line, lines[i].col+1, e.Msg)
	}
	if i == len(lines) && stopped && first < len(lines) {
		return nil
	}
	return e
}

// prefixError is the first shape error of a completed prefix, or nil.
func (p *parser) prefixError(src []byte) *pyError {
	sc := scanSource(src)
	root := p.parseScratch(src, sc)
	if e := treeError(root); e != nil {
		return e
	}
	if sc.err != nil {
		return nil
	}
	c := &checker{src: src}
	for _, ll := range sc.lines {
		if ll.newline >= 0 {
			c.newlines = append(c.newlines, ll.newline)
		}
	}
	c.statements(root)
	var first *pyError
	for _, e := range c.generic {
		if first == nil || e.before(first) {
			first = e
		}
	}
	return first
}

// statements applies statement to every statement of a tree.
func (c *checker) statements(n *node) {
	c.statementsOf(n)
	for i := uint(0); i < n.ChildCount(); i++ {
		c.statements(n.Child(i))
	}
}

// statementsOf applies statement to the statements of a module or block,
// or to a clause or decorator itself.
func (c *checker) statementsOf(n *node) {
	switch n.Kind() {
	case "module", "block":
		for _, st := range children(n) {
			c.statement(st)
		}
	case "decorator", "elif_clause", "else_clause", "except_clause", "except_group_clause", "finally_clause", "case_clause":
		c.statement(n)
	}
}

// completePrefix appends to the first lines of a file what makes them a
// whole program if they are the start of one: a body for a header that
// ends them, an except clause for each try still open, a function for a
// trailing decorator.
func completePrefix(prefix []byte, lines []logicalLine) []byte {
	type open struct {
		col  int
		what string
	}
	var stack []open
	for _, ll := range lines {
		for len(stack) > 0 && ll.col < stack[len(stack)-1].col {
			stack = stack[:len(stack)-1]
		}
		if len(stack) > 0 && ll.col == stack[len(stack)-1].col && (ll.first == "except" || ll.first == "finally") {
			stack = stack[:len(stack)-1]
		}
		if ll.first == "try" && ll.colonEnd {
			stack = append(stack, open{ll.col, "try"})
		}
	}
	out := append([]byte(nil), prefix...)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	last := lines[len(lines)-1]
	pad := func(n int) []byte { return bytes.Repeat([]byte(" "), n) }
	switch {
	case last.colonEnd && last.first == "match":
		out = append(append(append(out, pad(last.col+1)...), "case _:\n"...), append(pad(last.col+2), "pass\n"...)...)
	case last.colonEnd:
		out = append(append(out, pad(last.col+1)...), "pass\n"...)
	case last.decorator:
		out = append(append(out, pad(last.col)...), "def _(): pass\n"...)
	}
	for i := len(stack) - 1; i >= 0; i-- {
		if stack[i].col > last.col || stack[i].col == last.col && last.first == "try" || stack[i].col < last.col {
			out = append(append(out, pad(stack[i].col)...), "except:\n"...)
			out = append(append(out, pad(stack[i].col+1)...), "pass\n"...)
		}
	}
	return out
}

// firstOf picks the error CPython reports: the first the parser meets,
// unless a tokenizer error later in the file replaces it (see errStage).
func firstOf(scanErr, indentErr *pyError, parse []*pyError) *pyError {
	var p, t *pyError
	for _, e := range parse {
		if p == nil || e.before(p) {
			p = e
		}
	}
	if indentErr != nil && indentErr.stage != stageIndent {
		if p == nil || indentErr.before(p) {
			p = indentErr // the parser's own indentation errors
		}
		indentErr = nil
	}
	for _, e := range []*pyError{scanErr, indentErr} {
		if e != nil && (t == nil || e.before(t)) {
			t = e
		}
	}
	switch {
	case p == nil:
		return t
	case t == nil:
		return p
	case !p.before(t):
		return t
	case p.stage == stageFixed:
		return p
	case scanErr == nil || indentErr != nil && indentErr.before(scanErr):
		return p // the tokenizer stops at its indentation error
	case scanErr.stage == stageTokenizer, scanErr.stage == stageUnclosed && p.Line > scanErr.Line:
		return scanErr
	}
	return p
}

// firstError returns the first ERROR or MISSING node in document order.
func firstError(n *node) *node {
	if n.IsError() || n.IsMissing() {
		return n
	}
	if !n.HasError() {
		return nil
	}
	for i := uint(0); i < n.ChildCount(); i++ {
		if e := firstError(n.Child(i)); e != nil {
			return e
		}
	}
	return nil
}

// hiddenError finds an error that tree-sitter repaired with a token the API
// does not show (a MISSING newline between two statements on one line, as
// in "import a b"): it gives the position of the statement that follows
// another on the same line with no ";" between them.
func hiddenError(n *node) (int, int, bool) {
	for i := uint(0); i < n.ChildCount(); i++ {
		if ch := n.Child(i); ch.HasError() {
			if l, c, ok := hiddenError(ch); ok {
				return l, c, true
			}
		}
	}
	for i := uint(1); i < n.ChildCount(); i++ {
		prev, next := n.Child(i-1), n.Child(i)
		if prev.EndPosition().Row == next.StartPosition().Row && prev.Kind() != "comment" && next.Kind() != "comment" &&
			isStatement(prev) && isStatement(next) {
			return line(next), col(next), true
		}
	}
	if n.HasError() && n.Parent() == nil {
		return int(n.EndPosition().Row) + 1, int(n.EndPosition().Column) + 1, true
	}
	return 0, 0, false
}

func isStatement(n *node) bool {
	k := n.Kind()
	return strings.HasSuffix(k, "_statement") || strings.HasSuffix(k, "_definition") || k == "decorated_definition"
}

type ctxFlags struct {
	inFunc, inAsync, inLoop, inClassBody bool
	// blocks counts the compiler's frame blocks around the node in its
	// code unit: loops, with, try bodies and handlers (CPython's fblocks,
	// at most maxStaticBlocks).
	blocks int
}

// maxStaticBlocks is CPython's CO_MAXBLOCKS: more frame blocks nested in
// one function is "too many statically nested blocks".
const maxStaticBlocks = 20

type checker struct {
	src     []byte
	minor   int
	syntax  []*pyError
	compile []*pyError
	sawStmt bool // a statement other than a docstring or __future__ import
	sawDoc  bool
	// sawFuture: a __future__ import came first; a string after it is a
	// statement, not the docstring.
	sawFuture bool
	// newlines are the offsets of the tokenizer's NEWLINE tokens (the ends
	// of logical lines), in order.
	newlines []int
	// generic are errors in the shape of the parse ("invalid syntax"),
	// whose place refine makes CPython's.
	generic []*pyError
}

// statement checks that a statement does not run over the end of its
// logical line, which tree-sitter's error recovery allows ("t =" and "()"
// on the next line read as one assignment): simple statements end at a
// NEWLINE or ";", a compound statement's header before its body.
func (c *checker) statement(st *node) {
	end := st.EndByte()
	switch st.Kind() {
	case "comment":
		return
	case "decorated_definition":
		if d := st.ChildByFieldName("definition"); d != nil {
			c.statement(d)
		}
		return
	case "if_statement", "for_statement", "while_statement", "try_statement", "with_statement", "match_statement",
		"function_definition", "class_definition", "case_clause", "elif_clause", "else_clause", "except_clause",
		"except_group_clause", "finally_clause":
		end = 0
		for i := uint(0); i < st.ChildCount(); i++ {
			if f := st.FieldNameForChild(uint32(i)); f == "body" || f == "consequence" || st.Child(i).Kind() == "block" {
				break
			}
			if ch := st.Child(i); ch.Kind() != "comment" {
				end = ch.EndByte() // up to the header's ":"
			}
		}
	}
	start := st.StartByte()
	i := sort.SearchInts(c.newlines, int(start))
	if i < len(c.newlines) && uint(c.newlines[i]) < end {
		ln, col := position(c.src, c.newlines[i])
		c.generic = append(c.generic, synErr(ln, col, "invalid syntax"))
	}
}

func (c *checker) text(n *node) string { return n.Utf8Text(c.src) }

func (c *checker) bad(n *node, msg string) {
	c.syntax = append(c.syntax, synErr(line(n), col(n), msg))
}

func (c *checker) badCompile(n *node, msg string) {
	e := synErr(line(n), col(n), msg)
	e.compile = true
	c.compile = append(c.compile, e)
}

func (c *checker) newer(n *node, need int, what string) {
	if c.minor != 0 && c.minor < need {
		e := synErr(line(n), col(n), fmt.Sprintf("%s needs Python 3.%d; the workers run 3.%d", what, need, c.minor))
		e.rule = RulePythonVersion
		c.syntax = append(c.syntax, e)
	}
}

func (c *checker) visit(n *node, f ctxFlags) {
	c.statementsOf(n)
	switch n.Kind() {
	case "module":
		for _, st := range children(n) {
			c.topLevel(st)
		}
	case "except_group_clause":
		c.newer(n, 11, "except* (PEP 654)")
	case "identifier":
		if hardKeywords[c.text(n)] {
			c.bad(n, "invalid syntax")
		}
	case "string":
		if strings.HasPrefix(c.text(n), "`") {
			c.bad(n, "invalid syntax")
		}
		if st := n.NamedChild(0); st != nil && st.Kind() == "string_start" {
			t := c.text(st)
			prefix := strings.TrimRight(t, "'\"")
			if !isStringPrefix(prefix) && prefix != "" {
				c.syntax = append(c.syntax, synErr(line(st), col(st)+len(prefix), "invalid syntax"))
			}
		}
		c.fstring(n)
	case "constrained_type":
		// "T: bound" belongs in a PEP 695 type parameter list only.
		ok := false
		for a := n.Parent(); a != nil; a = a.Parent() {
			if a.Kind() == "type_parameter" {
				pk := a.Parent()
				ok = pk != nil && (pk.Kind() == "function_definition" || pk.Kind() == "class_definition" ||
					pk.Kind() == "generic_type" && pk.Parent() != nil && pk.Parent().Kind() == "type" &&
						pk.Parent().Parent() != nil && pk.Parent().Parent().Kind() == "type_alias_statement")
				break
			}
		}
		if !ok {
			c.bad(n.NamedChild(1), "invalid syntax")
		}
	case "tuple":
		// "(*a)" is not a tuple: no comma.
		if n.NamedChildCount() == 1 && n.NamedChild(0).Kind() == "list_splat" && !hasComma(n) {
			c.bad(n.NamedChild(0), "cannot use starred expression here")
		}
		c.commas(n)
	case "list", "set", "dictionary":
		c.commas(n)
	case "class_pattern", "union_pattern":
		c.checkPattern(n)
	case "keyword_pattern":
		if p := n.Parent(); p == nil || p.Kind() != "case_pattern" || p.Parent() == nil || p.Parent().Kind() != "class_pattern" {
			c.bad(n, "invalid syntax")
		}
	case "as_pattern":
		p := n.Parent()
		for p.Kind() == "tuple" || p.Kind() == "parenthesized_expression" {
			p = p.Parent() // "with (a as b, c as d):" (3.10)
		}
		switch p.Kind() {
		case "with_item", "except_clause", "except_group_clause", "case_pattern", "as_pattern":
		default:
			c.bad(n, "invalid syntax")
		}
	case "concatenated_string":
		bytesParts, parts := 0, 0
		for _, part := range children(n) {
			if part.Kind() != "string" {
				continue
			}
			parts++
			if st := part.NamedChild(0); st != nil && strings.ContainsAny(c.text(st), "bB") {
				bytesParts++
			}
		}
		if bytesParts > 0 && bytesParts < parts {
			c.bad(n, "cannot mix bytes and nonbytes literals")
		}
	case "list_splat":
		// Tree-sitter binds "*" tighter than CPython: "*a.b()" is
		// (*a).b() to it. The starred expression is the whole primary.
		e := n
		for p := e.Parent(); p != nil; p = e.Parent() {
			if (p.Kind() == "attribute" && p.ChildByFieldName("object") == e) || (p.Kind() == "call" && p.ChildByFieldName("function") == e) ||
				(p.Kind() == "subscript" && p.ChildByFieldName("value") == e) || (p.Kind() == "binary_operator" && p.ChildByFieldName("left") == e) {
				e = p
				continue
			}
			break
		}
		switch p := e.Parent(); p.Kind() {
		case "argument_list", "list", "tuple", "set", "expression_list", "pattern_list", "list_pattern", "tuple_pattern", "type":
		case "yield", "return_statement", "for_statement":
			if !hasComma(p) { // "return *a" and "for x in *a" alone
				c.bad(n, "can't use starred expression here")
			}
		case "subscript":
			c.newer(n, 11, "a starred subscript (PEP 646)")
		case "expression_statement":
			// "*a, b" is a tuple; "*a" alone is not.
			if p.NamedChildCount() == 1 && !strings.Contains(string(c.src[e.EndByte():p.EndByte()]), ",") {
				c.bad(n, "can't use starred expression here")
			}
		case "assignment", "augmented_assignment", "parenthesized_expression", "for_in_clause":
			c.bad(n, "can't use starred expression here")
		default:
			c.bad(n, "invalid syntax") // "@*d", "await *a", "-*a"
		}
	case "dictionary_splat":
		if p := n.Parent(); p.Kind() != "argument_list" && p.Kind() != "dictionary" {
			c.bad(n, "invalid syntax") // "(*a, **kw)" is no call
		}
	case "import_from_statement":
		if t := strings.TrimSpace(c.text(n)); strings.HasSuffix(t, ",") && !strings.Contains(t, "(") {
			c.bad(n, "trailing comma not allowed without surrounding parentheses")
		}
		for _, name := range fieldChildren(n, "name") {
			if name.Kind() == "aliased_import" {
				name = name.ChildByFieldName("name")
			}
			if name != nil && name.Kind() == "dotted_name" && name.NamedChildCount() > 1 {
				c.bad(name.NamedChild(1), "invalid syntax") // "from m import a.b"
			}
		}
	case "import_statement":
		if strings.HasSuffix(strings.TrimSpace(c.text(n)), ",") {
			c.syntax = append(c.syntax, synErr(line(n), int(n.EndPosition().Column)+1, "invalid syntax"))
		}
	case "as_pattern_target":
		if t := n.NamedChild(0); t != nil {
			switch p := n.Parent().Parent(); {
			case p != nil && (p.Kind() == "except_clause" || p.Kind() == "except_group_clause"):
				if t.Kind() != "identifier" {
					c.bad(t, "invalid syntax")
				}
			case p != nil && p.Kind() == "with_item":
				switch t.Kind() {
				case "identifier", "attribute", "subscript", "tuple", "list", "pattern_list", "tuple_pattern", "list_pattern", "parenthesized_expression":
				default:
					c.bad(t, "cannot assign to expression")
				}
			}
		}
	case "for_in_clause":
		c.starTarget(n)
		if r := n.ChildByFieldName("right"); r != nil {
			if w := findKind(r, "named_expression"); w != nil {
				c.badCompile(w, "assignment expression cannot be used in a comprehension iterable expression")
			}
		}
	case "delete_statement":
		for _, t := range children(n) {
			c.deleteTarget(t)
		}
	case "dict_pattern":
		for _, ch := range children(n) {
			if ch.Kind() == "splat_pattern" && !strings.HasPrefix(c.text(ch), "**") {
				c.bad(ch, "invalid syntax") // "*rest" in a mapping pattern
			}
		}
	case "future_import_statement":
		for _, ch := range children(n) {
			name := ch
			if ch.Kind() == "aliased_import" {
				name = ch.ChildByFieldName("name")
			}
			if name == nil || name.Kind() != "dotted_name" {
				continue
			}
			switch f := c.text(name); f {
			case "nested_scopes", "generators", "division", "absolute_import", "with_statement", "print_function",
				"unicode_literals", "barry_as_FLUFL", "generator_stop", "annotations":
			case "braces":
				c.badCompile(name, "not a chance")
			default:
				c.badCompile(name, fmt.Sprintf("future feature %s is not defined", f))
			}
		}
		c.fstring(n)
	case "comparison_operator":
		for i := uint(0); i < n.ChildCount(); i++ {
			if ch := n.Child(i); !ch.IsNamed() && c.text(ch) == "<>" {
				c.bad(ch, "invalid syntax")
			}
		}
	case "except_clause":
		if v := n.ChildByFieldName("value"); v != nil {
			if a := n.ChildByFieldName("alias"); a != nil && strings.Contains(string(c.src[v.EndByte():a.StartByte()]), ",") {
				c.bad(v, "multiple exception types must be parenthesized")
			}
		}
	case "raise_statement":
		if e := n.NamedChild(0); e != nil && e.Kind() == "expression_list" {
			if second := e.NamedChild(1); second != nil {
				comma := strings.Index(string(c.src[e.StartByte():second.StartByte()]), ",")
				c.syntax = append(c.syntax, synErr(line(e), col(e)+comma, "invalid syntax"))
			}
		}
	case "expression_statement":
		if e := n.NamedChild(0); e != nil && e.Kind() == "named_expression" {
			v := e.ChildByFieldName("name")
			c.syntax = append(c.syntax, synErr(line(v), int(v.EndPosition().Column)+2, "invalid syntax"))
		}
	case "augmented_assignment":
		if l := n.ChildByFieldName("left"); l != nil {
			// "(o.a) += 1": brackets around one target, no comma.
			for (l.Kind() == "tuple_pattern" || l.Kind() == "parenthesized_expression") && l.NamedChildCount() == 1 && !hasComma(l) {
				l = l.NamedChild(0)
			}
			switch l.Kind() {
			case "identifier", "attribute", "subscript":
			default:
				c.bad(l, fmt.Sprintf("'%s' is an illegal expression for augmented assignment", exprName(l.Kind())))
			}
		}
	case "assignment":
		if l := n.ChildByFieldName("left"); l != nil && l.Kind() == "list_splat_pattern" {
			c.badCompile(l, "starred assignment target must be in a list or tuple")
		}
		if r := n.ChildByFieldName("right"); r != nil && r.Kind() == "assignment" && r.ChildByFieldName("type") != nil {
			c.bad(r.ChildByFieldName("type"), "invalid syntax") // "a = b: T"
		}
		if r := n.ChildByFieldName("right"); r != nil && r.Kind() == "augmented_assignment" {
			c.bad(r.ChildByFieldName("left"), "invalid syntax") // "a = b += 1"
		}
	case "argument_list":
		c.arguments(n)
	case "parameters", "lambda_parameters":
		c.parameters(n)
	case "type_alias_statement":
		c.newer(n, 12, "a type alias statement (PEP 695)")
	case "match_statement":
		c.newer(n, 10, "a match statement (PEP 634)")
	case "type_parameter":
		if p := n.Parent(); p != nil && (p.Kind() == "function_definition" || p.Kind() == "class_definition" || p.Kind() == "type_alias_statement" || p.Kind() == "generic_type" && p.Parent() != nil && p.Parent().Kind() == "type_alias_statement") {
			c.newer(n, 12, "type parameters (PEP 695)")
		}
	case "return_statement":
		if !f.inFunc {
			c.badCompile(n, "'return' outside function")
		}
	case "yield":
		if what := comprehensionOf(n); what != "" {
			c.badCompile(n, "'yield' inside "+what)
		} else if !f.inFunc {
			c.badCompile(n, "'yield' outside function")
		}
	case "await":
		if !f.inFunc {
			c.badCompile(n, "'await' outside function")
		} else if !f.inAsync {
			c.badCompile(n, "'await' outside async function")
		}
	case "break_statement":
		if !f.inLoop {
			c.badCompile(n, "'break' outside loop")
		}
	case "continue_statement":
		if !f.inLoop {
			c.badCompile(n, "'continue' not properly in loop")
		}
	case "nonlocal_statement":
		if !f.inFunc && !f.inClassBody {
			c.badCompile(n, "nonlocal declaration not allowed at module level")
		}
	case "function_definition":
		async := n.Child(0) != nil && c.text(n.Child(0)) == "async"
		c.visitBody(n, f, ctxFlags{inFunc: true, inAsync: async})
		return
	case "lambda":
		inner := f
		inner.inFunc, inner.inLoop, inner.blocks = true, false, 0
		for _, ch := range children(n) {
			c.visit(ch, inner)
		}
		return
	case "generator_expression":
		// An await makes it an asynchronous generator, anywhere.
		inner := f
		inner.inFunc, inner.inAsync, inner.inLoop, inner.blocks = true, true, false, 0
		for i := uint(0); i < n.ChildCount(); i++ {
			c.visit(n.Child(i), inner)
		}
		return
	case "class_definition":
		c.visitBody(n, f, ctxFlags{inClassBody: true})
		return
	case "for_statement", "while_statement":
		c.starTarget(n)
		for i := uint(0); i < n.ChildCount(); i++ {
			ch := n.Child(i)
			inner := f
			if n.FieldNameForChild(uint32(i)) == "body" {
				inner.inLoop = true
				inner = c.blocksIn(n, inner, frameBlocks(n))
			}
			c.visit(ch, inner)
		}
		return
	}
	add := frameBlocks(n)
	for i := uint(0); i < n.ChildCount(); i++ {
		if ch := n.Child(i); add > 0 && (n.FieldNameForChild(uint32(i)) == "body" || ch.Kind() == "block") {
			c.visit(ch, c.blocksIn(n, f, add))
		} else {
			c.visit(ch, f)
		}
	}
}

// frameBlocks is how many of the compiler's frame blocks n's body is
// inside: a loop's or a with's one, a try's one for its handlers and one
// for its finally, a handler's two, a finally's one.
func frameBlocks(n *node) int {
	switch n.Kind() {
	case "for_statement", "while_statement", "with_statement", "finally_clause":
		return 1
	case "except_clause", "except_group_clause":
		return 2
	case "try_statement":
		handlers, finally := 0, 0
		for i := uint(0); i < n.ChildCount(); i++ {
			switch n.Child(i).Kind() {
			case "finally_clause":
				finally = 1
			case "except_clause", "except_group_clause":
				handlers = 1
			}
		}
		return handlers + finally
	}
	return 0
}

// blocksIn is f inside add more frame blocks opened by n, which is the
// compiler's error when they are too many.
func (c *checker) blocksIn(n *node, f ctxFlags, add int) ctxFlags {
	if f.blocks <= maxStaticBlocks && f.blocks+add > maxStaticBlocks {
		c.badCompile(n, "too many statically nested blocks")
	}
	f.blocks += add
	return f
}

// starTarget: "for *x in y" needs a list or tuple around its target.
func (c *checker) starTarget(n *node) {
	if l := n.ChildByFieldName("left"); l != nil && l.Kind() == "list_splat_pattern" {
		c.badCompile(l, "starred assignment target must be in a list or tuple")
	}
}

// visitBody visits a definition: its body with inner flags, the rest
// (decorators, parameters, bases) with the outer ones.
func (c *checker) visitBody(n *node, outer, inner ctxFlags) {
	for i := uint(0); i < n.ChildCount(); i++ {
		if n.FieldNameForChild(uint32(i)) == "body" {
			c.visit(n.Child(i), inner)
		} else {
			c.visit(n.Child(i), outer)
		}
	}
}

// topLevel checks that __future__ imports come first (after a docstring).
func (c *checker) topLevel(st *node) {
	switch st.Kind() {
	case "future_import_statement":
		if c.sawStmt {
			c.badCompile(st, "from __future__ imports must occur at the beginning of the file")
		}
		c.sawFuture = true
		return
	case "comment":
		return
	case "expression_statement":
		if !c.sawStmt && !c.sawDoc && !c.sawFuture && st.NamedChildCount() == 1 && (st.NamedChild(0).Kind() == "string" || st.NamedChild(0).Kind() == "concatenated_string") {
			c.sawDoc = true
			return
		}
	}
	c.sawStmt = true
}

func exprName(kind string) string {
	switch kind {
	case "pattern_list", "tuple", "tuple_pattern", "expression_list":
		return "tuple"
	case "list", "list_pattern":
		return "list"
	case "call":
		return "function call"
	case "integer", "float", "string", "true", "false", "none", "concatenated_string":
		return "literal"
	}
	return "expression"
}

// deleteTarget: del takes names, attributes, subscripts, and tuples and
// lists of them.
func (c *checker) deleteTarget(t *node) {
	switch t.Kind() {
	case "identifier", "attribute", "subscript", "comment":
	case "tuple", "list", "expression_list", "parenthesized_expression", "pattern_list", "tuple_pattern", "list_pattern":
		for _, ch := range children(t) {
			c.deleteTarget(ch)
		}
	case "integer", "float", "string", "concatenated_string", "true", "false", "none", "ellipsis":
		c.bad(t, "cannot delete literal")
	case "call":
		c.bad(t, "cannot delete function call")
	case "list_splat", "list_splat_pattern":
		c.bad(t, "cannot delete starred")
	default:
		c.bad(t, "cannot delete expression")
	}
}

// comprehensionOf names the comprehension whose element (not first
// iterable) holds n, before any function: yield cannot stand there.
func comprehensionOf(n *node) string {
	for ch, p := n, n.Parent(); p != nil; ch, p = p, p.Parent() {
		switch p.Kind() {
		case "function_definition", "lambda", "class_definition":
			return ""
		case "for_in_clause":
			if p.ChildByFieldName("right") == ch {
				// The first iterable is evaluated outside; later ones not,
				// but CPython's message is the same either way.
				if gp := p.Parent(); gp != nil && firstForIn(gp) == p {
					return ""
				}
			}
		case "generator_expression":
			return "generator expression"
		case "list_comprehension":
			return "list comprehension"
		case "set_comprehension":
			return "set comprehension"
		case "dictionary_comprehension":
			return "dict comprehension"
		}
	}
	return ""
}

// firstForIn is a comprehension's first for clause.
func firstForIn(comp *node) *node {
	for _, ch := range children(comp) {
		if ch.Kind() == "for_in_clause" {
			return ch
		}
	}
	return nil
}

// findKind returns the first node of a kind in n's subtree (lambdas
// included: CPython rejects a walrus in a comprehension's iterable even
// there).
func findKind(n *node, kind string) *node {
	if n.Kind() == kind {
		return n
	}
	for i := uint(0); i < n.ChildCount(); i++ {
		if f := findKind(n.Child(i), kind); f != nil {
			return f
		}
	}
	return nil
}

// hasComma reports whether a comma is one of n's own tokens.
func hasComma(n *node) bool {
	for i := uint(0); i < n.ChildCount(); i++ {
		if ch := n.Child(i); !ch.IsNamed() && ch.Kind() == "," {
			return true
		}
	}
	return false
}

// commas: in brackets, a comma follows an element ("f(,)" and "[1, , 2]"
// are errors that tree-sitter's grammar lets through).
func (c *checker) commas(n *node) {
	prev := ""
	for i := uint(0); i < n.ChildCount(); i++ {
		ch := n.Child(i)
		k := ch.Kind()
		if k == "comment" || k == "line_continuation" {
			continue
		}
		if !ch.IsNamed() && k == "," && (prev == "(" || prev == "[" || prev == "{" || prev == ",") {
			c.bad(ch, "invalid syntax")
			return
		}
		prev = k
		if ch.IsNamed() {
			prev = "element"
		}
	}
}

// arguments checks the order of a call's arguments.
func (c *checker) arguments(n *node) {
	c.commas(n)
	keyword, kwUnpack := false, false
	for _, a := range children(n) {
		switch a.Kind() {
		case "keyword_argument":
			keyword = true
		case "dictionary_splat":
			kwUnpack = true
		case "list_splat":
			if kwUnpack {
				c.bad(a, "iterable argument unpacking follows keyword argument unpacking")
			}
		case "comment", "line_continuation":
		default:
			// CPython raises these where its parser stopped: at the
			// closing parenthesis.
			at := a
			if last := n.Child(n.ChildCount() - 1); last != nil && last.Kind() == ")" {
				at = last
			}
			if kwUnpack {
				c.bad(at, "positional argument follows keyword argument unpacking")
				return
			} else if keyword {
				c.bad(at, "positional argument follows keyword argument")
				return
			}
		}
	}
}

// parameters checks duplicate names and defaults before non-defaults.
func (c *checker) parameters(n *node) {
	c.commas(n)
	seen := map[string]bool{}
	sawDefault, keywordOnly, star, kwargs, params := false, false, false, false, 0
	for _, p := range children(n) {
		var name *node
		if p.Kind() == "comment" || p.Kind() == "line_continuation" {
			continue
		}
		if kwargs {
			c.bad(p, "arguments cannot follow var-keyword argument")
		}
		switch k := p.Kind(); {
		case k == "positional_separator" && params == 0:
			c.bad(p, "at least one argument must precede /")
		case k == "keyword_separator" || k == "list_splat_pattern" || k == "typed_parameter" && p.NamedChild(0) != nil && p.NamedChild(0).Kind() == "list_splat_pattern":
			if star {
				c.bad(p, "* argument may appear only once")
			}
			star = true
		case k == "dictionary_splat_pattern" || k == "typed_parameter" && p.NamedChild(0) != nil && p.NamedChild(0).Kind() == "dictionary_splat_pattern":
			kwargs = true
		}
		params++
		switch p.Kind() {
		case "identifier":
			name = p
			if sawDefault && !keywordOnly {
				msg := "non-default argument follows default argument"
				if c.minor >= 12 || c.minor == 0 {
					msg = "parameter without a default follows parameter with a default"
				}
				c.bad(p, msg)
			}
		case "typed_parameter":
			name = p.NamedChild(0)
			if name != nil && (name.Kind() == "list_splat_pattern" || name.Kind() == "dictionary_splat_pattern") {
				keywordOnly = true
				name = name.NamedChild(0)
			} else if sawDefault && !keywordOnly {
				c.bad(p, "parameter without a default follows parameter with a default")
			}
		case "default_parameter", "typed_default_parameter":
			name = p.ChildByFieldName("name")
			sawDefault = true
		case "list_splat_pattern", "dictionary_splat_pattern":
			name = p.NamedChild(0)
			keywordOnly = true
		case "keyword_separator":
			keywordOnly = true
		}
		if name != nil && name.Kind() == "identifier" {
			if seen[c.text(name)] {
				c.badCompile(name, fmt.Sprintf("duplicate argument '%s' in function definition", c.text(name)))
			}
			seen[c.text(name)] = true
		}
	}
}

// fstring checks conversions and, for workers before 3.12, PEP 701 syntax.
func (c *checker) fstring(n *node) {
	start := n.NamedChild(0)
	if start == nil || start.Kind() != "string_start" || !strings.ContainsAny(strings.ToLower(c.text(start)), "f") {
		return
	}
	quote := strings.TrimLeft(c.text(start), "fFrRbBuU")
	for _, part := range children(n) {
		if part.Kind() != "interpolation" {
			continue
		}
		if conv := part.ChildByFieldName("type_conversion"); conv != nil {
			t := strings.TrimPrefix(c.text(conv), "!")
			if t != "s" && t != "r" && t != "a" {
				e := synErr(line(conv), col(conv)+1, fmt.Sprintf("f-string: invalid conversion character '%s': expected 's', 'r', or 'a'", t))
				c.syntax = append(c.syntax, e)
			}
		}
		if c.minor != 0 && c.minor < 12 && !part.HasError() && strings.HasSuffix(c.text(part), "}") {
			// Before 3.12 the string ends at its quote wherever it is; the
			// format spec may hold backslashes and "#", the expression not.
			whole := c.text(part)
			expr := whole
			if spec := part.ChildByFieldName("format_specifier"); spec != nil {
				expr = string(c.src[part.StartByte():spec.StartByte()])
			}
			if strings.Contains(whole, quote) || strings.Contains(expr, "\\") || (len(quote) == 1 && strings.Contains(whole, "\n")) || hasComment(expr) {
				c.newer(part, 12, "this f-string (quotes, backslashes, comments or line breaks inside its braces: PEP 701)")
			}
		}
	}
}

func hasComment(expr string) bool {
	inStr := byte(0)
	for i := 0; i < len(expr); i++ {
		ch := expr[i]
		switch {
		case inStr != 0 && ch == inStr:
			inStr = 0
		case inStr == 0 && (ch == '\'' || ch == '"'):
			inStr = ch
		case inStr == 0 && ch == '#':
			return true
		}
	}
	return false
}

var typeParamHeader = regexp.MustCompile(`(?m)^[ \t]*(?:(?:async[ \t]+)?def|class|type)[ \t]+[A-Za-z_][A-Za-z0-9_]*[ \t]*\[`)

// blankTypeParamDefaults replaces "= default" inside the type parameter
// brackets of def, class and type headers by spaces, and returns where each
// default was (line, column).
func blankTypeParamDefaults(src []byte, sc scanned) ([]byte, [][2]int) {
	if !mayHaveTypeParamDefault(src) {
		return src, nil
	}
	locs := typeParamHeader.FindAllIndex(src, -1)
	if locs == nil {
		return src, nil
	}
	// Headers only: not text in a string that looks like one.
	code := map[int]bool{}
	for _, ll := range sc.lines {
		code[ll.start] = true
	}
	var out []byte
	var where [][2]int
	for _, loc := range locs {
		if !code[loc[0]] {
			continue
		}
		depth := 0
		for i := loc[1]; i < len(src); i++ {
			switch src[i] {
			case '[', '(', '{':
				depth++
			case ')', '}':
				depth--
			case ']':
				if depth == 0 {
					i = len(src)
					continue
				}
				depth--
			case '=':
				if depth != 0 || (i+1 < len(src) && src[i+1] == '=') || (i > 0 && strings.ContainsRune("=!<>", rune(src[i-1]))) {
					continue
				}
				if out == nil {
					out = append([]byte(nil), src...)
				}
				ln, col := position(src, i)
				where = append(where, [2]int{ln, col})
				j := i
				d := 0
				for ; j < len(src); j++ {
					c := src[j]
					if c == '[' || c == '(' || c == '{' {
						d++
					} else if c == ']' || c == ')' || c == '}' {
						if d == 0 {
							break
						}
						d--
					} else if c == ',' && d == 0 || c == '\n' {
						break
					}
					out[j] = ' '
				}
				i = j - 1
			}
		}
	}
	if out == nil {
		return src, nil
	}
	return out, where
}

// mayHaveTypeParamDefault is a cheap test before the regular expression:
// some "def", "class" or "type" header has "[" right after its name and a
// "=" later on that line.
func mayHaveTypeParamDefault(src []byte) bool {
	for len(src) > 0 {
		nl := bytes.IndexByte(src, '\n')
		line := src
		if nl >= 0 {
			line, src = src[:nl], src[nl+1:]
		} else {
			src = nil
		}
		t := bytes.TrimLeft(line, " \t")
		t = bytes.TrimPrefix(t, []byte("async "))
		if !(bytes.HasPrefix(t, []byte("def ")) || bytes.HasPrefix(t, []byte("class ")) || bytes.HasPrefix(t, []byte("type "))) {
			continue
		}
		i := bytes.IndexByte(t, ' ')
		rest := bytes.TrimLeft(t[i:], " \t")
		j := 0
		for j < len(rest) && isIdent(rest[j]) {
			j++
		}
		if j < len(rest) && rest[j] == '[' && bytes.IndexByte(rest[j:], '=') >= 0 {
			return true
		}
	}
	return false
}
