"""setuptools integration: `prismize` is to `.prism` files what `cythonize` is to `.pyx`.

    # setup.py
    from setuptools import setup
    from transpiler.setuptools_ext import prismize
    setup(name="geometry_pkg", packages=["geometry_pkg"],
          ext_modules=prismize(["geometry_pkg/*.prism"]))

Talks to: `pipeline` (transpiles each file to `.pyx` under `build/prism/`),
`build` (the runtime include path), Cython's `cythonize` (the Extension
objects it returns are what setuptools builds). Module names follow the file's
path relative to the setup.py directory (`geometry_pkg/shapes.prism` ->
`geometry_pkg.shapes`). Compile errors stop the build with the usual
`file.prism:line:col` diagnostic.
"""
from __future__ import annotations

import glob
import sys
from pathlib import Path

from transpiler.build import runtime_include_dir
from transpiler.diagnostics import CompileError, render


def _module_name(path: Path, root: Path) -> str:
    from prism_runtime.install import module_name_for
    rel = path.resolve().relative_to(root.resolve()).with_suffix("")
    return ".".join(list(rel.parts[:-1]) + [module_name_for(rel.parts[-1])])


def prismize(patterns, *, build_dir: str = "build/prism", typed: bool = True, opt_level: int = 2,
             root: str = ".", **cythonize_options):
    """Transpile the .prism files matching `patterns` and return setuptools Extensions."""
    from Cython.Build import cythonize
    from setuptools import Extension
    from transpiler.pipeline import transpile

    root_path = Path(root)
    if isinstance(patterns, (str, Path)):
        patterns = [patterns]
    sources = sorted({Path(p) for pattern in patterns for p in glob.glob(str(pattern), recursive=True)})
    if not sources:
        raise ValueError(f"prismize: no .prism files match {patterns!r}")
    extensions = []
    for source in sources:
        name = _module_name(source, root_path)
        try:
            result = transpile(source.read_bytes(), str(source), name, typed=typed)
        except CompileError as exc:
            sys.stderr.write(render(exc, source.read_text(errors="replace"), str(source)) + "\n")
            raise SystemExit(1) from None
        pyx = Path(build_dir) / Path(*name.split(".")[:-1]) / f"{name.rpartition('.')[2]}.pyx"
        pyx.parent.mkdir(parents=True, exist_ok=True)
        if not pyx.is_file() or pyx.read_text(encoding="utf-8") != result.pyx:
            pyx.write_text(result.pyx, encoding="utf-8")
        extensions.append(Extension(name, [str(pyx)], extra_compile_args=[f"-O{opt_level}"]))
    options = {"compiler_directives": {"language_level": 3}, "quiet": True}
    options.update(cythonize_options)
    return cythonize(extensions, include_path=[str(runtime_include_dir())], **options)
