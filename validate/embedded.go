package validate

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	sitter "github.com/tree-sitter/go-tree-sitter"
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
	src, defaults := blankTypeParamDefaults(src)
	tree := p.p.Parse(src, nil)
	defer tree.Close()
	return checkTree(tree.RootNode(), src, defaults, minor)
}

// checkTree gives the verdict on decoded source (with type parameter
// defaults blanked, see blankTypeParamDefaults) and its parse.
func checkTree(root *sitter.Node, src []byte, defaults [][2]int, minor int) *pyError {
	lines, terr := scanLines(src)
	if terr == nil {
		terr = checkIndent(lines, src)
	}
	c := &checker{src: src, minor: minor}
	for _, d := range defaults {
		if minor != 0 && minor < 13 {
			e := synErr(d[0], d[1], fmt.Sprintf("type parameter defaults (PEP 696) need Python 3.13; the workers run 3.%d", minor))
			e.rule = RulePythonVersion
			c.syntax = append(c.syntax, e)
		}
	}
	c.visit(root, ctxFlags{})
	if root.HasError() {
		if n := firstError(root); n != nil {
			c.syntax = append(c.syntax, synErr(line(n), col(n), "invalid syntax"))
		}
	}
	best := terr
	for _, e := range c.syntax {
		if best == nil || e.Line < best.Line || (e.Line == best.Line && e.Col < best.Col) {
			best = e
		}
	}
	if best != nil {
		return best
	}
	for _, e := range c.compile {
		if best == nil || e.Line < best.Line {
			best = e
		}
	}
	return best
}

