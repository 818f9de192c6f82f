"""Token lookahead for the layout pass: tests on the raw tokens around a position that
tell one meaning of a spelling from another, and the retyped token classes.

    is_token(t, T.OP, "{")        a token's type and spelling
    starts_value / ends_value     can a token start a value here / does it end one
    SOFT_LOOKAHEAD, soft_keyword  is a soft keyword (`match`, `trait`, `verify`, ...) a keyword here
    bar_end, parameter_list       where a closure's `|a, b|` closes, whether it holds parameters
    struct_body_follows           does `{` open a struct literal's fields
    generic_end                   where type arguments `<...>` close (-1: `<` compares)

Pure functions of the token list (no state); used by `transpiler.front.layout`
(`_Layout`) and, for `SOFT_LOOKAHEAD`, by `transpiler.front.parser`. Talks to
`transpiler.front.tokenizer` (token types, keywords, Token).
"""
from __future__ import annotations

from transpiler.front.tokenizer import KEYWORDS, PrismTokenTypes as T, Token

_VALUE_KEYWORDS = frozenset({"true", "false", "null"})
# Keywords that start a value (used to decide closures and soft keywords).
_VALUE_START_KEYWORDS = _VALUE_KEYWORDS | {"await", "fn", "match", "async"}


def is_token(tok, kind, *strings: str) -> bool:
    return tok is not None and tok.type is kind and (not strings or tok.string in strings)


def starts_value(tok) -> bool:
    """Can `tok` only start a value here (not continue one as an operator)?"""
    if tok is None:
        return False
    if tok.type in (T.NUMBER, T.STRING, T.TEMPLATE, T.MACRO_VAR, T.MACRO_STR, T.PASTE_NAME):
        return True
    if tok.type is T.NAME:
        return tok.string not in KEYWORDS or tok.string in _VALUE_START_KEYWORDS
    return tok.type is T.OP and tok.string in ("(", "[", "{", "!", "<~", "|", "||")


# Each soft keyword with a test on the one or two tokens after it; the parser also needs
# to be able to accept the keyword there (parser._transition) before the word stops being
# a plain name. The layout uses the same tests to know where statement heads are.
SOFT_LOOKAHEAD = {
    "uncertain": lambda a, b: is_token(a, T.NAME, "if"),
    "context": lambda a, b: is_token(a, T.STRING) or (is_token(a, T.NAME) and a.string not in KEYWORDS),
    "shift": lambda a, b: is_token(a, T.NAME, "to"),
    "medium": lambda a, b: is_token(a, T.OP, "{"),
    "low": lambda a, b: is_token(a, T.OP, "{"),
    "to": lambda a, b: True,
    "match": lambda a, b: starts_value(a) or is_token(a, T.OP, "-"),
    "trait": lambda a, b: is_token(a, T.NAME),
    "impl": lambda a, b: is_token(a, T.NAME) or is_token(a, T.OP, "<") or is_token(a, T.GENERIC_OPEN),
    "operator": lambda a, b: (is_token(a, T.OP) or is_token(a, T.DOT_OP)) and is_token(b, T.NAME, "for"),
    "macro": lambda a, b: is_token(a, T.NAME),
    "module": lambda a, b: is_token(a, T.NAME),
    "export": lambda a, b: is_token(a, T.NAME) or is_token(a, T.OP, "#"),
    "verify": lambda a, b: is_token(a, T.NAME, "against"),
    "against": lambda a, b: True,
    "sources": lambda a, b: not is_token(a, T.OP, "{"),
    "promise": lambda a, b: is_token(a, T.OP, "~"),
}

class GenericClose(Token):
    """The `>` closing type arguments: it may end a line."""


class TypeFn(Token):
    """A `fn` starting a function type `fn(A) -> R` (its parentheses hold types)."""
    in_type = True


class MagnitudeClose(Token):
    """The `|` closing a magnitude `|v|`: it ends a value."""
    ends_value = True


def line_start(tok) -> int:
    """Where a newline sits in the token's prefix (-1: none; an error token has none)."""
    return getattr(tok, "newline_at", -1)


