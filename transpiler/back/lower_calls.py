"""Lowering of calls: functions, built-ins, methods, constructors and operators.

A mixin of `lower.Lowerer` (with `lower_expr.ExprLowering`). Where the callee
is known the arguments are placed and coerced to its parameters' C types, so a
call between typed functions, a method of a typed struct, or an overloaded
operator on typed struct operands is a C call:

    f(1, y: 2.0)        f known          -> f(1, 2.0)              (cpdef: C call)
    p.norm()            p: Point         -> p.norm()               (cpdef method: C call)
    v1 + v2             operator + V V   -> _op_add_V_V(v1, v2)    (no Python number protocol)
    Point::new(1.0)     fn new declared  -> Point.new(1.0)
    error("m", code: "E")                -> _rt.make_error("m", code="E")
    x.sqrt()            x: any           -> _rt.call_method(x, 'sqrt', ())
"""
from __future__ import annotations

from transpiler.front import ast
from transpiler.back import ir
from transpiler.passes import types as T
from transpiler.passes.builtins import BUILTINS, CIMPORTED_MODULES, DEBUG_MACROS
from transpiler.passes.callgraph import DEPTH_PARAM, REC_PREFIX
from transpiler.passes.escape import ident, is_plain_attribute
from transpiler.back.lower_expr import TENSOR_VIEW
from transpiler.passes.structs import own_params

FAST_NEW = "_pnew"      # a struct's C-level factory: every field given, no __init__


def literal_default(e) -> bool:
    """A default fixed when the struct is defined (a number, string, bool or null literal)."""
    return isinstance(e, (ast.IntLit, ast.FloatLit, ast.StringLit, ast.BoolLit, ast.NullLit)) or (
        isinstance(e, ast.Unary) and e.op == "-" and isinstance(e.operand, (ast.IntLit, ast.FloatLit)))


# C versions of number methods on typed receivers: (kind, method) -> runtime function.
_NUMBER_METHODS = {("float", "abs"): "f_abs", ("int", "abs"): "i_abs", ("float", "sqrt"): "f_sqrt",
                   ("float", "floor"): "f_floor", ("float", "ceil"): "f_ceil"}


def operator_function_name(decl: ast.OperatorDecl) -> str:
    """The module-level function an operator declaration becomes (`_op_add_Vector_float`)."""
    from transpiler.passes.structs import operand_type_name
    table = ast.BINARY_OPERATORS if len(decl.operands) == 2 else ast.UNARY_OPERATORS
    return "_op_" + table[decl.op] + "".join("_" + ident(operand_type_name(t)) for t in decl.operands)


