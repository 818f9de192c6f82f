"""Prism projects: `Prism.toml` loading and validation, `prism new`, and the
registration of the project commands on the `prism` CLI.

Talks to: `cli` (calls `register(prism_main)` at import and
`project_main_file` for `prism run` without a file), `project_build`
(`prism build`), `project_run` (`prism test`, `prism bench`, `prism profile`).
Only the standard library (`tomllib`) and click are imported here, so a no-op
`prism build` stays fast.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import click

from transpiler.toolchain.manifest import MANIFEST, find_root  # noqa: F401 (re-exported)

# section -> key -> (python types, description of the type)
SCHEMA: dict = {
    "package": {
        "name": ((str,), "a string"),
        "version": ((str,), "a string"),
        "main": ((str,), "a string"),
        "description": ((str,), "a string"),
        "authors": ((list,), "an array of strings"),
        "license": ((str,), "a string"),
    },
    "build": {
        "optimization-level": ((int,), "an integer 0..3"),
        "lto": ((bool,), "a boolean"),
        "codegen-units": ((int,), "a positive integer"),
        "stack-guard": ((bool,), "a boolean"),
        "unsafe-shared-cache": ((bool,), "a boolean"),   # read by build_cache.opted_out
    },
    # `prism fmt` (transpiler/tools/fmt_cli.py): globs of files it leaves alone.
    "fmt": {
        "exclude": ((list,), "an array of strings"),
    },
    # The names prism_runtime/llm_config.py reads (issue 5 spells them with underscores).
    "llm": {
        "provider": ((str,), "a string"),
        "base_url": ((str,), "a string"),
        "model": ((str,), "a string"),
        "embedding_model": ((str,), "a string"),
        "model_path": ((str,), "a string"),
        "api_key_env": ((str,), "a string"),
        "timeout": ((int, float), "a number"),
        "max_retries": ((int,), "an integer"),
        "default_confidence": ((int, float), "a number"),
    },
    # What prism_runtime/parallel_config.py reads.
    "cluster": {
        "backend": ((str,), "a string"),
        "address": ((str,), "a string"),
        "workers": ((int,), "an integer"),
        "connect_timeout": ((int, float), "a number"),
    },
    # std/http (prism_runtime/http.py reads them; docs/stdlib.md).
    "http": {
        "timeout": ((int, float), "a number"),
        "retries": ((int,), "an integer"),
        "retry_backoff": ((int, float), "a number"),
        "max_response_bytes": ((int,), "an integer"),
        "max_connections": ((int,), "an integer"),
    },
}


class ConfigError(Exception):
    """A Prism.toml problem; str() is `Prism.toml:LINE: message`."""


@dataclass
class Project:
    root: Path
    name: str
    version: str = "0.1.0"
    main: str = "src/main.prism"
    opt_level: int = 3
    lto: bool = False
    codegen_units: int = 2
    stack_guard: bool = True
    llm: dict = field(default_factory=dict)

    @property
    def src(self) -> Path:
        return self.root / "src"

    @property
    def main_file(self) -> Path:
        return self.root / self.main

    def target(self, debug: bool = False) -> Path:
        return self.root / "target" / ("debug" if debug else "release")


def _line_of(text: str, section: str, key=None) -> int:
    """1-based line of `[section]` (key None) or of `key = ...` inside it; 0 when not found."""
    current = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        m = re.match(r"^\[\s*([^\]]+?)\s*\]", line)
        if m:
            current = m.group(1).strip().strip('"')
            if key is None and current == section:
                return number
            continue
        if key is not None and current == section:
            m = re.match(r'^"?([A-Za-z0-9_\-]+)"?\s*=', line)
            if m and m.group(1) == key:
                return number
    return 0


def load_project(root: Path) -> Project:
    """Read and validate root/Prism.toml; raises ConfigError naming the key and its line."""
    import tomllib
    path = root / MANIFEST
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise ConfigError(f"{MANIFEST}:{m.group(1) if m else 0}: invalid TOML: {exc}") from None
    for section, table in data.items():
        if section not in SCHEMA:
            raise ConfigError(f"{MANIFEST}:{_line_of(text, section)}: unknown section [{section}]")
        if not isinstance(table, dict):
            raise ConfigError(f"{MANIFEST}:{_line_of(text, section)}: '{section}' must be a table")
        for key, value in table.items():
            line = _line_of(text, section, key)
            if key not in SCHEMA[section]:
                known = ", ".join(SCHEMA[section])
                raise ConfigError(f"{MANIFEST}:{line}: unknown key '{key}' in [{section}] (known keys: {known})")
            types, what = SCHEMA[section][key]
            ok = isinstance(value, types) and not (bool not in types and isinstance(value, bool))
            if ok and key == "optimization-level":
                ok = 0 <= value <= 3
            if ok and key == "codegen-units":
                ok = value >= 1
            if ok and key in ("authors", "exclude"):
                ok = all(isinstance(a, str) for a in value)
            if not ok:
                raise ConfigError(f"{MANIFEST}:{line}: '{key}' in [{section}] must be {what}, not {value!r}")
    package = data.get("package")
    if package is None:
        raise ConfigError(f"{MANIFEST}:1: missing [package] section")
    if "name" not in package:
        raise ConfigError(f"{MANIFEST}:{_line_of(text, 'package')}: [package] needs a 'name'")
    name = package["name"]
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_\-]*", name):
        raise ConfigError(f"{MANIFEST}:{_line_of(text, 'package', 'name')}: package name {name!r} must be "
                          "letters, digits, '_' or '-' (it names the executable)")
    build = data.get("build", {})
    return Project(root=root, name=name, version=package.get("version", "0.1.0"),
                   main=package.get("main", "src/main.prism"),
                   opt_level=build.get("optimization-level", 3), lto=build.get("lto", False),
                   codegen_units=build.get("codegen-units", 2), stack_guard=build.get("stack-guard", True),
                   llm=data.get("llm", {}))


def current_project(start: Path = None) -> Project:
    """The project around start (default cwd); prints the error and exits 1 when there is none."""
    root = find_root(start or Path.cwd())
    if root is None:
        click.echo(f"error: no {MANIFEST} in {Path.cwd()} or its parents (create a project with `prism new NAME`)",
                   err=True)
        sys.exit(1)
    try:
        return load_project(root)
    except ConfigError as exc:
        click.echo(f"{root / MANIFEST}:{str(exc).partition(':')[2]}", err=True)
        sys.exit(1)


def project_main_file(cwd: Path) -> Path:
    """The main module of the project around cwd (used by `prism run` without a FILE)."""
    return current_project(cwd).main_file


# ---------------------------------------------------------------- prism new

TOML_TEMPLATE = """\
[package]
name = "{name}"
version = "0.1.0"
main = "src/main.prism"

