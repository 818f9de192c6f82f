"""Context benchmark: `in ctx { }` entered and left from compiled Prism code.

Usage: python bench/bench_context.py [--quick]

Times a compiled loop that enters and leaves a context on every iteration
against the same loop without the context (bench/kernels/context_kernels.prism),
and prints the difference per enter+exit pair. Target (issue 4): 50 ns per
pair (required: 300 ns). bench/bench_runtime.py covers the Python-level side.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _kernels import best_time, load_kernels  # noqa: E402






def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    n = 200_000 if parser.parse_args().quick else 2_000_000
    m = load_kernels("context_kernels")
    assert m.enter_exit(10) == 10 and m.enter_exit_named(10) == 10
    base = best_time(lambda: m.empty_loop(n)) / n
    ctx = best_time(lambda: m.enter_exit(n)) / n
    named = best_time(lambda: m.enter_exit_named(n)) / n
    print(f"empty loop                 : {base * 1e9:7.1f} ns/iteration")
    print(f"in ctx {{ }} (Context value)  : {(ctx - base) * 1e9:7.1f} ns per enter+exit "
          f"(goal 50 ns, required 300 ns)")
    print(f"in context Named {{ }}        : {(named - base) * 1e9:7.1f} ns per enter+exit (name lookup included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
