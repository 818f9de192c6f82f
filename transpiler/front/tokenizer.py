"""Prism tokenizer: source text -> parso-style tokens for `transpiler.front.parser`.

Two stages. `_lex` (here) cuts the text into significant tokens, each
carrying the whitespace and comments before it as its `prefix` (so the
concrete tree is lossless). `transpiler.front.layout` then decides statement
termination and retypes the tokens whose meaning depends on their
neighbours (see its docstring).

A lexical error does not raise at once: it becomes a final ERRORTOKEN
carrying the CompileError, so the parser reports whichever error comes
first in the file. `tokenize()` (the public entry point for tests and
tools) raises it directly.

Talks to: `transpiler.front.diagnostics` (CompileError), `transpiler.front.ast` (Span);
used by `transpiler.front.parser` and `transpiler.front.build_ast` (escape decoding,
template splitting).
"""
from __future__ import annotations

import re
from enum import Enum
from typing import NamedTuple

from parso.python.token import TokenType

from transpiler.front.ast import Span
from transpiler.front.diagnostics import CompileError


class PrismTokenTypes(Enum):
    """Token namespace for pgen; NAME/OP carry keywords and operators."""
    NAME = TokenType('NAME', contains_syntax=True)
    OP = TokenType('OP', contains_syntax=True)
    NUMBER = TokenType('NUMBER')
    STRING = TokenType('STRING')
    TEMPLATE = TokenType('TEMPLATE')
    NEWLINE = TokenType('NEWLINE')
    ENDMARKER = TokenType('ENDMARKER')
    # `{` directly after `=>`: a block, never an object literal (JS rule).
    BLOCK_OPEN = TokenType('BLOCK_OPEN')
    # `async` directly before `(`: keeps `async fn` and `async (x) => ..`
    # apart at statement start, which LL(1) cannot do on one keyword.
    ASYNC_LAMBDA = TokenType('ASYNC_LAMBDA')
    # The rest are decided by `transpiler.front.layout` from the tokens around them, where
    # one spelling has two meanings that LL(1) cannot tell apart.
    ASYNC_BLOCK = TokenType('ASYNC_BLOCK')      # `async` before `~` or `{`: a task block
    FN_EXPR = TokenType('FN_EXPR')              # `fn` before `(`: an anonymous function or fn type
    TAG_IN = TokenType('TAG_IN')                # `in` starting a context-tagged value `in "a" 0.8`
    CLOSURE_OPEN = TokenType('CLOSURE_OPEN')    # the `|` opening closure parameters `|a, b| e`
    CLOSURE_EMPTY = TokenType('CLOSURE_EMPTY')  # `||` opening a closure without parameters
    STRUCT_OPEN = TokenType('STRUCT_OPEN')      # the `{` of a struct literal `Point { x: 1 }`
    GENERIC_OPEN = TokenType('GENERIC_OPEN')    # `<` of type arguments or parameters
    GENERIC_CLOSE = TokenType('GENERIC_CLOSE')  # its `>`
    DOT_OP = TokenType('DOT_OP')                # ` . ` with spaces: the overloadable dot operator
    MACRO_BODY = TokenType('MACRO_BODY')        # a macro's whole `{ ... }` body, raw (expanded later)
    # Macro parameters inside a macro body: `$p`, `#$p` (its text), `a_${p}_b` (pasted name).
    MACRO_VAR = TokenType('MACRO_VAR')
    MACRO_STR = TokenType('MACRO_STR')
    PASTE_NAME = TokenType('PASTE_NAME')
    ERRORTOKEN = TokenType('ERRORTOKEN')


T = PrismTokenTypes


class Token(NamedTuple):
    """Shape of `parso.python.tokenize.PythonToken`; start_pos col is 0-based."""
    type: PrismTokenTypes
    string: str
    start_pos: tuple[int, int]
    prefix: str


class ErrorToken(Token):
    """An ERRORTOKEN; `.error` is the CompileError to raise on reaching it."""
    error: CompileError


def _error_token(error: CompileError, pos: tuple[int, int], prefix: str) -> ErrorToken:
    tok = ErrorToken(T.ERRORTOKEN, "", pos, prefix)
    tok.error = error
    return tok


KEYWORDS = frozenset("""let const fn async await return if else while for in break
continue try catch finally throw defer import from as struct true false
null""".split())
# Keywords only where the grammar needs them (and the word after them agrees, see
# `layout.SOFT_LOOKAHEAD`); elsewhere plain names: `let match = 1`, `context.current()`.
SOFT_KEYWORDS = frozenset("""context shift to uncertain medium low match trait impl operator
macro module export verify against sources promise""".split())

# Longest first so that a plain prefix scan finds the longest match.
OPERATORS = sorted("""~> ~?? ~||> ~@> <~ ~ => -> .. ..= ... . , : :: ; ( ) [ ] { } # == !=
<= >= < > = += -= *= /= %= + - * / % ** && || ! ? & |""".split(), key=len, reverse=True)

