"""The `prism` command's entry point: `prism run FILE` without click or the compiler, the rest via `cli`.

`prism run FILE` is the edit-run loop, so it takes the shortest way: this
module reads the few options `run` has by hand and calls `runner.run_file`,
which imports the program through the import hook; the hook finds an
unchanged module in the build cache (`cache_lookup`) and loads it without
importing the compiler, and builds it (importing the compiler) only on a miss.
Anything else (`--help`, other commands, a project's `prism run` without FILE)
goes to the click commands in `cli`; `prism` alone starts the REPL (`repl`).

Talks to: `cache_lookup` (profiles, build options), `runner`, `cli`, `repl`.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

from transpiler.toolchain.cache_lookup import DEV_OPT_LEVEL, RELEASE_OPT_LEVEL, run_options


def run_opt_level(release: bool, opt_level: Optional[int]) -> int:
    """`prism run`'s C optimisation level: -O wins, else the release or development profile's."""
    if opt_level is not None:
        return opt_level
    return RELEASE_OPT_LEVEL if release else DEV_OPT_LEVEL


def parse_run_args(args: list):
    """(file, BuildOptions) for `prism run` arguments this module understands, else None
    (click then parses them and reports any error)."""
    file, release, opt_level, untyped = None, False, None, False
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if arg == "--release":
            release = True
        elif arg == "--untyped":
            untyped = True
        elif arg == "-O" and rest and rest[0] in ("0", "1", "2", "3"):
            opt_level = int(rest.pop(0))
        elif len(arg) == 3 and arg.startswith("-O") and arg[2] in "0123":
            opt_level = int(arg[2])
        elif arg.startswith("-") or file is not None:
            return None
        else:
            file = Path(arg)
    if file is None or not file.is_file():
        return None
    return file, run_options(run_opt_level(release, opt_level), typed=not untyped)


def main(argv: Optional[list] = None) -> None:
    args = sys.argv[1:] if argv is None else list(argv)
    if not args:
        from transpiler.tools.repl import start_repl
        sys.exit(start_repl())
    if args[0] == "run":
        parsed = parse_run_args(args[1:])
        if parsed is not None:
            from transpiler.tools import runner
            sys.exit(runner.run_file(*parsed))
    from transpiler.tools.cli import prism_main
    prism_main(args=args, prog_name="prism")
