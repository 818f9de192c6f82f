"""Unit tests for the middle end: resolve, infer, check, lower/hoist (no builds)."""
import re

import pytest

from transpiler.front import ast

from transpiler.passes import types as T
from transpiler.passes.check import check
from transpiler.front.diagnostics import CompileError
from transpiler.passes.infer import infer
from transpiler.front.parser import parse_module
from transpiler.pipeline import transpile
from transpiler.passes.resolve import resolve


def analyse(src):
    module = parse_module(src, "t.prism")
    res = resolve(module)
    ty = infer(module, res)
    return module, res, ty


def sym_type(src, name):
    module, res, ty = analyse(src)
    for sym, t in ty.symbols.items():
        if sym.name == name:
            return t
    raise KeyError(name)


def fn_ret(src, name):
    module, res, ty = analyse(src)
    return ty.functions[id(res.top_functions[name])].ret


# ---------------------------------------------------------------- resolve
def test_shadowing_in_inner_block_gets_its_own_python_name():
    src = "fn f() { let x = 1\n if true { let x = 2\n print(x) }\n print(x) }"
    module, res, _ = analyse(src)
    names = sorted(s.py_name for s in res.functions[id(res.top_functions["f"])].symbols)
    assert names == ["x", "x__p1"]


def test_functions_are_hoisted_and_last_definition_wins():
    src = "print(f())\nfn f() { 1 }\nfn f() { 2 }"
    _, res, _ = analyse(src)
    assert len(res.dead_functions) == 1
    assert res.top_functions["f"].body.body[0].expr.value == 2


def test_closure_write_marks_nonlocal():
    src = "fn f() { let n = 0\n let inc = () => { n += 1 }\n inc()\n n }"
    _, res, _ = analyse(src)
    lam_scopes = [s for s in res.functions.values() if isinstance(s.node, ast.Lambda)]
    assert [sym.name for sym in lam_scopes[0].nonlocals] == ["n"]


def test_undefined_name_is_a_warning_that_suggests_a_close_match():
    _, res, _ = analyse("let total = 1\nprint(totl)")
    [warning] = res.warnings
    assert warning.message == "undefined name 'totl'"
    assert warning.help == "did you mean 'total'?"
    assert (warning.span.line, warning.span.col) == (2, 7)


def test_keyword_names_are_mangled():
    _, res, _ = analyse("let class = 1\nprint(class)")
    assert [s.py_name for s in res.module_scope.symbols if s.name == "class"] == ["_pu_class"]


# ---------------------------------------------------------------- infer
@pytest.mark.parametrize("src, name, expected", [
    ("let n = 10", "n", T.INT),
    ("let s = 0.0\ns += 3 * 0.5", "s", T.FLOAT),
    ("let v = 1\nv = \"a\"", "v", T.ANY),
    ("let q = 7 / 2", "q", T.FLOAT),
    ("let b = 1 < 2 && true", "b", T.BOOL),
    ("let xs = [1, 2, 3]", "xs", T.array_of(T.INT)),
    ("let t = `a${1}`", "t", T.STRING),
    ("let y: float = 2", "y", T.FLOAT),
    ("let c = 3 ~> 0.9", "c", T.with_conf(T.INT)),
    ("let k = <~ (3 ~> 0.9)", "k", T.FLOAT),
])
def test_variable_types(src, name, expected):
    assert sym_type(src, name) == expected


def test_recursive_return_type_reaches_fixed_point():
    src = "fn fact(n: int) { if n < 2 { return 1 }\n return n * fact(n - 1) }"
    assert fn_ret(src, "fact") == T.INT


def test_implicit_return_and_confidence_factor():
    assert fn_ret("fn sq(x: float) { x * x }", "sq") == T.FLOAT
    assert fn_ret("fn g() ~0.9 { 1.5 }", "g") == T.with_conf(T.FLOAT)
    assert fn_ret("fn h() { print(1)\n let z = 2 }", "h") == T.NULL


