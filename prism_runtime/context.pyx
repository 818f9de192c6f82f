# cython: language_level=3
"""Prism contexts: `Context` objects, the current context and confidence notes.

`in ctx { }` in generated code becomes `tok = enter(ctx)` ... `exit(tok)`
(C-level, declared in context.pxd). The current context lives in a
`contextvars.ContextVar`, so it is per thread and per asyncio task, and
contexts nest. A string passed to `enter` names a process-wide Context
(`in context A { } shift to B { }`), created on first use.

`note_confidence(c)` is called by generated code (and `confidence.pyx`) each
time a confidence-carrying value is produced. It costs one branch when no
context is active and no PerfMonitor is running; otherwise it adds `c` to the
current context's running mean and to a global flow accumulator that
`metrics.PerfMonitor` reads (through `flow_sum`/`flow_count`).

Talks to: `errors` (PrismError). Used by `pool` (ContextPool), `metrics`
(Metrics, PerfMonitor), `parallel_worker` (a context crosses to worker
processes as a pickled snapshot; what they noted comes back as totals) and
generated code.

Thread safety: all bookkeeping here is plain C arithmetic done while holding
the GIL with no Python code run in between, so it is atomic under the GIL.
"""
cimport cython
from cpython.contextvars cimport PyContextVar_Set, PyContextVar_Reset, get_value
from libc.stdint cimport int64_t
from posix.time cimport clock_gettime, timespec, CLOCK_MONOTONIC

import contextvars

from prism_runtime.errors import PrismError

cdef object _current_var = contextvars.ContextVar("prism_current_context", default=None)
cdef dict _named = {}          # process-wide named contexts
cdef int _hooks = 0            # live enters + running flow watchers
cdef int _watchers = 0         # running PerfMonitors
cdef double _flow_sum = 0.0
cdef int64_t _flow_count = 0


cdef int64_t now_ns() noexcept nogil:
    cdef timespec ts
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return <int64_t>ts.tv_sec * 1000000000 + ts.tv_nsec


cdef int64_t clock_ns(object clock) except? -1:
    """The time of `clock` (a `clock.py` clock) in ns; the monotonic clock when it is None."""
    if clock is None:
        return now_ns()
    return <int64_t>round(clock.now() * 1e9)



