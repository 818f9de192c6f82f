"""Runtime micro-benchmarks: Prism's Cache, LLMCache, ContextPool, TensorPool and
Context against the Python/numpy equivalents, measured in the same run.

    python bench/bench_runtime.py

Each figure is the best of 5 timeit repeats (ns per operation); targets and
required bounds come from issue 4.
"""
import functools
import os
import sys
import timeit

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np

try:
    import cachetools
except ImportError:                        # pragma: no cover
    cachetools = None

from prism_runtime import Cache, Context, ContextPool, LLMCache, TensorPool


def best_ns(stmt, number, setup=None, globs=None):
    t = timeit.Timer(stmt, setup=setup or "pass", globals=globs)
    return min(t.repeat(repeat=5, number=number)) / number * 1e9


def main():
    rows = []
    failed = []

    def report(label, ns, base_label=None, base_ns=None, target=None, required=None, lower_ratio_better=True):
        line = f"{label:<44} {ns:8.1f} ns"
        if base_ns is not None:
            ratio = base_ns / ns
            line += f"   {base_label}: {base_ns:8.1f} ns   speed-up x{ratio:5.2f}"
            if required is not None:
                ok = ratio >= required
                line += f"   (target x{target}, required x{required}: {'OK' if ok else 'FAIL'})"
                if not ok:
                    failed.append(label)
        elif required is not None:
            ok = ns <= required
            line += f"   (target {target} ns, required {required} ns: {'OK' if ok else 'FAIL'})"
            if not ok:
                failed.append(label)
        rows.append(line)
        print(line, flush=True)

    n = 1_000_000

    # Cache.get_or_compute hit vs functools.lru_cache hit
    cache = Cache(max_size=1024)
    fn = lambda k: k * 2
    cache.get_or_compute(1, fn)
    cached = functools.lru_cache(maxsize=1024)(fn)
    cached(1)
    g = {"cache": cache, "fn": fn, "cached": cached}
    prism = best_ns("cache.get_or_compute(1, fn)", n, globs=g)
    base = best_ns("cached(1)", n, globs=g)
    # required: within 1.5x of lru_cache, i.e. speed-up >= 1/1.5
    report("Cache.get_or_compute hit", prism, "lru_cache hit", base, target=1.0, required=round(1 / 1.5, 3))

    # LLMCache.get hit vs cachetools.TTLCache.get hit
    llm = LLMCache(max_size=1000, ttl=3600.0)
    llm.set("prompt", "answer")
    g = {"llm": llm}
    prism = best_ns("llm.get('prompt')", n, globs=g)
    if cachetools is not None:
        ttl = cachetools.TTLCache(maxsize=1000, ttl=3600.0)
        ttl["prompt"] = "answer"
        g["ttl"] = ttl
        base = best_ns("ttl.get('prompt')", n // 4, globs=g)
        report("LLMCache.get hit", prism, "TTLCache.get hit", base, target=5, required=2)
    else:
        report("LLMCache.get hit (cachetools missing)", prism)

    # ContextPool acquire + release
    pool = ContextPool(max_size=16)
    g = {"pool": pool}
    prism = best_ns("pool.release(pool.acquire('validation'))", n, globs=g)
    report("ContextPool acquire+release", prism, target=100, required=300)

    # TensorPool acquire + release vs numpy.zeros
    tp = TensorPool(initial_size=16, shape=(256,), dtype="float32")
    g = {"tp": tp, "np": np, "f32": np.float32}
    prism = best_ns("tp.release(tp.acquire())", n, globs=g)
    base = best_ns("np.zeros(256, f32)", n, globs=g)
    report("TensorPool acquire+release", prism, "numpy.zeros(256, float32)", base, target=4, required=2)

    # Context enter + exit from Python
    ctx = Context("bench")
    g = {"ctx": ctx}
    prism = best_ns("with ctx: pass", n, globs=g)
    report("Context enter+exit (`with ctx:`)", prism)

    # what generated code pays: C-level enter/exit and note_confidence
    from prism_runtime.context import _bench_c_level
    c_level = [_bench_c_level(ctx, n) for _ in range(5)]
    best = {k: min(r[k] for r in c_level) for k in c_level[0]}
    report("Context enter+exit from C", best["enter_exit"], target=50, required=100)
    report("Context enter+exit from C, by name", min(_bench_c_level("bench-named", n)["enter_exit"] for _ in range(5)))
    report("note_confidence, no context active", best["note_idle"])
    report("note_confidence, inside a context", best["note_active"])

    if failed:
        print("FAILED required bounds: " + ", ".join(failed))
        return 1
    print("all required bounds met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