// firstError returns the first ERROR or MISSING node in document order.
func firstError(n *sitter.Node) *sitter.Node {
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

type ctxFlags struct {
	inFunc, inAsync, inLoop, inClassBody bool
}

type checker struct {
	src     []byte
	minor   int
	syntax  []*pyError
	compile []*pyError
	sawStmt bool // a statement other than a docstring or __future__ import
	sawDoc  bool
}

func (c *checker) text(n *sitter.Node) string { return n.Utf8Text(c.src) }

func (c *checker) bad(n *sitter.Node, msg string) {
	c.syntax = append(c.syntax, synErr(line(n), col(n), msg))
}

func (c *checker) badCompile(n *sitter.Node, msg string) {
	e := synErr(line(n), col(n), msg)
	e.compile = true
	c.compile = append(c.compile, e)
}

func (c *checker) newer(n *sitter.Node, need int, what string) {
	if c.minor != 0 && c.minor < need {
		e := synErr(line(n), col(n), fmt.Sprintf("%s needs Python 3.%d; the workers run 3.%d", what, need, c.minor))
		e.rule = RulePythonVersion
		c.syntax = append(c.syntax, e)
	}
}

func (c *checker) visit(n *sitter.Node, f ctxFlags) {
	switch n.Kind() {
	case "module":
		for _, st := range children(n) {
			c.topLevel(st)
		}
	case "identifier":
		if hardKeywords[c.text(n)] {
			c.bad(n, "invalid syntax")
		}
	case "print_statement":
		c.bad(n, "Missing parentheses in call to 'print'. Did you mean print(...)?")
	case "exec_statement":
		c.bad(n, "Missing parentheses in call to 'exec'. Did you mean exec(...)?")
	case "string":
		if strings.HasPrefix(c.text(n), "`") {
			c.bad(n, "invalid syntax")
		}
		c.fstring(n)
	case "comparison_operator":
		for i := uint(0); i < n.ChildCount(); i++ {
			if ch := n.Child(i); !ch.IsNamed() && c.text(ch) == "<>" {
				c.bad(ch, "invalid syntax")
			}
		}
	case "integer":
		t := c.text(n)
		if len(t) > 1 && t[0] == '0' && strings.Trim(t, "0_") != "" && !strings.ContainsAny(t[1:2], "xXoObB") && !strings.ContainsAny(t, "jJ") {
			c.bad(n, "leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers")
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
	case "argument_list":
		c.arguments(n)
	case "parameters", "lambda_parameters":
		c.parameters(n)
	case "type_alias_statement":
		c.newer(n, 12, "a type alias statement (PEP 695)")
	case "type_parameter":
		if p := n.Parent(); p != nil && (p.Kind() == "function_definition" || p.Kind() == "class_definition" || p.Kind() == "type_alias_statement" || p.Kind() == "generic_type" && p.Parent() != nil && p.Parent().Kind() == "type_alias_statement") {
			c.newer(n, 12, "type parameters (PEP 695)")
		}
	case "return_statement":
		if !f.inFunc {
			c.badCompile(n, "'return' outside function")
		}
	case "yield":
		if !f.inFunc {
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
		if !f.inFunc {
			c.badCompile(n, "nonlocal declaration not allowed at module level")
		}
	case "function_definition":
		async := n.Child(0) != nil && c.text(n.Child(0)) == "async"
		c.visitBody(n, f, ctxFlags{inFunc: true, inAsync: async})
		return
	case "lambda":
		inner := f
		inner.inFunc, inner.inLoop = true, false
		for _, ch := range children(n) {
			c.visit(ch, inner)
		}
		return
	case "class_definition":
		c.visitBody(n, f, ctxFlags{inClassBody: true})
		return
	case "for_statement", "while_statement":
		for i := uint(0); i < n.ChildCount(); i++ {
			ch := n.Child(i)
			inner := f
			if n.FieldNameForChild(uint32(i)) == "body" {
				inner.inLoop = true
			}
			c.visit(ch, inner)
		}
		return
	}
	for i := uint(0); i < n.ChildCount(); i++ {
		c.visit(n.Child(i), f)
	}
}

// visitBody visits a definition: its body with inner flags, the rest
// (decorators, parameters, bases) with the outer ones.
func (c *checker) visitBody(n *sitter.Node, outer, inner ctxFlags) {
	for i := uint(0); i < n.ChildCount(); i++ {
		if n.FieldNameForChild(uint32(i)) == "body" {
			c.visit(n.Child(i), inner)
		} else {
			c.visit(n.Child(i), outer)
		}
	}
}

// topLevel checks that __future__ imports come first (after a docstring).
func (c *checker) topLevel(st *sitter.Node) {
	switch st.Kind() {
	case "future_import_statement":
		if c.sawStmt {
			c.badCompile(st, "from __future__ imports must occur at the beginning of the file")
		}
		return
	case "comment":
		return
	case "expression_statement":
		if !c.sawStmt && !c.sawDoc && st.NamedChildCount() == 1 && st.NamedChild(0).Kind() == "string" {
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

// arguments checks the order of a call's arguments.
func (c *checker) arguments(n *sitter.Node) {
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
		case "comment":
		default:
			if kwUnpack {
				c.bad(a, "positional argument follows keyword argument unpacking")
			} else if keyword {
				c.bad(a, "positional argument follows keyword argument")
			}
		}
	}
}

// parameters checks duplicate names and defaults before non-defaults.
func (c *checker) parameters(n *sitter.Node) {
	seen := map[string]bool{}
	sawDefault, keywordOnly := false, false
	for _, p := range children(n) {
		var name *sitter.Node
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
func (c *checker) fstring(n *sitter.Node) {
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
		if c.minor != 0 && c.minor < 12 {
			expr := c.text(part)
			if strings.Contains(expr, quote) || strings.Contains(expr, "\\") || (len(quote) == 1 && strings.Contains(expr, "\n")) || hasComment(expr) {
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
func blankTypeParamDefaults(src []byte) ([]byte, [][2]int) {
	if !mayHaveTypeParamDefault(src) {
		return src, nil
	}
	locs := typeParamHeader.FindAllIndex(src, -1)
	if locs == nil {
		return src, nil
	}
	var out []byte
	var where [][2]int
	for _, loc := range locs {
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
				where = append(where, [2]int{bytes.Count(src[:i], []byte("\n")) + 1, i - bytes.LastIndexByte(src[:i], '\n')})
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
