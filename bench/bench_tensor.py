"""Tensor benchmark: a dot product over `tensor` parameters (typed memoryviews).

Usage: python bench/bench_tensor.py [--quick]

Compares compiled Prism (bench/kernels/tensor_kernels.prism, -O3) with the same loop in
CPython over the numpy arrays, and with numpy.dot (BLAS), measured in the same run, for
float64 and float32 arrays.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _kernels import best_time, load_kernels  # noqa: E402


def python_dot(a, b):
    s = 0.0
    for i in range(len(a)):
        s += a[i] * b[i]
    return s


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    n = 100_000 if parser.parse_args().quick else 1_000_000
    m = load_kernels("tensor_kernels")
    print(f"{'dtype':8} {'CPython loop':>13} {'Prism':>10} {'numpy.dot':>10} {'vs CPython':>11} {'vs numpy':>9}")
    for dtype in ("float64", "float32"):
        rng = numpy.random.default_rng(3)
        a, b = rng.random(n).astype(dtype), rng.random(n).astype(dtype)
        assert abs(m.dot(a, b) - float(numpy.dot(a.astype("float64"), b.astype("float64")))) < 1e-3 * n
        t_py = best_time(lambda: python_dot(a, b), 3)
        t_prism = best_time(lambda: m.dot(a, b))
        t_np = best_time(lambda: numpy.dot(a, b))
        print(f"{dtype:8} {t_py * 1e3:11.1f}ms {t_prism * 1e3:8.2f}ms {t_np * 1e3:8.2f}ms "
              f"{t_py / t_prism:10.1f}x {t_prism / t_np:8.2f}x")
    print(f"(n={n:,}; vs numpy: Prism time / numpy.dot time, 1.00 = equal; numpy.dot uses BLAS)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
