"""The Prism formatter: one canonical layout for any program the parser accepts.

Driven by the token stream and the bracket structure, not by one rule per
grammar node, so syntax it has never seen keeps its meaning:

- indentation is 4 spaces per open bracket line (`{`, `(`, `[`), plus one for a
  statement that continues on the next line (`.method()` chains, a trailing
  operator);
- spacing comes from token classes (binary operators spaced, calls and
  indexes tight, `,` and `:` followed by one space); a pair of tokens it has
  no rule for keeps whether the user put a space between them, and so do the
  pairs where whitespace can carry meaning (`a . b` against `a.b`);
- every comment is kept, blank-line groups shrink to one blank line, a `{ }`
  block that holds several `;`-separated statements is opened up one per
  line, and `}` followed by `else`/`catch`/`finally` on the next line is
  joined to `} else {`;
- the user's line breaks are kept (there is no line-length rewrapping, as in
  gofmt), and so are trailing commas.

Like black, the result is checked before anyone sees it: it is parsed again
and its AST must equal the original's (spans aside), else `FormatterError`.

Talks to: `fmt_tokens` (the tokens with their whitespace and comments, token
classes), `transpiler.front.parser` (the ASTs compared), `transpiler.pipeline`
(parsing on a thread with a deep stack); used by `fmt_cli` and `lsp`.
"""
from __future__ import annotations

from typing import Optional

from transpiler.front import ast
from transpiler.front.parser import parse_module
from transpiler.pipeline import _deep
from transpiler.front.tokenizer import PrismTokenTypes as T
from transpiler.tools.fmt_tokens import (BLOCK_BRACES, CLOSERS, CLOSURE_EMPTY, CLOSURE_OPEN, DOT_OP,
                                         EXPRESSION_KEYWORDS, GENERIC_CLOSE, GENERIC_OPEN, Item, JOIN_AFTER_BRACE,
                                         closer, has_space, is_keyword, is_op, known, opener,
                                         operand_end, significant_tokens, trivia_pieces, type_like)

INDENT = "    "


class FormatterError(Exception):
    """The formatter produced a program that means something else: a bug in the formatter."""


# ---------------------------------------------------------------- structure