_NUMBER_RE = re.compile(r"""
    0[xX](?:_?[0-9a-fA-F])+
  | 0[bB](?:_?[01])+
  | 0[oO](?:_?[0-7])+
  | [0-9](?:_?[0-9])*(?:\.[0-9](?:_?[0-9])*)?(?:[eE][+-]?[0-9](?:_?[0-9])*)?
""", re.VERBOSE)
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A name with macro parameters pasted in: `get_${field}`, `${a}_${b}`.
_PASTE_RE = re.compile(r"(?:[A-Za-z_]|\$\{[A-Za-z_][A-Za-z0-9_]*\})(?:[A-Za-z0-9_]|\$\{[A-Za-z_][A-Za-z0-9_]*\})*")
_WORD_RE = re.compile(r"[\w.]*")

_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\",
                   '"': '"', "'": "'", "$": "$", "`": "`"}


def span_at(pos: tuple[int, int], length: int = 1) -> Span:
    """Span of `length` characters at a parso (line, 0-based col) position."""
    return Span(pos[0], pos[1] + 1, pos[0], pos[1] + 1 + length)


def char_repr(c: str) -> str:
    return c if c.isprintable() and c != "" else f"U+{ord(c):04X}"


def read_escape(text: str, i: int, pos: tuple[int, int]) -> tuple[str, int]:
    """Decode the escape whose backslash is text[i] (at file position pos).

    Returns (decoded text, index after the escape)."""
    c = text[i + 1] if i + 1 < len(text) else ""
    if c in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[c], i + 2
    if c == "u":
        m = re.compile(r"\{([0-9a-fA-F]{1,6})\}").match(text, i + 2)
        if m is None or int(m.group(1), 16) > 0x10FFFF or 0xD800 <= int(m.group(1), 16) <= 0xDFFF:
            raise CompileError("invalid unicode escape", span_at(pos, 2),
                               help="write a code point as \\u{1F600}")
        return chr(int(m.group(1), 16)), m.end()
    raise CompileError(f"unknown escape sequence '\\{char_repr(c)}'", span_at(pos, 2),
                       help="known escapes: \\n \\t \\r \\0 \\\\ \\\" \\' \\$ \\` \\u{...}")


def decode_string(raw: str, pos: tuple[int, int]) -> str:
    """Value of a quoted string token `raw` (quotes included) at pos."""
    out = []
    i, end = 1, len(raw) - 1
    while i < end:
        if raw[i] == "\\":
            s, i = read_escape(raw, i, (pos[0], pos[1] + i))
            out.append(s)
        else:
            out.append(raw[i])
            i += 1
    return "".join(out)


def _skip_quoted(text: str, i: int) -> int:
    """Index after the string starting at text[i] (inside `${}`); -1 if open."""
    q = text[i]
    i += 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text[i] == q:
            return i + 1
        elif text[i] == "\n":
            return -1
        else:
            i += 1
    return -1


def _template_end(text: str, i: int) -> int:
    """Index after the template starting with the backtick text[i]; -1 if open."""
    i += 1
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
        elif c == "`":
            return i + 1
        elif c == "$" and text.startswith("${", i):
            i = _interp_end(text, i + 2)
            if i < 0:
                return -1
        else:
            i += 1
    return -1


def _interp_end(text: str, i: int) -> int:
    """Index after the `}` closing a `${` whose body starts at text[i]."""
    depth = 1
    while i < len(text):
        c = text[i]
        if c in "\"'":
            i = _skip_quoted(text, i)
        elif c == "`":
            i = _template_end(text, i)
        elif c == "{":
            depth, i = depth + 1, i + 1
        elif c == "}":
            depth, i = depth - 1, i + 1
            if depth == 0:
                return i
        else:
            i += 1
        if i < 0:
            return -1
    return -1


def _advance(pos: tuple[int, int], text: str) -> tuple[int, int]:
    n = text.count("\n")
    if n:
        return pos[0] + n, len(text) - text.rfind("\n") - 1
    return pos[0], pos[1] + len(text)


def split_template(raw: str, pos: tuple[int, int]) -> list:
    """Split a TEMPLATE token into parts.

    Returns a list of `str` (decoded text) and `(source, (line, col0), dollar_pos)`
    tuples for each `${...}`; raises CompileError on bad escapes or `${}`."""
    parts: list = []
    text: list[str] = []
    i, end = 1, len(raw) - 1
    cur = (pos[0], pos[1] + 1)
    while i < end:
        c = raw[i]
        if c == "\\":
            s, j = read_escape(raw, i, cur)
            text.append(s)
        elif c == "$" and raw.startswith("${", i):
            j = _interp_end(raw, i + 2)
            source = raw[i + 2:j - 1]
            if not source.strip():
                raise CompileError("empty expression in template string",
                                   span_at(cur, j - i), help="write `${expr}` or escape it as `\\${`")
            if text:
                parts.append("".join(text))
                text = []
            parts.append((source, _advance(cur, "${"), cur))
        else:
            text.append(c)
            j = i + 1
        cur = _advance(cur, raw[i:j])
        i = j
    if text:
        parts.append("".join(text))
    return parts


