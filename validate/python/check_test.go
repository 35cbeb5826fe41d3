package python

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// compileCases are sources CPython parses and its compiler refuses (or, for
// some versions, accepts): one or more for each of its checks after parsing.
var compileCases = []string{
	"é = 1\nreturn 1\n",
	"x = 'é'; return 1\n",
	"def f():\n    x = 'é'; nonlocal y\n",
	"def f(é, é): pass\n",
	"def f():\n    from x import *\n",
	"from x import (a, *)\n",
	"class C:\n    from x import *\n",
	"def f():\n    x = 1\n    global x\n",
	"def f(x):\n    global x\n",
	"def f():\n    print(x)\n    global x\n",
	"def f():\n    x: int\n    global x\n",
	"def f():\n    global x\n    x: int = 1\n",
	"def f():\n    def g():\n        nonlocal x\n",
	"f(a=1, a=2)\n",
	"try:\n    pass\nexcept:\n    pass\nexcept E:\n    pass\n",
	"*a = 1\n",
	"*a, *b = c\n",
	"x = *a\n",
	"print(*a)\n",
	"return *a,\n",
	"x = [(yield) for i in a]\n",
	"def f():\n    x = [(yield) for i in a]\n",
	"def f():\n    await x\n",
	"await x\n",
	"async def f():\n    yield from x\n",
	"async def f():\n    yield 1\n    return 1\n",
	"def f():\n    async for x in y: pass\n",
	"def f():\n    async with x: pass\n",
	"def f():\n    return [x async for x in y]\n",
	"class C:\n    yield 1\n",
	"class C:\n    await x\n",
	"for x in y:\n    pass\nelse:\n    break\n",
	"while x:\n    def f():\n        break\n",
	"while 1:\n    try:\n        pass\n    finally:\n        continue\n",
	"from __future__ import braces\n",
	"from __future__ import nope\n",
	"'''doc'''\nfrom __future__ import annotations\n",
	"x = 1; from __future__ import annotations\n",
	"import os\nfrom __future__ import annotations\n",
	"def f():\n    from __future__ import annotations\n",
	"[x := 1 for x in y]\n",
	"class C:\n    [y := 1 for x in z]\n",
	"[x for x in (y := z)]\n",
	"[i for i in range(3) if (j := i) for j in range(2)]\n",
	"__debug__ = 1\n",
	"def f(__debug__): pass\n",
	"f(__debug__=1)\n",
	"del __debug__\n",
	"x.__debug__ = 1\n",
	"match x:\n    case a | b: pass\n",
	"match x:\n    case [a, a]: pass\n",
	"match x:\n    case a:\n        pass\n    case 1:\n        pass\n",
	"match x:\n    case _:\n        pass\n    case 1:\n        pass\n",
	"match x:\n    case [*a, *b]: pass\n",
	"match x:\n    case C(a=1, a=2): pass\n",
	"match x:\n    case {1: a, 1: b}: pass\n",
	"match x:\n    case {1: a, True: b}: pass\n",
	"match x:\n    case {'k': a, \"k\": b}: pass\n",
	"match x:\n    case {\"it's\": a, 'it\\'s': b}: pass\n",
	"lambda: (yield)\n",
	"def f():\n    lambda: await x\n",
	"nonlocal x\n",
	"def f():\n    nonlocal x\n",
	"def f(a, *, a): pass\n",
	"def f(a, **a): pass\n",
	"lambda a, a: 0\n",
	"class C(x=1, x=2): pass\n",
	"f(**a, b=1, b=2)\n",
	"def f():\n    global x\n    nonlocal x\n",
	"def f():\n    x = 1\n    def g():\n        global x\n        nonlocal x\n",
	"x = 1 +\\\n 2; return\n",
	"x = f(__debug__=1)\n",
	"if 1:\n    x = lambda __debug__: 0\n",
	"x = 1; del __debug__\n",
	"x = [y for y in z if (__debug__ := 1)]\n",
	"import __debug__\n",
	"from x import __debug__\n",
	"import a as __debug__\n",
	"for __debug__ in x: pass\n",
	"with a as __debug__: pass\n",
	"class __debug__: pass\n",
	"def __debug__(): pass\n",
	"try:\n    pass\nexcept E as __debug__:\n    pass\n",
	"x = 1; from __future__ import braces\n",
	"if 1:\n  x = [y async for y in z]\n",
	"x = 1; x: int = 2\nglobal x\n",
	"def f():\n    x = 1; global x\n",
	"def f():\n    x = 1; nonlocal x\n",
	"for i in x:\n    x = [(yield) for j in (yield)]\n",
	"def f():\n    x = 1\n    try:\n        pass\n    except:\n        pass\n    except E:\n        pass\n",
}

