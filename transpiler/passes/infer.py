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
    v1 + v2   (operator + for V V)     V      (the operator function's result)

Unannotated parameters are `any`. A variable's type is its annotation, else
the join of everything assigned to it. Generic type parameters are erased to
`any` (as TypeScript erases them). Expression rules that need no state live in
`typerules`; this module walks the tree (a `walk.Visitor`), with calls typed by
`infer_calls` and `match`/patterns by `infer_patterns`; what it produces
(`Typing`, `FnInfo`, `StructInfo`) is defined in `inferred`.
"""
from __future__ import annotations

from typing import Optional

from transpiler.front import ast
from transpiler.passes import types as T
from transpiler.passes.inferred import FnInfo, StructInfo, Typing
from transpiler.passes.infer_patterns import PatternInference
from transpiler.passes.builtins import BUILTINS, CONSTANTS, METHOD_RESULTS
from transpiler.passes.resolve import Resolution, Symbol
from transpiler.passes.structs import own_params
from transpiler.passes.typerules import (always_exits, builtin_result, conf_layers, error_member, iteration_types,
                                  literal_number, literal_type, operand_name, resolve_type, returns, arith_type)
from transpiler.front.walk import Visitor, descendants

_ARITH = {"+", "-", "*", "/", "%", "**"}
# Top-level declarations: their functions are inferred through `all_functions`.
_DECLARATIONS = (ast.FnDecl, ast.StructDecl, ast.TraitDecl, ast.ImplDecl, ast.OperatorDecl)
_COMPARE = {"==", "!=", "<", "<=", ">", ">="}


class _Inferrer(PatternInference, Visitor):
    def __init__(self, module: ast.Module, res: Resolution):
        self.module = module
        self.res = res
        self.types = res.types
        self.ty = Typing()
        self.ty.generics = frozenset(n.name for n in descendants(module.body) if isinstance(n, ast.TypeParam))
        self.changed = False

    def resolve_type(self, texpr) -> T.Type:
        return resolve_type(texpr, self.types, self.ty.generics)

    # ------------------------------------------------------------ setup
    def setup(self):
        for name, decl in self.types.structs.items():
            fields = []
            for f in decl.fields:
                if f.type is not None:
                    ft = self.resolve_type(f.type)
                elif f.default is not None:
                    ft = literal_type(f.default)
                else:
                    ft = T.ANY
                fields.append((f.name, ft, f))
            self.ty.structs[name] = StructInfo(name, fields, self.types.methods[name], decl.confidence)
        for fn in self.all_functions():
            self.declare_fn(fn)

    def all_functions(self):
        for stmt in self.module.body:
            if isinstance(stmt, ast.FnDecl):
                yield stmt
            elif isinstance(stmt, (ast.StructDecl, ast.TraitDecl, ast.ImplDecl)):
                yield from stmt.methods
            elif isinstance(stmt, ast.OperatorDecl):
                yield stmt.function

    def declare_fn(self, fn: ast.FnDecl):
        params = []
        for p in own_params(fn) if id(fn) in self.types.owners else fn.params:
            pt = self.resolve_type(p.type) if p.type is not None else T.ANY
            params.append(pt)
            sym = self.res.decls.get(id(p))
            if sym is not None:
                self.ty.symbols[sym] = self.ty.declared[sym] = pt
        scope = self.res.functions.get(id(fn))
        owner = self.types.receivers.get(id(fn))
        if scope is not None and scope.receiver is not None:
            receiver = T.struct_type(owner) if owner in self.types.structs else T.ANY
            self.ty.symbols[scope.receiver] = self.ty.declared[scope.receiver] = receiver
        declared = self.resolve_type(fn.return_type) if fn.return_type else None
        factor, exprs = conf_layers(fn, self.types)
        ret = declared if declared is not None else T.BOTTOM
        if (factor is not None or exprs) and ret.kind != "bottom":
            ret = T.with_conf(ret)
        self.ty.functions[id(fn)] = FnInfo(params, ret, declared, factor, exprs, fn.is_async)

    # ------------------------------------------------------------ driver
    def run(self) -> Typing:
        self.setup()
        top_level = [s for s in self.module.body if not isinstance(s, _DECLARATIONS)]
        for _ in range(12):
            self.changed = False
            self.block(top_level)
            for stmt in self.module.body:
                if isinstance(stmt, ast.StructDecl):
                    for f in stmt.fields:
                        self.visit_all((f.default, f.confidence))
            for fn in self.all_functions():
                if fn.body is not None:
                    self.function(fn)
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
        self.visit_all(getattr(fn, "layers", ()))
        for p in fn.params:
            if p.default is not None:
                self.expr(p.default)        # so lowering reads a typed default (a C literal)
        if getattr(fn, "confidence", None) is not None:
            self.expr(fn.confidence)
        body = fn.body.body
        self.block(body)
        # What the body can return, as typed by the walk just done: every `return`,
        # the final expression statement, or null when it can fall off the end.
        results = [self.ty.exprs.get(id(r.value), T.BOTTOM) if r.value is not None else T.NULL
                   for r in returns(fn.body)]
        if body and isinstance(body[-1], ast.ExprStmt) and id(body[-1]) not in self.res.throwing:
            results.append(self.ty.exprs.get(id(body[-1].expr), T.BOTTOM))
        elif not body or not always_exits(body[-1], self.res.throwing):
            results.append(T.NULL)
        if info is None:
            return
        confident = info.conf_factor is not None or info.conf_exprs or any(
            isinstance(n, ast.CatchClause) and n.confidence is not None
            for n in descendants([fn.body], skip=(ast.FnDecl, ast.Lambda)))
        if info.declared_ret is not None:
            if not info.ret.conf and (confident or any(t.conf for t in results)):
                info.ret = T.with_conf(info.ret)      # an annotation keeps the confidence
                self.changed = True
            return
        ret = T.BOTTOM
        for t in results:
            ret = T.join(ret, t)
        if confident and ret.kind != "bottom":
            ret = T.with_conf(ret)
        if fn.is_async:
            ret = T.ANY
        if ret != info.ret and ret.kind != "bottom":
            info.ret = T.join(info.ret, ret) if info.ret.kind != "bottom" else ret
            self.changed = True

    # ------------------------------------------------------------ statements
    def block(self, stmts):
        for s in stmts:
            self.visit(s)

    def visit_Block(self, b: ast.Block):
        self.block(b.body)

    def visit_Let(self, s: ast.Let):
        sym = self.res.decls.get(id(s))
        if s.type is not None:
            declared = self.resolve_type(s.type)
            if sym is not None:
                prev = self.ty.declared.get(sym)
                if prev is None or T.plain(prev) == declared:
                    declared = prev or declared       # keep a confidence widening from earlier
                else:
                    declared = T.ANY                  # redeclared with another annotation
                self.ty.declared[sym] = self.ty.symbols[sym] = declared
        if s.value is not None:
            self.bind(sym, self.expr(s.value))
        elif s.type is None:
            self.bind(sym, T.NULL)

    def visit_Assign(self, s: ast.Assign):
        vt = self.expr(s.value)
        tt = self.expr(s.target)
        if s.op != "=":
            vt = arith_type(s.op[0], tt, vt)
        if isinstance(s.target, ast.Name):
            self.bind(self.res.names.get(id(s.target)), vt)
        elif isinstance(s.target, ast.Member):
            ot = self.ty.of(s.target.obj)
            if ot.kind == "struct" and not ot.conf:
                self.widen_field(self.ty.structs[ot.name], s.target.name, vt)

    def visit_ExprStmt(self, s: ast.ExprStmt):
        self.expr(s.expr)

    def visit_FnDecl(self, s: ast.FnDecl):
        if id(s) not in self.ty.functions:
            self.declare_fn(s)
        self.bind(self.res.decls.get(id(s)), T.FN)
        self.function(s)

    def visit_For(self, s: ast.For):
        it = self.expr(s.iterable)
        for sym, t in zip(self.res.targets.get(id(s), ()), iteration_types(s, it)):
            self.bind(sym, t)
        self.block(s.body.body)

    def visit_CatchClause(self, c: ast.CatchClause):
        self.bind(self.res.targets.get(id(c)), T.ERROR)
        self.visit_all((c.confidence, c.guard))
        self.block(c.body.body)

    def visit_AsyncBlock(self, s: ast.AsyncBlock):
        if id(s) not in self.ty.functions:
            self.ty.functions[id(s)] = FnInfo([], T.ANY, None, literal_number(s.confidence),
                                              () if s.confidence is None or literal_number(s.confidence)
                                              is not None else (s.confidence,), True)
        self.generic_visit(s)

    def visit_Import(self, s: ast.Import):
        for item in s.names:
            self.bind(self.res.decls.get(id(item)), T.ANY)
        if s.default is not None:
            self.bind(self.res.decls.get(id(s)), T.ANY)
        self.visit_all((s.confidence,))

    def generic_visit(self, node):
        self.visit_all(_children(node))

    def visit_all(self, nodes):
        """Visit nodes, recording the type of each expression among them."""
        for node in nodes:
            if isinstance(node, ast.Expr):
                self.expr(node)
            elif node is not None:
                self.visit(node)

    # ------------------------------------------------------------ expressions
    def expr(self, e) -> T.Type:
        t = self.visit(e)
        if t is None:
            t = T.ANY
        self.ty.exprs[id(e)] = t
        return t

    def visit_Name(self, e: ast.Name) -> T.Type:
        sym = self.res.names.get(id(e))
        if sym is None:
            return T.ANY
        if sym.kind == "fn":
            return T.FN
        if sym.kind == "builtin" and sym.name in CONSTANTS:
            return T.NULL
        if sym.kind in ("builtin", "runtime", "import", "struct", "trait"):
            return T.ANY
        return self.ty.symbols.get(sym, T.BOTTOM)

    def visit_IntLit(self, e):
        return T.INT

    visit_FloatLit = visit_StringLit = visit_BoolLit = visit_NullLit = \
        lambda self, e: literal_type(e)

    def visit_TemplateString(self, e):
        for p in e.parts:
            if not isinstance(p, str):
                self.expr(p)
        return T.STRING

    def visit_ArrayLit(self, e):
        elem = T.BOTTOM
        for x in e.elements:
            elem = T.join(elem, self.expr(x))
        return T.array_of(T.ANY if elem.kind == "bottom" else elem)

    def visit_ObjectLit(self, e):
        for entry in e.entries:
            self.expr(entry.value)
        return T.MAP

    def visit_Unary(self, e) -> T.Type:
        ot = self.expr(e.operand)
        if e.op == "<~":
            return T.FLOAT
        if e.op == "!":
            return T.Type("bool", conf=ot.conf) if ot.kind != "any" else T.ANY
        if ot.kind == "struct" and not ot.conf:
            decl = self.types.operator(e.op, (ot.name,))
            if decl is not None:
                self.ty.operators[id(e)] = decl
                return self.ty.functions[id(decl.function)].ret
            return T.ANY
        if ot.kind in T.NUMERIC or ot.kind == "bottom":
            return ot
        return T.ANY

    def visit_Binary(self, e: ast.Binary) -> T.Type:
        lt, rt = self.expr(e.left), self.expr(e.right)
        op = e.op
        if ("struct" in (lt.kind, rt.kind) or op == ".") and op in _ARITH | _COMPARE | {"."}:
            decl = self.types.operator(op, (operand_name(lt), operand_name(rt)))
            if decl is not None:
                self.ty.operators[id(e)] = decl
                return self.ty.functions[id(decl.function)].ret
            if op == "." or op in _ARITH:
                return T.ANY
        if op in _ARITH:
            if op == "**" and lt.kind == "int" and isinstance(e.right, ast.IntLit):
                return T.Type("int", conf=lt.conf)
            return arith_type(op, lt, rt)
        if op in _COMPARE or op in ("&&", "||"):
            return T.Type("bool", conf=lt.conf or rt.conf or "any" in (lt.kind, rt.kind))
        if op == "~>":
            return T.with_conf(lt) if lt.kind != "bottom" else T.BOTTOM
        if op in ("~??", "~||>"):
            return T.with_conf(T.join(lt, rt))
        return T.ANY                                    # ~@> may give null

    def visit_Range(self, e):
        st, en = self.expr(e.start), self.expr(e.end)
        return T.array_of(T.INT if st == T.INT and en == T.INT else T.ANY)

    def visit_Index(self, e):
        ot = self.expr(e.obj)
        self.expr(e.index)
        if ot.kind == "array" and not ot.conf:
            return ot.element
        if ot.kind == "string" and not ot.conf:
            return T.STRING
        if ot.kind == "tensor" and not ot.conf:
            return T.FLOAT
        return T.ANY

    def visit_Slice(self, e):
        ot = self.expr(e.obj)
        self.visit_all((e.start, e.end))
        for x in (e.start, e.end):
            if x is not None:
                self.expr(x)
        return T.plain(ot) if ot.kind in ("array", "string") else T.ANY

    def visit_Lambda(self, e):
        if id(e) not in self.ty.functions:
            factor = literal_number(e.confidence) if e.confidence is not None else None
            exprs = (e.confidence,) if e.confidence is not None and factor is None else ()
            declared = self.resolve_type(e.return_type) if e.return_type is not None else None
            ret = declared or T.ANY
            if e.confidence is not None:
                ret = T.with_conf(ret)          # `fn(x) -> int ~0.9 { }`: results carry the ~c
            self.ty.functions[id(e)] = FnInfo([T.ANY] * len(e.params), ret, declared, factor, exprs, e.is_async)
        for p in e.params:
            sym = self.res.decls.get(id(p))
            if sym is not None and p.type is not None:
                self.ty.symbols[sym] = self.ty.declared[sym] = self.resolve_type(p.type)
            else:
                self.bind(sym, T.ANY)
            if p.default is not None:
                self.expr(p.default)
        if e.confidence is not None:
            self.expr(e.confidence)
        if isinstance(e.body, ast.Block):
            self.block(e.body.body)
        else:
            self.expr(e.body)
        return T.FN

    def visit_Await(self, e):
        self.generic_visit(e)
        return T.ANY

    def visit_Tagged(self, e):
        self.expr(e.context)
        return T.with_conf(self.expr(e.value))

    def visit_StructLit(self, e: ast.StructLit):
        info = self.ty.structs.get(e.name)
        if info is None or self.res.names[id(e)].kind != "struct":      # a struct of another module
            for entry in e.entries:
                self.expr(entry.value)
            return T.ANY
        for entry in e.entries:
            self.widen_field(info, entry.key, self.expr(entry.value))
        return T.struct_type(e.name)

    def visit_Path(self, e: ast.Path):
        sym = self.res.names.get(id(e))            # `Trait::value`: the value
        if sym is not None:
            return self.ty.sym(sym) if sym.kind in ("local", "global") else T.ANY
        return T.FN

    def visit_TypeApply(self, e):
        return T.FN

    # ------------------------------------------------------------ calls and members
    def visit_Call(self, e: ast.Call) -> T.Type:
        from transpiler.passes.infer_calls import call_type
        return call_type(self, e)

    def visit_Member(self, e: ast.Member) -> T.Type:
        ot = self.expr(e.obj)
        if ot.conf:
            return T.ANY
        # (a map's `length` may be its key "length": read like any other key)
        if e.name == "length" and ot.kind in ("array", "string", "tensor"):
            return T.INT
        if ot.kind == "error":
            return error_member(e.name)
        if ot.kind == "struct":
            info = self.ty.structs[ot.name]
            ft = info.field_type(e.name)
            if ft is None:
                return T.ANY
            fdecl = info.field_decl(e.name)
            if info.confidence is not None or fdecl.confidence is not None:
                return T.with_conf(ft)          # declared confidence: values read carry it
            return ft
        return T.ANY

    def widen_field(self, info: StructInfo, name, value_type: T.Type):
        """A field that is ever given a confident value keeps its confidence (travels boxed)."""
        for i, (fname, ftype, decl) in enumerate(info.fields):
            if fname == name and value_type.conf and not ftype.conf and ftype.kind != "any":
                info.fields[i] = (fname, T.with_conf(ftype), decl)
                self.changed = True

    def widen_params(self, params, info: FnInfo, args, arg_types):
        """A parameter that is passed a confident value keeps its confidence inside the callee."""
        by_name = {p.name: i for i, p in enumerate(params)}
        for i, (arg, at) in enumerate(zip(args, arg_types)):
            idx = by_name.get(arg.name, -1) if arg.name is not None else i
            if not (0 <= idx < len(info.params)) or not at.conf or info.params[idx].conf \
                    or info.params[idx].kind == "any":
                continue
            info.params[idx] = T.with_conf(info.params[idx])
            sym = self.res.decls.get(id(params[idx]))
            if sym is not None:
                self.ty.declared[sym] = self.ty.symbols[sym] = info.params[idx]
            self.changed = True


def _children(node):
    from transpiler.front.walk import children
    return children(node)


def infer(module: ast.Module, res: Resolution) -> Typing:
    """Compute types for `module` (see the module docstring for the rules)."""
    return _Inferrer(module, res).run()
