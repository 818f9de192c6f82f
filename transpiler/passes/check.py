"""Static checks that need names and types: the errors a user should see before
anything is built.

Input: `ast.Module`, `resolve.Resolution`, `infer.Typing`. Raises the first
`CompileError` found (source order); returns warnings (CompileErrors that do
not stop the build) for `cli` to print.

    fn f(a: int) { }  f("s")      -> 1:19: type mismatch: expected int, found string
    while true { } break          -> 'break' outside of a loop
    let x = 3 ~> 1.5              -> confidence 1.5 is outside [0, 1]
    v1 . v2  (no operator .)      -> operator '.' is not defined for Vector and Vector

Checked here: `break`/`continue` outside a loop, `return` outside a function,
`await` outside an async function (top level allowed), arity and named
arguments of known functions, builtins, constructors and struct literals,
duplicate parameters and fields, literal confidences, annotations against
inferred types, assignment to constants, unknown struct fields, operators not
defined for their operands, or-patterns that bind different names, generic
arity and bounds (`checks_generic`), integer literal range.
"""
from __future__ import annotations

from transpiler.front import ast
from transpiler.passes import types as T
from transpiler.passes.builtins import BUILTINS
from transpiler.passes.checks_generic import GenericChecks
from transpiler.front.diagnostics import CompileError
from transpiler.passes.infer import Typing
from transpiler.passes.resolve import Resolution
from transpiler.passes.structs import own_params, type_text
from transpiler.passes.typerules import literal_number, operand_name, resolve_type
from transpiler.front.walk import Visitor, descendants

_I64_MIN, _I64_MAX = -(2 ** 63), 2 ** 63 - 1
_OVERLOADABLE = {"+", "-", "*", "/", "%", "."}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def arity_message(name: str, lo: int, hi, given: int) -> str:
    if hi == lo:
        expected = _plural(lo, "argument")
    elif hi is None:
        expected = f"at least {_plural(lo, 'argument')}"
    else:
        expected = f"{lo} to {hi} arguments"
    was = "was" if given == 1 else "were"
    return f"'{name}' takes {expected} but {given} {was} given"


