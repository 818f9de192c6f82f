"""The repository's Prism programs, for the editor tooling tests (formatter, highlighting)."""
from __future__ import annotations

from pathlib import Path

from transpiler.front.diagnostics import CompileError
from transpiler.front.parser import parse_module

REPO = Path(__file__).resolve().parents[2]


def parses(path: Path) -> bool:
    try:
        parse_module(path.read_bytes(), str(path))
        return True
    except CompileError:
        return False


def valid_programs(*dirs: str) -> list:
    """Every .prism file under the given repository directories that parses, sorted."""
    return [p for d in dirs for p in sorted((REPO / d).rglob("*.prism")) if parses(p)]


def ids(paths: list) -> list:
    return [str(p.relative_to(REPO)) for p in paths]
