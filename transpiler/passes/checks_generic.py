"""Generic arity and bounds, for `check`: type arguments where they are written.

    struct Box<T: Show> { .. }
    let b: Box<int, int> = ..          -> 'Box' takes 1 type argument but 2 were given
    Box<Point> { .. }  (Point no Show) -> 'Point' does not implement trait 'Show' (bound of T)

Type parameters are then erased (see `infer`), so these checks are all there is
to them. A mixin of `check._Checker` (needs self.types, self.ty).
"""
from __future__ import annotations

from transpiler.front import ast
from transpiler.front.diagnostics import CompileError
from transpiler.passes.structs import canonical_type_name, type_text

# Built-in generic types: name -> the numbers of type arguments they take.
_BUILTIN_ARITY = {"Option": (1,), "array": (1,), "Array": (1,), "List": (1,), "Vec": (1,), "Map": (0, 2),
                  "HashMap": (0, 2), "Result": (2,), "Promise": (0, 1)}


class GenericChecks:
    def type_params_of(self, name: str):
        """The type parameters of a generic struct, trait or function named `name`, or None."""
        decl = self.types.structs.get(name) or self.types.traits.get(name) or self.res.top_functions.get(name)
        return decl.type_params if decl is not None else None

    def check_type_args(self, texpr):
        if isinstance(texpr, ast.ArrayType):
            self.check_type_args(texpr.element)
        elif isinstance(texpr, ast.FnType):
            for t in (*texpr.params, texpr.result):
                if t is not None:
                    self.check_type_args(t)
        elif isinstance(texpr, ast.TypeName):
            self.check_applied(texpr.name, texpr.args, texpr.span)

    def check_applied(self, name: str, args: tuple, span):
        """`name<args>` written at span: the right number of arguments, each within its bound."""
        for a in args:
            self.check_type_args(a)
        builtin = _BUILTIN_ARITY.get(canonical_type_name(name))
        if builtin is not None:
            if len(args) not in builtin:
                raise CompileError(_arity(name, "/".join(map(str, builtin)), len(args)), span)
            return
        params = self.type_params_of(name) or None     # no type parameters: not generic
        if params is None:
            if args and name not in self.ty.generics:
                raise CompileError(f"'{name}' is not generic", span)
            return
        if args and len(args) != len(params):
            raise CompileError(_arity(name, str(len(params)), len(args)), span,
                               help=f"declared as {name}<{', '.join(p.name for p in params)}>")
        for param, arg in zip(params, args):
            self.check_bounds(param, arg)

    def check_bounds(self, param: ast.TypeParam, arg: ast.TypeExpr):
        if not param.bounds or not isinstance(arg, ast.TypeName) or arg.name in self.ty.generics:
            return
        implemented = self.types.traits_of.get(arg.name, [])
        for bound in param.bounds:
            if isinstance(bound, ast.TypeName) and bound.name not in implemented:
                raise CompileError(f"'{type_text(arg)}' does not implement trait '{bound.name}' "
                                   f"(the bound of {param.name})", arg.span,
                                   help=f"add `impl {bound.name} for {type_text(arg)} {{ ... }}`")

    # ------------------------------------------------------------ expressions with type arguments
    def visit_TypeApply(self, e: ast.TypeApply):
        self.check_applied(e.name, e.args, e.span)

    def visit_Path(self, e: ast.Path):
        if e.type_args:
            self.check_applied(e.owner, e.type_args, e.span)

    def visit_StructLit(self, e: ast.StructLit):
        if self.res.names[id(e)].kind != "struct":      # imported: its fields are checked when it runs
            self.visit_all(entry.value for entry in e.entries)
            return
        if e.type_args:
            self.check_applied(e.name, e.type_args, e.span)
        info = self.ty.structs[e.name]
        given = set()
        for entry in e.entries:
            if info.field_type(entry.key) is None:
                raise CompileError(f"struct '{e.name}' has no field '{entry.key}'", entry.span)
            if entry.key in given:
                raise CompileError(f"field '{entry.key}' given twice", entry.span)
            given.add(entry.key)
            self.visit(entry.value)
            self.mismatch(info.field_type(entry.key), self.ty.of(entry.value), entry.value.span)
        missing = [name for name, _, f in info.fields if f.default is None and name not in given]
        if missing:
            raise CompileError(f"missing field{'s' if len(missing) > 1 else ''} "
                               + ", ".join(f"'{m}'" for m in missing) + f" in '{e.name}' literal", e.span,
                               help="give every field without a default a value")


def _arity(name: str, expected: str, given: int) -> str:
    word = "argument" if expected == "1" else "arguments"
    were = "was" if given == 1 else "were"
    return f"'{name}' takes {expected} type {word} but {given} {were} given"
