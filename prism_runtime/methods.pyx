# cython: language_level=3
"""The built-in methods of numbers, arrays, strings and maps (`x.sqrt()`, `xs.map(f)`,
`xs.sort(cmp)`, `s.trim()`, `m.keys()`, ...): one table per receiver kind, name ->
function taking the receiver first.

`core.call_method` dispatches through these tables after taking a `Conf` apart
(number and string results get the receiver's confidence back); a name missing
here falls through to the object's own attribute. Cimports `core` (truthy, to_str,
the generic operations) and `confidence`; `core` loads this module on its first
method call, so either may be imported first.

Semantics: `sort` sorts in place and returns the array, taking
a key function (one parameter) or a comparator (two); `round` keeps an int an int;
`sqrt` of a negative number is NaN; `pop` of an empty array is an error.
"""
from prism_runtime.confidence cimport value_of
from prism_runtime.core cimport _binary, b_abs, to_str, truthy
from prism_runtime.core import _value_key
from prism_runtime.errors import PrismError


def _pop(xs):
    if not xs:
        raise PrismError("pop from an empty array")
    return xs.pop()


def _index_of(seq, x):
    try:
        return seq.index(x)
    except ValueError:
        return -1


def _find(xs, f):
    for x in xs:
        if truthy(f(x)):
            return x
    return None


def _reduce(xs, f, *init):
    it = iter(xs)
    acc = init[0] if init else next(it)
    for x in it:
        acc = f(acc, x)
    return acc


def _arity(f) -> int:
    """How many parameters f takes (-1 when it cannot be told)."""
    code = getattr(f, "__code__", None)
    if code is not None:
        return code.co_argcount - (1 if getattr(f, "__self__", None) is not None else 0)
    try:
        import inspect
        return len(inspect.signature(f).parameters)
    except (TypeError, ValueError):
        return -1


def _sort(xs, *key):
    """`xs.sort()`, `xs.sort(key_fn)` (one parameter) or `xs.sort(comparator)` (two: negative,
    zero or positive); sorts in place and returns the array, as in JavaScript."""
    if not key:
        xs.sort(key=_value_key)
        return xs
    f = key[0]
    if _arity(f) == 2:
        import functools
        xs.sort(key=functools.cmp_to_key(lambda a, b: value_of(f(a, b))))
    else:
        xs.sort(key=lambda x: value_of(f(x)))
    return xs


def _reverse(xs):
    xs.reverse()
    return xs


def _round(x, digits=None):
    """`x.round(d)`: a float stays a float (to d decimals), an int an int."""
    if type(x) is int:
        return x if digits is None else round(x, digits)
    return float(round(x, 0 if digits is None else value_of(digits)))


def _sqrt(x):
    import math
    return math.sqrt(x) if x >= 0 else float("nan")


def _floor(x):
    import math
    return x if type(x) is int else float(math.floor(x))


def _ceil(x):
    import math
    return x if type(x) is int else float(math.ceil(x))


# Methods of numbers (they keep the receiver's confidence, like unary operators).
NUMBER_METHODS = {
    "abs": lambda x: b_abs(x),
    "sqrt": _sqrt,
    "floor": _floor,
    "ceil": _ceil,
    "round": _round,
    "to_string": lambda x: to_str(x),
    "pow": lambda x, y: _binary(5, x, y),
    "min": lambda x, y: x if x <= y else y,
    "max": lambda x, y: x if x >= y else y,
}


LIST_METHODS = {
    "push": lambda xs, x: xs.append(x),
    "pop": _pop,
    "map": lambda xs, f: [f(x) for x in xs],
    "filter": lambda xs, f: [x for x in xs if truthy(f(x))],
    "for_each": lambda xs, f: [f(x) for x in xs] and None,
    "reduce": _reduce,
    "find": _find,
    "some": lambda xs, f: any(truthy(f(x)) for x in xs),
    "every": lambda xs, f: all(truthy(f(x)) for x in xs),
    "contains": lambda xs, x: x in xs,
    "index_of": _index_of,
    "join": lambda xs, sep="": sep.join([to_str(x) for x in xs]),
    "reverse": _reverse,
    "sort": _sort,
    "slice": lambda xs, a=None, b=None: xs[a:b],
    "insert": lambda xs, i, x: xs.insert(i, x),
    "clear": lambda xs: xs.clear(),
    "copy": lambda xs: list(xs),
    "len": lambda xs: len(xs),
}

STR_METHODS = {
    "upper": lambda s: s.upper(),
    "lower": lambda s: s.lower(),
    "trim": lambda s: s.strip(),
    "split": lambda s, sep=None: s.split(sep),
    "contains": lambda s, t: to_str(t) in s,
    "starts_with": lambda s, t: s.startswith(t),
    "ends_with": lambda s, t: s.endswith(t),
    "replace": lambda s, a, b: s.replace(a, b),
    "index_of": lambda s, t: s.find(t),
    "repeat": lambda s, n: s * n,
    "chars": lambda s: list(s),
    "len": lambda s: len(s),
    "length": lambda s: len(s),
    "to_upper": lambda s: s.upper(),
    "to_lower": lambda s: s.lower(),
    "slice": lambda s, a=None, b=None: s[a:b],
}

MAP_METHODS = {
    "get": lambda d, k, default=None: d.get(k, default),
    "set": lambda d, k, v: d.__setitem__(k, v),
    "has": lambda d, k: k in d,
    "delete": lambda d, k: d.pop(k, None) and None,
    "keys": lambda d: list(d.keys()),
    "values": lambda d: list(d.values()),
    "entries": lambda d: [[k, v] for k, v in d.items()],
    "len": lambda d: len(d),
}
