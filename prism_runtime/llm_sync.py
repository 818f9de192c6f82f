"""Synchronous LLM calls (`llm.complete_with_config`) on one background event loop.

A synchronous call cannot run the provider's coroutine on the caller's event
loop (there may be none, or it may be the one running the caller), so every
such call runs on a single daemon thread with an event loop of its own,
started at the first call and kept for the life of the program: the HTTP
client of that loop, and its connections, are reused from call to call. The
caller blocks until the answer is there; Ctrl-C cancels the request.

The caller builds the messages and reports the answer's confidence in its own
thread, so the context current at the call (its `system`, its confidence) is
the one that counts (see `llm.LLM.complete_with_config`).

Talks to nothing but asyncio and threading.
"""
from __future__ import annotations

import asyncio
import threading

_loop = None
_lock = threading.Lock()


def _background_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _lock:
        if _loop is None:
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="prism-llm-sync", daemon=True)
            thread.start()
            _loop = loop
        return _loop


def run_sync(coroutine):
    """Run `coroutine` on the background loop and return its result (or raise its error)."""
    future = asyncio.run_coroutine_threadsafe(coroutine, _background_loop())
    try:
        return future.result()
    except KeyboardInterrupt:
        future.cancel()
        raise
