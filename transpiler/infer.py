"""Type inference: a type for every expression, variable and function.

Input: `ast.Module` + `resolve.Resolution`. Output: `Typing`, read by `check`
and `lower`. Types come from literals, annotations, operators, calls and
known methods, computed to a fixed point over the whole module (so recursive
and mutually recursive functions get their return types):

    fn sq(x: float) { x * x }          sq: (float) -> float
    let n = 10                         n: int
    let s = 0.0; s += n * 0.5          s: float
    let v = 1; v = "a"                 v: any   (distinct kinds widen to any)
    let c = 3 ~> 0.9                   c: int with confidence (travels boxed)

Unannotated parameters are `any`. A variable's type is its annotation, else
the join of everything assigned to it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from transpiler import ast
from transpiler import types as T
from transpiler.builtins import METHOD_RESULTS
from transpiler.diagnostics import CompileError
from transpiler.resolve import Resolution, Symbol
from transpiler.typerules import (_always_exits, _builtin_result, _iteration_types, _literal_type, _returns,
                                  arith_type)
from transpiler.walk import CONTEXT_STATEMENTS, context_parts

_ARITH = {"+", "-", "*", "/", "%", "**"}
_COMPARE = {"==", "!=", "<", "<=", ">", ">="}


@dataclass
class FnInfo:
    params: list                        # list[Type]
    ret: T.Type
    declared_ret: Optional[T.Type]
    conf_factor: Optional[float]        # the `~c` of the declaration
    is_async: bool


@dataclass
class StructInfo:
    name: str
    fields: list                        # list[(name, Type, ast.Field)]
    methods: dict                       # name -> ast.FnDecl

    def field_type(self, name: str) -> Optional[T.Type]:
        for fname, ftype, _ in self.fields:
            if fname == name:
                return ftype
        return None


@dataclass
class Typing:
    exprs: dict = field(default_factory=dict)       # id(expr) -> Type
    symbols: dict = field(default_factory=dict)     # Symbol -> Type
    declared: dict = field(default_factory=dict)    # Symbol -> declared Type (annotation)
    functions: dict = field(default_factory=dict)   # id(FnDecl | Lambda) -> FnInfo
    structs: dict = field(default_factory=dict)     # name -> StructInfo

    def of(self, e: ast.Expr) -> T.Type:
        return self.exprs.get(id(e), T.ANY)

    def sym(self, s: Symbol) -> T.Type:
        t = self.symbols.get(s, T.BOTTOM)
        return T.ANY if t.kind == "bottom" else t


def resolve_type(texpr: ast.TypeExpr, structs) -> T.Type:
    if isinstance(texpr, ast.ArrayType):
        return T.array_of(resolve_type(texpr.element, structs))
    if isinstance(texpr, ast.FnType):
        return T.FN
    prim = T.primitive_named(texpr.name)
    if prim is not None:
        return prim
    if texpr.name in structs:
        return T.struct_type(texpr.name)
    if texpr.name in ("Cache", "LLMCache", "Context", "ContextPool", "TensorPool", "Metrics"):
        return T.ANY
    raise CompileError(f"unknown type '{texpr.name}'", texpr.span)


def literal_number(e: Optional[ast.Expr]) -> Optional[float]:
    if isinstance(e, (ast.IntLit, ast.FloatLit)):
        return float(e.value)
    if isinstance(e, ast.Unary) and e.op == "-" and isinstance(e.operand, (ast.IntLit, ast.FloatLit)):
        return -float(e.operand.value)
    return None


class _Inferrer:
    def __init__(self, module: ast.Module, res: Resolution):
        self.module = module
        self.res = res
        self.ty = Typing()
        self.changed = False
        self.current_fn: list = []

    # ------------------------------------------------------------ setup
    def setup(self):
        for name, decl in self.res.structs.items():
            fields = []
            for f in decl.fields:
                if f.type is not None:
                    ft = resolve_type(f.type, self.res.structs)
                elif f.default is not None:
                    ft = _literal_type(f.default)
                else:
                    ft = T.ANY
                fields.append((f.name, ft, f))
            self.ty.structs[name] = StructInfo(name, fields, {m.name: m for m in decl.methods})
        for stmt in self.module.body:
            if isinstance(stmt, ast.FnDecl):
                self.declare_fn(stmt, None)
            elif isinstance(stmt, ast.StructDecl):
                for m in stmt.methods:
                    self.declare_fn(m, stmt.name)

    def declare_fn(self, fn: ast.FnDecl, struct: Optional[str]):
        params = []
        for i, p in enumerate(fn.params):
            if i == 0 and struct is not None and p.name == "self":
                pt = T.struct_type(struct)
            elif p.type is not None:
                pt = resolve_type(p.type, self.res.structs)
            else:
                pt = T.ANY
            params.append(pt)
            sym = self.res.decls.get(id(p))
            if sym is not None:
                self.ty.symbols[sym] = pt
                self.ty.declared[sym] = pt
        declared = resolve_type(fn.return_type, self.res.structs) if fn.return_type else None
        conf = literal_number(fn.confidence)
        ret = declared if declared is not None else T.BOTTOM
        if fn.confidence is not None:
            ret = T.with_conf(ret) if ret.kind != "bottom" else ret
        self.ty.functions[id(fn)] = FnInfo(params, ret, declared, conf, fn.is_async)

    # ------------------------------------------------------------ driver
    def run(self) -> Typing:
        self.setup()
        for _ in range(12):
            self.changed = False
            self.block(self.module.body)
            for stmt in self.module.body:
                if isinstance(stmt, ast.FnDecl):
                    self.function(stmt)
                elif isinstance(stmt, ast.StructDecl):
                    for f in stmt.fields:
                        if f.default is not None:
                            self.expr(f.default)
                    for m in stmt.methods:
                        self.function(m)
            if not self.changed:
                break
        for sym, t in list(self.ty.symbols.items()):
            if t.kind == "bottom":
                self.ty.symbols[sym] = T.ANY
        for info in self.ty.functions.values():
            if info.ret.kind == "bottom":
                info.ret = T.NULL if info.declared_ret is None else info.declared_ret
        return self.ty

    def bind(self, sym: Optional[Symbol], t: T.Type):
        if sym is None:
            return
        if sym in self.ty.declared:
            # An annotation names the value's type; a confident value keeps its confidence.
            declared = self.ty.declared[sym]
            if t.conf and not declared.conf and declared.kind != "any":
                self.ty.declared[sym] = self.ty.symbols[sym] = T.with_conf(declared)
                self.changed = True
            return
        old = self.ty.symbols.get(sym, T.BOTTOM)
        new = T.join(old, t)
        if new != old:
            self.ty.symbols[sym] = new
            self.changed = True

    def function(self, fn):
        info = self.ty.functions.get(id(fn))
        self.current_fn.append(fn)
        if isinstance(fn, ast.FnDecl) and fn.body is not None:
            if fn.confidence is not None:
                self.expr(fn.confidence)
            for p in fn.params:
                if p.default is not None:
                    self.expr(p.default)        # so lowering reads a typed default (a C literal)
            self.block(fn.body.body)
            body = fn.body.body
            # What the body can return, as typed by the walk just done: every `return`,
            # the final expression statement, or null when it can fall off the end.
            results = [self.ty.exprs.get(id(r.value), T.BOTTOM) if r.value is not None else T.NULL
                       for r in _returns(fn.body)]
            if body and isinstance(body[-1], ast.ExprStmt):
                results.append(self.ty.exprs.get(id(body[-1].expr), T.BOTTOM))
            elif not body or not _always_exits(body[-1]):
                results.append(T.NULL)
            if info is not None and info.declared_ret is not None:
                if not info.ret.conf and any(t.conf for t in results):
                    info.ret = T.with_conf(info.ret)      # an annotation keeps the confidence
                    self.changed = True
            elif info is not None:
                ret = T.BOTTOM
                for t in results:
                    ret = T.join(ret, t)
                if fn.confidence is not None:
                    ret = T.with_conf(ret) if ret.kind != "bottom" else ret
                if fn.is_async:
                    ret = T.ANY
                if ret != info.ret and ret.kind != "bottom":
                    info.ret = T.join(info.ret, ret) if info.ret.kind != "bottom" else ret
                    self.changed = True
        self.current_fn.pop()

    # ------------------------------------------------------------ statements
    def block(self, stmts):
        for s in stmts:
            self.stmt(s)

    def stmt(self, s):
        if isinstance(s, ast.Let):
            sym = self.res.decls.get(id(s))
            if s.type is not None:
                declared = resolve_type(s.type, self.res.structs)
                if sym is not None:
                    prev = self.ty.declared.get(sym)
                    if prev is None or T.plain(prev) == declared:
                        declared = prev or declared       # keep a confidence widening from earlier
                    else:
                        declared = T.ANY                  # redeclared with another annotation
                    self.ty.declared[sym] = self.ty.symbols[sym] = declared
            if s.value is not None:
                vt = self.expr(s.value)
                self.bind(sym, vt)
            elif s.type is None:
                self.bind(sym, T.NULL)
        elif isinstance(s, ast.Assign):
            vt = self.expr(s.value)
            tt = self.expr(s.target)
            if s.op != "=":
                vt = self.arith(s.op[0], tt, vt)
            if isinstance(s.target, ast.Name):
                self.bind(self.res.names.get(id(s.target)), vt)
            elif isinstance(s.target, ast.Member):
                ot = self.ty.of(s.target.obj)
                if ot.kind == "struct" and not ot.conf:
                    self.widen_field(self.ty.structs[ot.name], s.target.name, vt)
        elif isinstance(s, ast.ExprStmt):
            self.expr(s.expr)
        elif isinstance(s, ast.FnDecl):
            if id(s) not in self.ty.functions:
                self.declare_fn(s, None)
            self.bind(self.res.decls.get(id(s)), T.FN)
            self.function(s)
        elif isinstance(s, (ast.Return, ast.Throw)):
            if s.value is not None:
                self.expr(s.value)
        elif isinstance(s, ast.Defer):
            self.expr(s.expr)
        elif isinstance(s, ast.If):
            self.expr(s.cond)
            self.block(s.then.body)
            if isinstance(s.orelse, ast.Block):
                self.block(s.orelse.body)
            elif s.orelse is not None:
                self.stmt(s.orelse)
        elif isinstance(s, ast.While):
            self.expr(s.cond)
            self.block(s.body.body)
        elif isinstance(s, ast.For):
            it = self.expr(s.iterable)
            syms = self.res.targets.get(id(s), ())
            for sym, t in zip(syms, _iteration_types(s, it)):
                self.bind(sym, t)
            self.block(s.body.body)
        elif isinstance(s, ast.Try):
            self.block(s.body.body)
            if s.handler is not None:
                self.bind(self.res.targets.get(id(s)), T.ANY)
                self.block(s.handler.body)
            if s.finalbody is not None:
                self.block(s.finalbody.body)
        elif isinstance(s, CONTEXT_STATEMENTS):
            exprs, blocks = context_parts(s)
            for e in exprs:
                self.expr(e)
            for b in blocks:
                self.block(b.body)
        elif isinstance(s, ast.Import):
            for item in s.names:
                self.bind(self.res.decls.get(id(item)), T.ANY)
            if s.default is not None:
                self.bind(self.res.decls.get(id(s)), T.ANY)

    # ------------------------------------------------------------ expressions
    def expr(self, e) -> T.Type:
        t = self._expr(e)
        self.ty.exprs[id(e)] = t
        return t

    def _expr(self, e) -> T.Type:
        if isinstance(e, (ast.IntLit, ast.FloatLit, ast.StringLit, ast.BoolLit, ast.NullLit)):
            return _literal_type(e)
        if isinstance(e, ast.TemplateString):
            for p in e.parts:
                if not isinstance(p, str):
                    self.expr(p)
            return T.STRING
        if isinstance(e, ast.Name):
            sym = self.res.names.get(id(e))
            if sym is None:
                return T.ANY
            if sym.kind == "fn":
                return T.FN
            if sym.kind in ("builtin", "runtime", "import", "struct"):
                return T.ANY
            t = self.ty.symbols.get(sym, T.BOTTOM)
            return t
        if isinstance(e, ast.ArrayLit):
            elem = T.BOTTOM
            for x in e.elements:
                elem = T.join(elem, self.expr(x))
            return T.array_of(T.ANY if elem.kind == "bottom" else elem)
        if isinstance(e, ast.ObjectLit):
            for entry in e.entries:
                self.expr(entry.value)
            return T.MAP
        if isinstance(e, ast.Unary):
            ot = self.expr(e.operand)
            if e.op == "<~":
                return T.FLOAT
            if e.op == "!":
                return T.Type("bool", conf=ot.conf) if ot.kind != "any" else T.ANY
            if ot.kind in T.NUMERIC or ot.kind in ("bottom",):
                return ot
            return T.ANY
        if isinstance(e, ast.Binary):
            return self.binary(e)
        if isinstance(e, ast.Range):
            st, en = self.expr(e.start), self.expr(e.end)
            return T.array_of(T.INT if st == T.INT and en == T.INT else T.ANY)
        if isinstance(e, ast.Call):
            return self.call(e)
        if isinstance(e, ast.Member):
            return self.member(e)
        if isinstance(e, ast.Index):
            ot = self.expr(e.obj)
            self.expr(e.index)
            if ot.kind == "array" and not ot.conf:
                return ot.element
            if ot.kind == "string" and not ot.conf:
                return T.STRING
            if ot.kind == "tensor" and not ot.conf:
                return T.FLOAT
            return T.ANY
        if isinstance(e, ast.Slice):
            ot = self.expr(e.obj)
            for x in (e.start, e.end):
                if x is not None:
                    self.expr(x)
            return T.plain(ot) if ot.kind in ("array", "string") else T.ANY
        if isinstance(e, ast.Lambda):
            if id(e) not in self.ty.functions:
                self.ty.functions[id(e)] = FnInfo([T.ANY] * len(e.params), T.ANY, None, None, e.is_async)
            for p in e.params:
                sym = self.res.decls.get(id(p))
                if sym is not None and p.type is not None:
                    pt = resolve_type(p.type, self.res.structs)
                    self.ty.symbols[sym] = pt
                    self.ty.declared[sym] = pt
                else:
                    self.bind(sym, T.ANY)
                if p.default is not None:
                    self.expr(p.default)
            if isinstance(e.body, ast.Block):
                self.block(e.body.body)
            else:
                self.expr(e.body)
            return T.FN
        if isinstance(e, ast.Await):
            self.expr(e.value)
            return T.ANY
        if isinstance(e, ast.Match):
            st = self.expr(e.subject)
            result = T.BOTTOM
            for arm in e.arms:
                sym = self.res.decls.get(id(arm.pattern))
                self.bind(sym, st)
                pat = arm.pattern
                if isinstance(pat, ast.ConfidencePattern):
                    self.expr(pat.low)
                    self.expr(pat.high)
                if isinstance(pat, ast.LiteralPattern):
                    self.expr(pat.value)
                if arm.guard is not None:
                    self.expr(arm.guard)
                if isinstance(arm.body, ast.Block):
                    self.block(arm.body.body)
                    result = T.ANY
                else:
                    result = T.join(result, self.expr(arm.body))
            if not any(isinstance(a.pattern, ast.WildcardPattern) or
                       isinstance(a.pattern, ast.BindingPattern) and a.guard is None for a in e.arms):
                result = T.join(result, T.NULL)
            return T.ANY if result.kind == "bottom" else result
        return T.ANY

    def arith(self, op: str, lt: T.Type, rt: T.Type) -> T.Type:
        return arith_type(op, lt, rt)

    def binary(self, e: ast.Binary) -> T.Type:
        lt, rt = self.expr(e.left), self.expr(e.right)
        op = e.op
        if op in _ARITH:
            if op == "**" and lt.kind == "int" and isinstance(e.right, ast.IntLit):
                return T.Type("int", conf=lt.conf)
            return self.arith(op, lt, rt)
        if op in _COMPARE or op == "&&":
            return T.Type("bool", conf=lt.conf or rt.conf or "any" in (lt.kind, rt.kind))
        if op == "||":
            return T.Type("bool", conf=lt.conf or rt.conf or "any" in (lt.kind, rt.kind))
        if op == "~>":
            return T.with_conf(lt) if lt.kind != "bottom" else T.BOTTOM
        if op in ("~??", "~||>"):
            return T.with_conf(T.join(lt, rt))
        return T.ANY                                    # ~@> may give null

    def call(self, e: ast.Call) -> T.Type:
        arg_types = [self.expr(a.value) for a in e.args]
        f = e.func
        if isinstance(f, ast.Name):
            sym = self.res.names.get(id(f))
            self.ty.exprs[id(f)] = T.FN
            if sym is not None and sym.kind == "fn":
                decl = self.res.top_functions.get(sym.name)
                info = self.ty.functions.get(id(decl))
                if info is not None:
                    self.widen_params(decl, info, e.args, arg_types)
                return info.ret if info is not None else T.ANY
            if sym is not None and sym.kind == "builtin":
                return _builtin_result(sym.name, arg_types)
            if sym is not None and sym.kind == "local" and isinstance(sym.decl, ast.FnDecl):
                info = self.ty.functions.get(id(sym.decl))
                return info.ret if info is not None else T.ANY
            self.expr(f)
            return T.ANY
        if isinstance(f, ast.Member):
            if isinstance(f.obj, ast.Name):
                sym = self.res.names.get(id(f.obj))
                if sym is not None and sym.kind == "struct" and f.name == "new":
                    self.ty.exprs[id(f.obj)] = T.ANY
                    info = self.ty.structs[sym.name]
                    names = [name for name, _, _ in info.fields]
                    for i, (arg, at) in enumerate(zip(e.args, arg_types)):
                        field_name = arg.name if arg.name is not None else (names[i] if i < len(names) else None)
                        self.widen_field(info, field_name, at)
                    return T.struct_type(sym.name)
            ot = self.expr(f.obj)
            if ot.kind == "struct" and not ot.conf:
                info = self.ty.structs[ot.name]
                method = info.methods.get(f.name)
                if method is not None:
                    return self.ty.functions[id(method)].ret
                return T.ANY
            if ot.kind == "array" and not ot.conf:
                if f.name == "map":
                    return T.array_of(T.ANY)
                if f.name == "filter":
                    return ot
            key = (ot.kind, f.name)
            if key in METHOD_RESULTS and not ot.conf:
                result = METHOD_RESULTS[key]
                return ot.element if result is None else result
            return T.ANY
        self.expr(f)
        return T.ANY

    def widen_params(self, decl, info: FnInfo, args, arg_types):
        """A parameter that is passed a confident value keeps its confidence inside the callee."""
        by_name = {p.name: i for i, p in enumerate(decl.params)}
        for i, (arg, at) in enumerate(zip(args, arg_types)):
            idx = by_name.get(arg.name, -1) if arg.name is not None else i
            if not (0 <= idx < len(info.params)) or not at.conf or info.params[idx].conf \
                    or info.params[idx].kind == "any":
                continue
            info.params[idx] = T.with_conf(info.params[idx])
            sym = self.res.decls.get(id(decl.params[idx]))
            if sym is not None:
                self.ty.declared[sym] = self.ty.symbols[sym] = info.params[idx]
            self.changed = True

    def widen_field(self, info: StructInfo, name, value_type: T.Type):
        """A field that is ever given a confident value keeps its confidence (travels boxed)."""
        for i, (fname, ftype, decl) in enumerate(info.fields):
            if fname == name and value_type.conf and not ftype.conf and ftype.kind != "any":
                info.fields[i] = (fname, T.with_conf(ftype), decl)
                self.changed = True

    def member(self, e: ast.Member) -> T.Type:
        ot = self.expr(e.obj)
        if ot.conf:
            return T.ANY
        if e.name == "length" and ot.kind in ("array", "string", "map", "tensor"):
            return T.INT
        if ot.kind == "struct":
            ft = self.ty.structs[ot.name].field_type(e.name)
            return ft if ft is not None else T.ANY
        return T.ANY


def infer(module: ast.Module, res: Resolution) -> Typing:
    """Compute types for `module` (see the module docstring for the rules)."""
    return _Inferrer(module, res).run()
