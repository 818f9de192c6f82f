"""Debugging benchmark: debug macros cost nothing in a release build; what `--debug` costs.

Usage: python bench/bench_debug.py [--quick]

1. Zero cost (docs/debugging.md): `loop_with_macros` is `plain_loop` with a
   `debug!`, a `debug_confidence!` and a `debug_context!` in its body
   (bench/kernels/debug_kernels.prism); both built as release builds (-O3) and
   timed in the same run. The ratio should be 1.00 within noise: the macros
   compile to nothing.
2. Tracing overhead of `--debug`: `confident_work` (a `~>`, a `~c` function, a
   confident sum and a context block per iteration) built as a development build
   (-O0, no tracing), a debug build (`--debug`: -O0 -g, factor trails, traced
   contexts) and a debug build while recording (`prism inspect`), against the
   release build (-O3); ratios to the development build, the one `--debug`
   replaces.

Each figure is the fastest of several timed calls (bench/_kernels.best_time).
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _kernels import best_time  # noqa: E402

from transpiler.toolchain.build import BuildOptions, build_module  # noqa: E402

KERNELS = HERE / "kernels" / "debug_kernels.prism"


def load(options: BuildOptions, module_name: str):
    result = build_module(KERNELS, module_name, options)
    spec = importlib.util.spec_from_file_location(module_name, result.extension)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n = 2_000_000 if args.quick else 20_000_000
    work_n = 20_000 if args.quick else 200_000

    release = load(BuildOptions(opt_level=3), "debug_kernels_release")
    assert release.plain_loop(1000) == release.loop_with_macros(1000)
    plain = best_time(lambda: release.plain_loop(n), 7) / n
    macros = best_time(lambda: release.loop_with_macros(n), 7) / n
    print("zero cost (release build, -O3):")
    print(f"  loop without debug macros : {plain * 1e9:7.3f} ns/iteration")
    print(f"  loop with 3 debug macros  : {macros * 1e9:7.3f} ns/iteration   ({macros / plain:.2f}x)")

    from prism_runtime import trace
    development = load(BuildOptions(opt_level=0), "debug_kernels_dev")
    debug = load(BuildOptions(opt_level=0, debug=True), "debug_kernels_debug")
    times = {"release (-O3)": best_time(lambda: release.confident_work(work_n), 5) / work_n,
             "development (-O0)": best_time(lambda: development.confident_work(work_n), 5) / work_n,
             "debug (--debug)": best_time(lambda: debug.confident_work(work_n), 5) / work_n}

    def recorded():
        trace.start_recording()
        try:
            debug.confident_work(work_n)
        finally:
            trace.stop_recording()
    times["debug, recording (inspect)"] = best_time(recorded, 3) / work_n
    base = times["development (-O0)"]
    print("tracing overhead (a ~>, a ~c call, a confident sum and a context block per iteration):")
    for name, t in times.items():
        print(f"  {name:<28}: {t * 1e9:9.1f} ns/iteration   ({t / base:.2f}x development)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
