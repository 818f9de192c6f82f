"""Prism parser: tokens -> parso concrete tree -> `transpiler.front.ast`.

The syntax lives in `grammar.txt` (pgen2 notation), turned into LL(1)
tables once per process. `_PrismParser` is parso's `BaseParser` with three
changes: soft keywords are decided per token (see `_transition`), syntax
errors become `CompileError`s with an "expected one of" help, and the
tokenizer's ERRORTOKEN raises the lexical error it carries.

Public API: `parse_module`, `parse_cst`, `parse_expression`.

Talks to: `transpiler.front.tokenizer` (tokens), `transpiler.front.build_ast` (tree ->
AST), `transpiler.front.diagnostics` (CompileError), parso (grammar generator,
parser engine, tree classes).
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Union

from parso import tree
from parso.parser import BaseParser, StackNode
from parso.pgen2.generator import ReservedString, generate_grammar
from parso.python import tree as pytree

from transpiler.front import ast
from transpiler.front.diagnostics import CompileError
from transpiler.front.layout_scan import SOFT_LOOKAHEAD
from transpiler.front.tokenizer import (SOFT_KEYWORDS, PrismTokenTypes as T, span_at,
                                  tokens_for_parser)

_GRAMMAR_PATH = Path(__file__).with_name("grammar.txt")


@functools.lru_cache(maxsize=None)
def grammar():
    """The generated pgen grammar (built on first use, then shared)."""
    return generate_grammar(_GRAMMAR_PATH.read_text(encoding="utf-8"), T)


class Template(tree.Leaf):
    """A template string token, raw text with backticks; split by build_ast."""
    type = "template"
    __slots__ = ()


class MacroBody(tree.Leaf):
    """A macro's raw `{ ... }` body; parsed only when the macro is expanded (transpiler.passes.macros)."""
    type = "macro_body"
    __slots__ = ()


_OPERATOR_TOKENS = (T.OP, T.BLOCK_OPEN, T.STRUCT_OPEN, T.GENERIC_OPEN, T.GENERIC_CLOSE, T.CLOSURE_OPEN,
                    T.CLOSURE_EMPTY, T.DOT_OP)
_LEAVES = {T.NAME: pytree.Name, T.NUMBER: pytree.Number, T.STRING: pytree.String,
           T.TEMPLATE: Template, T.NEWLINE: pytree.Newline, T.ENDMARKER: pytree.EndMarker,
           T.ASYNC_LAMBDA: pytree.Keyword, T.ASYNC_BLOCK: pytree.Keyword, T.FN_EXPR: pytree.Keyword,
           T.TAG_IN: pytree.Keyword, T.MACRO_BODY: MacroBody,
           **{kind: pytree.Operator for kind in _OPERATOR_TOKENS}}

_TYPE_NAMES = {T.NAME: "identifier", T.NUMBER: "number", T.STRING: "string",
               T.TEMPLATE: "template string", T.NEWLINE: "end of line",
               T.ENDMARKER: "end of file", T.BLOCK_OPEN: "'{'", T.ASYNC_LAMBDA: "'async'",
               T.ASYNC_BLOCK: "'async'", T.FN_EXPR: "'fn'", T.TAG_IN: "'in'", T.STRUCT_OPEN: "'{'",
               T.GENERIC_OPEN: "'<'", T.GENERIC_CLOSE: "'>'", T.CLOSURE_OPEN: "'|'",
               T.CLOSURE_EMPTY: "'||'", T.DOT_OP: "'.'", T.MACRO_BODY: "a macro body",
               T.MACRO_VAR: "a macro parameter", T.MACRO_STR: "a macro parameter",
               T.PASTE_NAME: "a pasted name"}


@functools.lru_cache(maxsize=None)
def _expression_starts() -> frozenset:
    return frozenset(grammar().nonterminal_to_dfas["expr"][0].transitions)


# Help for tokens that are other Prism spellings misplaced (instead of "expected one of ...").
_SPELLING_HELP = {
    (T.OP, ":"): "a range is written `a..b`; `a:b` is a range only directly after `for NAME in`",
    (T.OP, "::"): "`Type::name` needs a struct or trait name before `::`",
    (T.MACRO_VAR, None): "macro parameters (`$p`, `#$p`, `${p}`) are only allowed inside a macro body",
}


def _spelling_help(tok):
    if tok.type in (T.MACRO_VAR, T.MACRO_STR, T.PASTE_NAME):
        return _SPELLING_HELP[(T.MACRO_VAR, None)]
    return _SPELLING_HELP.get((tok.type, tok.string))


def _describe(tok, following, end_name: str = "end of file") -> str:
    if tok.type is T.ENDMARKER:
        return end_name
    if tok.type is T.NEWLINE:
        if tok.string == "" and following is not None:
            # A zero-width NEWLINE stands just before `}` or the end of file:
            # name what the user actually wrote there.
            return _describe(following, None, end_name)
        return "end of line"
    return f"'{tok.string}'"


