"""Python 3.12: type parameters, type aliases, PEP 701 f-strings."""
type Alias = int
type ListOf[T] = list[T]
type Bounded[T: (int, str), *Ts, **P] = dict[T, P]
def f[T](x: T) -> T: return x
def g[T: int, *Ts, **P](*args: *Ts) -> None: pass
class C[T]: pass
class D[T: str](Base[T], metaclass=M): pass
x = f"{"nested"} {f"{'deep'}"} {x!r:{"a"}>10}"
x = f"{
    x
}"
x = f"{x # comment
}"
x = f"{x = }" f"{x=!s:>{w}}" f"{'\n'.join(a)}"
x = f"a{{b}}c" f"{{" f"}}"
x = rf"\d{x}\w" f"\N{BULLET} {x}"
type = 1
type.x = 2
print(type(x))
