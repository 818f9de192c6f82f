"""Differential testing: type inference never changes what a program means.

Every run case of the corpus (`tests/cases/*.prism` with a `.out`) runs twice,
as `prism run -O0` (typed: C types where inference found them) and as
`prism run -O0 --untyped` (every value a Python object), and the two runs must
print the same stdout, the same stderr and end with the same exit status.
Both go through the corpus harness of `tests/test_cases.py` (its runner and
its normalisation of paths), one test per case so xdist spreads them.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_HARNESS_PATH = Path(__file__).resolve().parents[1] / "test_cases.py"
_spec = importlib.util.spec_from_file_location("prism_case_harness", _HARNESS_PATH)
harness = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(harness)

RUN_CASES = [p for p in harness._cases("run") if p.with_suffix(".out").exists()]


def test_corpus_is_not_empty():
    assert len(RUN_CASES) >= harness.MIN_RUN_CASES


@pytest.mark.parametrize("source", RUN_CASES, ids=lambda p: p.stem)
def test_typed_and_untyped_agree(source: Path, prism_env):
    typed = harness._run(["run", "-O0", str(source)], prism_env)
    untyped = harness._run(["run", "-O0", "--untyped", str(source)], prism_env)
    assert "internal compiler error" not in typed.stderr + untyped.stderr, untyped.stderr
    assert harness._strip_dir(untyped.stdout) == harness._strip_dir(typed.stdout), (
        f"{source.name}: stdout differs\n--- typed ---\n{typed.stdout}--- untyped ---\n{untyped.stdout}")
    assert harness._strip_dir(untyped.stderr) == harness._strip_dir(typed.stderr), (
        f"{source.name}: stderr differs\n--- typed ---\n{typed.stderr}--- untyped ---\n{untyped.stderr}")
    assert untyped.returncode == typed.returncode