class _PrismParser(BaseParser):
    def __init__(self, start: str):
        super().__init__(grammar(), start_nonterminal=start)
        # Inside a template's `${...}` the end of the input is its `}`.
        self._end_name = "end of file" if start == "file_input" else "end of expression"

    def parse(self, tokens):
        self._tokens = tokens
        first = self._pgen_grammar.nonterminal_to_dfas[self._start_nonterminal][0]
        self.stack = [StackNode(first)]
        for i, tok in enumerate(tokens):
            self._index = i
            if tok.type is T.ERRORTOKEN:
                raise tok.error
            self._add_token(tok)
        # The start rules end in ENDMARKER, so all that is left is to close
        # the nodes still open.
        while len(self.stack) > 1:
            self._pop()
        return self.convert_node(self.stack[0].nonterminal, self.stack[0].nodes)

    def _acceptable(self, transition) -> bool:
        for node in reversed(self.stack):
            if transition in node.dfa.transitions:
                return True
            if not node.dfa.is_final:
                return False
        return False

    def _transition(self, tok):
        if tok.type.value.contains_syntax:
            word = self._pgen_grammar.reserved_syntax_strings.get(tok.string)
            if word is not None:
                if tok.string not in SOFT_KEYWORDS:
                    return word
                tokens, i = self._tokens, self._index
                nxt = tokens[i + 1] if i + 1 < len(tokens) else None
                after = tokens[i + 2] if i + 2 < len(tokens) else None
                if nxt is not None and SOFT_LOOKAHEAD[tok.string](nxt, after) and self._acceptable(word):
                    return word
        return tok.type

    def _expected(self) -> str:
        """Help text listing what the parser could have accepted here.

        Tokens that only continue something already complete (operators
        after a finished expression) are "optional"; when the list is long,
        only the required ones are shown."""
        required, optional = set(), set()
        for node in reversed(self.stack):
            bucket = optional if node.dfa.is_final else required
            bucket.update(node.dfa.transitions)
            if not node.dfa.is_final:
                break
        expr_first = _expression_starts()
        names = []
        for bucket in (required, optional):
            shown = set()
            if expr_first <= bucket:
                bucket -= expr_first
                shown.add("an expression")
            shown.update(f"'{t.value}'" if isinstance(t, ReservedString)
                         else _TYPE_NAMES.get(t, t.name) for t in bucket)
            names.append(shown)
        required, optional = names
        names = sorted(required | optional)
        if len(names) > 6 and required:
            names = sorted(required)
        if len(names) > 6:
            names = names[:6] + ["..."]
        if len(names) == 1:
            return f"expected {names[0]}"
        return "expected one of: " + ", ".join(names)

    def _add_token(self, tok):
        transition = self._transition(tok)
        if not self._acceptable(transition):
            following = self._tokens[self._index + 1] if self._index + 1 < len(self._tokens) else None
            where = following if (tok.type is T.NEWLINE and tok.string == "" and following) else tok
            raise CompileError(f"unexpected {_describe(tok, following, self._end_name)}",
                               span_at(where.start_pos, max(1, len(where.string))),
                               help=_spelling_help(tok) or self._expected())
        stack = self.stack
        while transition not in stack[-1].dfa.transitions:
            self._pop()
        plan = stack[-1].dfa.transitions[transition]
        stack[-1].dfa = plan.next_dfa
        for push in plan.dfa_pushes:
            stack.append(StackNode(push))
        keyword = isinstance(transition, ReservedString) and tok.type is T.NAME
        leaf_class = pytree.Keyword if keyword else _LEAVES[tok.type]
        stack[-1].nodes.append(leaf_class(tok.string, tok.start_pos, tok.prefix))


def _decode(source: Union[str, bytes]) -> str:
    if isinstance(source, str):
        return source[1:] if source.startswith("\ufeff") else source
    if source.startswith(b"\xef\xbb\xbf"):
        source = source[3:]
    try:
        return source.decode("utf-8")
    except UnicodeDecodeError as e:
        good = source[:e.start].decode("utf-8")
        line = good.count("\n") + 1
        col = len(good) - (good.rfind("\n") + 1)
        raise CompileError(f"invalid UTF-8 byte 0x{source[e.start]:02X}",
                           span_at((line, col))) from None


def _parse(tokens, start: str):
    try:
        return _PrismParser(start).parse(tokens)
    except RecursionError:
        raise CompileError("program is nested too deeply", span_at(tokens[0].start_pos)) from None


def parse_cst(source: str):
    """The lossless parso tree of a module: `parse_cst(s).get_code() == s`."""
    return _parse(tokens_for_parser(source), "file_input")


def parse_module(source: Union[str, bytes], path: str) -> ast.Module:
    """Parse a whole Prism file into an `ast.Module`; raises CompileError."""
    from transpiler.front.build_ast import build_module
    text = _decode(source)
    try:
        return build_module(parse_cst(text), path)
    except RecursionError:
        raise CompileError("program is nested too deeply", span_at((1, 0))) from None


def parse_expression(source: str, line_offset: int = 0, col_offset: int = 0) -> ast.Expr:
    """Parse one expression (a template string's `${...}`).

    `line_offset` lines and, on its first line, `col_offset` columns precede
    `source` in the real file, so spans point into that file."""
    from transpiler.front.build_ast import build_expr
    tokens = tokens_for_parser(source, (line_offset + 1, col_offset), expression=True)
    try:
        return build_expr(_parse(tokens, "expr_input").children[0])
    except RecursionError:
        raise CompileError("expression is nested too deeply",
                           span_at((line_offset + 1, col_offset))) from None
