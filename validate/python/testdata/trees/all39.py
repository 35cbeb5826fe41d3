"""Every construct of Python 3.9's grammar, for the syntax tree's comparison with ast.parse."""
from __future__ import annotations
import os, os.path as osp, a.b.c
from . import sibling
from .. import parent as p
from ...pkg.mod import (x, y as z,)
from .... import deep
from a . b import c
import a . b as d
global_ = 1; other = 2;
x: int
y: "str" = "a"
(z): int = 3
a.b: int = 4
a[0]: int = 5
x = y = z = 1, 2
x, *y = [1, 2, 3]
[a, (b, c)] = d
a.b[c].d = e
del a, b.c, d[0], (e, f), [g]
x += 1; x -= 1; x *= 2; x @= m; x /= 2; x //= 2; x %= 2; x **= 2; x <<= 1; x >>= 1; x |= 1; x ^= 1; x &= 1
assert x, "message"
assert (x, y)
raise
raise E
raise E("x") from None
print(*args, sep="", **kwargs)
f(a, *b, c=1, *d, **e)
f(x for x in y)
f((x for x in y), z)
f(a)(b)(c)
a.b.c.d
a[1:2, ::3, 4:, :5:6, ...]
a[1:2]
a[:]
a[b, c]
a[(b, c)]
x = lambda: 0
x = lambda a, b=1, *c, d, e=2, **f: a
x = lambda a, /, b, *, c: 0
x = lambda *a, **k: 0
x = a if b else c
x = not a and b or c and not d
x = a < b <= c > d >= e == f != g is h is not i in j not in k
x = a | b ^ c & d << e >> f + g - h * i / j // k % l @ m
x = -a + +b - ~c ** -d
x = a ** b ** c
x = (yield)
x = [1, 2, *a]
x = (1,)
x = ()
x = []
x = {}
x = {1, 2, *a}
x = {'a': 1, **b, 'c': 3}
x = [i for i in range(10) if i if not i for j in i]
x = {i for i in a}
x = {k: v for k, v in a.items()}
x = (i async for i in a)
x = (y := 10)
x = [y := 1, z := 2]
x = 1_000 + 0x1F + 0o17 + 0b101 + 1.5 + 1e10 + 1.5j + 10J + .5 + 5.
x = True, False, None, ...
x = 'a' "b" '''c''' """d""" r'\d' R"\w" u'u' f'{x}'
x = u'first' 'makes the kind u'
x = b'bytes' rb'\x00' Br'x'
x = "esc\n\t\\\'\"\x41\u00e9\U0001F600\101\0\N{BULLET}\
continued"
x = b"\x00\xff\n\101"
x = f"{x!r} {y!s:>{w}} {z!a} {{literal}} {a=} {b = !r} {c=:>10} {d:{e}.{f}}"
x = f'''multi
{line}'''
x = F"{'nested'}" rf"{x}\d" fR'{x}'
x = f"{x:{'a'}}" f"{[1,2][0]}" f"{ {'a': 1}['a'] }" f"{(lambda: 1)()}"
x = "a" f"{b}" "c" f"d" 'e'
x = a.b(c).d[e](f)
x = await_ = 1
if a:
    pass
elif b:
    pass
elif c:
    pass
else:
    pass
while a:
    break
else:
    continue_ = 1
for i in range(10):
    continue
else:
    pass
for a, b in c: pass
for (a, b), *c in d: pass
for x.y in z: pass
try:
    pass
except E:
    pass
except (A, B) as e:
    pass
except:
    pass
else:
    pass
finally:
    pass
try:
    pass
finally:
    pass
with a: pass
with a as b, c as (d, e), f: pass
with (a, b): pass
with (a, b) as c: pass
with (yield): pass
with (a as b, c): pass
with (a as b, c,): pass
with (x for x in y): pass
@decorator
@decorator.attr(arg)
@(lambda f: f)
def f(a, b: int = 1, *args: str, c, d: int = 2, **kwargs: float) -> None:
    """doc"""
    global g
    nonlocal_ = 1
    def inner():
        nonlocal nonlocal_
        return
    return a
def g(a, b, /, c, *, d=1): yield; yield a; yield a, b; yield from b
def h(a=1, /, b=2, *, c): ...
def i(*, a): pass
async def f():
    await x
    async for a in b: pass
    async with a as b, c: pass
    x = [i async for i in a]
    return await a.b()
class C: pass
class C(): pass
class C(A, B, metaclass=M, **kw):
    x: int = 1
    def method(self): return self
@dataclass
class D(*bases): pass
if x: y = 1; z = 2
while x: a; b
x = (
    1,  # comment
    2,
)
x = [
    1
]
x = a \
    + b
x = {a: b for a in c for b in d if e}
x = {**a}
x = a[b][c]
x = a[b:c:d]
x = a[-1]
x = (a)(b)
x = ((a, b))
x = (*a, b)
x = [*a, *b]
print(not -x)