class _Layout:
    """The bracket structure and the decisions that need it (group styles, forced breaks)."""

    def __init__(self, items: list):
        self.items = items
        self.styles: dict = {}          # index of `{` -> block | object | tight | keep
        self.break_before: set = set()  # item indexes that must start a new line
        self.generic_open: set = set()  # indexes of `<` that open generic arguments
        self.generic_close: set = set()  # and of their `>`
        self.dropped: set = set()       # `;` separators replaced by a line end
        self._brackets()
        self._generics()
        self._bars()
        for i, item in enumerate(items):
            if opener(item) == "{":
                self.styles[i] = self._brace_style(i)
        self._breaks()

    def _brackets(self):
        stack: list = []
        for i, item in enumerate(self.items):
            item.parent = stack[-1] if stack else None
            bracket = closer(item)
            if bracket is not None and stack and opener(self.items[stack[-1]]) == CLOSERS[bracket]:
                j = stack.pop()
                item.match, self.items[j].match = j, i
                item.parent = stack[-1] if stack else None
            elif opener(item) is not None:
                stack.append(i)

    def _generics(self):
        """Find the `<`/`>` pairs that enclose generic arguments (`HashMap<K, V>`, and in
        Prism v2 `fn f<T>(`, `Box<f64>::new`): a `<` right after a name whose partner
        `>` comes before anything that cannot be part of a type."""
        items = self.items
        if GENERIC_OPEN:                   # the tokenizer marks them itself
            for i, item in enumerate(items):
                if item.kind in GENERIC_OPEN:
                    self.generic_open.add(i)
                elif item.kind in GENERIC_CLOSE:
                    self.generic_close.add(i)
                    item.generic_close = True
            return
        for i, item in enumerate(items):
            if not (is_op(item, "<") and i and items[i - 1].kind is T.NAME
                    and not is_keyword(items[i - 1])) or i in self.generic_open:
                continue
            depth, k = 0, i
            while k < len(items):
                tok = items[k]
                if k > i and (tok.ended or not type_like(tok)):
                    break
                if is_op(tok, "<"):
                    depth += 1
                elif is_op(tok, ">"):
                    depth -= 1
                    if depth == 0:
                        self.generic_open.add(i)
                        self.generic_close.add(k)
                        tok.generic_close = True
                        break
                k += 1

    def _bars(self):
        """What each `|` is: a closure's closing bar (the first `|` after `|` CLOSURE_OPEN at its
        depth), a magnitude's opening or closing bar, or the `|` of an or-pattern."""
        items = self.items
        self.bar_roles: dict = {}
        open_closures: list = []
        for i, item in enumerate(items):
            if item.kind in CLOSURE_OPEN:
                open_closures.append(item.parent)
            elif is_op(item, "|"):
                if open_closures and open_closures[-1] == item.parent:
                    open_closures.pop()
                    self.bar_roles[i] = "closure_close"
                elif item.value_end:
                    self.bar_roles[i] = "magnitude_close"
                elif i == 0 or item.ended or not operand_end(items[i - 1]):
                    self.bar_roles[i] = "magnitude_open"
                else:
                    self.bar_roles[i] = "or"

    def _brace_style(self, i: int) -> str:
        item = self.items[i]
        prev = self.items[i - 1] if i else None
        if item.kind in BLOCK_BRACES:
            return "block"
        if item.text != "{" or (prev is not None and not known(prev)):
            return "keep"
        if is_op(prev, "~"):
            return "tight"                  # the confidence range of `v ~{0.8, 1.0}`
        if prev is None or item.ended or (is_op(prev) and not operand_end(prev)) \
                or (is_keyword(prev) and prev.text in EXPRESSION_KEYWORDS):
            return "object"
        return "block"

    def style_of(self, group: Optional[int]) -> Optional[str]:
        """The style of the `{` group at index `group` (None: not a brace group)."""
        return self.styles.get(group) if group is not None else None

    def _statement_level(self, item: Item) -> bool:
        return item.parent is None or self.style_of(item.parent) == "block"

    def _breaks(self):
        items = self.items
        broken = set()
        for i, item in enumerate(items):
            prev = items[i - 1] if i else None
            if "\n" in item.trivia and item.parent is not None:
                broken.add(item.parent)
            if item.match is not None and closer(item) and "\n" in item.trivia:
                broken.add(item.match)
            # One statement per line: `a; b` on one line becomes two lines, and the `;`
            # goes (the line end separates them).
            if is_op(prev, ";") and self._statement_level(prev) and not closer(item) \
                    and not trivia_pieces(item.trivia):
                self.break_before.add(i)
                if not trivia_pieces(prev.trivia) and i >= 2 and not is_op(items[i - 2], ";"):
                    self.dropped.add(i - 1)
                if prev.parent is not None:
                    broken.add(prev.parent)
        # A group laid out on several lines spreads every group around it.
        for j in list(broken):
            parent = items[j].parent
            while parent is not None and parent not in broken:
                broken.add(parent)
                parent = items[parent].parent
        for j in broken:
            if self.styles.get(j) in ("block", "object") and items[j].match is not None:
                close = items[j].match
                if close > j + 1:
                    self.break_before.add(j + 1)
                self.break_before.add(close)


# ---------------------------------------------------------------- spacing

def _keep(trivia: str) -> str:
    return " " if has_space(trivia) else ""


