"""Type rules that need no inference state: annotations, result types of operators,
built-ins and iteration, confidence layers, and the control-flow facts (where a body
returns, whether it always exits).

Used by `infer` (while computing types), `lower` and `check`. Each function is pure.

    arith_type("/", INT, INT)        -> float  (true division)
    arith_type("+", STRING, INT)     -> string (concatenation)
    resolve_type(`Option<int>`)      -> any    (an int or null)
    always_exits(if c { return 1 } else { throw e })   -> True
"""
from __future__ import annotations

from typing import Optional

from transpiler.front import ast
from transpiler.passes import types as T
from transpiler.passes.builtins import BUILTINS
from transpiler.front.diagnostics import CompileError
from transpiler.passes.structs import canonical_type_name

# Runtime classes usable as annotations: values of these types are dynamic objects.
RUNTIME_TYPE_NAMES = frozenset({"Cache", "LLMCache", "Context", "ContextPool", "TensorPool", "Metrics",
                                "MemoryTracker", "PerfMonitor", "Promise", "Result", "Self", "Future"})
# Types of the standard library's values (docs/stdlib.md): dynamic objects too.
STD_TYPE_NAMES = frozenset({"Response", "Conversation", "Model", "Category", "Error", "json"})
_ARRAY_NAMES = frozenset({"array", "Array", "List", "Vec"})


def resolve_type(texpr: ast.TypeExpr, types, generics=frozenset()) -> T.Type:
    """The type an annotation names. `types` is the module's `structs.TypeTable`."""
    if isinstance(texpr, ast.ArrayType):
        return T.array_of(resolve_type(texpr.element, types, generics))
    if isinstance(texpr, ast.FnType):
        return T.FN
    name = canonical_type_name(texpr.name)
    if name in _ARRAY_NAMES:
        return T.array_of(resolve_type(texpr.args[0], types, generics) if texpr.args else T.ANY)
    if name == "Option":
        inner = resolve_type(texpr.args[0], types, generics) if texpr.args else T.ANY
        return T.ANY if T.ctype_of(inner) in ("long long", "double", "bint") else inner
    prim = T.primitive_named(name)
    if prim is not None:
        return prim
    if name in types.structs:
        return T.struct_type(name)
    if name in types.traits or name in generics or name in RUNTIME_TYPE_NAMES or name in STD_TYPE_NAMES \
            or name == "auto":
        return T.ANY
    if name in types.imported:
        return T.ANY        # a struct of another module: checked when used, at run time
    raise CompileError(f"unknown type '{texpr.name}'", texpr.span)


def literal_number(e: Optional[ast.Expr]) -> Optional[float]:
    if isinstance(e, (ast.IntLit, ast.FloatLit)):
        return float(e.value)
    if isinstance(e, ast.Unary) and e.op == "-" and isinstance(e.operand, (ast.IntLit, ast.FloatLit)):
        return -float(e.operand.value)
    return None


def conf_layers(fn: ast.FnDecl, types) -> tuple:
    """(product of the literal confidences, the computed ones) a function's results are
    multiplied by: its own `~c`, the module, trait and impl around it, and for a method that
    implements a trait, that trait's `~c`."""
    factors = [fn.confidence] if fn.confidence is not None else []
    factors.extend(fn.layers)
    trait = types.method_trait.get(id(fn))
    if trait is not None:
        decl = types.traits[trait]
        if decl.confidence is not None and fn not in decl.methods:
            factors.append(decl.confidence)
    product, computed = None, []
    for f in factors:
        value = literal_number(f)
        if value is None:
            computed.append(f)
        else:
            product = value if product is None else product * value
    return product, tuple(computed)


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


def operand_name(t: T.Type) -> str:
    """How an operator declaration names an operand of this type (`Vector`, `float`, ...)."""
    return t.name if t.kind == "struct" else t.kind


def literal_type(e) -> T.Type:
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
        return literal_type(e.operand)
    return T.ANY


_ERROR_FIELDS = {"message": T.STRING, "confidence": T.FLOAT}


