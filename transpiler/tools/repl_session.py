"""The REPL's engine: each input becomes a small module that imports the session's earlier names.

An input is compiled on its own, never the whole session again, so each one
costs the same however long the session is (docs/toolchain.md, "prism repl";
bench/bench_latency.py measures the round trip). Input N becomes the file
`_repl_N.prism` in the session's directory:

    import { sqrt } from "math"               earlier `import` and `macro` inputs, repeated
    import { P, norm } from "./_repl_2"       each earlier name, from the input that last bound it
    import { count } from "./_repl_4"
    <the input>

It is built with the development profile by the compiler loaded in this
process and imported; its final expression statement's value
(`__prism_result__`) is the value shown. Names it declares are then owned by
it; a name it assigns (`count = count + 1`) gets the new value in every earlier
input's module as well, so functions defined earlier see it, as one namespace
would. A struct of an earlier input is a type like any imported struct (checked
when used). Compile errors and uncaught errors are reported with the input's
own line numbers, and the session goes on.

Talks to: `build` (building each input, warm in this process), `pipeline`
(`:type`), `parser` (what an input declares), `escape` (a Prism name's Python
attribute), `runner` (the big-stack thread, error locations), `diagnostics`.
"""
from __future__ import annotations

import importlib.util
import shutil
import sys
import tempfile
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional

from transpiler.front import ast
from transpiler.toolchain.build import BuildOptions, InternalCompilerError, as_compile_error, build_module
from transpiler.toolchain.cache_lookup import DEV_OPT_LEVEL, load_shared_utility, run_options
from transpiler.front.diagnostics import CompileError, render
from transpiler.passes.escape import ident
from transpiler.front.parser import parse_module

_MISSING = object()


@dataclass
class Reply:
    text: Optional[str] = None          # the value to show, or the diagnostic
    ok: bool = True


def open_brackets(text: str) -> int:
    """How many ( [ { are still open at the end of text (strings and // comments skipped);
    more than zero means the input goes on on the next line."""
    depth, i, n = 0, 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "\"'`":
            i += 1
            while i < n and text[i] != ch:
                i += 2 if text[i] == "\\" else 1
        elif text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 1
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        i += 1
    return depth


def _statement_text(source: str, span: ast.Span) -> str:
    lines = source.splitlines()[span.line - 1:span.end_line]
    if not lines:
        return ""
    if len(lines) == 1:
        return lines[0][span.col - 1:span.end_col - 1]
    return "\n".join([lines[0][span.col - 1:], *lines[1:-1], lines[-1][:span.end_col - 1]])


