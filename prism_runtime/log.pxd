# cython: language_level=3
"""C-level interface of `prism_runtime.log` (see log.pyx)."""

cdef class Logger:
    cdef public int level
    cpdef write(self, int level, str name, object message, object data=*)
    cpdef debug(self, object message, object data=*)
    cpdef info(self, object message, object data=*)
    cpdef warn(self, object message, object data=*)
    cpdef error(self, object message, object data=*)
