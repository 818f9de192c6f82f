"""Which array literals are built unboxed: a pass after `infer`, read by `lower`.

A `[float]` or `[int]` array may be stored as C numbers (a `NumArray`,
prism_runtime/arrays.pyx) instead of a Python list of boxed numbers. Typed code reads either
through one inline dispatch (arrays.pxd `seq_*`), so the choice is free to make per array;
what must never change is what a program, or Python code, can observe. So an array is built
unboxed only where it cannot escape: it is held by local variables and parameters of Prism
functions that use it only to index, store into, iterate, measure, print, compare, push to,
or call array methods on, or that pass it to such parameters. Anything else (returning it,
storing it in a field, map or array, capturing it in a closure, passing it to Python or to an
unknown function) is an escape, and an escaping variable's arrays are Python lists as before.

    fn avg(v: [float]) -> float { .. v[i] .. v.length .. }    v: does not escape
    fn f(n: int) -> float {
        let xs: [float] = []          built unboxed: xs only pushes, indexes, and goes to avg
        for i in 0..n { xs.push(i * 0.5) }
        return avg(xs)
    }
    fn g() -> [float] { let ys: [float] = [1.0]; return ys }   ys escapes: a list

Escapes propagate backwards along flows (`let b = a`, an argument to a parameter) until
nothing changes. Talks to `infer` (types), `resolve` (symbols, calls), `structs` (methods).
"""
from __future__ import annotations

from typing import Optional

from transpiler.front import ast
from transpiler.passes import types as T
from transpiler.passes.structs import own_params
from transpiler.front.walk import children

# Array methods whose result never is the array itself (nor shares its storage).
_SAFE_METHODS = frozenset({
    "push", "pop", "map", "filter", "for_each", "reduce", "find", "some", "every", "contains",
    "index_of", "join", "slice", "insert", "clear", "copy", "len", "to_string",
})
# Methods returning the receiver: safe only when the result is not used.
_RECEIVER_METHODS = frozenset({"sort", "reverse"})
# Built-ins that read an array without keeping it.
_READING_BUILTINS = frozenset({"print", "len", "typeof", "type_of", "str", "sum", "min", "max"})


class _Analysis:
    def __init__(self, module: ast.Module, res, ty):
        self.module, self.res, self.ty = module, res, ty
        self.escaping: set = set()          # candidate symbols whose arrays must be lists
        self.flows: list = []               # (from symbol, into symbol)
        self.literal_places: list = []      # (ArrayLit, symbol it goes to)

    def candidate(self, sym) -> bool:
        return sym is not None and sym.kind == "local" and not sym.captured and \
            isinstance(sym.decl, (ast.Let, ast.Param)) and T.num_array_kind(self.ty.sym(sym)) is not None

    def run(self) -> dict:
        for stmt in self.module.body:
            self.walk(stmt, ())
        changed = True
        while changed:
            changed = False
            for source, target in self.flows:
                if source not in self.escaping and (target in self.escaping or not self.candidate(target)):
                    self.escaping.add(source)
                    changed = True
        return {id(lit): T.num_array_kind(self.ty.sym(sym)) for lit, sym in self.literal_places
                if self.candidate(sym) and sym not in self.escaping}

    # ------------------------------------------------------------ walking with ancestors
    def walk(self, node, ancestors: tuple):
        if isinstance(node, ast.Name):
            sym = self.res.names.get(id(node))
            if self.candidate(sym):
                self.use(sym, node, ancestors)
        elif isinstance(node, ast.ArrayLit):
            self.literal(node, ancestors)
        inner = ancestors + (node,)
        for child in children(node):
            self.walk(child, inner)

    def literal(self, lit: ast.ArrayLit, ancestors: tuple):
        parent = ancestors[-1] if ancestors else None
        if isinstance(parent, ast.Let) and parent.value is lit:
            self.literal_places.append((lit, self.res.decls.get(id(parent))))
        elif isinstance(parent, ast.Assign) and parent.value is lit and parent.op == "=" \
                and isinstance(parent.target, ast.Name):
            self.literal_places.append((lit, self.res.names.get(id(parent.target))))
        elif isinstance(parent, ast.Arg) and len(ancestors) > 1 and isinstance(ancestors[-2], ast.Call):
            param = self.param_for(ancestors[-2], parent)
            if param is not None:
                self.literal_places.append((lit, param))

    # ------------------------------------------------------------ uses of a candidate
    def use(self, sym, name: ast.Name, ancestors: tuple):
        parent = ancestors[-1] if ancestors else None
        grand = ancestors[-2] if len(ancestors) > 1 else None
        if isinstance(parent, ast.Assign) and parent.target is name:
            if parent.op != "=":
                self.escaping.add(sym)          # `xs += ys` makes a new array through `+`
            return
        if isinstance(parent, ast.Index) and parent.obj is name:
            return
        if isinstance(parent, ast.For) and parent.iterable is name:
            return
        if isinstance(parent, ast.TemplateString):
            return
        if isinstance(parent, ast.Slice) and parent.obj is name:
            return                              # a slice is a new list
        if isinstance(parent, ast.Binary) and parent.op in ("==", "!=") and \
                self.ty.operators.get(id(parent)) is None:
            return
        if isinstance(parent, ast.Member) and parent.obj is name:
            if parent.name == "length" and not isinstance(grand, ast.Call):
                return
            if isinstance(grand, ast.Call) and grand.func is parent:
                if parent.name in _SAFE_METHODS:
                    return
                great = ancestors[-3] if len(ancestors) > 2 else None
                if parent.name in _RECEIVER_METHODS and isinstance(great, ast.ExprStmt):
                    return
            self.escaping.add(sym)
            return
        if isinstance(parent, ast.Let) and parent.value is name:
            self.flows.append((sym, self.res.decls.get(id(parent))))
            return
        if isinstance(parent, ast.Assign) and parent.value is name and parent.op == "=":
            target = self.res.names.get(id(parent.target)) if isinstance(parent.target, ast.Name) else None
            self.flows.append((sym, target))
            return
        if isinstance(parent, ast.Arg) and isinstance(grand, ast.Call) and parent.name is None:
            if self.reading_builtin(grand):
                return
            param = self.param_for(grand, parent)
            if param is not None:
                self.flows.append((sym, param))
                return
        self.escaping.add(sym)

    def reading_builtin(self, call: ast.Call) -> bool:
        if not isinstance(call.func, ast.Name):
            return False
        sym = self.res.names.get(id(call.func))
        return sym is not None and sym.kind == "builtin" and sym.name in _READING_BUILTINS

    def param_for(self, call: ast.Call, arg: ast.Arg) -> Optional[object]:
        """The parameter symbol of a module function or method that `arg` is passed to."""
        f = call.func
        params = None
        if isinstance(f, ast.Name):
            sym = self.res.names.get(id(f))
            if sym is not None and sym.kind == "fn" and sym.name in self.res.top_functions:
                params = self.res.top_functions[sym.name].params
        elif isinstance(f, ast.Member):
            ot = self.ty.of(f.obj)
            if ot.kind == "struct" and not ot.conf and ot.name in self.ty.structs:
                method = self.ty.structs[ot.name].methods.get(f.name)
                params = own_params(method) if method is not None else None
        if params is None or any(a.name is not None for a in call.args):
            return None
        position = next(i for i, a in enumerate(call.args) if a is arg)
        if position >= len(params):
            return None
        return self.res.decls.get(id(params[position]))


def unboxed_literals(module: ast.Module, res, ty) -> dict:
    """id(ArrayLit) -> 'd' / 'q' for the array literals built as NumArrays (see above)."""
    return _Analysis(module, res, ty).run()
