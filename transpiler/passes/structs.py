"""The module's user types: structs, traits, impls and operators, and each struct's method table.

Built by `resolve` before any body is resolved (declarations only), read by
`infer`, `check` and `lower`. Reports the declaration errors that need the
whole table: a duplicate type, an impl of an unknown trait or for an unknown
struct, a required trait method left out or declared with another signature
(the error names both places), two traits giving a struct the same method.

    struct P { x: float }                     methods[P] = {norm, describe}
    impl P { fn norm() { .. this.x .. } }     norm: instance method (uses `this`)
    trait Show { fn describe() { "P" } }      describe: provided by Show
    impl Show for P { }                       traits_of[P] = [Show]

A method is static (no receiver: `Type::name(..)`) when it takes no `self` and
never mentions `this` (a struct's `fn new(..)` usually is).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from transpiler.front import ast
from transpiler.front.diagnostics import CompileError
from transpiler.front.walk import descendants



@dataclass
class TypeTable:
    structs: dict = field(default_factory=dict)         # name -> StructDecl
    traits: dict = field(default_factory=dict)          # name -> TraitDecl
    impls: list = field(default_factory=list)           # ImplDecl, in source order
    operators: list = field(default_factory=list)       # OperatorDecl, in source order
    methods: dict = field(default_factory=dict)         # struct name -> {method name: FnDecl}
    traits_of: dict = field(default_factory=dict)       # struct name -> [trait names]
    method_trait: dict = field(default_factory=dict)    # id(FnDecl) -> trait that declares it
    receivers: dict = field(default_factory=dict)       # id(FnDecl) -> owner (struct or trait name)
    owners: dict = field(default_factory=dict)          # id(FnDecl) -> struct or trait it belongs to
    imported: set = field(default_factory=set)          # names brought in by `import { .. }`

    def is_static(self, fn: ast.FnDecl) -> bool:
        return id(fn) in self.owners and id(fn) not in self.receivers

    def operator(self, op: str, operand_names: tuple) -> Optional[ast.OperatorDecl]:
        """The operator declared for these operand type names (struct names or `float`, ...)."""
        for decl in reversed(self.operators):
            if decl.op == op and tuple(operand_type_name(t) for t in decl.operands) == operand_names:
                return decl
        return None

    def operators_for(self, struct: str) -> list:
        """Operators whose first operand is this struct (its class dispatches them)."""
        return [d for d in self.operators if operand_type_name(d.operands[0]) == struct]


def operand_type_name(t: ast.TypeExpr) -> str:
    """How an operator declaration names an operand type (aliases resolved: `f64` is `float`)."""
    if isinstance(t, ast.TypeName):
        return _ALIASES.get(t.name, t.name)
    if isinstance(t, ast.ArrayType):
        return "array"
    return "fn"


_ALIASES = {"f64": "float", "f32": "float", "number": "float", "i64": "int", "i32": "int", "integer": "int",
            "str": "string", "boolean": "bool"}


def canonical_type_name(name: str) -> str:
    return _ALIASES.get(name, name)


def _uses_this(fn: ast.FnDecl) -> bool:
    if fn.body is None:
        return True                     # a required trait method is called on an instance
    return any(isinstance(n, ast.Name) and n.id == "this" for n in descendants([fn.body]))


def takes_self(fn: ast.FnDecl) -> bool:
    return bool(fn.params) and fn.params[0].name == "self"


def own_params(fn: ast.FnDecl) -> tuple:
    """A method's parameters without its `self`."""
    return fn.params[1:] if takes_self(fn) else fn.params


def _where(node) -> str:
    return f"line {node.span.line}"


