"""Where each `import` of a module comes from, and what a Prism module exports.

A pipeline stage before `resolve` (see pipeline.py). For every `ast.Import` it
decides the kind of its spec, in this order (docs/language.md, Imports):

    "std/llm"          a standard module              -> kind "std"
    "./util", "util"   util.prism next to the file    -> kind "prism" (its exports read here)
    "math", "numpy"    any Python module              -> kind "python"

A Prism module read here is only parsed (never built or run): its top-level
declarations, and, when it is wrapped in `module name { }`, which of them it
exports. `resolve` uses that to reject importing a private or missing name.

Talks to `transpiler.front.parser` (parse only), `transpiler.passes.builtins` (the standard
modules) and `transpiler.front.ast`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from transpiler.front import ast
from transpiler.passes.builtins import STD_MODULES


@dataclass
class ImportedModule:
    kind: str                           # "std", "prism" or "python"
    target: str                         # Python module name (std/python) or relative spec ("./util")
    path: Optional[Path] = None         # the .prism file (kind "prism")
    module_name: Optional[str] = None   # its `module name { }`, if any
    exports: Optional[frozenset] = None # exported names (None: everything is exported)
    declared: frozenset = field(default_factory=frozenset)  # every top-level name it declares


def _prism_file(importer: str, spec: str) -> Optional[Path]:
    if spec.endswith(".prism"):
        spec = spec[:-len(".prism")]
    if not spec or spec.startswith("/") or "\\" in spec:
        return None
    base = Path(importer).resolve().parent if importer else Path.cwd()
    candidate = base / (spec + ".prism")
    return candidate if candidate.is_file() else None


def _relative_spec(spec: str) -> str:
    spec = spec[:-len(".prism")] if spec.endswith(".prism") else spec
    return spec if spec.startswith("./") or spec.startswith("../") else "./" + spec


_declarations_cache: dict = {}


def _declarations(path: Path) -> tuple:
    """(module name, exports or None, declared names) of a Prism file (parsed, cached by mtime)."""
    from transpiler.front.parser import parse_module
    key = (str(path), os.stat(path).st_mtime_ns)
    cached = _declarations_cache.get(key)
    if cached is None:
        module = parse_module(path.read_bytes(), str(path))
        declared = set()
        for s in module.body:
            if isinstance(s, (ast.FnDecl, ast.StructDecl, ast.TraitDecl, ast.Let, ast.MacroDecl)):
                declared.add(s.name)
            elif isinstance(s, ast.Import):
                declared.update(n.alias or n.name for n in s.names)
        exports = frozenset(module.exports) if module.exports is not None else None
        cached = _declarations_cache[key] = (module.name, exports, frozenset(declared))
    return cached


def locate(importer: str, spec: str) -> ImportedModule:
    """Where `import .. from spec` in the file `importer` comes from."""
    if spec in STD_MODULES:
        return ImportedModule("std", STD_MODULES[spec])
    path = _prism_file(importer, spec)
    explicit = spec.startswith("./") or spec.startswith("../")
    if path is None and explicit:
        # A missing sibling file is reported when the importing program runs (as before).
        return ImportedModule("prism", _relative_spec(spec))
    if path is not None:
        name, exports, declared = _declarations(path)
        return ImportedModule("prism", _relative_spec(spec), path, name, exports, declared)
    return ImportedModule("python", spec)


def locate_imports(module: ast.Module) -> dict:
    """id(ast.Import) -> ImportedModule for every import of the module."""
    return {id(s): locate(module.path, s.source) for s in module.body if isinstance(s, ast.Import)}
