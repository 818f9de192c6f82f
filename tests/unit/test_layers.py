"""The compiler's layers import only downwards (docs/architecture.md, Layout):
front (syntax) < passes < back (lowering, rendering) < pipeline < toolchain (builds) < tools
(commands). Syntax knows no passes, passes know no code generation, and nothing below the
commands imports them."""
from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "transpiler"
ORDER = {"front": 0, "passes": 1, "back": 2, "pipeline": 3, "toolchain": 4, "tools": 5}
IMPORT = re.compile(r"^\s*(?:from|import)\s+transpiler\.(\w+)", re.M)


def layer_of(path: Path):
    rel = path.relative_to(PACKAGE).parts
    return rel[0] if len(rel) > 1 else path.stem


def test_every_module_belongs_to_a_layer():
    loose = [p.name for p in PACKAGE.glob("*.py") if p.stem not in ORDER and p.stem not in ("__init__", "__main__")]
    assert loose == [], f"modules outside the layers: {loose}"


def test_no_layer_imports_one_above_it():
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        layer = layer_of(path)
        if layer not in ORDER:
            continue
        for target in IMPORT.findall(path.read_text(encoding="utf-8")):
            if target in ORDER and ORDER[target] > ORDER[layer]:
                upward.append(f"{path.relative_to(PACKAGE)} ({layer}) imports transpiler.{target}")
    assert upward == []
