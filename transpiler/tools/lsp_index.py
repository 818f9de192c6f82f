"""What the language server knows about one analysed version of a document.

`Snapshot.build` runs the compiler's front end (`pipeline.analyse`: parse,
resolve, infer, check) and indexes its result for position queries:

- `occurrences`: every name in the file that the passes bound, sorted by
  position: variable, parameter, function and struct names (keyed by their
  `resolve.Symbol`), struct fields and methods (keyed by `("member", Struct,
  name)`, found through the receiver's inferred type), each marked as the
  declaration or a use;
- `node_at`: the smallest expression at a position (for hover on any
  expression), by descending the AST;
- `visible`: the names in scope at a position (for completion).

Positions here are `(line, column)`, both 0-based, columns in code points;
`transpiler.tools.lsp` converts them to the client's units. `LineMap` maps
positions between the text a snapshot was built from and a newer text, so
features keep working on the last version that analysed cleanly while the
user's edit does not parse.

Talks to: `transpiler.pipeline` (analyse, and its deep-stack thread for
indexing), `transpiler.front.ast`, `transpiler.front.walk` (traversal),
`transpiler.passes.resolve`/`infer` (their results).
"""
from __future__ import annotations

import bisect
import difflib
import functools
import re
from dataclasses import dataclass, field
from typing import Optional

from transpiler.front import ast
from transpiler.pipeline import _deep, analyse
from transpiler.front.walk import children, descendants


@dataclass(frozen=True)
class Occurrence:
    line: int
    col: int
    end_col: int
    key: object             # resolve.Symbol or ("member", struct name, member name)
    is_decl: bool
    node: object            # the ast node: Name, Member, Arg or the declaration

    def contains(self, line: int, col: int) -> bool:
        return self.line == line and self.col <= col <= self.end_col


def member_key(struct: str, name: str) -> tuple:
    return ("member", struct, name)


def span_start(span: ast.Span) -> tuple[int, int]:
    return span.line - 1, span.col - 1


def span_contains(span: ast.Span, line: int, col: int) -> bool:
    start = (span.line - 1, span.col - 1)
    end = (span.end_line - 1, span.end_col - 1)
    return start <= (line, col) <= end


class _NameFinder:
    """Finds a declared name inside its declaration's source (`let x`, `fn f`, `catch e`):
    a regular-expression search in the text, which is much cheaper than tokenizing the
    file again; between a declaration's start and its name there are only keywords."""

    def __init__(self, text: str):
        self.text = text
        self.line_starts = [0]
        for k, ch in enumerate(text):
            if ch == "\n":
                self.line_starts.append(k + 1)

    def offset(self, pos: tuple[int, int]) -> int:
        return self.line_starts[pos[0]] + pos[1] if pos[0] < len(self.line_starts) else len(self.text)

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.line_starts, offset) - 1
        return line, offset - self.line_starts[line]

    def first_after(self, pos: tuple[int, int], name: str) -> Optional[tuple[int, int]]:
        m = _word(name).search(self.text, self.offset(pos))
        return self.position(m.start()) if m is not None else None

    def last_before(self, start: tuple[int, int], end: tuple[int, int], name: str) -> Optional[tuple[int, int]]:
        found = None
        for m in _word(name).finditer(self.text, self.offset(start), self.offset(end)):
            found = m.start()
        return self.position(found) if found is not None else None


@functools.lru_cache(maxsize=4096)
def _word(name: str):
    return re.compile(r"(?<![A-Za-z0-9_])" + re.escape(name) + r"(?![A-Za-z0-9_])")


