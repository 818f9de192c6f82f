# cython: language_level=3
"""Prism's core runtime: generic operations, printing and built-ins.

Generated modules `cimport prism_runtime.core as _rt` and call these at C
level wherever a value's type is not known statically (typed code uses the
inline helpers of core.pxd instead). Talks to `confidence` (values with
confidence flow through every generic operation), `errors` (PrismError) and
`methods` (the tables of built-in methods `call_method` dispatches through);
`interop` holds the Python-level glue (imports, attributes, tensor checks).

Semantics implemented here (see docs/language.md):
- `+` with a string on either side concatenates, formatting the other side
  as `print` does; `/` is true division; ints are 64-bit and overflow is an
  error; `%` and `**` follow Python.
- Confidence: arithmetic, comparison and `&&` multiply confidences, `||`
  takes the larger, unary operators keep it.
- `print` writes `true`, `false`, `null`, strings quoted inside containers.
"""
import sys
import time

from prism_runtime.confidence cimport Conf, make, conf_of, value_of
from prism_runtime.errors import PrismError, _UNSET
from prism_runtime.errors import as_prism_error as _as_prism_error

cdef object _I64_MIN = -(2 ** 63)
cdef object _I64_MAX = 2 ** 63 - 1


cdef int raise_overflow() except -1:
    raise PrismError("integer overflow")


cdef int raise_zero_division() except -1:
    raise PrismError("division by zero")


cdef int raise_index() except -1:
    raise PrismError("index out of range")


cdef int raise_pow() except -1:
    raise PrismError("invalid power: negative exponent or fractional power of a negative number")


