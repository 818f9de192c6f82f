"""The `dask` backend of `parallel`: chunks as tasks of a `dask.distributed` cluster.

With an address (`tcp://host:8786`) it connects a `Client` to that scheduler,
failing after `[cluster] connect_timeout` with an error naming the address;
without one it starts a `LocalCluster` of worker processes (one thread each,
one worker per CPU unless `[cluster] workers` says otherwise).

The program's modules reach the workers through a worker plugin
(`PrismModules`): the scheduler hands it to every worker, including workers
that join or restart later, and each task names the bundle by key. A worker
that dies is handled by Dask: the scheduler runs its tasks again elsewhere
(up to `distributed.scheduler.allowed-failures` times, then `KilledWorker`,
which becomes the error of those items). Cancelling cancels the futures.

Talks to: `distributed`, `parallel_modules` (register, in the plugin),
`parallel` (settled_on), `parallel_worker` (run_chunk), `errors`.
Used by `parallel`.
"""
from __future__ import annotations

import asyncio
import logging
import threading

from prism_runtime import parallel_modules
from prism_runtime.errors import PrismError
from prism_runtime.parallel import settled_on
from prism_runtime.parallel_worker import run_chunk

CLOSE_TIMEOUT = 10.0      # seconds a closing call may wait for the scheduler


def _within(seconds: float, call, *args) -> None:
    """call(*args) on a daemon thread, waiting at most `seconds`: a scheduler that stopped
    answering (or a client whose event loop is gone) must not hold a closing program."""
    def attempt():
        try:
            call(*args)
        except Exception:
            pass                        # the cluster may be gone already
    worker = threading.Thread(target=attempt, name="prism-dask-close", daemon=True)
    worker.start()
    worker.join(seconds)

try:
    from distributed import WorkerPlugin
except ImportError:                     # the class below is only used once distributed is here
    WorkerPlugin = object


def _require_distributed():
    try:
        import distributed
    except ImportError:
        raise PrismError("the dask backend needs dask.distributed: pip install 'prism-lang[cluster]'") from None
    return distributed


class PrismModules(WorkerPlugin):
    """Gives each worker one bundle of compiled Prism modules."""

    def __init__(self, bundle):
        self.bundle = bundle

    def setup(self, worker):
        parallel_modules.register(self.bundle)


class DaskBackend:
    name = "dask"

    def __init__(self, config):
        distributed = _require_distributed()
        self._cluster = None
        self._plugins = set()
        self._outstanding = set()
        if config.address:
            self._where = f"the Dask scheduler at {config.address}"
            try:
                self.client = distributed.Client(config.address, timeout=config.connect_timeout,
                                                 set_as_default=False)
            except (OSError, TimeoutError) as e:
                raise PrismError(f"cannot reach {self._where} within {config.connect_timeout:g} s "
                                 f"(set by {config.source}): {e}") from None
        else:
            from prism_runtime.parallel_local import cpu_count
            self._cluster = distributed.LocalCluster(n_workers=config.workers or cpu_count(),
                                                     threads_per_worker=1, processes=True,
                                                     dashboard_address=":0", silence_logs=logging.ERROR)
            self.client = distributed.Client(self._cluster, set_as_default=False)
            self._where = f"a local Dask cluster at {self._cluster.scheduler_address}"

    def describe(self) -> str:
        return self._where

    def workers(self) -> int:
        return max(1, sum(self.client.nthreads().values()))

    def prepare(self, bundle):
        """Ship the bundle once (as a plugin); tasks then name it by key."""
        if bundle.key not in self._plugins:
            self.client.register_plugin(PrismModules(bundle.portable()), name=f"prism-modules-{bundle.key}")
            self._plugins.add(bundle.key)
        return bundle.key

    async def run(self, shipped, job, blobs):
        loop = asyncio.get_running_loop()
        futures = [self.client.submit(run_chunk, shipped, job, blob, key=f"prism-chunk-{job.job_id}-{i}",
                                      pure=False)
                   for i, blob in enumerate(blobs)]
        self._outstanding.update(futures)
        waiting = [settled_on(loop, f) for f in futures]
        try:
            outcomes = await asyncio.gather(*waiting, return_exceptions=True)
        except asyncio.CancelledError:
            await loop.run_in_executor(None, self.client.cancel, futures)
            raise
        finally:
            self._outstanding.difference_update(futures)
        return outcomes

    def abandon(self):
        """At exit: cancel what is outstanding, then close."""
        if self._outstanding:
            _within(CLOSE_TIMEOUT, self.client.cancel, list(self._outstanding))
        self.close()

    def close(self):
        if self._cluster is None:
            # A cluster we only connected to keeps running: take our modules off its workers.
            # Bounded, because a scheduler that stopped answering must not hold the program.
            for key in self._plugins:
                _within(CLOSE_TIMEOUT, self.client.unregister_worker_plugin, f"prism-modules-{key}")
        _within(CLOSE_TIMEOUT, self.client.close)
        if self._cluster is not None:
            _within(3 * CLOSE_TIMEOUT, self._cluster.close)
