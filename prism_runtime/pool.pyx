# cython: language_level=3
"""Object pools: `ContextPool` (reusable Contexts) and `TensorPool` (numpy arrays).

ContextPool keeps up to max_size idle `context.Context` objects and hands
them out reset (name set, store emptied, confidence and duration zeroed).
Each Context records which pool owns it and whether it is in use, so a
double release or a release into the wrong pool raises PrismError.

TensorPool pre-allocates fixed-shape arrays as row views of one backing
array per growth step (views cannot be resized, so their data pointers stay
valid) and finds the slot of a released array through a small C
open-addressing table keyed by object address. Arrays are zeroed on
*acquire* (one memset), so an acquired array is all zeros even if someone
kept writing to it after releasing it.

Thread safety: acquire/release run as C code with no Python calls between
checking and updating pool state (growth allocates numpy arrays but only
touches pool state afterwards), so they are atomic under the GIL.

Talks to: `context` (Context internals), `errors` (PrismError); numpy.
"""
from cpython.mem cimport PyMem_Malloc, PyMem_Realloc, PyMem_Free
from libc.stdint cimport uintptr_t
from libc.string cimport memset

from prism_runtime.context cimport Context

import numpy as np

from prism_runtime.errors import PrismError

cdef enum:
    _IN_USE = 1
    _IDLE = 2
    _DROPPED = 3


cdef class ContextPool:
    """Pool of reusable Contexts. `ContextPool(max_size=16)`; at most max_size idle kept.
    `clock=` (clock.py) is the clock of the contexts it creates."""

    def __init__(self, max_size=16, clock=None):
        if max_size < 0:
            raise PrismError("max_size must be >= 0")
        self.max_size = max_size
        self._idle = []
        self._clock = clock

    @classmethod
    def new(cls, *args, **kwargs):
        return cls(*args, **kwargs)

    cpdef Context acquire(self, str name="context"):
        """A clean Context called `name` (an idle one is reused when available)."""
        cdef Context ctx
        if self._idle:
            ctx = <Context>self._idle.pop()
            ctx._reset(name)
        else:
            ctx = Context(name, clock=self._clock)
            ctx._pool = self
            self.created += 1
        ctx._pool_state = _IN_USE
        return ctx

    cpdef release(self, Context ctx):
        """Give `ctx` back. Raises PrismError on double release, a foreign or still-entered context."""
        if ctx._pool is not self:
            raise PrismError(f"context {ctx.name!r} does not belong to this pool")
        if ctx._pool_state != _IN_USE:
            raise PrismError(f"context {ctx.name!r} released twice")
        if ctx._active:
            raise PrismError(f"context {ctx.name!r} released while still entered")
        if len(self._idle) < self.max_size:
            ctx._pool_state = _IDLE
            self._idle.append(ctx)
        else:
            ctx._pool_state = _DROPPED

    @property
    def idle(self):
        """Number of idle contexts kept."""
        return len(self._idle)

    def __len__(self):
        return len(self._idle)

    def __repr__(self):
        return f"ContextPool(max_size={self.max_size}, idle={len(self._idle)})"


cdef inline Py_ssize_t _hash_ptr(void* p) noexcept:
    cdef uintptr_t x = <uintptr_t>p
    x ^= x >> 17
    x *= <uintptr_t>0x9E3779B97F4A7C15
    return <Py_ssize_t>(x >> 20)


