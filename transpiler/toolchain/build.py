"""Build: `.prism` -> `.pyx` (pipeline) -> `.c` (Cython) -> extension module (C compiler).

Talks to: `pipeline` (transpiling), Cython's compiler API, the system C
compiler (through sysconfig's flags), and the on-disk cache. Used by `cli`,
`prism_runtime.install` (the import hook) and `setuptools_ext`.

Caching: a build is keyed by the SHA-256 of the source bytes, its path, the
module name, the build options and the compiler's own fingerprint (its
sources, templates and the runtime's `.pxd` files). A key that is already in
the cache is returned without importing Cython or running the C compiler.
Outputs are written only when their content changed. A cache entry holds the
module, the `.pyx` it was built from and its typed stub (`.pyi`, stubs.py).
"""
from __future__ import annotations

import contextlib
import io
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from transpiler.toolchain import build_cache
from transpiler.toolchain.cache_lookup import COMPILER_VERSION, BuildOptions, build_key, cache_root, compiler_fingerprint, \
    entry_files, extension_suffix, lookup_key  # noqa: F401 (re-exported: BuildOptions, ...)
from transpiler.front.diagnostics import CompileError, from_record, record


@dataclass
class BuildResult:
    extension: Path            # the built .so
    pyx: Path                  # the generated Cython source it was built from
    cached: bool
    warnings: list = field(default_factory=list)
    shared_utility: Optional[list] = None   # [module name, path] of the shared utility module it imports

    @property
    def stub(self) -> Path:
        """The typed stub (`.pyi`) written beside the generated source (see stubs.py)."""
        return self.pyx.with_suffix(".pyi")


class InternalCompilerError(Exception):
    """Generated code failed to compile: a compiler bug, reported as such."""


def runtime_include_dir() -> Path:
    import prism_runtime
    return Path(prism_runtime.__file__).resolve().parent.parent


def build_module(source_path: Path, module_name: str, options: BuildOptions = BuildOptions()) -> BuildResult:
    """Build (or fetch from the cache) the extension module for one .prism file."""
    source_path = Path(source_path)
    source = source_path.read_bytes()
    key = build_key(source, source_path, module_name, options)
    leaf = module_name.rpartition(".")[2]
    build_cache.prepare_root(cache_root(), source_path.parent)
    so_path, pyx_path = entry_files(key, module_name)
    out_dir = so_path.parent
    if out_dir.is_dir() and not options.annotate:
        problem = build_cache.damage(out_dir, so_path.name)
        if problem is None:
            cached = lookup_key(key, module_name, verify=False)
            if cached is not None:
                return BuildResult(cached.extension, cached.pyx, True, [from_record(w) for w in cached.warnings],
                                   cached.shared_utility)
        else:
            build_cache.report_damage(out_dir, problem)
            build_cache.discard(out_dir)

    from transpiler.pipeline import transpile
    result = transpile(source, str(source_path), module_name, typed=options.typed, profile=options.profile,
                       stack_guard=options.stack_guard, debug=options.debug)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=out_dir.parent))
    try:
        work_pyx = work / (leaf + ".pyx")
        work_pyx.write_text(result.pyx, encoding="utf-8")
        work_pyx.with_suffix(".pyi").write_text(result.pyi, encoding="utf-8")
        shared = _shared_utility(options)
        c_path = cythonize_file(work_pyx, module_name, options.annotate, shared[0] if shared else None)
        compile_c(c_path, work / so_path.name, options)
        warnings = [record(w) for w in result.warnings]
        shared = [shared[0], str(shared[1])] if shared else None
        build_cache.seal(work, work / so_path.name, {"source": str(source_path), "module": module_name,
                                                     "warnings": warnings, "shared_utility": shared})
        _publish(work, out_dir, so_path.name)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return BuildResult(so_path, pyx_path, False, list(result.warnings), shared)


def _publish(work: Path, out_dir: Path, so_name: str) -> None:
    """Put the finished build in place; an identical one another builder published first is kept,
    a damaged one is replaced."""
    if build_cache.publish(work, out_dir):
        return
    problem = build_cache.damage(out_dir, so_name)
    if problem is not None:
        build_cache.report_damage(out_dir, problem)
        build_cache.discard(out_dir)
        build_cache.publish(work, out_dir)


def _shared_utility(options: BuildOptions):
    """(name, path) of the shared utility module this build uses, or None (self-contained)."""
    if not options.shared_utility or options.annotate or options.profile:
        return None
    from transpiler.toolchain.shared_utility import shared_module
    return shared_module(tuple(c_compiler()))


def cythonize_file(pyx_path: Path, module_name: str, annotate: bool = False, shared_utility=None) -> Path:
    from Cython.Compiler import Errors
    from Cython.Compiler.Main import CompilationOptions, compile_single, default_options

    c_path = pyx_path.with_suffix(".c")
    options = CompilationOptions(default_options, include_path=[str(runtime_include_dir())],
                                 output_file=str(c_path), language_level=3, annotate=annotate,
                                 quiet=True, shared_utility_qualified_name=shared_utility)
    Errors.init_thread()
    chatter = io.StringIO()       # Cython's warnings about generated code are ours, not the user's
    try:
        with _captured_on_this_thread(chatter):
            result = compile_single(str(pyx_path), options, module_name)
    except Errors.CompileError as exc:
        raise InternalCompilerError(f"Cython rejected the generated code: {exc}\n{chatter.getvalue()[-3000:]}") from exc
    except Exception as exc:      # Cython itself crashed (its "Compiler crash traceback")
        raise InternalCompilerError(f"Cython crashed on the generated code: {exc!r}\n"
                                    f"{chatter.getvalue()[-3000:]}") from exc
    if result.num_errors:
        raise InternalCompilerError(f"Cython rejected the generated code ({result.num_errors} errors):\n"
                                    f"{chatter.getvalue()[-3000:]}")
    return c_path


