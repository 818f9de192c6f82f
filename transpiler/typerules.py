"""Type rules that need no inference state: result types of operators, built-ins and
iteration, and the control-flow facts (where a body returns, whether it always exits).

Used by `infer` (while computing types), `lower` and `check`. Each function is pure.

    arith_type("/", INT, INT)        -> float  (true division)
    arith_type("+", STRING, INT)     -> string (concatenation)
    always_exits(if c { return 1 } else { throw e })   -> True
"""
from __future__ import annotations

from transpiler import ast
from transpiler import types as T
from transpiler.builtins import BUILTINS


def arith_type(op: str, lt: T.Type, rt: T.Type) -> T.Type:
    """The result type of an arithmetic operator."""
    conf = lt.conf or rt.conf
    if "bottom" in (lt.kind, rt.kind):
        return T.BOTTOM
    if op == "+" and (lt.kind == "string" or rt.kind == "string"):
        return T.Type("string", conf=conf)
    if op == "+" and lt.kind == "array" and rt.kind == "array":
        return T.Type("array", element=T.join(lt.element, rt.element), conf=conf)
    if lt.kind in T.NUMERIC and rt.kind in T.NUMERIC:
        if op == "/":
            return T.Type("float", conf=conf)
        if op == "**":
            return T.ANY if lt.kind == "int" and rt.kind == "int" else T.Type("float", conf=conf)
        kind = "int" if lt.kind == rt.kind == "int" else "float"
        return T.Type(kind, conf=conf)
    return T.ANY


def _literal_type(e) -> T.Type:
    if isinstance(e, ast.IntLit):
        return T.INT
    if isinstance(e, ast.FloatLit):
        return T.FLOAT
    if isinstance(e, ast.StringLit):
        return T.STRING
    if isinstance(e, ast.BoolLit):
        return T.BOOL
    if isinstance(e, ast.NullLit):
        return T.NULL
    if isinstance(e, ast.Unary) and e.op == "-" and isinstance(e.operand, (ast.IntLit, ast.FloatLit)):
        return _literal_type(e.operand)
    return T.ANY


def _builtin_result(name: str, args: list) -> T.Type:
    spec = BUILTINS[name]
    if spec.result is not None:
        return spec.result
    if name == "round":
        return T.INT if len(args) == 1 else T.FLOAT
    if name == "abs" and args and args[0].kind in T.NUMERIC and not args[0].conf:
        return args[0]
    if name in ("min", "max") and len(args) >= 2:
        t = T.BOTTOM
        for a in args:
            t = T.join(t, a)
        return t if t.kind in T.NUMERIC and not t.conf else T.ANY
    return T.ANY


def _iteration_types(s: ast.For, it: T.Type) -> list:
    if len(s.targets) == 2:
        if it.kind == "array" and not it.conf:
            return [T.INT, it.element]
        return [T.ANY, T.ANY]
    if isinstance(s.iterable, ast.Range):
        return [T.INT if it.element == T.INT else T.ANY]
    if s.is_await:
        return [T.ANY]
    if it.kind == "array" and not it.conf:
        return [it.element]
    if it.kind == "string" and not it.conf:
        return [T.STRING]
    return [T.ANY]


def _returns(block: ast.Block):
    """Every `return` in a function body, not descending into nested functions."""
    stack = list(block.body)
    while stack:
        s = stack.pop()
        if isinstance(s, ast.Return):
            yield s
        for child in _child_blocks(s):
            stack.extend(child.body)


def _child_blocks(s):
    if isinstance(s, ast.If):
        yield s.then
        if isinstance(s.orelse, ast.Block):
            yield s.orelse
        elif s.orelse is not None:
            yield ast.Block((s.orelse,), s.orelse.span)
    elif isinstance(s, (ast.While, ast.For)):
        yield s.body
    elif isinstance(s, ast.Try):
        yield s.body
        if s.handler is not None:
            yield s.handler
        if s.finalbody is not None:
            yield s.finalbody
    elif isinstance(s, ast.InBlock):
        yield s.body
    elif isinstance(s, ast.ContextShift):
        for seg in s.segments:
            yield seg.body
    elif isinstance(s, ast.Uncertain):
        for b in (s.high, s.medium, s.low):
            if b is not None:
                yield b
    elif isinstance(s, ast.ExprStmt) and isinstance(s.expr, ast.Match):
        for arm in s.expr.arms:
            if isinstance(arm.body, ast.Block):
                yield arm.body


def _always_exits(s) -> bool:
    if isinstance(s, (ast.Return, ast.Throw)):
        return True
    if isinstance(s, ast.If) and s.orelse is not None:
        then_exits = bool(s.then.body) and _always_exits(s.then.body[-1])
        if isinstance(s.orelse, ast.Block):
            return then_exits and bool(s.orelse.body) and _always_exits(s.orelse.body[-1])
        return then_exits and _always_exits(s.orelse)
    return False


always_exits = _always_exits
child_blocks = _child_blocks