class _Raw(NamedTuple):
    type: PrismTokenTypes
    string: str
    start_pos: tuple[int, int]
    prefix: str
    newline_at: int     # index in prefix of the first newline outside a block comment, or -1
    newline_pos: tuple[int, int]


def _lex(src: str, start: tuple[int, int]) -> list:
    """Significant tokens with their prefixes; ends in ENDMARKER or an ErrorToken."""
    out: list = []
    i, n = 0, len(src)
    line, col = start
    while True:
        # Prefix: whitespace and comments.
        p0 = i
        nl_at, nl_pos = -1, (0, 0)
        while i < n:
            c = src[i]
            if c == "\n":
                if nl_at < 0:
                    nl_at, nl_pos = i - p0, (line, col)
                line, col, i = line + 1, 0, i + 1
            elif c in " \t\r\f" or (c == "\ufeff" and i == 0):
                i, col = i + 1, col + 1
            elif src.startswith("//", i):
                j = src.find("\n", i)
                j = n if j < 0 else j
                col += j - i
                i = j
            elif src.startswith("/*", i):
                j = src.find("*/", i + 2)
                if j < 0:
                    err = CompileError("unterminated block comment", span_at((line, col), 2))
                    out.append(_error_token(err, (line, col), src[p0:i]))
                    return out
                line, col = _advance((line, col), src[i:j + 2])
                i = j + 2
            else:
                break
        prefix = src[p0:i]
        pos = (line, col)
        if i >= n:
            out.append(_Raw(T.ENDMARKER, "", pos, prefix, nl_at, nl_pos))
            return out
        c = src[i]
        kind, j, err = None, i, None
        if "0" <= c <= "9":
            m = _NUMBER_RE.match(src, i)
            j = m.end()
            if j < n and (src[j].isalnum() or src[j] == "_"):
                word = _WORD_RE.match(src, i).group()
                err = CompileError(f"invalid number literal '{word}'", span_at(pos, len(word)))
            kind = T.NUMBER
        elif c.isascii() and (c.isalpha() or c == "_") or src.startswith("${", i):
            m = _PASTE_RE.match(src, i)
            if m is None:
                err = CompileError("expected a macro parameter name after '${'", span_at(pos, 2))
            else:
                j = m.end()
                kind = T.PASTE_NAME if "${" in m.group() else T.NAME
        elif c == "$" or src.startswith("#$", i):
            start = i + (2 if c == "#" else 1)
            m = _NAME_RE.match(src, start)
            if m is None:
                err = CompileError("expected a macro parameter name after '$'", span_at(pos))
            else:
                j = m.end()
                kind = T.MACRO_STR if c == "#" else T.MACRO_VAR
        elif c in "\"'":
            j = i + 1
            while True:
                if j >= n or src[j] == "\n":
                    err = CompileError("unterminated string literal", span_at(pos))
                    break
                if src[j] == c:
                    j += 1
                    break
                if src[j] == "\\":
                    if j + 1 >= n or src[j + 1] == "\n":
                        err = CompileError("unterminated string literal", span_at(pos))
                        break
                    try:
                        _, j = read_escape(src, j, (line, col + j - i))
                    except CompileError as e:
                        err = e
                        break
                else:
                    j += 1
            kind = T.STRING
        elif c == "`":
            j = _template_end(src, i)
            if j < 0:
                err = CompileError("unterminated template string", span_at(pos))
            else:
                try:
                    split_template(src[i:j], pos)
                except CompileError as e:
                    err = e
            kind = T.TEMPLATE
        else:
            for op in OPERATORS:
                if src.startswith(op, i):
                    kind, j = T.OP, i + len(op)
                    break
            else:
                err = CompileError(f"unexpected character '{char_repr(c)}'", span_at(pos))
        if err is not None:
            out.append(_error_token(err, pos, prefix))
            return out
        text = src[i:j]
        out.append(_Raw(kind, text, pos, prefix, nl_at, nl_pos))
        line, col = _advance(pos, text)
        i = j


def tokens_for_parser(source: str, start: tuple[int, int] = (1, 0),
                      expression: bool = False) -> list:
    """Tokens ready for the parser; may end in an ErrorToken instead of ENDMARKER."""
    from transpiler.front.layout import layout
    return layout(_lex(source, start), expression)


def tokenize(source: str, start: tuple[int, int] = (1, 0), expression: bool = False) -> list:
    """All tokens of `source`; raises CompileError on the first lexical error."""
    toks = tokens_for_parser(source, start, expression)
    if toks and toks[-1].type is T.ERRORTOKEN:
        raise toks[-1].error
    return toks
