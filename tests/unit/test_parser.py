"""Parser and AST builder tests: round trips, AST shapes, soft keywords, errors."""
import random
import re
from pathlib import Path

import pytest

from transpiler.front import ast as A
from transpiler.front.diagnostics import CompileError
from transpiler.front.parser import parse_cst, parse_expression, parse_module

# The user's source document sits beside the checkout (../shared); a fresh clone has none.
SEED = Path(__file__).resolve().parents[3] / "shared" / "seed" / "performance-guide.md"


def seed_blocks():
    if not SEED.exists():
        return []
    blocks = re.findall(r"```prism\n(.*?)```", SEED.read_text(encoding="utf-8"), re.S)
    # One block ends with the shell command `prism bench` written as if it
    # were code; it is not Prism, so that single line is dropped.
    return [re.sub(r"(?m)^prism bench\n", "", b) for b in blocks]


HAND_WRITTEN = [
    "",
    "// only a comment\n",
    "let x = 1;let y = 2\n\n\n",
    """\ufeff
import { a, b as c } from "std/perf"
import llm from "std/llm"

#[benchmark]
#[repeat(3)]
async fn f(a: int, b: HashMap<string, int[]> = 1) ~0.9 -> [int] {
    a.b[1:]; return
}

struct Point {
    x: float, y: float = 0.0
    fn norm(self) -> float { (self.x ** 2 + self.y ** 2) ** 0.5 }
}

let m = match v {
    1 => "a",
    -2.5 => 3
    _ ~{0.8, 1.0} => 4, x if x > 2 => { x }
}
in context A { /* a */ } shift to B {
} shift to A { }
uncertain if q { } medium { } low { }
try { throw error("x") } catch e { print(e.message) } finally { }
for await k, v in xs { break }
const T = `total: ${a + b} and ${ "}" }`
x.y[2] += -2 ** 2 ~> 0.5
""",
]


@pytest.mark.parametrize("src", seed_blocks() + HAND_WRITTEN)
def test_lossless_round_trip(src):
    assert parse_cst(src).get_code() == src


def test_seed_blocks_found():
    if SEED.exists():
        assert len(seed_blocks()) >= 16


@pytest.mark.parametrize("src", seed_blocks() + HAND_WRITTEN)
def test_parses(src):
    assert isinstance(parse_module(src, "t.prism"), A.Module)


def strip(node):
    """AST as nested tuples without spans, for compact comparisons."""
    if isinstance(node, tuple):
        return tuple(strip(x) for x in node)
    if isinstance(node, A.Node):
        fields = [f for f in node.__dataclass_fields__ if f != "span"]
        return (type(node).__name__,) + tuple(strip(getattr(node, f)) for f in fields)
    return node


def stmt(src):
    body = parse_module(src, "t.prism").body
    assert len(body) == 1, body
    return body[0]


def expr(src):
    s = stmt(src)
    assert isinstance(s, A.ExprStmt)
    return strip(s.expr)


N = lambda n: ("Name", n)  # noqa: E731
I = lambda v: ("IntLit", v)  # noqa: E731


# ---------------------------------------------------------------- expressions

def test_precedence():
    assert expr("a + b * c") == ("Binary", "+", N("a"), ("Binary", "*", N("b"), N("c")))
    assert expr("a - b - c") == ("Binary", "-", ("Binary", "-", N("a"), N("b")), N("c"))
    assert expr("-2 ** 2") == ("Unary", "-", ("Binary", "**", I(2), I(2)))
    assert expr("2 ** 3 ** 2") == ("Binary", "**", I(2), ("Binary", "**", I(3), I(2)))
    assert expr("2 ** -1") == ("Binary", "**", I(2), ("Unary", "-", I(1)))
    assert expr("a || b && c") == ("Binary", "||", N("a"), ("Binary", "&&", N("b"), N("c")))
    assert expr("a ~> 0.5 || b") == ("Binary", "~>", N("a"), ("Binary", "||", ("FloatLit", 0.5), N("b")))
    assert expr("a ~> b ~?? c") == ("Binary", "~??", ("Binary", "~>", N("a"), N("b")), N("c"))
    assert expr("a == b < c") == ("Binary", "<", ("Binary", "==", N("a"), N("b")), N("c"))
    assert expr("0..n + 1") == ("Range", I(0), ("Binary", "+", N("n"), I(1)), False)
    assert expr("0..=n") == ("Range", I(0), N("n"), True)
    assert expr("!<~x") == ("Unary", "!", ("Unary", "<~", N("x")))
    assert expr("await f(x)") == ("Await", ("Call", N("f"), (("Arg", None, N("x")),)), None)
    assert expr("await ~0.9 f") == ("Await", N("f"), ("FloatLit", 0.9))


