package python

import "testing"

// The invalid_ rules of targets: assignment, annotation, augmented
// assignment, del, for, with ... as, comprehensions, named expressions
// and groups give compile()'s message, line and column in each version.
func TestTargetErrorsMatchCompile(t *testing.T) {
	t.Parallel() // the measuring tests run alone first
	sameAsCompile(t, targetCases)
}

var targetCases = []string{
	// assignment
	"f() = 1\n", "a.b() = 1\n", "1 = x\n", "'s' = x\n", "None = 1\n", "True = 1\n", "... = 1\n", "x + 1 = 2\n",
	"-x = 1\n", "a and b = 1\n", "not a = 1\n", "a < b = 1\n", "a if b else c = 1\n", "lambda: 1 = 1\n",
	"[x for x in y] = 1\n", "{x for x in y} = 1\n", "{x: y for x in y} = 1\n", "(x for x in y) = 1\n",
	"{1: 2} = x\n", "{1, 2} = x\n", "f'{x}' = 1\n", "x = f() = 1\n", "a, f() = 1\n", "[a, b.c, 1] = x\n",
	"(a, (b, f())) = x\n", "*f() = x\n", "a, *[b, 1] = x\n", "x = yield = 1\n", "(yield) = 1\n",
	"await x = 1\n", "(x := 1) = 2\n", "a = b = c() = d\n", "x = 1 = y\n", "f() = yield\n",
	// augmented assignment
	"f() += 1\n", "a, b += 1\n", "[a] += 1\n", "1 += 1\n", "x + 1 -= 2\n", "None += 1\n", "*a += 1\n",
	// annotation
	"a, b: int\n", "[a]: int\n", "(a, b): int = 1\n", "f(): int\n", "1: int\n", "(a): int\n", "((a, b)): int\n",
	"a.b(): int = 3\n", "x, *y: int\n",
	// del
	"del f()\n", "del 1\n", "del a, f()\n", "del [a, 1]\n", "del (a, b), c + 1\n", "del *a\n", "del a + b\n",
	"del (a, *b)\n", "del a if b else c\n", "del None\n",
	// for
	"for f() in x: pass\n", "for 1 in x: pass\n", "for a, f() in x: pass\n", "for a + 1 in x: pass\n",
	"async def g():\n    async for f() in x: pass\n", "[a for f() in x]\n", "{a for 1 in x}\n", "(a for a, b() in x)\n",
	"for a in b in c: pass\n", "for (a in b) in c: pass\n", "for x.y() in z: pass\n",
	// with
	"with a as f(): pass\n", "with a as 1, b as c: pass\n", "with (a as b + 1): pass\n", "with a as (b, f()): pass\n",
	// named expressions
	"(f() := 1)\n", "(a.b := 1)\n", "(a[0] := 1)\n", "((a, b) := 1)\n", "if f() = 1: pass\n", "if a = 1: pass\n",
	"if a.b = 1: pass\n", "while x[0] = 1: pass\n", "f(a + 1 = 2)\n", "if (a, b) = c: pass\n", "if [a] = c: pass\n",
	"if True = 1: pass\n", "x = (1 = 2)\n", "if x() = y(): pass\n",
	// groups and comprehensions
	"x = (*a)\n", "x = (**a)\n", "[*a for a in b]\n", "{**a for a in b}\n", "[a, b for a, b in c]\n", "{a, for a in b}\n",
	"(*a for a in b)\n", "f(*a for a in b)\n",
	// keyword arguments
	"f(True=1)\n", "f(None=1)\n", "f(a=1 for a in b)\n", "f(x.y=1)\n", "f(a, b.c=1)\n", "f(**k, a.b=1)\n",
	"f(*a, 1=2)\n", "f(a=1, b + 1=2)\n",
	// more shapes: nesting, positions, lines, characters before the target
	"(a, b) += 1\n", "x: int = yield = 1\n", "del (a)\n", "del ()\n", "del [a, [b, f()]]\n", "for [a, *b()] in c: pass\n",
	"x = 1\nif True:\n    y = 2\n    z() = 3\n", "é = 1; f() = 2\n", "s = 'é'; del f()\n", "x = [\n    a\n    for f() in b\n]\n",
	"with a as b, c as d(): pass\n", "with (a as b, c as [d, 1]): pass\n", "def f():\n    for x.y() in z: yield\n",
	"[(a, b) for f() in c for d in e]\n", "[a for b in c for 1 in d]\n", "{a: b for a in c for f() in d}\n",
	"a = b = (c, d()) = e\n", "[1, f()] = x\n", "del a, f(), 1\n", "for (a, 1), f() in x: pass\n", "x = (y := f()) = 1\n", "f(x for x in y) = 1\n", "a.b = c.d() = e\n",
	"if (a := 1) = 2: pass\n", "assert x = 1\n", "return x = 1\n", "x = 1 if y = 2 else 3\n", "while (x = 1): pass\n",
	"f(a, *b, c=d, **e, f=g, h)\n", "f(a=1, b, **k)\n", "f(**k, a=1, b)\n",
	// arguments
	"f(**k, *a)\n", "f(x for x in y, 1)\n", "f(x for x in y, z for z in w)\n", "f(a, x for x in y)\n", "f(*a, x for x in y)\n",
	"f(a, b, x for x in y if z)\n", "f(k=1, x for x in y)\n", "f(a, k=1, x for x in y)\n", "f(a, *b, c for c in d)\n",
	"f(k=1, *a, x for x in y)\n", "f(**k, *a, b)\n", "f(a, **k, *b)\n", "f(x for x in y)\n", "f(g(a, b), x for x in y)\n",
	"f(a, [b, c], x for x in y)\n", "class C(a, x for x in y): pass\n", "@d(a, x for x in y)\ndef f(): pass\n",
	// expressions in parentheses: the error stands at the expression, inside them
	"(f()): int\n", "((a), b): int\n", "x = (yield) = 1\n", "f((a) = 1)\n", "f(((a)) + 1 = 2)\n", "f((x) for x in y, 1)\n",
	"f(a, (b) for b in c)\n", "f(a, *(b), c for c in d)\n", "f(k=1, (x) for x in y)\n", "[(a), b for a, b in c]\n",
	"x = [(a) b]\n", "x = [(a) if b]\n", "(a.b) += 1\n", "((a)) = (f()) = 1\n", "if (f()) = 1: pass\n", "((f()) := 1)\n", "[*a, *b for a in c]\n", "{*a: b for a in c}\n", "del a, (b, [c, d.e()])\n",
}

