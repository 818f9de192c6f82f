"""Tokens as the formatter sees them: each significant token with the whitespace,
comments and line ends before it (its trivia), and the token classes that
decide spacing.

The v2 tokenizer retypes some tokens (`transpiler/front/layout.py`: generic brackets,
the dot operator, struct-literal braces, ...); they are named here by their type's
name, so the formatter also runs on a tokenizer that does not have them.

Talks to: `transpiler.front.tokenizer` (tokens with prefixes, keywords); used by
`transpiler.tools.fmt`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from transpiler.front.tokenizer import KEYWORDS, PrismTokenTypes as T, tokens_for_parser


LITERAL_WORDS = frozenset(("true", "false", "null"))
SPACED_BINARY = frozenset("""+ - * / % ** == != <= >= && || ~> ~?? ~||> ~@> = += -= *= /= %=
=> -> < >""".split())
TIGHT = frozenset((".." , "..=", "::"))
KNOWN_OPS = SPACED_BINARY | TIGHT | frozenset("""( ) [ ] { } , : ; . ! <~ ~ # | & ...""".split())
# Keywords that a `{` after them opens an object literal (an expression position).
EXPRESSION_KEYWORDS = frozenset(("return", "throw", "defer", "await", "in"))
# After `}` at the start of the next line, these continue the statement: joined as `} else`.
JOIN_AFTER_BRACE = frozenset(("else", "catch", "finally", "medium", "low", "shift"))
CLOSERS = {")": "(", "]": "[", "}": "{"}


def kinds(*names: str) -> frozenset:
    """Token types by name: the v2 tokenizer retypes some tokens (`transpiler/front/layout.py`);
    naming them keeps the formatter working with a tokenizer that lacks them."""
    return frozenset(k for k in (getattr(T, n, None) for n in names) if k is not None)


# Retyped operators and brackets: they are still what their text says.
OP_KINDS = kinds("OP", "BLOCK_OPEN", "STRUCT_OPEN", "GENERIC_OPEN", "GENERIC_CLOSE", "DOT_OP", "CLOSURE_OPEN",
                 "CLOSURE_EMPTY")
# Retyped keywords (`async {`, `fn (`, the `in` of `in "ctx" value`).
KEYWORD_KINDS = kinds("ASYNC_LAMBDA", "ASYNC_BLOCK", "FN_EXPR", "TAG_IN")
# Tokens that are whole operands (macro arguments `$p`, `#$p`, pasted names `${p}`).
OPERAND_KINDS = kinds("NUMBER", "STRING", "TEMPLATE", "MACRO_VAR", "MACRO_STR", "PASTE_NAME")
LITERALS = kinds("NAME", "MACRO_BODY") | OPERAND_KINDS
GENERIC_OPEN, GENERIC_CLOSE, DOT_OP = kinds("GENERIC_OPEN"), kinds("GENERIC_CLOSE"), kinds("DOT_OP")
BLOCK_BRACES = kinds("BLOCK_OPEN", "STRUCT_OPEN")        # `=> {` and `Point {`
CLOSURE_OPEN, CLOSURE_EMPTY = kinds("CLOSURE_OPEN"), kinds("CLOSURE_EMPTY")


@dataclass
class Item:
    """One significant token and the whitespace, comments and line ends before it."""
    kind: T
    text: str
    trivia: str
    ended: bool                 # a statement ended between the previous token and this one
    generic_close: bool = False
    value_end: bool = False             # a `|` closing a magnitude `|v|` ends a value
    parent: Optional[int] = None    # index of the innermost open bracket around it
    match: Optional[int] = None     # for a bracket: index of its partner


def significant_tokens(source: str) -> tuple[list, str]:
    """The significant tokens of `source` (NEWLINE tokens folded into trivia) and the
    trivia after the last one."""
    items, pending, ended = [], "", False
    for tok in tokens_for_parser(source):
        if tok.type is T.NEWLINE:
            pending += tok.prefix + tok.string
            ended = True
        elif tok.type is T.ENDMARKER:
            return items, pending + tok.prefix
        else:
            items.append(Item(tok.type, tok.string, pending + tok.prefix, ended,
                               getattr(tok, "closes_generic", False), getattr(tok, "ends_value", False)))
            pending, ended = "", False
    raise AssertionError("token stream lacks ENDMARKER")  # parse succeeded, so it cannot


def opener(item: Item) -> Optional[str]:
    """The bracket a token opens: `(`, `[`, `{`, also as the end of a longer token
    of any kind (`${` or `~{` should a tokenizer make them one token)."""
    if item.kind not in LITERALS and item.text and item.text[-1] in "([{":
        return item.text[-1]
    return None


def closer(item: Item) -> Optional[str]:
    if item.kind not in LITERALS and item.text in CLOSERS:
        return item.text
    return None


def is_keyword(item: Optional[Item]) -> bool:
    return item is not None and (item.kind in KEYWORD_KINDS or
                                 (item.kind is T.NAME and item.text in KEYWORDS
                                  and item.text not in LITERAL_WORDS))


def is_op(item: Optional[Item], *texts: str) -> bool:
    return item is not None and item.kind in OP_KINDS and (not texts or item.text in texts)


def known(item: Item) -> bool:
    """Does the formatter have spacing rules for this token?"""
    if item.kind in OP_KINDS:
        return item.text in KNOWN_OPS
    return item.kind is T.NAME or item.kind in KEYWORD_KINDS or item.kind in OPERAND_KINDS


TYPE_OPS = frozenset(", : ~ [ ] ( ) < > -> :: .".split())


def type_like(item: Item) -> bool:
    """Can this token appear inside generic arguments (`<K, [V], fn(T) -> U, T: Bound ~0.9>`)?"""
    if item.kind in (T.NAME, T.NUMBER):
        return not is_keyword(item) or item.text == "fn"
    return is_op(item) and item.text in TYPE_OPS


def operand_end(item: Optional[Item]) -> bool:
    """Can an expression end with this token (so a following `-` is binary)?"""
    if item is None:
        return False
    if item.kind in OPERAND_KINDS:
        return True
    if item.kind is T.NAME:
        return not is_keyword(item)
    return item.text in (")", "]", "}") or item.generic_close or item.value_end


# ---------------------------------------------------------------- trivia

TRIVIA = re.compile(r"(//[^\n]*)|(/\*.*?\*/)|(\n)|[ \t\r\f\ufeff]+", re.DOTALL)


def trivia_pieces(trivia: str) -> list:
    """Comments and line ends of a trivia string, in order: "\\n" or the comment text."""
    out = []
    for m in TRIVIA.finditer(trivia):
        if m.group(1) is not None:
            out.append(m.group(1).rstrip())
        elif m.group(2) is not None:
            out.append(m.group(2))
        elif m.group(3) is not None:
            out.append("\n")
    return out


def has_space(trivia: str) -> bool:
    return trivia != ""
