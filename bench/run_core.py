"""Compiler-core benchmark: compiled Prism vs CPython vs hand-written C (-O3), in one run.

Usage: python bench/run_core.py [--quick]

Builds bench/kernels/core_kernels.prism at -O3 with the Prism compiler,
bench/baselines/kernels.c with gcc -O3 (called through ctypes), imports
bench/baselines/kernels.py, checks that all three agree, times each kernel
(best of several repeats) and prints the ratios. Targets (issue 2): at least
50x faster than CPython and within 1.2x of C on the first three kernels
(required: 20x and 2x); at least 10x faster than CPython on the list kernel.

Issue 15: the weighted average over arrays built in Prism (stored unboxed) should be at
least 30x CPython at 1M elements. The arrays cannot leave Prism, so the Prism function that
builds them times its own calls (time.perf_counter, the fastest of 7). Python
lists passed in take the list path (no copy); converting them to unboxed arrays first
(`prism_runtime.arrays.as_floats`) is timed on its own row.
"""
from __future__ import annotations

import argparse
import ctypes
import importlib.util
import random
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _kernels import best_time, load_kernels  # noqa: E402


def load_c(workdir: Path):
    so = workdir / "kernels_c.so"
    subprocess.run(["gcc", "-O3", "-shared", "-fPIC", str(HERE / "baselines" / "kernels.c"), "-o", str(so)],
                   check=True)
    lib = ctypes.CDLL(str(so))
    lib.accumulate.restype, lib.accumulate.argtypes = ctypes.c_double, [ctypes.c_longlong]
    lib.fib.restype, lib.fib.argtypes = ctypes.c_longlong, [ctypes.c_longlong]
    lib.mandelbrot.restype = ctypes.c_longlong
    lib.mandelbrot.argtypes = [ctypes.c_longlong] * 3
    lib.weighted_average.restype = ctypes.c_double
    lib.weighted_average.argtypes = [ctypes.POINTER(ctypes.c_double), ctypes.POINTER(ctypes.c_double),
                                     ctypes.c_size_t]
    return lib


def load_python():
    spec = importlib.util.spec_from_file_location("kernels_py", HERE / "baselines" / "kernels.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller sizes (for smoke tests)")
    args = parser.parse_args()
    scale = 0.1 if args.quick else 1.0
    n_acc = int(20_000_000 * scale)
    n_fib = 27 if not args.quick else 20
    w, h, it = int(400 * scale ** 0.5), int(300 * scale ** 0.5), 200
    n_list = int(1_000_000 * scale)
    rng = random.Random(7)
    values = [rng.random() for _ in range(n_list)]
    weights = [rng.random() for _ in range(n_list)]
    n_small = n_list // 10
    small_values, small_weights = values[:n_small], weights[:n_small]

    with tempfile.TemporaryDirectory() as tmp:
        prism, clib, py = load_kernels("core_kernels"), load_c(Path(tmp)), load_python()

        # C gets its data as C arrays, converted once outside the timing (a C program
        # would already have them); Prism and CPython read the Python lists.
        c_arrays = {}
        for vs, ws in ((values, weights), (small_values, small_weights)):
            c_arrays[len(vs)] = ((ctypes.c_double * len(vs))(*vs), (ctypes.c_double * len(ws))(*ws))

        def c_weighted(n):
            return clib.weighted_average(c_arrays[n][0], c_arrays[n][1], n)

        kernels = [
            ("float accumulation", lambda m: m.accumulate(n_acc), f"n={n_acc:,}"),
            ("recursive fib", lambda m: m.fib(n_fib), f"n={n_fib}"),
            ("mandelbrot count", lambda m: m.mandelbrot(w, h, it), f"{w}x{h}, {it} iterations"),
            ("weighted average (lists)", lambda m: m.weighted_average(small_values, small_weights),
             f"n={n_small:,}"),
            ("weighted average (lists)", lambda m: m.weighted_average(values, weights), f"n={n_list:,}"),
        ]
        print(f"{'kernel':26} {'size':24} {'CPython':>10} {'Prism':>10} {'C -O3':>10} "
              f"{'vs CPython':>11} {'vs C':>8}")
        failures = 0
        # The default build guards recursive functions against C stack exhaustion (issue 7);
        # the same fib without the guard shows what the guard costs.
        unguarded = load_kernels("core_kernels", stack_guard=False, module_name="core_kernels_unguarded")
        kernels.insert(2, ("recursive fib, no guard", lambda m: (unguarded if m is prism else m).fib(n_fib),
                           f"n={n_fib}, --no-stack-guard"))
        for label, call, size in kernels:
            want = call(py)
            got = call(prism)
            if label.startswith("weighted"):
                n = n_small if size == f"n={n_small:,}" else n_list
                c_value, c_fn = c_weighted(n), (lambda n=n: c_weighted(n))
            else:
                c_value, c_fn = call(clib), (lambda call=call: call(clib))
            if abs(got - want) > 1e-6 * max(1.0, abs(want)) or abs(c_value - want) > 1e-6 * max(1.0, abs(want)):
                print(f"{label}: results differ: CPython {want}, Prism {got}, C {c_value}")
                failures += 1
                continue
            t_py = best_time(lambda: call(py), 3 if not args.quick else 1)
            t_prism = best_time(lambda: call(prism), 7)
            t_c = best_time(c_fn, 7)
            print(f"{label:26} {size:24} {t_py * 1e3:9.1f}ms {t_prism * 1e3:9.2f}ms {t_c * 1e3:9.2f}ms "
                  f"{t_py / t_prism:10.1f}x {t_prism / t_c:7.2f}x")
        failures += unboxed_rows(prism, py, clib, n_list, args.quick)
        print("(vs CPython: how many times faster compiled Prism is; vs C: Prism time / C time, 1.00 = equal)")
        return 1 if failures else 0


