"""Python 3.13: defaults of type parameters."""
type A[T = int] = list[T]
def f[T = str, *Ts = *tuple[int], **P = [int]](): pass
class C[T: int = bool]: pass
