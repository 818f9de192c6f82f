"""`prism test`, `prism bench` and `prism profile`: load Prism modules, find
the functions marked `#[test]` / `#[benchmark]`, run them, and report.

Talks to: `runner` (`load_module` through the import hook and the build
cache, `prism_location` / `error_message` to map failures to `.prism`
lines), `build` (`BuildOptions`; `profile=True` for Cython's profiling hooks),
`prism_runtime.perf` (timing and baseline comparison), `prism_runtime.testing`
(tests registered by `test(..)`, LLM mocks per test), and `flameprof`
(renders cProfile data as an SVG flame graph) for `prism profile --flamegraph`.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from transpiler.toolchain.build import BuildOptions
from transpiler.passes.callgraph import REC_PREFIX


def _load(file: Path, options: BuildOptions):
    """Import a .prism file; None (after printing the compile error) when it does not build."""
    from prism_runtime.install import PrismCompileFailure
    from transpiler.tools import runner
    try:
        return runner.load_module(file, options)
    except PrismCompileFailure as exc:
        click.echo(exc.rendered, err=True)
    except Exception as exc:  # the module's top level raised
        _report(file, file.stem, exc, "error while loading the module")
    return None


def _marked(module, mark: str) -> list:
    """The module's functions carrying `#[mark]`, in source order."""
    found = []
    for name, value in vars(module).items():
        attrs = getattr(value, "__prism_attributes__", None)
        if callable(value) and attrs and mark in attrs and not name.startswith("_pu_"):
            line = getattr(getattr(value, "__code__", None), "co_firstlineno", 0)
            found.append((line, name, value))
    seen, result = set(), []
    for _line, name, fn in sorted(found, key=lambda item: item[0]):
        if id(fn) not in seen:
            seen.add(id(fn))
            result.append((name, fn))
    return result


def _report(file: Path, what: str, exc: BaseException, prefix: str = "FAILED") -> None:
    from transpiler.tools import runner
    where = runner.prism_location(exc)
    location = f"{where[0]}:{where[1]}" if where else str(file)
    click.echo(f"{prefix} {what}: {runner.error_message(exc)}\n    at {location}", err=True)


# ---------------------------------------------------------------- prism test