class Session:
    def __init__(self, options: Optional[BuildOptions] = None):
        self.options = options or run_options(DEV_OPT_LEVEL)
        self.directory = Path(tempfile.mkdtemp(prefix="prism-repl-"))
        self.counter = 0
        self.owners: dict = {}          # Prism name -> module name of the input that last bound it
        self.modules: dict = {}         # module name -> module, in input order
        self.prelude: list = []         # source of earlier `import` and `macro` inputs
        self.entries: list = []         # cache entries this session built (removed on close)
        self._warming: Optional[threading.Thread] = None
        sys.path.insert(0, str(self.directory))
        import prism_runtime.install as hook
        hook.set_options(self.options)  # modules the inputs import build with the same profile
        hook.install()

    def warm_up_in_background(self) -> None:
        """Load Cython and build a small module while the user types the first input."""
        def warm():
            from transpiler.toolchain import compile_server
            try:
                compile_server._warm_up()
            except Exception:       # the first input loads what is missing and reports any problem
                pass
        self._warming = threading.Thread(target=warm, name="prism-warm-up", daemon=True)
        self._warming.start()

    def _wait_for_warm_up(self) -> None:
        if self._warming is not None:
            self._warming.join()    # Cython's compiler is not reentrant: one build at a time
            self._warming = None

    # ------------------------------------------------------------ compiling one input

    def _header(self, declared: set) -> list:
        by_owner: dict = {}
        for name, owner in self.owners.items():
            if name not in declared:
                by_owner.setdefault(owner, []).append(name)
        return list(self.prelude) + [f'import {{ {", ".join(sorted(names))} }} from "./{owner}"'
                                     for owner, names in by_owner.items()]

    def _write_cell(self, text: str, declared: set):
        self.counter += 1
        name = f"_repl_{self.counter}"
        header = self._header(declared)
        path = self.directory / f"{name}.prism"
        path.write_text("\n".join(header + [text]) + "\n", encoding="utf-8")
        return name, path, len(header)

    def _shift(self, error: CompileError, offset: int) -> CompileError:
        """The error with its line counted from the input's first line (None: in the header)."""
        span = error.span
        if span is None or span.line <= offset:
            return CompileError(error.message, None, help=error.help)
        return CompileError(error.message, replace(span, line=span.line - offset, end_line=span.end_line - offset),
                            help=error.help)

    def _render(self, error: CompileError, text: str, offset: int, severity: str = "error") -> str:
        return render(self._shift(error, offset), text, "<input>", severity)

    # ------------------------------------------------------------ evaluating

    def evaluate(self, text: str) -> Reply:
        """Compile and run one input; its value (with its confidence when below 1.0) or an error."""
        if not text.strip():
            return Reply()
        try:
            parsed = parse_module(text.encode("utf-8"), "<input>")
        except CompileError as exc:
            return Reply(render(exc, text, "<input>"), ok=False)
        declared = {s.name for s in parsed.body if isinstance(s, (ast.Let, ast.FnDecl, ast.StructDecl,
                                                                   ast.TraitDecl))}
        carried = [_statement_text(text, s.span) for s in parsed.body if isinstance(s, (ast.Import, ast.MacroDecl))]
        name, path, offset = self._write_cell(text, declared)
        self._wait_for_warm_up()
        try:
            result = build_module(path, name, self.options)
        except CompileError as exc:
            return Reply(self._render(exc, text, offset), ok=False)
        except InternalCompilerError as exc:
            return Reply(render(as_compile_error(exc, "<input>"), None, "<input>"), ok=False)
        except Exception as exc:  # a compiler bug: reported, the session goes on
            return Reply(f"<input>: internal compiler error: {type(exc).__name__}: {exc}", ok=False)
        self.entries.append(result.extension.parent)
        warnings = [self._render(w, text, offset, "warning") for w in result.warnings]
        for warning in warnings:
            print(warning, file=sys.stderr)
        try:
            load_shared_utility(result.shared_utility)
            module = self._run(name, result.extension)
        except BaseException as exc:  # an uncaught Prism error (or Ctrl-C) in the input
            if isinstance(exc, SystemExit):
                raise
            return Reply(self._runtime_error(exc, offset), ok=False)
        self._bind(module, name, declared)
        self.prelude.extend(carried)
        return Reply(self._show(getattr(module, "__prism_result__", None)))

    def _run(self, name: str, extension: Path):
        from transpiler.tools import runner
        spec = importlib.util.spec_from_file_location(name, extension)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            runner.run_with_big_stack(lambda: spec.loader.exec_module(module))
        except BaseException:
            sys.modules.pop(name, None)
            raise
        self.modules[name] = module
        return module

    def _runtime_error(self, exc: BaseException, offset: int) -> str:
        from transpiler.tools import runner
        if isinstance(exc, KeyboardInterrupt):
            return "interrupted"
        where = runner.prism_location(exc)
        message = runner.error_message(exc)
        if where is not None and where[1] > offset:
            return f"<input>:{where[1] - offset}: error: {message}"
        return f"error: {message}"

    def _bind(self, module, name: str, declared: set) -> None:
        """Record what the input declared, and give every earlier module a name it reassigned."""
        for prism_name in declared:
            self.owners[prism_name] = name
        for prism_name, owner in list(self.owners.items()):
            attr = ident(prism_name)
            value = getattr(module, attr, _MISSING)
            if value is _MISSING:
                continue
            if owner != name and value is getattr(self.modules[owner], attr, _MISSING):
                continue                    # imported and left as it was
            for other_name, other in self.modules.items():
                if other_name != name and attr in vars(other):
                    setattr(other, attr, value)

    @staticmethod
    def _show(value) -> Optional[str]:
        if value is None:
            return None
        from prism_runtime.confidence import conf_of
        from prism_runtime.core import to_str
        shown = to_str(value)
        confidence = conf_of(value)
        return f"{shown} (~{to_str(confidence)})" if confidence < 1.0 else shown

    # ------------------------------------------------------------ :type

    def type_of(self, expr: str) -> Reply:
        """The static type of expr; for a name whose static type is not known (an earlier
        input's binding), the type of its current value."""
        from transpiler.pipeline import analyse
        probe = "__repl_type"
        self.counter += 1
        header = self._header({probe})
        source = "\n".join(header + [f"let {probe} = (", expr, ")"]) + "\n"
        path = self.directory / f"_repl_type_{self.counter}.prism"
        try:
            module, _res, typing, _warnings = analyse(source.encode("utf-8"), str(path))
        except CompileError as exc:
            return Reply(self._render(exc, expr, len(header) + 1), ok=False)
        let = next(s for s in module.body if isinstance(s, ast.Let) and s.name == probe)
        found = typing.of(let.value)
        if found.kind == "any" and expr.strip() in self.owners:
            from prism_runtime.core import type_of
            owner = self.modules[self.owners[expr.strip()]]
            return Reply(f"{type_of(getattr(owner, ident(expr.strip())))} (its current value)")
        return Reply(str(found) + (" (may carry a confidence)" if found.conf else ""))

    # ------------------------------------------------------------ loading a file and closing

    def load(self, file: Path) -> Reply:
        """`prism repl --load FILE`: run FILE's top level as the first input (its main is not called)."""
        sys.path.insert(1, str(file.resolve().parent))      # its own imports of sibling files
        return self.evaluate(file.read_text(encoding="utf-8"))

    def close(self) -> None:
        for entry in self.entries:
            shutil.rmtree(entry, ignore_errors=True)
        shutil.rmtree(self.directory, ignore_errors=True)
        if str(self.directory) in sys.path:
            sys.path.remove(str(self.directory))
