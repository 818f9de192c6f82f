"""Call checks, for `check`: arity, named arguments and argument types of every call
whose target the compiler knows.

    f(1, 2)            f declared with one parameter   -> 'f' takes 1 argument but 2 were given
    Point.new(z: 1)    Point has no field z            -> struct 'Point' has no field 'z'
    error("m", kode: 1)                                -> unknown named argument 'kode' for 'error'
    Trait::p.nope()                                    -> trait 'Trait' has no method 'nope'

Talks to `check` (the checker it is called from: its `visit`, `mismatch`,
`check_applied`), `builtins`, `structs`.
"""
from __future__ import annotations

from transpiler.front import ast
from transpiler.passes.builtins import BUILTINS
from transpiler.front.diagnostics import CompileError
from transpiler.passes.structs import own_params


def check_call(ch, e: ast.Call):
    from transpiler.passes.check import arity_message
    for a in e.args:
        ch.visit(a.value)
    f = e.func
    if isinstance(f, ast.TypeApply):
        ch.visit(f)
    if isinstance(f, (ast.Name, ast.TypeApply)):
        sym = ch.res.names.get(id(f))
        name = f.id if isinstance(f, ast.Name) else f.name
        if sym is not None and sym.kind == "fn":
            decl = ch.res.top_functions[sym.name]
            check_args(ch, name, decl.params, ch.ty.functions[id(decl)].params, e)
        elif sym is not None and sym.kind == "builtin" and sym.name in BUILTINS:
            spec = BUILTINS[sym.name]
            positional = [a for a in e.args if a.name is None]
            n = len(positional)
            if n < spec.min_args or (spec.max_args is not None and n > spec.max_args):
                raise CompileError(arity_message(sym.name, spec.min_args, spec.max_args, n), e.span)
            for a in e.args:
                if a.name is not None and a.name not in spec.named:
                    raise CompileError(f"unknown named argument '{a.name}' for '{sym.name}'", a.span,
                                       help=f"'{sym.name}' takes " + (", ".join(spec.named) if spec.named
                                                                    else "no named arguments"))
        return
    if isinstance(f, ast.Path):
        ch.visit(f)
        if ch.res.names.get(id(f)) is not None:
            raise CompileError(f"'{f.owner}::{f.name}' is a value, not a function", f.span,
                               help=f"call a method of it: `{f.owner}::{f.name}.method()`")
        static_call(ch, f.owner, f.name, e)
        return
    if isinstance(f, ast.Member):
        if isinstance(f.obj, ast.Name):
            sym = ch.res.names.get(id(f.obj))
            if sym is not None and sym.kind == "struct":
                static_call(ch, sym.name, f.name, e)
                return
        if isinstance(f.obj, ast.Path) and ch.res.names.get(id(f.obj)) is not None:
            trait = ch.types.traits[f.obj.owner]
            if f.name not in {m.name for m in trait.methods}:
                raise CompileError(f"trait '{trait.name}' has no method '{f.name}'", f.span)
        ch.visit(f.obj)
        ot = ch.ty.of(f.obj)
        if ot.kind == "struct" and not ot.conf:
            method = ch.ty.structs[ot.name].methods.get(f.name)
            if method is not None:
                info = ch.ty.functions[id(method)]
                check_args(ch, f.name, own_params(method), info.params, e)
            elif ch.ty.structs[ot.name].field_type(f.name) is None:
                raise CompileError(f"struct '{ot.name}' has no field '{f.name}'", f.span)
        return
    ch.visit(f)


def static_call(ch, struct: str, name: str, e: ast.Call):
    info = ch.ty.structs[struct]
    method = info.methods.get(name)
    if method is not None:
        check_args(ch, f"{struct}::{name}", own_params(method), ch.ty.functions[id(method)].params, e)
        return
    if name != "new":
        raise CompileError(f"struct '{struct}' has no function '{name}'", e.func.span)
    for a in e.args:
        if a.name is not None and info.field_type(a.name) is None:
            raise CompileError(f"struct '{struct}' has no field '{a.name}'", a.span)
    check_args(ch, f"{struct}.new", [f for _, _, f in info.fields], [t for _, t, _ in info.fields], e)


def check_args(ch, name, params, param_types, e: ast.Call):
    from transpiler.passes.check import arity_message
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
    for i, a in enumerate(e.args):
        idx = by_name[a.name] if a.name is not None else i
        ch.mismatch(param_types[idx], ch.ty.of(a.value), a.value.span)
