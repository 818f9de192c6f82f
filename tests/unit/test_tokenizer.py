"""Tokenizer tests: lexing of tricky inputs, the newline rules, lexical errors."""
import pytest

from transpiler.front.diagnostics import CompileError
from transpiler.front.tokenizer import tokenize


def toks(src):
    return [(t.type.name, t.string) for t in tokenize(src)]


def strings(src):
    return [t.string for t in tokenize(src) if t.type.name not in ("NEWLINE", "ENDMARKER")]


def kinds(src):
    return [t.type.name for t in tokenize(src)]


def error(src):
    with pytest.raises(CompileError) as info:
        tokenize(src)
    return info.value.short()


@pytest.mark.parametrize("src, expected", [
    ("1..5", ["1", "..", "5"]),
    ("1..=5", ["1", "..=", "5"]),
    ("x.y", ["x", ".", "y"]),
    ("1.5.abs()", ["1.5", ".", "abs", "(", ")"]),
    ("42 1_000 3.14 1e-3 2.5E+10 0x1F 0b101 0o17",
     ["42", "1_000", "3.14", "1e-3", "2.5E+10", "0x1F", "0b101", "0o17"]),
    ("a~>b ~?? c ~||> d ~@> e <~f", ["a", "~>", "b", "~??", "c", "~||>", "d", "~@>", "e", "<~", "f"]),
    ("a=>b->c", ["a", "=>", "b", "->", "c"]),
    ("a**=b", ["a", "**", "=", "b"]),
    ("a<=b>=c==d!=e", ["a", "<=", "b", ">=", "c", "==", "d", "!=", "e"]),
    ("x /* a\n b */ + // c\n y", ["x", "+", "y"]),
    ('"a\\"b" \'c\'', ['"a\\"b"', "'c'"]),
])
def test_lexemes(src, expected):
    assert strings(src) == expected


def test_numbers_and_names_types():
    assert kinds("x 1 'a' `t`") == ["NAME", "NUMBER", "STRING", "TEMPLATE", "NEWLINE", "ENDMARKER"]


def test_template_keeps_raw_text_with_nesting():
    src = 'let t = `a ${ {b: "}"}.b } \\` ${`in ${x}`}\nnext line`'
    tmpl = [t for t in tokenize(src) if t.type.name == "TEMPLATE"]
    assert len(tmpl) == 1 and tmpl[0].string == src[8:]


def test_prefix_keeps_comments_and_blank_lines():
    src = "let x = 1 // one\n\n\n/* two */ let y = 2\n"
    out = tokenize(src)
    assert "".join(t.prefix + t.string for t in out) == src
    assert [t.type.name for t in out].count("NEWLINE") == 2


# ---------------------------------------------------------------- newlines

def test_newline_ends_statement():
    assert kinds("a\nb") == ["NAME", "NEWLINE", "NAME", "NEWLINE", "ENDMARKER"]


def test_no_newline_inside_parens_and_brackets():
    assert "NEWLINE" not in kinds("f(a,\n b\n)")[:-2]
    assert "NEWLINE" not in kinds("[1,\n 2\n]")[:-2]


def test_newline_inside_braces_nested_in_parens():
    # A lambda body inside call arguments is a block: its newlines count.
    out = toks("f((x) => {\n a\n b\n})")
    assert out.count(("NEWLINE", "\n")) == 2


@pytest.mark.parametrize("src", [
    "a +\nb", "a =\nb", "f(\na)", "a &&\nb", "a ~>\n0.5", "x = y.\nz", "a ..\nb", "let x:\nint",
])
def test_operator_at_line_end_continues(src):
    assert kinds(src).count("NEWLINE") == 1  # only the zero-width one at the end


@pytest.mark.parametrize("src", [
    "a\n.b()", "a\n&& b", "a\n|| b", "a\n~> 0.5", "a\n~?? b", "a\n~||> b", "a\n~@> b",
    "if a {\n}\nelse {\n}", "try {\n}\ncatch e {\n}\nfinally {\n}",
    "in context A {\n}\nshift to B {\n}", "uncertain if a {\n}\nmedium {\n}\nlow {\n}",
])
def test_next_token_continues(src):
    assert ("NEWLINE", "\n") not in toks(src)