def test_literals():
    assert expr("0x1F") == I(31)
    assert expr("1_000") == I(1000)
    assert expr("0b101") == I(5) and expr("0o17") == I(15)
    assert expr("1e-3") == ("FloatLit", 0.001)
    assert expr("'a\\n\\u{1F600}'") == ("StringLit", "a\n\U0001F600")
    assert expr("true") == ("BoolLit", True)
    assert expr("null") == ("NullLit",)


def test_postfix():
    assert expr("a.b(c, n: 1)[i]") == (
        "Index", ("Call", ("Member", N("a"), "b"), (("Arg", None, N("c")), ("Arg", "n", I(1)))), N("i"))
    assert expr("xs[1:2]") == ("Slice", N("xs"), I(1), I(2))
    assert expr("xs[:2]") == ("Slice", N("xs"), None, I(2))
    assert expr("xs[1:]") == ("Slice", N("xs"), I(1), None)
    assert expr("xs[:]") == ("Slice", N("xs"), None, None)


def test_array_and_object():
    assert expr("[1, 2,]") == ("ArrayLit", (I(1), I(2)))
    assert expr("[]") == ("ArrayLit", ())
    obj = expr('({a: 1, "b c": 2, d})')
    assert obj == ("ObjectLit", (("ObjectEntry", "a", I(1)), ("ObjectEntry", "b c", I(2)),
                                 ("ObjectEntry", "d", N("d"))))
    assert expr("({\n  a: 1\n  b: 2,\n})") == ("ObjectLit", (("ObjectEntry", "a", I(1)),
                                                            ("ObjectEntry", "b", I(2))))
    assert expr("{}") == ("ObjectLit", ())


def test_lambdas():
    assert expr("() => 1") == ("Lambda", (), I(1), False, None, None)
    assert expr("(a, b: int = 2) => a") == (
        "Lambda", (("Param", "a", None, None), ("Param", "b", ("TypeName", "int", ()), I(2))), N("a"), False,
        None, None)
    lam = expr("(x) => { return x }")
    assert lam[2] == ("Block", (("Return", N("x")),))
    assert expr("async (x) => await x") == ("Lambda", (("Param", "x", None, None),), ("Await", N("x"), None),
                                            True, None, None)
    assert expr("(x) => (y) => x") == ("Lambda", (("Param", "x", None, None),),
                                       ("Lambda", (("Param", "y", None, None),), N("x"), False, None, None),
                                       False, None, None)
    call = stmt("f((x) => {\n  let y = x\n  y\n}, 2)").expr
    body = call.args[0].value.body
    assert [type(s).__name__ for s in body.body] == ["Let", "ExprStmt"]


def test_template_string_parts_and_spans():
    s = stmt("let t = `a ${x + 1} b\n${ y }`")
    t = s.value
    assert strip(t) == ("TemplateString", ("a ", ("Binary", "+", N("x"), I(1)), " b\n", N("y")))
    assert t.parts[1].span == A.Span(1, 14, 1, 19)
    assert t.parts[3].span == A.Span(2, 4, 2, 5)


def test_parse_expression_offsets():
    e = parse_expression("a +\n b", 4, 10)
    assert strip(e) == ("Binary", "+", N("a"), N("b"))
    assert e.left.span == A.Span(5, 11, 5, 12)
    assert e.right.span == A.Span(6, 2, 6, 3)


