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
		for i := uint(0); i < n.ChildCount(); i++ {
			ch := n.Child(i)
			if n.FieldNameForChild(uint32(i)) != "name" {
				continue
			}
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