def error_member(name: str) -> T.Type:
    """The type of a field of an error value (`code` and `context` may be null)."""
    return _ERROR_FIELDS.get(name, T.ANY)


def builtin_result(name: str, args: list) -> T.Type:
    spec = BUILTINS[name]
    if spec.result is not None:
        return spec.result
    if name == "round":
        return T.INT if len(args) == 1 else T.FLOAT
    if name == "abs" and args and args[0].kind in T.NUMERIC and not args[0].conf:
        return args[0]
    if name == "Some" and args:
        return args[0]
    if name in ("min", "max") and len(args) >= 2:
        t = T.BOTTOM
        for a in args:
            t = T.join(t, a)
        return t if t.kind in T.NUMERIC and not t.conf else T.ANY
    return T.ANY


def iteration_types(s: ast.For, it: T.Type) -> list:
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


def returns(block: ast.Block):
    """Every `return` in a function body, not descending into nested functions."""
    stack = list(block.body)
    while stack:
        s = stack.pop()
        if isinstance(s, ast.Return):
            yield s
        for child in child_blocks(s):
            stack.extend(child.body)


def child_blocks(s):
    """The statement lists directly inside statement s (match arms included)."""
    if isinstance(s, ast.If):
        yield s.then
        if isinstance(s.orelse, ast.Block):
            yield s.orelse
        elif s.orelse is not None:
            yield ast.Block((s.orelse,), s.orelse.span)
    elif isinstance(s, (ast.While, ast.For, ast.CFor, ast.InBlock, ast.Verify)):
        yield s.body
    elif isinstance(s, ast.Try):
        yield s.body
        for c in s.catches:
            yield c.body
        if s.finalbody is not None:
            yield s.finalbody
    elif isinstance(s, ast.ContextShift):
        for seg in s.segments:
            yield seg.body
    elif isinstance(s, ast.Uncertain):
        for b in (s.high, s.medium, s.low):
            if b is not None:
                yield b
    elif isinstance(s, (ast.ExprStmt, ast.Let, ast.Return, ast.Assign)):
        for match in _matches(s):
            for arm in match.arms:
                if isinstance(arm.body, ast.Block):
                    yield arm.body
                elif isinstance(arm.body, ast.Stmt):
                    yield ast.Block((arm.body,), arm.body.span)


def _matches(s):
    """The match expressions of a statement that run as part of it (not inside lambdas)."""
    from transpiler.front.walk import descendants
    roots = [getattr(s, "expr", None) or getattr(s, "value", None)]
    return [n for n in descendants(roots, skip=(ast.Lambda, ast.Match)) if isinstance(n, ast.Match)]


def always_exits(s, throwing=frozenset()) -> bool:
    """Does statement s always return or throw? (`throwing`: ids of `error(..)` statements.)"""
    if isinstance(s, (ast.Return, ast.Throw)) or id(s) in throwing:
        return True
    if isinstance(s, ast.If) and s.orelse is not None:
        then_exits = bool(s.then.body) and always_exits(s.then.body[-1], throwing)
        if isinstance(s.orelse, ast.Block):
            return then_exits and bool(s.orelse.body) and always_exits(s.orelse.body[-1], throwing)
        return then_exits and always_exits(s.orelse, throwing)
    if isinstance(s, (ast.InBlock, ast.Verify)):
        return bool(s.body.body) and always_exits(s.body.body[-1], throwing)
    if isinstance(s, ast.Try) and s.finalbody is None:
        if not (s.body.body and always_exits(s.body.body[-1], throwing)):
            return False
        return all(c.body.body and always_exits(c.body.body[-1], throwing) for c in s.catches)
    if isinstance(s, ast.ExprStmt) and isinstance(s.expr, ast.Match):
        arms = s.expr.arms
        total = any(isinstance(a.pattern, ast.WildcardPattern) and a.guard is None for a in arms)
        return total and all(_arm_exits(a, throwing) for a in arms)
    return False


def _arm_exits(arm, throwing) -> bool:
    if isinstance(arm.body, ast.Block):
        return bool(arm.body.body) and always_exits(arm.body.body[-1], throwing)
    return isinstance(arm.body, (ast.Return, ast.Throw))
