package validate

/*
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

// The part of tree-sitter's C API (v0.25, the version go.mod pins) that the
// walk below uses, declared here by the layout the API documents; the
// functions are linked from go-tree-sitter's own build of the library.
typedef struct { uint32_t row; uint32_t column; } dn_point;
typedef struct { uint32_t context[4]; const void *id; const void *tree; } dn_tsnode;
typedef struct { const void *tree; const void *id; uint32_t context[3]; } dn_cursor;

extern void *ts_parser_new(void);
extern void ts_parser_delete(void *parser);
extern bool ts_parser_set_language(void *parser, const void *language);
extern void *ts_parser_parse_string(void *parser, const void *old_tree, const char *string, uint32_t length);
extern void ts_tree_delete(void *tree);
extern dn_tsnode ts_tree_root_node(const void *tree);
extern dn_cursor ts_tree_cursor_new(dn_tsnode node);
extern void ts_tree_cursor_delete(dn_cursor *cursor);
extern dn_tsnode ts_tree_cursor_current_node(const dn_cursor *cursor);
extern uint16_t ts_tree_cursor_current_field_id(const dn_cursor *cursor);
extern bool ts_tree_cursor_goto_first_child(dn_cursor *cursor);
extern bool ts_tree_cursor_goto_next_sibling(dn_cursor *cursor);
extern bool ts_tree_cursor_goto_parent(dn_cursor *cursor);
extern uint16_t ts_node_symbol(dn_tsnode node);
extern uint32_t ts_node_start_byte(dn_tsnode node);
extern uint32_t ts_node_end_byte(dn_tsnode node);
extern dn_point ts_node_start_point(dn_tsnode node);
extern dn_point ts_node_end_point(dn_tsnode node);
extern bool ts_node_is_named(dn_tsnode node);
extern bool ts_node_is_missing(dn_tsnode node);
extern bool ts_node_is_error(dn_tsnode node);
extern bool ts_node_has_error(dn_tsnode node);

// dn_node is one node; the Go side fills kid0, nkids, named0 and nnamed.
typedef struct {
	uint32_t start, end;
	uint32_t srow, scol, erow, ecol;
	int32_t parent;
	uint16_t symbol, field;
	uint32_t flags;
	int32_t kid0, nkids, named0, nnamed;
} dn_node;

enum { DN_NAMED = 1, DN_MISSING = 2, DN_ERROR = 4, DN_HAS_ERROR = 8 };

// dn_flatten writes the tree's nodes in document order (pre-order) into
// out, at most cap of them, and returns how many there are (more than cap:
// call again with room for all), or -1 when out of memory.
static int64_t dn_flatten(const void *tree, dn_node *out, int64_t cap) {
	dn_cursor c = ts_tree_cursor_new(ts_tree_root_node(tree));
	int64_t n = 0;
	int64_t depth = 0, room = 64;
	int32_t *parents = malloc(room * sizeof(int32_t));
	if (parents == NULL) {
		ts_tree_cursor_delete(&c);
		return -1;
	}
	parents[0] = -1;
	for (;;) {
		if (n < cap) {
			dn_tsnode node = ts_tree_cursor_current_node(&c);
			dn_point s = ts_node_start_point(node), e = ts_node_end_point(node);
			dn_node *o = &out[n];
			o->start = ts_node_start_byte(node);
			o->end = ts_node_end_byte(node);
			o->srow = s.row; o->scol = s.column; o->erow = e.row; o->ecol = e.column;
			o->parent = parents[depth];
			o->symbol = ts_node_symbol(node);
			o->field = ts_tree_cursor_current_field_id(&c);
			o->flags = (ts_node_is_named(node) ? DN_NAMED : 0) | (ts_node_is_missing(node) ? DN_MISSING : 0) |
				(ts_node_is_error(node) ? DN_ERROR : 0) | (ts_node_has_error(node) ? DN_HAS_ERROR : 0);
		}
		int32_t self = (int32_t)n;
		n++;
		if (ts_tree_cursor_goto_first_child(&c)) {
			if (depth + 1 >= room) {
				room *= 2;
				int32_t *more = realloc(parents, room * sizeof(int32_t));
				if (more == NULL) {
					free(parents);
					ts_tree_cursor_delete(&c);
					return -1;
				}
				parents = more;
			}
			parents[++depth] = self;
			continue;
		}
		while (!ts_tree_cursor_goto_next_sibling(&c)) {
			if (!ts_tree_cursor_goto_parent(&c)) {
				free(parents);
				ts_tree_cursor_delete(&c);
				return n;
			}
			depth--;
		}
	}
}
// dn_parser_new makes a parser for the language, or returns NULL.
static void *dn_parser_new(const void *language) {
	void *p = ts_parser_new();
	if (p != NULL && !ts_parser_set_language(p, language)) {
		ts_parser_delete(p);
		return NULL;
	}
	return p;
}

static void dn_parser_delete(void *parser) { ts_parser_delete(parser); }

// dn_parse parses src and writes its flat tree into out: one call from Go
// per file. It returns what dn_flatten returns, or -2 when the parse fails.
static int64_t dn_parse(void *parser, const char *src, uint32_t len, dn_node *out, int64_t cap) {
	void *tree = ts_parser_parse_string(parser, NULL, src, len);
	if (tree == NULL) {
		return -2;
	}
	int64_t n = dn_flatten(tree, out, cap);
	ts_tree_delete(tree);
	return n;
}
*/
import "C"

