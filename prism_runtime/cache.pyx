# cython: language_level=3
"""LRU caches: `Cache` (plain LRU) and `LLMCache` (LRU + TTL + single-flight).

Both keep a dict from key to `_Node` plus an intrusive circular doubly linked
list of the nodes (root.next = most recently used, root.prev = least).
`LLMCache` stamps each node with an expiry on the monotonic clock
(`context.clock_ns`), or on the clock it is given (`clock=`, for tests that
move time by hand); an expired node is never returned and is dropped when met.

Thread safety (CPython with the GIL). Writers (set, eviction, expiry, clear)
take a C-level lock (PyThread lock; acquired without the GIL when contended).
The hit path takes no lock. It is safe because: (1) the dict lookup is atomic
with respect to our own bookkeeping; (2) everything after it (moving the node
to the front, counting the hit) is pure C pointer/refcount work during which
the GIL cannot be released (no Python code runs: the nodes involved are kept
alive by the dict, so no deallocation happens); (3) writers only run Python
code (key __hash__/__eq__, value destructors) at points where the list is
consistent, and a node is unlinked from the list *before* it is deleted from
the dict, so a reader that finds a node which is not `linked` just returns
its value without touching the list. This argument does not hold on
free-threaded builds.

Talks to: `context` (clock_ns: the monotonic or a given clock), `errors` (PrismError).
"""
cimport cython
from cpython.dict cimport PyDict_GetItemWithError
from cpython.exc cimport PyErr_Occurred
from cpython.object cimport PyObject
from cpython.pythread cimport (PyThread_allocate_lock, PyThread_free_lock, PyThread_acquire_lock,
                               PyThread_release_lock, WAIT_LOCK, NOWAIT_LOCK)
from libc.stdint cimport int64_t

from prism_runtime.context cimport clock_ns

import asyncio
import inspect
from functools import partial

from prism_runtime.errors import PrismError

cdef object _MISSING = object()


cdef inline void _lock(PyThread_type_lock lock) noexcept:
    if not PyThread_acquire_lock(lock, NOWAIT_LOCK):
        with nogil:
            PyThread_acquire_lock(lock, WAIT_LOCK)


@cython.freelist(64)
@cython.final
cdef class _Node:
    pass