class CallLowering:
    def x_Call(self, e):
        f = e.func
        if isinstance(f, (ast.Name, ast.TypeApply)):
            sym = self.res.names[id(f)]
            if sym.kind == "builtin" and sym.name in BUILTINS:
                return self.builtin_call(sym.name, e)
            if sym.kind == "fn":
                decl = self.res.top_functions[sym.name]
                if self.state.depth_budget and id(decl) in self.budgeted:
                    return self.budgeted_call(ir.Var(REC_PREFIX + sym.py_name), decl.params,
                                              self.ty.functions[id(decl)].params, e)
                return self.known_call(ir.Var(sym.py_name), decl.params, self.ty.functions[id(decl)].params, e,
                                       decl)
        if isinstance(f, ast.Path) and self.res.names.get(id(f)) is None:
            return self.static_call(f.owner, f.name, e)
        if isinstance(f, ast.Member):
            return self.method_call(f, e)
        args, kwargs, dict_kwargs = self.plain_args(e.args)
        return ir.Call(self.expr(f), args, kwargs, dict_kwargs)

    def plain_args(self, args):
        positional, kwargs, dict_kwargs = [], [], []
        for a in args:
            value = self.boxed(a.value)
            if a.name is None:
                positional.append(value)
            elif is_plain_attribute(a.name):
                kwargs.append((a.name, value))
            else:
                dict_kwargs.append((a.name, value))
        return positional, kwargs, dict_kwargs

    def known_call(self, func: ir.Expr, params, param_types, e, decl=None):
        """A call to a Prism function whose parameters are known: arguments in order, coerced."""
        if decl is not None and self.uses_tensor_views(decl):
            # A fused (per-dtype) function: call the Python-level object, which dispatches.
            args, kwargs, dict_kwargs = self.plain_args(e.args)
            own = [p for p in decl.params if p.name != "self"]
            tensors = [ir.Lit(i) for i, pt in enumerate(param_types) if pt == T.TENSOR] + \
                      [ir.Lit(own[i].name) for i, pt in enumerate(param_types) if pt == T.TENSOR]
            return ir.Call(ir.Attr(ir.Var("_rtio"), "invoke"), [func, ir.TupleDisplay(tensors)] + args,
                           kwargs, dict_kwargs)
        slots = self.argument_slots(params, param_types, e)
        args, kwargs = [], []
        for i, value in enumerate(slots):
            if value is None:
                continue
            if all(s is not None for s in slots[:i]):
                args.append(value)
            else:
                kwargs.append((ident(params[i].name), value))
        return ir.Call(func, args, kwargs)

    def argument_slots(self, params, param_types, e) -> list:
        """The call's arguments lowered and coerced, one slot per parameter (None: omitted)."""
        by_name = {p.name: i for i, p in enumerate(params)}
        slots: list = [None] * len(params)
        for i, a in enumerate(e.args):
            idx = i if a.name is None else by_name[a.name]
            slots[idx] = self.coerce(self.expr(a.value), self.t(a.value), param_types[idx] if self.typed else T.ANY)
        return slots

    def budgeted_call(self, func: ir.Expr, params, param_types, e) -> ir.Call:
        """One level deeper on the caller's depth budget, straight into the callee's body
        (`_rec_NAME`, see lower_fn): the depth, then every argument in order, an omitted one
        filled in as its default (a literal, or None for a fresh container)."""
        slots = self.argument_slots(params, param_types, e)
        for i, p in enumerate(params):
            if slots[i] is None:
                slots[i] = self.omitted_argument(p, param_types[i] if self.typed else T.ANY)
        return ir.Call(func, [ir.Bin("-", ir.Var(DEPTH_PARAM), ir.Lit(1))] + slots, [])

    def builtin_call(self, name, e):
        if name in DEBUG_MACROS:
            return self.debug_macro(name, e)
        spec = BUILTINS[name]
        module = "_rt" if spec.module == "core" else "_cf"
        args = [a.value for a in e.args if a.name is None]
        types = [self.t(a) for a in args]
        if name == "len" and self.rep(args[0]) == TENSOR_VIEW:
            return ir.Item(ir.Attr(self.expr_raw(args[0]), "shape"), ir.Lit(0))
        if name == "len" and self.typed and T.num_array_kind(types[0]):
            return self.ar("seq_len", [self.expr(args[0])])
        if name == "len" and self.typed and types[0].kind in ("array", "string") and not types[0].conf:
            return ir.Call(ir.Var("len"), [self.expr(args[0])])
        if name == "abs" and self.is_c(types[0]):
            return ir.RtCall("_rt", "i_abs" if types[0].kind == "int" else "f_abs", [self.expr(args[0])])
        if name == "Some":                      # `Some(x)` is x
            return self.expr(args[0])
        if spec.module not in CIMPORTED_MODULES:   # a Python-level function of another runtime module
            named = [(a.name, self.boxed(a.value)) for a in e.args if a.name is not None]
            return ir.Call(ir.Var(self.runtime_alias(name)), [self.boxed(a) for a in args], named)
        if spec.named:
            named = {a.name: self.boxed(a.value) for a in e.args if a.name is not None}
            return ir.Call(ir.Attr(ir.Var("_rtpy"), spec.runtime), [self.boxed(a) for a in args],
                           [(k, v) for k, v in named.items()])
        if spec.packed:
            value = ir.RtCall(module, spec.runtime, [ir.TupleDisplay([self.boxed(a) for a in args])])
            result = self.t(e)
            if self.is_c(result):
                return self.coerce(value, T.ANY, result)
            return value
        return ir.RtCall(module, spec.runtime, [self.boxed(a) for a in args])

    def static_call(self, struct: str, name: str, e):
        """`S::name(..)`, `S.name(..)`: the struct's own function, or the constructor from fields."""
        info = self.ty.structs[struct]
        cls = ir.Var(self.res.decls[id(self.res.structs[struct])].py_name)
        method = info.methods.get(name)
        if method is not None:
            return self.known_call(ir.Attr(cls, ident(name)), own_params(method),
                                   self.ty.functions[id(method)].params, e)
        return self.construct(struct, e)

    def construct(self, struct: str, e) -> ir.Expr:
        """A new instance from the call's arguments (by position or field name). In typed code,
        when every field is given or has a literal default, the struct's C-level `_pnew`
        factory fills the fields directly (no `__init__` call through Python's protocol)."""
        info = self.ty.structs[struct]
        cls = ir.Var(self.res.decls[id(self.res.structs[struct])].py_name)
        fields = [fd for _, _, fd in info.fields]
        types = [t for _, t, _ in info.fields]
        if self.typed and self.struct_fast_new(struct):
            slots = self.argument_slots(fields, types, e)
            if all(s is not None or literal_default(f.default) for s, f in zip(slots, fields)):
                values = [s if s is not None else self.coerce(self.expr(f.default), self.t(f.default), t)
                          for s, f, t in zip(slots, fields, types)]
                return ir.Call(ir.Attr(cls, FAST_NEW), values)
        return self.known_call(cls, fields, types, e)

    def struct_fast_new(self, struct: str) -> bool:
        """Does the struct's class get the `_pnew` factory? (Not when a field's default is
        evaluated per call: only `__init__` knows how.)"""
        return all(f.default is None or literal_default(f.default) for f in self.res.structs[struct].fields)

    def method_call(self, f: ast.Member, e):
        if isinstance(f.obj, ast.Name):
            sym = self.res.names[id(f.obj)]
            if sym.kind == "struct":
                return self.static_call(sym.name, f.name, e)
        ot = self.t(f.obj)
        obj = self.expr(f.obj)
        if self.typed and not ot.conf:
            if ot.kind == "struct":
                method = self.ty.structs[ot.name].methods.get(f.name)
                if method is not None:
                    params, types = own_params(method), self.ty.functions[id(method)].params
                    if self.state.depth_budget and id(method) in self.budgeted:
                        return self.budgeted_call(ir.Attr(obj, REC_PREFIX + ident(f.name)), params, types, e)
                    return self.known_call(ir.Attr(obj, ident(f.name)), params, types, e, method)
            if ot.kind == "array" and f.name == "push" and len(e.args) == 1:
                return ir.RtCall("_rt", "list_push", [obj, self.boxed(e.args[0].value)])
            c_method = _NUMBER_METHODS.get((ot.kind, f.name))
            if c_method is not None and not e.args:
                return ir.RtCall("_rt", c_method, [obj])
        args, kwargs, dict_kwargs = self.plain_args(e.args)
        if not kwargs and not dict_kwargs:
            return ir.RtCall("_rt", "call_method", [obj, ir.Lit(f.name), ir.TupleDisplay(args)])
        pairs = [(k, v) for k, v in kwargs] + dict_kwargs
        return ir.RtCall("_rt", "call_method_kw", [obj, ir.Lit(f.name), ir.TupleDisplay(args),
                                                   ir.ObjDisplay(pairs)])

    def operator_call(self, decl: ast.OperatorDecl, operands: list) -> ir.Expr:
        """An overloaded operator whose operand types are known: a direct call of its function."""
        info = self.ty.functions[id(decl.function)]
        args = [self.coerce(self.expr(x), self.t(x), pt if self.typed else T.ANY)
                for x, pt in zip(operands, info.params)]
        return ir.Call(ir.Var(operator_function_name(decl)), args)

    def field_read(self, struct: str, obj: ir.Expr, name: str) -> ir.Expr:
        """`obj.name` on a typed struct: a C attribute read, with the declared confidence of the
        struct and field multiplied in (`struct S ~c`, `f: T ~c`)."""
        value = ir.Attr(obj, ident(name))
        info = self.ty.structs[struct]
        field = info.field_decl(name)
        if info.confidence is None and (field is None or field.confidence is None):
            return value
        cls = ir.Var(self.res.decls[id(self.res.structs[struct])].py_name)
        return ir.RtCall("_cf", "with_conf", [value, ir.RtCall("_rt", "field_conf", [cls, ir.Lit(name)])])