def _space(layout: _Layout, i: int) -> str:
    """The horizontal space between items[i-1] and items[i] on one line."""
    items = layout.items
    c, p = items[i], items[i - 1]
    unary_context = c.ended or not operand_end(p)
    # Brackets first: they decide regardless of what is inside.
    if closer(c) == "}" and c.match is not None and p is items[c.match]:
        return ""                                          # {}
    if opener(p) == "{" and c.match != i - 1:
        style = layout.styles.get(i - 1)
        return {"block": " ", "keep": _keep(c.trivia)}.get(style, "")
    if closer(c) == "}":
        style = layout.style_of(c.match)
        return {"block": " ", "keep": _keep(c.trivia)}.get(style, "")
    if opener(p) in ("(", "[") or closer(c) in (")", "]"):
        return ""
    if is_op(c, ",", ";"):
        return ""
    if is_op(p, ",", ";"):
        return " "
    bars = layout.bar_roles
    if p.kind in CLOSURE_OPEN or bars.get(i - 1) == "magnitude_open" or bars.get(i) in ("closure_close",
                                                                                      "magnitude_close"):
        return ""                       # `|a, b|`, `|v|`: the bars hug what they enclose
    if bars.get(i - 1) == "closure_close" or p.kind in CLOSURE_EMPTY:
        return " "                      # `|x| body`, `|| body`
    if bars.get(i) == "or" or bars.get(i - 1) == "or" or is_op(c, "&") or is_op(p, "&"):
        return " "                      # or- and and-patterns: `p | q`, `p & q`
    if is_op(p, "..."):
        return ""                       # `[x, ...rest]`
    if is_op(c, "!") and operand_end(p) and not c.ended and i + 1 < len(items) and is_op(items[i + 1], "("):
        return ""                       # `name!(args)`: a macro invocation
    if not known(p) or not known(c):
        return _keep(c.trivia)
    if p.kind in DOT_OP or c.kind in DOT_OP:
        return " "                      # `a . b`: the v2 dot operator (the tokenizer saw the spaces)
    if is_op(p, ".") or is_op(c, "."):
        # A member `a.b`; without a tokenizer that tells `a . b` apart, keep the user's spacing.
        return "" if DOT_OP else _keep(c.trivia)
    if is_op(p, "::", "#") or is_op(c, "::"):
        return ""
    if is_op(c, "..", "..=") or is_op(p, "..", "..="):
        return ""
    if is_op(c, ":"):
        return ""
    if is_op(p, ":"):
        if _for_range(layout, i - 1):
            return ""                   # `for i in 0:n`: a range, written tight like `0..n`
        return "" if layout.style_of(p.parent) is None and _in_subscript(layout, p) else " "
    if i - 1 in layout.generic_open or i in layout.generic_open or i in layout.generic_close:
        return ""
    if is_op(p, "!", "#"):
        return ""
    if is_op(p, "-", "+") and _unary(items, i - 1):
        return ""
    if is_op(p, "~"):
        return ""
    if is_op(c, "(", "["):
        if is_keyword(p):
            return "" if p.text == "fn" else " "
        if p.text in ("against", "sources") and i >= 2 and items[i - 2].text in ("verify", "against"):
            return " "                  # `verify against sources [..]`: keywords there, not names
        return "" if operand_end(p) and not c.ended else " "
    if is_op(c, "{"):
        return " "
    if is_op(c, "-", "+") and unary_context:
        return " " if i > 0 and not is_op(p, "(", "[", "!", "-", "+", "~", "<~") else ""
    return " "


def _unary(items: list, i: int) -> bool:
    item = items[i]
    return i == 0 or item.ended or not operand_end(items[i - 1])


def _for_range(layout: _Layout, i: int) -> bool:
    """Is the `:` at items[i] the range of a `for NAME in a:b` head?"""
    items, colon = layout.items, layout.items[i]
    j = i - 1
    seen_in = False
    while j >= 0 and items[j].parent == colon.parent and not items[i].ended:
        if items[j].kind is T.NAME and items[j].text == "in":
            seen_in = True
        elif items[j].kind is T.NAME and items[j].text == "for":
            return seen_in
        if items[j].ended or is_op(items[j], "{", "}", ";"):
            return False
        j -= 1
    return False


def _in_subscript(layout: _Layout, colon: Item) -> bool:
    """Is this `:` a slice's (`xs[a:b]`), inside an index rather than an array literal?"""
    if colon.parent is None:
        return False
    bracket = layout.items[colon.parent]
    if bracket.text != "[":
        return False
    before = layout.items[colon.parent - 1] if colon.parent else None
    return operand_end(before) and not bracket.ended


# ---------------------------------------------------------------- emitting

