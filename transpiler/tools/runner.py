"""Running compiled Prism programs: import with the hook, call `main`, and map
uncaught errors back to the `.prism` line.

Talks to: `prism_runtime.install` (imports compile through it, or come
straight from the build cache), the `.pyx` files in the build cache (their
`# @L<n>` markers give the Prism line of each generated line). Used by
`launcher` and `cli` (`prism run`), `project_run` (`prism test`, `prism bench`).

Imports stay light (no click, no compiler module, asyncio only for an async
`main`): a cached `prism run` goes launcher -> here -> the hook -> the module.
"""
from __future__ import annotations

import importlib
import json
import os
import re
import sys
import threading
import time
from functools import lru_cache
from pathlib import Path
from typing import Optional

_MARK = re.compile(r"# @L(\d+)\s*$")


@lru_cache(maxsize=64)
def _line_marks(pyx: str) -> tuple:
    try:
        lines = Path(pyx).read_text(encoding="utf-8").splitlines()
    except OSError:
        return ()
    marks, current = [], 0
    for text in lines:
        m = _MARK.search(text)
        if m:
            current = int(m.group(1))
        marks.append(current)
    return tuple(marks)


@lru_cache(maxsize=64)
def _source_of(pyx: str) -> Optional[str]:
    meta = Path(pyx).with_name("meta.json")
    try:
        return json.loads(meta.read_text())["source"]
    except (OSError, ValueError, KeyError):
        return None


def prism_location(exc: BaseException):
    """(prism file, line) of the innermost Prism frame of exc's traceback, or None."""
    found = None
    pyx_paths: dict = {}        # a runaway recursion leaves ~10^5 entries from a handful of files
    tb = exc.__traceback__
    while tb is not None:
        code, globals_ = tb.tb_frame.f_code, tb.tb_frame.f_globals
        key = (code.co_filename, globals_.get("__file__"))
        if key not in pyx_paths:
            pyx_paths[key] = _pyx_path(tb.tb_frame)
        filename = pyx_paths[key]
        if filename is not None:
            marks = _line_marks(filename)
            line = tb.tb_lineno
            if 0 < line <= len(marks) and marks[line - 1]:
                source = _source_of(filename)
                if source is not None:
                    found = (source, marks[line - 1])
        tb = tb.tb_next
    return found


def prism_frames(exc: BaseException) -> list:
    """Every Prism frame of exc's traceback, outermost first: (prism file, line, function's
    code name). A debug build's function re-raises from its unwinding handler (lower_debug),
    which adds a second entry for the same call at the `raise`; those entries are left out."""
    frames = []
    tb = exc.__traceback__
    while tb is not None:
        filename = _pyx_path(tb.tb_frame)
        if filename is not None:
            marks = _line_marks(filename)
            line = tb.tb_lineno
            source = _source_of(filename)
            if 0 < line <= len(marks) and marks[line - 1] and source is not None \
                    and not _is_unwinding_reraise(filename, line):
                frames.append((source, marks[line - 1], tb.tb_frame.f_code.co_name))
        tb = tb.tb_next
    return frames


@lru_cache(maxsize=64)
def _pyx_lines(pyx: str) -> tuple:
    try:
        return tuple(Path(pyx).read_text(encoding="utf-8").splitlines())
    except OSError:
        return ()


def _is_unwinding_reraise(pyx: str, line: int) -> bool:
    lines = _pyx_lines(pyx)
    return 1 < line <= len(lines) and lines[line - 1].strip().startswith("raise  #") \
        and "_ptrace.unwinding(" in lines[line - 2]


def _pyx_path(frame) -> Optional[str]:
    """The generated .pyx behind a Cython frame: Cython records only its base name,
    and the module's __file__ (the built extension) sits beside it in the cache."""
    name = frame.f_code.co_filename
    if not name.endswith(".pyx"):
        return None
    module_file = frame.f_globals.get("__file__")
    if not module_file or not frame.f_globals.get("__prism_source__"):
        return None
    return str(Path(module_file).with_name(Path(name).name))


def error_message(exc: BaseException) -> str:
    from prism_runtime.errors import as_prism_error
    return as_prism_error(exc).message


