"""The `ray` backend of `parallel`: chunks as Ray tasks.

`ray.init(address=...)` takes whatever Ray accepts (`auto`, `host:port`,
`ray://host:10001`); without an address it starts a local Ray (one CPU per
worker, `[cluster] workers` CPUs unless unset) or uses the one this process
has already started. Ray's own connection attempts can take minutes against
an address where nothing listens, so a `host:port` is first probed with a
TCP connection, failing after `[cluster] connect_timeout` with an error that
names the address.

The program's modules go into the object store once per bundle (`ray.put`);
each task gets the reference, which Ray resolves on the worker. A task whose
worker process dies is retried by Ray (`max_retries`, then
`WorkerCrashedError`, which becomes the error of those items). Cancelling
calls `ray.cancel` on every task still running or queued.

Talks to: `ray`, `parallel_worker` (run_chunk), `errors`. Used by `parallel`.
"""
from __future__ import annotations

import asyncio
import logging
import socket

from prism_runtime.errors import PrismError
from prism_runtime.parallel_worker import run_chunk

TASK_RETRIES = 3


def _require_ray():
    try:
        import ray
    except ImportError:
        raise PrismError("the ray backend needs ray: pip install 'prism-lang[cluster]'") from None
    return ray


def probe(address: str, timeout: float, source: str) -> None:
    """Fail fast, naming `address`, when nothing accepts TCP connections there."""
    target = address.split("://", 1)[1] if "://" in address else address
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise PrismError(f"Ray address {address!r} is not host:port, ray://host:port or auto (set by {source})")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as e:
        raise PrismError(f"cannot reach the Ray cluster at {address} within {timeout:g} s "
                         f"(set by {source}): {e}") from None


class RayBackend:
    name = "ray"

    def __init__(self, config):
        ray = _require_ray()
        self._ray = ray
        self._bundles = {}
        self._started = False
        self._outstanding = set()
        if config.address and config.address != "auto":
            probe(config.address, config.connect_timeout, config.source)
        if not ray.is_initialized():
            if config.address:
                try:
                    ray.init(address=config.address, logging_level=logging.ERROR)
                except (ConnectionError, TimeoutError, RuntimeError) as e:
                    raise PrismError(f"cannot connect to the Ray cluster at {config.address} "
                                     f"(set by {config.source}): {e}") from None
            else:
                from prism_runtime.parallel_local import cpu_count
                ray.init(num_cpus=config.workers or cpu_count(), include_dashboard=False,
                         logging_level=logging.ERROR)
            self._started = True
        self._where = f"the Ray cluster at {ray.get_runtime_context().gcs_address}"
        self._task = ray.remote(run_chunk).options(max_retries=TASK_RETRIES, retry_exceptions=False)

    def describe(self) -> str:
        return self._where

    def workers(self) -> int:
        return max(1, int(self._ray.cluster_resources().get("CPU", 1)))

    def prepare(self, bundle):
        """The bundle's object reference (put once; Ray hands the value to each task)."""
        ref = self._bundles.get(bundle.key)
        if ref is None:
            ref = self._bundles[bundle.key] = self._ray.put(bundle.portable())
        return ref

    async def run(self, shipped, job, blobs):
        refs = [self._task.remote(shipped, job, blob) for blob in blobs]
        self._outstanding.update(refs)
        try:
            outcomes = await asyncio.gather(*(asyncio.wrap_future(r.future()) for r in refs),
                                            return_exceptions=True)
        except asyncio.CancelledError:
            self._cancel(refs)
            raise
        finally:
            self._outstanding.difference_update(refs)
        return outcomes

    def _cancel(self, refs):
        for ref in refs:
            try:
                self._ray.cancel(ref)
            except Exception:
                pass                   # already finished

    def abandon(self):
        """At exit: cancel what is outstanding, then close."""
        self._cancel(list(self._outstanding))
        self.close()

    def close(self):
        self._bundles.clear()
        if self._started:
            self._ray.shutdown()