@dataclass
class Snapshot:
    path: str
    text: str
    version: Optional[int]
    module: ast.Module
    resolution: object
    typing: object
    warnings: list
    lines: list = field(default_factory=list)
    occurrences: list = field(default_factory=list)
    _starts: list = field(default_factory=list)
    _names: Optional[_NameFinder] = None

    @classmethod
    def analyse(cls, text: str, path: str, version: Optional[int] = None) -> "Snapshot":
        """Analyse `text` (not yet indexed); raises CompileError (or a compiler bug's
        exception) when it fails."""
        module, resolution, typing, warnings = analyse(text, path)
        return cls(path, text, version, module, resolution, typing, warnings, text.split("\n"))

    @classmethod
    def build(cls, text: str, path: str, version: Optional[int] = None) -> "Snapshot":
        return cls.analyse(text, path, version).index()

    # ------------------------------------------------------------ indexing
    def index(self) -> "Snapshot":
        """Build the position index (on a thread with the garbage collector off, as the
        passes run: a full collection would rescan the whole tree)."""
        if not self._starts and not self.occurrences:
            _deep(self._index)
        return self

    @property
    def names(self) -> _NameFinder:
        if self._names is None:
            self._names = _NameFinder(self.text)
        return self._names

    def _index(self) -> None:
        names = self.names
        out = self.occurrences
        res, ty = self.resolution, self.typing
        for sym in self.all_symbols():
            pos = self.decl_name_position(sym, names)
            if pos is not None:
                out.append(Occurrence(pos[0], pos[1], pos[1] + len(sym.name), sym, True, sym.decl))
        for struct in res.structs.values():
            for fld in struct.fields:
                line, col = span_start(fld.span)
                out.append(Occurrence(line, col, col + len(fld.name), member_key(struct.name, fld.name),
                                      True, fld))
            for method in struct.methods:
                pos = names.first_after(self.fn_name_search_start(method), method.name)
                if pos is not None:
                    out.append(Occurrence(pos[0], pos[1], pos[1] + len(method.name),
                                          member_key(struct.name, method.name), True, method))
        for node in descendants([self.module]):
            if isinstance(node, ast.Name):
                sym = res.names.get(id(node))
                if sym is not None:
                    line, col = span_start(node.span)
                    out.append(Occurrence(line, col, col + len(node.id), sym, False, node))
            elif isinstance(node, ast.Member):
                owner = ty.of(node.obj)
                key = member_key(owner.name, node.name) if owner.kind == "struct" else None
                line, col = node.span.end_line - 1, node.span.end_col - 1 - len(node.name)
                out.append(Occurrence(line, col, col + len(node.name), key, False, node))
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Member) \
                    and node.func.name == "new" and isinstance(node.func.obj, ast.Name):
                sym = res.names.get(id(node.func.obj))
                if sym is not None and sym.kind == "struct":
                    for arg in node.args:           # `Point.new(x: 1)`: x is the field
                        if arg.name is not None:
                            line, col = span_start(arg.span)
                            out.append(Occurrence(line, col, col + len(arg.name),
                                                  member_key(sym.name, arg.name), False, arg))
        out.sort(key=lambda o: (o.line, o.col, not o.is_decl))
        self._starts = [(o.line, o.col) for o in out]

    def all_symbols(self) -> list:
        res = self.resolution
        seen, out = set(), []
        for scope in [res.module_scope, *res.functions.values()]:
            for sym in scope.symbols:
                if id(sym) not in seen:
                    seen.add(id(sym))
                    out.append(sym)
        return out

    @staticmethod
    def fn_name_search_start(fn: ast.FnDecl) -> tuple[int, int]:
        # After the attributes: `#[bench(f)] fn f` must find the second `f`.
        span = fn.attributes[-1].span if fn.attributes else None
        if span is not None:
            return span.end_line - 1, span.end_col - 1
        return span_start(fn.span)

    def decl_name_position(self, sym, names: _NameFinder) -> Optional[tuple[int, int]]:
        decl = sym.decl
        if isinstance(decl, tuple):                         # (For, target index)
            loop, index = decl
            pos = span_start(loop.span)
            for target in loop.targets[:index + 1]:
                pos = names.first_after((pos[0], pos[1] + 1), target)
                if pos is None:
                    return None
            return pos
        if isinstance(decl, (ast.Param, ast.Field, ast.BindingPattern, ast.ConfidencePattern)):
            return span_start(decl.span)
        if isinstance(decl, ast.ImportName):
            start = span_start(decl.span)
            if decl.alias is None:
                return start
            return names.first_after((start[0], start[1] + len(decl.name)), decl.alias)
        if isinstance(decl, ast.FnDecl):
            return names.first_after(self.fn_name_search_start(decl), sym.name)
        if isinstance(decl, ast.Try):
            body_end = (decl.body.span.end_line - 1, decl.body.span.end_col - 1)
            return names.last_before(body_end, span_start(decl.handler.span), sym.name)
        if isinstance(decl, (ast.Let, ast.StructDecl, ast.Import)):
            start = span_start(decl.span)
            return names.first_after((start[0], start[1] + 1), sym.name)
        return None

    # ------------------------------------------------------------ queries
    def occurrence_at(self, line: int, col: int) -> Optional[Occurrence]:
        k = bisect.bisect_right(self._starts, (line, col))
        for j in range(k - 1, max(k - 4, -1), -1):
            occ = self.occurrences[j]
            if occ.contains(line, col):
                return occ
        return None

    def occurrences_of(self, key) -> list:
        if key is None:
            return []
        return [o for o in self.occurrences if o.key is key or (isinstance(key, tuple) and o.key == key)]

    def declaration_of(self, key) -> Optional[Occurrence]:
        return next((o for o in self.occurrences_of(key) if o.is_decl), None)

    def node_at(self, line: int, col: int):
        """The smallest expression whose span holds (line, col), or None."""
        found, nodes = None, [self.module]
        while nodes:
            inside = [n for n in nodes if getattr(n, "span", None) is not None
                      and span_contains(n.span, line, col)]
            if not inside:
                break
            node = inside[-1]
            if isinstance(node, ast.Expr):
                found = node
            nodes = list(children(node))
            if isinstance(node, ast.TemplateString):
                nodes = [p for p in node.parts if isinstance(p, ast.Node)]
        return found

    def visible(self, line: int, col: int) -> dict:
        """Symbols in scope at a position, by name: the top level, then every function
        around the position with what it declares before it (block ends are not tracked)."""
        res = self.resolution
        out = {sym.name: sym for sym in res.module_scope.symbols}
        scopes = [s for s in res.functions.values()
                  if s.node is not None and span_contains(s.node.span, line, col)]
        scopes.sort(key=lambda s: span_start(s.node.span))
        for scope in scopes:
            for sym in scope.symbols:
                if isinstance(sym.decl, (ast.Param, ast.Field)):
                    out[sym.name] = sym
                    continue
                pos = self.decl_name_position(sym, self.names)
                if pos is not None and pos <= (line, col):
                    out[sym.name] = sym
        return out

    def source_of(self, node) -> str:
        """The source text of a node (a default value, a confidence expression)."""
        span = node.span
        if span.line == span.end_line:
            return self.lines[span.line - 1][span.col - 1:span.end_col - 1]
        first = self.lines[span.line - 1][span.col - 1:]
        middle = self.lines[span.line:span.end_line - 1]
        return "\n".join([first, *middle, self.lines[span.end_line - 1][:span.end_col - 1]])

    def comment_above(self, line: int) -> str:
        """The `//` comment block directly above a 0-based line, without the slashes."""
        out, k = [], line - 1
        while k >= 0 and self.lines[k].strip().startswith("//"):
            out.append(self.lines[k].strip()[2:].strip())
            k -= 1
        return "\n".join(reversed(out))