cdef class Context:
    """A named scope with a confidence mean, an active duration and a key/value store.

    `confidence` is the mean of the confidences noted while this context was
    the current one (1.0 when none); `duration` is the accumulated wall time
    (seconds) during which it was entered (nested inner contexts count
    towards the outer one's duration, but only the innermost receives
    confidence notes). Use `with ctx:` from Python. `clock` (see `clock.py`)
    replaces the monotonic clock that `duration` is measured with, for tests.
    """

    def __init__(self, name="context", value=None, confidence=None, store=None, clock=None):
        self.name = str(name)
        self.value = value
        self.store = dict(store) if store is not None else {}
        self._pool_state = 0
        self._clock = clock
        if confidence is not None:
            # `Context(name, value, 0.9)`: the initial confidence counts as its first note.
            self._conf_sum = float(confidence)
            self._conf_count = 1

    @classmethod
    def new(cls, *args, **kwargs):
        return cls(*args, **kwargs)

    cdef int _reset(self, str name) except -1:
        self.name = name
        self.store.clear()
        self._conf_sum = 0.0
        self._conf_count = 0
        self._duration_ns = 0
        self._since_ns = clock_ns(self._clock) if self._active else 0
        return 0

    def reset(self, name=None):
        """Empty the store and reset confidence and duration (keeps the name unless given)."""
        self._reset(self.name if name is None else str(name))

    @property
    def confidence(self):
        if self._conf_count == 0:
            return 1.0
        return self._conf_sum / self._conf_count

    @property
    def confidence_count(self):
        """How many confidence values were noted in this context."""
        return self._conf_count

    @property
    def duration(self):
        cdef int64_t total = self._duration_ns
        if self._active:
            total += clock_ns(self._clock) - self._since_ns
        return total / 1e9

    @property
    def active(self):
        """True while the context is entered somewhere."""
        return self._active > 0

    # ---- key/value store -------------------------------------------------
    def get(self, key, default=None):
        return self.store.get(key, default)

    def set(self, key, value):
        self.store[key] = value

    def has(self, key):
        return key in self.store

    def delete(self, key):
        """Remove `key`; returns whether it was present."""
        return self.store.pop(key, _MISSING) is not _MISSING

    def keys(self):
        return list(self.store)

    def values(self):
        return list(self.store.values())

    def items(self):
        return list(self.store.items())

    def __getitem__(self, key):
        return self.store[key]

    def __setitem__(self, key, value):
        self.store[key] = value

    def __delitem__(self, key):
        del self.store[key]

    def __contains__(self, key):
        return key in self.store

    # ---- Python `with ctx:` ------------------------------------------------
    def __enter__(self):
        token = enter(self)
        if self._with_tokens is None:
            self._with_tokens = []
        self._with_tokens.append(token)
        return self

    def __exit__(self, exc_type, exc, tb):
        # The innermost token created in the running thread/task is the one to
        # reset; tokens of the same context entered in other threads/tasks
        # belong to other contextvars.Contexts and make Reset raise ValueError.
        cdef list toks = self._with_tokens
        cdef Py_ssize_t i = len(toks) - 1 if toks is not None else -1
        while i >= 0:
            try:
                exit(toks[i])
            except ValueError:
                i -= 1
                continue
            del toks[i]
            return False
        raise PrismError(f"context {self.name!r} exited without a matching enter")

    def __repr__(self):
        return f"Context(name={self.name!r}, confidence={self.confidence:.3f}, duration={self.duration:.6f})"

    def __reduce__(self):
        # A snapshot for another process: name, store, confidence and duration so far. It
        # arrives inactive and unpooled (enters and pools belong to this process).
        cdef int64_t duration = self._duration_ns
        if self._active:
            duration += now_ns() - self._since_ns
        return (_rebuild_context, (self.name, self.value, self.store, self._conf_sum, self._conf_count, duration))


def _rebuild_context(name, value, store, double conf_sum, int64_t conf_count, int64_t duration_ns):
    cdef Context ctx = Context(name, value, store=store)
    ctx._conf_sum = conf_sum
    ctx._conf_count = conf_count
    ctx._duration_ns = duration_ns
    return ctx


cdef object _MISSING = object()


cdef Context _named_context(str name):
    cdef object ctx = _named.get(name)
    if ctx is None:
        ctx = _named.setdefault(name, Context(name))
    return <Context>ctx


cdef object enter(object ctx_or_name):
    """Make a Context (or the process-wide context named by a str) current; returns a token for `exit`."""
    global _hooks
    cdef Context ctx
    if type(ctx_or_name) is Context:
        ctx = <Context>ctx_or_name
    elif isinstance(ctx_or_name, str):
        ctx = _named_context(<str>ctx_or_name)
    else:
        raise PrismError(f"cannot enter {type(ctx_or_name).__name__}: expected a Context or a context name")
    token = PyContextVar_Set(_current_var, ctx)
    if ctx._active == 0:
        ctx._since_ns = clock_ns(ctx._clock)
    ctx._active += 1
    _hooks += 1
    return token


cdef int exit(object token) except -1:
    """Restore the context that was current before the `enter` that returned `token`."""
    global _hooks
    cdef Context ctx
    cdef object cur = get_value(_current_var)
    PyContextVar_Reset(_current_var, token)
    _hooks -= 1
    if cur is not None:
        ctx = <Context>cur
        ctx._active -= 1
        if ctx._active == 0:
            ctx._duration_ns += clock_ns(ctx._clock) - ctx._since_ns
    return 0


cpdef object current():
    """The current Context of this thread / asyncio task, or None."""
    return get_value(_current_var)


cdef object enter_verify(object sources):
    """`verify against sources [..] { }`: enter a child context `verify` whose store holds the
    sources (`context.current().get("sources")`)."""
    ctx = Context("verify", store={"sources": sources})
    return enter(ctx)


