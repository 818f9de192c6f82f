"""Prism AST, expression side: spans, the node base classes, type expressions,
expressions and patterns (frozen dataclasses; see `transpiler.front.ast` for the
conventions every node follows).

`transpiler.front.ast` re-exports every name here; passes write `ast.X`. Statements
and declarations live in `transpiler.front.ast_stmt` (imported here for type checkers
only: a lambda's or match arm's body may be a Block).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional, Union

if TYPE_CHECKING:
    from transpiler.front.ast_stmt import Block


@dataclass(frozen=True, slots=True)
class Span:
    line: int
    col: int
    end_line: int
    end_col: int


class Node:
    """Marker base class for every AST node."""
    __slots__ = ()


class Expr(Node):
    __slots__ = ()


class Stmt(Node):
    __slots__ = ()


class Pattern(Node):
    __slots__ = ()


class TypeExpr(Node):
    __slots__ = ()


# ---------------------------------------------------------------- types

@dataclass(frozen=True, slots=True)
class TypeName(TypeExpr):
    """`int`, `Point`, `HashMap<string, int>` (args empty when not generic)."""
    name: str
    args: tuple[TypeExpr, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class ArrayType(TypeExpr):
    """`[T]` or `T[]`."""
    element: TypeExpr
    span: Span


@dataclass(frozen=True, slots=True)
class FnType(TypeExpr):
    """`fn(T, U) -> R`."""
    params: tuple[TypeExpr, ...]
    result: Optional[TypeExpr]
    span: Span


# ---------------------------------------------------------------- expressions

@dataclass(frozen=True, slots=True)
class IntLit(Expr):
    value: int
    span: Span


@dataclass(frozen=True, slots=True)
class FloatLit(Expr):
    value: float
    span: Span


@dataclass(frozen=True, slots=True)
class StringLit(Expr):
    value: str          # escapes already decoded
    span: Span


@dataclass(frozen=True, slots=True)
class BoolLit(Expr):
    value: bool
    span: Span


@dataclass(frozen=True, slots=True)
class NullLit(Expr):
    span: Span


@dataclass(frozen=True, slots=True)
class TemplateString(Expr):
    """`` `a ${x} b` `` -> parts ("a ", Name(x), " b"); text parts decoded."""
    parts: tuple[Union[str, Expr], ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Name(Expr):
    id: str
    span: Span


@dataclass(frozen=True, slots=True)
class ArrayLit(Expr):
    elements: tuple[Expr, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class ObjectEntry(Node):
    key: str            # `a: 1` and `"a": 1` both give key "a"
    value: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class ObjectLit(Expr):
    entries: tuple[ObjectEntry, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Unary(Expr):
    op: str             # "-", "+", "!", "<~"
    operand: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Binary(Expr):
    """Arithmetic, comparison, logical and confidence operators.

    op is one of: + - * / % ** == != < <= > >= && || ~> ~?? ~||> ~@>
    """
    op: str
    left: Expr
    right: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Range(Expr):
    """`a..b` (end excluded) or `a..=b` (inclusive=True)."""
    start: Expr
    end: Expr
    inclusive: bool
    span: Span


@dataclass(frozen=True, slots=True)
class Arg(Node):
    name: Optional[str]     # `f(max_size: 10)` -> "max_size"
    value: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Call(Expr):
    func: Expr
    args: tuple[Arg, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Member(Expr):
    obj: Expr
    name: str
    span: Span


@dataclass(frozen=True, slots=True)
class Index(Expr):
    obj: Expr
    index: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Slice(Expr):
    obj: Expr
    start: Optional[Expr]
    end: Optional[Expr]
    span: Span


@dataclass(frozen=True, slots=True)
class Param(Node):
    name: str
    type: Optional[TypeExpr]
    default: Optional[Expr]
    span: Span


@dataclass(frozen=True, slots=True)
class Lambda(Expr):
    """`(a, b) => a + b`, `|a, b| a + b` (body an Expr) or `(a) => { ... }`, `|a| { ... }`,
    `fn(a: int) -> int ~0.9 { ... }` (body a Block)."""
    params: tuple[Param, ...]
    body: Union[Expr, "Block"]
    is_async: bool
    return_type: Optional[TypeExpr]
    confidence: Optional[Expr]
    span: Span


@dataclass(frozen=True, slots=True)
class Await(Expr):
    """`await e`; `await ~c e` (confidence c) is `(await e) ~> c`."""
    value: Expr
    confidence: Optional[Expr]
    span: Span


@dataclass(frozen=True, slots=True)
class Tagged(Expr):
    """`in "source_a" 0.85`: value evaluated inside the context and tagged with it."""
    context: Expr
    value: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Promise(Expr):
    """`promise ~c e`: an already resolved awaitable of `e ~> c`."""
    confidence: Expr
    value: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class StructLit(Expr):
    """`Point { x: 1.0, y: 2.0 }` (type_args from `Box<int> { .. }`)."""
    name: str
    type_args: tuple[TypeExpr, ...]
    entries: tuple[ObjectEntry, ...]
    name_span: Span
    span: Span


@dataclass(frozen=True, slots=True)
class Path(Expr):
    """`Type::name` or `Trait::value` (type_args from `Container<f64>::new`)."""
    owner: str
    type_args: tuple[TypeExpr, ...]
    name: str
    span: Span


@dataclass(frozen=True, slots=True)
class MacroCall(Expr):
    """`name!(args)`: a macro invocation (a user's macro, or a built-in one such as `debug!`);
    the macro pass replaces it (transpiler.passes.macros)."""
    name: str
    args: tuple[Arg, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class TypeApply(Expr):
    """`name<A, B>` standing alone: a declaration macro's invocation (see macros)."""
    name: str
    args: tuple[TypeExpr, ...]
    span: Span


# ---------------------------------------------------------------- patterns

@dataclass(frozen=True, slots=True)
class LiteralPattern(Pattern):
    value: Expr         # IntLit, FloatLit (possibly negated via Unary "-"), StringLit, BoolLit, NullLit
    span: Span


@dataclass(frozen=True, slots=True)
class WildcardPattern(Pattern):
    span: Span


@dataclass(frozen=True, slots=True)
class BindingPattern(Pattern):
    name: str
    span: Span


@dataclass(frozen=True, slots=True)
class ConfidencePattern(Pattern):
    """`v ~{0.8, 1.0}` (name "v") or `~{0.8, 1.0}` / `_ ~{..}` (name None); `Some(v) ~{..}`
    tests a constructor pattern (inner) as well."""
    name: Optional[str]
    low: Expr
    high: Expr
    inner: Optional[Pattern]
    span: Span


@dataclass(frozen=True, slots=True)
class ArrayPattern(Pattern):
    """`[a, b ~{0.8, 1.0}, _]` (exact length) or `[x, ...rest]` (rest: the name, "" for `...`)."""
    elements: tuple[Pattern, ...]
    rest: Optional[str]
    span: Span


@dataclass(frozen=True, slots=True)
class AndPattern(Pattern):
    """`p & q`: both match."""
    left: Pattern
    right: Pattern
    span: Span


@dataclass(frozen=True, slots=True)
class OrPattern(Pattern):
    """`p | q`: either matches (both sides bind the same names)."""
    left: Pattern
    right: Pattern
    span: Span


@dataclass(frozen=True, slots=True)
class ContextPattern(Pattern):
    """`in "name" p` (tag is a StringLit) or `in ctx p` (binding "ctx"); inner may be None."""
    tag: Optional[Expr]
    binding: Optional[str]
    inner: Optional[Pattern]
    span: Span


@dataclass(frozen=True, slots=True)
class CtorPattern(Pattern):
    """`Some(v)`, `Ok(v)`, `Error(e)`: a constructor and its argument patterns."""
    name: str
    args: tuple[Pattern, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class MatchArm(Node):
    """body: an Expr, a Block, or a Return/Throw/Break/Continue written without braces."""
    pattern: Pattern
    guard: Optional[Expr]
    body: Union[Expr, "Block", "Stmt"]
    span: Span


@dataclass(frozen=True, slots=True)
class Match(Expr):
    """`match e { p => x, ... }`; used as a statement via ExprStmt."""
    subject: Expr
    arms: tuple[MatchArm, ...]
    span: Span
