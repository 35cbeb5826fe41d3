"""Python 3.11: except*, starred subscripts and annotations."""
try:
    pass
except* ValueError:
    pass
except* (TypeError, KeyError) as eg:
    pass
x = a[*b]
x = a[*b, c]
x = a[1:2, *b]
def f(*args: *Ts): pass