def ends_value(tok) -> bool:
    """Does `tok` (an emitted token) end a value, so that what follows is an operator?"""
    if tok is None:
        return False
    if tok.type in (T.NUMBER, T.STRING, T.TEMPLATE, T.MACRO_VAR, T.MACRO_STR, T.PASTE_NAME,
                    T.GENERIC_CLOSE, T.MACRO_BODY):
        return True
    if tok.type is T.NAME:
        return tok.string not in KEYWORDS or tok.string in _VALUE_KEYWORDS
    if tok.type is T.OP:
        return tok.string in (")", "]", "}") or getattr(tok, "ends_value", False)
    return False


def soft_keyword(raw, k) -> bool:
    t = raw[k]
    test = SOFT_LOOKAHEAD.get(t.string)
    if test is None:
        return False
    a = raw[k + 1] if k + 1 < len(raw) else None
    b = raw[k + 2] if k + 2 < len(raw) else None
    return test(a, b)


def bar_end(raw, k) -> int:
    """Index of the `|` closing the bar opened at raw[k] (nested bars counted), or -1."""
    depth = nested = 0
    for j in range(k + 1, len(raw)):
        t = raw[j]
        if t.type in (T.ENDMARKER, T.ERRORTOKEN):
            return -1
        if t.type is not T.OP:
            continue
        s = t.string
        if s in "([{":
            depth += 1
        elif s in ")]}":
            if depth == 0:
                return -1
            depth -= 1
        elif s == "|" and depth == 0:
            prev = raw[j - 1]
            closes = prev.type in (T.NAME, T.NUMBER, T.STRING, T.TEMPLATE, T.MACRO_VAR) or \
                is_token(prev, T.OP, ")", "]", "}") or (prev.type is T.OP and prev.string == "|" and j - 1 != k)
            if not closes:
                nested += 1
            elif nested:
                nested -= 1
            else:
                return j
    return -1


def parameter_list(tokens) -> bool:
    """Do these tokens read as closure parameters: `a, b: int, c = 1` (or nothing)?"""
    part_start = True
    depth = 0
    for i, t in enumerate(tokens):
        if part_start:
            if not (t.type in (T.NAME, T.MACRO_VAR) and t.string not in KEYWORDS):
                return False
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if nxt is not None and not is_token(nxt, T.OP, ",", ":", "="):
                return False
            part_start = False
        elif is_token(t, T.OP, "(", "[", "<"):
            depth += 1
        elif is_token(t, T.OP, ")", "]", ">"):
            depth -= 1
        elif is_token(t, T.OP, ",") and depth == 0:
            part_start = True
    return not part_start or not tokens


def struct_body_follows(raw, k, in_head: bool) -> bool:
    """Is the `{` at raw[k] the start of a struct literal's fields?"""
    a = raw[k + 1] if k + 1 < len(raw) else None
    b = raw[k + 2] if k + 2 < len(raw) else None
    if a is not None and a.type is T.NAME and a.string not in KEYWORDS and is_token(b, T.OP, ":"):
        return not in_head
    if in_head:
        return False
    if is_token(a, T.OP, "}"):
        return True
    return a is not None and a.type is T.NAME and a.string not in KEYWORDS and is_token(b, T.OP, ",", "}")


_TYPE_OPS = frozenset({",", "[", "]", "(", ")", "->"})
_BOUND_OPS = frozenset({":", "~", "+", ".", "~>"})


def generic_end(raw, k, declaration: bool) -> int:
    """Index of the `>` closing type arguments opened by the `<` at raw[k], or -1 when the
    tokens in between cannot be types (then `<` is a comparison)."""
    depth = 1
    for j in range(k + 1, min(len(raw), k + 80)):
        t = raw[j]
        if t.type is T.NAME:
            if t.string in KEYWORDS and t.string not in ("fn", "null"):
                return -1
        elif t.type is T.OP:
            s = t.string
            if s == "<":
                depth += 1
            elif s == ">":
                depth -= 1
                if depth == 0:
                    return j
            elif s not in _TYPE_OPS and not (declaration and s in _BOUND_OPS):
                return -1
        elif not (t.type is T.MACRO_VAR or (declaration and t.type is T.NUMBER)):
            return -1
    return -1
