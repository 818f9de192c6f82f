"""setuptools integration: `prismize` is to `.prism` files what `cythonize` is to `.pyx`.

    # setup.py
    from setuptools import setup
    from transpiler.tools.setuptools_ext import prismize, runtime_requirement
    setup(name="geometry_pkg", packages=["geometry_pkg"],
          ext_modules=prismize(["geometry_pkg/*.prism"]),
          install_requires=[runtime_requirement()])     # "prism-runtime==<its version>"

Talks to: `pipeline` (transpiles each file to `.pyx` under `build/prism/`),
`build` (the runtime include path), Cython's `cythonize` (the Extension
objects it returns are what setuptools builds). Module names follow the file's
path relative to the setup.py directory (`geometry_pkg/shapes.prism` ->
`geometry_pkg.shapes`). Compile errors stop the build with the usual
`file.prism:line:col` diagnostic.

Typed stubs: each module's `.pyi` is written next to its `.prism` file and a
`py.typed` marker (PEP 561) into its top-level package, where setuptools (69
and later) picks both up as package data on its own, so wheels and editable
installs carry them beside the built modules. `stubs=False` leaves them out.
"""
from __future__ import annotations

import glob
import sys
from pathlib import Path

from transpiler.toolchain.build import runtime_include_dir, write_text_if_changed
from transpiler.front.diagnostics import CompileError, render


def _module_name(path: Path, root: Path) -> str:
    from prism_runtime.install import module_name_for
    rel = path.resolve().relative_to(root.resolve()).with_suffix("")
    return ".".join(list(rel.parts[:-1]) + [module_name_for(rel.parts[-1])])


def prismize(patterns, *, build_dir: str = "build/prism", typed: bool = True, opt_level: int = 3,
             root: str = ".", stubs: bool = True, **cythonize_options):
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
        write_text_if_changed(pyx, result.pyx)
        if stubs:
            _write_stub(source, name, result.pyi, root_path)
        extensions.append(Extension(name, [str(pyx)], extra_compile_args=[f"-O{opt_level}"]))
    options = {"compiler_directives": {"language_level": 3}, "quiet": True}
    options.update(cythonize_options)
    return cythonize(extensions, include_path=[str(runtime_include_dir())], **options)


def _write_stub(source: Path, module_name: str, text: str, root: Path) -> None:
    """`name.pyi` beside the .prism file, and `py.typed` in its top-level package (kept
    when the package already has one, which may say `partial`)."""
    write_text_if_changed(source.parent / f"{module_name.rpartition('.')[2]}.pyi", text)
    package = module_name.partition(".")[0]
    if "." in module_name and (root / package).is_dir() and not (root / package / "py.typed").exists():
        (root / package / "py.typed").write_text("")


def runtime_requirement(*extras: str) -> str:
    """The requirement a package of compiled modules has at run time: the prism-runtime
    these modules are compiled against, at exactly its version (the modules `cimport` its
    C-level API). `runtime_requirement("llm")` adds the runtime's LLM extra."""
    import prism_runtime
    extra = f"[{','.join(extras)}]" if extras else ""
    return f"prism-runtime{extra}=={prism_runtime.__version__}"
