"""Python 3.10: match, parenthesized context managers."""
match command.split():
    case [action]:
        pass
    case [action, obj]:
        pass
    case Point(x=0, y=0) | Point(x=1):
        pass
    case Point(1, 2, z=3) as p if p.x > 0:
        pass
    case {"a": 1, "b": b, **rest}:
        pass
    case {1: _, -1.5: x, 1+2j: y, a.b: z, None: n, 'k': t}:
        pass
    case [1, 2, *others]:
        pass
    case [*_, last]:
        pass
    case (1 | 2 | 3):
        pass
    case ():
        pass
    case []:
        pass
    case (a, b):
        pass
    case (a,):
        pass
    case -1 | -2.5 | 1 - 2j | "s" | b"b" | "a" "b":
        pass
    case None | True | False:
        pass
    case a.b.c:
        pass
    case str() | bytes():
        pass
    case x if x:
        pass
    case _:
        pass
match a, b:
    case 1, 2: pass
    case 1, *rest: pass
match (a, b):
    case (1, 2) if a: pass
match *a, b:
    case _: pass
match = 1
match.x = 2
match[0] = 3
case = 4
_ = 5
