package validate

import "fmt"

// funcScope is what a function (or lambda) binds, for CPython's symbol
// table check of nonlocal declarations.
type funcScope struct {
	bound     map[string]bool // parameters, assignments, imports, definitions
	globals   map[string]bool
	nonlocals []*node // the identifiers of its nonlocal statements
	class     bool    // a class body
}

// checkNonlocals reports "no binding for nonlocal 'x' found", which CPython
// raises when it builds the symbol table: a nonlocal name must be bound in
// an enclosing function (class bodies do not count, nor does the module),
// anywhere in it, before or after the inner function.
func (c *checker) checkNonlocals(root *node) {
	type pending struct {
		s     *funcScope
		chain []*funcScope
	}
	var todo []pending
	var walk func(n *node, chain []*funcScope, cur *funcScope)
	// enter walks a function's or class's body as a scope of its own.
	enter := func(n *node, chain []*funcScope, cur, inner *funcScope) {
		inChain := chain
		if cur != nil {
			inChain = append(append([]*funcScope(nil), chain...), cur)
		}
		for i := uint(0); i < n.ChildCount(); i++ {
			ch := n.Child(i)
			switch n.FieldNameForChild(uint32(i)) {
			case "body":
				walk(ch, inChain, inner)
			case "parameters":
				// defaults and annotations belong to the enclosing scope
				for j := uint(0); j < ch.ChildCount(); j++ {
					walk(ch.Child(j), chain, cur)
				}
			default:
				walk(ch, chain, cur)
			}
		}
		todo = append(todo, pending{inner, inChain})
	}
	walk = func(n *node, chain []*funcScope, cur *funcScope) {
		switch n.Kind() {
		case "function_definition", "lambda", "class_definition":
			if name := n.ChildByFieldName("name"); cur != nil && name != nil {
				cur.bound[c.text(name)] = true
			}
			inner := &funcScope{bound: map[string]bool{}, globals: map[string]bool{}, class: n.Kind() == "class_definition"}
			if params := n.ChildByFieldName("parameters"); params != nil {
				c.bindParams(params, inner)
			}
			enter(n, chain, cur, inner)
			return
		case "nonlocal_statement":
			if cur != nil {
				for _, id := range children(n) {
					if id.Kind() == "identifier" {
						cur.nonlocals = append(cur.nonlocals, id)
					}
				}
			}
		case "global_statement":
			if cur != nil {
				for _, id := range children(n) {
					if id.Kind() == "identifier" {
						cur.globals[c.text(id)] = true
					}
				}
			}
		case "list_comprehension", "set_comprehension", "dictionary_comprehension", "generator_expression":
			// Their loop variables are their own; a walrus inside binds in
			// the enclosing function, which the walk still sees.
			for _, ch := range children(n) {
				if ch.Kind() == "for_in_clause" {
					left := ch.ChildByFieldName("left")
					for _, cc := range children(ch) {
						if cc != left {
							walk(cc, chain, cur)
						}
					}
					continue
				}
				walk(ch, chain, cur)
			}
			return
		}
		if cur != nil {
			c.bindTargets(n, cur)
		}
		for i := uint(0); i < n.ChildCount(); i++ {
			walk(n.Child(i), chain, cur)
		}
	}
	walk(root, nil, nil)
	for _, p := range todo {
		c.resolveNonlocals(p.s, p.chain)
	}
}

func (c *checker) resolveNonlocals(s *funcScope, chain []*funcScope) {
	for _, id := range s.nonlocals {
		name := c.text(id)
		found := false
		for i := len(chain) - 1; i >= 0 && !found; i-- {
			if chain[i].class {
				continue // a class body encloses no names for nonlocal
			}
			if chain[i].globals[name] {
				break
			}
			found = chain[i].bound[name] || declared(chain[i], name, c)
		}
		if !found && name == "__class__" {
			for _, s := range chain {
				found = found || s.class // methods have an implicit __class__ cell
			}
		}
		if !found {
			c.badCompile(id.Parent(), fmt.Sprintf("no binding for nonlocal '%s' found", name))
		}
	}
}

// declared: an enclosing function's own nonlocal declaration of the name
// counts as a binding found (it was itself checked against its enclosing
// functions).
func declared(s *funcScope, name string, c *checker) bool {
	for _, id := range s.nonlocals {
		if c.text(id) == name {
			return true
		}
	}
	return false
}