cdef class Cache:
    """Least-recently-used cache. `Cache(max_size=1024)`.

    `get_or_compute(key, fn)` returns the cached value or calls `fn(key)`,
    stores and returns it (two threads missing the same key at once may both
    call fn; the last store wins). `hits`/`misses` count lookups made by
    `get` and `get_or_compute`. max_size 0 disables storing.
    """

    def __cinit__(self, *args, **kwargs):
        self._map = {}
        self._root = _Node.__new__(_Node)
        self._root.prev = self._root
        self._root.next = self._root
        self._lock = PyThread_allocate_lock()
        if self._lock == NULL:
            raise MemoryError()

    def __init__(self, max_size=1024):
        if max_size < 0:
            raise PrismError("max_size must be >= 0")
        self.max_size = max_size

    def __dealloc__(self):
        if self._lock != NULL:
            PyThread_free_lock(self._lock)

    @classmethod
    def new(cls, *args, **kwargs):
        return cls(*args, **kwargs)

    cdef void _unlink(self, _Node node) noexcept:
        node.prev.next = node.next
        node.next.prev = node.prev
        node.linked = False

    cdef void _link_front(self, _Node node) noexcept:
        cdef _Node root = self._root
        node.prev = root
        node.next = root.next
        root.next.prev = node
        root.next = node
        node.linked = True

    cdef object _lookup(self, object key):
        cdef PyObject* p = PyDict_GetItemWithError(self._map, key)
        if p == NULL:
            if PyErr_Occurred():
                raise
            self.misses += 1
            return _MISSING
        cdef _Node node = <_Node>p
        if node.expires_ns != 0 and clock_ns(self._clock) >= node.expires_ns:
            self._discard(node)
            self.misses += 1
            return _MISSING
        if node.linked and self._root.next is not node:
            self._unlink(node)
            self._link_front(node)
        self.hits += 1
        return node.value

    cdef int _discard(self, _Node node) except -1:
        """Drop `node` if it is still the entry for its key."""
        _lock(self._lock)
        try:
            if node.linked and self._map.get(node.key) is node:
                self._unlink(node)
                del self._map[node.key]
        finally:
            PyThread_release_lock(self._lock)
        return 0

    cdef int _store(self, object key, object value) except -1:
        cdef _Node node, tail
        cdef object old = None
        if self.max_size == 0:
            return 0
        cdef int64_t expires_ns = clock_ns(self._clock) + self._ttl_ns if self._ttl_ns else 0
        _lock(self._lock)
        try:
            node = self._map.get(key)
            if node is not None:
                old = node.value            # released after the list work
                node.value = value
                node.expires_ns = expires_ns
                if node.linked:
                    self._unlink(node)
                self._link_front(node)
            else:
                node = _Node.__new__(_Node)
                node.key = key
                node.value = value
                node.expires_ns = expires_ns
                self._map[key] = node
                self._link_front(node)
                while len(self._map) > self.max_size:
                    tail = self._root.prev
                    self._unlink(tail)
                    tail.prev = tail.next = None
                    del self._map[tail.key]
        finally:
            PyThread_release_lock(self._lock)
        return 0

    cpdef object get(self, object key, object default=None):
        """The cached value for `key`, or `default`."""
        v = self._lookup(key)
        return default if v is _MISSING else v

    cpdef set(self, object key, object value):
        self._store(key, value)

    cpdef object get_or_compute(self, object key, object fn):
        """Cached value for `key`; on a miss calls `fn(key)` and caches the result."""
        v = self._lookup(key)
        if v is _MISSING:
            v = fn(key)
            self._store(key, v)
        return v

    def delete(self, key):
        """Remove `key`; returns whether it was present."""
        node = self._map.get(key)
        if node is None:
            return False
        self._discard(node)
        return True

    def __contains__(self, key):
        cdef _Node node = self._map.get(key)
        return node is not None and (node.expires_ns == 0 or clock_ns(self._clock) < node.expires_ns)

    def len(self):
        return len(self)

    def __len__(self):
        return len(self._map)

    def keys(self):
        """Keys from most to least recently used."""
        out = []
        cdef _Node n = self._root.next
        while n is not self._root:
            out.append(n.key)
            n = n.next
        return out

    def clear(self):
        """Drop every entry (hit/miss counts are kept)."""
        cdef _Node n, nxt
        cdef dict old
        _lock(self._lock)
        try:
            n = self._root.next
            while n is not self._root:
                nxt = n.next
                n.linked = False
                n.prev = n.next = None
                n = nxt
            self._root.prev = self._root.next = self._root
            old = self._map
            self._map = {}
        finally:
            PyThread_release_lock(self._lock)
        old.clear()

    def __repr__(self):
        return f"{type(self).__name__}(max_size={self.max_size}, len={len(self._map)}, hits={self.hits}, misses={self.misses})"


cdef class LLMCache(Cache):
    """LRU cache with a time-to-live for LLM responses. `LLMCache(max_size=1000, ttl=3600.0)`.

    Entries expire `ttl` seconds (monotonic clock, or `clock`: see clock.py)
    after they were stored and are never returned after that. `await get_or_generate(prompt, fn)` calls
    `fn(prompt)` on a miss (fn may return an awaitable or a plain value);
    concurrent callers of the same prompt on one event loop share one call,
    and a failure is raised in every waiter and not cached.
    """

    def __init__(self, max_size=1000, ttl=3600.0, clock=None):
        Cache.__init__(self, max_size)
        self._clock = clock
        if ttl <= 0:
            raise PrismError("ttl must be > 0")
        self.ttl = ttl
        self._ttl_ns = <int64_t>(ttl * 1e9)
        if self._ttl_ns < 1:
            self._ttl_ns = 1
        self._inflight = {}

    async def get_or_generate(self, prompt, fn):
        v = self._lookup(prompt)
        if v is not _MISSING:
            return v
        loop = asyncio.get_running_loop()
        task = self._inflight.get(prompt)
        if task is not None and task.get_loop() is loop:
            return await asyncio.shield(task)
        r = fn(prompt)
        if not inspect.isawaitable(r):
            self._store(prompt, r)
            return r
        task = asyncio.ensure_future(r)
        self._inflight[prompt] = task
        task.add_done_callback(partial(self._finish, prompt))
        return await asyncio.shield(task)

    def _finish(self, prompt, task):
        if self._inflight.get(prompt) is task:
            del self._inflight[prompt]
        if task.cancelled():
            return
        if task.exception() is None:      # also marks the exception retrieved
            self._store(prompt, task.result())

    def purge_expired(self):
        """Drop every expired entry now; returns how many were dropped."""
        cdef _Node n
        cdef int64_t now = clock_ns(self._clock)
        expired = []
        n = self._root.next
        while n is not self._root:
            if n.expires_ns != 0 and now >= n.expires_ns:
                expired.append(n)
            n = n.next
        for n in expired:
            self._discard(n)
        return len(expired)

    def __len__(self):
        self.purge_expired()
        return len(self._map)
