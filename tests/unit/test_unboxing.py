"""transpiler/passes/unboxing.py: which array literals are built as NumArrays."""
from transpiler.front import ast
from transpiler.passes.infer import infer
from transpiler.front.parser import parse_module
from transpiler.passes.resolve import resolve
from transpiler.passes.unboxing import unboxed_literals
from transpiler.front.walk import descendants


def unboxed_lines(src: str) -> dict:
    """line of each array literal -> 'd' / 'q' when unboxed, None when a list."""
    module = parse_module(src, "t.prism")
    res = resolve(module)
    ty = infer(module, res)
    chosen = unboxed_literals(module, res, ty)
    return {n.span.line: chosen.get(id(n)) for n in descendants(module.body) if isinstance(n, ast.ArrayLit)}


def test_local_array_used_in_place_is_unboxed():
    src = ("fn f(n: int) -> float {\n"
           " let xs: [float] = []\n"
           " for i in 0..n { xs.push(i * 0.5) }\n"
           " xs[0] = 1.0\n"
           " let t = 0.0\n"
           " for x in xs { t += x }\n"
           " print(xs, xs.length, len(xs), xs.map((x) => x))\n"
           " t }\n"
           "fn g() -> int { let ns = [1, 2]\n ns[0] }")
    assert unboxed_lines(src) == {2: "d", 9: "q"}


def test_escaping_arrays_stay_lists():
    src = ("struct S { v: [float] }\n"
           "fn ret() -> [float] { let a: [float] = [1.0]\n return a }\n"          # returned
           "fn field() -> S { let b: [float] = [1.0]\n S { v: b } }\n"           # stored in a field
           "fn closure() { let c: [float] = [1.0]\n let f = () => c.length\n f() }\n"   # captured
           "fn python(g) { let d: [float] = [1.0]\n g(d) }\n"                   # unknown callee
           "fn alias() { let e: [float] = [1.0]\n let h = e.sort() }\n"         # sort returns the array
           "fn nested() { let k: [float] = [1.0]\n let m = [k] }\n")            # inside another array
    lines = unboxed_lines(src)
    assert all(kind is None for kind in lines.values()), lines


def test_escape_flows_back_through_assignments_and_parameters():
    src = ("fn keep(v: [float]) -> [float] { v }\n"
           "fn read(v: [float]) -> float { v[0] }\n"
           "fn a() -> float { let xs: [float] = [1.0]\n read(xs) }\n"           # read only: unboxed
           "fn b() { let ys: [float] = [1.0]\n let zs = ys\n keep(zs) }\n"     # reaches a returning param
           "fn c() -> float { read([2.0]) }\n")                                 # a literal argument
    assert unboxed_lines(src) == {3: "d", 5: None, 8: "d"}


def test_top_level_arrays_are_globals_and_stay_lists():
    assert unboxed_lines("let xs: [float] = [1.0]\nprint(xs)") == {1: None}
