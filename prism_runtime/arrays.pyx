# cython: language_level=3
"""Prism arrays of floats and ints, stored unboxed: `NumArray`.

The compiler builds an array literal as a NumArray (transpiler/passes/unboxing.py) where the array
cannot escape the local variables and parameters of Prism functions, and typed code reads and
writes its elements through the inline dispatch of arrays.pxd (`seq_*`: a NumArray, else the
list path), so a loop over a million floats touches 8 bytes per element instead of a list slot
and a float object. A NumArray prints, compares (with lists too), indexes, iterates and has
every array method exactly as a list does; slices, copies and concatenations are lists, so a
NumArray never reaches code that could tell the difference (Python code only sees one it made
itself: `as_floats(values)` copies a Python sequence into one, and the buffer protocol lets
`numpy.asarray(xs)` share its memory).

A value of another kind stored into a NumArray (an int into a float array, a string, a value
with confidence) switches it to holding Python objects (`boxed`), so nothing is converted or
lost; typed code then takes the slower path.

Talks to `errors` (PrismError) and `core` (generic indexing; `register_num_array` tells core
the type); used by generated code (`cimport prism_runtime.arrays as _ar`).
"""
from cpython.object cimport PyObject
from cpython.mem cimport PyMem_Free, PyMem_Realloc
from cpython.buffer cimport PyBUF_FORMAT, PyBUF_ND, PyBUF_WRITABLE
from libc.string cimport memcpy

from prism_runtime.errors import PrismError

cdef extern from "Python.h":
    PyObject *_list_item "PyList_GET_ITEM"(object, Py_ssize_t)
    bint _exact_float "PyFloat_CheckExact"(PyObject *)
    double _float_value "PyFloat_AS_DOUBLE"(PyObject *)


cdef inline bint _fits(char kind, object value):
    """Can value be stored unboxed in an array of this kind without changing what it is?"""
    if kind == b'd':
        return type(value) is float
    return type(value) is int and -9223372036854775808 <= value <= 9223372036854775807


cdef class NumArray:
    """A Prism array of floats (kind 'd') or ints (kind 'q'); see the module docstring."""

    def __cinit__(self, kind="d"):
        self.kind = b'q' if kind in ("q", b"q", "int") else b'd'
        self.data = NULL
        self.size = 0
        self.capacity = 0
        self.boxed = None

    def __dealloc__(self):
        PyMem_Free(self.data)

    cdef int reserve(self, Py_ssize_t n) except -1:
        cdef Py_ssize_t cap
        cdef void *grown
        if n <= self.capacity:
            return 0
        cap = max(n, self.capacity * 2, 8)
        grown = PyMem_Realloc(self.data, cap * 8)
        if grown == NULL:
            raise MemoryError()
        self.data = grown
        self.capacity = cap
        return 0

    cdef int unbox_failed(self) except -1:
        """Keep the values as Python objects from now on (a value of another kind arrived)."""
        if self.boxed is None:
            self.boxed = [self.item(i) for i in range(self.size)]
            PyMem_Free(self.data)
            self.data = NULL
            self.capacity = 0
        return 0

    cdef object item(self, Py_ssize_t i):
        if self.boxed is not None:
            return self.boxed[i]
        if self.kind == b'd':
            return (<double *>self.data)[i]
        return (<long long *>self.data)[i]

    cdef int append_value(self, object value) except -1:
        if self.boxed is None and _fits(self.kind, value):
            self.reserve(self.size + 1)
            if self.kind == b'd':
                (<double *>self.data)[self.size] = value
            else:
                (<long long *>self.data)[self.size] = value
            self.size += 1
            return 0
        self.unbox_failed()
        self.boxed.append(value)
        self.size += 1
        return 0

    # ---- the sequence protocol ------------------------------------------------
    def __len__(self):
        return self.size

    def _index(self, i):
        """Python's rule (negative indices count from the end); Prism code reaches a NumArray
        through core.get_index / set_index, which apply Prism's own rule first."""
        if type(i) is not int and not hasattr(i, "__index__") or type(i) is bool:
            raise TypeError(f"array indices must be integers, not {type(i).__name__}")
        i = int(i)
        if i < 0:
            i += self.size
        if i < 0 or i >= self.size:
            raise IndexError("array index out of range")
        return i

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self.item(i) for i in range(*index.indices(self.size))]
        return self.item(self._index(index))

    def __setitem__(self, index, value):
        slow_set(self, self._index(index), value)

    def __delitem__(self, index):
        values = list(self)
        del values[index]
        self._replace(values)

    def __iter__(self):
        cdef Py_ssize_t i = 0
        while i < self.size:
            yield self.item(i)
            i += 1

    def __contains__(self, value):
        return any(x == value for x in self)

    def __eq__(self, other):
        if not isinstance(other, (NumArray, list, tuple)):
            return NotImplemented
        return len(other) == self.size and all(a == b for a, b in zip(self, other))

    def __ne__(self, other):
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = None

    def __add__(self, other):
        if isinstance(other, (list, tuple, NumArray)):
            return list(self) + list(other)
        return NotImplemented

    def __radd__(self, other):
        if isinstance(other, (list, tuple)):
            return list(other) + list(self)
        return NotImplemented

    def __repr__(self):
        from prism_runtime.core import to_str
        return to_str(self)

    def __reduce__(self):
        return (_make, (chr(self.kind), list(self)))

    # ---- list methods (what Prism's array methods call, see methods.LIST_METHODS) ----
    def append(self, value):
        self.append_value(value)

    def pop(self, index=-1):
        if self.size == 0:
            raise PrismError("pop from an empty array")
        if index != -1:
            values = list(self)
            value = values.pop(index)
            self._replace(values)
            return value
        value = self.item(self.size - 1)
        if self.boxed is not None:
            self.boxed.pop()
        self.size -= 1
        return value

    def insert(self, index, value):
        values = list(self)
        values.insert(index, value)
        self._replace(values)

    def extend(self, values):
        for v in values:
            self.append_value(v)

    def clear(self):
        self._replace([])

    def copy(self):
        return list(self)

    def index(self, value):
        for i, x in enumerate(self):
            if x == value:
                return i
        raise ValueError(value)

    def count(self, value):
        return sum(1 for x in self if x == value)

    def reverse(self):
        self._replace(list(reversed(list(self))))

    def sort(self, key=None, reverse=False):
        self._replace(sorted(self, key=key, reverse=reverse))

    def tolist(self):
        return list(self)

    def _replace(self, list values):
        """Hold exactly these values (unboxed again when they all fit)."""
        self.size = 0
        self.boxed = None
        for v in values:
            self.append_value(v)

    # ---- buffer protocol: numpy.asarray(xs) shares the memory -------------------
    def __getbuffer__(self, Py_buffer *view, int flags):
        if self.boxed is not None:
            raise BufferError("this array holds values that are not all numbers of one kind")
        view.buf = self.data
        view.obj = self
        view.len = self.size * 8
        view.readonly = 0
        view.itemsize = 8
        view.format = "d" if self.kind == b'd' else "q"
        view.ndim = 1
        view.shape = &self.size
        view.strides = &view.itemsize
        view.suboffsets = NULL
        view.internal = NULL

    def __releasebuffer__(self, Py_buffer *view):
        pass