class _Checker(GenericChecks, Visitor):
    def __init__(self, module: ast.Module, res: Resolution, ty: Typing):
        self.module, self.res, self.ty = module, res, ty
        self.types = res.types
        self.loop_depth = 0
        self.fn_stack: list = []        # FnDecl | Lambda | AsyncBlock
        self.warnings: list = []

    def run(self):
        for s in self.module.body:
            self.visit(s)
        return self.warnings

    # ------------------------------------------------------------ helpers
    def resolve_type(self, texpr) -> T.Type:
        self.check_type_args(texpr)
        return resolve_type(texpr, self.types, self.ty.generics)

    def mismatch(self, declared: T.Type, actual: T.Type, span):
        if not T.accepts(T.plain(declared), T.plain(actual)):
            raise CompileError(f"type mismatch: expected {declared}, found {actual}", span)

    def function(self, node, params, body):
        seen = set()
        for p in params:
            if p.name in seen:
                raise CompileError(f"duplicate parameter '{p.name}'", p.span)
            seen.add(p.name)
            if p.type is not None:
                declared = self.resolve_type(p.type)
            if p.default is not None:
                self.visit(p.default)
                if p.type is not None:
                    self.mismatch(declared, self.ty.of(p.default), p.default.span)
        saved = self.loop_depth
        self.loop_depth = 0
        self.fn_stack.append(node)
        self.visit(body)
        self.fn_stack.pop()
        self.loop_depth = saved

    def loop_body(self, b: ast.Block):
        self.loop_depth += 1
        self.visit(b)
        self.loop_depth -= 1

    def confidence_literal(self, e):
        value = literal_number(e)
        if value is not None and not 0.0 <= value <= 1.0:
            raise CompileError(f"confidence {_number_text(e)} is outside [0, 1]", e.span,
                               help="a confidence is a number from 0 (no trust) to 1 (certain)")

    def confidence(self, e):
        if e is not None:
            self.confidence_literal(e)
            self.visit(e)

    # ------------------------------------------------------------ statements
    def visit_Let(self, s: ast.Let):
        if s.type is not None:
            declared = self.resolve_type(s.type)
        if s.value is not None:
            self.visit(s.value)
            if s.type is not None:
                self.mismatch(declared, self.ty.of(s.value), s.value.span)

    def visit_Assign(self, s: ast.Assign):
        self.visit(s.value)
        self.visit(s.target)
        if isinstance(s.target, ast.Name):
            sym = self.res.names.get(id(s.target))
            if sym is not None and (sym.is_const or sym.kind in ("fn", "struct", "trait", "builtin", "runtime")):
                raise CompileError(f"cannot assign to constant '{s.target.id}'", s.target.span)
            declared = self.ty.declared.get(sym) if sym is not None else None
            if declared is not None and s.op == "=":
                self.mismatch(declared, self.ty.of(s.value), s.value.span)

    def visit_FnDecl(self, fn: ast.FnDecl, in_trait: bool = False):
        if fn.body is None and not in_trait:
            raise CompileError(f"function '{fn.name}' has no body", fn.span,
                               help="only a trait's required methods are declared without a body")
        for layer in (fn.confidence, *fn.layers):
            self.confidence(layer)
        for tp in fn.type_params:
            self.visit(tp)
        if fn.return_type is not None:
            self.resolve_type(fn.return_type)
        params = own_params(fn) if id(fn) in self.types.owners else fn.params
        for p in params:
            if p.name == "self" and id(fn) in self.types.owners:
                raise CompileError("'self' must be a method's first parameter", p.span,
                                   help="or leave it out and use `this`")
            if p.name == "this":
                raise CompileError("'this' names the instance inside a method; it cannot be a parameter",
                                   p.span, help=f"leave it out: `fn {fn.name}(..) {{ this.x }}`")
        if fn.name == "new" and id(fn) in self.types.receivers and self.types.owners.get(id(fn)) in self.types.structs:
            raise CompileError("a struct's `fn new` is its constructor: it cannot take `self` or use `this`",
                               fn.span, help="build the instance and return it: `return S { field: value }`")
        if fn.body is not None:
            self.function(fn, params, fn.body)
        else:
            for p in params:
                if p.type is not None:
                    self.resolve_type(p.type)

    def visit_TypeParam(self, tp: ast.TypeParam):
        for b in tp.bounds:
            if not (isinstance(b, ast.TypeName) and b.name in self.types.traits):
                raise CompileError(f"a bound must be a trait; '{_text(b)}' is not one", b.span)
        self.confidence(tp.confidence)

    def visit_StructDecl(self, s: ast.StructDecl):
        self.confidence(s.confidence)
        self.visit_all(s.type_params)
        names = set()
        for f in s.fields:
            if f.name in names:
                raise CompileError(f"duplicate field '{f.name}'", f.span)
            names.add(f.name)
            self.confidence(f.confidence)
            declared = self.resolve_type(f.type) if f.type is not None else None
            if f.default is not None:
                self.visit(f.default)
                if declared is not None:
                    self.mismatch(declared, self.ty.of(f.default), f.default.span)
        for m in s.methods:
            self.visit(m)

    def visit_TraitDecl(self, s: ast.TraitDecl):
        self.confidence(s.confidence)
        self.visit_all(s.type_params)
        for m in s.methods:
            self.visit_FnDecl(m, in_trait=True)

    def visit_ImplDecl(self, s: ast.ImplDecl):
        self.confidence(s.confidence)
        self.visit_all(s.type_params)
        for t in (s.trait, s.target):
            if t is not None:
                self.check_type_args(t)
        self.visit_all(s.methods)

    def visit_OperatorDecl(self, s: ast.OperatorDecl):
        for t in s.operands:
            self.resolve_type(t)
        self.visit(s.function)

    def visit_Import(self, s: ast.Import):
        self.confidence(s.confidence)

    def visit_Return(self, s: ast.Return):
        if not self.fn_stack:
            raise CompileError("'return' outside of a function", s.span)
        if s.value is not None:
            self.visit(s.value)
            info = self.ty.functions.get(id(self.fn_stack[-1]))
            if info is not None and info.declared_ret is not None:
                self.mismatch(info.declared_ret, self.ty.of(s.value), s.value.span)

    def visit_Break(self, s):
        if self.loop_depth == 0:
            raise CompileError("'break' outside of a loop", s.span)

    def visit_Continue(self, s):
        if self.loop_depth == 0:
            raise CompileError("'continue' outside of a loop", s.span)

    def visit_While(self, s: ast.While):
        self.visit(s.cond)
        self.loop_body(s.body)

    def visit_For(self, s: ast.For):
        if s.is_await and self.fn_stack and not _is_async(self.fn_stack[-1]):
            raise CompileError("'for await' outside of an async function", s.span)
        self.visit(s.iterable)
        self.loop_body(s.body)

    def visit_CFor(self, s: ast.CFor):
        self.visit_all((s.init, s.cond, s.step))
        self.loop_body(s.body)

    def visit_CatchClause(self, c: ast.CatchClause):
        self.confidence(c.confidence)
        self.visit_all((c.guard, c.body))

    def visit_AsyncBlock(self, s: ast.AsyncBlock):
        self.confidence(s.confidence)
        self.function(s, (), s.body)

    # ------------------------------------------------------------ expressions
    def visit_IntLit(self, e: ast.IntLit):
        if not _I64_MIN <= e.value <= _I64_MAX:
            raise CompileError("integer literal does not fit in 64 bits", e.span)

    def visit_Unary(self, e: ast.Unary):
        if e.op == "-" and isinstance(e.operand, ast.IntLit) and e.operand.value == 2 ** 63:
            return
        self.visit(e.operand)
        ot = self.ty.of(e.operand)
        if e.op == "|" and ot.kind == "struct" and not ot.conf and id(e) not in self.ty.operators:
            raise CompileError(f"operator '|' is not defined for {ot}", e.span,
                               help=f"define it: `operator | for {ot} -> float {{ value... }}`")

    def visit_Binary(self, e: ast.Binary):
        self.visit(e.left)
        self.visit(e.right)
        if e.op in ("~>", "~@>"):
            self.confidence_literal(e.right)
        if e.op in _OVERLOADABLE and id(e) not in self.ty.operators:
            lt, rt = self.ty.of(e.left), self.ty.of(e.right)
            known = lt.kind not in ("any", "bottom") and rt.kind not in ("any", "bottom")
            concatenation = e.op == "+" and "string" in (lt.kind, rt.kind)
            if e.op == "." and known or (known and "struct" in (lt.kind, rt.kind) and not concatenation
                                         and not lt.conf and not rt.conf):
                a, b = operand_name(lt), operand_name(rt)
                help = f"define it: `operator {e.op} for {a} {b} -> R {{ lhs... rhs... }}`"
                if e.op == ".":
                    help += "; `a.b` without spaces reads a field"
                raise CompileError(f"operator '{e.op}' is not defined for {a} and {b}", e.span, help=help)

    def visit_Await(self, e: ast.Await):
        if self.fn_stack and not _is_async(self.fn_stack[-1]):
            raise CompileError("'await' outside of an async function", e.span,
                               help="mark the function `async fn`")
        self.confidence(e.confidence)
        self.visit(e.value)

    def visit_Promise(self, e: ast.Promise):
        self.confidence(e.confidence)
        self.visit(e.value)

    def visit_Lambda(self, e: ast.Lambda):
        self.confidence(e.confidence)
        if e.return_type is not None:
            self.resolve_type(e.return_type)
        self.function(e, e.params, e.body)

    def visit_Member(self, e: ast.Member):
        self.visit(e.obj)
        ot = self.ty.of(e.obj)
        if ot.kind == "struct" and not ot.conf:
            info = self.ty.structs[ot.name]
            if info.field_type(e.name) is None and e.name not in info.methods:
                raise CompileError(f"struct '{ot.name}' has no field '{e.name}'", e.span)

    def visit_MatchArm(self, arm: ast.MatchArm):
        self.visit(arm.pattern)
        self.check_or_patterns(arm)
        self.visit_all((arm.guard, arm.body))

    def visit_ConfidencePattern(self, p: ast.ConfidencePattern):
        low, high = literal_number(p.low), literal_number(p.high)
        if low is not None and high is not None and low > high:
            raise CompileError(f"empty range: {_number_text(p.low)} is above {_number_text(p.high)}", p.span,
                               help="write the lower bound first: `~{lo, hi}`")
        self.generic_visit(p)

    def check_or_patterns(self, arm: ast.MatchArm):
        """Both sides of `p | q` bind the same names (a name bound on one side only may not be
        used in the arm; unused, it is a warning)."""
        used = {n.id for n in descendants([arm.guard, arm.body], skip=(ast.Lambda,)) if isinstance(n, ast.Name)}
        for node in descendants([arm.pattern]):
            if isinstance(node, ast.OrPattern):
                left, right = _bound(node.left), _bound(node.right)
                for name in sorted(left ^ right):
                    side = "left" if name in left else "right"
                    message = f"'{name}' is bound only on the {side} side of '|'"
                    help = "bind the same names on both sides of an or-pattern"
                    if name in used:
                        raise CompileError(message, node.span, help=help)
                    self.warnings.append(CompileError(message + " and is not used", node.span, help=help))

    # ------------------------------------------------------------ calls
    def visit_Call(self, e: ast.Call):
        from transpiler.passes.checks_calls import check_call
        check_call(self, e)


def _bound(p) -> set:
    names = set()
    for node in descendants([p]):
        name = getattr(node, "name", None) if isinstance(node, (ast.BindingPattern, ast.ConfidencePattern)) else None
        if isinstance(node, ast.ArrayPattern):
            name = node.rest or None
        if isinstance(node, ast.ContextPattern):
            name = node.binding
        if name and name != "_":
            names.add(name)
    return names


def _is_async(fn) -> bool:
    return bool(getattr(fn, "is_async", False)) or isinstance(fn, ast.AsyncBlock)


def _number_text(e) -> str:
    if isinstance(e, ast.Unary):
        return "-" + _number_text(e.operand)
    return repr(e.value) if isinstance(e, ast.FloatLit) else str(e.value)


def _text(t) -> str:
    return type_text(t)


def check(module: ast.Module, res: Resolution, ty: Typing) -> list:
    """Raise the first static error in `module`; return the warnings."""
    return _Checker(module, res, ty).run()