def load_module(path: Path, options):
    """Import the .prism file at path (compiling it and its Prism imports)."""
    import prism_runtime.install as hook
    hook.set_options(options, start_compile_server=True)   # a `prism` command: a miss may start one
    hook.install()
    directory = str(path.resolve().parent)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    name = hook.module_name_for(path.stem)
    sys.modules.pop(name, None)
    return importlib.import_module(name)


# Programs run in a thread with a large stack so that deep recursion (tens of thousands of
# Prism frames) works; recursive generated functions check the stack (core.pxd, stack_check) and
# raise a Prism error near its end instead of overflowing it. The recursion limit is also the
# depth budget of compiled call cycles (callgraph.py); each level that unwinds from a runaway
# recursion costs a traceback entry, so it stays at a few hundred thousand.
PROGRAM_STACK = 64 * 1024 * 1024
PROGRAM_RECURSION_LIMIT = 200_000


def run_with_big_stack(fn):
    """Call fn() in a thread with PROGRAM_STACK bytes of stack; return its result or re-raise."""
    import threading
    outcome = []

    def target():
        old = sys.getrecursionlimit()
        sys.setrecursionlimit(max(old, PROGRAM_RECURSION_LIMIT))
        try:
            outcome.append((True, fn()))
        except BaseException as exc:  # re-raised in the calling thread, traceback intact
            outcome.append((False, exc))
        finally:
            sys.setrecursionlimit(old)

    old_size = threading.stack_size()
    threading.stack_size(PROGRAM_STACK)
    try:
        worker = threading.Thread(target=target, name="prism-main", daemon=True)
        worker.start()
    finally:
        threading.stack_size(old_size)
    while worker.is_alive():
        worker.join(0.1)          # a timed join keeps Ctrl-C deliverable to this thread
    ok, value = outcome[0]
    if ok:
        return value
    raise value


def call_main(module) -> None:
    """After the top level: print the program's result (the value of its final top-level
    expression statement, when not null, as the original `prism FILE` does), then call
    `fn main()` if there is one."""
    result = getattr(module, "__prism_result__", None)
    if result is not None:
        from prism_runtime.core import to_str
        print(to_str(result))
    main = getattr(module, "__prism_main__", None)
    if main is None:
        return
    result = main()
    if result is not None:
        import inspect
        if inspect.isawaitable(result):
            import asyncio
            asyncio.run(_await(result))


async def _await(awaitable):
    return await awaitable


EXIT_GRACE_SECONDS = 20.0


def _exit_within(seconds: float, status: int) -> None:
    """After Ctrl-C the program must end: exit hooks still run (outstanding parallel chunks are
    cancelled, caches written), but if one of them, or a library thread the interpreter waits
    for, has not finished `seconds` later, the process ends anyway with `status`."""
    def deadline():
        time.sleep(seconds)
        sys.stdout.flush()
        os._exit(status)
    threading.Thread(target=deadline, name="prism-exit-deadline", daemon=True).start()


def run_file(file: Path, options) -> int:
    """`prism run`: import FILE (building what is not cached), print its result, call `main`;
    the exit status. A compile error prints its diagnostic, an uncaught Prism error
    `file.prism:LINE: error: message`; neither shows a Python traceback."""
    from prism_runtime.install import PrismCompileFailure
    try:
        run_with_big_stack(lambda: call_main(load_module(file, options)))
    except PrismCompileFailure as exc:
        sys.stdout.flush()
        print(exc.rendered, file=sys.stderr)
        return 1
    except SystemExit:
        raise
    except KeyboardInterrupt:
        _exit_within(EXIT_GRACE_SECONDS, 130)
        return 130
    except BrokenPipeError:
        # The reader went away (`prism run x.prism | head`): stop quietly, as shell tools do.
        os._exit(141)
    except BaseException as exc:  # an uncaught Prism error: report it at its .prism line
        sys.stdout.flush()
        where = prism_location(exc)
        message = error_message(exc)
        if where is not None:
            from prism_runtime.debug import display_path
            print(f"{display_path(where[0])}:{where[1]}: error: {message}", file=sys.stderr)
        else:
            print(f"{file}: error: {message}", file=sys.stderr)
        return 1
    sys.stdout.flush()
    return 0
