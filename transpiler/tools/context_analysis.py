"""`prism analyze --context`: a static report on a program's contexts (nothing is run).

From the checked module (macros expanded, names resolved: `pipeline.analyse`):

- **Transitions**: the graph of which context follows which. `in context A { }
  shift to B { }` is the edge A -> B (shift); a context block inside another's
  body is parent -> child (nested); one entered with no context around it starts
  from `(start)`; a call, inside context A, of a function whose body enters
  context B is A -> B (call f). Context names are the names written (`in context
  A`, `in "name"`); a context given as a value is shown by its source text. A
  function's outermost contexts are entered from its caller's: `(caller of f)`.
- **Values declared in a context and used after it**: a `let` inside a context
  block is scoped to the block, so a later use of that name outside it reads
  nothing (an undefined name) or another variable of the same name: the original
  guide's "context leak".
- **Values assigned in a context and read after it**: an outer variable given a
  value inside a context block and read after the block; the value (and the
  confidence it was given there) leaves its context. Reported as a note.
- **`shift to` with no enclosing `in context`**: the grammar joins `shift to B { }`
  to the context block before it; one that follows anything else does not parse,
  so such a file is scanned token by token and each stray `shift to` is named.

Talks to: `pipeline` (analyse), `tokenizer` (the scan for stray shifts),
`walk` (traversal), `resolve` (symbols).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from transpiler.front import ast
from transpiler.front.walk import descendants

START = "(start)"


@dataclass
class Edge:
    source: str
    target: str
    kind: str           # "start", "shift", "nested", "call <fn>"
    line: int
    function: str


@dataclass
class Finding:
    line: int
    message: str


@dataclass
class ContextReport:
    path: str
    edges: list = field(default_factory=list)
    leaks: list = field(default_factory=list)         # Finding: declared in a context, used after it
    escapes: list = field(default_factory=list)       # Finding: assigned in a context, read after it
    stray_shifts: list = field(default_factory=list)  # Finding: `shift to` with no `in context`
    syntax_error: Optional[str] = None                # another syntax error: nothing else was analysed

    @property
    def problems(self) -> int:
        return len(self.leaks) + len(self.stray_shifts) + (1 if self.syntax_error else 0)

    def as_dict(self) -> dict:
        return {"path": self.path, "edges": [e.__dict__ for e in self.edges],
                "leaks": [f.__dict__ for f in self.leaks], "escapes": [f.__dict__ for f in self.escapes],
                "stray_shifts": [f.__dict__ for f in self.stray_shifts], "syntax_error": self.syntax_error}


def _context_name(expr, source_lines) -> str:
    if isinstance(expr, ast.StringLit):
        return expr.value
    span = expr.span
    if span is not None and span.line == span.end_line and span.line <= len(source_lines):
        return "(" + source_lines[span.line - 1][span.col - 1:span.end_col - 1].strip() + ")"
    return "(a context value)"


class _Analyser:
    def __init__(self, module: ast.Module, res, source: str):
        self.module, self.res = module, res
        self.lines = source.splitlines()
        self.report = ContextReport(module.path)
        self.functions = {s.name: s for s in module.body if isinstance(s, ast.FnDecl)}
        self.entered_by = {}            # function name -> contexts its body enters outermost

    def run(self) -> ContextReport:
        for name, fn in self.functions.items():
            self.entered_by[name] = [n for n, _line in self.outermost_contexts(fn.body.body)] if fn.body else []
        self.block(self.module.body, None, "<top level>")
        for fn in self.functions.values():
            if fn.body is not None:
                self.block(fn.body.body, None, fn.name)
        for s in self.module.body:
            if isinstance(s, ast.StructDecl):
                for m in s.methods:
                    if m.body is not None:
                        self.block(m.body.body, None, f"{s.name}.{m.name}")
        return self.report

    # ---------------------------------------------------------------- walking
    def outermost_contexts(self, stmts) -> list:
        found = []
        for s in stmts:
            for name, body, line in self.context_parts(s):
                found.append((name, line))
            if not self.context_parts(s):
                for b in _blocks(s):
                    found.extend(self.outermost_contexts(b))
        return found

    def context_parts(self, s) -> list:
        """(context name, body block, line) of each part of a context statement."""
        if isinstance(s, ast.ContextShift):
            return [(seg.name, seg.body, seg.span.line) for seg in s.segments]
        if isinstance(s, ast.InBlock):
            return [(_context_name(s.context, self.lines), s.body, s.span.line)]
        if isinstance(s, ast.Verify):
            return [("verify", s.body, s.span.line)]
        return []

    def block(self, stmts, enclosing: Optional[str], function: str) -> None:
        for i, s in enumerate(stmts):
            parts = self.context_parts(s)
            previous = None
            for name, body, line in parts:
                if previous is not None:
                    self.edge(previous, name, "shift", line, function)
                elif enclosing is not None:
                    self.edge(enclosing, name, "nested", line, function)
                elif function == "<top level>":
                    self.edge(START, name, "start", line, function)
                else:           # entered from whatever context the caller is in (see `calls`)
                    self.edge(f"(caller of {function})", name, "entry", line, function)
                self.calls(body.body, name, function)
                self.block(body.body, name, function)
                self.after_context(name, body, stmts[i + 1:], line)
                previous = name
            if not parts:
                for b in _blocks(s):
                    self.block(b, enclosing, function)

    def calls(self, stmts, context: str, function: str) -> None:
        """Calls made directly inside a context block, of functions whose bodies enter contexts."""
        nested = (ast.FnDecl, ast.Lambda, ast.InBlock, ast.ContextShift, ast.Verify)
        for node in descendants(stmts, skip=nested):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                sym = self.res.names.get(id(node.func))
                if sym is not None and sym.kind == "fn":
                    for target in self.entered_by.get(sym.name, []):
                        self.edge(context, target, f"call {sym.name}", node.span.line, function)

    def edge(self, source: str, target: str, kind: str, line: int, function: str) -> None:
        edge = Edge(source, target, kind, line, function)
        if edge not in self.report.edges:
            self.report.edges.append(edge)

    # ---------------------------------------------------------------- values leaving a context
    def after_context(self, name: str, body: ast.Block, rest, line: int) -> None:
        declared = {}           # name -> line of its `let` inside the block
        assigned = {}           # outer symbol -> line of an assignment inside the block
        for node in descendants(body.body, skip=(ast.FnDecl, ast.Lambda)):
            if isinstance(node, ast.Let):
                declared.setdefault(node.name, node.span.line)
            elif isinstance(node, ast.Assign) and isinstance(node.target, ast.Name):
                sym = self.res.names.get(id(node.target))
                if sym is not None and not _inside(sym.decl, body):
                    assigned.setdefault(sym, node.span.line)
        reported = set()
        for node in descendants(list(rest), skip=(ast.FnDecl,)):
            if not isinstance(node, ast.Name):
                continue
            sym = self.res.names.get(id(node))
            if node.id in declared and (sym is None or sym.kind == "undefined" or not _inside(sym.decl, body)) \
                    and (node.id, "leak") not in reported:
                reported.add((node.id, "leak"))
                there = "it is undefined there" if sym is None or sym.kind == "undefined" else \
                    f"there it names another variable (declared at line {_line_of(sym.decl)})"
                self.report.leaks.append(Finding(node.span.line, (
                    f"`{node.id}` is declared in context {name} (line {declared[node.id]}) and used after "
                    f"that block ends; {there}")))
            elif sym in assigned and (node.id, "escape") not in reported:
                reported.add((node.id, "escape"))
                self.report.escapes.append(Finding(node.span.line, (
                    f"`{node.id}` is given a value in context {name} (line {assigned[sym]}) and read after "
                    f"that block ends: the value, with the confidence it got there, leaves {name}")))


def _blocks(s) -> list:
    """The statement lists directly inside a statement (not functions: they are walked alone)."""
    out = []
    if isinstance(s, (ast.FnDecl, ast.StructDecl)):
        return out
    for child in descendants([s], skip=(ast.Block, ast.FnDecl, ast.Lambda)):
        if isinstance(child, ast.Block) and child is not s:
            out.append(child.body)
    return out


def _inside(decl, block: ast.Block) -> bool:
    span = getattr(decl[0] if isinstance(decl, tuple) and decl else decl, "span", None)
    b = block.span
    return span is not None and (b.line, b.col) <= (span.line, span.col) <= (b.end_line, b.end_col)


def _line_of(decl) -> int:
    span = getattr(decl[0] if isinstance(decl, tuple) and decl else decl, "span", None)
    return span.line if span is not None else 0


def stray_shifts(source: str) -> list:
    """`shift to NAME` tokens that do not follow the closing brace of a context block."""
    from transpiler.front.tokenizer import PrismTokenTypes as T, tokenize
    tokens = [t for t in tokenize(source) if t.type not in (T.NEWLINE, T.ENDMARKER)]
    found = []
    for i, t in enumerate(tokens[:-1]):
        if t.string == "shift" and tokens[i + 1].string == "to" and not _follows_context_block(tokens, i):
            target = tokens[i + 2].string if i + 2 < len(tokens) else "?"
            found.append(Finding(t.start_pos[0], (
                f"`shift to {target}` has no enclosing `in context`: a shift leaves the context of the block "
                f"just before it; write `in context A {{ .. }} shift to {target} {{ .. }}`")))
    return found


def _follows_context_block(tokens, i: int) -> bool:
    """Is tokens[i] (`shift`) right after the `}` of a block opened by `context NAME {` or an
    earlier `shift to NAME {`?"""
    if i == 0 or tokens[i - 1].string != "}":
        return False
    depth, j = 0, i - 1
    while j >= 0:
        if tokens[j].string == "}":
            depth += 1
        elif tokens[j].string == "{":
            depth -= 1
            if depth == 0:
                break
        j -= 1
    return j >= 2 and (tokens[j - 2].string == "context" or
                       (j >= 3 and tokens[j - 3].string == "shift" and tokens[j - 2].string == "to"))


def analyse_contexts(source: bytes, path: str) -> ContextReport:
    from transpiler.front.diagnostics import CompileError
    from transpiler.front.parser import _decode
    from transpiler.pipeline import analyse
    text = _decode(source)
    try:
        module, res, _typing, _warnings = analyse(source, path)
    except CompileError as exc:
        report = ContextReport(path, stray_shifts=stray_shifts(text))
        if not report.stray_shifts:
            from transpiler.front.diagnostics import render
            report.syntax_error = render(exc, text, path)
        return report
    return _Analyser(module, res, text).run()
