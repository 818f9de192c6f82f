"""The compiler's stages, in order. Everything that turns Prism into Cython goes through here.

    source --parser.parse_module--> ast.Module
           --macros.expand_macros-> ast.Module     (macro invocations expanded)
           --modules.locate_imports-> imports      (where each import comes from)
           --resolve.resolve------> Resolution     (names, the struct/trait table)
           --infer.infer----------> Typing         (types)
           --check.check----------> warnings       (static errors raise)
           --unboxing.unboxed_literals-> which array literals are built unboxed
           --lower.lower----------> ir.Module      (view models)
           --hoist.hoist_module---> ir.Module      (checked C ops out of pure statements)
           --render.render_module-> .pyx text      (Jinja templates)

and, from the module, Resolution and Typing,
           --stubs.stub_module----> StubModule --render.render_stub--> .pyi text

`build` takes the .pyx from here to an extension module.
"""
from __future__ import annotations

import gc
import sys
import threading
from dataclasses import dataclass

from transpiler.front import ast
from transpiler.passes.check import check
from transpiler.front.diagnostics import CompileError
from transpiler.back.hoist import hoist_module
from transpiler.passes.infer import infer
from transpiler.back.lower import lower
from transpiler.passes.macros import expand_macros, expansion_note
from transpiler.passes.modules import locate_imports
from transpiler.front.parser import _decode, parse_module
from transpiler.back.render import render_module, render_stub
from transpiler.passes.resolve import resolve
from transpiler.back.stubs import stub_module
from transpiler.passes.unboxing import unboxed_literals


@dataclass
class Transpiled:
    module: ast.Module
    pyx: str
    warnings: list
    prism_imports: list        # import specs of other .prism files ("./util")
    pyi: str = ""              # the typed stub Python callers see (stubs.py)


# The passes walk the tree recursively; a long flat chain such as a 5000-term sum is a
# left-nested tree thousands of levels deep. They run in a thread with a large stack
# and recursion limit, and what is deeper still is a compile error, not a RecursionError.
_PASS_STACK = 512 * 1024 * 1024
_PASS_RECURSION = 100_000


# The recursion limit, the collector and the stack size of new threads belong to the whole
# process, and more than one thread may run the passes at once (the language server's
# analysis thread and its request thread): the first caller in saves them, the last one
# out restores them, so no caller restores another's settings from under it.
_settings_lock = threading.Lock()
_callers_inside = 0
_saved_settings: tuple = (0, True)


def _enter_deep() -> None:
    global _callers_inside, _saved_settings
    with _settings_lock:
        if _callers_inside == 0:
            _saved_settings = (sys.getrecursionlimit(), gc.isenabled())
            sys.setrecursionlimit(max(_saved_settings[0], _PASS_RECURSION))
            # The passes build a large, acyclic-by-design object graph; the cyclic GC would
            # rescan it on every generation-2 collection, making compile time grow faster
            # than the source.
            gc.disable()
        _callers_inside += 1


def _leave_deep() -> None:
    global _callers_inside
    with _settings_lock:
        _callers_inside -= 1
        if _callers_inside == 0:
            limit, gc_was_enabled = _saved_settings
            sys.setrecursionlimit(limit)
            if gc_was_enabled:
                gc.enable()


def _start_with_large_stack(worker: threading.Thread) -> None:
    with _settings_lock:
        old_size = threading.stack_size()
        threading.stack_size(_PASS_STACK)
        try:
            worker.start()
        finally:
            threading.stack_size(old_size)


def _deep(fn, *args, **kwargs):
    """fn(*args, **kwargs) on a thread with a large stack, a high recursion limit and the
    collector off; a RecursionError becomes a CompileError. Safe to call from several
    threads at once and from inside another `_deep`."""
    outcome = []

    def target():
        try:
            outcome.append((True, fn(*args, **kwargs)))
        except BaseException as exc:  # re-raised in the caller's thread
            outcome.append((False, exc))

    _enter_deep()
    try:
        worker = threading.Thread(target=target, name="prism-passes")
        _start_with_large_stack(worker)
        worker.join()
    finally:
        _leave_deep()
    ok, value = outcome[0]
    if ok:
        return value
    if isinstance(value, RecursionError):
        raise CompileError("program is nested too deeply", None,
                           help="split long expressions or deep nesting into smaller pieces") from None
    raise value


