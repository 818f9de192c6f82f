"""Prism's `std/parallel` module and the global `parallel`: map a function over items on
worker processes, on this machine or on a Dask or Ray cluster.

- `await parallel.map(f, items, chunk_size=None, max_concurrent=5, errors="raise")`
  applies `f` to every item and returns the results in input order. `f` is a
  top-level function of a compiled Prism module (sync or async) or an
  importable Python function. An async `f` runs with at most
  `max_concurrent` calls in flight per worker process.
- `parallel.workers()` is the number of workers.

The backend (`parallel_local`, `parallel_dask`, `parallel_ray`) comes from
`parallel_config` at first use and serves the process from then on. Items
go out in chunks (`default_chunk_size`), each one task of the engine
(`parallel_worker.run_chunk`); the program's compiled modules go with them
(`parallel_modules`). Values cross as pickles, so confidence values,
structs, objects, contexts and errors arrive intact.

Nothing is lost: an item whose call raises leaves its error in its slot and
the others still run; after all were tried, the map raises one error with
`results` and `failures` (`batch.finish`), or returns the list with
`errors: "return"`. Chunks of a dead worker run again (the engine's retry;
the local pool's own), so results are complete and never duplicated.
Cancelling the awaiting task cancels the chunks still queued or running.

Talks to: `parallel_config`, `parallel_modules`, `parallel_worker`, the
backends, `batch`, `context` (the caller's context travels to the workers
and gets back the confidences they noted), `errors`.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import concurrent.futures.process
import concurrent.futures.thread
import inspect
import math
import os
import pickle
import threading
import uuid
import weakref

from prism_runtime import parallel_modules
from prism_runtime.batch import errors_mode, finish, positive_int
from prism_runtime.confidence import value_of
from prism_runtime.errors import PrismError
from prism_runtime.parallel_worker import Job

DEFAULT_MAX_CONCURRENT = 5
CHUNKS_PER_WORKER = 4


def default_chunk_size(n_items, n_workers, is_async=False, max_concurrent=1):
    """About CHUNKS_PER_WORKER chunks per worker: few enough that per-task overhead
    vanishes, enough that a slow chunk does not leave the other workers idle. An async
    function's chunks hold a multiple of max_concurrent items, so no slot idles inside one."""
    size = max(1, math.ceil(n_items / (max(1, n_workers) * CHUNKS_PER_WORKER)))
    if is_async:
        size = max_concurrent * math.ceil(size / max_concurrent)
    return size


_live = weakref.WeakSet()        # Parallel objects whose backend has started

# Backends start (and ship modules) on this one thread, which lives as long as the process:
# Ray ties its GCS and raylet processes to the thread that started them (they get a signal
# when it exits), and the threads of asyncio's default executor end with each asyncio.run.
_starter = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="prism-parallel")


def _abandon_at_exit():
    for engine in list(_live):
        engine.close(abandon=True)


def _forget_in_child():
    # A forked child (multiprocessing's fork start method, say) shares none of the parent's
    # pool or cluster connections: their threads did not survive the fork, so touching them
    # (at exit, above) would wait forever. The parent still owns them.
    _live.clear()
    for engine in _engines:
        engine._backend = None


_engines = weakref.WeakSet()     # every Parallel object, so a forked child can forget their backends
os.register_at_fork(after_in_child=_forget_in_child)


# A program can end (Ctrl-C in `prism run`: the CLI exits while the program thread is still
# awaiting a map) with chunks outstanding. concurrent.futures' exit hooks would then finish
# every queued chunk of the local pool, and Dask delivers its futures' callbacks through a
# thread pool that has shut down. threading's exit hooks run last-registered first, and the
# imports above registered concurrent.futures' own, so this one runs before them and stops
# the chunks instead.
threading._register_atexit(_abandon_at_exit)


def _backend_class(name):
    if name == "dask":
        from prism_runtime.parallel_dask import DaskBackend
        return DaskBackend
    if name == "ray":
        from prism_runtime.parallel_ray import RayBackend
        return RayBackend
    from prism_runtime.parallel_local import LocalBackend
    return LocalBackend