cdef class Obj(dict):
    """An object literal: a dict whose keys also read as attributes."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name, value):
        self[name] = value

    def __reduce__(self):
        # Cython's automatic pickling of a dict subclass keeps no items.
        return (Obj, (dict(self),))


# ---------------------------------------------------------------- conversions

cpdef long long as_int(object v) except? -1:
    v = value_of(v)
    if type(v) is bool or not isinstance(v, int):
        raise PrismError(f"expected int, found {type_of(v)}")
    if not (_I64_MIN <= v <= _I64_MAX):
        raise_overflow()
    return v


cpdef double as_float(object v) except? -1:
    v = value_of(v)
    if type(v) is bool or not isinstance(v, (int, float)):
        raise PrismError(f"expected float, found {type_of(v)}")
    return v


cpdef bint truthy(object v) except -1:
    if type(v) is Conf:
        v = (<Conf>v).value
    if v is None or v is False:
        return False
    if v is True:
        return True
    return bool(v)


cpdef object as_bool(object v):
    return make(truthy(v), conf_of(v))


cpdef object and_tail(object a, object b):
    """`a && b` once a is known to be true."""
    return make(truthy(b), conf_of(a) * conf_of(b))


cpdef bint or_needs_right(object a) except -1:
    return not truthy(a) or conf_of(a) < 1.0


cpdef object or_tail(object a, object b):
    """`a || b` when b had to be evaluated: true if either is; the larger confidence."""
    cdef double ca = conf_of(a), cb = conf_of(b)
    return make(truthy(a) or truthy(b), ca if ca > cb else cb)


cpdef object not_(object a):
    return make(not truthy(a), conf_of(a))


# ---------------------------------------------------------------- arithmetic

cdef inline object _int_checked(object r):
    if type(r) is int and not (_I64_MIN <= r <= _I64_MAX):
        raise_overflow()
    return r


cdef object _plain_add(object a, object b):
    if type(a) is str:
        return (<str>a) + (b if type(b) is str else to_str(b))
    if type(b) is str:
        return to_str(a) + <str>b
    if type(a) is list and type(b) is list:
        return a + b
    return _int_checked(a + b)


cdef object _binary(int op, object a, object b):
    cdef double ca = 1.0
    cdef double cb = 1.0
    if type(a) is Conf:
        ca = (<Conf>a).confidence
        a = (<Conf>a).value
    if type(b) is Conf:
        cb = (<Conf>b).confidence
        b = (<Conf>b).value
    if op == 0:
        r = _plain_add(a, b)
    elif op == 1:
        r = _int_checked(a - b)
    elif op == 2:
        r = _int_checked(a * b)
    elif op == 3:
        if b == 0 and not isinstance(b, str):
            raise_zero_division()
        r = a / b
    elif op == 4:
        if b == 0 and not isinstance(b, str):
            raise_zero_division()
        r = a % b
    elif op == 5:
        if b == 0 and isinstance(a, (int, float)) and isinstance(b, (int, float)) and a == 0:
            r = 1
        elif a == 0 and isinstance(b, (int, float)) and b < 0:
            raise_zero_division()
        else:
            r = _int_checked(a ** b)
            if type(r) is complex:
                raise_pow()
    elif op == 6:
        r = a == b
    elif op == 7:
        r = a != b
    elif op == 8:
        r = a < b
    elif op == 9:
        r = a <= b
    elif op == 10:
        r = a > b
    else:
        r = a >= b
    return make(r, ca * cb)


cpdef object add(object a, object b):
    return _binary(0, a, b)

cpdef object sub(object a, object b):
    return _binary(1, a, b)

cpdef object mul(object a, object b):
    return _binary(2, a, b)

cpdef object div(object a, object b):
    return _binary(3, a, b)

cpdef object mod(object a, object b):
    return _binary(4, a, b)

cpdef object pow_(object a, object b):
    return _binary(5, a, b)

cpdef object eq(object a, object b):
    return _binary(6, a, b)

cpdef object ne(object a, object b):
    return _binary(7, a, b)

cpdef object lt(object a, object b):
    return _binary(8, a, b)

cpdef object le(object a, object b):
    return _binary(9, a, b)

cpdef object gt(object a, object b):
    return _binary(10, a, b)

cpdef object ge(object a, object b):
    return _binary(11, a, b)


cpdef object neg(object a):
    cdef double c = conf_of(a)
    return make(_int_checked(-value_of(a)), c)


cpdef object pos(object a):
    return a


cpdef bint match_eq(object subject, object literal) except -1:
    subject = value_of(subject)
    if type(subject) is bool or type(literal) is bool:
        return subject is literal
    return subject == literal


# ---------------------------------------------------------------- text

# Printed like arrays: lists, tuples, and the key/value/item views and sets Python code returns.
_ARRAY_LIKE = (list, tuple, type({}.keys()), type({}.values()), type({}.items()), set, frozenset)
# Arrays indexed like lists: lists, tuples and, once prism_runtime.arrays is loaded, NumArray.
_SEQUENCES = (list, tuple)
_NumArray = list            # replaced by register_num_array; `type(v) is _NumArray` stays safe


def register_num_array(cls):
    """prism_runtime.arrays announces its unboxed array type (see that module's end)."""
    global _ARRAY_LIKE, _SEQUENCES, _NumArray
    if cls not in _ARRAY_LIKE:
        _ARRAY_LIKE = _ARRAY_LIKE + (cls,)
        _SEQUENCES = _SEQUENCES + (cls,)
    _NumArray = cls


cdef str _inner(object v):
    """How a value prints inside a container: strings quoted."""
    if type(v) is Conf:
        v = (<Conf>v).value
    if isinstance(v, str):
        return repr(v)
    return to_str(v)


cpdef str to_str(object v):
    if type(v) is Conf:
        v = (<Conf>v).value
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    t = type(v)
    if t is str:
        return <str>v
    if t is int or t is float:
        return repr(v)
    if isinstance(v, _ARRAY_LIKE):
        return "[" + ", ".join([_inner(x) for x in v]) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join([_inner(k) + ": " + _inner(x) for k, x in (<dict>v).items()]) + "}"
    fields = getattr(t, "__prism_fields__", None)
    if fields is not None:
        attrs = t.__prism_attrs__
        inner = ", ".join([f"{name}: {_inner(getattr(v, attr))}" for name, attr in zip(fields, attrs)])
        return f"{t.__prism_name__} {{ {inner} }}" if inner else f"{t.__prism_name__} {{}}"
    return str(v)


cpdef str concat(tuple parts):
    return "".join(parts)


cpdef object prism_print(tuple values):
    sys.stdout.write(" ".join([to_str(v) for v in values]) + "\n")


# ---------------------------------------------------------------- members and items

cdef str _attr_name(object obj, str name):
    fields = getattr(type(obj), "__prism_fields__", None)
    if fields is not None and name in fields:
        return type(obj).__prism_attrs__[fields.index(name)]
    if not hasattr(obj, name) and hasattr(obj, "_pu_" + name):
        return "_pu_" + name
    return name


cpdef object get_member(object obj, str name):
    if type(obj) is Conf:
        obj = (<Conf>obj).value
    if name == "length" and (isinstance(obj, str) or isinstance(obj, _SEQUENCES) or isinstance(obj, dict) and name not in obj or
                             not isinstance(obj, dict) and not hasattr(obj, "length") and hasattr(obj, "__len__")):
        return len(obj)             # arrays, strings, maps, and sized Python objects (numpy arrays)
    if isinstance(obj, dict):
        try:
            return obj[name]
        except KeyError:
            if hasattr(obj, name):
                return getattr(obj, name)
            raise PrismError(f"key not found: {name!r}") from None
    try:
        value = getattr(obj, _attr_name(obj, name))
    except AttributeError:
        raise PrismError(f"{type_of(obj)} has no field '{name}'") from None
    table = getattr(type(obj), "__prism_field_conf__", None)
    if table:
        factor = table.get(name)            # `struct S ~c`, `f: T ~c`: values read carry them
        if factor is not None and factor < 1.0:
            from prism_runtime.confidence import with_conf
            return with_conf(value, factor)
    return value


cpdef object set_member(object obj, str name, object value):
    if type(obj) is Conf:
        obj = (<Conf>obj).value
    if isinstance(obj, dict):
        obj[name] = value
    else:
        setattr(obj, _attr_name(obj, name), value)


cpdef object get_key(object obj, str name):
    """`m.name` on a map: its key `name`; `m.length` is the number of entries unless it has a
    key "length"."""
    try:
        return obj[name]
    except KeyError:
        if name == "length":
            return len(obj)
        raise PrismError(f"key not found: {name!r}") from None
    except TypeError:
        return get_member(obj, name)


cpdef object get_index(object obj, object index):
    cdef Py_ssize_t n
    if type(obj) is Conf:
        obj = (<Conf>obj).value
    index = value_of(index)
    if isinstance(obj, str) or isinstance(obj, _SEQUENCES):
        if type(index) is not int:
            raise PrismError(f"index must be an int, found {type_of(index)}")
        n = len(obj)
        if index < 0 or index >= n:
            raise_index()
        return obj[index]
    if isinstance(obj, dict):
        try:
            return obj[index]
        except KeyError:
            raise PrismError(f"key not found: {index!r}") from None
    return obj[index]


cpdef object set_index(object obj, object index, object value):
    if type(obj) is Conf:
        obj = (<Conf>obj).value
    index = value_of(index)
    if type(obj) is list or type(obj) is _NumArray:
        if type(index) is not int or index < 0 or index >= len(obj):
            raise_index()
    obj[index] = value


cpdef object slice_(object obj, object lo, object hi):
    return value_of(obj)[value_of(lo):value_of(hi)]


cpdef object list_push(object xs, object value):
    if type(xs) is list:
        (<list>xs).append(value)
    elif xs is None:
        raise PrismError("cannot push to null")
    else:
        value_of(xs).append(value)


# The method tables live in `methods` (which cimports this module), loaded on first use so
# that either module may be imported first.
cdef dict _NUMBER_METHODS = None
cdef dict _LIST_METHODS = None
cdef dict _STR_METHODS = None
cdef dict _MAP_METHODS = None


cdef int _load_method_tables() except -1:
    global _NUMBER_METHODS, _LIST_METHODS, _STR_METHODS, _MAP_METHODS
    from prism_runtime import methods
    _NUMBER_METHODS, _LIST_METHODS = methods.NUMBER_METHODS, methods.LIST_METHODS
    _STR_METHODS, _MAP_METHODS = methods.STR_METHODS, methods.MAP_METHODS
    return 0


cpdef object call_method(object obj, str name, tuple args):
    cdef double c = 1.0
    if _LIST_METHODS is None:
        _load_method_tables()
    if type(obj) is Conf:
        c = (<Conf>obj).confidence
        obj = (<Conf>obj).value
    t = type(obj)
    if name == "to_string" and not args and not hasattr(obj, "to_string"):
        return make(to_str(obj), c)         # every value has to_string()
    if t is int or t is float:
        method = _NUMBER_METHODS.get(name)
        if method is not None:
            return make(method(obj, *args), c)
    if t is list or t is _NumArray:
        method = _LIST_METHODS.get(name)
        if method is not None:
            return method(obj, *args)
    elif t is str:
        method = _STR_METHODS.get(name)
        if method is not None:
            return make(method(obj, *args), c)
    elif isinstance(obj, dict):
        if name in obj and callable(obj[name]):
            return obj[name](*args)
        if not hasattr(t, name) or t is dict or t is Obj:
            method = _MAP_METHODS.get(name)
            if method is not None:
                return method(obj, *args)
    try:
        bound = getattr(obj, _attr_name(obj, name))
    except AttributeError:
        raise PrismError(f"{type_of(obj)} has no method '{name}'") from None
    return bound(*args)


cpdef object call_method_kw(object obj, str name, tuple args, dict kwargs):
    if type(obj) is Conf:
        obj = (<Conf>obj).value
    if isinstance(obj, dict) and name in obj and callable(obj[name]):
        return obj[name](*args, **kwargs)
    try:
        bound = getattr(obj, _attr_name(obj, name))
    except AttributeError:
        raise PrismError(f"{type_of(obj)} has no method '{name}'") from None
    return bound(*args, **kwargs)


cpdef object pairs(object obj):
    obj = value_of(obj)
    if isinstance(obj, dict):
        return list(obj.items())
    return list(enumerate(obj))


cpdef object iterate(object obj):
    return value_of(obj)


# ---------------------------------------------------------------- built-ins

cpdef object b_len(object v):
    return len(value_of(v))


cpdef object b_int(object v):
    v = value_of(v)
    try:
        if isinstance(v, str):
            r = int(v.strip().replace("_", ""), 0) if v.strip()[:2].lower() in ("0x", "0o", "0b") \
                else int(v.strip())
        else:
            r = int(v)
    except (ValueError, OverflowError, TypeError):
        raise PrismError(f"cannot convert {_inner(v)} to int") from None
    return _int_checked(r)


cpdef object to_float(object v):
    """An int given to a place annotated float, as a float (keeping its confidence)."""
    x = value_of(v)
    if type(x) is int:
        return make(float(x), conf_of(v))
    return v


cpdef object b_float(object v):
    v = value_of(v)
    try:
        return float(v)
    except (ValueError, TypeError):
        raise PrismError(f"cannot convert {_inner(v)} to float") from None


cpdef object b_round(tuple args):
    values = [value_of(a) for a in args]
    return round(*values)


cpdef object b_abs(object v):
    return make(_int_checked(abs(value_of(v))), conf_of(v))


def _value_key(v):
    """Sort key for min/max: a value's plain value (a Python-level function, so that
    importing this module never needs `confidence`'s Python namespace, which may still
    be initialising: confidence cimports core)."""
    return value_of(v)


cdef object _extreme(tuple args, bint largest):
    items = list(args[0]) if len(args) == 1 else list(args)
    if not items:
        raise PrismError(("max" if largest else "min") + " of an empty sequence")
    return (max if largest else min)(items, key=_value_key)


cpdef object b_min(tuple args):
    return _extreme(args, False)


cpdef object b_max(tuple args):
    return _extreme(args, True)


cpdef object b_sum(object v):
    total = 0
    for x in value_of(v):
        total = _binary(0, total, x)
    return total


cpdef list b_range(tuple args):
    return list(range(*[value_of(a) for a in args]))


def make_error(message, code=None, confidence=None, context=_UNSET):
    """`error(message, code: c, confidence: p, context: ctx)`: an error value (not thrown)."""
    c = 1.0 if confidence is None else _confidence_factor(confidence)
    if context is not _UNSET:
        context = None if context is None else to_str(value_of(context)) if not hasattr(
            value_of(context), "name") else value_of(context).name
        return PrismError(to_str(message), code=value_of(code), confidence=c, context=context)
    return PrismError(to_str(message), code=value_of(code), confidence=c)


cdef double _confidence_factor(object c) except? -1.0:
    cdef double x = value_of(c)
    if not 0.0 <= x <= 1.0:
        raise PrismError(f"confidence {to_str(value_of(c))} is outside [0, 1]")
    return x


cpdef object undefined_name(str name):
    """Evaluating a name nothing declares (the compiler warned about it)."""
    raise PrismError(f"undefined name '{name}'", code="UNDEFINED_NAME")


cpdef object b_assert(object cond, object message=None):
    if not truthy(cond):
        raise PrismError("assertion failed" if message is None else to_str(message), code="ASSERTION_FAILED")


cpdef object b_now():
    """Milliseconds since the epoch."""
    return time.time_ns() // 1_000_000


cpdef object b_sleep(object ms):
    """`await sleep(ms)`: milliseconds, as in JavaScript."""
    import asyncio
    return asyncio.sleep(max(0.0, float(value_of(ms))) / 1000.0)


cpdef object b_timeout(object awaitable, object ms):
    """`await timeout(awaitable, ms)`: see asyncs.timeout (error code TIMEOUT)."""
    from prism_runtime.asyncs import timeout
    return timeout(awaitable, ms)


class TypeName(str):
    """What `typeof(x)` returns: its name, and also equal to "number" for integers and floats."""
    __slots__ = ()

    def __eq__(self, other):
        other = value_of(other)
        if other == "number" and str.__str__(self) in ("integer", "float"):
            return True
        return str.__eq__(self, other)

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = str.__hash__


cpdef object type_name(object v):
    """`typeof(x)`: integer float string boolean array map function null error context, a struct's name."""
    v = value_of(v)
    if v is None:
        name = "null"
    elif type(v) is bool:
        name = "boolean"
    elif type(v) is int:
        name = "integer"
    elif type(v) is float:
        name = "float"
    elif type(v) is str:
        name = "string"
    elif isinstance(v, _SEQUENCES):
        name = "array"
    elif isinstance(v, PrismError):
        name = "error"
    elif isinstance(v, dict):
        name = "map"
    elif hasattr(type(v), "__prism_name__"):
        name = type(v).__prism_name__
    elif type(v).__name__ == "Context":
        name = "context"
    elif callable(v):
        name = "function"
    else:
        name = type(v).__name__
    return TypeName(name)


cpdef object field_conf(object cls, str name):
    """The confidence a value read from field `name` of an instance of struct class cls is
    multiplied by: `struct S ~c` times `f: T ~c` (the generated class holds the table)."""
    return cls.__prism_field_conf__.get(name, 1.0)


cpdef object magnitude(object v):
    """`|v|`: a number's absolute value, or the struct's `operator |`."""
    cdef double c = conf_of(v)
    x = value_of(v)
    method = getattr(x, "__prism_magnitude__", None)
    if method is not None:
        return method()
    if isinstance(x, (int, float)) and type(x) is not bool:
        return make(_int_checked(abs(x)), c)
    raise PrismError(f"operator '|' is not defined for {type_of(x)}", code="TYPE_ERROR")


cpdef object dot(object a, object b):
    """`a . b`: the struct's `operator .`."""
    x, y = value_of(a), value_of(b)
    method = getattr(x, "__prism_dot__", None)
    if method is not None:
        r = method(y)
        if r is not NotImplemented:
            return r
    raise PrismError(f"operator '.' is not defined for {type_of(x)} and {type_of(y)}", code="TYPE_ERROR")


cpdef bint array_fits(object v, Py_ssize_t n, bint rest) except -1:
    """Does an array pattern of n elements (and `...rest` when rest) fit v?"""
    v = value_of(v)
    if not isinstance(v, _SEQUENCES):
        return False
    return len(v) >= n if rest else len(v) == n


cpdef object type_of(object v):
    v = value_of(v)
    if v is None:
        return "null"
    if type(v) is bool:
        return "bool"
    if type(v) is int:
        return "int"
    if type(v) is float:
        return "float"
    if type(v) is str:
        return "string"
    if type(v) is list or type(v) is _NumArray:
        return "array"
    if isinstance(v, dict):
        return "map"
    return getattr(type(v), "__prism_name__", type(v).__name__)


# ---------------------------------------------------------------- errors

cpdef object to_exception(object v):
    """What `throw v` raises: an error value itself, anything else as an error with its text."""
    v = value_of(v)
    if isinstance(v, BaseException):
        return v
    return PrismError(to_str(v), code=None)


cpdef object as_prism_error(object exc):
    return _as_prism_error(exc)


cpdef object missing_return(str name):
    return PrismError(f"function '{name}' ended without returning a value")