def test_struct_field_given_confident_value_keeps_confidence():
    _, _, ty = analyse("struct P { v: float }\nlet p = P.new(1.5 ~> 0.5)")
    assert ty.structs["P"].field_type("v") == T.with_conf(T.FLOAT)


# ---------------------------------------------------------------- check
@pytest.mark.parametrize("src, message", [
    ("fn f(a: int, b: int) { a }\nf(1, 2, 3)", "'f' takes 2 arguments but 3 were given"),
    ("fn f(a: int) { a }\nf(\"s\")", "type mismatch: expected int, found string"),
    ("let x = 3 ~> 1.5", "confidence 1.5 is outside [0, 1]"),
    ("break", "'break' outside of a loop"),
    ("return 1", "'return' outside of a function"),
    ("const K = 1\nK = 2", "cannot assign to constant 'K'"),
    ("fn f() { await g() }\nasync fn g() { 1 }", "'await' outside of an async function"),
    ("struct P { x: int }\nlet p = P.new(z: 1)", "struct 'P' has no field 'z'"),
    ("fn f(a, a) { 1 }", "duplicate parameter 'a'"),
    ("let x: foo = 1", "unknown type 'foo'"),
])
def test_static_errors(src, message):
    with pytest.raises(CompileError) as err:
        module, res, ty = analyse(src)
        check(module, res, ty)
    assert err.value.message == message


def test_top_level_await_is_allowed():
    module, res, ty = analyse("async fn g() { 1 }\nlet v = await g()")
    assert check(module, res, ty) == []


# ---------------------------------------------------------------- lowering
def test_typed_function_is_cpdef_with_c_types_and_no_python_ops_in_loop():
    pyx = transpile("fn acc(n: int) -> float { let s = 0.0\n for i in 0..n { s += i * 0.5 }\n s }",
                    "t.prism", "t").pyx
    assert "cpdef double acc(long long n):" in pyx
    assert "cdef double s" in pyx and "cdef long long i" in pyx
    assert "for i in range(0, n):" in pyx
    assert "s = (s + ((<double>i) * 0.5))" in pyx


def test_checked_int_ops_are_hoisted_to_status_form_in_pure_statements():
    pyx = transpile("fn f(a: int, b: int) -> int { let c = a + b\n c }", "t.prism", "t").pyx
    assert "_rt.i_add_into(&_ph1, a, b)" in pyx


def test_function_with_closure_is_def_and_attributes_force_def():
    pyx = transpile("fn f(x: int) { let g = () => x\n g() }\n#[test]\nfn t() { f(1) }", "t.prism", "t").pyx
    assert "\ndef f(x):" in pyx          # a captured parameter stays a Python object
    assert "@_rtio.attribute('test')" in pyx


def test_untyped_lowering_uses_only_python_objects():
    pyx = transpile("fn fib(n: int) -> int { if n < 2 { return n }\n fib(n - 1) + fib(n - 2) }",
                    "t.prism", "t", typed=False).pyx
    assert "long long" not in pyx.split("# ---- top level")[0].split("cimport")[-1]
    assert "_rt.add(" in pyx


def test_every_statement_carries_its_prism_line():
    pyx = transpile("let a = 1\n\nprint(a)", "t.prism", "t").pyx
    assert "a = 1  # @L1" in pyx and "_rt.prism_print((a, ))  # @L3" in pyx


def test_repeated_array_element_read_is_reused_until_the_index_changes():
    src = ("fn f(w: [float], i: int) -> float {\n let a = w[i] * 2.0\n let b = w[i] + 1.0\n"
           " i = i + 1\n let c = w[i]\n a + b + c }")
    pyx = transpile(src, "t.prism", "t").pyx
    assert pyx.count("seq_float_at_into(") == 2          # w[i] read once, then again after i changes


def test_element_reads_are_not_reused_across_calls():
    src = "fn f(w: [float]) -> float {\n let a = w[0]\n w.push(1.0)\n let b = w[0]\n a + b }"
    pyx = transpile(src, "t.prism", "t").pyx
    assert pyx.count("seq_float_at") == 2