def _make(kind, values):
    cdef NumArray a = NumArray(kind)
    cdef Py_ssize_t i, n = len(values)
    cdef PyObject *p
    a.reserve(n)
    if type(values) is tuple:
        values = list(values)
    if type(values) is list:
        # the common case, as C: exact floats (ints) straight into the buffer
        for i in range(n):
            p = _list_item(values, i)           # borrowed: no reference count traffic
            if a.boxed is None and a.kind == b'd' and _exact_float(p):
                (<double *>a.data)[a.size] = _float_value(p)
                a.size += 1
            else:
                a.append_value(<object>p)
        return a
    for v in values:
        a.append_value(v)
    return a


cdef int slow_set(NumArray a, long long i, object value) except -1:
    if i < 0 or i >= a.size:
        raise PrismError("index out of range")
    if a.boxed is None and _fits(a.kind, value):
        if a.kind == b'd':
            (<double *>a.data)[i] = value
        else:
            (<long long *>a.data)[i] = value
        return 0
    a.unbox_failed()
    a.boxed[i] = value
    return 0


# ---- the slow paths of the inline functions in arrays.pxd (through its cold trampolines) ----
# NumArrays out of range, holding other values or read as the other kind, lists whose element
# is not exactly a float (an int), null, values with confidence, tuples and other sequences:
# all go the way the generic operations of `core` go, with the same errors.

cdef int float_at_slow(double *out, object xs, long long i) except -1:
    from prism_runtime.core import get_index, as_float
    if xs is None:
        raise PrismError("cannot index null")
    out[0] = as_float(get_index(xs, i))
    return 0


cdef int int_at_slow(long long *out, object xs, long long i) except -1:
    from prism_runtime.core import get_index, as_int
    if xs is None:
        raise PrismError("cannot index null")
    out[0] = as_int(get_index(xs, i))
    return 0


cdef Py_ssize_t len_slow(object xs) except -1:
    from prism_runtime.core import b_len
    if xs is None:
        raise PrismError("null has no length")
    return b_len(xs)


cdef int _push(object xs, object value) except -1:
    if type(xs) is NumArray:
        (<NumArray>xs).append_value(value)
    else:
        from prism_runtime.core import list_push
        list_push(xs, value)
    return 0


cdef int push_float_slow(object xs, long long unused, double v) except -1:
    return _push(xs, v)


cdef int push_int_slow(object xs, long long unused, long long v) except -1:
    return _push(xs, v)


cdef int set_float_slow(object xs, long long i, double v) except -1:
    from prism_runtime.core import set_index
    set_index(xs, i, v)
    return 0


cdef int set_int_slow(object xs, long long i, long long v) except -1:
    from prism_runtime.core import set_index
    set_index(xs, i, v)
    return 0


cpdef object push(NumArray a, object value):
    a.append_value(value)


cpdef NumArray floats(tuple values):
    """An array literal of floats in typed code."""
    return _make("d", values)


cpdef NumArray ints(tuple values):
    """An array literal of ints in typed code."""
    return _make("q", values)


cpdef NumArray as_floats(object values):
    """A `[float]` for typed code: a NumArray of floats as it is, anything else copied in."""
    return _as_kind(values, b'd', "d")


cpdef NumArray as_ints(object values):
    """A `[int]` for typed code: a NumArray of ints as it is, anything else copied in."""
    return _as_kind(values, b'q', "q")


cdef NumArray _as_kind(object values, char kind, str kind_name):
    if type(values) is NumArray and (<NumArray>values).kind == kind:
        return values
    if values is None:
        return None
    return _make(kind_name, values if type(values) is list else list(values))


import collections.abc
collections.abc.MutableSequence.register(NumArray)

# `core` (printing, typeof, array methods) learns the type here rather than importing this
# module: generated code imports both, and core must not depend on this module's start-up.
from prism_runtime import core as _core
_core.register_num_array(NumArray)
