"""Prism abstract syntax tree: plain frozen dataclasses with source spans.

Built from parso's concrete tree by `transpiler.front.build_ast`; read by every
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
class AsyncBlock(Stmt):
    """`async ~c { }`: the body started at once as a task (the program waits for it)."""
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