def test_match():
    m = expr('match v {\n 1 => "a",\n -2 => b\n "s" => null, true => 1\n _ ~{0.8, 1.0} => 2\n'
             ' c ~{0.1, 0.5} => c\n ~{0, 1} => 3\n x if x > 2 => { x }\n _ => 0 }')
    pats = [arm[1] for arm in m[2]]
    assert pats == [
        ("LiteralPattern", I(1)), ("LiteralPattern", ("Unary", "-", I(2))),
        ("LiteralPattern", ("StringLit", "s")), ("LiteralPattern", ("BoolLit", True)),
        ("ConfidencePattern", None, ("FloatLit", 0.8), ("FloatLit", 1.0), None),
        ("ConfidencePattern", "c", ("FloatLit", 0.1), ("FloatLit", 0.5), None),
        ("ConfidencePattern", None, I(0), I(1), None),
        ("BindingPattern", "x"), ("WildcardPattern",)]
    assert m[2][7][2] == ("Binary", ">", N("x"), I(2))
    assert m[2][7][3] == ("Block", (("ExprStmt", N("x")),))
    assert strip(stmt("let r = match x { _ => 1 }").value)[0] == "Match"


# ---------------------------------------------------------------- statements

def test_let_const_assign():
    assert strip(stmt("let x")) == ("Let", "x", None, None, False)
    assert strip(stmt("let x: int[] = []")) == ("Let", "x", ("ArrayType", ("TypeName", "int", ())),
                                                 ("ArrayLit", ()), False)
    assert strip(stmt("const X = 1")) == ("Let", "X", None, I(1), True)
    for op in ("=", "+=", "-=", "*=", "/=", "%="):
        assert strip(stmt(f"a.b[0] {op} 1"))[2] == op
    assert strip(stmt("x = 1")) == ("Assign", N("x"), "=", I(1))


def test_types():
    t = stmt("let f: fn(int, HashMap<string, [float]>) -> bool[] = g").type
    assert strip(t) == ("FnType", (("TypeName", "int", ()), ("TypeName", "HashMap", (
        ("TypeName", "string", ()), ("ArrayType", ("TypeName", "float", ()))))),
        ("ArrayType", ("TypeName", "bool", ())))


def test_fn_decl():
    f = stmt("#[benchmark]\n#[repeat(3, \"x\")]\nasync fn f(a: int, b = 1) -> int ~0.9 { a }")
    assert f.name == "f" and f.is_async
    assert strip(f.attributes) == (("Attribute", "benchmark", ()),
                                   ("Attribute", "repeat", (("Arg", None, I(3)), ("Arg", None, ("StringLit", "x")))))
    assert strip(f.params) == (("Param", "a", ("TypeName", "int", ()), None), ("Param", "b", None, I(1)))
    assert strip(f.return_type) == ("TypeName", "int", ())
    assert strip(f.confidence) == ("FloatLit", 0.9)
    g = stmt("fn g() ~0.5 -> string { }")
    assert strip(g.confidence) == ("FloatLit", 0.5) and strip(g.return_type) == ("TypeName", "string", ())
    assert stmt("fn h() {}").return_type is None


def test_struct():
    s = stmt("struct P {\n  x: int, y: float = 0.0\n  z\n  fn m(self, k: int) -> int { k }\n"
             "  async fn n(self) { }\n}")
    assert [f.name for f in s.fields] == ["x", "y", "z"]
    assert strip(s.fields[1].default) == ("FloatLit", 0.0)
    assert [m.name for m in s.methods] == ["m", "n"] and s.methods[1].is_async
    assert stmt("struct E {}").fields == ()


