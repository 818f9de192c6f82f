"""Context: store, confidence, duration, nesting, isolation across threads and tasks, ContextPool."""
import asyncio
import threading

import pytest

from threadkit import run_in_threads

import prism_runtime.context as context
from prism_runtime import Context
from prism_runtime.clock import ManualClock
from prism_runtime.errors import PrismError


def test_constructors_and_store():
    for ctx in (Context("a"), Context.new("a"), Context(name="a")):
        assert ctx.name == "a"
        assert ctx.confidence == 1.0
        assert ctx.duration == 0.0
    ctx = Context("s")
    ctx.set("k", 1)
    ctx["j"] = 2
    assert ctx.get("k") == 1 and ctx["j"] == 2
    assert ctx.get("missing") is None and ctx.get("missing", 5) == 5
    assert ctx.has("k") and "j" in ctx and not ctx.has("zz")
    assert ctx.keys() == ["k", "j"]
    assert ctx.delete("k") is True and ctx.delete("k") is False
    with pytest.raises(KeyError):
        ctx["k"]


def test_current_and_nesting():
    assert context.current() is None
    a, b = Context("a"), Context("b")
    with a:
        assert context.current() is a
        with b:
            assert context.current() is b
        assert context.current() is a
    assert context.current() is None
    tok = context.enter_py(a)
    assert context.current() is a
    context.exit_py(tok)
    assert context.current() is None


def test_named_contexts_are_process_wide():
    tok = context.enter_py("A")
    a = context.current()
    assert isinstance(a, Context) and a.name == "A"
    context.exit_py(tok)
    tok = context.enter_py("A")
    assert context.current() is a is context.named("A")
    context.exit_py(tok)
    with pytest.raises(PrismError):
        context.enter_py(42)


def test_confidence_mean():
    ctx = Context("c")
    context.report_confidence(0.1)          # no context: ignored, cheap
    with ctx:
        context.report_confidence(0.5)
        context.report_confidence(1.0)
        inner = Context("inner")
        with inner:
            context.report_confidence(0.2)  # only the innermost context
    assert ctx.confidence == pytest.approx(0.75)
    assert ctx.confidence_count == 2
    assert inner.confidence == pytest.approx(0.2)
    assert context.active_hooks() == 0


def test_duration_accumulates():
    clock = ManualClock()
    ctx = Context("d", clock=clock)
    with ctx:
        clock.advance(0.02)
        assert ctx.duration == pytest.approx(0.02)
    clock.advance(0.5)
    assert ctx.duration == pytest.approx(0.02)     # not current: does not grow
    with ctx:
        with ctx:                                  # nested entries count once
            clock.advance(0.03)
    assert ctx.duration == pytest.approx(0.05)


def test_duration_on_the_real_clock():
    ctx = Context("real")
    with ctx:
        sum(range(1000))
    assert ctx.duration > 0.0


def test_exception_inside_with_restores():
    ctx = Context("e")
    with pytest.raises(ValueError):
        with ctx:
            raise ValueError("x")
    assert context.current() is None


def test_isolated_between_threads():
    seen = {}
    barrier = threading.Barrier(4)

    def worker(i):
        ctx = Context(f"t{i}")
        with ctx:
            barrier.wait()
            for _ in range(1000):
                assert context.current() is ctx
                context.report_confidence(i / 10)
            barrier.wait()
            seen[i] = (context.current().name, ctx.confidence)
        assert context.current() is None

    run_in_threads(worker, [(i,) for i in range(4)])   # a failed assert in a thread fails the test
    for i in range(4):
        assert seen[i][0] == f"t{i}"
        assert seen[i][1] == pytest.approx(i / 10)


def test_same_named_context_entered_in_two_threads():
    shared = context.named("shared-between-threads")
    barrier = threading.Barrier(2)

    def worker():
        with shared:
            barrier.wait()                  # both threads are inside at once
            barrier.wait()
        assert context.current() is None

    run_in_threads(worker, [() for _ in range(2)])
    assert not shared.active


def test_isolated_between_asyncio_tasks():
    async def task(i):
        ctx = Context(f"task{i}")
        with ctx:
            for _ in range(5):
                await asyncio.sleep(0)
                assert context.current() is ctx
                context.report_confidence(0.1 * (i + 1))
        assert context.current().name == "outer"   # inherited from the parent task
        return ctx.confidence

    async def main():
        outer = Context("outer")
        with outer:
            results = await asyncio.gather(*(task(i) for i in range(5)))
            assert context.current() is outer
        return results

    results = asyncio.run(main())
    assert context.current() is None
    assert results == pytest.approx([0.1, 0.2, 0.3, 0.4, 0.5])