cdef object note_error(object exc):
    """An error is leaving a context: record the innermost context it happened in (an error's
    `context` field, for errors the runtime or Python raised)."""
    if not hasattr(exc, "__prism_context__"):
        ctx = get_value(_current_var)
        try:
            exc.__prism_context__ = None if ctx is None else (<Context>ctx).name
        except (AttributeError, TypeError):
            pass
    return exc


cdef object verification_failed(object exc):
    """What a failure inside `verify against ..` becomes: an error with code VERIFICATION_FAILED."""
    from prism_runtime.errors import as_prism_error
    if isinstance(exc, PrismError) and exc.code == "VERIFICATION_FAILED":
        return exc
    note_error(exc)
    cause = as_prism_error(exc)
    err = PrismError(f"verification failed: {cause.message}", code="VERIFICATION_FAILED",
                     confidence=cause.confidence, context="verify", cause=exc)
    err.__cause__ = exc
    return err


def __getattr__(name):
    """`context.confidence` is the current context's confidence (1.0 outside any)."""
    if name == "confidence":
        ctx = get_value(_current_var)
        return 1.0 if ctx is None else (<Context>ctx).confidence
    if name == "value":
        ctx = get_value(_current_var)
        return None if ctx is None else (<Context>ctx).value
    raise AttributeError(f"module 'prism_runtime.context' has no attribute {name!r}")


cdef void note_confidence(double c) noexcept:
    global _flow_sum, _flow_count
    if _hooks == 0:
        return
    _flow_sum += c
    _flow_count += 1
    cdef object cur = get_value(_current_var)
    if cur is not None:
        (<Context>cur)._conf_sum += c
        (<Context>cur)._conf_count += 1


cdef int* hooks_ptr() noexcept:
    """Where generated code reads whether anyone listens, so reporting a confidence
    costs one inline branch when nobody does."""
    return &_hooks


cdef void watch_flow(int delta) noexcept:
    global _hooks, _watchers
    _watchers += delta
    _hooks += delta


cdef double flow_sum() noexcept:
    return _flow_sum


cdef int64_t flow_count() noexcept:
    return _flow_count


# ---- Python-level API ----------------------------------------------------------

def enter_py(ctx_or_name):
    """Python wrapper of `enter`: returns a token to pass to `exit_py`."""
    return enter(ctx_or_name)


def exit_py(token):
    """Python wrapper of `exit`."""
    exit(token)


def named(name):
    """The process-wide Context called `name` (created on first use)."""
    return _named_context(str(name))


def report_confidence(double c):
    """Note a confidence-carrying value from Python (what generated code does in C)."""
    note_confidence(c)


def add_confidence_totals(double total, int64_t count):
    """Note `count` confidences summing to `total` at once: what `note_confidence` would
    have done for each of them here (`parallel.map` reports what its workers noted)."""
    global _flow_sum, _flow_count
    if _hooks == 0 or count <= 0:
        return
    _flow_sum += total
    _flow_count += count
    cdef object cur = get_value(_current_var)
    if cur is not None:
        (<Context>cur)._conf_sum += total
        (<Context>cur)._conf_count += count


def confidence_totals(Context ctx):
    """(sum, count) of the confidences noted in `ctx` so far."""
    return ctx._conf_sum, ctx._conf_count


def flow_totals():
    """(sum, count) of every confidence noted while anything was listening."""
    return _flow_sum, _flow_count


def active_hooks():
    """Live enters plus running PerfMonitors (0 means note_confidence is a no-op)."""
    return _hooks


def _bench_c_level(ctx_or_name, long n=1_000_000):
    """ns per C-level enter+exit pair and per note_confidence (inside and outside a context).

    Used by bench/bench_runtime.py to measure what generated code pays."""
    cdef long i
    cdef int64_t t0, t1, t2, t3
    t0 = now_ns()
    for i in range(n):
        exit(enter(ctx_or_name))
    t1 = now_ns()
    for i in range(n):
        note_confidence(0.5)
    t2 = now_ns()
    tok = enter(ctx_or_name)
    try:
        for i in range(n):
            note_confidence(0.5)
    finally:
        exit(tok)
    t3 = now_ns()
    return {"enter_exit": (t1 - t0) / n, "note_idle": (t2 - t1) / n, "note_active": (t3 - t2) / n}