// The invalid_ rules of parameters (def and lambda), dictionary displays,
// patterns and try statements: compile()'s message, line and column in
// each version.
func TestParameterAndDisplayErrorsMatchCompile(t *testing.T) {
	t.Parallel() // the measuring tests run alone first
	sameAsCompile(t, paramCases)
}

var paramCases = []string{
	"def f((a, b)): pass\n", "def f(a, (b, c)): pass\n", "def f(a, (b)): pass\n", "lambda (a, b): 0\n",
	"lambda a, (b): 0\n", "def f(/, a): pass\n", "lambda /, a: 0\n", "def f(a, /, b, /): pass\n",
	"def f(a=1, /, b=2, /): pass\n", "lambda a, /, b, /: 0\n", "def f(a, *, b, /): pass\n",
	"def f(a, *b, c, /): pass\n", "lambda a, *, b, /: 0\n", "def f(a, b=1 /, *, c): pass\n",
	"def f(a /, *b): pass\n", "lambda a=1 /, *b: 0\n", "def f(*): pass\n", "def f(*,): pass\n",
	"def f(*, **k): pass\n", "lambda *: 0\n", "lambda *,: 0\n", "lambda *, **k: 0\n", "def f(*a=1): pass\n",
	"def f(*a: int=1): pass\n", "lambda *a=1: 0\n", "def f(*a, *b): pass\n", "def f(*, a, *b): pass\n",
	"def f(*a, b=1, *c): pass\n", "lambda *a, *b: 0\n", "lambda *, a, *: 0\n", "def f(**k=1): pass\n",
	"def f(**k, a): pass\n", "def f(**k, *a): pass\n", "def f(**k, **j): pass\n", "def f(**k, /): pass\n",
	"lambda **k=1: 0\n", "lambda **k, a: 0\n", "lambda **k, *a: 0\n", "def f(a=): pass\n",
	"def f(a, b=, c=1): pass\n", "lambda a=: 0\n", "lambda a=, b: 0\n", "def f(a=1, b): pass\n",
	"def f(a, b=1, /, c): pass\n", "lambda a=1, b: 0\n", "def f(a, *, b=1, c): pass\n", "x = {1: *a}\n",
	"x = {1: **a}\n", "x = {1:}\n", "x = {1: 2, 3:}\n", "x = {1 2}\n", "x = {1: 2, 3 4}\n", "x = {1, 2: 3}\n",
	"x = {**a: 1}\n", "x = {a: 1, **b, c}\n", "match x:\n    case 1 as f(): pass\n",
	"match x:\n    case 1 as _: pass\n", "match x:\n    case a.b(x=1, 2): pass\n",
	"match x:\n    case {**rest, a: 1}: pass\n", "match x:\n    case 1 as a.b: pass\n",
	"try:\n    pass\nexcept A:\n    pass\nexcept* B:\n    pass\n",
	"try:\n    pass\nexcept* A:\n    pass\nexcept B:\n    pass\n",
	"x = {1: 2, f(3 4)}\n", "{**a, 3 4}\n", "[{1: 2, 3 4}]\n", "{1: 2 3}\n", "{1:2, 3:4, 5:}\n", "{1: *12+1, 23: 1}\n",
	"{1: 2, 3 if 4}\n", "{3 4: 1}\n", "{1: 2, (3 4)}\n", "{1: 2, 3: 4 5}\n", "x = {1: 2,\n     3}\n", "x = {é: 1, é}\n",
	"match x:\n    case 1 as 1: pass\n", "match x:\n    case 1 as (a): pass\n", "match x:\n    case A(a, b=1, c, d): pass\n",
	"match x:\n    case [1 as _]: pass\n", "try:\n    pass\nexcept A as e:\n    pass\nexcept* B as f:\n    pass\n",
	"try:\n    pass\nexcept* A:\n    pass\nexcept:\n    pass\n", "def f(a, b=1, *, c, d=2, **e, f): pass\n",
	"def f(a, /, b, *, c, /): pass\n", "__peg_parser__\n", "x = __peg_parser__ + 1\n", "def __peg_parser__(): pass\n",
	"x = 1\ny = 2\nprint(f\"{(a b)}\")\n", "x = 1\ns = f\"\"\"\nab\n{a b} {c}\"\"\"\n", "x = 1\ns = f\"\"\"ab {c}\n  {a b}\"\"\"\n",
	"x = (1,\n  f\"{a b}\")\n", "x = 1\ny = f'{a!z}' + f'{b b}'\n",
	"x.__peg_parser__ = 1\n", "import __peg_parser__\n", "f(__peg_parser__=1)\n", "f(a, __peg_parser__)\n", "lambda a, (b, c): 0\n", "def f(a, (b, c)=1): pass\n", "lambda *a, b=, c: 0\n",
}
