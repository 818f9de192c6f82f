# cython: language_level=3
"""C-level interface of `prism_runtime.pool` (see pool.pyx)."""
from prism_runtime.context cimport Context

cdef class ContextPool:
    cdef readonly Py_ssize_t max_size
    cdef list _idle
    cdef readonly long long created
    cdef object _clock             # given to the contexts it creates (clock.py; tests)
    cpdef Context acquire(self, str name=*)
    cpdef release(self, Context ctx)

cdef class TensorPool:
    cdef readonly tuple shape
    cdef readonly object dtype
    cdef readonly Py_ssize_t initial_size
    cdef readonly double growth_factor
    cdef readonly long long grown
    cdef list _arrays          # slot -> ndarray (a row view of a chunk)
    cdef list _chunks          # backing ndarrays, one per growth
    cdef char** _data          # slot -> data pointer
    cdef char* _state          # slot -> 1 in use, 0 idle
    cdef Py_ssize_t* _free     # stack of idle slots
    cdef Py_ssize_t _nfree
    cdef Py_ssize_t _size
    cdef Py_ssize_t _cap       # allocated length of _data/_state/_free
    cdef size_t _nbytes
    cdef void** _tkeys         # open-addressing table: array object -> slot
    cdef Py_ssize_t* _tvals
    cdef Py_ssize_t _tmask
    cpdef object acquire(self)
    cpdef release(self, object t)
    cdef int _grow(self, Py_ssize_t n) except -1
    cdef Py_ssize_t _slot_of(self, object t) noexcept
    cdef void _table_put(self, void* key, Py_ssize_t slot) noexcept
