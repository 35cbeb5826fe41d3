// Package ast is the syntax tree of a Python module as CPython's ast module
// has it: the same node types, fields, operators and expression contexts,
// so that what is known of Python's AST applies here unchanged. A tree is
// made by python.ParseFile; this package only holds and reads it.
//
// A node's children are one list in source order, each labelled with the
// field of its parent it fills (Body, Func, Args, ...), where CPython has
// separate lists. Where CPython's layout does not fit a list, the tree says
// the same differently:
//
//   - An identifier (a function's name, an attribute, an alias, a keyword's
//     argument, the names of global) is an Identifier child, with its place
//     in the source; a dotted module name is one Identifier.
//   - A Compare's operators are Operator children (field Ops), one before
//     each comparator.
//   - A parameter's default is a child of its Arg (field Default), not a
//     list of the Arguments node; a keyword-only parameter without one
//     simply has none.
//   - A Dict's '**' entry is a Value with no Key before it.
//
// Positions are byte offsets into the source the tree was made from (its
// newlines normalised to \n, see python.Normalize); Tree.Position turns
// them into CPython's line and column (in bytes, as col_offset). Nodes
// CPython gives no position (arguments, comprehension, withitem,
// match_case) span their children here.
package ast

import (
	"iter"
	"sort"
	"strings"
	"unicode/utf8"
	"unsafe"

	"golang.org/x/text/unicode/norm"
)

// Node is one node of a tree. Its links are indices into the tree's
// nodes: a megabyte of source can make a million nodes, and each costs 28
// bytes this way; the Tree's methods follow them.
type Node struct {
	Kind  Kind
	Field Field // what the node is of its parent
	Op    Op    // an operator (BinOp, UnaryOp, BoolOp, AugAssign, Operator), a Constant's type
	Ctx   Ctx   // an expression's context: Load, Store or Del
	// aux is a small number some kinds carry: ImportFrom's level,
	// FormattedValue's conversion, AnnAssign's simple, comprehension's
	// is_async, a string Constant's value (see Tree.values).
	aux int32
	// Off and EndOff delimit the node in the source: src[Off:EndOff].
	Off, EndOff int32

	parent, first, next int32 // 0: none
}

// Level is an ImportFrom's level: how many dots its module has in front.
func (n *Node) Level() int { return int(n.aux) }

// Conversion is a FormattedValue's conversion: 's', 'r', 'a', or -1.
func (n *Node) Conversion() int { return int(n.aux) }

// Simple is an AnnAssign's simple: its target is a name, not in brackets.
func (n *Node) Simple() bool { return n.aux != 0 }

// IsAsync is a comprehension's is_async.
func (n *Node) IsAsync() bool { return n.aux != 0 }

// Tree is a parsed module.
type Tree struct {
	Src []byte
	// chunks hold the nodes, chunkSize each (so that they never move);
	// node 0 is none.
	chunks [][]Node
	n      int32
	root   int32
	// values are the decoded values of the string Constants, whose aux
	// is their index here times two, plus one when written u"".
	values []string
	lines  []int32 // the offset of each line's start
}

const chunkBits = 10

// NewTree makes an empty tree of src (for python.ParseFile).
func NewTree(src []byte) *Tree {
	t := &Tree{}
	t.Reset(src)
	return t
}

// Reset empties t for a tree of src, keeping its memory (for
// python.Parser): the nodes of the tree it held are no longer valid.
func (t *Tree) Reset(src []byte) {
	t.Src, t.n, t.root, t.values = src, 0, 0, t.values[:0]
	t.lines = append(t.lines[:0], 0)
	for i, c := range src {
		if c == '\n' {
			t.lines = append(t.lines, int32(i+1))
		}
	}
	t.NewNode(BadKind, 0, 0) // none
}

// NewNode adds a node without links and returns its index (for
// python.ParseFile).
func (t *Tree) NewNode(k Kind, off, end int32) int32 {
	if t.n&(1<<chunkBits-1) == 0 && int(t.n>>chunkBits) == len(t.chunks) {
		t.chunks = append(t.chunks, make([]Node, 1<<chunkBits))
	}
	i := t.n
	t.n++
	t.chunks[i>>chunkBits][i&(1<<chunkBits-1)] = Node{Kind: k, Off: off, EndOff: end}
	return i
}

// At is the node of index i (for python.ParseFile).
func (t *Tree) At(i int32) *Node {
	if i <= 0 || i >= t.n {
		return nil
	}
	return &t.chunks[i>>chunkBits][i&(1<<chunkBits-1)]
}

// SetChildren makes kids the children of parent, in order, after those it
// has (for python.ParseFile).
func (t *Tree) SetChildren(parent int32, kids []int32) {
	p := t.At(parent)
	last := p.first
	for last != 0 && t.At(last).next != 0 {
		last = t.At(last).next
	}
	for _, k := range kids {
		c := t.At(k)
		c.parent, c.next = parent, 0
		if last == 0 {
			p.first = k
		} else {
			t.At(last).next = k
		}
		last = k
	}
}

// SetRoot makes node i the root (for python.ParseFile).
func (t *Tree) SetRoot(i int32) { t.root = i }

// Root is the Module.
func (t *Tree) Root() *Node { return t.At(t.root) }

// Parent is the node's parent, nil for the root.
func (t *Tree) Parent(n *Node) *Node { return t.At(n.parent) }

