# cython: language_level=3
"""C-level interface of `prism_runtime.metrics` (see metrics.pyx)."""

cdef class _Series:
    cdef readonly long long count
    cdef readonly double total
    cdef list _samples
    cdef void add(self, double v)

cdef class Metrics:
    cdef object _clock             # None: the monotonic clock; else a clock.py clock (tests)
    cdef dict _series
    cdef dict _custom
    cdef dict _custom_series
    cpdef object measure(self, str name, object fn)

cdef class MemoryTracker:
    cdef bint _started_tracing
    cdef readonly bint running

cdef class Sample:
    cdef readonly double time
    cdef readonly object cpu
    cdef readonly object memory
    cdef readonly object confidence_flow
    cdef readonly bint below_threshold

cdef class PerfMonitor:
    cdef readonly double confidence_threshold
    cdef readonly double sample_rate
    cdef readonly tuple metrics
    cdef object _samples
    cdef list _alerts
    cdef object _thread
    cdef object _stop
    cdef object _proc
    cdef object _lock
    cdef object _clock             # clock.SYSTEM unless given (tests drive a ManualClock)
    cdef double _last_sum
    cdef long long _last_count
    cdef bint _watching
    cpdef Sample sample_now(self)