import (
	"fmt"
	"sort"
	"unsafe"

	python "github.com/tree-sitter/tree-sitter-python/bindings/go"
)

// A flat tree is a tree-sitter parse copied out in one cgo call: walking
// it from Go costs no cgo call per node (which, with a call per node and
// step, cost more than the parse itself). Its nodes have the methods of
// go-tree-sitter's Node that the checks use. A parser owns its flat trees
// and reuses their memory for the next file, so that a file costs no
// allocation.
type flatTree struct {
	raw   []C.dn_node // what the walk in C writes
	nodes []node
	kids  []int32 // every node's children: kid0 and nkids index it
	named []int32 // the same, named children only
	// lineStarts are the offsets of the source's lines, when rows and
	// columns are computed from bytes (see repositionFrom).
	lineStarts []uint32
	// tooDeep: the tree nests deeper than maxNesting. Nothing walks such a
	// tree (the walks recurse): the verdict is CPython's RecursionError and
	// the file defines nothing.
	tooDeep bool
	depths  []int32
}

// maxNesting is how deep a syntax tree may nest, counted from the module
// node: CPython 3.11's compiler stops near 2,990 levels of a chain of
// unary, binary, attribute, call or subscript expressions (RecursionError,
// "maximum recursion depth exceeded during compilation"), which is 2,993
// in this tree (the module, its statement, the assignment, and the leaf).
// It keeps every walk of the tree, which recurses, far from the end of the
// Go stack, whatever the input.
const maxNesting = 2993

// nestsTooDeep reports whether the tree nests deeper than maxNesting. The
// nodes are in document order, a parent before its children.
func (ft *flatTree) nestsTooDeep() bool {
	if cap(ft.depths) < len(ft.raw) {
		ft.depths = make([]int32, len(ft.raw))
	}
	d := ft.depths[:len(ft.raw)]
	for i := range ft.raw {
		d[i] = 1
		if p := ft.raw[i].parent; p >= 0 {
			d[i] = d[p] + 1
		}
		if d[i] > maxNesting {
			return true
		}
	}
	return false
}

// tooDeepError is CPython's verdict on a tree that nests deeper than
// maxNesting.
func tooDeepError() *pyError {
	return &pyError{Type: "RecursionError", Msg: "maximum recursion depth exceeded during compilation", rule: RuleSyntax, compile: true}
}

// node is one node of a flat tree.
type node struct {
	cnode
	t *flatTree
}

// cnode is the part the walk in C writes.
type cnode = C.dn_node

const (
	flagNamed    = C.DN_NAMED
	flagMissing  = C.DN_MISSING
	flagError    = C.DN_ERROR
	flagHasError = C.DN_HAS_ERROR
)

// point is a position: 0-based row, and column in bytes.
type point struct{ Row, Column uint }

var (
	kindNames  []string          // by symbol
	fieldNames []string          // by field id
	fieldIDs   map[string]uint16 // by name
)

func init() {
	kindNames = make([]string, pythonLang.NodeKindCount())
	for i := range kindNames {
		kindNames[i] = pythonLang.NodeKindForId(uint16(i))
	}
	fieldNames = make([]string, pythonLang.FieldCount()+1)
	fieldIDs = map[string]uint16{}
	for i := 1; i < len(fieldNames); i++ {
		fieldNames[i] = pythonLang.FieldNameForId(uint16(i))
		fieldIDs[fieldNames[i]] = uint16(i)
	}
}

// cParser is a tree-sitter parser of Python, made and used from C only.
type cParser struct{ p unsafe.Pointer }

func newCParser() *cParser {
	p := C.dn_parser_new(python.Language())
	if p == nil {
		panic("tree-sitter-python does not load") // a build defect, not input
	}
	return &cParser{p}
}

func (cp *cParser) close() {
	if cp.p != nil {
		C.dn_parser_delete(cp.p)
		cp.p = nil
	}
}

