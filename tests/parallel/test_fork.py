"""A process forked from one that uses `parallel` does not touch the parent's pools or
clusters: their threads did not survive the fork, so the child's exit hook would wait on them
for ever (this hung CI once: a forked test child waiting on its parent's Dask client)."""
from __future__ import annotations

import importlib
import os

# The module (the package exports the `parallel` object under the same name).
parallel = importlib.import_module("prism_runtime.parallel")


class RecordingBackend:
    """Stands in for a started backend: records whether anything closed it."""

    def __init__(self):
        self.closed = False

    def close(self):
        self.closed = True

    def abandon(self):
        self.closed = True


def test_a_forked_child_forgets_the_parents_backends():
    engine = parallel.Parallel(backend="local")
    backend = RecordingBackend()
    engine._backend = backend
    parallel._live.add(engine)
    try:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:                       # the child: what its exit hook would see
            os.close(read)
            forgotten = engine._backend is None and len(parallel._live) == 0
            parallel._abandon_at_exit()
            os.write(write, b"yes" if forgotten and not backend.closed else b"no")
            os._exit(0)
        os.close(write)
        answer = os.read(read, 3)
        os.close(read)
        os.waitpid(pid, 0)
        assert answer == b"yes"
        assert engine._backend is backend and not backend.closed      # the parent keeps its own
    finally:
        parallel._live.discard(engine)
        engine._backend = None
