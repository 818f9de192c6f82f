"""Name resolution: binds every `Name` to the declaration it refers to.

Input: an `ast.Module` from `parser`. Output: a `Resolution` read by `infer`,
`check` and `lower`. Reports `undefined name` errors.

    let x = 1               x#1 global
    fn f(a) { a + x }       a#2 local of f, x -> x#1
    fn g() { let x = 2      x#3 local of g (shadows x#1)
             if x > 1 { let x = 3; print(x) } }   inner x#4, renamed `x__p1`

Scoping follows Rust/TypeScript: `let` is block scoped and may shadow; a
shadowing `let` in an inner block gets its own Python name, since Python has
only function scope. Top-level functions and structs are hoisted; function
bodies are resolved after the whole top level, so they may use top-level
variables declared below them. A top-level function declared twice: the last
one wins (the seed's before/after snippets rely on it).
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Optional

from transpiler import ast
from transpiler.builtins import BUILTINS, RUNTIME_GLOBALS
from transpiler.diagnostics import CompileError
from transpiler.escape import ident
from transpiler.walk import CONTEXT_STATEMENTS, context_parts


@dataclass(eq=False)
class Symbol:
    name: str
    kind: str                   # global local fn struct import builtin runtime
    decl: Optional[ast.Node]    # Let, Param, FnDecl, StructDecl, ImportName, For, Try, Lambda param...
    py_name: str                # the identifier used in generated code
    owner: Optional["FunctionScope"]   # the function scope that declares it (None: module)
    is_const: bool = False
    captured: bool = False      # read or written by a nested function
    assigned: bool = False      # assigned after its declaration

    def __repr__(self) -> str:
        return f"<{self.kind} {self.name} as {self.py_name}>"


@dataclass(eq=False)
class FunctionScope:
    """One Python-level function of the generated code (a fn, method, lambda or the module)."""
    node: Optional[ast.Node]
    parent: Optional["FunctionScope"]
    is_async: bool = False
    py_names: set = field(default_factory=set)
    symbols: list = field(default_factory=list)
    nonlocals: set = field(default_factory=set)     # Symbols written here but owned by an outer function
    globals_written: set = field(default_factory=set)
    has_closures: bool = False


@dataclass
class Resolution:
    module_scope: FunctionScope
    names: dict = field(default_factory=dict)        # id(ast.Name) -> Symbol
    decls: dict = field(default_factory=dict)        # id(declaring node) -> Symbol (Let, Param, FnDecl, ...)
    targets: dict = field(default_factory=dict)      # id(For) -> tuple[Symbol], id(Try) -> Symbol
    functions: dict = field(default_factory=dict)    # id(FnDecl | Lambda) -> FunctionScope
    structs: dict = field(default_factory=dict)      # struct name -> ast.StructDecl
    top_functions: dict = field(default_factory=dict)  # name -> winning ast.FnDecl
    dead_functions: set = field(default_factory=set)   # id(FnDecl) of redefined top-level fns
    prism_imports: list = field(default_factory=list)  # ast.Import nodes whose source is a Prism file


class _Resolver:
    def __init__(self, module: ast.Module):
        self.module = module
        self.res = Resolution(module_scope=FunctionScope(node=module, parent=None, is_async=True))
        self.scopes: list[dict] = [{}]            # block scopes, innermost last
        self.fn = self.res.module_scope
        self.deferred: list = []
        # Lambdas bound by `let`, resolved when their statement list ends (see stmt).
        self.pending_lambdas: list = []

    # ------------------------------------------------------------ declaring
    def declare(self, name: str, kind: str, decl, *, is_const=False, reuse=True) -> Symbol:
        scope = self.scopes[-1]
        existing = scope.get(name)
        if reuse and existing is not None and existing.kind == kind and existing.owner is self._owner():
            # Re-`let` in the same block: one variable, its type widened by inference.
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

    # ------------------------------------------------------------ module
    def run(self) -> Resolution:
        body = self.module.body
        for stmt in body:                       # hoist functions and structs
            if isinstance(stmt, ast.FnDecl):
                previous = self.res.top_functions.get(stmt.name)
                if previous is not None:
                    self.res.dead_functions.add(id(previous))
                self.res.top_functions[stmt.name] = stmt
            elif isinstance(stmt, ast.StructDecl):
                self.res.structs[stmt.name] = stmt
        for name, decl in self.res.top_functions.items():
            self.declare(name, "fn", decl)
        for name, decl in self.res.structs.items():
            self.declare(name, "struct", decl)
        self.pending_lambdas.append([])
        field_defaults = []
        for stmt in body:
            if isinstance(stmt, ast.FnDecl):
                if id(stmt) in self.res.dead_functions:
                    self.res.decls[id(stmt)] = Symbol(stmt.name, "fn", stmt, self._py_name(stmt.name), None)
                self.deferred.append((stmt, None))
            elif isinstance(stmt, ast.StructDecl):
                for method in stmt.methods:
                    self.deferred.append((method, stmt))
                field_defaults.extend(fld.default for fld in stmt.fields if fld.default is not None)
            else:
                self.stmt(stmt)
        self.resolve_pending_lambdas()
        # Field defaults are evaluated when an instance is made, so they see the whole top level.
        for default in field_defaults:
            self.expr(default)
        saved = self.scopes
        for fn, struct in self.deferred:
            self.scopes = saved[:1]
            self.function(fn, fn.params, fn.body, fn.is_async, struct)
        self.scopes = saved
        return self.res

    # ------------------------------------------------------------ functions
    def function(self, node, params, body, is_async: bool, struct=None):
        scope = FunctionScope(node=node, parent=self.fn, is_async=is_async)
        self.res.functions[id(node)] = scope
        self.fn.has_closures = self.fn.has_closures or not isinstance(node, ast.FnDecl) \
            or self.fn is not self.res.module_scope
        outer_fn = self.fn
        self.fn = scope
        self.scopes.append({})
        for p in params:
            if p.default is not None:
                # Defaults are evaluated where the function is defined.
                self.fn, saved = outer_fn, self.fn
                self.expr(p.default)
                self.fn = saved
            self.declare(p.name, "local", p, reuse=False)
        if isinstance(node, ast.FnDecl) and node.confidence is not None:
            self.expr(node.confidence)          # `~c`: evaluated when the function returns
        if isinstance(body, ast.Block):
            self.block_body(body.body)
        else:
            self.expr(body)
        self.scopes.pop()
        self.fn = outer_fn

    # ------------------------------------------------------------ statements
    def block(self, block: ast.Block):
        self.scopes.append({})
        self.block_body(block.body)
        self.scopes.pop()

    def block_body(self, stmts):
        self.pending_lambdas.append([])
        for stmt in stmts:
            self.stmt(stmt)
        self.resolve_pending_lambdas()

    def resolve_pending_lambdas(self):
        """Resolve the bodies of the lambdas bound by `let` in the statement list that just
        ended, so they see every name that list declares, also later ones (as in TypeScript)."""
        for lam in self.pending_lambdas.pop():
            self.expr(lam)

    def local_kind(self) -> str:
        return "global" if self.fn is self.res.module_scope else "local"

    def stmt(self, s: ast.Stmt):
        if isinstance(s, ast.Let):
            if isinstance(s.value, ast.Lambda):
                # A lambda runs later, so it may call itself through the name it is bound to, and
                # reach names declared after it in the same block (mutual recursion).
                self.declare(s.name, self.local_kind(), s, is_const=s.is_const)
                self.pending_lambdas[-1].append(s.value)
                return
            if s.value is not None:
                self.expr(s.value)
            self.declare(s.name, self.local_kind(), s, is_const=s.is_const)
        elif isinstance(s, ast.Assign):
            self.expr(s.value)
            self.expr(s.target)
            if isinstance(s.target, ast.Name):
                sym = self.res.names.get(id(s.target))
                if sym is not None:
                    sym.assigned = True
                    self._note_write(sym)
        elif isinstance(s, ast.ExprStmt):
            self.expr(s.expr)
        elif isinstance(s, ast.FnDecl):            # nested function: a local closure
            sym = self.declare(s.name, self.local_kind(), s)
            self.fn.has_closures = True
            self.function(s, s.params, s.body, s.is_async)
            del sym
        elif isinstance(s, ast.StructDecl):
            raise CompileError("structs must be declared at the top level", s.span)
        elif isinstance(s, (ast.Return, ast.Throw, ast.Defer)):
            value = s.value if not isinstance(s, ast.Defer) else s.expr
            if value is not None:
                self.expr(value)
        elif isinstance(s, (ast.Break, ast.Continue)):
            pass
        elif isinstance(s, ast.If):
            self.expr(s.cond)
            self.block(s.then)
            if isinstance(s.orelse, ast.Block):
                self.block(s.orelse)
            elif s.orelse is not None:
                self.stmt(s.orelse)
        elif isinstance(s, ast.While):
            self.expr(s.cond)
            self.block(s.body)
        elif isinstance(s, ast.For):
            self.expr(s.iterable)
            self.scopes.append({})
            syms = tuple(self.declare(t, self.local_kind(), (s, i), reuse=False)
                         for i, t in enumerate(s.targets))
            self.res.targets[id(s)] = syms
            self.block_body(s.body.body)
            self.scopes.pop()
        elif isinstance(s, ast.Try):
            self.block(s.body)
            if s.handler is not None:
                self.scopes.append({})
                if s.catch_name is not None:
                    self.res.targets[id(s)] = self.declare(s.catch_name, self.local_kind(), s, reuse=False)
                self.block_body(s.handler.body)
                self.scopes.pop()
            if s.finalbody is not None:
                self.block(s.finalbody)
        elif isinstance(s, CONTEXT_STATEMENTS):
            exprs, blocks = context_parts(s)
            for e in exprs:
                self.expr(e)
            for b in blocks:
                self.block(b)
        elif isinstance(s, ast.Import):
            self.import_(s)
        else:  # pragma: no cover - every statement kind is handled above
            raise CompileError(f"unsupported statement {type(s).__name__}", s.span)

    def import_(self, s: ast.Import):
        if self.fn is not self.res.module_scope:
            raise CompileError("imports must be at the top level", s.span)
        if s.source.startswith("./") or s.source.startswith("../"):
            self.res.prism_imports.append(s)
        if s.default is not None:
            self.declare(s.default, "import", s)
        for item in s.names:
            self.declare(item.alias or item.name, "import", item)

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
    def expr(self, e: ast.Expr):
        if isinstance(e, ast.Name):
            sym = self.lookup(e.id)
            if sym is None:
                sym = self.builtin(e)
            if sym.owner is not None and sym.owner is not self.fn:
                sym.captured = True
            self.res.names[id(e)] = sym
        elif isinstance(e, (ast.IntLit, ast.FloatLit, ast.StringLit, ast.BoolLit, ast.NullLit)):
            pass
        elif isinstance(e, ast.TemplateString):
            for part in e.parts:
                if not isinstance(part, str):
                    self.expr(part)
        elif isinstance(e, ast.ArrayLit):
            for x in e.elements:
                self.expr(x)
        elif isinstance(e, ast.ObjectLit):
            for entry in e.entries:
                self.expr(entry.value)
        elif isinstance(e, ast.Unary):
            self.expr(e.operand)
        elif isinstance(e, (ast.Binary,)):
            self.expr(e.left)
            self.expr(e.right)
        elif isinstance(e, ast.Range):
            self.expr(e.start)
            self.expr(e.end)
        elif isinstance(e, ast.Call):
            self.expr(e.func)
            for a in e.args:
                self.expr(a.value)
        elif isinstance(e, ast.Member):
            self.expr(e.obj)
        elif isinstance(e, ast.Index):
            self.expr(e.obj)
            self.expr(e.index)
        elif isinstance(e, ast.Slice):
            self.expr(e.obj)
            for x in (e.start, e.end):
                if x is not None:
                    self.expr(x)
        elif isinstance(e, ast.Lambda):
            self.fn.has_closures = True
            self.function(e, e.params, e.body, e.is_async)
        elif isinstance(e, ast.Await):
            self.expr(e.value)
        elif isinstance(e, ast.Match):
            self.expr(e.subject)
            for arm in e.arms:
                self.scopes.append({})
                pat = arm.pattern
                if isinstance(pat, ast.ConfidencePattern):
                    self.expr(pat.low)
                    self.expr(pat.high)
                name = getattr(pat, "name", None)
                if name is not None and name != "_" and not isinstance(pat, ast.WildcardPattern):
                    self.declare(name, self.local_kind(), pat, reuse=False)
                if arm.guard is not None:
                    self.expr(arm.guard)
                if isinstance(arm.body, ast.Block):
                    self.block_body(arm.body.body)
                else:
                    self.expr(arm.body)
                self.scopes.pop()
        else:  # pragma: no cover
            raise CompileError(f"unsupported expression {type(e).__name__}", e.span)

    def builtin(self, e: ast.Name) -> Symbol:
        if e.id in BUILTINS:
            return Symbol(e.id, "builtin", None, e.id, None)
        if e.id in RUNTIME_GLOBALS:
            return Symbol(e.id, "runtime", None, e.id, None)
        known = [n for scope in self.scopes for n in scope] + list(BUILTINS) + list(RUNTIME_GLOBALS)
        close = difflib.get_close_matches(e.id, known, n=1)
        raise CompileError(f"undefined name '{e.id}'", e.span,
                           help=f"did you mean '{close[0]}'?" if close else None)


def resolve(module: ast.Module) -> Resolution:
    """Bind every name in `module`; raise CompileError for an undefined one."""
    return _Resolver(module).run()
