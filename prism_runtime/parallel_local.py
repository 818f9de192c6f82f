"""The `local` backend of `parallel`: a process pool on this machine, one worker per CPU.

A `concurrent.futures.ProcessPoolExecutor` whose workers come from a
forkserver that has the Prism runtime preloaded: each worker starts as a
fork of a clean process (not of this one, whose threads and event loop a
fork would copy mid-flight) and imports the program's modules from the
build cache like any other backend's workers (`parallel_modules`). The pool
starts at the first map and serves every later one.

A worker that dies (killed, out of memory) breaks a ProcessPoolExecutor for
every task in it; this backend then starts a new pool and runs again the
chunks that had not finished, up to `ATTEMPTS` times each, the way Dask and
Ray retry the tasks of a lost worker. Cancelling kills the pool's processes
when chunks are queued or running (a process pool cannot stop one task, and
Python 3.11's pool fails on futures cancelled under it), so the next map
starts a fresh pool. At interpreter exit (`parallel`'s exit hook; Ctrl-C in
`prism run` included) the workers are killed rather than joined, since a
joined pool would first run every queued chunk.

Talks to: `parallel_worker` (run_chunk), `parallel` (settled_on), `errors`.
Used by `parallel`.
"""
from __future__ import annotations

import asyncio
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from prism_runtime.errors import PrismError
from prism_runtime.parallel import settled_on
from prism_runtime.parallel_worker import run_chunk

ATTEMPTS = 3


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:            # not on Linux
        return os.cpu_count() or 1


class LocalBackend:
    name = "local"

    def __init__(self, config):
        self._workers = config.workers or cpu_count()
        self._pool = None

    def describe(self) -> str:
        return f"the local process pool ({self._workers} workers)"

    def workers(self) -> int:
        return self._workers

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
            context = multiprocessing.get_context(method)
            if method == "forkserver":
                context.set_forkserver_preload(["prism_runtime.parallel_worker"])
            self._pool = ProcessPoolExecutor(self._workers, mp_context=context)
        return self._pool

    def prepare(self, bundle):
        return bundle               # same machine: the workers read the extensions where they are

    async def run(self, shipped, job, blobs):
        """Each chunk's pickled ChunkResult, or the exception that stopped it (a PrismError
        when its worker kept dying)."""
        out = [None] * len(blobs)
        attempts = [0] * len(blobs)
        pending = list(range(len(blobs)))
        while pending:
            pool = self._get_pool()
            submitted = [pool.submit(run_chunk, shipped, job, blobs[i]) for i in pending]
            loop = asyncio.get_running_loop()
            try:
                done = await asyncio.gather(*(settled_on(loop, f) for f in submitted), return_exceptions=True)
            except asyncio.CancelledError:
                if not all(f.done() for f in submitted):
                    self._discard_pool(kill=True)
                raise
            retry = []
            for i, outcome in zip(pending, done):
                if isinstance(outcome, BrokenProcessPool):
                    attempts[i] += 1
                    if attempts[i] < ATTEMPTS:
                        retry.append(i)
                    else:
                        out[i] = PrismError(f"a worker process died while running these items, "
                                            f"{ATTEMPTS} times ({outcome})")
                else:
                    out[i] = outcome
            if retry:
                self._discard_pool()
            pending = retry
        return out

    def _discard_pool(self, kill=False):
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if kill:
            # ProcessPoolExecutor has no public way to stop a running task before
            # Python 3.14 (kill_workers); its process table is the only handle.
            killer = getattr(pool, "kill_workers", None)
            if killer is not None:
                killer()
            else:
                for process in list(getattr(pool, "_processes", {}).values()):
                    process.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    def close(self):
        self._discard_pool()

    def abandon(self):
        self._discard_pool(kill=True)
