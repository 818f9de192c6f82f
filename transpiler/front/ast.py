"""Prism abstract syntax tree: plain frozen dataclasses with source spans.

Built from parso's concrete tree by `transpiler.front.build_ast`; read by every
pass after it (`resolve`, `infer`, `check`, `lower`). Nodes carry no logic:
anything that computes over them lives in a pass.

This module is the AST's one public name space: the nodes are defined in
`ast_expr` (spans, node bases, type expressions, expressions, patterns) and
`ast_stmt` (statements, declarations, the module) and re-exported here.

Conventions
- Every node has a `span` (its last field). Lines and columns are 1-based,
  columns count code points, `end_col` is one past the last character.
- Operators are kept as their source spelling (`"+"`, `"~>"`, `"<~"`, `"&&"`).
- Optional children are `None`; sequences are tuples, never lists, so that
  nodes stay hashable.
"""
from transpiler.front.ast_expr import (Span, Node, Expr, Stmt, Pattern, TypeExpr, TypeName, ArrayType,
    FnType, IntLit, FloatLit, StringLit, BoolLit, NullLit, TemplateString, Name, ArrayLit, ObjectEntry,
    ObjectLit, Unary, Binary, Range, Arg, Call, Member, Index, Slice, Param, Lambda, Await, Tagged, Promise,
    StructLit, Path, MacroCall, TypeApply, LiteralPattern, WildcardPattern, BindingPattern,
    ConfidencePattern, ArrayPattern, AndPattern, OrPattern, ContextPattern, CtorPattern, MatchArm, Match)
from transpiler.front.ast_stmt import (Block, Let, Assign, ExprStmt, Attribute, TypeParam, FnDecl, Field,
    StructDecl, TraitDecl, ImplDecl, OperatorDecl, MacroDecl, Return, Break, Continue, Throw, If, While, For,
    CatchClause, Try, CFor, Defer, InBlock, ContextSegment, ContextShift, Verify, AsyncBlock, Uncertain,
    ImportName, Import, Module, BINARY_OPERATORS, UNARY_OPERATORS)

__all__ = ["Span", "Node", "Expr", "Stmt", "Pattern", "TypeExpr", "TypeName", "ArrayType", "FnType",
           "IntLit", "FloatLit", "StringLit", "BoolLit", "NullLit", "TemplateString", "Name", "ArrayLit",
           "ObjectEntry", "ObjectLit", "Unary", "Binary", "Range", "Arg", "Call", "Member", "Index", "Slice",
           "Param", "Lambda", "Await", "Tagged", "Promise", "StructLit", "Path", "MacroCall", "TypeApply",
           "LiteralPattern", "WildcardPattern", "BindingPattern", "ConfidencePattern", "ArrayPattern",
           "AndPattern", "OrPattern", "ContextPattern", "CtorPattern", "MatchArm", "Match", "Block", "Let",
           "Assign", "ExprStmt", "Attribute", "TypeParam", "FnDecl", "Field", "StructDecl", "TraitDecl",
           "ImplDecl", "OperatorDecl", "MacroDecl", "Return", "Break", "Continue", "Throw", "If", "While",
           "For", "CatchClause", "Try", "CFor", "Defer", "InBlock", "ContextSegment", "ContextShift",
           "Verify", "AsyncBlock", "Uncertain", "ImportName", "Import", "Module", "BINARY_OPERATORS",
           "UNARY_OPERATORS"]