[build]
optimization-level = 3   # 0..3, passed to the C compiler as -O0..-O3
lto = false              # link-time optimisation (-flto)
codegen-units = 2        # modules compiled in parallel

[llm]
# provider = "openai"            # or "local" (llama-cpp-python, pip install '.[local]')
# base_url = "http://127.0.0.1:11434/v1"
# model = "gpt-4o-mini"
# api_key_env = "OPENAI_API_KEY"  # the key itself never goes in this file
# timeout = 30
# max_retries = 2
# default_confidence = 1.0
"""

MAIN_TEMPLATE = """\
import {{ benchmark }} from "std/perf"

fn fib(n: int) -> int {{
    if n < 2 {{
        return n
    }}
    return fib(n - 1) + fib(n - 2)
}}

fn greeting(name: string) -> string {{
    return "Hello from " + name + "!"
}}

#[test]
fn test_fib() {{
    if fib(10) != 55 {{
        throw error("fib(10) should be 55, got " + str(fib(10)))
    }}
}}

#[test]
fn test_greeting() {{
    if greeting("{name}") != "Hello from {name}!" {{
        throw error("unexpected greeting")
    }}
}}

#[benchmark]
fn bench_fib() {{
    fib(15)
}}

fn main() {{
    print(greeting("{name}"))
    print("fib(20) =", fib(20))
}}
"""

GITIGNORE = "target/\n"


def new_project(name: str, parent: Path) -> Path:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_\-]*", name):
        raise click.ClickException(f"project name {name!r} must be letters, digits, '_' or '-'")
    root = parent / name
    if root.exists():
        raise click.ClickException(f"{root} already exists")
    (root / "src").mkdir(parents=True)
    (root / MANIFEST).write_text(TOML_TEMPLATE.format(name=name), encoding="utf-8")
    (root / "src" / "main.prism").write_text(MAIN_TEMPLATE.format(name=name), encoding="utf-8")
    (root / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    return root


# ---------------------------------------------------------------- commands

def register(group: click.Group) -> None:
    """Add new/build/test/bench/profile to the `prism` command group."""

    @group.command("new")
    @click.argument("name")
    def new_cmd(name):
        """Create a new project NAME (Prism.toml, src/main.prism, .gitignore)."""
        root = new_project(name, Path.cwd())
        click.echo(f"Created project '{name}' in {root}")

    @group.command("build")
    @click.option("--debug", is_flag=True, help="Build into target/debug with -O0 -g.")
    @click.option("--verbose", is_flag=True, help="Print every C compiler command line.")
    @click.option("--profile-generate", is_flag=True, help="Instrument for PGO; data goes to target/pgo.")
    @click.option("--profile-use", is_flag=True, help="Optimise with the PGO data in target/pgo.")
    def build_cmd(debug, verbose, profile_generate, profile_use):
        """Build the project: extension modules and the executable target/release/NAME."""
        from transpiler.tools.project_build import build_project
        if profile_generate and profile_use:
            raise click.UsageError("--profile-generate and --profile-use are exclusive")
        project = current_project()
        sys.exit(build_project(project, debug=debug, verbose=verbose,
                               profile_generate=profile_generate, profile_use=profile_use))

    @group.command("test")
    @click.argument("file", type=click.Path(path_type=Path), required=False)
    @click.option("-O", "opt_level", type=click.IntRange(0, 3), default=0, show_default=True)
    def test_cmd(file, opt_level):
        """Run the #[test] functions of FILE, or of every module of the project."""
        from transpiler.tools.project_run import run_tests
        sys.exit(run_tests(_files_for(file), opt_level))

    @group.command("bench")
    @click.argument("file", type=click.Path(path_type=Path), required=False)
    @click.option("--json", "json_path", type=click.Path(path_type=Path), help="Write the results as JSON.")
    @click.option("--save", "save", help="Save the results as baseline NAME (target/bench/NAME.json).")
    @click.option("--compare", "compare", help="Compare with baseline NAME.")
    @click.option("-O", "opt_level", type=click.IntRange(0, 3), default=None,
                  help="C optimisation level (default: the project's, or 3).")
    @click.option("--repeats", type=click.IntRange(3, 1000), default=7, show_default=True)
    def bench_cmd(file, json_path, save, compare, opt_level, repeats):
        """Run the #[benchmark] functions: warm-up, auto iteration count, repeats; median and MAD."""
        from transpiler.tools.project_run import run_benchmarks
        root = find_root(file.parent if file else Path.cwd())
        project = current_project(root) if root else None
        level = opt_level if opt_level is not None else (project.opt_level if project else 3)
        bench_dir = (project.root if project else Path.cwd()) / "target" / "bench"
        sys.exit(run_benchmarks(_files_for(file), level, json_path, save, compare, bench_dir, repeats))

    @group.command("profile")
    @click.argument("file", type=click.Path(path_type=Path), required=False)
    @click.option("--flamegraph", is_flag=True, help="Write an SVG flame graph.")
    @click.option("--confidence", is_flag=True,
                  help="Profile confidence instead of time: where confidence is produced and lost, per function "
                       "and per line, and an SVG chart (a debug build; docs/debugging.md).")
    @click.option("-o", "output", type=click.Path(path_type=Path),
                  help="Chart path (default flamegraph.svg, or confidence.svg with --confidence).")
    @click.option("-O", "opt_level", type=click.IntRange(0, 3), default=2, show_default=True)
    @click.option("--top", default=15, show_default=True, help="How many functions to list.")
    def profile_cmd(file, flamegraph, confidence, output, opt_level, top):
        """Build FILE (or the project's main) with profiling hooks, run it, and report where time goes
        (or, with --confidence, where confidence goes)."""
        if file is None:
            file = project_main_file(Path.cwd())
        if not file.is_file():
            click.echo(f"error: no such file: {file}", err=True)
            sys.exit(1)
        if confidence:
            from transpiler.tools.confidence_profile import profile_confidence
            if flamegraph:
                raise click.UsageError("--confidence and --flamegraph are exclusive")
            sys.exit(profile_confidence(file, output or Path("confidence.svg")))
        from transpiler.tools.project_run import profile_file
        sys.exit(profile_file(file, opt_level, flamegraph, output or Path("flamegraph.svg"), top))


def _files_for(file):
    if file is not None:
        if not file.is_file():
            click.echo(f"error: no such file: {file}", err=True)
            sys.exit(1)
        return [file]
    project = current_project()
    files = sorted(project.src.rglob("*.prism"))
    if not files:
        click.echo(f"error: no .prism files under {project.src}", err=True)
        sys.exit(1)
    return files