def test_control_flow():
    s = stmt("if (a) { } else if b { x } else { y }")
    assert isinstance(s.orelse, A.If) and isinstance(s.orelse.orelse, A.Block)
    assert strip(stmt("while x < 3 { x += 1 }"))[0] == "While"
    f = stmt("for k, v in items { continue }")
    assert f.targets == ("k", "v") and not f.is_await
    f = stmt("for await c in stream { }")
    assert f.targets == ("c",) and f.is_await
    r = stmt("for i in 0..10 { }")
    assert isinstance(r.iterable, A.Range)
    t = stmt("try { } catch e { } finally { }")
    assert [c.name for c in t.catches] == ["e"] and t.finalbody is not None
    t = stmt("try { } catch { }")
    assert t.catches[0].name is None and t.finalbody is None
    t = stmt("try { } finally { }")
    assert t.catches == () and t.finalbody is not None
    t = stmt("try { }\ncatch e ~0.7 if e.code == 1 { }\ncatch e if ok { }\ncatch e ~0.5 { }")
    assert [(c.name, strip(c.confidence), strip(c.guard)) for c in t.catches] == [
        ("e", ("FloatLit", 0.7), ("Binary", "==", ("Member", N("e"), "code"), I(1))),
        ("e", None, N("ok")), ("e", ("FloatLit", 0.5), None)]
    assert strip(stmt("fn f() { return }").body.body[0]) == ("Return", None)
    assert strip(stmt("throw error(\"x\")"))[0] == "Throw"
    assert strip(stmt("defer cleanup(d)"))[0] == "Defer"


def test_contexts_and_uncertain():
    s = stmt("in ctx { }")
    assert isinstance(s, A.InBlock) and s.context == A.Name("ctx", A.Span(1, 4, 1, 7))
    s = stmt("in context A {\n} shift to B {\n} shift to A { }")
    assert [seg.name for seg in s.segments] == ["A", "B", "A"]
    assert isinstance(stmt("in context.current() { }"), A.InBlock)
    u = stmt("uncertain if x {\n} medium {\n} low { }")
    assert u.medium is not None and u.low is not None
    u = stmt("uncertain if x { } low { }")
    assert u.medium is None and u.low is not None


def test_imports():
    assert strip(stmt('import { a, b as c } from "std/perf"')) == (
        "Import", (("ImportName", "a", None), ("ImportName", "b", "c")), None, "std/perf", None)
    assert strip(stmt('import {\n  a,\n  b\n} from "./x"'))[1][1][1] == "b"
    assert strip(stmt('import m from "math"')) == ("Import", (), "m", "math", None)
    assert strip(stmt('import { a }\n  from utils ~0.9')) == (
        "Import", (("ImportName", "a", None),), None, "utils", ("FloatLit", 0.9))


def test_soft_keywords_as_names():
    src = ("let low = 1\nlet medium = low\nlet to = 2\nlet shift = to\nlet uncertain = 3\n"
           "let context = context.current()\nshift = 4\nuncertain = 5\nlow += medium\n"
           "f(context, to: shift)\n")
    body = parse_module(src, "t.prism").body
    assert len(body) == 10
    assert all(isinstance(s, (A.Let, A.Assign, A.ExprStmt)) for s in body)
    assert isinstance(stmt("in context { }"), A.InBlock)


def test_statements_separators():
    body = parse_module("a; b\n\n\nc;\n({a: 1})\nif x { } ; d", "t.prism").body
    assert [type(s).__name__ for s in body] == ["ExprStmt"] * 4 + ["If", "ExprStmt"]


def test_spans():
    s = stmt("let  x = foo(1)")
    assert s.span == A.Span(1, 1, 1, 16)
    assert s.value.span == A.Span(1, 10, 1, 16)
    b = stmt("fn f() {\n  g()\n}")
    assert b.span == A.Span(1, 1, 3, 2)
    assert b.body.body[0].span == A.Span(2, 3, 2, 6)


