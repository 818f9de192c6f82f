# cython: language_level=3
"""C-level interface of `prism_runtime.confidence` (see confidence.pyx)."""

cdef class Conf:
    cdef readonly object value
    cdef readonly double confidence

cdef object make(object value, double c)
cpdef object with_conf(object v, object c)
cpdef object scale(object v, object c)
cpdef double conf_of(object v) noexcept
cpdef object value_of(object v)
cpdef object more_confident(object a, object b)
cpdef object at_least(object v, object threshold)
cpdef bint conf_between(object v, object lo, object hi) except -1
