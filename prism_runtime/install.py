"""Import hook: after `import prism_runtime.install`, `import geometry` finds
`geometry.prism` on sys.path, compiles it on first import and reuses the
cached build afterwards (keyed by source hash and compiler version, see
`transpiler.toolchain.build`).

Talks to: `transpiler.toolchain.cache_lookup` (a cached module is loaded without
importing the compiler), `transpiler.toolchain.compile_server` (building, by the
compile server when one runs), `transpiler.front.diagnostics`
(rendering compile errors into the ImportError it raises); both come with the
compiler (prism-lang), so where only prism-runtime is installed, importing a
`.prism` file is an ImportError that says so. `prism run` uses
the same hook, so a program's `import { f } from "./util"` goes through here.
"""
from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import keyword
import os
import re
import sys
from pathlib import Path

_options = None
# A program called `json.prism` or `builtins.prism` must not shadow Python's own modules.
_RESERVED_MODULES = frozenset(sys.stdlib_module_names) | frozenset(sys.builtin_module_names) | {
    "prism_runtime", "transpiler", "numpy", "cython", "Cython", "jinja2", "parso", "click", "rich"}


def module_name_for(stem: str) -> str:
    """The Python module name for a .prism file stem (file names need not be identifiers)."""
    if stem.isidentifier() and stem.isascii() and not keyword.iskeyword(stem) and stem not in _RESERVED_MODULES:
        return stem
    safe = re.sub(r"\W", "_", stem.encode("ascii", "backslashreplace").decode())
    return f"_pm_{safe}_{hashlib.sha1(stem.encode()).hexdigest()[:8]}"


def set_options(options, start_compile_server: bool = False) -> None:
    """Build options for modules compiled by the hook (`prism run -O0` sets them); the `prism`
    commands also let a miss start the compile server (a plain `import` never does)."""
    global _options, _may_start_server
    _options = options
    _may_start_server = _may_start_server or start_compile_server


def may_start_compile_server() -> bool:
    return _may_start_server


_may_start_server = False


def current_options():
    from transpiler.toolchain.cache_lookup import RELEASE_OPT_LEVEL, BuildOptions
    if _options is not None:
        return _options
    level = os.environ.get("PRISM_OPT_LEVEL")
    return BuildOptions(opt_level=int(level) if level and level.isdigit() else RELEASE_OPT_LEVEL,
                        typed=os.environ.get("PRISM_UNTYPED") != "1")


class PrismCompileFailure(ImportError):
    """A .prism file failed to compile; `error` is the CompileError, `rendered` its text."""

    def __init__(self, error, path: Path, rendered: str):
        super().__init__(rendered, path=str(path))
        self.error = error
        self.prism_path = path
        self.rendered = rendered


def find_source(directory: Path, leaf: str):
    candidate = directory / f"{leaf}.prism"
    if candidate.is_file():
        return candidate
    if leaf.startswith("_pm_") and directory.is_dir():
        for path in directory.glob("*.prism"):
            if module_name_for(path.stem) == leaf:
                return path
    return None


class PrismFinder(importlib.abc.MetaPathFinder):
    """Finds `name.prism` on the search path. Finding is cheap; compiling happens in
    `PrismLoader.create_module`, because CPython calls find_spec with the global
    import lock held and a build may import modules or start threads."""

    def find_spec(self, fullname, path, target=None):
        leaf = fullname.rpartition(".")[2]
        if fullname in _RESERVED_MODULES or fullname.partition(".")[0] in _RESERVED_MODULES:
            return None
        for entry in (path if path is not None else sys.path):
            try:
                source = find_source(Path(entry or os.getcwd()), leaf)
            except (OSError, ValueError):
                continue
            if source is not None:
                spec = importlib.machinery.ModuleSpec(fullname, PrismLoader(source), origin=str(source))
                spec.has_location = True
                return spec
        return None


class PrismLoader(importlib.abc.Loader):
    """Builds (or fetches from the cache) the extension for one .prism file, then
    loads it like any extension module."""

    def __init__(self, source: Path):
        self.source = source
        self._extension_loader = None

    def create_module(self, spec):
        source = self.source
        try:
            from transpiler.toolchain.cache_lookup import load_shared_utility, lookup
        except ModuleNotFoundError as exc:
            if exc.name != "transpiler":
                raise
            raise ImportError(f"{source}: compiling a .prism file on import needs the Prism compiler "
                              f"(pip install prism-lang); this environment has the runtime only",
                              name=spec.name, path=str(source)) from None
        # A cache hit loads without importing the compiler (transpiler.toolchain.cache_lookup).
        built = lookup(source, spec.name, current_options()) or self._build(spec)
        if built.warnings:
            from transpiler.front.diagnostics import from_record, render
            text = _read_text(source)
            for warning in built.warnings:
                print(render(from_record(warning), text, _display_path(source), "warning"), file=sys.stderr)
        load_shared_utility(built.shared_utility)
        spec.origin = str(built.extension)  # becomes the module's __file__
        self._extension_loader = importlib.machinery.ExtensionFileLoader(spec.name, spec.origin)
        return self._extension_loader.create_module(spec)

    def _build(self, spec):
        """A fresh build (transpiler.toolchain.cache_lookup.CachedBuild); a compile error becomes a PrismCompileFailure."""
        from transpiler.toolchain import compile_server
        source = self.source
        try:
            return compile_server.build(source, spec.name, current_options())
        except Exception as exc:
            # Imported only now: with a compile server, a good build needs neither module.
            from transpiler.toolchain.build import InternalCompilerError, as_compile_error
            from transpiler.front.diagnostics import CompileError, render
            if isinstance(exc, CompileError):
                raise PrismCompileFailure(exc, source, render(exc, _read_text(source), str(source))) from None
            if isinstance(exc, InternalCompilerError):
                err = as_compile_error(exc, str(source))
                raise PrismCompileFailure(err, source, render(err, None, str(source))) from None
            raise

    def exec_module(self, module):
        self._extension_loader.exec_module(module)


def _display_path(path: Path) -> str:
    """A path as the user would write it: relative to the working directory when inside it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


def _read_text(path: Path):
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return None


def install() -> PrismFinder:
    for finder in sys.meta_path:
        if isinstance(finder, PrismFinder):
            return finder
    finder = PrismFinder()
    sys.meta_path.insert(0, finder)
    return finder


install()
