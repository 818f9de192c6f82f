# cython: language_level=3
"""C-level interface of `prism_runtime.context` (see context.pyx).

Generated code does `from prism_runtime.context cimport enter, exit, current,
note_confidence` and calls these without going through Python."""
from libc.stdint cimport int64_t

cdef class Context:
    cdef public str name
    cdef public object value       # `Context(name, value, confidence)`: what the context is about
    cdef readonly dict store
    cdef double _conf_sum
    cdef int64_t _conf_count
    cdef int64_t _duration_ns      # accumulated time while active
    cdef int64_t _since_ns         # when _active went 0 -> 1
    cdef int _active               # how many enters are live (any thread/task)
    cdef list _with_tokens         # tokens of `with ctx:` blocks
    # ContextPool bookkeeping (pool.pyx)
    cdef object _pool
    cdef int _pool_state           # 0 none, 1 in use, 2 idle, 3 dropped
    cdef object _clock             # None: now_ns(); else a clock object (clock.py) for tests
    cdef int _reset(self, str name) except -1

cdef object enter(object ctx_or_name)
cdef object enter_verify(object sources)
cdef object note_error(object exc)
cdef object verification_failed(object exc)
cdef int exit(object token) except -1
cpdef object current()
cdef void note_confidence(double c) noexcept
cdef int* hooks_ptr() noexcept     # nonzero while any context or monitor listens (read inline by generated code)

# PerfMonitor support (metrics.pyx)
cdef void watch_flow(int delta) noexcept
cdef double flow_sum() noexcept
cdef int64_t flow_count() noexcept
cdef int64_t now_ns() noexcept nogil
cdef int64_t clock_ns(object clock) except? -1   # now_ns() for None, else clock.now() in ns
