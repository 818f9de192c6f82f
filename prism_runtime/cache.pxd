# cython: language_level=3
"""C-level interface of `prism_runtime.cache` (see cache.pyx)."""
from cpython.pythread cimport PyThread_type_lock
from libc.stdint cimport int64_t

cimport cython

@cython.final
cdef class _Node:
    cdef object key
    cdef object value
    cdef _Node prev
    cdef _Node next
    cdef int64_t expires_ns
    cdef bint linked

cdef class Cache:
    cdef dict _map
    cdef _Node _root                 # sentinel of the circular LRU list (root.next = most recent)
    cdef readonly Py_ssize_t max_size
    cdef public long long hits
    cdef public long long misses
    cdef PyThread_type_lock _lock
    cdef int64_t _ttl_ns             # 0: entries never expire
    cdef object _clock               # None: the monotonic clock; else a clock.py clock (tests)
    cdef object _lookup(self, object key)          # value or the _MISSING sentinel; counts hit/miss
    cpdef object get(self, object key, object default=*)
    cpdef set(self, object key, object value)
    cpdef object get_or_compute(self, object key, object fn)
    cdef int _store(self, object key, object value) except -1
    cdef int _discard(self, _Node node) except -1
    cdef void _unlink(self, _Node node) noexcept
    cdef void _link_front(self, _Node node) noexcept

cdef class LLMCache(Cache):
    cdef readonly double ttl
    cdef dict _inflight
