"""Helpers shared by the runtime tests: hammering an object from threads, and measuring
whether memory stays flat over many operations."""
from __future__ import annotations

import gc
import threading
import tracemalloc


def run_in_threads(worker, args_list) -> None:
    """Run worker(*args) in one thread per entry of args_list; re-raise the first failure."""
    errors = []

    def guarded(*args):
        try:
            worker(*args)
        except BaseException as exc:           # reported in the test's own thread
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=tuple(args)) for args in args_list]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def traced_growth(op, n) -> int:
    """Bytes still allocated (tracemalloc) after op(n), having warmed up with op(n // 10)."""
    gc.collect()
    tracemalloc.start()
    try:
        op(n // 10)
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        op(n)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return after - before