# Cython's own passes recurse over expressions and fail a few hundred levels down, so
# deeper source is refused up front, like CPython's limit of 200 nested parentheses.
MAX_NESTING = 200


def _check_nesting(module: ast.Module) -> None:
    """Raise a CompileError at the first node nested more than MAX_NESTING statements
    and expressions deep (iteratively, so the check itself cannot overflow)."""
    stack = [(module, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend((item, depth) for item in node if isinstance(item, (ast.Node, list, tuple)))
            continue
        if isinstance(node, (ast.Expr, ast.Stmt)):
            depth += 1
            if depth > MAX_NESTING:
                raise CompileError(f"program is nested too deeply (more than {MAX_NESTING} levels)",
                                   getattr(node, "span", None),
                                   help="split long expressions or deep nesting into smaller pieces")
        for name in getattr(node, "__dataclass_fields__", ()):
            value = getattr(node, name)
            if isinstance(value, ast.Node):
                stack.append((value, depth))
            elif isinstance(value, (list, tuple)):
                stack.extend((item, depth) for item in value if isinstance(item, (ast.Node, list, tuple)))


def _analyse(source, path: str):
    module = parse_module(source, path)
    try:
        module = expand_macros(module, _decode(source))
        _check_nesting(module)
        resolution = resolve(module, locate_imports(module))
        typing = infer(module, resolution)
        warnings = resolution.warnings + check(module, resolution, typing)
        warnings.sort(key=lambda w: (w.span.line, w.span.col) if w.span is not None else (0, 0))
        for w in warnings:
            _note_expansion(w)
    except CompileError as e:
        _note_expansion(e)
        raise
    return module, resolution, typing, warnings


def _note_expansion(e: CompileError) -> None:
    """A diagnostic inside a macro expansion also names the invocation (see macros)."""
    note = expansion_note(e.span)
    if note is not None:
        e.help = note if e.help is None else f"{e.help} ({note})"


def analyse(source, path: str):
    """Front end and checks only: returns (module, resolution, typing, warnings)."""
    return _deep(_analyse, source, path)


def _stub_text(module, resolution, typing, source) -> str:
    text = source.decode("utf-8", errors="replace") if isinstance(source, bytes) else source
    return render_stub(stub_module(module, resolution, typing, text))


def _stub(source, path: str):
    module, resolution, typing, warnings = _analyse(source, path)
    return _stub_text(module, resolution, typing, source), warnings


def stub(source, path: str):
    """Front end, checks and the typed stub only (no lowering): returns (pyi text, warnings)."""
    return _deep(_stub, source, path)


def _transpile(source, path: str, module_name: str, typed: bool, profile: bool,
               stack_guard: bool, debug: bool = False) -> Transpiled:
    module, resolution, typing, warnings = _analyse(source, path)
    unboxed = unboxed_literals(module, resolution, typing) if typed else {}
    program = lower(module, resolution, typing, module_name, typed=typed, stack_guard=stack_guard,
                    unboxed=unboxed, debug=debug, source=_decode(source))
    hoist_module(program)
    program.profile = profile
    pyx = render_module(program)
    return Transpiled(module, pyx, warnings, [imp.source for imp in resolution.prism_imports],
                      _stub_text(module, resolution, typing, source))


def transpile(source, path: str, module_name: str, *, typed: bool = True, profile: bool = False,
              stack_guard: bool = True, debug: bool = False) -> Transpiled:
    """`debug=True`: a debug build (debug macros print, confidence factors are tracked; see
    lower_debug); otherwise the debug macros are nothing."""
    return _deep(_transpile, source, path, module_name, typed, profile, stack_guard, debug)