def test_only_functions_that_can_recurse_get_the_stack_guard():
    src = ("fn fib(n: int) -> int { if n < 2 { return n }\n fib(n - 1) + fib(n - 2) }\n"
           "fn sq(x: float) -> float { x * x }\n"
           "fn ping(n: int) -> int { if n == 0 { return 0 }\n pong(n - 1) }\n"
           "fn pong(n: int) -> int { ping(n) }\n"
           "fn apply(f, x) { f(x) }\n"
           "fn uses_sq(x: float) -> float { sq(x) + 1.0 }")
    pyx = transpile(src, "t.prism", "t").pyx
    bodies = dict(re.findall(r"^(?:c?p?def [\w ]+?|def) (\w+)\(.*?\n((?:    .*\n)+)", pyx, re.M))
    assert set(bodies) == {"fib", "sq", "ping", "pong", "apply", "uses_sq", "_rec_fib", "_rec_ping", "_rec_pong"}
    guarded = {name for name, body in bodies.items() if "_rt.stack_check()" in body or "_rt.depth_check(" in body}
    assert guarded == {"_rec_fib", "_rec_ping", "_rec_pong", "apply"}
    # Functions on a call cycle carry a depth budget: the cpdef starts it, the body spends it.
    assert bodies["fib"].strip() == "return _rec_fib(_rt.recursion_budget(), n)  # @L1"
    assert "_rec_fib((_depth - 1), " in bodies["_rec_fib"]
    assert "_rec_pong((_depth - 1), " in bodies["_rec_ping"] and "_rec_ping((_depth - 1), " in bodies["_rec_pong"]
    assert "_rt.depth_check(_depth)" in bodies["_rec_fib"] and "_rt.stack_check()" in bodies["apply"]
    inline = set(re.findall(r"^c?p?def inline [\w ]+? (\w+)\(", pyx, re.M))
    assert inline == guarded


def test_stack_check_sits_before_the_first_statement_that_calls():
    src = ("fn fib(n: int) -> int {\n    let small = n < 2\n    if small {\n        return n\n    }\n"
           "    let a = fib(n - 1)\n    return a + fib(n - 2)\n}\n"
           "fn loop_down(n: int) -> int {\n    while n > 0 {\n        n = loop_down(n - 1)\n    }\n    return n\n}\n"
           "fn deferred(n: int) {\n    defer print(n)\n    if n > 0 {\n        return\n    }\n    deferred(n + 1)\n}\n")
    pyx = transpile(src, "t.prism", "t").pyx
    lines = pyx.splitlines()
    checks = [i for i, line in enumerate(lines) if "_rt.depth_check(_depth)" in line]
    assert len(checks) == 3
    # after the base case, before `let a = fib(n - 1)` (line 6), marked with that line
    assert "return n" in lines[checks[0] - 1] and lines[checks[0]].endswith("# @L6")
    assert lines[checks[0] + 1].lstrip().startswith("a = ")
    # before the loop whose body calls, not inside it
    assert lines[checks[1] + 1].lstrip().startswith("while")
    # `defer` wraps the rest of the body, so the check comes first
    assert lines[checks[2] + 1].lstrip().startswith("try:")


def test_every_builtin_is_called_by_a_case_or_a_debugging_test():
    """Issue 11: each entry of the built-ins table has a program that calls it (the debug
    macros print only in debug builds, so tests/debugging calls those)."""
    import re
    from pathlib import Path
    from transpiler.passes.builtins import BUILTINS
    tests = Path(__file__).resolve().parents[1]
    text = "\n".join(p.read_text(errors="replace") for p in (tests / "cases").glob("*.prism"))
    text += "\n".join(p.read_text(errors="replace") for p in (tests / "debugging").glob("*.py"))
    uncalled = [name for name in BUILTINS
                if not re.search(r"(?<![\w.])" + re.escape(name.rstrip("!")) + r"!?\s*\(", text)]
    assert uncalled == []
