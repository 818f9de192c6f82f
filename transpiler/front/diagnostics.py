"""Compile-time diagnostics: the error type every pass raises and its rendering.

Raised by the tokenizer, parser, AST builder and the passes (`resolve`,
`infer`, `check`); rendered by `transpiler.tools.cli` as

    file.prism:3:9: error: undefined name 'y'
      3 | let x = y + 1
        |         ^
      = help: did you mean 'x'?

Expected-error test files hold the `line:col: message` part only
(see `CompileError.short`).
"""
from __future__ import annotations

from typing import Optional

from transpiler.front.ast import Span


class CompileError(Exception):
    """A problem in the user's Prism source; never an internal error."""

    def __init__(self, message: str, span: Optional[Span], help: Optional[str] = None,
                 path: Optional[str] = None):
        super().__init__(message)
        self.message = message
        self.span = span
        self.help = help
        self.path = path

    def short(self) -> str:
        if self.span is None:
            return self.message
        return f"{self.span.line}:{self.span.col}: {self.message}"


def record(error: CompileError) -> dict:
    """A warning as plain data (kept in the build cache, see build.py)."""
    span = error.span
    where = [span.line, span.col, span.end_line, span.end_col] if span is not None else None
    return {"message": error.message, "span": where, "help": error.help}


def from_record(data: dict) -> CompileError:
    span = Span(*data["span"]) if data.get("span") else None
    return CompileError(data["message"], span, help=data.get("help"))


def render(error: CompileError, source: Optional[str], path: Optional[str] = None,
           severity: str = "error") -> str:
    """Render `error` the way rustc does: location, source line, caret, help."""
    where = path or error.path or "<input>"
    span = error.span
    if span is None:
        head = f"{where}: {severity}: {error.message}"
        return head + (f"\n  = help: {error.help}" if error.help else "")
    head = f"{where}:{span.line}:{span.col}: {severity}: {error.message}"
    lines = [head]
    if source is not None:
        source_lines = source.splitlines()
        if 1 <= span.line <= len(source_lines):
            text = source_lines[span.line - 1].replace("\t", " ")
            gutter = str(span.line)
            pad = " " * len(gutter)
            width = 1
            if span.end_line == span.line and span.end_col > span.col:
                width = span.end_col - span.col
            width = max(1, min(width, max(1, len(text) - span.col + 1)))
            lines.append(f"{pad} |")
            lines.append(f"{gutter} | {text}")
            lines.append(f"{pad} | {' ' * (span.col - 1)}{'^' * width}")
    if error.help:
        lines.append(f"  = help: {error.help}")
    return "\n".join(lines)
