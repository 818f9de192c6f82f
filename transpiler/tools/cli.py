"""Command line: `prismc` (compile one file) and `prism` (run, check, build, test, bench, ...).

Talks to: `build` (compiling), `runner` (running and mapping errors to
`.prism` lines), `diagnostics` (rendering compile errors), `project` (the
Prism.toml commands), `tools` (`prism fmt`, `prism lsp`). A compile error
prints `file.prism:line:col`, the source line and a caret, and exits 1; no
Python traceback reaches the user.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from transpiler.toolchain.build import BuildOptions, InternalCompilerError, as_compile_error, build_module, \
    extension_suffix, write_if_changed, write_text_if_changed
from transpiler.toolchain.cache_lookup import DEV_OPT_LEVEL, RELEASE_OPT_LEVEL, run_options
from transpiler.front.diagnostics import CompileError, render
from transpiler.tools.launcher import run_opt_level


def _source_text(path: Path):
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return None


def fail(error: CompileError, path: Path) -> None:
    click.echo(render(error, _source_text(path), str(path)), err=True)
    sys.exit(1)


def _check_file(path: Path) -> None:
    if not path.is_file():
        click.echo(f"error: no such file: {path}", err=True)
        sys.exit(1)


opt_option = click.option("-O", "opt_level", type=click.IntRange(0, 3), default=RELEASE_OPT_LEVEL, show_default=True,
                          help="C optimisation level.")
untyped_option = click.option("--untyped", is_flag=True,
                              help="Lower every value to a Python object (no C types); for differential testing.")


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("file", type=click.Path(path_type=Path))
@click.option("-o", "out_dir", type=click.Path(path_type=Path), help="Output directory (default: next to FILE).")
@click.option("--emit", type=click.Choice(["pyx", "c", "so", "pyi"]), default="so", show_default=True,
              help="What to write: the generated Cython (pyx), C source (c), the extension module with its "
                   "typed stub FILE.pyi (so), or the stub alone (pyi, no C build).")
@click.option("--annotate", is_flag=True, help="Also write Cython's HTML annotation (FILE.html).")
@click.option("--verbose", is_flag=True, help="Print the C compiler command.")
@click.option("--no-stack-guard", is_flag=True,
              help="Leave out the C stack check in recursive functions (faster recursion; runaway "
                   "recursion then crashes instead of raising an error).")
@opt_option
@untyped_option
def prismc_main(file: Path, out_dir, emit, annotate, verbose, opt_level, untyped, no_stack_guard):
    """Compile FILE.prism to an importable extension module and its typed stub (FILE.pyi)."""
    from prism_runtime.install import module_name_for
    _check_file(file)
    out_dir = out_dir or file.resolve().parent
    out_dir.mkdir(parents=True, exist_ok=True)
    name = module_name_for(file.stem)
    try:
        if emit == "pyx":
            from transpiler.pipeline import transpile
            result = transpile(file.read_bytes(), str(file), name, typed=not untyped,
                               stack_guard=not no_stack_guard)
            target = out_dir / f"{name}.pyx"
            target.write_text(result.pyx, encoding="utf-8")
            _print_warnings(file, result.warnings)
            click.echo(str(target))
            return
        if emit == "pyi":
            from transpiler.pipeline import stub
            text, warnings = stub(file.read_bytes(), str(file))
            target = out_dir / f"{name}.pyi"
            write_text_if_changed(target, text)
            _print_warnings(file, [w.short() for w in warnings])
            click.echo(str(target))
            return
        options = BuildOptions(opt_level=opt_level, typed=not untyped, annotate=annotate, verbose=verbose,
                               stack_guard=not no_stack_guard)
        _compile_prism_imports(file, out_dir, options)
        result = build_module(file, name, options)
        _print_warnings(file, result.warnings)
        outputs = [] if emit == "c" else [(result.extension, out_dir / f"{name}{extension_suffix()}"),
                                          (result.stub, out_dir / f"{name}.pyi")]
        if emit == "c" or annotate:
            outputs.append((result.pyx, out_dir / f"{name}.pyx"))
        if emit == "c":
            outputs.append((result.pyx.with_suffix(".c"), out_dir / f"{name}.c"))
        if annotate:
            outputs.append((result.pyx.with_suffix(".html"), out_dir / f"{name}.html"))
        for src, dest in outputs:
            if src.is_file():
                write_if_changed(src, dest)
        click.echo(str(outputs[0][1] if emit == "so" else outputs[-1][1]))
    except CompileError as exc:
        fail(exc, file)
    except InternalCompilerError as exc:
        fail(as_compile_error(exc, str(file)), file)
    except Exception as exc:  # a bug in a compiler pass: still a diagnostic, never a traceback
        fail(_internal_error(exc, file), file)


def _internal_error(exc: Exception, file: Path) -> CompileError:
    import traceback
    frame = traceback.extract_tb(exc.__traceback__)[-1]
    where = f"{Path(frame.filename).name}:{frame.lineno}"
    return as_compile_error(InternalCompilerError(f"{type(exc).__name__}: {exc} (at {where})"), str(file))


def _compile_prism_imports(file: Path, out_dir: Path, options: BuildOptions, seen=None) -> None:
    """Compile the .prism files that `file` imports, next to it, so the output imports without the hook."""
    from prism_runtime.install import module_name_for
    from transpiler.front.parser import parse_module
    from transpiler.front import ast
    from transpiler.passes.modules import locate
    seen = seen if seen is not None else set()
    module = parse_module(file.read_bytes(), str(file))
    for stmt in module.body:
        info = locate(str(file), stmt.source) if isinstance(stmt, ast.Import) else None
        if info is not None and info.kind == "prism" and info.path is not None:
            dep = info.path.resolve()
            if dep in seen:
                continue
            seen.add(dep)
            _compile_prism_imports(dep, out_dir, options, seen)
            result = build_module(dep, module_name_for(dep.stem), options)
            target_dir = out_dir / dep.parent.relative_to(file.parent.resolve()) \
                if dep.parent.is_relative_to(file.parent.resolve()) else out_dir
            target_dir.mkdir(parents=True, exist_ok=True)
            write_if_changed(result.extension, target_dir / f"{module_name_for(dep.stem)}{extension_suffix()}")
            if result.stub.is_file():
                write_if_changed(result.stub, target_dir / f"{module_name_for(dep.stem)}.pyi")


def _print_warnings(file: Path, warnings) -> None:
    if warnings:
        source = _source_text(file)
        for w in warnings:
            click.echo(render(w, source, str(file), "warning"), err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def prism_main():
    """Prism: build, run and test Prism programs."""


@prism_main.command("run")
@click.argument("file", type=click.Path(path_type=Path), required=False)
@click.option("--release", is_flag=True,
              help=f"Build with the release profile (-O{RELEASE_OPT_LEVEL}, as `prism build` and `prism bench`): "
                   f"slower to compile, fastest code.")
@click.option("-O", "opt_level", type=click.IntRange(0, 3), default=None,
              help=f"C optimisation level [default: {DEV_OPT_LEVEL}, the development profile; "
                   f"{RELEASE_OPT_LEVEL} with --release].")
@untyped_option
@click.option("--debug", is_flag=True,
              help="A debug build (-O0 -g): debug macros print, confidence factors are tracked, and an "
                   "uncaught error shows the Prism call stack with each frame's locals (docs/debugging.md).")
def run_cmd(file, release, opt_level, untyped, debug):
    """Compile (cached) and run FILE, or the current project's main module.

    Uses the development profile (-O0: quickest to compile; typed code runs
    slower than in a release build) unless --release or -O is given; --debug
    builds for debugging (docs/debugging.md).
    """
    from transpiler.tools import runner
    if file is None:
        from transpiler.tools.project import project_main_file
        file = project_main_file(Path.cwd())
    _check_file(file)
    if debug:
        from transpiler.tools.debug_session import run_debug
        sys.exit(run_debug(file, untyped))
    sys.exit(runner.run_file(file, run_options(run_opt_level(release, opt_level), typed=not untyped)))


@prism_main.command("repl")
@click.option("--load", "load", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Run FILE's top level first (its `main` is not called); its names stay in the session.")
@click.option("--release", is_flag=True, help=f"Compile inputs with the release profile (-O{RELEASE_OPT_LEVEL}).")
@click.option("-O", "opt_level", type=click.IntRange(0, 3), default=None,
              help=f"C optimisation level of the inputs [default: {DEV_OPT_LEVEL}, the development profile].")
def repl_cmd(load, release, opt_level):
    """Interactive session: type statements and expressions, see their values (`prism` alone starts it).

    Each input is compiled (development profile) and run at once; bindings,
    functions and structs stay for the rest of the session. :help inside.
    """
    from transpiler.tools.repl import start_repl
    sys.exit(start_repl(load, run_options(run_opt_level(release, opt_level))))


@prism_main.command("check")
@click.argument("file", type=click.Path(path_type=Path))
def check_cmd(file):
    """Parse and check FILE without building it."""
    from transpiler.pipeline import analyse
    _check_file(file)
    try:
        _module, _res, _ty, warnings = analyse(file.read_bytes(), str(file))
    except CompileError as exc:
        fail(exc, file)
    except Exception as exc:
        fail(_internal_error(exc, file), file)
    _print_warnings(file, warnings)
    click.echo(f"{file}: ok")


@prism_main.command("fmt")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--check", is_flag=True, help="Change nothing; exit 1 when a file would be reformatted.")
@click.option("--diff", is_flag=True, help="Change nothing; print what would change as unified diffs.")
@click.option("--exclude", "excludes", multiple=True, metavar="GLOB",
              help="Skip files matching GLOB (relative to the config file's directory); repeatable.")
def fmt_cmd(paths, check, diff, excludes):
    """Format PATHS (files or directories; default .; - for standard input) in the one Prism style."""
    from transpiler.tools import fmt_cli
    sys.exit(fmt_cli.run(paths, check, diff, excludes))


@prism_main.command("lsp")
def lsp_cmd():
    """Run the Prism language server on standard input and output (for editors)."""
    from transpiler.tools.lsp import serve
    serve()


@prism_main.group("cache")
def cache_group():
    """Show or clear the build cache ($PRISM_CACHE_DIR or ~/.cache/prism)."""


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


@cache_group.command("info")
def cache_info_cmd():
    """Where the cache is, whether it is safe to load from, and what it holds."""
    from transpiler.toolchain import build_cache
    summary = build_cache.describe(build_cache.cache_root())
    click.echo(f"build cache: {summary.root} (development and release builds alike)")
    if not summary.exists:
        click.echo("not created yet (the first build creates it, mode 0700)")
        return
    if summary.problem is None:
        click.echo("safety: ok (only you can write to it)")
    elif build_cache.opted_out(Path.cwd()):
        click.echo(f"safety: {summary.problem}; used anyway ([build] {build_cache.OPT_OUT_KEY} = true)")
    else:
        click.echo(f"safety: refused: {summary.problem}")
    click.echo(f"entries: {summary.entries} ({_size(summary.bytes)}), damaged: {summary.damaged}")


@cache_group.command("clean")
def cache_clean_cmd():
    """Delete every cached build (other files in the directory are left alone)."""
    from transpiler.toolchain import build_cache
    summary = build_cache.clean(build_cache.cache_root())
    click.echo(f"removed {summary.entries} entries ({_size(summary.bytes)}) from {summary.root}")


def _register_project_commands():
    try:
        from transpiler.tools import project
    except ImportError:
        return
    project.register(prism_main)


def _register_debugging_commands():
    from transpiler.tools import analyze_cmd, inspect_cmd
    inspect_cmd.register(prism_main)
    analyze_cmd.register(prism_main)


_register_project_commands()
_register_debugging_commands()