def test_bytes_input():
    assert parse_module(b"\xef\xbb\xbflet x = 1", "t.prism").body[0].name == "x"
    with pytest.raises(CompileError) as info:
        parse_module(b"let x = 1\n  let \xff", "t.prism")
    assert info.value.short() == "2:7: invalid UTF-8 byte 0xFF"


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("src, message", [
    ("let x = = 2", "1:9: unexpected '='"),
    ("let x = 1 2", "1:11: unexpected '2'"),
    ("let x = (1 + 2", "1:9: unclosed '('"),
    ("foo(1]", "1:6: mismatched ']'"),
    ("fn f() {\n  let x =\n}", "3:1: unexpected '}'"),
    ("let x =", "1:8: unexpected end of file"),
    ("1 +", "1:4: unexpected end of file"),
    ("let x = 1 +\n\n", "3:1: unexpected end of file"),
    ("#[test]\nlet x = 1", "2:1: unexpected 'let'"),
    ("try { }\nx", "1:8: unexpected end of line"),
    ("{ return 1 }", "1:3: unexpected 'return'"),
    ("f(a b)", "1:5: unexpected 'b'"),
    ("let x = a ? b", "1:11: unexpected '?'"),
    ("(a: int)", "1:1: expected '=>' after lambda parameters"),
    ("()", "1:1: expected '=>' after lambda parameters"),
    ("let t = (a, b)", "1:9: tuples are not supported"),
    ("(1) => 2", "1:2: a lambda parameter must be a name"),
    ("x => x", "1:1: lambda parameters must be in parentheses"),
    ("f() = 3", "1:1: invalid assignment target"),
    ("a + b = 3", "1:1: invalid assignment target"),
    ("f(a.b: 1)", "1:3: a named argument needs a plain name before ':'"),
    ("f(a: 1, 2)", "1:9: positional argument after named argument"),
    ('let o = {"a"}', "1:10: object entry needs a value"),
    ("let t = `a ${ 1 + } b`", "1:19: unexpected end of expression"),
    ("let t = `a ${ } b`", "1:12: empty expression in template string"),
    ("let x = 99999999999999999999", "1:9: integer literal is out of range for int (64-bit)"),
    ("let s = 'a\\qb'", "1:11: unknown escape sequence '\\q'"),
    ("let a = b @ c", "1:11: unexpected character '@'"),
])
def test_errors(src, message):
    with pytest.raises(CompileError) as info:
        parse_module(src, "t.prism")
    assert info.value.short() == message


def test_error_help_lists_expected_tokens():
    def help_of(src):
        with pytest.raises(CompileError) as info:
            parse_module(src, "t.prism")
        return info.value.help
    assert help_of("try { }") == "expected one of: 'catch', 'finally'"
    assert help_of("let x = = 1") == "expected an expression"
    assert help_of("f(a b)") == "expected one of: ')', ','"
    assert help_of("let = 1") == "expected identifier"
    assert help_of("let x = 1 2") == "expected one of: ';', end of line"


def test_parser_error_before_later_lexical_error():
    with pytest.raises(CompileError) as info:
        parse_module("let = 1\nlet s = 'open", "t.prism")
    assert info.value.short() == "1:5: unexpected '='"


def _mutants(rng, pieces, n):
    alphabet = list("(){}[]<>~=>-.,:;`$\"'\\/*#@!?&|+%0123 \n\t_ab") + [
        "${", "=>", "\x00", "é", "/*", "//", "..", "\r\n", "\ufeff", "match", "fn", "in", "context"]
    for _ in range(n):
        toks = list(pieces)
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(toks))
            r = rng.random()
            if r < 0.3:
                del toks[i]
            elif r < 0.6:
                toks.insert(i, rng.choice(pieces))
            else:
                toks[i] = rng.choice(alphabet)
        start = rng.randrange(len(toks))
        yield "".join(toks[start:start + rng.randint(1, 120)])


def test_random_inputs_raise_only_compile_errors():
    rng = random.Random(1234)
    pieces = re.findall(r"\s+|\w+|.", "\n".join(seed_blocks() + HAND_WRITTEN))
    inputs = list(_mutants(rng, pieces, 1500))
    inputs += [bytes(rng.randrange(256) for _ in range(rng.randint(0, 20))) for _ in range(300)]
    inputs += ["(" * 3000, "-" * 5000 + "1", "[" * 2000 + "]" * 2000]
    for i, src in enumerate(inputs):
        try:
            parse_module(src, "t.prism")
        except CompileError as e:
            assert e.span is not None
        if i < 1500:  # parso's get_code recurses, so not on the deep ones
            try:
                assert parse_cst(src).get_code() == src
            except CompileError:
                pass