class _Builder:
    def __init__(self, module: ast.Module):
        self.module = module
        self.table = TypeTable()

    def run(self) -> TypeTable:
        t = self.table
        for s in self.module.body:
            if isinstance(s, (ast.StructDecl, ast.TraitDecl)):
                seen = t.structs.get(s.name) or t.traits.get(s.name)
                if seen is not None:
                    raise CompileError(f"'{s.name}' is declared twice (first at {_where(seen)})", s.span)
                (t.structs if isinstance(s, ast.StructDecl) else t.traits)[s.name] = s
            elif isinstance(s, ast.ImplDecl):
                t.impls.append(s)
            elif isinstance(s, ast.OperatorDecl):
                t.operators.append(s)
            elif isinstance(s, ast.Import):
                t.imported.update(n.alias or n.name for n in s.names)
        for name, decl in t.traits.items():
            for m in decl.methods:
                self.method(m, name)
                t.method_trait[id(m)] = name
        for name, decl in t.structs.items():
            t.methods[name] = {}
            t.traits_of[name] = []
            for m in decl.methods:
                self.method(m, name)
                self.add(name, m, None)
        for impl in t.impls:
            self.impl(impl)
        for name in t.structs:
            for trait in t.traits_of[name]:
                self.provided(name, t.traits[trait])
        return t

    def method(self, m: ast.FnDecl, owner: str):
        self.table.owners[id(m)] = owner
        if takes_self(m) or _uses_this(m):
            self.table.receivers[id(m)] = owner

    def add(self, struct: str, m: ast.FnDecl, trait: Optional[str]):
        table = self.table.methods[struct]
        previous = table.get(m.name)
        if previous is not None and previous is not m:
            origin = self.table.method_trait.get(id(previous))
            where = f"trait '{origin}'" if origin else f"'{struct}'"
            raise CompileError(f"'{struct}' already has a method '{m.name}' (from {where}, "
                               f"{_where(previous)})", m.span,
                               help="rename one of them; call a trait's own method with `Trait::value.m()`")
        if m.name in {f.name for f in self.table.structs[struct].fields}:
            raise CompileError(f"'{m.name}' is both a field and a method of '{struct}'", m.span)
        table[m.name] = m
        if trait is not None:
            self.table.method_trait[id(m)] = trait

    def impl(self, impl: ast.ImplDecl):
        t = self.table
        target = impl.target.name if isinstance(impl.target, ast.TypeName) else None
        if target not in t.structs:
            raise CompileError(f"cannot implement for '{target or 'this type'}': not a struct of this module",
                               impl.target.span)
        trait = None
        if impl.trait is not None:
            trait = impl.trait.name if isinstance(impl.trait, ast.TypeName) else None
            decl = t.traits.get(trait)
            if decl is None:
                raise CompileError(f"'{trait}' is not a trait", impl.trait.span)
            if trait in t.traits_of[target]:
                raise CompileError(f"'{trait}' is already implemented for '{target}'", impl.span)
            t.traits_of[target].append(trait)
            self.check_impl(impl, decl, target)
        for m in impl.methods:
            if m.body is None:
                raise CompileError(f"method '{m.name}' needs a body", m.span)
            self.method(m, target)
            self.add(target, m, trait)

    def check_impl(self, impl: ast.ImplDecl, trait: ast.TraitDecl, target: str):
        given = {m.name: m for m in impl.methods}
        declared = {m.name: m for m in trait.methods}
        for name, m in given.items():
            if name not in declared:
                raise CompileError(f"'{name}' is not a method of trait '{trait.name}'", m.span,
                                   help=f"trait '{trait.name}' is declared at {_where(trait)}")
            expected = declared[name]
            ours, theirs = own_params(m), own_params(expected)
            if len(ours) != len(theirs):
                raise CompileError(
                    f"method '{name}' takes {len(ours)} parameter{'s' if len(ours) != 1 else ''} but trait "
                    f"'{trait.name}' declares it with {len(theirs)} ({_where(expected)})", m.span)
            for p, q in zip(ours, theirs):
                if p.type is not None and q.type is not None and type_text(p.type) != type_text(q.type):
                    raise CompileError(f"parameter '{p.name}' of '{name}' is {type_text(p.type)} but trait "
                                       f"'{trait.name}' declares {type_text(q.type)} ({_where(q)})", p.span)
            if m.return_type is not None and expected.return_type is not None and \
                    type_text(m.return_type) != type_text(expected.return_type):
                raise CompileError(f"method '{name}' returns {type_text(m.return_type)} but trait "
                                   f"'{trait.name}' declares {type_text(expected.return_type)} "
                                   f"({_where(expected)})", m.return_type.span)
        for name, m in declared.items():
            if m.body is None and name not in given:
                raise CompileError(f"'{target}' does not implement '{name}', required by trait '{trait.name}' "
                                   f"({_where(m)})", impl.span,
                                   help=f"add `fn {name}(...) {{ ... }}` to this impl")

    def provided(self, struct: str, trait: ast.TraitDecl):
        table = self.table.methods[struct]
        for m in trait.methods:
            if m.body is not None and m.name not in table:
                self.add(struct, m, trait.name)


def type_text(t: ast.TypeExpr) -> str:
    if isinstance(t, ast.ArrayType):
        return f"[{type_text(t.element)}]"
    if isinstance(t, ast.FnType):
        return "fn(" + ", ".join(type_text(p) for p in t.params) + ")" + \
            (f" -> {type_text(t.result)}" if t.result else "")
    name = canonical_type_name(t.name)
    return name + (("<" + ", ".join(type_text(a) for a in t.args) + ">") if t.args else "")


def build_type_table(module: ast.Module) -> TypeTable:
    return _Builder(module).run()
