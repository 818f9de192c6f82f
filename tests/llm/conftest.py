"""Fixtures for the LLM tests: a fresh loopback server per test and an `LLM` bound to it.

Every test gets its own `FakeOpenAIServer` (port 0), so counters never mix
between tests and the suite is safe under pytest-xdist.
"""
import asyncio
import time

import pytest

from prism_runtime.llm import LLM

from .openai_server import FakeOpenAIServer

API_KEY = "sk-test-SECRET-4242"


@pytest.fixture
def server():
    with FakeOpenAIServer() as srv:
        yield srv


@pytest.fixture
def make_llm(server):
    """`make_llm(**settings)`: an LLM talking to `server` (no retries unless asked)."""
    def make(**settings):
        settings.setdefault("max_retries", 0)
        settings.setdefault("timeout", 10.0)
        return LLM(base_url=server.base_url, api_key=API_KEY, **settings)
    return make


async def until(condition, what: str, limit: float = 60.0) -> None:
    """Wait (yielding to the event loop) until condition() holds; fail after `limit` real seconds.

    For states the test cannot be told about (requests the server holds), not for timing:
    nothing is asserted about how long it took."""
    give_up = time.monotonic() + limit
    while not condition():
        if time.monotonic() > give_up:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(0.005)
