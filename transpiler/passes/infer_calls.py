"""Result types of calls, for `infer`: functions, built-ins, methods, constructors.

    f(x)                      the function's inferred return type (its parameters widen
                              to confidence when passed confident values)
    Point.new(1.0, 2.0)       Point (fields widen with the arguments)
    Point::new(1.0)           the struct's own `fn new`, if it declares one
    p.norm()                  the method's return type (own, impl or trait-provided)
    Trait::p.describe()       that trait's method on p
    xs.len(), x.sqrt()        from builtins.METHOD_RESULTS

Talks to `infer` (the `_Inferrer` whose `expr`, `bind` and widening it uses),
`builtins`, `structs`, `typerules`.
"""
from __future__ import annotations

from transpiler.front import ast
from transpiler.passes import types as T
from transpiler.passes.builtins import METHOD_RESULTS
from transpiler.passes.structs import own_params
from transpiler.passes.typerules import builtin_result


def call_type(inf, e: ast.Call) -> T.Type:
    arg_types = [inf.expr(a.value) for a in e.args]
    f = e.func
    if isinstance(f, (ast.Name, ast.TypeApply)):      # `f(x)`, `f<int>(x)`
        return _named_call(inf, e, f, arg_types)
    if isinstance(f, ast.Path):
        inf.ty.exprs[id(f)] = T.FN
        return _static_call(inf, f.owner, f.name, e, arg_types)
    if isinstance(f, ast.Member):
        return _method_call(inf, f, e, arg_types)
    inf.expr(f)
    return T.ANY


def _named_call(inf, e, f, arg_types) -> T.Type:
    sym = inf.res.names.get(id(f))
    inf.ty.exprs[id(f)] = T.FN
    if sym is not None and sym.kind == "fn":
        decl = inf.res.top_functions.get(sym.name)
        info = inf.ty.functions.get(id(decl))
        if info is None:
            return T.ANY
        inf.widen_params(decl.params, info, e.args, arg_types)
        return info.ret
    if sym is not None and sym.kind == "builtin":
        return builtin_result(sym.name, arg_types)
    if sym is not None and sym.kind == "local" and isinstance(sym.decl, ast.FnDecl):
        info = inf.ty.functions.get(id(sym.decl))
        return info.ret if info is not None else T.ANY
    if sym is not None and sym.kind == "struct" and isinstance(f, ast.TypeApply):
        return T.ANY
    inf.expr(f)
    return T.ANY


def _static_call(inf, struct: str, name: str, e, arg_types) -> T.Type:
    """`S::name(..)` / `S.name(..)` on a struct: its `fn new`, the generated constructor,
    or another static function."""
    info = inf.ty.structs[struct]
    method = info.methods.get(name)
    if method is not None:
        fn_info = inf.ty.functions[id(method)]
        inf.widen_params(own_params(method), fn_info, e.args, arg_types)
        return fn_info.ret
    if name == "new":
        names = [fname for fname, _, _ in info.fields]
        for i, (arg, at) in enumerate(zip(e.args, arg_types)):
            field_name = arg.name if arg.name is not None else (names[i] if i < len(names) else None)
            inf.widen_field(info, field_name, at)
        return T.struct_type(struct)
    return T.ANY


def _method_call(inf, f: ast.Member, e, arg_types) -> T.Type:
    if isinstance(f.obj, ast.Name):
        sym = inf.res.names.get(id(f.obj))
        if sym is not None and sym.kind == "struct":
            inf.ty.exprs[id(f.obj)] = T.ANY
            return _static_call(inf, sym.name, f.name, e, arg_types)
    ot = inf.expr(f.obj)
    if ot.kind == "struct" and not ot.conf:
        method = inf.ty.structs[ot.name].methods.get(f.name)
        if method is None:
            return T.ANY
        info = inf.ty.functions[id(method)]
        inf.widen_params(own_params(method), info, e.args, arg_types)
        return info.ret
    if ot.kind in ("any", "struct") and any(t.conf for t in arg_types):
        # A call on a receiver known only at run time may reach any method of that name:
        # its parameters keep the confidence of what is passed.
        for info in inf.ty.structs.values():
            method = info.methods.get(f.name)
            if method is not None:
                inf.widen_params(own_params(method), inf.ty.functions[id(method)], e.args, arg_types)
    if ot.kind == "array" and not ot.conf:
        if f.name == "map":
            return T.array_of(T.ANY)
        if f.name == "filter":
            return ot
    if ot.conf:
        return T.ANY
    if f.name == "to_string":
        return T.STRING
    key = (ot.kind, f.name)
    if key in METHOD_RESULTS:
        result = METHOD_RESULTS[key]
        return ot.element if result is None else result
    return T.ANY