class LineMap:
    """Maps lines between an old text (a snapshot's) and a new one (the editor's)."""

    def __init__(self, old_lines: list, new_lines: list):
        # An edit touches a few lines: match the common head and tail directly and diff
        # only what lies between (a diff of 5000 lines, many of them `}`, takes ~60 ms).
        limit = min(len(old_lines), len(new_lines))
        head = 0
        while head < limit and old_lines[head] == new_lines[head]:
            head += 1
        tail = 0
        while tail < limit - head and old_lines[-1 - tail] == new_lines[-1 - tail]:
            tail += 1
        middle = difflib.SequenceMatcher(None, old_lines[head:len(old_lines) - tail],
                                         new_lines[head:len(new_lines) - tail], autojunk=False)
        self.blocks = [(0, 0, head)] + [(head + a, head + b, size)
                                        for a, b, size in middle.get_matching_blocks() if size] \
            + [(len(old_lines) - tail, len(new_lines) - tail, tail)]

    def to_old(self, line: int, exact: bool = True) -> Optional[int]:
        """The old line of a new line; None when the line changed (with exact=False, the
        line after the nearest unchanged line before it, for scope lookups)."""
        best = None
        for old, new, size in self.blocks:
            if new <= line < new + size:
                return old + line - new
            if new + size <= line:
                best = old + size
        return None if exact else (best or 0)

    def to_new(self, line: int) -> Optional[int]:
        for old, new, size in self.blocks:
            if old <= line < old + size:
                return new + line - old
        return None
