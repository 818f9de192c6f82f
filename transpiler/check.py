"""Static checks that need names and types: the errors a user should see before
anything is built.

Input: `ast.Module`, `resolve.Resolution`, `infer.Typing`. Raises the first
`CompileError` found (source order); returns warnings (CompileErrors that do
not stop the build) for `cli` to print.

    fn f(a: int) { }  f("s")      -> 1:19: type mismatch: expected int, found string
    while true { } break          -> 'break' outside of a loop
    let x = 3 ~> 1.5              -> confidence 1.5 is outside [0, 1]

Checked here: `break`/`continue` outside a loop, `return` outside a function,
`await` outside an async function (top level allowed), arity and named
arguments of known functions, builtins and struct constructors, duplicate
parameters, literal confidences, annotations against inferred types,
assignment to constants, unknown struct fields, integer literal range.
"""
from __future__ import annotations

from transpiler import ast
from transpiler import types as T
from transpiler.builtins import BUILTINS
from transpiler.diagnostics import CompileError
from transpiler.infer import Typing, literal_number, resolve_type
from transpiler.resolve import Resolution
from transpiler.walk import CONTEXT_STATEMENTS, context_parts

_I64_MIN, _I64_MAX = -(2 ** 63), 2 ** 63 - 1


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


class _Checker:
    def __init__(self, module: ast.Module, res: Resolution, ty: Typing):
        self.module, self.res, self.ty = module, res, ty
        self.loop_depth = 0
        self.fn_stack: list = []        # FnDecl | Lambda
        self.warnings: list = []

    def run(self):
        for s in self.module.body:
            self.stmt(s)
        return self.warnings

    # ------------------------------------------------------------ helpers
    def mismatch(self, declared: T.Type, actual: T.Type, span):
        if not T.accepts(T.plain(declared), T.plain(actual)):
            raise CompileError(f"type mismatch: expected {declared}, found {actual}", span)

    def function(self, node, params, body, is_async):
        seen = set()
        for p in params:
            if p.name in seen:
                raise CompileError(f"duplicate parameter '{p.name}'", p.span)
            seen.add(p.name)
            if p.type is not None:
                resolve_type(p.type, self.res.structs)
            if p.default is not None:
                self.expr(p.default)
                if p.type is not None:
                    self.mismatch(resolve_type(p.type, self.res.structs), self.ty.of(p.default),
                                  p.default.span)
        saved = self.loop_depth
        self.loop_depth = 0
        self.fn_stack.append(node)
        if isinstance(body, ast.Block):
            self.block(body)
        else:
            self.expr(body)
        self.fn_stack.pop()
        self.loop_depth = saved

    def block(self, b: ast.Block):
        for s in b.body:
            self.stmt(s)

    def loop_body(self, b: ast.Block):
        self.loop_depth += 1
        self.block(b)
        self.loop_depth -= 1

    # ------------------------------------------------------------ statements
    def stmt(self, s):
        if isinstance(s, ast.Let):
            if s.type is not None:
                declared = resolve_type(s.type, self.res.structs)
            if s.value is not None:
                self.expr(s.value)
                if s.type is not None:
                    self.mismatch(declared, self.ty.of(s.value), s.value.span)
        elif isinstance(s, ast.Assign):
            self.expr(s.value)
            self.expr(s.target)
            if isinstance(s.target, ast.Name):
                sym = self.res.names.get(id(s.target))
                if sym is not None and (sym.is_const or sym.kind in ("fn", "struct", "builtin", "runtime")):
                    raise CompileError(f"cannot assign to constant '{s.target.id}'", s.target.span)
                declared = self.ty.declared.get(sym) if sym is not None else None
                if declared is not None and s.op == "=":
                    self.mismatch(declared, self.ty.of(s.value), s.value.span)
            elif not isinstance(s.target, (ast.Member, ast.Index)):
                raise CompileError("invalid assignment target", s.target.span)
        elif isinstance(s, ast.ExprStmt):
            self.expr(s.expr)
        elif isinstance(s, ast.FnDecl):
            self.fn_decl(s)
        elif isinstance(s, ast.StructDecl):
            names = set()
            for f in s.fields:
                if f.name in names:
                    raise CompileError(f"duplicate field '{f.name}'", f.span)
                names.add(f.name)
                if f.default is not None:
                    self.expr(f.default)
            for m in s.methods:
                if m.name in names:
                    raise CompileError(f"'{m.name}' is both a field and a method of '{s.name}'", m.span)
                names.add(m.name)
                # The first parameter is the receiver whatever it is called, so insist on `self`.
                params = [p.name for p in m.params]
                if params and params[0] != "self" or "self" in params[1:]:
                    bad = m.params[0] if params[0] != "self" else m.params[params.index("self", 1)]
                    raise CompileError(f"the first parameter of method '{m.name}' must be 'self', "
                                       "and only the first", bad.span,
                                       help=f"write fn {m.name}(self, ...)")
                if m.name == "new":
                    raise CompileError("a struct cannot define a method named 'new'", m.span,
                                       help="'new' is the constructor Prism generates from the fields")
                self.fn_decl(m)
        elif isinstance(s, ast.Return):
            if not self.fn_stack:
                raise CompileError("'return' outside of a function", s.span)
            if s.value is not None:
                self.expr(s.value)
                fn = self.fn_stack[-1]
                info = self.ty.functions.get(id(fn))
                if info is not None and info.declared_ret is not None:
                    self.mismatch(info.declared_ret, self.ty.of(s.value), s.value.span)
        elif isinstance(s, ast.Break):
            if self.loop_depth == 0:
                raise CompileError("'break' outside of a loop", s.span)
        elif isinstance(s, ast.Continue):
            if self.loop_depth == 0:
                raise CompileError("'continue' outside of a loop", s.span)
        elif isinstance(s, ast.Throw):
            self.expr(s.value)
        elif isinstance(s, ast.Defer):
            self.expr(s.expr)
        elif isinstance(s, ast.If):
            self.expr(s.cond)
            self.block(s.then)
            if isinstance(s.orelse, ast.Block):
                self.block(s.orelse)
            elif s.orelse is not None:
                self.stmt(s.orelse)
        elif isinstance(s, ast.While):
            self.expr(s.cond)
            self.loop_body(s.body)
        elif isinstance(s, ast.For):
            if s.is_await and self.fn_stack and not _is_async(self.fn_stack[-1]):
                raise CompileError("'for await' outside of an async function", s.span)
            self.expr(s.iterable)
            self.loop_body(s.body)
        elif isinstance(s, ast.Try):
            self.block(s.body)
            if s.handler is not None:
                self.block(s.handler)
            if s.finalbody is not None:
                self.block(s.finalbody)
        elif isinstance(s, CONTEXT_STATEMENTS):
            exprs, blocks = context_parts(s)
            for e in exprs:
                self.expr(e)
            for b in blocks:
                self.block(b)

    def fn_decl(self, fn: ast.FnDecl):
        if fn.confidence is not None:
            self.confidence_literal(fn.confidence)
            self.expr(fn.confidence)
        if fn.return_type is not None:
            resolve_type(fn.return_type, self.res.structs)
        self.function(fn, fn.params, fn.body, fn.is_async)

    def confidence_literal(self, e):
        value = literal_number(e)
        if value is not None and not 0.0 <= value <= 1.0:
            text = _number_text(e)
            raise CompileError(f"confidence {text} is outside [0, 1]", e.span,
                               help="a confidence is a number from 0 (no trust) to 1 (certain)")

    # ------------------------------------------------------------ expressions
    def expr(self, e):
        if isinstance(e, ast.IntLit):
            if not _I64_MIN <= e.value <= _I64_MAX:
                raise CompileError("integer literal does not fit in 64 bits", e.span)
        elif isinstance(e, (ast.FloatLit, ast.StringLit, ast.BoolLit, ast.NullLit, ast.Name)):
            pass
        elif isinstance(e, ast.TemplateString):
            for p in e.parts:
                if not isinstance(p, str):
                    self.expr(p)
        elif isinstance(e, ast.ArrayLit):
            for x in e.elements:
                self.expr(x)
        elif isinstance(e, ast.ObjectLit):
            for entry in e.entries:
                self.expr(entry.value)
        elif isinstance(e, ast.Unary):
            if e.op == "-" and isinstance(e.operand, ast.IntLit) and e.operand.value == 2 ** 63:
                return
            self.expr(e.operand)
        elif isinstance(e, ast.Binary):
            self.expr(e.left)
            self.expr(e.right)
            if e.op in ("~>", "~@>"):
                self.confidence_literal(e.right)
        elif isinstance(e, ast.Range):
            self.expr(e.start)
            self.expr(e.end)
        elif isinstance(e, ast.Call):
            self.call(e)
        elif isinstance(e, ast.Member):
            self.expr(e.obj)
            ot = self.ty.of(e.obj)
            if ot.kind == "struct" and not ot.conf:
                info = self.ty.structs[ot.name]
                if info.field_type(e.name) is None and e.name not in info.methods:
                    raise CompileError(f"struct '{ot.name}' has no field '{e.name}'", e.span)
        elif isinstance(e, ast.Index):
            self.expr(e.obj)
            self.expr(e.index)
        elif isinstance(e, ast.Slice):
            self.expr(e.obj)
            for x in (e.start, e.end):
                if x is not None:
                    self.expr(x)
        elif isinstance(e, ast.Lambda):
            self.function(e, e.params, e.body, e.is_async)
        elif isinstance(e, ast.Await):
            if self.fn_stack and not _is_async(self.fn_stack[-1]):
                raise CompileError("'await' outside of an async function", e.span,
                                   help="mark the function `async fn`")
            self.expr(e.value)
        elif isinstance(e, ast.Match):
            self.expr(e.subject)
            for arm in e.arms:
                if isinstance(arm.pattern, ast.ConfidencePattern):
                    self.confidence_literal(arm.pattern.low)
                    self.confidence_literal(arm.pattern.high)
                if arm.guard is not None:
                    self.expr(arm.guard)
                if isinstance(arm.body, ast.Block):
                    self.block(arm.body)
                else:
                    self.expr(arm.body)

    def call(self, e: ast.Call):
        for a in e.args:
            self.expr(a.value)
        f = e.func
        if isinstance(f, ast.Name):
            sym = self.res.names.get(id(f))
            if sym is not None and sym.kind == "fn":
                decl = self.res.top_functions[sym.name]
                self.check_args(sym.name, decl.params, self.ty.functions[id(decl)].params, e)
            elif sym is not None and sym.kind == "builtin":
                spec = BUILTINS[sym.name]
                n = len(e.args)
                if n < spec.min_args or (spec.max_args is not None and n > spec.max_args):
                    raise CompileError(arity_message(sym.name, spec.min_args, spec.max_args, n), e.span)
            return
        if isinstance(f, ast.Member):
            if isinstance(f.obj, ast.Name):
                sym = self.res.names.get(id(f.obj))
                if sym is not None and sym.kind == "struct" and f.name == "new":
                    self.struct_new(sym.name, e)
                    return
            self.expr(f.obj)
            ot = self.ty.of(f.obj)
            if ot.kind == "struct" and not ot.conf:
                method = self.ty.structs[ot.name].methods.get(f.name)
                if method is not None:
                    info = self.ty.functions[id(method)]
                    self.check_args(f.name, method.params[1:], info.params[1:], e)
                elif self.ty.structs[ot.name].field_type(f.name) is None:
                    raise CompileError(f"struct '{ot.name}' has no field '{f.name}'", f.span)
            return
        self.expr(f)

    def check_args(self, name, params, param_types, e: ast.Call):
        required = sum(1 for p in params if p.default is None)
        positional = [a for a in e.args if a.name is None]
        named = [a for a in e.args if a.name is not None]
        if len(positional) > len(params) or (not named and len(positional) < required):
            raise CompileError(arity_message(name, required, len(params), len(e.args)), e.span)
        by_name = {p.name: i for i, p in enumerate(params)}
        filled = set(range(len(positional)))
        for a in named:
            if a.name not in by_name:
                raise CompileError(f"unknown named argument '{a.name}' for '{name}'", a.span)
            idx = by_name[a.name]
            if idx in filled:
                raise CompileError(f"argument '{a.name}' given twice", a.span)
            filled.add(idx)
        for i, p in enumerate(params):
            if i not in filled and p.default is None:
                raise CompileError(f"missing argument '{p.name}' for '{name}'", e.span)
        for a in e.args:
            idx = by_name[a.name] if a.name is not None else e.args.index(a)
            declared = param_types[idx]
            self.mismatch(declared, self.ty.of(a.value), a.value.span)

    def struct_new(self, name: str, e: ast.Call):
        info = self.ty.structs[name]
        fields = [f for _, _, f in info.fields]
        types = [t for _, t, _ in info.fields]
        for a in e.args:
            if a.name is not None and info.field_type(a.name) is None:
                raise CompileError(f"struct '{name}' has no field '{a.name}'", a.span)
        self.check_args(f"{name}.new", fields, types, e)


def _is_async(fn) -> bool:
    return bool(getattr(fn, "is_async", False))


def _number_text(e) -> str:
    if isinstance(e, ast.Unary):
        return "-" + _number_text(e.operand)
    return repr(e.value) if isinstance(e, ast.FloatLit) else str(e.value)


def check(module: ast.Module, res: Resolution, ty: Typing) -> list:
    """Raise the first static error in `module`; return the warnings."""
    return _Checker(module, res, ty).run()