// parse parses src into ft, reusing its memory, and returns the root: one
// cgo call for the parse and the copy (two when the tree has more nodes
// than ever before). When orig is not nil, rows and columns are computed
// from it: src is orig with line breaks turned into spaces (see
// treeSitterInput).
func (ft *flatTree) parse(cp *cParser, src, orig []byte) *node {
	var p *C.char
	if len(src) > 0 {
		p = (*C.char)(unsafe.Pointer(&src[0]))
	}
	want := len(src) + len(src)/2 + 256
	for {
		if cap(ft.raw) < want {
			ft.raw = make([]C.dn_node, want)
		}
		ft.raw = ft.raw[:cap(ft.raw)]
		n := int64(C.dn_parse(cp.p, p, C.uint32_t(len(src)), &ft.raw[0], C.int64_t(len(ft.raw))))
		if n < 1 {
			panic(fmt.Sprintf("tree-sitter could not parse or copy a tree (%d)", n)) // out of memory
		}
		if n <= int64(len(ft.raw)) {
			ft.raw = ft.raw[:n]
			break
		}
		want = int(n)
	}
	root := ft.link()
	if orig != nil {
		ft.repositionFrom(orig)
	}
	return root
}

// repositionFrom sets every node's rows and columns from its bytes in src.
func (ft *flatTree) repositionFrom(src []byte) {
	ft.lineStarts = append(ft.lineStarts[:0], 0)
	for i, c := range src {
		if c == '\n' {
			ft.lineStarts = append(ft.lineStarts, uint32(i+1))
		}
	}
	at := func(off C.uint32_t) (C.uint32_t, C.uint32_t) {
		row := sort.Search(len(ft.lineStarts), func(i int) bool { return ft.lineStarts[i] > uint32(off) }) - 1
		return C.uint32_t(row), off - C.uint32_t(ft.lineStarts[row])
	}
	for i := range ft.nodes {
		nd := &ft.nodes[i]
		nd.srow, nd.scol = at(nd.start)
		nd.erow, nd.ecol = at(nd.end)
	}
}

// link fills in the nodes and their children from what the walk wrote.
func (ft *flatTree) link() *node {
	n := len(ft.raw)
	if cap(ft.nodes) < n {
		ft.nodes = make([]node, n)
		ft.kids = make([]int32, n)
		ft.named = make([]int32, n)
	}
	ft.nodes, ft.kids, ft.named = ft.nodes[:n], ft.kids[:n], ft.named[:n]
	for i := range ft.raw {
		ft.nodes[i] = node{cnode: ft.raw[i], t: ft}
	}
	for i := range ft.nodes {
		if p := ft.nodes[i].parent; p >= 0 {
			ft.nodes[p].nkids++
			if ft.nodes[i].flags&flagNamed != 0 {
				ft.nodes[p].nnamed++
			}
		}
	}
	k, nk := C.int32_t(0), C.int32_t(0)
	for i := range ft.nodes {
		nd := &ft.nodes[i]
		nd.kid0, nd.named0 = k, nk
		k += nd.nkids
		nk += nd.nnamed
		nd.nkids, nd.nnamed = 0, 0 // counted again while filled in
	}
	for i := range ft.nodes {
		if p := ft.nodes[i].parent; p >= 0 {
			pn := &ft.nodes[p]
			ft.kids[pn.kid0+pn.nkids] = int32(i)
			pn.nkids++
			if ft.nodes[i].flags&flagNamed != 0 {
				ft.named[pn.named0+pn.nnamed] = int32(i)
				pn.nnamed++
			}
		}
	}
	return &ft.nodes[0]
}

// parseFlat parses src, every logical line of it on one line (as sc,
// scanSource's result on src, says), and returns the root of the flat tree,
// which stays valid until the parser's next parseFlat. The Go parser
// (gram.go) tries first: its tree is tree-sitter's, at a quarter of the
// cost; what it leaves (errors, constructs tree-sitter resolves among
// several trees) goes to tree-sitter.
func (p *parser) parseFlat(src []byte, sc scanned) *node {
	in := treeSitterInput(src, sc)
	p.flat.tooDeep = false
	if sc.err == nil && !p.treeSitterOnly && p.flat.goParse(&p.gp, in, src) {
		p.flat.tooDeep = p.flat.tooDeep || p.flat.nestsTooDeep()
		return &p.flat.nodes[0]
	}
	root := p.flat.parse(p.c, in, linesMoved(src, sc))
	p.flat.tooDeep = p.flat.nestsTooDeep()
	return root
}

// linesMoved is src when tree-sitter's input has lines joined (so its rows
// must be computed from src), nil when its rows are src's.
func linesMoved(src []byte, sc scanned) []byte {
	if len(sc.joins) == 0 {
		return nil
	}
	return src
}