// bindParams adds a function's parameter names.
func (c *checker) bindParams(params *node, s *funcScope) {
	for _, p := range children(params) {
		var name *node
		switch p.Kind() {
		case "identifier":
			name = p
		case "default_parameter", "typed_default_parameter":
			name = p.ChildByFieldName("name")
		case "typed_parameter", "list_splat_pattern", "dictionary_splat_pattern":
			name = p.NamedChild(0)
			if name != nil && (name.Kind() == "list_splat_pattern" || name.Kind() == "dictionary_splat_pattern") {
				name = name.NamedChild(0)
			}
		}
		if name != nil && name.Kind() == "identifier" {
			s.bound[c.text(name)] = true
		}
	}
}

// bindTargets adds the names a statement or expression binds in the
// current function: assignment and loop targets, with and except names,
// imports, walrus names, deletions.
func (c *checker) bindTargets(n *node, s *funcScope) {
	switch n.Kind() {
	case "assignment", "augmented_assignment", "for_statement":
		c.bindTarget(n.ChildByFieldName("left"), s)
	case "named_expression":
		c.bindTarget(n.ChildByFieldName("name"), s)
	case "as_pattern_target":
		c.bindTarget(n.NamedChild(0), s)
	case "except_clause":
		if a := n.ChildByFieldName("alias"); a != nil {
			c.bindTarget(a, s)
		}
	case "delete_statement":
		for _, t := range children(n) {
			c.bindTarget(t, s)
		}
	case "import_statement", "import_from_statement", "future_import_statement":
		for _, ch := range fieldChildren(n, "name") {
			if ch.Kind() == "aliased_import" {
				c.bindTarget(ch.ChildByFieldName("alias"), s)
			} else if ch.Kind() == "dotted_name" && ch.NamedChildCount() > 0 {
				c.bindTarget(ch.NamedChild(0), s)
			}
		}
	}
}

// bindTarget adds the names in an assignment target.
func (c *checker) bindTarget(t *node, s *funcScope) {
	if t == nil {
		return
	}
	switch t.Kind() {
	case "identifier":
		s.bound[c.text(t)] = true
	case "pattern_list", "tuple_pattern", "list_pattern", "tuple", "list", "expression_list", "list_splat_pattern",
		"parenthesized_expression", "list_splat":
		for _, ch := range children(t) {
			c.bindTarget(ch, s)
		}
	}
}

// checkPattern applies CPython's checks of a case pattern that tree-sitter
// does not: keyword patterns last in a class pattern (a parser error), and
// alternatives that bind the same names (a compiler error).
func (c *checker) checkPattern(n *node) {
	switch n.Kind() {
	case "class_pattern":
		keyword := false
		for i, arg := range children(n) {
			if i == 0 {
				continue // the class
			}
			isKw := arg.NamedChildCount() > 0 && arg.NamedChild(0).Kind() == "keyword_pattern"
			if keyword && !isKw {
				c.bad(arg, "positional patterns follow keyword patterns")
			}
			keyword = keyword || isKw
		}
	case "union_pattern":
		alts := children(n)
		if len(alts) < 2 {
			return
		}
		want := c.patternNames(alts[0], map[string]bool{})
		for _, alt := range alts[1:] {
			if got := c.patternNames(alt, map[string]bool{}); !sameSet(want, got) {
				c.badCompile(alt, "alternative patterns bind different names")
				return
			}
		}
	}
}

// patternNames adds the names a pattern binds (captures, star and ** names,
// as-names) to names.
func (c *checker) patternNames(n *node, names map[string]bool) map[string]bool {
	capture := func(id *node) {
		if id != nil && id.Kind() == "identifier" && c.text(id) != "_" {
			names[c.text(id)] = true
		}
	}
	switch n.Kind() {
	case "dotted_name":
		if n.NamedChildCount() == 1 {
			capture(n.NamedChild(0)) // a plain name captures; a.b is a value
		}
		return names
	case "splat_pattern":
		capture(n.NamedChild(0))
		return names
	case "as_pattern":
		for _, ch := range children(n) {
			if ch.Kind() == "identifier" {
				capture(ch)
			} else {
				c.patternNames(ch, names)
			}
		}
		return names
	case "keyword_pattern":
		if v := n.NamedChild(1); v != nil {
			c.patternNames(v, names)
		}
		return names
	case "class_pattern":
		for i, ch := range children(n) {
			if i > 0 {
				c.patternNames(ch, names)
			}
		}
		return names
	case "dict_pattern":
		for i := uint(0); i < n.ChildCount(); i++ {
			if n.FieldNameForChild(uint32(i)) != "key" {
				c.patternNames(n.Child(i), names)
			}
		}
		return names
	}
	for _, ch := range children(n) {
		c.patternNames(ch, names)
	}
	return names
}

func sameSet(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}
