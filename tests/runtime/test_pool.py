"""ContextPool and TensorPool: reuse, reset, growth, misuse errors, threads, memory."""
import numpy as np
import pytest

from threadkit import run_in_threads, traced_growth

import prism_runtime.context as context
from prism_runtime import Context, ContextPool, TensorPool
from prism_runtime.clock import ManualClock
from prism_runtime.errors import PrismError


def test_pool_reuses_and_resets():
    clock = ManualClock()
    pool = ContextPool(max_size=2, clock=clock)
    assert isinstance(ContextPool.new(max_size=2), ContextPool)
    ctx = pool.acquire("first")
    ctx.set("k", 1)
    with ctx:
        context.report_confidence(0.3)
        clock.advance(0.01)
    assert ctx.duration == pytest.approx(0.01) and ctx.confidence == pytest.approx(0.3)
    pool.release(ctx)
    again = pool.acquire("second")
    assert again is ctx
    assert again.name == "second"
    assert again.keys() == [] and again.confidence == 1.0 and again.duration == 0.0


def test_pool_keeps_at_most_max_size_idle():
    pool = ContextPool(max_size=2)
    ctxs = [pool.acquire("x") for _ in range(5)]
    for c in ctxs:
        pool.release(c)
    assert pool.idle == 2
    assert {id(pool.acquire("y")) for _ in range(2)} <= {id(c) for c in ctxs}


def test_pool_double_and_foreign_release():
    pool, other = ContextPool(max_size=4), ContextPool(max_size=4)
    ctx = pool.acquire("a")
    pool.release(ctx)
    with pytest.raises(PrismError):
        pool.release(ctx)
    with pytest.raises(PrismError):
        other.release(pool.acquire("b"))
    with pytest.raises(PrismError):
        pool.release(Context("not pooled"))
    # a dropped context (pool was full) still cannot be released again
    small = ContextPool(max_size=0)
    c = small.acquire("z")
    small.release(c)
    with pytest.raises(PrismError):
        small.release(c)


def test_pool_release_while_entered():
    pool = ContextPool(max_size=1)
    ctx = pool.acquire("a")
    with ctx:
        with pytest.raises(PrismError):
            pool.release(ctx)
    pool.release(ctx)


def test_pool_threads_hammer():
    pool = ContextPool(max_size=8)

    def worker():
        for i in range(20000):
            c = pool.acquire("w")
            assert c.keys() == []
            c.set("i", i)
            pool.release(c)

    run_in_threads(worker, [() for _ in range(4)])
    assert pool.idle <= 8


def test_tensor_pool_defaults_and_new():
    for p in (TensorPool(), TensorPool.new()):
        t = p.acquire()
        assert t.shape == (256,) and t.dtype == np.float32
        assert p.stats() == {"size": 16, "idle": 15, "in_use": 1, "grown": 0}
    p = TensorPool.new(initial_size=4, growth_factor=1.5, shape=[2, 3], dtype="int64")
    assert p.acquire().shape == (2, 3)
    assert p.acquire().dtype == np.int64


def test_tensor_pool_zeroed_on_acquire_and_reused():
    p = TensorPool(initial_size=1, shape=(8,))
    t = p.acquire()
    t[:] = 5
    p.release(t)
    u = p.acquire()
    assert u is t and not u.any()
    u[:] = 3
    p.release(u)
    u[:] = 9                                 # misuse after release...
    assert not p.acquire().any()             # ...still handed out zeroed


def test_tensor_pool_grows_by_factor():
    p = TensorPool(initial_size=4, growth_factor=2.0, shape=(4,))
    held = [p.acquire() for _ in range(4)]
    assert p.stats() == {"size": 4, "idle": 0, "in_use": 4, "grown": 0}
    held.append(p.acquire())
    assert p.stats() == {"size": 8, "idle": 3, "in_use": 5, "grown": 1}
    held += [p.acquire() for _ in range(4)]
    assert p.stats()["size"] == 16 and p.stats()["grown"] == 2
    assert len({id(t) for t in held}) == len(held)
    for t in held:
        p.release(t)
    assert p.stats() == {"size": 16, "idle": 16, "in_use": 0, "grown": 2}
    q = TensorPool(initial_size=1, growth_factor=1.1, shape=(1,))
    q.acquire(); q.acquire()                 # grows by at least one
    assert q.stats()["size"] == 2


def test_tensor_pool_misuse():
    p, other = TensorPool(initial_size=2), TensorPool(initial_size=2)
    t = p.acquire()
    with pytest.raises(PrismError):
        other.release(t)
    with pytest.raises(PrismError):
        p.release(np.zeros(256, np.float32))
    with pytest.raises(PrismError):
        p.release(t[:10])                    # a view is not the pooled array
    with pytest.raises(PrismError):
        p.release("nope")
    p.release(t)
    with pytest.raises(PrismError):
        p.release(t)
    idle = p.acquire()
    with pytest.raises(ValueError):
        idle.resize(1000)                    # pooled arrays cannot be reallocated
    with pytest.raises(PrismError):
        TensorPool(dtype=object)
    with pytest.raises(PrismError):
        TensorPool(shape=())


def test_tensor_pool_threads_hammer():
    p = TensorPool(initial_size=2, shape=(16,))

    def worker(v):
        for _ in range(20000):
            t = p.acquire()
            assert not t.any()
            t[:] = v
            assert (t == v).all()
            p.release(t)

    run_in_threads(worker, [(v,) for v in range(1, 5)])
    s = p.stats()
    assert s["in_use"] == 0 and s["idle"] == s["size"] <= 8



def test_memory_flat_over_a_million_pool_operations():
    tp = TensorPool(initial_size=4)
    cp = ContextPool(max_size=4)

    def ops(n):
        for _ in range(n // 2):
            tp.release(tp.acquire())
            cp.release(cp.acquire("m"))

    assert traced_growth(ops, 1_000_000) < 256 * 1024
