"""Compile-time scaling: front end + passes + .pyx emission on generated 1k, 5k and 20k line files.

    python bench/bench_compile.py [--sizes 1000 5000 20000] [--repeat 3]

Each file is a mix of functions, structs, loops, match, lambdas and confidence
built by repeating varied blocks (tests/hardening/progen.py's ProgramGen with
fixed seeds, names kept unique per block). Only `pipeline.transpile` is timed
(no Cython, no C compiler); the best of --repeat runs is reported as lines per
second, and the ratio between the largest and smallest size's rate shows
whether compile time grows linearly (a ratio near 1.0).
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "hardening"))

from progen import ProgramGen, RandomChooser  # noqa: E402

from transpiler.pipeline import transpile  # noqa: E402

_NAME = re.compile(r"\b(v\d+|[A-Za-z_]+\d+)\b")


def block(k: int) -> str:
    """One self-contained chunk of program whose top-level names end in _b{k}."""
    text = ProgramGen(RandomChooser(k % 50), max_depth=3).program()
    return _NAME.sub(lambda m: f"{m.group(1)}_b{k}", text)


def source_of(lines: int) -> str:
    out, count, k = [], 0, 0
    while count < lines:
        chunk = block(k)
        out.append(chunk)
        count += chunk.count("\n")
        k += 1
    return "".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rates = {}
    for size in args.sizes:
        src = source_of(size).encode()
        n_lines = src.count(b"\n")
        best = float("inf")
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            result = transpile(src, f"gen_{size}.prism", f"gen_{size}")
            best = min(best, time.perf_counter() - t0)
        rates[size] = n_lines / best
        print(f"{n_lines:>7} lines  {best:8.3f} s  {rates[size]:>9.0f} lines/s  "
              f"({len(result.pyx.splitlines())} lines of .pyx)", flush=True)
    if len(rates) > 1:
        lo, hi = min(rates), max(rates)
        print(f"rate at {hi} lines / rate at {lo} lines = {rates[hi] / rates[lo]:.2f} (1.0 = linear)")


if __name__ == "__main__":
    main()
