# cython: language_level=3
"""C-level interface of `prism_runtime.arrays` (see arrays.pyx): Prism arrays of floats and
ints stored unboxed, and the inline element accessors typed generated code calls.

A `NumArray` holds `size` C numbers in `data` (kind 'd': double, 'q': long long). When it is
given a value of another kind it keeps its values as a Python list in `boxed` from then on and
`data` is no longer used: every operation stays correct, typed code takes the slower path.
The `seq_*` functions take any `[float]`/`[int]` value (a NumArray, a list, another sequence)."""
from prism_runtime.core cimport list_float_at_into, list_int_at_into

cdef extern from *:
    """
    #define PRISM_NA_UNLIKELY(x) __builtin_expect(!!(x), 0)
    /* The slow paths are Cython functions of prism_runtime.arrays, reached through function
       pointers gcc knows nothing about. Calling them through these cold, out-of-line
       trampolines tells gcc that the fast path is the loop: it then keeps a loop's
       accumulators in registers instead of spilling them around every possible call. */
    typedef int (*prism_na_at_d)(double *, PyObject *, PY_LONG_LONG);
    typedef int (*prism_na_at_q)(PY_LONG_LONG *, PyObject *, PY_LONG_LONG);
    typedef int (*prism_na_put_d)(PyObject *, PY_LONG_LONG, double);
    typedef int (*prism_na_put_q)(PyObject *, PY_LONG_LONG, PY_LONG_LONG);
    typedef Py_ssize_t (*prism_na_len)(PyObject *);
    static __attribute__((cold, noinline)) int prism_na_cold_at_d(prism_na_at_d f, double *out, PyObject *xs, PY_LONG_LONG i) {
        return f(out, xs, i); }
    static __attribute__((cold, noinline)) int prism_na_cold_at_q(prism_na_at_q f, PY_LONG_LONG *out, PyObject *xs, PY_LONG_LONG i) {
        return f(out, xs, i); }
    static __attribute__((cold, noinline)) int prism_na_cold_put_d(prism_na_put_d f, PyObject *xs, PY_LONG_LONG i, double v) {
        return f(xs, i, v); }
    static __attribute__((cold, noinline)) int prism_na_cold_put_q(prism_na_put_q f, PyObject *xs, PY_LONG_LONG i, PY_LONG_LONG v) {
        return f(xs, i, v); }
    static __attribute__((cold, noinline)) Py_ssize_t prism_na_cold_len(prism_na_len f, PyObject *xs) {
        return f(xs); }
    """
    bint PRISM_NA_UNLIKELY(bint) nogil
    ctypedef int (*at_d_fn)(double *, object, long long) except -1
    ctypedef int (*at_q_fn)(long long *, object, long long) except -1
    ctypedef int (*put_d_fn)(object, long long, double) except -1
    ctypedef int (*put_q_fn)(object, long long, long long) except -1
    ctypedef Py_ssize_t (*len_fn)(object) except -1
    int cold_at_d "prism_na_cold_at_d"(at_d_fn f, double *out, object xs, long long i) except -1
    int cold_at_q "prism_na_cold_at_q"(at_q_fn f, long long *out, object xs, long long i) except -1
    int cold_put_d "prism_na_cold_put_d"(put_d_fn f, object xs, long long i, double v) except -1
    int cold_put_q "prism_na_cold_put_q"(put_q_fn f, object xs, long long i, long long v) except -1
    Py_ssize_t cold_len "prism_na_cold_len"(len_fn f, object xs) except -1

cdef class NumArray:
    cdef void *data
    cdef Py_ssize_t size
    cdef Py_ssize_t capacity
    cdef char kind                      # b'd' or b'q'
    cdef list boxed                     # not None: the values, as Python objects (see above)

    cdef int reserve(self, Py_ssize_t n) except -1
    cdef int append_value(self, object value) except -1
    cdef int unbox_failed(self) except -1
    cdef object item(self, Py_ssize_t i)

cpdef NumArray as_floats(object values)
cpdef NumArray as_ints(object values)
cpdef NumArray floats(tuple values)
cpdef NumArray ints(tuple values)
cpdef object push(NumArray a, object value)