def unboxed_rows(prism, py, clib, n: int, quick: bool) -> int:
    """The weighted average over arrays built in Prism, and the cost of converting lists."""
    from prism_runtime.arrays import as_floats
    values, weights = py.lcg_arrays(n)
    want = py.weighted_average(values, weights)
    got = prism.weighted_average_built(n, 1, False)
    if abs(got - want) > 1e-9 * abs(want):
        print(f"weighted average (built in Prism): results differ: CPython {want}, Prism {got}")
        return 1
    t_build = best_time(lambda: prism.weighted_average_built(n, 0, False), 5)
    t_prism = prism.weighted_average_built(n, 7, True)      # the fastest of 7, timed in Prism
    t_py = best_time(lambda: py.weighted_average(values, weights), 3 if not quick else 1)
    c_values, c_weights = (ctypes.c_double * n)(*values), (ctypes.c_double * n)(*weights)
    t_c = best_time(lambda: clib.weighted_average(c_values, c_weights, n), 7)
    size = f"n={n:,}"
    print(f"{'weighted avg (built)':26} {size:24} {t_py * 1e3:9.1f}ms {t_prism * 1e3:9.2f}ms {t_c * 1e3:9.2f}ms "
          f"{t_py / t_prism:10.1f}x {t_prism / t_c:7.2f}x")
    t_convert = best_time(lambda: (as_floats(values), as_floats(weights)), 5)
    nv, nw = as_floats(values), as_floats(weights)
    t_converted = best_time(lambda: prism.weighted_average(nv, nw), 7)
    print(f"{'weighted avg (as_floats)':26} {size:24} {t_py * 1e3:9.1f}ms {t_converted * 1e3:9.2f}ms "
          f"{t_c * 1e3:9.2f}ms {t_py / t_converted:10.1f}x {t_converted / t_c:7.2f}x"
          f"   + {t_convert * 1e3:.2f}ms to convert both lists once")
    print(f"  (building both arrays in Prism: {t_build * 1e3:.1f}ms; in CPython: "
          f"{best_time(lambda: py.lcg_arrays(n), 1) * 1e3:.1f}ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
