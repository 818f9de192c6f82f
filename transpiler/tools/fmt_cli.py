"""`prism fmt [PATH...] [--check] [--diff] [--exclude GLOB]`: format files in place.

Behaves like `black` and `ruff format`:

    prism fmt .              rewrite every .prism file under . that is not canonical
    prism fmt --check .      change nothing; list the files that would change, exit 1 if any
    prism fmt --diff x.prism change nothing; print unified diffs
    prism fmt -              read standard input, write the formatted text to standard output

A file that does not parse is reported with the compiler's diagnostic and left
untouched; so is one the formatter would change in meaning (an internal
formatter error, see `fmt.FormatterError`). Either makes the exit status 2.

Directories are searched for `*.prism`, skipping hidden directories and
`target`, `build`, `dist`, `node_modules`, `__pycache__`, `venv`. More
exclusions come from `--exclude` and from the `exclude` list of
`[tool.prism.fmt]` in the nearest `pyproject.toml` or `[fmt]` in the nearest
`Prism.toml` (globs relative to that file's directory).

Talks to: `transpiler.tools.fmt` (formatting), `transpiler.front.diagnostics`
(rendering parse errors), `rich` (progress on a terminal); called by `transpiler.tools.cli`.
"""
from __future__ import annotations

import difflib
import fnmatch
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import click

from transpiler.front.diagnostics import CompileError, render
from transpiler.tools.fmt import FormatterError, format_source

SKIPPED_DIRS = frozenset(("target", "build", "dist", "node_modules", "__pycache__", "venv"))
EXIT_WOULD_CHANGE = 1
EXIT_ERROR = 2
_PROGRESS_FROM = 20         # files; fewer finish before a progress bar would be seen


@dataclass
class Summary:
    changed: list = field(default_factory=list)
    unchanged: int = 0
    errors: int = 0


def config_excludes(start: Path) -> tuple[Path, list]:
    """(directory, exclude globs) from the nearest Prism.toml `[fmt]` or pyproject.toml
    `[tool.prism.fmt]` at or above `start`; (start, []) when there is none."""
    for directory in (start, *start.parents):
        for name, keys in (("Prism.toml", ("fmt",)), ("pyproject.toml", ("tool", "prism", "fmt"))):
            path = directory / name
            if not path.is_file():
                continue
            try:
                table = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise click.ClickException(f"{path}: {exc}") from None
            for key in keys:
                table = table.get(key, {}) if isinstance(table, dict) else {}
            excludes = table.get("exclude", []) if isinstance(table, dict) else []
            if not isinstance(excludes, list) or not all(isinstance(e, str) for e in excludes):
                raise click.ClickException(f"{path}: fmt 'exclude' must be a list of glob strings")
            if excludes or name == "Prism.toml":
                return directory, excludes
    return start, []


def _excluded(path: Path, root: Path, globs: list) -> bool:
    try:
        rel = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        rel = path.as_posix()
    return any(fnmatch.fnmatch(rel, g) or fnmatch.fnmatch(path.name, g) for g in globs)


def collect(paths: list, root: Path, globs: list) -> list:
    """The .prism files named by `paths`: files as given, directories searched."""
    files = []
    for path in paths:
        if path.is_file():
            files.append(path)
            continue
        if not path.is_dir():
            raise click.ClickException(f"no such file or directory: {path}")
        for found in sorted(path.rglob("*.prism")):
            rel_parts = found.relative_to(path).parts[:-1]
            if any(part.startswith(".") or part in SKIPPED_DIRS for part in rel_parts):
                continue
            if not _excluded(found, root, globs):
                files.append(found)
    return files


def _diff(before: str, after: str, name: str) -> str:
    return "".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True),
                                        f"{name}\t(original)", f"{name}\t(formatted)"))


def _report_error(exc: Exception, source: str, name: str) -> None:
    if isinstance(exc, CompileError):
        click.echo(f"error: cannot format {name}: it does not parse", err=True)
        click.echo(render(exc, source, name), err=True)
    else:
        click.echo(f"error: cannot format {name}: internal formatter error: {exc}; "
                   "the file is left untouched (please report this)", err=True)


def format_one(path: Path, check: bool, diff: bool, summary: Summary) -> None:
    name = str(path)
    try:
        source = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        click.echo(f"error: cannot read {name}: {exc}", err=True)
        summary.errors += 1
        return
    try:
        formatted = format_source(source, name)
    except (CompileError, FormatterError) as exc:
        _report_error(exc, source, name)
        summary.errors += 1
        return
    if formatted == source:
        summary.unchanged += 1
        return
    summary.changed.append(path)
    if diff:
        click.echo(_diff(source, formatted, name), nl=False)
    if check:
        click.echo(f"would reformat {name}", err=True)
    elif not diff:
        path.write_bytes(formatted.encode("utf-8"))
        click.echo(f"reformatted {name}", err=True)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def format_stdin(check: bool, diff: bool) -> int:
    source = sys.stdin.read()
    try:
        formatted = format_source(source, "<stdin>")
    except (CompileError, FormatterError) as exc:
        _report_error(exc, source, "<stdin>")
        return EXIT_ERROR
    if diff:
        click.echo(_diff(source, formatted, "<stdin>"), nl=False)
    elif not check:
        click.echo(formatted, nl=False)
    return EXIT_WOULD_CHANGE if check and formatted != source else 0


def run(paths: tuple, check: bool, diff: bool, excludes: tuple) -> int:
    """The whole `prism fmt` command; returns its exit status."""
    if list(paths) == [Path("-")]:
        return format_stdin(check, diff)
    root, globs = config_excludes(Path.cwd())
    files = collect(list(paths) or [Path(".")], root, globs + list(excludes))
    summary = Summary()
    if sys.stderr.isatty() and len(files) >= _PROGRESS_FROM:
        from rich.progress import Progress
        with Progress(transient=True) as progress:
            task = progress.add_task("formatting", total=len(files))
            for path in files:
                format_one(path, check, diff, summary)
                progress.advance(task)
    else:
        for path in files:
            format_one(path, check, diff, summary)
    verb = "would be reformatted" if check or diff else "reformatted"
    kept = "already formatted" if check or diff else "left unchanged"
    parts = [f"{_plural(len(summary.changed), 'file')} {verb}", f"{_plural(summary.unchanged, 'file')} {kept}"]
    if summary.errors:
        parts.append(f"{_plural(summary.errors, 'file')} could not be formatted")
    click.echo(", ".join(parts) + ".", err=True)
    if summary.errors:
        return EXIT_ERROR
    return EXIT_WOULD_CHANGE if check and summary.changed else 0
