# cython: language_level=3
"""Confidence values: a value together with a confidence in [0, 1].

Generated code calls these at C level (`cimport prism_runtime.confidence as
_cf`) wherever a value may carry confidence; values that never do are plain C
or Python values and never reach this module. Every value produced by `~>` or
by a `~c` function is reported to the current context through
`context.note_confidence`, which costs one branch when no context is active.

Python callers receive `Conf` objects: `.value`, `.confidence`, and they print,
compare and hash like their value. A `Conf` may also carry a context tag
(`in "source_a" 0.85`), which travels with the value like its confidence.

Other values with a confidence of their own: an error (`PrismError.confidence`;
`e ~> c` gives an error with that field multiplied) and an instance of a struct
declared `struct S ~c` (registered by the generated module).
"""
cdef extern from "Python.h":
    bint PyExceptionInstance_Check(object o)

from prism_runtime.context cimport note_confidence, current, Context
from prism_runtime.errors import PrismError

cdef dict _struct_conf = {}      # struct class -> its instances' confidence (`struct S ~c`)


cdef class Conf:
    """A value with a confidence other than certainty."""

    def __init__(self, value, double confidence=1.0):
        if not 0.0 <= confidence <= 1.0:
            raise PrismError(f"confidence {confidence!r} is outside [0, 1]")
        self.value = value
        self.confidence = confidence

    def __repr__(self):
        return f"Conf({self.value!r}, {self.confidence!r})"

    def __str__(self):
        from prism_runtime.core import to_str
        return to_str(self.value)

    def __eq__(self, other):
        return self.value == value_of(other)

    def __ne__(self, other):
        return self.value != value_of(other)

    def __lt__(self, other):
        return self.value < value_of(other)

    def __le__(self, other):
        return self.value <= value_of(other)

    def __gt__(self, other):
        return self.value > value_of(other)

    def __ge__(self, other):
        return self.value >= value_of(other)

    def __hash__(self):
        return hash(self.value)

    def __bool__(self):
        return bool(self.value)

    def __float__(self):
        return float(self.value)

    def __int__(self):
        return int(self.value)

    def __index__(self):
        return self.value.__index__()

    def __len__(self):
        return len(self.value)

    def __iter__(self):
        return iter(self.value)

    def __getitem__(self, key):
        return self.value[key]

    def __add__(self, other):
        from prism_runtime.core import add
        return add(self, other)

    def __radd__(self, other):
        from prism_runtime.core import add
        return add(other, self)

    def __sub__(self, other):
        from prism_runtime.core import sub
        return sub(self, other)

    def __mul__(self, other):
        from prism_runtime.core import mul
        return mul(self, other)

    def __truediv__(self, other):
        from prism_runtime.core import div
        return div(self, other)

    def __reduce__(self):
        return (_rebuild, (self.value, self.confidence, self.tag))


def _rebuild(value, confidence, tag):
    cdef Conf r = _new_conf(value, confidence)
    r.tag = tag
    return r


cdef object make(object value, double c):
    if c >= 1.0:
        return value
    return _new_conf(value, c)


cdef inline Conf _new_conf(object value, double c):
    cdef Conf r = Conf.__new__(Conf)
    r.value = value
    r.confidence = c
    return r


def struct_confidence(cls):
    """The confidence instances of struct class cls carry (1.0 unless declared `struct S ~c`)."""
    return _struct_conf.get(cls, 1.0)


def register_struct_confidence(cls, c):
    """`struct S ~c`: the instances of cls carry confidence c."""
    _struct_conf[cls] = _check(c)


cpdef object tag(object v, object context):
    """`in "ctx" v`: v (with its confidence) tagged with the context's name."""
    cdef Conf r = _new_conf(value_of(v), conf_of(v))
    r.tag = context.name if isinstance(context, Context) else str(value_of(context))
    return r


