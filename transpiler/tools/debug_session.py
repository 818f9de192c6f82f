"""`prism run --debug`: a debug build run with the debugger's reports.

The program is built as a debug build (`BuildOptions(opt_level=0, debug=True)`:
no optimisation, C debug info, debug macros and confidence-factor tracking on,
see lower_debug) and run like `prism run` does. An uncaught error prints, after
the usual `file:line: error: message`, the Prism call stack, outermost first and
innermost last, one `file:line in function` per frame with that frame's locals
(which the debug build's functions hand to the error as it leaves them). A
`#[confidence_break(action: "pause")]` in a terminal opens the REPL with the
frame's locals (`pause_in_repl`).

Talks to: `runner` (loading, the big-stack thread, traceback frames),
`prism_runtime.debug` (value display, the pause handler), `build` (options),
`repl` (the session a pause opens).
"""
from __future__ import annotations

import sys
from pathlib import Path

from transpiler.toolchain.build import BuildOptions

DEBUG_OPTIONS = dict(opt_level=0, debug=True)


def debug_options(typed: bool = True) -> BuildOptions:
    """The debug build: -O0 -g, macros and tracing on."""
    return BuildOptions(typed=typed, **DEBUG_OPTIONS)


def call_stack_lines(exc: BaseException) -> list:
    """The Prism call stack of exc, outermost first, each frame's locals under it."""
    from prism_runtime.debug import display_path, value_text
    from transpiler.tools import runner
    frames = runner.prism_frames(exc)
    records = list(getattr(exc, "__dict__", {}).get("__prism_frames__", []))   # innermost first
    shown = []
    for source, line, code_name in reversed(frames):            # innermost first, to pair
        local_values = None
        top = code_name == "<module>" or code_name.startswith("init ")   # Cython's module init
        if not top and records:
            function, py_name, values = records[0]
            if py_name in (code_name, "") or not any(r[1] == code_name for r in records):
                local_values = values
                records.pop(0)
                code_name = function
        label = "<top level>" if top else _prism_function(code_name)
        entry = [f"  {display_path(source)}:{line} in {label}"]
        from prism_runtime.trace import visible_locals
        for name, value in visible_locals(local_values or [], line).items():
            entry.append(f"      {name} = {value_text(value)}")
        shown.append(entry)
    lines = ["Prism call stack (innermost last):"]
    for entry in reversed(shown):
        lines.extend(entry)
    return lines


def _prism_function(code_name: str) -> str:
    from transpiler.passes.callgraph import REC_PREFIX
    if code_name.startswith(REC_PREFIX):
        code_name = code_name[len(REC_PREFIX):]
    return code_name[4:] if code_name.startswith("_pu_") else code_name


def pause_in_repl(place: str, message: str, frame_locals: dict) -> None:
    """The `pause` action: a REPL whose session starts with the frame's locals; leaving it
    (:quit, Ctrl-D) lets the program go on."""
    from transpiler.tools import repl_pause
    repl_pause.run(place, message, frame_locals)


def run_debug(file: Path, untyped: bool = False) -> int:
    """`prism run --debug FILE`: exit status 0, or 1 after reporting an uncaught error."""
    import click
    from prism_runtime import debug
    from prism_runtime.install import PrismCompileFailure
    from transpiler.tools import runner
    from prism_runtime.debug import display_path
    options = debug_options(typed=not untyped)
    debug.set_pause_handler(pause_in_repl)
    try:
        runner.run_with_big_stack(lambda: runner.call_main(runner.load_module(file, options)))
    except PrismCompileFailure as exc:
        sys.stdout.flush()
        click.echo(exc.rendered, err=True)
        return 1
    except KeyboardInterrupt:
        return 130
    except BaseException as exc:  # an uncaught Prism error: its line, then the call stack
        sys.stdout.flush()
        where = runner.prism_location(exc)
        message = runner.error_message(exc)
        head = f"{display_path(where[0])}:{where[1]}" if where is not None else str(file)
        click.echo(f"{head}: error: {message}", err=True)
        click.echo("\n".join(call_stack_lines(exc)), err=True)
        return 1
    finally:
        debug.set_pause_handler(None)
    sys.stdout.flush()
    return 0