class _ThreadRoutedStream:
    """Stands in for sys.stdout or sys.stderr while one thread runs Cython: that thread's
    writes go to `sink`, every other thread's to the real stream (a REPL's prompt keeps
    drawing while a build warms up in the background)."""

    def __init__(self, real, sink):
        self._real, self._sink, self._thread = real, sink, threading.get_ident()

    def write(self, text):
        # _thread is None once the build is over: a stand-in that someone kept (a library that
        # wrapped sys.stdout meanwhile) then writes everything to the real stream, even from a
        # later thread that happens to get the same identifier.
        return (self._sink if threading.get_ident() == self._thread else self._real).write(text)

    def flush(self):
        self._real.flush()

    def __getattr__(self, name):          # fileno, isatty, encoding...: the real stream's
        return getattr(self._real, name)


@contextlib.contextmanager
def _captured_on_this_thread(sink):
    routed = {name: _ThreadRoutedStream(getattr(sys, name), sink) for name in ("stdout", "stderr")}
    for name, stream in routed.items():
        setattr(sys, name, stream)
    try:
        yield
    finally:
        for name, stream in routed.items():
            stream._thread = None
            if getattr(sys, name) is stream:   # unless someone replaced it meanwhile
                setattr(sys, name, stream._real)


def c_compiler() -> list:
    return shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")


def c_compiler_command(c_path: Path, so_path: Path, options: BuildOptions) -> list:
    cc = c_compiler()
    includes = [sysconfig.get_paths()["include"], str(runtime_include_dir())]
    flags = [f"-O{options.opt_level}", "-fPIC", "-shared", "-DNDEBUG", "-fno-strict-aliasing",
             "-Wno-unused-function", "-Wno-unused-variable", "-Wno-unreachable-code"]
    if options.opt_level >= 2:
        # Start every loop on a cache-line boundary: where a hot loop happens to fall
        # otherwise moved the float32 dot product by 40% between unrelated builds.
        flags.append("-falign-loops=64")
    if options.debug:
        flags.append("-g")
    if options.lto:
        flags += ["-flto", "-fuse-linker-plugin"]
    if options.profile_generate:
        flags.append(f"-fprofile-generate={options.profile_generate}")
    if options.profile_use:
        flags += [f"-fprofile-use={options.profile_use}", "-fprofile-correction", "-Wno-missing-profile"]
    source, output = str(c_path), str(so_path)
    if options.profile_generate or options.profile_use:
        # PGO: compile from the (temporary) work dir by relative name so the profile data's file
        # name and checksums do not depend on it and a later -fprofile-use build finds them.
        flags.append(f"-fprofile-prefix-path={c_path.parent}")
        source = c_path.name
        output = so_path.name if so_path.parent == c_path.parent else output
    flags += list(options.extra_cflags)
    if _plain_development_build(options):
        from transpiler.toolchain.pch import precompiled_header
        header = precompiled_header(cc, flags, includes)
        if header is not None:
            flags += ["-include", str(header)]
    return cc + flags + [f"-I{d}" for d in includes] + [source, "-o", output]


def _plain_development_build(options: BuildOptions) -> bool:
    """-O0 with no instrumentation: the builds a precompiled Python.h speeds up (pch.py)."""
    return options.opt_level == 0 and not (options.debug or options.lto or options.profile
                                           or options.profile_generate or options.profile_use
                                           or options.extra_cflags)


def compile_c(c_path: Path, so_path: Path, options: BuildOptions) -> None:
    command = c_compiler_command(c_path, so_path, options)
    if options.verbose:
        print(" ".join(shlex.quote(part) for part in command), file=sys.stderr)
    proc = subprocess.run(command, capture_output=True, text=True, cwd=c_path.parent)
    if proc.returncode != 0:
        raise InternalCompilerError("the C compiler rejected the generated code:\n" + proc.stderr[-4000:])


def write_if_changed(src: Path, dest: Path) -> bool:
    """Copy src over dest unless dest already has the same bytes; True when written."""
    data = src.read_bytes()
    if dest.is_file() and dest.read_bytes() == data:
        return False
    tmp = dest.with_name(dest.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, dest)
    return True


def write_text_if_changed(dest: Path, text: str) -> bool:
    """Write text to dest unless dest already holds it; True when written."""
    if dest.is_file() and dest.read_text(encoding="utf-8") == text:
        return False
    dest.write_text(text, encoding="utf-8")
    return True


def as_compile_error(exc: InternalCompilerError, path: str) -> CompileError:
    return CompileError(f"internal compiler error: {exc}", None,
                        help="this is a bug in prismc; please report it with the .prism file", path=path)