cdef class TensorPool:
    """Pool of fixed-shape numpy arrays.

    `TensorPool(initial_size=16, growth_factor=2.0, shape=(256,), dtype="float32")`:
    initial_size arrays of `shape`/`dtype` are made up front; when none is
    idle the pool grows so its size becomes ceil(size * growth_factor) (at
    least one more). `acquire()` returns an array zeroed at acquire time;
    `release(t)` gives it back; releasing twice or releasing an array that
    the pool did not hand out raises PrismError. `stats()` returns
    {size, idle, in_use, grown}. Arrays are views into per-growth backing
    arrays, so they cannot be resized; object dtypes are rejected.
    """

    def __init__(self, initial_size=16, growth_factor=2.0, shape=(256,), dtype="float32"):
        if initial_size < 0:
            raise PrismError("initial_size must be >= 0")
        if growth_factor <= 1.0:
            raise PrismError("growth_factor must be > 1")
        if isinstance(shape, int):
            shape = (shape,)
        self.shape = tuple(int(s) for s in shape)
        if not self.shape or min(self.shape) < 0:
            raise PrismError(f"TensorPool shape must have at least one dimension, got {self.shape}")
        self.dtype = np.dtype(dtype)
        if self.dtype.hasobject:
            raise PrismError("TensorPool needs a plain numeric dtype, not object")
        self.initial_size = initial_size
        self.growth_factor = growth_factor
        self._nbytes = <size_t>(int(np.prod(self.shape, dtype=np.int64)) * self.dtype.itemsize)
        self._arrays = []
        self._chunks = []
        if initial_size:
            self._grow(initial_size)
        self.grown = 0

    def __dealloc__(self):
        PyMem_Free(self._data)
        PyMem_Free(self._state)
        PyMem_Free(self._free)
        PyMem_Free(self._tkeys)
        PyMem_Free(self._tvals)

    @classmethod
    def new(cls, *args, **kwargs):
        return cls(*args, **kwargs)

    cdef int _grow(self, Py_ssize_t n) except -1:
        cdef Py_ssize_t i, j, slot, newsize = self._size + n, tcap
        chunk = np.zeros((n,) + self.shape, dtype=self.dtype)
        rows = [chunk[i] for i in range(n)]
        cdef uintptr_t base = chunk.__array_interface__["data"][0]
        # ---- from here on no Python code runs until pool state is consistent
        if newsize > self._cap:
            self._cap = max(newsize, 2 * self._cap)
            self._data = <char**>_realloc(self._data, self._cap * sizeof(char*))
            self._state = <char*>_realloc(self._state, self._cap * sizeof(char))
            self._free = <Py_ssize_t*>_realloc(self._free, self._cap * sizeof(Py_ssize_t))
            tcap = 16
            while tcap < 2 * self._cap:
                tcap *= 2
            PyMem_Free(self._tkeys)
            PyMem_Free(self._tvals)
            self._tkeys = <void**>_realloc(NULL, tcap * sizeof(void*))
            self._tvals = <Py_ssize_t*>_realloc(NULL, tcap * sizeof(Py_ssize_t))
            memset(self._tkeys, 0, tcap * sizeof(void*))
            self._tmask = tcap - 1
            for i in range(self._size):        # rehash existing arrays
                self._table_put(<void*>self._arrays[i], i)
        self._chunks.append(chunk)
        self._arrays.extend(rows)
        for i in range(n):
            slot = self._size + i
            self._data[slot] = <char*>(base + i * self._nbytes)
            self._state[slot] = 0
            self._table_put(<void*>self._arrays[slot], slot)
        # idle stack: lowest new slot on top
        for j in range(n - 1, -1, -1):
            self._free[self._nfree] = self._size + j
            self._nfree += 1
        self._size = newsize
        self.grown += 1
        return 0

    cdef void _table_put(self, void* key, Py_ssize_t slot) noexcept:
        cdef Py_ssize_t h = _hash_ptr(key) & self._tmask
        while self._tkeys[h] != NULL:
            h = (h + 1) & self._tmask
        self._tkeys[h] = key
        self._tvals[h] = slot

    cdef Py_ssize_t _slot_of(self, object t) noexcept:
        cdef void* key = <void*>t
        cdef Py_ssize_t h
        if self._tkeys == NULL:
            return -1
        h = _hash_ptr(key) & self._tmask
        while self._tkeys[h] != NULL:
            if self._tkeys[h] == key:
                return self._tvals[h]
            h = (h + 1) & self._tmask
        return -1

    cpdef object acquire(self):
        """An all-zero array from the pool (grows the pool when none is idle)."""
        cdef Py_ssize_t slot, n
        if self._nfree == 0:
            n = <Py_ssize_t>(self._size * self.growth_factor + 0.999999) - self._size
            self._grow(n if n > 0 else 1)
        self._nfree -= 1
        slot = self._free[self._nfree]
        self._state[slot] = 1
        memset(self._data[slot], 0, self._nbytes)
        return self._arrays[slot]

    cpdef release(self, object t):
        """Return an array obtained from `acquire()`."""
        cdef Py_ssize_t slot = self._slot_of(t)
        if slot < 0:
            raise PrismError("array does not belong to this TensorPool")
        if self._state[slot] != 1:
            raise PrismError("array released twice")
        self._state[slot] = 0
        self._free[self._nfree] = slot
        self._nfree += 1

    def stats(self):
        """{'size', 'idle', 'in_use', 'grown'}: arrays owned, idle, handed out, growth steps."""
        return {"size": self._size, "idle": self._nfree,
                "in_use": self._size - self._nfree, "grown": self.grown}

    def __len__(self):
        return self._size

    def __repr__(self):
        return (f"TensorPool(shape={self.shape}, dtype={self.dtype}, size={self._size}, "
                f"idle={self._nfree})")


cdef void* _realloc(void* p, size_t n) except NULL:
    cdef void* q = PyMem_Realloc(p, n if n else 1)
    if q == NULL:
        raise MemoryError()
    return q
