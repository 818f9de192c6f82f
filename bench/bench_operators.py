"""Operator dispatch benchmark: an overloaded operator on typed structs costs what a call does.

Usage: python bench/bench_operators.py [--quick]

Times a loop of `acc = acc + step` over a struct with `operator + for Vec2 Vec2`
(bench/kernels/operator_kernels.prism, built at -O3) against the same loop written
with a plain function call `acc = add(acc, step)`, both in one run, and a trait method
call on a typed receiver against the same arithmetic inlined. Issue 12's goal: the
operator within 1.1x of the call (the compiler calls the operator's function
directly, not through Python's number protocol). Also prints the Python baseline: a
class with `__add__`, as a Python programmer would write it.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _kernels import best_time, load_kernels  # noqa: E402


class Vec2:
    __slots__ = ("x", "y")

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __add__(self, other):
        return Vec2(self.x + other.x, self.y + other.y)


def python_sum(n):
    acc, step = Vec2(0.0, 0.0), Vec2(1.0, 0.5)
    for _ in range(n):
        acc = acc + step
    return acc.x + acc.y


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n = 500_000 if args.quick else 5_000_000
    m = load_kernels("operator_kernels")
    assert m.sum_with_operator(1000) == m.sum_with_call(1000) == python_sum(1000)
    operator = best_time(lambda: m.sum_with_operator(n), 7) / n
    call = best_time(lambda: m.sum_with_call(n), 7) / n
    python = best_time(lambda: python_sum(n // 10), 3) / (n // 10)
    print(f"vector addition, {n:,} iterations (-O3)")
    print(f"  operator +          {operator * 1e9:7.2f} ns/iteration")
    print(f"  function call add() {call * 1e9:7.2f} ns/iteration")
    print(f"  CPython __add__     {python * 1e9:7.2f} ns/iteration")
    print(f"operator / call = {operator / call:.3f}x (goal <= 1.1x); "
          f"CPython / operator = {python / operator:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