class Parallel:
    """The `parallel` object. `Parallel()` reads `[cluster]` / PRISM_CLUSTER* at first use;
    `Parallel(backend="dask", address=..., workers=...)` or `Parallel(config=ClusterConfig(...))`
    fixes it."""

    def __init__(self, config=None, **settings):
        if config is not None and settings:
            raise PrismError("pass either config or settings, not both")
        self._config = config
        self._settings = settings
        self._backend = None
        self._lock = threading.Lock()
        _engines.add(self)

    @property
    def config(self):
        if self._config is None:
            from prism_runtime import parallel_config
            self._config = (parallel_config.ClusterConfig(**self._settings) if self._settings
                            else parallel_config.load_cluster_config())
        return self._config

    def configure(self, config=None, **settings):
        """Use other settings (as for `ClusterConfig`) from the next call on; closes the current backend."""
        if config is None and settings:
            from prism_runtime import parallel_config
            config = parallel_config.ClusterConfig(**settings)
        self.close()
        self._config = config
        self._settings = {}

    def close(self, abandon=False):
        """Stop the local pool or cluster this object started; disconnect from a remote one.
        `abandon` (at exit) also stops the chunks still outstanding."""
        backend, self._backend = self._backend, None
        if backend is not None:
            backend.abandon() if abandon else backend.close()

    def __repr__(self):
        if self._backend is not None:
            return f"<parallel on {self._backend.describe()}>"
        return "<parallel, not started yet>"

    def _get_backend(self):
        with self._lock:
            if self._backend is None:
                config = self.config
                self._backend = _backend_class(config.backend)(config)
                _live.add(self)
            return self._backend

    def workers(self):
        """How many workers the backend has (starting or connecting to it if needed)."""
        _stop_if_worker_import()
        return _starter.submit(self._get_backend).result().workers()

    async def map(self, f, items, chunk_size=None, max_concurrent=DEFAULT_MAX_CONCURRENT, errors="raise"):
        """`f(item)` for every item, in input order, on the workers (see the module docstring)."""
        _stop_if_worker_import()
        if not callable(f):
            raise PrismError(f"parallel.map needs a function, not {type(value_of(f)).__name__}")
        items = list(value_of(items))
        k = positive_int("max_concurrent", max_concurrent)
        errors = errors_mode(errors)
        size = positive_int("chunk_size", chunk_size) if chunk_size is not None else None
        if not items:
            return []
        is_async = inspect.iscoroutinefunction(f)
        loop = asyncio.get_running_loop()
        backend = await loop.run_in_executor(_starter, self._get_backend)
        bundle = parallel_modules.collect()
        job = Job(uuid.uuid4().hex, _pickle_function(f), _name_of(f), is_async, k, _pickle_context())
        size = size or default_chunk_size(len(items), backend.workers(), is_async, k)
        bounds = [(start, min(start + size, len(items))) for start in range(0, len(items), size)]
        blobs = [_pickle_items(items, start, end) for start, end in bounds]
        shipped = await loop.run_in_executor(_starter, backend.prepare, bundle)
        outcomes = await backend.run(shipped, job, blobs)
        results, failures = [None] * len(items), {}
        for (start, end), outcome in zip(bounds, outcomes):
            _place(outcome, start, end, results, failures, backend.describe())
        return finish(results, failures, errors, "item")


def settled_on(loop, future) -> asyncio.Future:
    """An asyncio future of `loop` that gets `future`'s outcome: a concurrent.futures or
    Dask future, anything with add_done_callback and result(). The result is fetched in the
    callback's thread (Dask transfers it there), so the event loop never blocks on it, and
    cancelling the asyncio future leaves `future` alone: each backend decides how to stop."""
    settled = loop.create_future()

    def deliver(value):
        if not settled.done():
            if isinstance(value, BaseException):
                settled.set_exception(value)
            else:
                settled.set_result(value)

    def fetch(done):
        try:
            value = done.result()
        except BaseException as e:
            value = e
        try:
            loop.call_soon_threadsafe(deliver, value)
        except RuntimeError:
            pass                       # the loop has closed: nobody waits any more

    future.add_done_callback(fetch)
    return settled


def _place(outcome, start, end, results, failures, where):
    """Put one chunk's results (or its error, in every slot) into the map's lists.

    `outcome` is the pickled ChunkResult, or what the engine raised instead of
    running the chunk (a lost worker after the retries, a task cancelled by
    someone else)."""
    from prism_runtime.context import add_confidence_totals
    if isinstance(outcome, BaseException) and not isinstance(outcome, PrismError):
        outcome = PrismError(f"items {start}..{end - 1} could not be run on {where}: "
                             f"{type(outcome).__name__}: {outcome}")
    if isinstance(outcome, bytes):
        outcome = pickle.loads(outcome)
        add_confidence_totals(outcome.conf_total, outcome.conf_count)
        if outcome.chunk_error is None:
            results[start:end] = outcome.results
            for i in outcome.failures:
                failures[start + i] = outcome.results[i]
            return
        outcome = outcome.chunk_error
    for i in range(start, end):
        results[i] = failures[i] = outcome


def _stop_if_worker_import():
    if parallel_modules.importing_for_worker():
        raise parallel_modules.WorkerImportStop()


def _name_of(f):
    return getattr(f, "__qualname__", None) or getattr(f, "__name__", None) or repr(f)


def _pickle_function(f) -> bytes:
    try:
        return pickle.dumps(f)
    except Exception as e:
        raise PrismError(f"parallel.map cannot send {_name_of(f)} to workers: it must be a top-level "
                         f"function of a Prism module or an importable Python function ({e})") from None


def _pickle_items(items, start, end) -> bytes:
    try:
        return pickle.dumps(items[start:end])
    except Exception:
        for i in range(start, end):
            try:
                pickle.dumps(items[i])
            except Exception as e:
                raise PrismError(f"parallel.map cannot send item {i} ({type(items[i]).__name__}) "
                                 f"to workers: {e}") from None
        raise


def _pickle_context():
    from prism_runtime.context import current
    ctx = current()
    if ctx is None:
        return None
    try:
        return pickle.dumps(ctx)
    except Exception as e:
        raise PrismError(f"parallel.map cannot send context {ctx.name!r} to workers: its store "
                         f"holds a value that does not pickle ({e})") from None


parallel = Parallel()

__all__ = ["Parallel", "parallel", "default_chunk_size"]