def test_range_on_next_line_does_not_continue():
    assert ("NEWLINE", "\n") in toks("a\n..b")


def test_soft_keywords_do_not_continue_when_used_as_names():
    assert ("NEWLINE", "\n") in toks("a\nshift = 1")
    assert ("NEWLINE", "\n") in toks("a\nlow = 1")


def test_blank_lines_give_one_newline_and_go_into_prefix():
    out = tokenize("a\n\n\n  b")
    assert [(t.type.name, t.string, t.prefix) for t in out[:3]] == [
        ("NAME", "a", ""), ("NEWLINE", "\n", ""), ("NAME", "b", "\n\n  ")]


def test_zero_width_newline_before_closing_brace():
    assert toks("{ return x }") == [
        ("OP", "{"), ("NAME", "return"), ("NAME", "x"), ("NEWLINE", ""), ("OP", "}"),
        ("NEWLINE", ""), ("ENDMARKER", "")]
    assert toks("{}")[:2] == [("OP", "{"), ("OP", "}")]
    assert toks("{a;}")[:4] == [("OP", "{"), ("NAME", "a"), ("OP", ";"), ("OP", "}")]


def test_semicolon_ends_statement_without_newline_token():
    assert kinds("a;\nb") == ["NAME", "OP", "NAME", "NEWLINE", "ENDMARKER"]


def test_block_after_arrow_is_block_open():
    assert ("BLOCK_OPEN", "{") in toks("(x) => { x }")
    assert ("BLOCK_OPEN", "{") not in toks("f({a: 1})")


def test_async_before_paren_is_async_lambda():
    assert toks("async (x) => x")[0] == ("ASYNC_LAMBDA", "async")
    assert toks("async fn f() {}")[0] == ("NAME", "async")


def test_generic_close_can_end_a_line():
    assert ("NEWLINE", "\n") in toks("let m: HashMap<string, int>\nm = 1")
    assert ("NEWLINE", "\n") not in toks("a >\nb")


def test_crlf_newline():
    out = tokenize("a\r\nb")
    assert out[1].string == "\r\n"
    assert "".join(t.prefix + t.string for t in out) == "a\r\nb"


def test_positions_are_line_and_zero_based_col():
    out = tokenize("let x\n  = 1")
    assert [t.start_pos for t in out] == [(1, 0), (1, 4), (1, 5), (2, 2), (2, 4), (2, 5), (2, 5)]


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("src, message", [
    ("x /* never closed", "1:3: unterminated block comment"),
    ('"abc\n"', "1:1: unterminated string literal"),
    ("let s = 'abc", "1:9: unterminated string literal"),
    ('"a\\qb"', "1:3: unknown escape sequence '\\q'"),
    ('"\\u{110000}"', "1:2: invalid unicode escape"),
    ("a @ b", "1:3: unexpected character '@'"),
    ("a $ b", "1:3: expected a macro parameter name after '$'"),
    ("a \\ b", "1:3: unexpected character '\\'"),
    ("a \x00", "1:3: unexpected character 'U+0000'"),
    ("x = é", "1:5: unexpected character 'é'"),
    ("12abc", "1:1: invalid number literal '12abc'"),
    ("0x", "1:1: invalid number literal '0x'"),
    ("x = ²", "1:5: unexpected character '²'"),
    ("x = 1²", "1:5: invalid number literal '1²'"),
    ("`abc ${x", "1:1: unterminated template string"),
    ("`a ${ } b`", "1:4: empty expression in template string"),
    ("`a \\q`", "1:4: unknown escape sequence '\\q'"),
    ("f(a", "1:2: unclosed '('"),
    ("[1, 2", "1:1: unclosed '['"),
    ("fn f() {\n  g(1", "2:4: unclosed '('"),
    ("f(a]", "1:4: mismatched ']'"),
    (")", "1:1: mismatched ')'"),
])
def test_lexical_errors(src, message):
    assert error(src) == message


def test_valid_escapes():
    from transpiler.front.tokenizer import decode_string
    assert decode_string(r'"\n\t\r\0\\\"\'\$\`\u{1F600}"', (1, 0)) == "\n\t\r\0\\\"'$`\U0001F600"