# Every case the inline functions below do not take themselves (arrays.pyx).
cdef int float_at_slow(double *out, object xs, long long i) except -1
cdef int int_at_slow(long long *out, object xs, long long i) except -1
cdef Py_ssize_t len_slow(object xs) except -1
cdef int push_float_slow(object xs, long long unused, double v) except -1
cdef int push_int_slow(object xs, long long unused, long long v) except -1
cdef int set_float_slow(object xs, long long i, double v) except -1
cdef int set_int_slow(object xs, long long i, long long v) except -1


# ---- any `[float]` / `[int]` value (a NumArray, a Python list, or another sequence) -----------
# Typed code holds such arrays as objects, since Python code may hand it a list, and dispatches
# on the exact type: one pointer compare, then the NumArray or list fast path. A slow path
# writes through a local, so `out` (a caller's temporary) never has its address taken.

cdef inline int seq_float_at_into(double *out, object xs, long long i) except -1:
    cdef double slow
    if type(xs) is NumArray and not PRISM_NA_UNLIKELY(
            i < 0 or i >= (<NumArray>xs).size or (<NumArray>xs).boxed is not None or (<NumArray>xs).kind != b'd'):
        out[0] = (<double *>(<NumArray>xs).data)[i]
        return 0
    if type(xs) is list:
        return list_float_at_into(out, <list>xs, i)
    cold_at_d(float_at_slow, &slow, xs, i)
    out[0] = slow
    return 0

cdef inline int seq_int_at_into(long long *out, object xs, long long i) except -1:
    cdef long long slow
    if type(xs) is NumArray and not PRISM_NA_UNLIKELY(
            i < 0 or i >= (<NumArray>xs).size or (<NumArray>xs).boxed is not None or (<NumArray>xs).kind != b'q'):
        out[0] = (<long long *>(<NumArray>xs).data)[i]
        return 0
    if type(xs) is list:
        return list_int_at_into(out, <list>xs, i)
    cold_at_q(int_at_slow, &slow, xs, i)
    out[0] = slow
    return 0

cdef inline double seq_float_at(object xs, long long i) except? -1.0:
    cdef double r
    seq_float_at_into(&r, xs, i)
    return r

cdef inline long long seq_int_at(object xs, long long i) except? -1:
    cdef long long r
    seq_int_at_into(&r, xs, i)
    return r

cdef inline Py_ssize_t seq_len(object xs) except -1:
    if type(xs) is NumArray:
        return (<NumArray>xs).size
    if type(xs) is list:
        return len(<list>xs)
    return cold_len(len_slow, xs)

cdef inline int seq_push_float(object xs, double v) except -1:
    cdef NumArray a
    if type(xs) is NumArray:
        a = <NumArray>xs
        if not PRISM_NA_UNLIKELY(a.boxed is not None or a.kind != b'd' or a.size == a.capacity):
            (<double *>a.data)[a.size] = v
            a.size += 1
            return 0
    return cold_put_d(push_float_slow, xs, 0, v)

cdef inline int seq_push_int(object xs, long long v) except -1:
    cdef NumArray a
    if type(xs) is NumArray:
        a = <NumArray>xs
        if not PRISM_NA_UNLIKELY(a.boxed is not None or a.kind != b'q' or a.size == a.capacity):
            (<long long *>a.data)[a.size] = v
            a.size += 1
            return 0
    return cold_put_q(push_int_slow, xs, 0, v)

cdef inline int seq_set_float(object xs, long long i, double v) except -1:
    cdef NumArray a
    if type(xs) is NumArray:
        a = <NumArray>xs
        if not PRISM_NA_UNLIKELY(i < 0 or i >= a.size or a.boxed is not None or a.kind != b'd'):
            (<double *>a.data)[i] = v
            return 0
    return cold_put_d(set_float_slow, xs, i, v)

cdef inline int seq_set_int(object xs, long long i, long long v) except -1:
    cdef NumArray a
    if type(xs) is NumArray:
        a = <NumArray>xs
        if not PRISM_NA_UNLIKELY(i < 0 or i >= a.size or a.boxed is not None or a.kind != b'q'):
            (<long long *>a.data)[i] = v
            return 0
    return cold_put_q(set_int_slow, xs, i, v)
