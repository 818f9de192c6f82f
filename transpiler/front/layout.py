"""Statement layout and token disambiguation: `tokenizer._lex` output -> parser tokens.

Talks to `transpiler.front.tokenizer` (token types, keywords),
`transpiler.front.layout_scan` (the lookahead tests on raw tokens and the
retyped token classes) and `transpiler.front.diagnostics`; used by
`tokenizer.tokens_for_parser` and `transpiler.passes.macros`.

Statement ends: a newline hidden in a token's prefix becomes a NEWLINE token
when the line could end there (see `_can_end`), outside `( )`, `[ ]` and
generic `< >`, unless the next line starts with a continuing token (`.`, `&&`,
`else`, `catch`, `from`, ...). Zero-width NEWLINEs go before `}` and the end of
the file. The layout also checks brackets.

Retyped tokens, for the places where one spelling has two meanings that an
LL(1) grammar cannot tell apart from one token:

    (x) => { ... }          `{` after `=>` or a closure's `|x|`   BLOCK_OPEN (a block, not an object)
    async (x) => x          `async (`                            ASYNC_LAMBDA
    async ~0.8 { ... }      `async ~` / `async {`                ASYNC_BLOCK
    fn (x) { x }            `fn (`                               FN_EXPR (anonymous fn or fn type)
    |a, b| a + b            `|` before parameters and a body     CLOSURE_OPEN  (`|v|` stays `|`)
    || 42                   `||` where a value starts            CLOSURE_EMPTY
    Point { x: 1.0 }        `{` after a name, entries `n:`       STRUCT_OPEN
    Box<T>, Map<K, V>::new  `<`/`>` of type arguments             GENERIC_OPEN / GENERIC_CLOSE
    a . b                   `.` with spaces on both sides        DOT_OP
    [in "a" 0.8]            `in` where a value starts            TAG_IN
    macro m<a> { ... }      the whole macro body                 MACRO_BODY (expanded later)

Choices (written in docs/language.md): after a closure's closing bar, a token
that starts a value (a name, literal, `(`, `[`, `{`, `!`, `|`) makes it a
closure; `-`, `+` or anything else makes `|e|` the magnitude. A struct literal
cannot stand directly in the head of `if`/`while`/`for`/`match`/... (as in
Rust): there `Name {` opens the block.
"""
from __future__ import annotations

from transpiler.front.diagnostics import CompileError
from transpiler.front.tokenizer import KEYWORDS, PrismTokenTypes as T, Token, _error_token, span_at
from transpiler.front.layout_scan import (GenericClose, MagnitudeClose, TypeFn, bar_end, ends_value, generic_end,
                                         is_token, line_start, parameter_list, soft_keyword, starts_value,
                                         struct_body_follows)

# A newline after one of these never ends a statement: the expression or
# declaration is visibly unfinished.
_NO_END_OPS = frozenset(""", ( [ { . : :: = += -= *= /= %= => -> + - * / % ** == != < <=
> >= && || ! ~> ~?? ~||> ~@> <~ ~ .. ..= ... &""".split())
_NO_END_KEYWORDS = frozenset("""let const fn async await if else while for in try
catch finally throw defer import from as struct""".split())
_NO_END_TYPES = frozenset({T.NEWLINE, T.BLOCK_OPEN, T.STRUCT_OPEN, T.GENERIC_OPEN, T.CLOSURE_OPEN,
                           T.CLOSURE_EMPTY, T.DOT_OP, T.FN_EXPR, T.ASYNC_BLOCK, T.ASYNC_LAMBDA, T.TAG_IN})
# A line starting with one of these continues the previous line.
_CONTINUE_OPS = frozenset(". && || ~> ~?? ~||> ~@>".split())
_CONTINUE_KEYWORDS = frozenset("else catch finally from".split())

_CLOSERS = {")": "(", "]": "[", "}": "{"}

# Words that begin a statement head whose `{` opens a block (see `_Layout.heads`).
_HEAD_WORDS = frozenset("if while for catch struct fn".split())
_SOFT_HEAD_WORDS = frozenset("match uncertain trait impl module context shift medium low operator "
                             "macro verify".split())