// parseScratch is parseFlat into the parser's second tree, for a parse made
// while the first one is in use (refine's prefixes).
func (p *parser) parseScratch(src []byte, sc scanned) *node {
	return p.scratch.parse(p.c, treeSitterInput(src, sc), linesMoved(src, sc))
}

// Kind is the node's type, as tree-sitter names it.
func (n *node) Kind() string {
	if int(n.symbol) < len(kindNames) && n.flags&flagError == 0 {
		return kindNames[n.symbol]
	}
	if n.flags&flagError != 0 {
		return "ERROR"
	}
	return ""
}

func (n *node) ft() *flatTree { return n.t }

func (n *node) kids() []int32 {
	return n.ft().kids[n.kid0 : n.kid0+n.nkids]
}

func (n *node) namedKids() []int32 {
	return n.ft().named[n.named0 : n.named0+n.nnamed]
}

func (n *node) at(i int32) *node { return &n.ft().nodes[i] }

// ChildCount counts every child, named or not.
func (n *node) ChildCount() uint { return uint(n.nkids) }

// Child returns the i-th child, nil past the end.
func (n *node) Child(i uint) *node {
	if i >= uint(n.nkids) {
		return nil
	}
	return n.at(n.kids()[i])
}

// NamedChildCount counts the named children.
func (n *node) NamedChildCount() uint { return uint(n.nnamed) }

// NamedChild returns the i-th named child, nil past the end.
func (n *node) NamedChild(i uint) *node {
	if i >= uint(n.nnamed) {
		return nil
	}
	return n.at(n.namedKids()[i])
}

// ChildByFieldName returns the first child in the field, or nil.
func (n *node) ChildByFieldName(name string) *node {
	id, ok := fieldIDs[name]
	if !ok {
		return nil
	}
	nodes := n.ft().nodes
	for _, k := range n.kids() {
		if uint16(nodes[k].field) == id {
			return &nodes[k]
		}
	}
	return nil
}

// FieldNameForChild names the field of the i-th child, "" for none.
func (n *node) FieldNameForChild(i uint32) string {
	if i >= uint32(n.nkids) {
		return ""
	}
	return fieldNames[n.ft().nodes[n.kids()[i]].field]
}

// Parent returns the parent, nil for the root.
func (n *node) Parent() *node {
	if n.parent < 0 {
		return nil
	}
	return n.at(int32(n.parent))
}

// IsNamed, IsError, IsMissing and HasError are tree-sitter's flags.
func (n *node) IsNamed() bool   { return n.flags&flagNamed != 0 }
func (n *node) IsError() bool   { return n.flags&flagError != 0 }
func (n *node) IsMissing() bool { return n.flags&flagMissing != 0 }
func (n *node) HasError() bool  { return n.flags&flagHasError != 0 }

// StartByte and EndByte delimit the node in the source.
func (n *node) StartByte() uint { return uint(n.start) }
func (n *node) EndByte() uint   { return uint(n.end) }

// StartPosition and EndPosition are the node's rows and columns.
func (n *node) StartPosition() point { return point{uint(n.srow), uint(n.scol)} }
func (n *node) EndPosition() point   { return point{uint(n.erow), uint(n.ecol)} }

// Utf8Text is the node's source text.
func (n *node) Utf8Text(src []byte) string {
	if int(n.end) > len(src) || n.start > n.end {
		return ""
	}
	return string(src[n.start:n.end])
}

// fromGo writes the Go parser's tree (gram.go) in document order, as
// dn_flatten writes tree-sitter's.
func (ft *flatTree) fromGo(gp *gparser, root int32) {
	if cap(ft.raw) < len(gp.nodes) {
		ft.raw = make([]C.dn_node, 0, len(gp.nodes))
	}
	ft.raw = ft.raw[:0]
	// Pre-order with a stack of its own: an attribute chain nests as deep
	// as it is long, and no input may exhaust the Go stack.
	type item struct{ n, parent int32 }
	stack := []item{{root, -1}}
	var kids []int32
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		g := &gp.nodes[it.n]
		var flags C.uint32_t
		if g.named {
			flags = flagNamed
		}
		self := int32(len(ft.raw))
		ft.raw = append(ft.raw, C.dn_node{start: C.uint32_t(g.start), end: C.uint32_t(g.end), parent: C.int32_t(it.parent),
			symbol: C.uint16_t(g.sym), field: C.uint16_t(g.field), flags: flags})
		kids = kids[:0]
		for k := g.first; k >= 0; k = gp.nodes[k].next {
			kids = append(kids, k)
		}
		for i := len(kids) - 1; i >= 0; i-- {
			stack = append(stack, item{kids[i], self})
		}
	}
}