def run_tests(files: list, opt_level: int = 0) -> int:
    """Every `test("name", ..)` of each file (registered while it loads), then its `#[test]`
    functions, each with its own LLM mocks (`prism_runtime.testing`)."""
    from prism_runtime.testing import collecting, run_isolated
    from transpiler.toolchain.cache_lookup import run_options
    options = run_options(opt_level)
    passed = failed = 0
    for file in files:
        with collecting() as registered:
            module = _load(file, options)
        if module is None:
            failed += 1
            continue
        for name, fn in registered + _marked(module, "test"):
            label = f"{file.stem}::{name}"
            try:
                run_isolated(fn)
            except KeyboardInterrupt:
                raise
            except BaseException as exc:
                sys.stdout.flush()
                failed += 1
                _report(file, label, exc)
            else:
                passed += 1
                click.echo(f"ok {label}")
    click.echo(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


# ---------------------------------------------------------------- prism bench

def run_benchmarks(files: list, opt_level: int, json_path, save, compare, bench_dir: Path,
                   repeats: int = 7) -> int:
    from prism_runtime import perf
    options = BuildOptions(opt_level=opt_level)
    results, errors = {}, 0
    baseline = None
    if compare:
        path = bench_dir / f"{compare}.json"
        if not path.is_file():
            click.echo(f"error: no baseline '{compare}' ({path}); save one with `prism bench --save {compare}`",
                       err=True)
            return 1
        baseline = json.loads(path.read_text())["benchmarks"]
    click.echo(f"{'benchmark':<36} {'median/call':>12} {'± MAD':>10} {'iters':>9}" +
               (f"  vs {compare}" if compare else ""))
    for file in files:
        module = _load(file, options)
        if module is None:
            errors += 1
            continue
        for name, fn in _marked(module, "benchmark"):
            label = f"{file.stem}::{name}"
            try:
                stats = perf.measure(fn, repeats=repeats)
            except KeyboardInterrupt:
                raise
            except BaseException as exc:
                errors += 1
                _report(file, label, exc)
                continue
            results[label] = {k: v for k, v in stats.items()}
            line = (f"{label:<36} {perf.format_time(stats['median']):>12} "
                    f"{'± ' + perf.format_time(stats['mad']):>10} {stats['iterations'] * stats['repeats']:>9}")
            if baseline is not None:
                if label in baseline:
                    verdict, ratio = perf.compare(baseline[label], stats)
                    mark = {"same": "no change (within noise)", "faster": "FASTER", "slower": "SLOWER"}[verdict]
                    line += f"  {ratio:.2f}x {mark}"
                else:
                    line += "  (new)"
            click.echo(line)
    if not results and not errors:
        click.echo("no #[benchmark] functions found")
    document = {"opt_level": opt_level, "benchmarks": results}
    if json_path:
        Path(json_path).write_text(json.dumps(document, indent=2))
        click.echo(f"wrote {json_path}")
    if save:
        bench_dir.mkdir(parents=True, exist_ok=True)
        (bench_dir / f"{save}.json").write_text(json.dumps(document, indent=2))
        click.echo(f"saved baseline '{save}' ({bench_dir / (save + '.json')})")
    return 1 if errors else 0


# ---------------------------------------------------------------- prism profile

def _prism_label(code_name: str) -> str:
    if code_name.startswith(REC_PREFIX):
        code_name = code_name[len(REC_PREFIX):]     # a recursive function's body (lower_fn)
    return code_name[4:] if code_name.startswith("_pu_") else code_name


def profile_file(file: Path, opt_level: int, flamegraph: bool, output: Path, top: int) -> int:
    import cProfile
    import io
    import pstats
    from prism_runtime.install import PrismCompileFailure
    from transpiler.tools import runner
    options = BuildOptions(opt_level=opt_level, profile=True)
    try:
        module = runner.load_module(file, options)     # compile first: compile time is not profiled
    except PrismCompileFailure as exc:
        click.echo(exc.rendered, err=True)
        return 1
    profiler = cProfile.Profile()
    status = 0
    try:
        profiler.enable()
        try:
            runner.call_main(module)
        finally:
            profiler.disable()
    except KeyboardInterrupt:
        status = 130
    except BaseException as exc:
        sys.stdout.flush()
        _report(file, "main", exc, "error in")
        status = 1
    sys.stdout.flush()
    stats = pstats.Stats(profiler)
    _rename_prism_functions(stats, file, Path(module.__file__).parent)
    if flamegraph:
        try:
            import flameprof
        except ImportError:
            click.echo("error: --flamegraph needs the 'flameprof' package (pip install flameprof)", err=True)
            return 1
        with open(output, "w", encoding="utf-8") as out:
            # threshold=0: every Prism function that ran is named, however short it was.
            flameprof.render(stats.stats, out, fmt="svg", threshold=0)
        click.echo(f"wrote {output}", err=True)
    else:
        buffer = io.StringIO()
        stats.stream = buffer
        stats.sort_stats("tottime").print_stats(top)
        click.echo(buffer.getvalue(), err=True)
    return status


def _rename_prism_functions(stats, file: Path, build_dir: Path) -> None:
    """Make Cython frames read `main.prism:3(fib)` rather than `main.pyx:13(fib)`: the
    function names already are the Prism names (main's is `_pu_main`); lines map back
    through the generated file's `# @L` markers."""
    from transpiler.tools.runner import _line_marks

    def fix(key):
        filename, line, name = key
        if filename.endswith(".pyx"):
            marks = _line_marks(str(build_dir / Path(filename).name))
            if 0 < line <= len(marks) and marks[line - 1]:
                line = marks[line - 1]
            return (f"{Path(filename).stem}.prism", line, _prism_label(name))
        return key
    def is_body(key):
        return key[0].endswith(".pyx") and key[2].startswith(REC_PREFIX)

    new = {}
    # Entry points first, so a recursive function's body (`_rec_NAME`, called once per
    # Prism-level call) can fold into its entry (called once per chain) as one row.
    for key, (cc, nc, tt, ct, callers) in sorted(stats.stats.items(), key=lambda kv: is_body(kv[0])):
        fixed = fix(key)
        if is_body(key) and fixed in new:
            wcc, _, wtt, wct, wcallers = new[fixed]
            for caller, v in callers.items():
                if fix(caller) != fixed or is_body(caller):     # not the entry -> body call
                    wcallers[fix(caller)] = v
            new[fixed] = (wcc, nc, wtt + tt, wct, wcallers)
            continue
        new_callers = {fix(c): v for c, v in callers.items()}
        if fixed in new:   # merge (cannot normally happen; be safe)
            occ, onc, ott, oct_, ocallers = new[fixed]
            ocallers.update(new_callers)
            new[fixed] = (occ + cc, onc + nc, ott + tt, oct_ + ct, ocallers)
        else:
            new[fixed] = (cc, nc, tt, ct, new_callers)
    stats.stats = new
    stats.fcn_list = None
