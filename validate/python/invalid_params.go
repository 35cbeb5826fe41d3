package python

// The invalid_ rules of parameter lists (def and lambda): invalid_parameters,
// invalid_default, invalid_star_etc and invalid_kwds, and their lambda_
// forms, which differ in the closing token (':') and a few words.

// invalidParameters is invalid_parameters (invalid_lambda_parameters).
func (p *parser) invalidParameters(g *paramRules) bool {
	if !p.second {
		return false
	}
	return p.alt(
		func() bool {
			// A parameter without a default after one with
			// (slash_no_default? param_no_default* invalid_parameters_helper
			// a=param_no_default).
			if p.minor >= 12 {
				p.opt(g.slashNoDefault)
			}
			p.many(g.noDefault)
			if !p.alt(func() bool { return p.many(g.noDefault) && p.many1(g.withDefault) && g.slash() }, func() bool { return p.many1(g.withDefault) }) {
				return false
			}
			a := p.pos
			if !g.noDefault() {
				return false
			}
			switch {
			case p.minor == 9:
				return p.raise("SyntaxError", "non-default argument follows default argument")
			case p.minor <= 11:
				return p.raiseAt(a, "non-default argument follows default argument")
			}
			return p.raiseAt(a, "parameter without a default follows parameter with a default")
		},
		func() bool {
			// Parameters in parentheses (3.11).
			if p.minor < 11 {
				return false
			}
			p.many(g.noDefault)
			a := p.pos
			if !p.tok("(") {
				return false
			}
			if g.lambda {
				if !p.sep1(",", func() bool { return p.name() }) {
					return false
				}
			} else if !p.many1(func() bool { return g.param() && (p.tok(",") || p.is(")")) }) {
				return false
			}
			msg := "Function parameters cannot be parenthesized"
			if g.lambda {
				msg = "Lambda expression parameters cannot be parenthesized"
			}
			return p.optTok(",") && p.tok(")") && p.raiseAt(a, msg)
		},
		func() bool {
			a := p.pos
			return p.minor >= 11 && p.tok("/") && p.tok(",") && p.raiseAt(a, "at least one argument must precede /")
		},
		func() bool {
			if p.minor < 11 || !p.alt(g.slashNoDefault, g.slashWithDefault) {
				return false
			}
			p.many(g.maybeDefault)
			a := p.pos
			return p.tok("/") && p.raiseAt(a, "/ may appear only once")
		},
		func() bool {
			if p.minor < 11 {
				return false
			}
			p.opt(func() bool { return p.alt(g.slashNoDefault, g.slashWithDefault) })
			p.many(g.maybeDefault)
			if !(p.tok("*") && (p.tok(",") || g.noDefault())) {
				return false
			}
			p.many(g.maybeDefault)
			a := p.pos
			return p.tok("/") && p.raiseAt(a, "/ must be ahead of *")
		},
		func() bool {
			if p.minor < 11 || !p.many1(g.maybeDefault) || !p.tok("/") {
				return false
			}
			a := p.pos
			return p.tok("*") && p.raiseAt(a, "expected comma between / and *")
		},
	)
}

// invalidDefault is invalid_default: '=' with nothing after it (3.11).
func (p *parser) invalidDefault() bool {
	if !p.second || p.minor < 11 {
		return false
	}
	a := p.pos
	return p.tok("=") && p.look(func() bool { return p.is(")") || p.is(",") }) &&
		p.raiseAt(a, "expected default value expression")
}

// invalidStarEtc is invalid_star_etc (invalid_lambda_star_etc).
func (p *parser) invalidStarEtc(g *paramRules) bool {
	if !p.second {
		return false
	}
	return p.alt(
		func() bool {
			// A bare '*' with no parameter after it. def's is placed at
			// the '*' from 3.10; lambda's, and 3.9's, where the parser
			// stands.
			a := p.pos
			if !p.tok("*") {
				return false
			}
			if !(p.tok(g.closer) || p.tok(",") && (p.tok(g.closer) || p.tok("**"))) {
				return false
			}
			if g.lambda || p.minor == 9 {
				return p.raise("SyntaxError", "named arguments must follow bare *")
			}
			return p.raiseAt(a, "named arguments must follow bare *")
		},
		func() bool {
			if p.minor < 11 || !(p.tok("*") && g.param()) {
				return false
			}
			a := p.pos
			return p.tok("=") && p.raiseAt(a, "var-positional argument cannot have default value")
		},
		func() bool {
			if p.minor < 11 || !(p.tok("*") && (g.noDefault() || p.tok(","))) {
				return false
			}
			p.many(g.maybeDefault)
			a := p.pos
			return p.tok("*") && (g.noDefault() || p.tok(",")) && p.raiseAt(a, "* argument may appear only once")
		},
	)
}

// invalidKwds is invalid_kwds (invalid_lambda_kwds), from 3.11.
func (p *parser) invalidKwds(g *paramRules) bool {
	if !p.second || p.minor < 11 || !(p.tok("**") && g.param()) {
		return false
	}
	a := p.pos
	if p.tok("=") {
		return p.raiseAt(a, "var-keyword argument cannot have default value")
	}
	if !p.tok(",") {
		return false
	}
	a = p.pos
	return (g.param() || p.tok("*") || p.tok("**") || p.tok("/")) && p.raiseAt(a, "arguments cannot follow var-keyword argument")
}
