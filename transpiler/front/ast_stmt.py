"""Prism AST, statement side: statements, declarations (functions, structs, traits,
impls, operators, macros, imports) and the module node, as frozen dataclasses, plus
the table of overloadable operators.

`transpiler.front.ast` re-exports every name here; passes write `ast.X`. Builds on
`transpiler.front.ast_expr` (spans, node bases, expressions, type expressions).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Union

from transpiler.front.ast_expr import Arg, Expr, Node, Param, Span, Stmt, TypeApply, TypeExpr


# ---------------------------------------------------------------- statements

@dataclass(frozen=True, slots=True)
class Block(Node):
    body: tuple[Stmt, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Let(Stmt):
    name: str
    type: Optional[TypeExpr]
    value: Optional[Expr]
    is_const: bool
    span: Span


@dataclass(frozen=True, slots=True)
class Assign(Stmt):
    """target is a Name, Member or Index; op is "=", "+=", "-=", "*=", "/=", "%="."""
    target: Expr
    op: str
    value: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class ExprStmt(Stmt):
    expr: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Attribute(Node):
    """`#[benchmark]`, `#[test]`, `#[name(arg, key: value, ...)]`."""
    name: str
    args: tuple[Arg, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class TypeParam(Node):
    """`T`, `T: Bound`, `T: A + B ~0.9` in `fn f<...>`, `struct S<...>`, `trait T<...>`."""
    name: str
    bounds: tuple[TypeExpr, ...]
    confidence: Optional[Expr]
    span: Span


@dataclass(frozen=True, slots=True)
class FnDecl(Stmt):
    """A function or method. body None: a trait's required method. layers: the `~c` of the
    declarations around it (module, trait, impl, operator), outermost first."""
    name: str
    type_params: tuple[TypeParam, ...]
    params: tuple[Param, ...]
    return_type: Optional[TypeExpr]
    confidence: Optional[Expr]      # the `~0.9` of `fn f() ~0.9 { }`
    body: Optional[Block]
    is_async: bool
    attributes: tuple[Attribute, ...]
    layers: tuple[Expr, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Field(Node):
    """`name: T ~c = default`: values read from it have their confidence times c."""
    name: str
    type: Optional[TypeExpr]
    default: Optional[Expr]
    confidence: Optional[Expr]
    span: Span


@dataclass(frozen=True, slots=True)
class StructDecl(Stmt):
    """`struct S<T> ~c { fields, methods }`; a method may take `self` first or use `this`."""
    name: str
    type_params: tuple[TypeParam, ...]
    confidence: Optional[Expr]
    fields: tuple[Field, ...]
    methods: tuple[FnDecl, ...]
    macros: tuple["TypeApply", ...]     # `name<A, B>` members: declaration macros, expanded in place
    span: Span


@dataclass(frozen=True, slots=True)
class TraitDecl(Stmt):
    """`trait T<X> ~c { fn required(x: X) -> bool; fn provided() { } }`."""
    name: str
    type_params: tuple[TypeParam, ...]
    confidence: Optional[Expr]
    methods: tuple[FnDecl, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class ImplDecl(Stmt):
    """`impl Trait<A> for S ~c { methods }` (trait None: `impl S { methods }`)."""
    trait: Optional[TypeExpr]
    target: TypeExpr
    type_params: tuple[TypeParam, ...]
    confidence: Optional[Expr]
    methods: tuple[FnDecl, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class OperatorDecl(Stmt):
    """`operator + for A B -> R ~c { lhs .. rhs }` (binary) or `operator | for A -> R { value }`
    (unary). function holds the body as a function of `lhs, rhs` or `value`."""
    op: str
    operands: tuple[TypeExpr, ...]
    function: FnDecl
    span: Span


@dataclass(frozen=True, slots=True)
class MacroDecl(Stmt):
    """`macro name<p1, p2> ~c { body }`: body is raw source text (with its `{ }`), parsed
    at each expansion (transpiler.passes.macros); body_start is the (line, 0-based col) of its `{`."""
    name: str
    params: tuple[str, ...]
    confidence: Optional[Expr]
    body: str
    body_start: tuple[int, int]
    span: Span


@dataclass(frozen=True, slots=True)
class Return(Stmt):
    value: Optional[Expr]
    span: Span


@dataclass(frozen=True, slots=True)
class Break(Stmt):
    span: Span


@dataclass(frozen=True, slots=True)
class Continue(Stmt):
    span: Span


@dataclass(frozen=True, slots=True)
class Throw(Stmt):
    value: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class If(Stmt):
    cond: Expr
    then: Block
    orelse: Union[Block, "If", None]
    span: Span


@dataclass(frozen=True, slots=True)
class While(Stmt):
    cond: Expr
    body: Block
    span: Span


@dataclass(frozen=True, slots=True)
class For(Stmt):
    """`for x in e`, `for k, v in e` (two targets), `for await x in e`."""
    targets: tuple[str, ...]
    iterable: Expr
    body: Block
    is_await: bool
    span: Span


@dataclass(frozen=True, slots=True)
class CatchClause(Node):
    """`catch e ~c if guard { }` (name, confidence and guard each optional); `catch e: Kind`
    (or `catch Kind` for a built-in error kind, see builtins.ERROR_KINDS) catches that kind only."""
    name: Optional[str]
    kind: Optional[str]
    confidence: Optional[Expr]
    guard: Optional[Expr]
    body: Block
    span: Span


@dataclass(frozen=True, slots=True)
class Try(Stmt):
    """`try { } catch .. { } catch .. { } finally { }`: clauses tried in order."""
    body: Block
    catches: tuple[CatchClause, ...]
    finalbody: Optional[Block]
    span: Span


@dataclass(frozen=True, slots=True)
class CFor(Stmt):
    """`for (init; cond; step) { }`; `continue` runs the step."""
    init: Optional[Stmt]
    cond: Optional[Expr]
    step: Optional[Stmt]
    body: Block
    span: Span


@dataclass(frozen=True, slots=True)
class Defer(Stmt):
    expr: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class InBlock(Stmt):
    """`in ctx { }`: run body with ctx (a Context or a string) as current."""
    context: Expr
    body: Block
    span: Span


@dataclass(frozen=True, slots=True)
class ContextSegment(Node):
    name: str
    body: Block
    span: Span


@dataclass(frozen=True, slots=True)
class ContextShift(Stmt):
    """`in context A { } shift to B { } shift to A { }`."""
    segments: tuple[ContextSegment, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Verify(Stmt):
    """`verify against sources ["a", "b"] { }`: body in a child context `verify`."""
    sources: Expr
    body: Block
    span: Span


@dataclass(frozen=True, slots=True)
class AsyncBlock(Stmt, Expr):
    """`async ~c { }`: the body started at once as a task (the program waits for it). A
    statement, or an expression whose value is that task (`timeout(async { .. }, 5000)`)."""
    confidence: Optional[Expr]
    body: Block
    span: Span


@dataclass(frozen=True, slots=True)
class Uncertain(Stmt):
    """`uncertain if e { } medium { } low { }`."""
    subject: Expr
    high: Block
    medium: Optional[Block]
    low: Optional[Block]
    span: Span


@dataclass(frozen=True, slots=True)
class ImportName(Node):
    name: str
    alias: Optional[str]
    span: Span


@dataclass(frozen=True, slots=True)
class Import(Stmt):
    """`import { a, b as c } from "spec" ~c` (names) or `import m from "spec"` (default)."""
    names: tuple[ImportName, ...]
    default: Optional[str]
    source: str
    confidence: Optional[Expr]
    span: Span


@dataclass(frozen=True, slots=True)
class Module(Node):
    """A file. `module name ~c { }` around it gives name; exports is then the tuple of
    exported names (None: a file without `module` exports everything)."""
    body: tuple[Stmt, ...]
    path: str
    name: Optional[str]
    exports: Optional[tuple[str, ...]]
    span: Span


# Operators a program may overload (`operator + for A B`), each with the name of the
# Python protocol method its struct's class dispatches it through at run time.
BINARY_OPERATORS = {"+": "add", "-": "sub", "*": "mul", "/": "truediv", "%": "mod", "==": "eq", "!=": "ne",
                    "<": "lt", "<=": "le", ">": "gt", ">=": "ge", ".": "dot"}
UNARY_OPERATORS = {"|": "magnitude", "-": "neg"}
