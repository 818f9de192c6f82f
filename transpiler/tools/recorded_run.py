"""Running a program as a debug build with the tracer recording: what `prism inspect` and
`prism profile --confidence` look at.

`record_run(file)` builds the file (and the Prism files it imports) as debug
builds, starts `prism_runtime.trace`'s recording, runs the top level and `main`
(as `prism run` does, in the big-stack thread), and returns every recorded event
with the outcome: the exit status `prism run --debug` would have given and, for
an uncaught error, its message, place and call stack. The program's own output
goes where it always goes.

Talks to: `runner` (loading, the big-stack thread, error places),
`debug_session` (the debug build's options, the call stack text),
`prism_runtime.trace` (the recording).
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional


@dataclass
class RecordedRun:
    program: str                        # the file as given
    events: list                        # trace.events_as_dicts records, in time order
    exit_status: int                    # 0, 1 (uncaught error or compile error) or 130
    wall_ms: float
    error: Optional[dict] = None        # the uncaught error: message, code, file, line, stack
    compile_error: Optional[str] = None  # the rendered diagnostic when it did not build
    notes: list = field(default_factory=list)


def record_run(file: Path, typed: bool = True) -> RecordedRun:
    from prism_runtime import trace
    from prism_runtime.errors import as_prism_error
    from prism_runtime.install import PrismCompileFailure
    from transpiler.tools import runner
    from transpiler.tools.debug_session import call_stack_lines, debug_options
    options = debug_options(typed=typed)
    compile_error = _build_first(file, options)     # so the recording's clock starts with the program
    if compile_error is not None:
        return RecordedRun(str(file), [], 1, 0.0, compile_error=compile_error)
    started = time.perf_counter()
    trace.start_recording(runner.prism_location)
    status, error = 0, None
    try:
        runner.run_with_big_stack(lambda: runner.call_main(runner.load_module(file, options)))
    except PrismCompileFailure as exc:
        trace.stop_recording()
        return RecordedRun(str(file), [], 1, 0.0, compile_error=exc.rendered)
    except KeyboardInterrupt:
        status = 130
    except BaseException as exc:  # the uncaught error: recorded like the others, with its stack
        sys.stdout.flush()
        status = 1
        where = runner.prism_location(exc)
        err = as_prism_error(exc)
        error = {"message": runner.error_message(exc), "code": err.code,
                 "file": where[0] if where else str(file), "line": where[1] if where else None,
                 "context": err.context, "caught": False, "stack": call_stack_lines(exc)}
        trace.record_error(dict(error))
    finally:
        events = trace.stop_recording()
    sys.stdout.flush()
    return RecordedRun(str(file), events, status, (time.perf_counter() - started) * 1e3, error)


def _build_first(file: Path, options) -> Optional[str]:
    """Build file's module into the cache; the rendered diagnostic when it does not build."""
    from prism_runtime.install import module_name_for
    from transpiler.toolchain.build import InternalCompilerError, as_compile_error, build_module
    from transpiler.front.diagnostics import CompileError, render
    try:
        build_module(file, module_name_for(file.stem), options)
    except CompileError as exc:
        return render(exc, file.read_text(encoding="utf-8", errors="replace"), str(file))
    except InternalCompilerError as exc:
        return render(as_compile_error(exc, str(file)), None, str(file))
    return None
