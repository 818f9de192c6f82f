"""Name resolution: binds every `Name` to the declaration it refers to.

Input: an `ast.Module` (macros expanded) and the import table of `modules`.
Output: a `Resolution` read by `infer`, `check` and `lower`. Reports undefined
names, `this` outside a method, private imports and misplaced declarations.

    let x = 1               x#1 global
    fn f(a) { a + x }       a#2 local of f, x -> x#1
    fn g() { let x = 2      x#3 local of g (shadows x#1)
             if x > 1 { let x = 3; print(x) } }   inner x#4, renamed `x__p1`

Scoping follows Rust/TypeScript: `let` is block scoped and may shadow; a
shadowing `let` in an inner block gets its own Python name, since Python has
only function scope. Top-level functions, structs and traits are hoisted;
function bodies are resolved after the whole top level, so they may use
top-level variables declared below them. A top-level function declared twice:
the last one wins. Types (`structs.py`) are resolved here too: the method
table of every struct (its own methods, its impls' and its traits' provided
methods) and which methods take a receiver (`this`).
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Optional

from transpiler.front import ast
from transpiler.passes.builtins import BUILTINS, CONSTANTS, ERROR_KINDS, PATTERN_CONSTRUCTORS, RUNTIME_GLOBALS
from transpiler.front.diagnostics import CompileError
from transpiler.passes.escape import ident
from transpiler.passes.structs import TypeTable, build_type_table
from transpiler.front.walk import Visitor


@dataclass(eq=False)
class Symbol:
    name: str
    kind: str                   # global local fn struct trait import builtin runtime
    decl: Optional[ast.Node]    # Let, Param, FnDecl, StructDecl, ImportName, For, CatchClause, pattern...
    py_name: str                # the identifier used in generated code
    owner: Optional["FunctionScope"]   # the function scope that declares it (None: module)
    is_const: bool = False
    captured: bool = False      # read or written by a nested function
    assigned: bool = False      # assigned after its declaration

    def __repr__(self) -> str:
        return f"<{self.kind} {self.name} as {self.py_name}>"


@dataclass(eq=False)
class FunctionScope:
    """One Python-level function of the generated code (a fn, method, lambda, async block or
    the module)."""
    node: Optional[ast.Node]
    parent: Optional["FunctionScope"]
    is_async: bool = False
    py_names: set = field(default_factory=set)
    symbols: list = field(default_factory=list)
    nonlocals: set = field(default_factory=set)     # Symbols written here but owned by an outer function
    globals_written: set = field(default_factory=set)
    has_closures: bool = False
    receiver: Optional[Symbol] = None               # `self`/`this` of a method


@dataclass
class Resolution:
    module_scope: FunctionScope
    types: TypeTable                                 # structs, traits, impls, operators, method tables
    imports: dict = field(default_factory=dict)      # id(ast.Import) -> modules.ImportedModule
    names: dict = field(default_factory=dict)        # id(ast.Name | ast.Path) -> Symbol
    decls: dict = field(default_factory=dict)        # id(declaring node) -> Symbol (Let, Param, FnDecl, ...)
    targets: dict = field(default_factory=dict)      # id(For) -> tuple[Symbol], id(CatchClause) -> Symbol
    functions: dict = field(default_factory=dict)    # id(FnDecl | Lambda | AsyncBlock) -> FunctionScope
    top_functions: dict = field(default_factory=dict)  # name -> winning ast.FnDecl
    dead_functions: set = field(default_factory=set)   # id(FnDecl) of redefined top-level fns
    prism_imports: list = field(default_factory=list)  # ast.Import nodes whose source is a Prism file
    throwing: set = field(default_factory=set)       # id(ExprStmt) of `error(..)` statements, which throw
    catch_kinds: dict = field(default_factory=dict)  # id(CatchClause) -> the error code it catches
    warnings: list = field(default_factory=list)     # CompileErrors that do not stop the build

    @property
    def structs(self) -> dict:
        return self.types.structs


class _Resolver(Visitor):
    def __init__(self, module: ast.Module, imports: dict):
        self.module = module
        types = build_type_table(module)
        self.res = Resolution(module_scope=FunctionScope(node=module, parent=None, is_async=True),
                              types=types, imports=imports)
        self.scopes: list[dict] = [{}]            # block scopes, innermost last
        self.fn = self.res.module_scope
        self.deferred: list = []
        # Lambdas bound by `let`, resolved when their statement list ends (see visit_Let).
        self.pending_lambdas: list = []

    # ------------------------------------------------------------ declaring
    def declare(self, name: str, kind: str, decl, *, is_const=False, reuse=True) -> Symbol:
        scope = self.scopes[-1]
        existing = scope.get(name)
        if reuse and existing is not None and existing.kind == kind and existing.owner is self._owner():
            # Re-`let` in the same block (or a name bound on both sides of `p | q`): one variable.
            existing.is_const = existing.is_const and is_const
            self.res.decls[id(decl)] = existing
            return existing
        sym = Symbol(name, kind, decl, self._py_name(name), self._owner(), is_const=is_const)
        scope[name] = sym
        self.fn.symbols.append(sym)
        self.res.decls[id(decl)] = sym
        return sym

    def _owner(self) -> Optional[FunctionScope]:
        return None if self.fn is self.res.module_scope else self.fn

    def _py_name(self, name: str) -> str:
        base = ident(name)
        taken = self.fn.py_names
        candidate, n = base, 0
        while candidate in taken:
            n += 1
            candidate = f"{base}__p{n}"
        taken.add(candidate)
        return candidate

    def lookup(self, name: str) -> Optional[Symbol]:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        return None

    def local_kind(self) -> str:
        return "global" if self.fn is self.res.module_scope else "local"

    # ------------------------------------------------------------ module
    def run(self) -> Resolution:
        body = self.module.body
        types = self.res.types
        for stmt in body:                       # hoist functions, structs and traits
            if isinstance(stmt, ast.FnDecl):
                previous = self.res.top_functions.get(stmt.name)
                if previous is not None:
                    self.res.dead_functions.add(id(previous))
                self.res.top_functions[stmt.name] = stmt
        for name, decl in self.res.top_functions.items():
            self.declare(name, "fn", decl)
        for name, decl in types.structs.items():
            self.declare(name, "struct", decl)
        for name, decl in types.traits.items():
            self.declare(name, "trait", decl)
        self.pending_lambdas.append([])
        field_defaults = []
        for stmt in body:
            if isinstance(stmt, ast.FnDecl):
                if id(stmt) in self.res.dead_functions:
                    self.res.decls[id(stmt)] = Symbol(stmt.name, "fn", stmt, self._py_name(stmt.name), None)
                self.deferred.append(stmt)
            elif isinstance(stmt, (ast.StructDecl, ast.TraitDecl, ast.ImplDecl)):
                self.deferred.extend(m for m in stmt.methods if m.body is not None)
                if isinstance(stmt, ast.StructDecl):
                    for f in stmt.fields:
                        field_defaults.extend(x for x in (f.default, f.confidence) if x is not None)
                    if stmt.confidence is not None:
                        field_defaults.append(stmt.confidence)
            elif isinstance(stmt, ast.OperatorDecl):
                self.deferred.append(stmt.function)
            else:
                self.visit(stmt)
        self.resolve_pending_lambdas()
        # Field defaults are evaluated when an instance is made, so they see the whole top level.
        for default in field_defaults:
            self.visit(default)
        saved = self.scopes
        for fn in self.deferred:
            self.scopes = saved[:1]
            self.function(fn, fn.params, fn.body, fn.is_async)
        self.scopes = saved
        return self.res

    # ------------------------------------------------------------ functions
    def function(self, node, params, body, is_async: bool):
        for attribute in getattr(node, "attributes", ()):
            self.visit_all(arg.value for arg in attribute.args)    # evaluated where it is defined
        scope = FunctionScope(node=node, parent=self.fn, is_async=is_async)
        self.res.functions[id(node)] = scope
        self.fn.has_closures = self.fn.has_closures or not isinstance(node, ast.FnDecl) \
            or self.fn is not self.res.module_scope
        outer_fn = self.fn
        self.fn = scope
        self.scopes.append({})
        if id(node) in self.res.types.owners and params and params[0].name == "self":
            # A method's instance: its `self` parameter, or the implicit one `this` names.
            scope.receiver = self.declare("self", "local", params[0], reuse=False)
            params = params[1:]
        elif id(node) in self.res.types.receivers:
            scope.py_names.add("self")
            scope.receiver = Symbol("this", "local", node, "self", scope)
        for p in params:
            if p.default is not None:
                # Defaults are evaluated where the function is defined.
                self.fn, saved = outer_fn, self.fn
                self.visit(p.default)
                self.fn = saved
            self.declare(p.name, "local", p, reuse=False)
        confidences = [node.confidence] if getattr(node, "confidence", None) is not None else []
        confidences.extend(getattr(node, "layers", ()))
        for c in confidences:
            self.visit(c)                       # `~c`: evaluated when the function returns
        if isinstance(body, ast.Block):
            self.block_body(body.body)
        elif body is not None:
            self.visit(body)
        self.scopes.pop()
        self.fn = outer_fn

    # ------------------------------------------------------------ statements
    def visit_Block(self, block: ast.Block):
        self.scopes.append({})
        self.block_body(block.body)
        self.scopes.pop()

    def block_body(self, stmts):
        self.pending_lambdas.append([])
        for stmt in stmts:
            self.visit(stmt)
        self.resolve_pending_lambdas()

    def resolve_pending_lambdas(self):
        """Resolve the bodies of the lambdas bound by `let` in the statement list that just
        ended, so they see every name that list declares, also later ones (as in TypeScript)."""
        for lam in self.pending_lambdas.pop():
            self.visit(lam)

    def visit_Let(self, s: ast.Let):
        if isinstance(s.value, ast.Lambda):
            # A lambda runs later, so it may call itself through the name it is bound to, and
            # reach names declared after it in the same block (mutual recursion).
            self.declare(s.name, self.local_kind(), s, is_const=s.is_const)
            self.pending_lambdas[-1].append(s.value)
            return
        if s.value is not None:
            self.visit(s.value)
        self.declare(s.name, self.local_kind(), s, is_const=s.is_const)

    def visit_Assign(self, s: ast.Assign):
        self.visit(s.value)
        self.visit(s.target)
        if isinstance(s.target, ast.Name):
            sym = self.res.names.get(id(s.target))
            if sym is not None:
                sym.assigned = True
                self._note_write(sym)

    def visit_ExprStmt(self, s: ast.ExprStmt):
        self.visit(s.expr)
        call = s.expr.left if isinstance(s.expr, ast.Binary) and s.expr.op == "~>" else s.expr
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name):
            sym = self.res.names.get(id(call.func))
            if sym is not None and sym.kind == "builtin" and sym.name == "error":
                self.res.throwing.add(id(s))        # `error("..") ~> 0.9` alone throws it

    def visit_FnDecl(self, s: ast.FnDecl):            # nested function: a local closure
        self.declare(s.name, self.local_kind(), s)
        self.fn.has_closures = True
        self.function(s, s.params, s.body, s.is_async)

    def _top_level_only(self, s):
        kind = type(s).__name__.replace("Decl", "").lower()
        raise CompileError(f"a {kind} must be declared at the top level", s.span)

    visit_StructDecl = visit_TraitDecl = visit_ImplDecl = visit_OperatorDecl = _top_level_only

    def visit_MacroDecl(self, s):
        raise CompileError("a macro must be declared at the top level", s.span)

    def visit_For(self, s: ast.For):
        self.visit(s.iterable)
        self.scopes.append({})
        syms = tuple(self.declare(t, self.local_kind(), (s, i), reuse=False)
                     for i, t in enumerate(s.targets))
        self.res.targets[id(s)] = syms
        self.block_body(s.body.body)
        self.scopes.pop()

    def visit_CFor(self, s: ast.CFor):
        self.scopes.append({})
        self.visit_all((s.init, s.cond, s.step))
        self.visit(s.body)
        self.scopes.pop()

    def visit_CatchClause(self, c: ast.CatchClause):
        if c.confidence is not None:
            self.visit(c.confidence)
        kind = c.kind
        if kind is None and c.name in ERROR_KINDS:
            kind = c.name                   # `catch TimeoutError { }`: a kind, not a binding
        if kind is not None:
            if kind not in ERROR_KINDS:
                raise CompileError(f"'{kind}' is not an error kind", c.span,
                                   help="error kinds: " + ", ".join(sorted(ERROR_KINDS)))
            self.res.catch_kinds[id(c)] = ERROR_KINDS[kind]
        self.scopes.append({})
        if c.name is not None and c.name != kind:
            self.res.targets[id(c)] = self.declare(c.name, self.local_kind(), c, reuse=False)
        if c.guard is not None:
            self.visit(c.guard)
        self.block_body(c.body.body)
        self.scopes.pop()

    def visit_AsyncBlock(self, s: ast.AsyncBlock):
        if s.confidence is not None:
            self.visit(s.confidence)
        self.fn.has_closures = True
        self.function(s, (), s.body, True)

    def visit_Import(self, s: ast.Import):
        if self.fn is not self.res.module_scope:
            raise CompileError("imports must be at the top level", s.span)
        info = self.res.imports.get(id(s))
        if info is not None and info.kind == "prism":
            self.res.prism_imports.append(s)
            for item in s.names:
                self._check_import(info, item, s)
        if s.confidence is not None:
            self.visit(s.confidence)
        if s.default is not None:
            self.declare(s.default, "import", s)
        for item in s.names:
            self.declare(item.alias or item.name, "import", item)

    def _check_import(self, info, item: ast.ImportName, s: ast.Import):
        if info.path is None:
            return
        where = f"module '{info.module_name}'" if info.module_name else f"'{s.source}'"
        if item.name not in info.declared:
            close = difflib.get_close_matches(item.name, sorted(info.declared), n=1)
            raise CompileError(f"{where} has no '{item.name}'", item.span,
                               help=f"did you mean '{close[0]}'?" if close else None)
        if info.exports is not None and item.name not in info.exports:
            raise CompileError(f"'{item.name}' is private to {where}", item.span,
                               help=f"export it there: `export fn {item.name}` (or `export const`)")

    def _note_write(self, sym: Symbol):
        if sym.owner is None:
            if self.fn is not self.res.module_scope:
                self.fn.globals_written.add(sym)
        elif sym.owner is not self.fn:
            sym.captured = True
            # Every function between the owner and here needs `nonlocal`.
            f = self.fn
            while f is not None and f is not sym.owner:
                f.nonlocals.add(sym)
                f = f.parent

    # ------------------------------------------------------------ expressions
    def visit_Name(self, e: ast.Name):
        sym = self.lookup(e.id)
        if sym is None and e.id == "this":
            sym = self.receiver(e)
        if sym is None:
            sym = self.builtin(e)
        if sym.owner is not None and sym.owner is not self.fn:
            sym.captured = True
        self.res.names[id(e)] = sym

    def receiver(self, e: ast.Name) -> Symbol:
        f = self.fn
        while f is not None and f.receiver is None:
            f = f.parent
        if f is None:
            raise CompileError("'this' is only available inside a method", e.span,
                               help="methods are declared inside a struct, trait or impl")
        return f.receiver

    def visit_Lambda(self, e: ast.Lambda):
        self.fn.has_closures = True
        self.function(e, e.params, e.body, e.is_async)

    def visit_MatchArm(self, arm: ast.MatchArm):
        self.scopes.append({})
        self.visit(arm.pattern)
        if arm.guard is not None:
            self.visit(arm.guard)
        if isinstance(arm.body, ast.Block):
            self.block_body(arm.body.body)
        else:
            self.visit(arm.body)
        self.scopes.pop()

    def bind(self, name: Optional[str], decl):
        if name is not None and name != "_":
            self.declare(name, self.local_kind(), decl)

    def visit_BindingPattern(self, p: ast.BindingPattern):
        self.bind(p.name, p)

    def visit_ConfidencePattern(self, p: ast.ConfidencePattern):
        self.generic_visit(p)
        self.bind(p.name, p)

    def visit_ArrayPattern(self, p: ast.ArrayPattern):
        self.generic_visit(p)
        if p.rest:
            self.bind(p.rest, p)

    def visit_ContextPattern(self, p: ast.ContextPattern):
        self.bind(p.binding, p)
        self.generic_visit(p)

    def visit_CtorPattern(self, p: ast.CtorPattern):
        if p.name not in PATTERN_CONSTRUCTORS:
            raise CompileError(f"unknown pattern constructor '{p.name}'", p.span,
                               help="constructor patterns are " + ", ".join(
                                   f"{n}(..)" for n in sorted(PATTERN_CONSTRUCTORS)))
        arity = PATTERN_CONSTRUCTORS[p.name]
        if len(p.args) != arity:
            raise CompileError(f"pattern '{p.name}' takes {arity} argument{'s' if arity != 1 else ''}",
                               p.span)
        self.generic_visit(p)

    def visit_StructLit(self, e: ast.StructLit):
        sym = self.lookup(e.name)
        if sym is None or sym.kind not in ("struct", "import"):
            raise CompileError(f"'{e.name}' is not a struct", e.name_span,
                               help="a literal `Name { field: value }` builds a struct declared with `struct`")
        self.res.names[id(e)] = sym         # an imported struct is built by its fields' names
        self.generic_visit(e)

    def visit_Path(self, e: ast.Path):
        owner = self.lookup(e.owner)
        types = self.res.types
        if owner is not None and owner.kind == "trait":
            # `Trait::value.method()`: `value` is an ordinary name
            target = self.lookup(e.name) or self.builtin(ast.Name(e.name, e.span))
            if target.owner is not None and target.owner is not self.fn:
                target.captured = True
            self.res.names[id(e)] = target
            return
        if owner is None or owner.kind != "struct":
            raise CompileError(f"'{e.owner}' is not a struct or trait", e.span,
                               help="`Type::name` calls a function of a struct or trait")
        if e.name != "new" and e.name not in types.methods.get(e.owner, {}):
            raise CompileError(f"struct '{e.owner}' has no function '{e.name}'", e.span)

    def visit_TypeApply(self, e: ast.TypeApply):
        sym = self.lookup(e.name)
        if sym is None:
            raise CompileError(f"undefined name '{e.name}'", e.span)
        self.res.names[id(e)] = sym

    def builtin(self, e: ast.Name) -> Symbol:
        if e.id in BUILTINS or e.id in CONSTANTS:
            return Symbol(e.id, "builtin", None, e.id, None)
        if e.id in RUNTIME_GLOBALS:
            return Symbol(e.id, "runtime", None, e.id, None)
        # Choice (as in JavaScript and Python): evaluating an undefined name is a runtime error
        # (the original authors' programs catch it); the compiler warns.
        known = [n for scope in self.scopes for n in scope] + [b for b in BUILTINS if not b.endswith("!")] \
            + list(RUNTIME_GLOBALS)
        close = difflib.get_close_matches(e.id, known, n=1)
        self.res.warnings.append(CompileError(f"undefined name '{e.id}'", e.span,
                                              help=f"did you mean '{close[0]}'?" if close else None))
        return Symbol(e.id, "undefined", None, e.id, None)


def resolve(module: ast.Module, imports: Optional[dict] = None) -> Resolution:
    """Bind every name in `module`; raise CompileError for an undefined one. `imports` is
    `modules.locate_imports(module)` (None: no Prism file is consulted)."""
    return _Resolver(module, imports or {}).run()
