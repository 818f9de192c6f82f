"""Helpers for the debugging tests (docs/debugging.md): write a program, run `prism` on it.

Every program is compiled and run for real, as a subprocess of the CLI (`python -m
transpiler`), with the session's shared build cache (tests/conftest.py, prism_env).
"""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

TIMEOUT = 300


@pytest.fixture
def prism(tmp_path, prism_env):
    """prism(source, *args, name="prog", env=None) writes source to tmp_path/NAME.prism and runs
    `prism ARGS... NAME.prism` there (args: e.g. "run", "--debug"); returns the CompletedProcess."""
    def run(source: str, *args, name: str = "prog", env: dict = None, file_last: bool = True):
        path = tmp_path / f"{name}.prism"
        path.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
        command = [*args, path.name] if file_last else list(args)
        return run_prism(command, tmp_path, {**prism_env, **(env or {})})
    return run


def run_prism(args, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "transpiler", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, encoding="utf-8", errors="replace", timeout=TIMEOUT)


def lines_tagged(stderr: str, tag: str) -> list:
    """The stderr lines a debug report wrote with `[tag]` (continuation lines attached)."""
    out = []
    for line in stderr.splitlines():
        if line.startswith(f"[{tag}] "):
            out.append(line)
        elif line.startswith("    ") and out:
            out[-1] += "\n" + line
    return out