class _Layout:
    def __init__(self, raw: list, expression: bool):
        self.raw = raw
        self.out: list = []
        # Open brackets: (opening char, its token); an expression (template `${}`)
        # starts inside a virtual paren so that its newlines never count.
        self.stack: list = [("(", None)] if expression else []
        self.expression = expression
        self.prev = None
        # Statement heads (`if c`, `fn f() -> T`, `struct S`, ...) not yet closed by their
        # `{`: (bracket depth, word). In a head, `Name {` opens the block.
        self.heads: list = []
        self.forced: dict = {}           # raw index -> token type decided by looking ahead
        self.type_parens: set = set()    # depths of open `(` of function types `fn(A, B)`

    # ------------------------------------------------------------ helpers
    def depth(self) -> int:
        return len(self.stack)

    def in_head(self) -> bool:
        return bool(self.heads) and self.heads[-1][0] == self.depth()

    def close_heads(self, depth: int):
        while self.heads and self.heads[-1][0] >= depth:
            self.heads.pop()

    def can_end(self, tok) -> bool:
        if tok is None or tok.type in _NO_END_TYPES:
            return False
        if tok.type is T.GENERIC_CLOSE:
            return True
        if tok.type is T.OP:
            return tok.string not in _NO_END_OPS
        if tok.type is T.NAME:
            return tok.string not in _NO_END_KEYWORDS
        return True

    def continues(self, k: int) -> bool:
        """Does raw[k], at the start of a line, continue the previous statement?"""
        t = self.raw[k]
        nxt = self.raw[k + 1] if k + 1 < len(self.raw) else None
        if t.type is T.OP:
            return t.string in _CONTINUE_OPS
        if t.type is T.NAME:
            if t.string in _CONTINUE_KEYWORDS:
                return True
            if t.string == "shift":
                return is_token(nxt, T.NAME, "to")
            if t.string in ("medium", "low"):
                return is_token(nxt, T.OP, "{")
        return False

    def emit(self, tok):
        self.out.append(tok)
        self.prev = tok

    def error(self, message: str, where, token_pos, prefix: str, help=None):
        """End the output with an error token at token_pos for an error at `where`."""
        self.out.append(_error_token(CompileError(message, span_at(where), help=help), token_pos, prefix))

    # ------------------------------------------------------------ main loop
    def run(self) -> list:
        raw = self.raw
        k = 0
        while k < len(raw):
            t = raw[k]
            if t.type is T.ERRORTOKEN:
                self.out.append(t)
                return self.out
            prefix = self.newline_before(k, t)
            if t.type is T.ENDMARKER:
                self.end(t, prefix)
                return self.out
            kind, s = t.type, t.string
            if kind is T.OP and s in _CLOSERS:
                prefix = self.close_bracket(t, prefix)
                if prefix is None:
                    return self.out
            forced = self.forced.get(k)
            if forced == "magnitude":
                tok = MagnitudeClose(T.OP, s, t.start_pos, prefix)
            else:
                tok = Token(forced or kind, s, t.start_pos, prefix)
            if tok.type is T.OP and s == "{" and self.in_head() and self.heads[-1][1] == "macro":
                k = self.macro_body(k, prefix)
                if k < 0:
                    return self.out
                continue
            self.emit(self.retype(k, tok))
            k += 1
        raise AssertionError("lexer output lacks ENDMARKER")  # pragma: no cover

    def newline_before(self, k: int, t) -> str:
        """Emit the NEWLINE hidden in t's prefix when the line ends there; the rest of the prefix."""
        prefix = t.prefix
        top = self.stack[-1][0] if self.stack else None
        prev = self.prev
        if (t.newline_at >= 0 and top in (None, "{") and self.can_end(prev)
                and not is_token(prev, T.OP, ";") and not self.continues(k)):
            a = t.newline_at
            nl = "\n"
            if a > 0 and prefix[a - 1] == "\r":
                a, nl = a - 1, "\r\n"
            pos = t.newline_pos if nl == "\n" else (t.newline_pos[0], t.newline_pos[1] - 1)
            self.emit(Token(T.NEWLINE, nl, pos, prefix[:a]))
            self.close_heads(self.depth())
            prefix = prefix[a + len(nl):]
        return prefix

    def end(self, t, prefix: str):
        # The innermost open bracket is the one most likely forgotten.
        for opener, tok in reversed(self.stack):
            if tok is not None:
                self.error(f"unclosed '{opener}'", tok.start_pos, t.start_pos, prefix)
                return
        if not self.expression and self.can_end(self.prev) and not is_token(self.prev, T.OP, ";"):
            self.out.append(Token(T.NEWLINE, "", t.start_pos, prefix))
            prefix = ""
        self.out.append(Token(T.ENDMARKER, "", t.start_pos, prefix))

    def close_bracket(self, t, prefix: str):
        """Pop the bracket `t` closes; the prefix left for `t`, or None after an error."""
        s = t.string
        stack = self.stack
        if not stack or stack[-1][0] != _CLOSERS[s] or stack[-1][1] is None:
            help = None
            if stack and stack[-1][1] is not None:
                opener = stack[-1][1]
                help = f"the last open bracket is the '{stack[-1][0]}' at " \
                       f"{opener.start_pos[0]}:{opener.start_pos[1] + 1}"
            self.error(f"mismatched '{s}'", t.start_pos, t.start_pos, prefix, help)
            return None
        stack.pop()
        self.type_parens.discard(self.depth() + 1)
        self.close_heads(self.depth() + 1)
        prev = self.prev
        if s == "}" and prev is not None and prev.type not in (T.NEWLINE, T.BLOCK_OPEN, T.STRUCT_OPEN) \
                and not is_token(prev, T.OP, ";", "{"):
            self.emit(Token(T.NEWLINE, "", t.start_pos, prefix))
            return ""
        return prefix

    def macro_body(self, k: int, prefix: str) -> int:
        """Fold the macro body `{ ... }` starting at raw[k] into one MACRO_BODY token; the
        index after it, or -1 after an error."""
        raw = self.raw
        depth = 0
        for j in range(k, len(raw)):
            t = raw[j]
            if t.type in (T.ERRORTOKEN, T.ENDMARKER):
                break
            if t.type is T.OP and t.string == "{":
                depth += 1
            elif t.type is T.OP and t.string == "}":
                depth -= 1
                if depth == 0:
                    text = raw[k].string + "".join(r.prefix + r.string for r in raw[k + 1:j + 1])
                    self.close_heads(self.depth())
                    self.emit(Token(T.MACRO_BODY, text, raw[k].start_pos, prefix))
                    return j + 1
        if raw[j].type is T.ERRORTOKEN:
            self.out.append(raw[j])
        else:
            self.error("unclosed '{'", raw[k].start_pos, raw[j].start_pos, prefix)
        return -1

    # ------------------------------------------------------------ retyping
    def retype(self, k: int, tok):
        raw, prev = self.raw, self.prev
        kind, s = tok.type, tok.string
        nxt = raw[k + 1] if k + 1 < len(raw) else None
        if kind is T.NAME:
            return self.retype_word(k, tok, nxt)
        if kind is T.BLOCK_OPEN:                       # forced by a closure's closing bar
            self.stack.append(("{", tok))
            return tok
        if kind is T.GENERIC_CLOSE:                    # forced by the `<` that opened it
            if self.stack and self.stack[-1][0] == "<":
                self.stack.pop()
            return GenericClose(*tok)
        if kind is T.CLOSURE_OPEN or kind is not T.OP:
            return tok
        if s == "{":
            return self.open_brace(k, tok)
        if s in "([":
            self.stack.append((s, tok))
            if s == "(" and prev is not None and prev.type is T.FN_EXPR and getattr(prev, "in_type", False):
                self.type_parens.add(self.depth())
        elif s in (";",):
            self.close_heads(self.depth())
        elif s == "=>":
            self.close_heads(self.depth())
        elif s == "|":
            return self.bar(k, tok)
        elif s == "||" and not ends_value(prev):
            if is_token(nxt, T.OP, "{"):
                self.forced[k + 1] = T.BLOCK_OPEN
            return Token(T.CLOSURE_EMPTY, s, tok.start_pos, tok.prefix)
        elif s == "<":
            return self.angle(k, tok)
        elif s == "." and ends_value(prev) and tok.prefix and line_start(raw[k]) < 0 \
                and nxt is not None and nxt.prefix and line_start(nxt) < 0:
            return Token(T.DOT_OP, s, tok.start_pos, tok.prefix)
        return tok

    def retype_word(self, k: int, tok, nxt):
        s, prev = tok.string, self.prev
        if s == "async" and is_token(nxt, T.OP, "("):
            return Token(T.ASYNC_LAMBDA, s, tok.start_pos, tok.prefix)
        if s == "async" and is_token(nxt, T.OP, "~", "{"):
            self.heads.append((self.depth(), s))
            return Token(T.ASYNC_BLOCK, s, tok.start_pos, tok.prefix)
        if s == "fn" and is_token(nxt, T.OP, "("):
            if self.type_position(before=0):
                return TypeFn(T.FN_EXPR, s, tok.start_pos, tok.prefix)
            self.heads.append((self.depth(), s))
            return Token(T.FN_EXPR, s, tok.start_pos, tok.prefix)
        if s == "in":
            if ends_value(prev):
                return tok                              # `for x in`, `let x in "ctx"`
            if prev is None or prev.type in (T.NEWLINE, T.BLOCK_OPEN) or is_token(prev, T.OP, ";", "{", "}"):
                self.heads.append((self.depth(), s))    # `in ctx { }` (or a pattern `in "a" x`)
                return tok
            return Token(T.TAG_IN, s, tok.start_pos, tok.prefix)
        if s in _HEAD_WORDS or (s in _SOFT_HEAD_WORDS and soft_keyword(self.raw, k)):
            self.heads.append((self.depth(), s))
        return tok

    def open_brace(self, k: int, tok):
        prev = self.prev
        in_head = self.in_head()
        if in_head:
            self.close_heads(self.depth())
        elif (is_token(prev, T.NAME) and prev.string not in KEYWORDS or is_token(prev, T.GENERIC_CLOSE)
              or is_token(prev, T.PASTE_NAME)) and struct_body_follows(self.raw, k, False):
            tok = Token(T.STRUCT_OPEN, tok.string, tok.start_pos, tok.prefix)
        elif is_token(prev, T.OP, "=>"):
            tok = Token(T.BLOCK_OPEN, tok.string, tok.start_pos, tok.prefix)
        self.stack.append(("{", tok))
        return tok

    def bar(self, k: int, tok):
        """An opening `|` starts a closure or a magnitude; a closing one ends it; any other
        `|` is the or of patterns."""
        if ends_value(self.prev):
            return tok
        end = bar_end(self.raw, k)
        if end < 0:
            return tok
        after = self.raw[end + 1] if end + 1 < len(self.raw) else None
        top = self.stack[-1][0] if self.stack else None
        on_next_line = after is not None and line_start(after) >= 0 and top in (None, "{")
        if parameter_list(self.raw[k + 1:end]) and starts_value(after) and not on_next_line:
            if is_token(after, T.OP, "{"):
                self.forced[end + 1] = T.BLOCK_OPEN
            return Token(T.CLOSURE_OPEN, tok.string, tok.start_pos, tok.prefix)
        self.forced[end] = "magnitude"
        return tok

    def angle(self, k: int, tok):
        """`<` after a name opens type arguments where they can only be types (declarations,
        annotations) or where what follows the `>` shows it (`::`, a struct literal, the end
        of a statement); otherwise it compares."""
        prev, out = self.prev, self.out
        word_before = out[-2] if len(out) >= 2 else None
        declaration = (is_token(word_before, T.NAME, "fn", "struct", "trait", "macro", "impl")
                       or is_token(prev, T.NAME, "impl"))
        if not declaration and (prev is None or prev.type not in (T.NAME, T.PASTE_NAME, T.MACRO_VAR)
                                or prev.string in KEYWORDS):
            return tok
        end = generic_end(self.raw, k, declaration)
        if end < 0:
            return tok
        if not (declaration or self.type_position()
                or (is_token(word_before, T.NAME, "for") and self.in_head())):    # impl T for S<X>
            after = self.raw[end + 1] if end + 1 < len(self.raw) else None
            top = self.stack[-1][0] if self.stack else None
            statement_end = after is None or after.type is T.ENDMARKER or is_token(after, T.OP, ";", "}") \
                or (line_start(after) >= 0 and top in (None, "{")) or (is_token(after, T.OP, ",") and top == "{")
            struct_literal = is_token(after, T.OP, "{") and not self.in_head() and \
                struct_body_follows(self.raw, end + 1, False)
            if not (is_token(after, T.OP, "::", "(") or struct_literal or statement_end):
                return tok
        self.forced[end] = T.GENERIC_CLOSE
        opened = Token(T.GENERIC_OPEN, tok.string, tok.start_pos, tok.prefix)
        self.stack.append(("<", opened))
        return opened

    def type_position(self, before: int = 1) -> bool:
        """Is the token `before` places back (the name before a `<`, or with 0 the token
        being placed) in a type annotation: after `:`, `->`, inside type arguments or a
        function type's parameters, or in an array type `[T<..>]` there?"""
        out = self.out
        i = len(out) - 1 - before
        while i >= 0 and is_token(out[i], T.OP, "["):
            i -= 1
        if i < 0:
            return False
        t = out[i]
        if is_token(t, T.OP, ":", "->") or t.type is T.GENERIC_OPEN:
            return True
        in_type_list = bool(self.stack) and (self.stack[-1][0] == "<" or self.depth() in self.type_parens)
        return is_token(t, T.OP, ",", "(") and in_type_list


def layout(raw: list, expression: bool) -> list:
    """Tokens for the parser from `_lex` output (see the module docstring)."""
    return _Layout(raw, expression).run()
