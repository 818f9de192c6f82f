"""What type inference produces: `Typing` (a type for every expression, symbol and
function of a module) with its per-function `FnInfo` and per-struct `StructInfo`.

Filled in by `transpiler.passes.infer` (re-exported there, where its readers import
it from); read by `check`, `callgraph`, `unboxing` and `transpiler.back` (lowering, stubs).
Uses `transpiler.passes.types` (the type values) and `resolve.Symbol` keys.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from transpiler.front import ast
from transpiler.passes import types as T
from transpiler.passes.resolve import Symbol


@dataclass
class FnInfo:
    params: list                        # list[Type], one per own parameter (no `self`)
    ret: T.Type
    declared_ret: Optional[T.Type]
    conf_factor: Optional[float]        # product of the literal `~c` of the function and its layers
    conf_exprs: tuple                   # the computed ones (evaluated when it returns)
    is_async: bool


@dataclass
class StructInfo:
    name: str
    fields: list                        # list[(name, Type, ast.Field)]
    methods: dict                       # name -> ast.FnDecl (own, impl and provided methods)
    confidence: Optional[ast.Expr]      # `struct S ~c`: the instances' confidence

    def field_type(self, name: str) -> Optional[T.Type]:
        for fname, ftype, _ in self.fields:
            if fname == name:
                return ftype
        return None

    def field_decl(self, name: str) -> Optional[ast.Field]:
        return next((f for fname, _, f in self.fields if fname == name), None)


@dataclass
class Typing:
    exprs: dict = field(default_factory=dict)       # id(expr) -> Type
    symbols: dict = field(default_factory=dict)     # Symbol -> Type
    declared: dict = field(default_factory=dict)    # Symbol -> declared Type (annotation)
    functions: dict = field(default_factory=dict)   # id(FnDecl | Lambda | AsyncBlock) -> FnInfo
    structs: dict = field(default_factory=dict)     # name -> StructInfo
    operators: dict = field(default_factory=dict)   # id(Binary | Unary) -> OperatorDecl it calls
    generics: frozenset = frozenset()               # type parameter names (erased)

    def of(self, e: ast.Expr) -> T.Type:
        return self.exprs.get(id(e), T.ANY)

    def sym(self, s: Symbol) -> T.Type:
        t = self.symbols.get(s, T.BOTTOM)
        return T.ANY if t.kind == "bottom" else t