class _Printer:
    def __init__(self, layout: _Layout):
        self.layout = layout
        self.out: list = []
        self.open_lines: list = []      # indent level of the line where each open bracket opened
        self.line_indent = 0

    def line_break(self, pieces: list, comment_indent: int, indent: int,
                   blank_at_start: bool, blank_at_end: bool) -> None:
        """Comments and line ends before a token that starts a line: comments before the
        first line end stay on the previous line, the others get lines of their own, and
        runs of blank lines shrink to one."""
        started_empty, k = not self.out, 0
        while k < len(pieces) and pieces[k] != "\n":
            if self.out and pieces[k].startswith("//"):
                self.out.append(_Trailing(pieces[k]))
            else:
                self.out.append((" " if self.out else "") + pieces[k])
            k += 1
        newlines, blank_ok = 0, blank_at_start or (started_empty and k > 0)
        for piece in pieces[k:]:
            if piece == "\n":
                newlines += 1
                continue
            if self.out:
                self.out.append("\n\n" if newlines >= 2 and blank_ok else "\n")
            self.out.append(INDENT * comment_indent + piece)
            newlines, blank_ok = 0, True
        if self.out:
            self.out.append("\n\n" if newlines >= 2 and blank_ok and blank_at_end else "\n")
        self.out.append(INDENT * indent)

    def indent_for(self, i: int) -> tuple[int, int]:
        """(indent of the token at items[i] starting a line, indent for comments before it)."""
        items = self.layout.items
        item, prev = items[i], items[i - 1] if i else None
        top = self.open_lines[-1] if self.open_lines else None
        inner = top + 1 if top is not None else 0
        if closer(item) and item.match is not None:
            return top, inner
        continuation = (not item.ended and prev is not None
                        and (item.parent is None or self.layout.style_of(item.parent) == "block")
                        and not opener(prev) and not is_op(prev, ",", ";")
                        and not (item.kind is T.NAME and item.text in JOIN_AFTER_BRACE))
        indent = inner + (1 if continuation else 0)
        return indent, indent

    def emit(self, items: list, tail: str) -> str:
        layout = self.layout
        for i, item in enumerate(items):
            if i in layout.dropped:
                continue
            pieces = trivia_pieces(item.trivia)
            prev = items[i - 1] if i else None
            newline = "\n" in pieces or i in layout.break_before
            if (newline and is_op(prev, "}") and item.kind is T.NAME and item.text in JOIN_AFTER_BRACE
                    and pieces.count("\n") == len(pieces) and not item.ended):
                newline = False                   # `}` newline `else` -> `} else`
            if i == 0 or newline:
                indent, comment_indent = self.indent_for(i) if i else (0, 0)
                self.line_break(pieces, comment_indent, indent,
                                blank_at_start=prev is not None and opener(prev) is None,
                                blank_at_end=closer(item) is None)
                self.line_indent = indent
            else:
                space = _space(layout, i)
                for comment in (p for p in pieces if p != "\n"):   # `a /* x */ + b`
                    self.out.append((" " if opener(prev) is None else "") + comment)
                    space = "" if closer(item) or is_op(item, ",", ";") else " "
                self.out.append(space)
            self.out.append(item.text)
            if closer(item) and item.match is not None:
                self.open_lines.pop()
            elif opener(item) is not None and item.match is not None:
                self.open_lines.append(self.line_indent)
        pieces = trivia_pieces(tail)
        if any(p != "\n" for p in pieces):
            self.line_break(pieces, 0, 0, blank_at_start=bool(items), blank_at_end=False)
        while self.out and isinstance(self.out[-1], str) and self.out[-1].strip() == "":
            self.out.pop()
        return _align_trailing_comments(self.out)


class _Trailing(str):
    """A `//` comment after code on its line; aligned with its neighbours at the end."""


def _align_trailing_comments(fragments: list) -> str:
    """Join the output; trailing comments on consecutive lines line up one space after the
    longest code among those lines (as gofmt does)."""
    lines, comments, current = [], {}, []
    for fragment in fragments:
        if isinstance(fragment, _Trailing):
            comments[len(lines)] = str(fragment)
            continue
        parts = fragment.split("\n")
        current.append(parts[0])
        for part in parts[1:]:
            lines.append("".join(current))
            current = [part]
    lines.append("".join(current))
    k = 0
    while k < len(lines):
        if k not in comments:
            k += 1
            continue
        end = k
        while end + 1 in comments:
            end += 1
        column = max(len(lines[j]) for j in range(k, end + 1)) + 1
        for j in range(k, end + 1):
            lines[j] = lines[j].ljust(column) + comments[j]
        k = end + 1
    text = "\n".join(lines)
    return text + "\n" if text.strip() else ""


def _layout_text(source: str) -> str:
    items, tail = significant_tokens(source)
    return _Printer(_Layout(items)).emit(items, tail)


# ---------------------------------------------------------------- meaning check

def ast_shape(module: ast.Module) -> list:
    """The AST as a flat list without spans (iterative: long expression chains are deep)."""
    out, stack = [], [module]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Node):
            out.append(type(node).__name__)
            # Positions aside: spans (`span`, `name_span`) and a macro body's start.
            fields = [getattr(node, f) for f in node.__dataclass_fields__
                      if f != "body_start" and not isinstance(getattr(node, f), ast.Span)]
            stack.extend(reversed(fields))
        elif isinstance(node, tuple):
            out.append(("tuple", len(node)))
            stack.extend(reversed(node))
        else:
            out.append(node)
    return out


def _normalise(source: str) -> str:
    text = source[1:] if source.startswith("\ufeff") else source
    return text.replace("\r\n", "\n")


def format_source(source: str, path: str = "<input>") -> str:
    """The canonical form of `source`.

    Raises `CompileError` when the source does not parse (nothing is formatted then)
    and `FormatterError` when the result would not mean what the source means."""
    text = _normalise(source)
    before = _deep(parse_module, text, path)
    formatted = _layout_text(text)
    try:
        after = _deep(parse_module, formatted, path)
    except Exception as exc:  # noqa: BLE001 - any failure here is the formatter's fault
        raise FormatterError(f"the formatted text does not parse: {exc}") from None
    if ast_shape(before) != ast_shape(after):
        raise FormatterError("the formatted program would mean something else")
    return formatted