// Children are the node's children in order.
func (t *Tree) Children(n *Node) iter.Seq[*Node] {
	return func(yield func(*Node) bool) {
		for c := t.At(n.first); c != nil; c = t.At(c.next) {
			if !yield(c) {
				return
			}
		}
	}
}

// Child is the first child in field f, or nil.
func (t *Tree) Child(n *Node, f Field) *Node {
	for c := t.At(n.first); c != nil; c = t.At(c.next) {
		if c.Field == f {
			return c
		}
	}
	return nil
}

// All are the children in field f, in order.
func (t *Tree) All(n *Node, f Field) iter.Seq[*Node] {
	return func(yield func(*Node) bool) {
		for c := t.At(n.first); c != nil; c = t.At(c.next) {
			if c.Field == f && !yield(c) {
				return
			}
		}
	}
}

// Walk visits n and everything under it in document order (a parent
// before its children), without recursion: a tree may nest thousands
// deep. It skips a node's children when f returns false for it.
func (t *Tree) Walk(n *Node, f func(*Node) bool) {
	c := n
	for {
		if f(c) && c.first != 0 {
			c = t.At(c.first)
			continue
		}
		for c != n && c.next == 0 {
			c = t.At(c.parent)
		}
		if c == n {
			return
		}
		c = t.At(c.next)
	}
}

// SetString records the value of a str or bytes Constant (for
// python.ParseFile).
func (t *Tree) SetString(n *Node, value string, u bool) {
	n.aux = int32(len(t.values)) << 1
	if u {
		n.aux |= 1
	}
	t.values = append(t.values, value)
}

// SetAux sets the number the kind carries (for python.ParseFile; see
// Level, Conversion, Simple, IsAsync).
func SetAux(n *Node, v int) { n.aux = int32(v) }

// String is the value of a str or bytes Constant (bytes as a string of
// those bytes); false for any other node.
func (t *Tree) String(n *Node) (string, bool) {
	if n.Kind != Constant || n.Op != Str && n.Op != Bytes || int(n.aux>>1) >= len(t.values) {
		return "", false
	}
	return t.values[n.aux>>1], true
}

// UKind reports whether a string Constant was written u"" (its kind 'u').
func (t *Tree) UKind(n *Node) bool { return n.Kind == Constant && n.Op == Str && n.aux&1 != 0 }

// Text is the node's source text. It shares the source's memory (no copy:
// the analysis asks for many names), which a tree's source never changes.
func (t *Tree) Text(n *Node) string {
	if n.EndOff <= n.Off {
		return ""
	}
	return unsafe.String(&t.Src[n.Off], n.EndOff-n.Off)
}

// Name is an Identifier's name: its text without the spaces and line
// continuations a dotted name may hold.
func (t *Tree) Name(n *Node) string {
	s := t.Text(n)
	if n.Kind == Identifier && strings.ContainsAny(s, " \t\f\\\n") {
		s = strings.Map(func(r rune) rune {
			if r == ' ' || r == '\t' || r == '\f' || r == '\\' || r == '\n' {
				return -1
			}
			return r
		}, s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			// CPython reads identifiers in normal form KC.
			return norm.NFKC.String(s)
		}
	}
	return s
}

// Position is the line (from 1) and the column (from 0, in bytes) of
// offset off, as CPython's lineno and col_offset.
func (t *Tree) Position(off int32) (line, col int) {
	i := sort.Search(len(t.lines), func(i int) bool { return t.lines[i] > off }) - 1
	return i + 1, int(off - t.lines[i])
}

// Depths visits n and everything under it in document order, as Walk,
// giving f each node's depth: how many of the nodes from n down to it,
// both included, count says count.
func (t *Tree) Depths(n *Node, count func(*Node) bool, f func(*Node, int) bool) {
	one := func(x *Node) int {
		if count(x) {
			return 1
		}
		return 0
	}
	c, d := n, one(n)
	for {
		if f(c, d) && c.first != 0 {
			c = t.At(c.first)
			d += one(c)
			continue
		}
		for c != n && c.next == 0 {
			d -= one(c)
			c = t.At(c.parent)
		}
		if c == n {
			return
		}
		d -= one(c)
		c = t.At(c.next)
		d += one(c)
	}
}

// IsStmt and IsExpr report whether the node is a statement or an
// expression.
func (n *Node) IsStmt() bool { return n.Kind >= FunctionDef && n.Kind <= Continue }
func (n *Node) IsExpr() bool { return n.Kind >= BoolOp && n.Kind <= Slice }

// Dotted names what an expression names: "DAG", "models.DAG",
// "airflow.decorators.dag"; its source text when it is no dotted name. It
// walks down an attribute chain without recursion: a chain may be as long
// as the file that holds it.
func (t *Tree) Dotted(n *Node) string {
	var attrs []string
	v := n
	for v != nil && v.Kind == Attribute {
		attrs = append(attrs, t.Name(t.Child(v, Attr)))
		v = t.Child(v, Value)
	}
	if v == nil || v.Kind != Name {
		return t.Text(n)
	}
	var b strings.Builder
	b.WriteString(t.Name(v))
	for i := len(attrs) - 1; i >= 0; i-- {
		b.WriteString("." + attrs[i])
	}
	return b.String()
}

// Alias is an import alias's imported name and the name it binds (its
// "as" name, or the same).
func (t *Tree) Alias(al *Node) (name, binds string) {
	name = t.Name(t.Child(al, Ident))
	if as := t.Child(al, AsName); as != nil {
		return name, t.Name(as)
	}
	return name, name
}
