"""What a `parallel` worker runs: one chunk of items through the mapped function.

Every backend sends the same task, `run_chunk(bundle, job, items_blob)`:

- `bundle` is a `parallel_modules.ModuleBundle` or the key of one shipped
  ahead (Dask's worker plugin); `job` a `Job` (the pickled function, whether
  it is async, `max_concurrent`, the caller's context); `items_blob` the
  pickled items. The function and items are unpickled only once the
  bundle's modules are importable, which is why they travel as bytes.
- Items run on this process's Prism thread: one thread per worker process,
  with the stack and recursion limit `prism run` gives programs
  (`transpiler.tools.runner`), running an asyncio loop. A sync function is called
  item after item; an async one runs through `batch.run_bounded` with at
  most `max_concurrent` calls in flight in this process (one semaphore per
  map, shared by the chunks this process runs at once).
- The caller's context (a pickled snapshot) is entered around the chunk, so
  `llm.generate` sees its `system` prompt and the confidences noted here
  go back as totals.
- An item that raises leaves a portable PrismError in its slot (message,
  Prism file and line, picklable attributes); nothing stops the others.

The result is a pickled `ChunkResult`. Talks to: `parallel_modules`,
`batch`, `context`, `errors`, `transpiler.tools.runner` (stack size, recursion
limit, Prism line of a traceback). Used by: the backends (`parallel_local`,
`parallel_dask`, `parallel_ray`).
"""
from __future__ import annotations

import asyncio
import os
import pickle
import sys
import threading
import weakref
from dataclasses import dataclass
from typing import Optional

from prism_runtime import parallel_modules
from prism_runtime.batch import run_bounded
from prism_runtime.errors import PrismError, as_prism_error


@dataclass(frozen=True)
class Job:
    """What every chunk of one map shares."""
    job_id: str
    function: bytes                 # pickled; unpickled against the bundle
    name: str                       # the function's name, for messages
    is_async: bool
    max_concurrent: int
    context: Optional[bytes]        # pickled snapshot of the caller's current context


@dataclass
class ChunkResult:
    results: Optional[list]         # values, with a PrismError in each failed slot
    failures: Optional[list]        # indices (within the chunk) that failed
    conf_total: float               # confidences noted in the caller's context here ...
    conf_count: int                 # ... and how many
    pid: int
    chunk_error: Optional[PrismError] = None   # set (and results None) when no item could run


def run_chunk(bundle, job: Job, items_blob: bytes) -> bytes:
    """Run one chunk; returns the pickled ChunkResult (see the module docstring)."""
    try:
        function = parallel_modules.load(bundle, job.function)
        items = parallel_modules.load(bundle, items_blob)
    except Exception as e:
        # The chunk never started (a top level that fails on workers, a module that cannot
        # be built here, ...): every item of it fails with the reason.
        err = portable_error(e, f"the worker (pid {os.getpid()}) could not load {job.name}: ")
        return pickle.dumps(ChunkResult(None, None, 0.0, 0, os.getpid(), chunk_error=err))
    cancelled = threading.Event()
    done = asyncio.run_coroutine_threadsafe(_run(function, items, job, cancelled), _prism_loop())
    try:
        result = done.result()
    except BaseException:
        # Cancelled by the engine (Ray raises KeyboardInterrupt here): stop the chunk too.
        cancelled.set()
        done.cancel()
        raise
    return _dump(result)


async def _run(function, items, job: Job, cancelled: threading.Event) -> ChunkResult:
    from prism_runtime.context import confidence_totals, enter_py, exit_py
    context = pickle.loads(job.context) if job.context is not None else None
    token = enter_py(context) if context is not None else None
    before = confidence_totals(context) if context is not None else (0.0, 0)
    try:
        if job.is_async:
            gate = _gate(job)

            async def call(i):
                return await function(items[i])

            results, failures = await run_bounded(call, len(items), job.max_concurrent, portable_error, gate)
        else:
            results, failures = _run_sync(function, items, cancelled)
    finally:
        if token is not None:
            exit_py(token)
    after = confidence_totals(context) if context is not None else (0.0, 0)
    return ChunkResult(results, sorted(failures), after[0] - before[0], after[1] - before[1], os.getpid())


def _run_sync(function, items, cancelled):
    results, failures = [None] * len(items), {}
    for i, item in enumerate(items):
        if cancelled.is_set():
            raise asyncio.CancelledError()
        try:
            results[i] = function(item)
        except Exception as e:
            results[i] = failures[i] = portable_error(e)
    return results, failures


_gates = weakref.WeakValueDictionary()      # job id -> semaphore shared by this process's chunks


def _gate(job: Job) -> asyncio.Semaphore:
    gate = _gates.get(job.job_id)
    if gate is None:
        gate = _gates[job.job_id] = asyncio.Semaphore(job.max_concurrent)
    return gate


def _dump(result: ChunkResult) -> bytes:
    try:
        return pickle.dumps(result)
    except Exception:
        pass
    # Some result does not pickle: that item fails, the others still go back.
    for i, value in enumerate(result.results):
        try:
            pickle.dumps(value)
        except Exception as e:
            result.results[i] = PrismError(f"its result ({type(value).__name__}) cannot be sent back "
                                           f"from the worker: {e}")
            if i not in result.failures:
                result.failures.append(i)
    result.failures.sort()
    return pickle.dumps(result)


def portable_error(exc, prefix="") -> PrismError:
    """A PrismError for `exc` that pickles: its message, the Prism line it came from, and
    those attributes (status_code, kind, cause...) that survive pickling."""
    err = as_prism_error(exc)
    try:
        from transpiler.tools.runner import prism_location
        location = prism_location(exc)
    except Exception:       # no compiler here, or no generated .pyx to map the line through
        location = None
    out = PrismError(prefix + err.message)
    if location is not None:
        out.prism_file, out.prism_line = str(parallel_modules.driver_source(location[0])), location[1]
    else:
        out.prism_file, out.prism_line = err.prism_file, err.prism_line
    for name, value in vars(err).items():
        if name in ("message", "prism_file", "prism_line"):
            continue
        try:
            pickle.dumps(value)
        except Exception:
            value = None if name == "cause" else repr(value)
        setattr(out, name, value)
    return out


# ---------------------------------------------------------------- the Prism thread

_loop = None
_loop_lock = threading.Lock()


def _prism_loop() -> asyncio.AbstractEventLoop:
    """This process's Prism thread (big stack, high recursion limit) and its event loop."""
    global _loop
    with _loop_lock:
        if _loop is None or not _loop.is_running():
            from transpiler.tools.runner import PROGRAM_RECURSION_LIMIT, PROGRAM_STACK
            ready = threading.Event()
            loop = asyncio.new_event_loop()

            def serve():
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()

            sys.setrecursionlimit(max(sys.getrecursionlimit(), PROGRAM_RECURSION_LIMIT))
            old = threading.stack_size()
            threading.stack_size(PROGRAM_STACK)
            try:
                threading.Thread(target=serve, name="prism-worker", daemon=True).start()
            finally:
                threading.stack_size(old)
            ready.wait()
            _loop = loop
        return _loop
