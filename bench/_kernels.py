"""Shared by the bench scripts: build a Prism kernel file at -O3 and time calls.

Talks to `transpiler.toolchain.build` (the same cached build `prism run` uses).
"""
from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

from transpiler.toolchain.build import BuildOptions, build_module  # noqa: E402


def load_kernels(name: str, opt_level: int = 3, stack_guard: bool = True, module_name: str = ""):
    """Compile bench/kernels/<name>.prism and import it (under module_name, if given)."""
    name_in_python = module_name or name
    result = build_module(BENCH / "kernels" / f"{name}.prism", name_in_python,
                          BuildOptions(opt_level=opt_level, stack_guard=stack_guard))
    name = name_in_python
    spec = importlib.util.spec_from_file_location(name, result.extension)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def best_time(fn, repeats: int = 7) -> float:
    """The fastest of `repeats` timed calls, in seconds (the least disturbed by other load)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best
