"""Generic traversal of the AST, shared by the passes.

`children` yields a node's direct child nodes in field order, `descendants`
every node below some roots (used by `callgraph` and `lower` to search
subtrees); `context_parts` gives the
expressions and blocks of the three context statements, which `resolve`,
`infer` and `check` each visit the same way:

    in ctx { a }                      -> ([ctx], [{ a }])
    uncertain if x { a } low { b }    -> ([x], [{ a }, { b }])
"""
from __future__ import annotations

from typing import Iterator

from transpiler import ast

CONTEXT_STATEMENTS = (ast.InBlock, ast.ContextShift, ast.Uncertain)


def children(node) -> Iterator[ast.Node]:
    for name in getattr(node, "__slots__", ()):
        value = getattr(node, name, None)
        if isinstance(value, ast.Node):
            yield value
        elif isinstance(value, tuple):
            for item in value:
                if isinstance(item, ast.Node):
                    yield item


def descendants(roots, skip: tuple = ()) -> Iterator[ast.Node]:
    """Every node in the subtrees of `roots` (the roots included), depth first; a node of
    a type in `skip` is yielded but not entered."""
    stack = [r for r in roots if r is not None]
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, skip):
            stack.extend(children(node))


def context_parts(s) -> tuple:
    """(expressions, blocks) of an `in`, `shift to` or `uncertain if` statement, in source order."""
    if isinstance(s, ast.InBlock):
        return [s.context], [s.body]
    if isinstance(s, ast.ContextShift):
        return [], [seg.body for seg in s.segments]
    return [s.subject], [b for b in (s.high, s.medium, s.low) if b is not None]