// blockCases nest frame blocks to CPython's limit of 20 and one past it,
// by each kind of block.
func blockCases() []string {
	var out []string
	for _, kind := range []string{"for x in y:", "while x:", "with a:", "with a, b:", "try:", "try_except", "try_finally", "try_both"} {
		for _, depth := range []int{8, 10, 11, 12, 19, 20, 21, 22} {
			if (kind == "try_finally" || kind == "try_both") && depth > 12 {
				continue // each finally is compiled twice: CPython takes 2^depth
			}
			var b []byte
			indent := ""
			for i := 0; i < depth; i++ {
				switch kind {
				case "try_except":
					b = fmt.Appendf(b, "%stry:\n%s    pass\n%sexcept:\n", indent, indent, indent)
				case "try_finally":
					b = fmt.Appendf(b, "%stry:\n%s    pass\n%sfinally:\n", indent, indent, indent)
				case "try_both":
					b = fmt.Appendf(b, "%stry:\n%s    pass\n%sexcept E:\n%s    pass\n%sfinally:\n", indent, indent, indent, indent, indent)
				case "try:":
					b = fmt.Appendf(b, "%stry:\n", indent)
				default:
					b = fmt.Appendf(b, "%s%s\n", indent, kind)
				}
				indent += "    "
			}
			b = fmt.Appendf(b, "%spass\n", indent)
			if kind == "try:" {
				for i := depth - 1; i >= 0; i-- {
					b = fmt.Appendf(b, "%sfinally:\n%s    pass\n", indent[:4*i], indent[:4*i])
				}
			}
			out = append(out, string(b))
		}
	}
	return out
}

// The checks compile() makes after parsing are CPython's: for each case,
// each Python found gives the same verdict, message, line and column.
func TestCompileChecksMatchCPython(t *testing.T) {
	t.Parallel() // the measuring tests run alone first
	cases := append(append([]string{
		"def f():\n    return [await x for x in y]\n", "async def f():\n    return [await x for x in y]\n",
		"[await x for x in y]\n", "async def f():\n    return (await x for x in y)\n", "def f():\n    return (x async for x in y)\n",
		"async def f():\n    def g():\n        return [x async for x in y]\n", "async def f():\n    lambda: [x async for x in y]\n",
		"async for x in y: pass\n", "async with x: pass\n", "class C:\n    async for x in y: pass\n",
		"x, *a, *b = c\n", "[*a, *b] = c\n", "for *a in b: pass\n", "for a, *b, *c in d: pass\n", "with a as *b: pass\n",
		"[x for *a in b]\n", "f(*a, *b)\n", "x = *a, *b\n", "print(*a, sep='')\n",
		"def f():\n    x = 1\n    def g():\n        nonlocal x\n        x = 2\n", "class C:\n    def f(self):\n        nonlocal __class__\n",
		"def f():\n    global x\n    def g():\n        nonlocal x\n", "def f(a, b):\n    def g():\n        nonlocal a, c\n",
		"def f():\n    import x\n    def g():\n        nonlocal x\n", "x = 1\nglobal x\n", "print(x)\nglobal x\n", "def f():\n    import x\n    global x\n", "def f():\n    for x in y: pass\n    global x\n",
		"def f():\n    [x := 1 for y in z]\n    global x\n", "from __future__ import annotations, nope\n",
		"'''doc'''\n'''second'''\nfrom __future__ import annotations\n", "from __future__ import annotations\nfrom __future__ import division\n",
		"from __future__ import annotations; import os\nfrom __future__ import division\n",
		"match x:\n    case a if a:\n        pass\n    case 1:\n        pass\n", "match x:\n    case [a, *_] | [*_, a]: pass\n",
		"match x:\n    case (a | b) as c: pass\n", "match x:\n    case {'k': a, **a}: pass\n", "match x:\n    case a | b | 1: pass\n",
		"match x:\n    case [a] | (b,): pass\n", "match x:\n    case _ | 1: pass\n", "match x:\n    case C(a, b=a): pass\n",
		"match x:\n    case __debug__: pass\n", "match x:\n    case (1 | _) as y:\n        pass\n    case 2:\n        pass\n",
		"def f():\n    yield 1\n    return 2\n", "async def f():\n    return 1\n    yield\n", "async def f():\n    x = lambda: (yield from y)\n",
		"x = [(yield from y) for z in w]\n", "x = {(yield): 1 for z in w}\n", "x = ((yield) for z in w)\n",
		"while x:\n    for y in z:\n        pass\n    else:\n        continue\n", "while x:\n    class C:\n        break\n",
		"try:\n    pass\nexcept:\n    pass\n", "try:\n    pass\nexcept* E:\n    pass\nexcept* F:\n    pass\n",
		"def f(*, __debug__): pass\n", "def f(**__debug__): pass\n", "(__debug__) = 1\n", "__debug__ += 1\n", "x: int; __debug__: int = 1\n",
	}, compileCases...), blockCases()...)
	for minor, python := range pythons(t) {
		t.Run(fmt.Sprintf("3.%d", minor), func(t *testing.T) {
			for i, o := range oracleOf(t, python, cases) {
				_, e := ParseFile([]byte(cases[i]), minor)
				if o.Compile == nil {
					assert.Nil(t, e, "%q: CPython compiles it", cases[i])
					continue
				}
				if e == nil {
					t.Errorf("%q: CPython says %v; ours accepts it", cases[i], o.Compile)
					continue
				}
				assert.Equal(t, o.Compile, []any{e.Msg, float64(e.Line), float64(e.Col)}, "%q", cases[i])
			}
		})
	}
}
