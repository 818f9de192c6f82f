# cython: language_level=3
"""C-level interface of `prism_runtime.hashmap` (see hashmap.pyx)."""

cdef class HashMap(dict):
    pass
