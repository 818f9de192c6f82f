"""Prism abstract syntax tree: plain frozen dataclasses with source spans.

Built from parso's concrete tree by `transpiler.build_ast`; read by every
pass after it (`resolve`, `infer`, `check`, `lower`). Nodes carry no logic:
anything that computes over them lives in a pass.

Conventions
- Every node has a `span` (its last field). Lines and columns are 1-based,
  columns count code points, `end_col` is one past the last character.
- Operators are kept as their source spelling (`"+"`, `"~>"`, `"<~"`, `"&&"`).
- Optional children are `None`; sequences are tuples, never lists, so that
  nodes stay hashable.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Union


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
    """`(a, b) => a + b` (body an Expr) or `(a) => { ... }` (body a Block)."""
    params: tuple[Param, ...]
    body: Union[Expr, "Block"]
    is_async: bool
    span: Span


@dataclass(frozen=True, slots=True)
class Await(Expr):
    value: Expr
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
    """`v ~{0.8, 1.0}` (name "v") or `~{0.8, 1.0}` / `_ ~{..}` (name None)."""
    name: Optional[str]
    low: Expr
    high: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class MatchArm(Node):
    pattern: Pattern
    guard: Optional[Expr]
    body: Union[Expr, "Block"]
    span: Span


@dataclass(frozen=True, slots=True)
class Match(Expr):
    """`match e { p => x, ... }`; used as a statement via ExprStmt."""
    subject: Expr
    arms: tuple[MatchArm, ...]
    span: Span


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
    """`#[benchmark]`, `#[test]`, `#[name(arg, ...)]`."""
    name: str
    args: tuple[Expr, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class FnDecl(Stmt):
    name: str
    params: tuple[Param, ...]
    return_type: Optional[TypeExpr]
    confidence: Optional[Expr]      # the `~0.9` of `fn f() ~0.9 { }`
    body: Block
    is_async: bool
    attributes: tuple[Attribute, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Field(Node):
    name: str
    type: Optional[TypeExpr]
    default: Optional[Expr]
    span: Span


@dataclass(frozen=True, slots=True)
class StructDecl(Stmt):
    name: str
    fields: tuple[Field, ...]
    methods: tuple[FnDecl, ...]     # a method's first param is `self`
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
class Try(Stmt):
    body: Block
    catch_name: Optional[str]       # `catch e { }` -> "e"; `catch { }` -> None
    handler: Optional[Block]
    finalbody: Optional[Block]
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
    """`import { a, b as c } from "spec"` (names) or `import m from "spec"` (default)."""
    names: tuple[ImportName, ...]
    default: Optional[str]
    source: str
    span: Span


@dataclass(frozen=True, slots=True)
class Module(Node):
    body: tuple[Stmt, ...]
    path: str
    span: Span
