# cython: language_level=3
"""C-level interface of `prism_runtime.core` (see core.pyx): checked C
arithmetic inlined into generated modules, and the generic operations."""
cimport cython

cdef extern from *:
    bint __builtin_saddll_overflow(long long a, long long b, long long *res) nogil
    bint __builtin_ssubll_overflow(long long a, long long b, long long *res) nogil
    bint __builtin_smulll_overflow(long long a, long long b, long long *res) nogil
    const long long LLONG_MIN

cdef extern from "<math.h>" nogil:
    double fmod(double, double)
    double pow(double, double)
    double fabs(double)
    double floor(double)
    double copysign(double, double)

cdef int raise_overflow() except -1
cdef int raise_zero_division() except -1
cdef int raise_index() except -1
cdef int raise_pow() except -1

cdef inline long long i_add(long long a, long long b) except? -1:
    cdef long long r
    if __builtin_saddll_overflow(a, b, &r):
        raise_overflow()
    return r

cdef inline long long i_sub(long long a, long long b) except? -1:
    cdef long long r
    if __builtin_ssubll_overflow(a, b, &r):
        raise_overflow()
    return r

cdef inline long long i_mul(long long a, long long b) except? -1:
    cdef long long r
    if __builtin_smulll_overflow(a, b, &r):
        raise_overflow()
    return r

cdef inline long long i_neg(long long a) except? -1:
    if a == LLONG_MIN:
        raise_overflow()
    return -a

cdef inline long long i_abs(long long a) except? -1:
    if a == LLONG_MIN:
        raise_overflow()
    return -a if a < 0 else a

@cython.cdivision(True)
cdef inline double i_div(long long a, long long b) except? -1:
    if b == 0:
        raise_zero_division()
    return <double>a / <double>b

@cython.cdivision(True)
cdef inline long long i_mod(long long a, long long b) except? -1:
    # Python's rule: the result has the sign of the divisor.
    cdef long long r
    if b == 0:
        raise_zero_division()
    if b == -1:
        return 0
    r = a % b
    if r != 0 and ((r < 0) != (b < 0)):
        r += b
    return r

cdef inline long long i_pow(long long a, long long b) except? -1:
    cdef long long result = 1
    if b < 0:
        raise_pow()
    while b > 0:
        if b & 1:
            result = i_mul(result, a)
        b >>= 1
        if b:
            a = i_mul(a, a)
    return result

@cython.cdivision(True)
cdef inline double f_div(double a, double b) except? -1:
    if b == 0.0:
        raise_zero_division()
    return a / b

cdef inline double f_mod(double a, double b) except? -1:
    cdef double r
    if b == 0.0:
        raise_zero_division()
    r = fmod(a, b)
    if r != 0.0:
        if (b < 0.0) != (r < 0.0):
            r += b
    else:
        r = copysign(0.0, b)
    return r

cdef inline double f_pow(double a, double b) except? -1:
    if a == 0.0 and b < 0.0:
        raise_zero_division()
    if a < 0.0 and b != floor(b):
        raise_pow()
    return pow(a, b)

cdef inline double f_abs(double a) noexcept:
    return fabs(a)

cdef inline Py_ssize_t check_index(long long i, Py_ssize_t n) except -1:
    if i < 0 or i >= n:
        raise_index()
    return <Py_ssize_t>i

cdef class Obj(dict):
    pass

cpdef long long as_int(object v) except? -1
cpdef double as_float(object v) except? -1
cpdef bint truthy(object v) except -1
cpdef object as_bool(object v)
cpdef object and_tail(object a, object b)
cpdef bint or_needs_right(object a) except -1
cpdef object or_tail(object a, object b)
cpdef object not_(object a)

cpdef object add(object a, object b)
cpdef object sub(object a, object b)
cpdef object mul(object a, object b)
cpdef object div(object a, object b)
cpdef object mod(object a, object b)
cpdef object pow_(object a, object b)
cpdef object neg(object a)
cpdef object pos(object a)
cpdef object eq(object a, object b)
cpdef object ne(object a, object b)
cpdef object lt(object a, object b)
cpdef object le(object a, object b)
cpdef object gt(object a, object b)
cpdef object ge(object a, object b)
cpdef bint match_eq(object subject, object literal) except -1

cpdef str to_str(object v)
cpdef str concat(tuple parts)
cpdef object prism_print(tuple values)

cpdef object get_member(object obj, str name)
cpdef object set_member(object obj, str name, object value)
cpdef object get_key(object obj, str name)
cpdef object get_index(object obj, object index)
cpdef object set_index(object obj, object index, object value)
cpdef object slice_(object obj, object lo, object hi)
cpdef object call_method(object obj, str name, tuple args)
cpdef object call_method_kw(object obj, str name, tuple args, dict kwargs)
cpdef object list_push(list xs, object value)
cpdef object pairs(object obj)
cpdef object iterate(object obj)

cpdef object b_len(object v)
cpdef object b_int(object v)
cpdef object b_float(object v)
cpdef object b_round(tuple args)
cpdef object b_abs(object v)
cpdef object b_min(tuple args)
cpdef object b_max(tuple args)
cpdef object b_sum(object v)
cpdef list b_range(tuple args)
cpdef object b_error(object message)
cpdef object type_of(object v)

cpdef object to_exception(object v)
cpdef object as_prism_error(object exc)
cpdef object missing_return(str name)