cpdef object context_tag(object v):
    """The context a value belongs to, for `in "name" p` patterns: a tagged value's tag, an
    error's context, else the name of the current context (None outside any)."""
    if type(v) is Conf and (<Conf>v).tag is not None:
        return (<Conf>v).tag
    v = value_of(v)
    if isinstance(v, PrismError):
        return v.context
    ctx = current()
    return None if ctx is None else ctx.name


cpdef bint in_range(object v, object lo, object hi) except -1:
    """The `~{lo, hi}` test (both ends inclusive): the subject's confidence when it carries one
    (below 1, or an error), else a plain number's own value, else its confidence (1.0). A range
    reaching outside [0, 1] cannot be about a confidence: a number is then compared itself."""
    cdef double c = conf_of(v)
    cdef object x = value_of(v)
    cdef double low = value_of(lo), high = value_of(hi)
    cdef bint number = (type(x) is int or type(x) is float) and type(x) is not bool
    if number and (c >= 1.0 or low < 0.0 or high > 1.0):
        return low <= x <= high
    return low <= c <= high


cdef double _check(object c) except? -1.0:
    cdef double x
    try:
        x = value_of(c)
    except (TypeError, ValueError):
        raise PrismError(f"confidence must be a number, not {type(value_of(c)).__name__}")
    if not (0.0 <= x <= 1.0):
        from prism_runtime.core import to_str
        raise PrismError(f"confidence {to_str(value_of(c))} is outside [0, 1]")
    return x


cpdef object with_conf(object v, object c):
    """`v ~> c`: v's value with confidence conf(v) * c (an error: its confidence field)."""
    cdef double factor = _check(c)
    cdef double result = conf_of(v) * factor
    cdef Conf r
    note_confidence(result)
    if type(v) is Conf:
        r = _new_conf((<Conf>v).value, result)
        r.tag = (<Conf>v).tag
        return r
    if PyExceptionInstance_Check(v) and isinstance(v, PrismError):
        return v.with_confidence(factor)
    return _new_conf(v, result)


cpdef object scale(object v, object c):
    """The result of a function marked `~c`."""
    return with_conf(v, c)


cpdef double conf_of(object v) noexcept:
    if type(v) is Conf:
        return (<Conf>v).confidence
    if PyExceptionInstance_Check(v):
        return getattr(v, "confidence", 1.0)
    if _struct_conf:
        return _struct_conf.get(type(v), 1.0)
    return 1.0


cpdef object value_of(object v):
    if type(v) is Conf:
        return (<Conf>v).value
    return v


cpdef object more_confident(object a, object b):
    """`a ~||> b`: whichever is more confident; ties keep a."""
    return b if conf_of(b) > conf_of(a) else a


cpdef object at_least(object v, object threshold):
    """`v ~@> t`: v when its confidence is at least t, else null."""
    return v if conf_of(v) >= _check(threshold) else None


cpdef bint conf_between(object v, object lo, object hi) except -1:
    cdef double c = conf_of(v)
    return value_of(lo) <= c <= value_of(hi)


# ---------------------------------------------------------------- unboxed scalars (see confidence.pxd)

cdef double checked_factor(double factor) except? -1:
    """A computed confidence factor, checked to lie in [0, 1]."""
    if not (0.0 <= factor <= 1.0):
        from prism_runtime.core import to_str
        raise PrismError(f"confidence {to_str(factor)} is outside [0, 1]")
    return factor


cdef cfloat unbox_cfloat(object o) except *:
    cdef cfloat r
    r.c = conf_of(o)
    r.v = value_of(o)
    return r


cdef cint unbox_cint(object o) except *:
    cdef cint r
    cdef object v = value_of(o)
    if type(v) is bool or not isinstance(v, int):
        raise PrismError(f"expected int, found {type(v).__name__}")
    r.c = conf_of(o)
    r.v = v
    return r


cdef cbool unbox_cbool(object o) except *:
    cdef cbool r
    from prism_runtime.core import truthy
    r.c = conf_of(o)
    r.v = truthy(o)
    return r
