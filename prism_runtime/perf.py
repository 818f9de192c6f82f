"""`std/perf`: the `benchmark` marker and the timing helpers behind `prism bench`.

Prism code writes `import { benchmark } from "std/perf"` and marks functions
with `#[benchmark]`; the compiler records the mark through
`prism_runtime.core.attribute` (a `__prism_attributes__` dict on the function),
and `benchmark` here also works as a plain decorator from Python. The timing
functions (`measure`, `choose_iterations`, `summarize`, `compare`) are used by
`transpiler.tools.project_run` (`prism bench`); they depend on nothing but the
standard library.
"""
from __future__ import annotations

import asyncio
import inspect
import statistics
import time
from typing import Callable


def benchmark(fn=None, *args):
    """Mark fn as a benchmark (`#[benchmark]`); usable as `@benchmark` from Python too."""
    def mark(f):
        marks = dict(getattr(f, "__prism_attributes__", {}))
        marks["benchmark"] = args
        try:
            f.__prism_attributes__ = marks
        except (AttributeError, TypeError):
            pass
        return f
    return mark(fn) if callable(fn) else mark


def is_marked(fn, name: str) -> bool:
    return name in (getattr(fn, "__prism_attributes__", None) or {})


def call_sync(fn: Callable):
    """Call fn; if it returns an awaitable (an async Prism fn), run it to completion."""
    result = fn()
    if inspect.isawaitable(result):
        async def wait():
            return await result
        return asyncio.run(wait())
    return result


def _time_batch(fn: Callable, n: int) -> float:
    clock = time.perf_counter
    start = clock()
    for _ in range(n):
        call_sync(fn)
    return clock() - start


def choose_iterations(fn: Callable, target: float = 0.02, limit: int = 1_000_000) -> int:
    """The smallest power-of-ten-ish iteration count whose batch takes at least `target` seconds."""
    n = 1
    while n < limit:
        elapsed = _time_batch(fn, n)
        if elapsed >= target:
            return n
        # Grow towards the target, at least x2 and at most x10 per step.
        factor = target / elapsed if elapsed > 0 else 10
        n = min(limit, max(n * 2, int(n * min(10.0, factor * 1.2))))
    return limit


def measure(fn: Callable, repeats: int = 7, warmup: float = 0.01, target: float = 0.02) -> dict:
    """Warm up, choose an iteration count, then time `repeats` batches. Times are per call, seconds."""
    end = time.perf_counter() + warmup
    call_sync(fn)
    while time.perf_counter() < end:
        call_sync(fn)
    iterations = choose_iterations(fn, target)
    samples = [_time_batch(fn, iterations) / iterations for _ in range(repeats)]
    return summarize(samples, iterations)


def summarize(samples: list, iterations: int) -> dict:
    med = statistics.median(samples)
    mad = statistics.median(abs(s - med) for s in samples)
    return {"median": med, "mad": mad, "min": min(samples), "max": max(samples),
            "iterations": iterations, "repeats": len(samples), "samples": samples}


def compare(old: dict, new: dict, threshold: float = 0.05) -> tuple[str, float]:
    """('faster' | 'slower' | 'same', ratio new/old). A change counts only when it exceeds both
    the relative threshold and three times the combined spread (MAD) of the two runs."""
    ratio = new["median"] / old["median"] if old["median"] else float("inf")
    noise = 3 * (old.get("mad", 0.0) + new.get("mad", 0.0))
    delta = new["median"] - old["median"]
    if abs(delta) <= noise or abs(ratio - 1) <= threshold:
        return "same", ratio
    return ("slower" if delta > 0 else "faster"), ratio


def format_time(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"
