"""Cache (LRU) and LLMCache (LRU + TTL + single-flight): behaviour, threads, memory."""
import asyncio
import time

import pytest

from threadkit import run_in_threads, traced_growth

from prism_runtime import Cache, LLMCache
from prism_runtime.clock import ManualClock
from prism_runtime.errors import PrismError


def test_constructors():
    assert Cache(max_size=100).max_size == 100
    assert Cache.new(max_size=100).max_size == 100
    assert Cache().max_size == 1024
    c = LLMCache.new(max_size=5, ttl=2.0)
    assert (c.max_size, c.ttl) == (5, 2.0)
    assert (LLMCache().max_size, LLMCache().ttl) == (1000, 3600.0)
    with pytest.raises(PrismError):
        Cache(max_size=-1)


def test_get_or_compute_hits_and_misses():
    calls = []
    c = Cache(max_size=10)

    def fn(k):
        calls.append(k)
        return k * 2

    assert c.get_or_compute(3, fn) == 6
    assert c.get_or_compute(3, fn) == 6
    assert calls == [3]
    assert (c.hits, c.misses) == (1, 1)
    assert c.get(3) == 6 and c.get(4) is None and c.get(4, "d") == "d"
    assert (c.hits, c.misses) == (2, 3)
    c.set("x", None)
    assert c.get("x", "d") is None          # a stored None is a hit
    assert len(c) == 2 and c.len() == 2
    c.clear()
    assert len(c) == 0 and c.get(3) is None


def test_lru_eviction_order():
    c = Cache(max_size=3)
    for k in "abc":
        c.set(k, k)
    c.get("a")                 # a becomes most recent: order a, c, b
    c.set("d", "d")            # evicts b
    assert c.keys() == ["d", "a", "c"]
    assert c.get("b") is None
    c.set("c", "C")            # update moves c to front
    c.set("e", "e")            # evicts a
    assert c.keys() == ["e", "c", "d"]
    assert c.get("c") == "C"


def test_unhashable_key_raises():
    with pytest.raises(TypeError):
        Cache().get([1])


def test_threads_hammer_cache():
    c = Cache(max_size=64)

    def worker(seed):
        for i in range(50000):
            k = (i * 7 + seed) % 200
            v = c.get_or_compute(k, lambda k: k * 3)
            assert v == k * 3
            if i % 5 == 0:
                c.set(k, k * 3)

    run_in_threads(worker, [(s,) for s in range(4)])
    assert len(c) <= 64
    keys = c.keys()
    assert len(keys) == len(set(keys)) == len(c)


class SlowKey:
    """A key whose __eq__ runs Python code and sleeps, forcing thread switches mid-lookup."""

    def __init__(self, v):
        self.v = v

    def __hash__(self):
        return self.v % 8

    def __eq__(self, other):
        time.sleep(0)
        return isinstance(other, SlowKey) and other.v == self.v


def test_threads_with_python_level_keys():
    c = Cache(max_size=16)

    def worker(seed):
        for i in range(3000):
            k = SlowKey((i + seed) % 40)
            assert c.get_or_compute(k, lambda k: k.v) == k.v

    run_in_threads(worker, [(s,) for s in range(4)])
    assert len(c) <= 16 and len(c.keys()) == len(c)


def test_ttl_expiry():
    clock = ManualClock()
    c = LLMCache(max_size=10, ttl=0.05, clock=clock)
    c.set("p", "r")
    clock.advance(0.049)
    assert c.get("p") == "r" and "p" in c
    clock.advance(0.001)                        # exactly ttl after it was stored
    assert c.get("p") is None
    assert c.get("p", "gone") == "gone"
    c.set("q", 1)
    c.set("r", 2)
    clock.advance(0.03)
    c.set("r", 3)                               # storing again restarts its time
    clock.advance(0.03)
    assert "q" not in c and c.get("r") == 3 and len(c) == 1
    assert c.purge_expired() == 0
    clock.advance(0.02)
    assert c.purge_expired() == 1 and len(c) == 0


def test_ttl_on_the_real_clock():
    c = LLMCache(max_size=10, ttl=3600)
    c.set("p", "r")
    assert c.get("p") == "r" and len(c) == 1


def test_llm_cache_lru():
    c = LLMCache(max_size=2, ttl=60)
    c.set("a", 1)
    c.set("b", 2)
    c.get("a")
    c.set("c", 3)
    assert c.get("b") is None and c.get("a") == 1 and c.get("c") == 3


def test_single_flight_async():
    c = LLMCache(max_size=10, ttl=60)
    calls = []

    async def gen(prompt):
        calls.append(prompt)
        await asyncio.sleep(0)               # the nine other callers, already scheduled, run now
        return prompt.upper()

    async def main():
        return await asyncio.gather(*(c.get_or_generate("hi", gen) for _ in range(10)))

    assert asyncio.run(main()) == ["HI"] * 10
    assert calls == ["hi"]
    assert c.get("hi") == "HI"


def test_single_flight_plain_function_and_hit():
    c = LLMCache(max_size=10, ttl=60)
    calls = []

    def gen(prompt):
        calls.append(prompt)
        return len(prompt)

    async def main():
        a = await c.get_or_generate("abc", gen)
        b = await c.get_or_generate("abc", gen)
        return a, b

    assert asyncio.run(main()) == (3, 3)
    assert calls == ["abc"]


def test_single_flight_failure_propagates_and_is_not_cached():
    c = LLMCache(max_size=10, ttl=60)
    calls = []

    async def boom(prompt):
        calls.append(prompt)
        await asyncio.sleep(0)
        raise RuntimeError("provider down")

    async def main():
        return await asyncio.gather(*(c.get_or_generate("p", boom) for _ in range(10)),
                                    return_exceptions=True)

    results = asyncio.run(main())
    assert len(calls) == 1
    assert all(isinstance(r, RuntimeError) and str(r) == "provider down" for r in results)
    assert c.get("p") is None

    async def ok(prompt):
        return "fine"

    assert asyncio.run(c.get_or_generate("p", ok)) == "fine"


def test_single_flight_survives_a_cancelled_waiter():
    c = LLMCache(max_size=10, ttl=60)
    calls = []

    async def main():
        release = asyncio.Event()

        async def gen(prompt):
            calls.append(prompt)
            await release.wait()                # answers only when the test says so
            return "done"

        first = asyncio.ensure_future(c.get_or_generate("x", gen))
        await asyncio.sleep(0)                  # first starts the generation and waits on it
        second = asyncio.ensure_future(c.get_or_generate("x", gen))
        await asyncio.sleep(0)                  # second joins the same generation
        first.cancel()
        await asyncio.sleep(0)
        assert first.cancelled() and not second.done()
        release.set()
        return await second

    assert asyncio.run(main()) == "done"
    assert calls == ["x"]
    assert c.get("x") == "done"


def test_llm_cache_threads_hammer():
    c = LLMCache(max_size=50, ttl=60)

    def worker(seed):
        for i in range(30000):
            k = (i + seed) % 100
            if c.get(k) is None:
                c.set(k, k)
            else:
                assert c.get(k) == k

    run_in_threads(worker, [(s,) for s in range(4)])
    assert len(c) <= 50



def test_memory_flat_over_a_million_operations():
    c = Cache(max_size=1000)
    lc = LLMCache(max_size=1000, ttl=60)

    def ops(n):
        for i in range(n // 2):
            k = i % 5000
            c.get_or_compute(k, str)
            if lc.get(k) is None:
                lc.set(k, k)

    growth = traced_growth(ops, 1_000_000)
    assert growth < 512 * 1024, growth
