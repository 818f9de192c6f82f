"""Generic traversal of the AST, shared by the passes.

`Visitor` is the passes' base class (as `ast.NodeVisitor` is Python's):
`visit(node)` calls `visit_<ClassName>(node)` when the pass defines it, else
`generic_visit(node)`, which visits the node's children in field order. A new
node kind is therefore written once in `ast.py`/`build_ast.py`, and a pass
only mentions it where it gives it a meaning.

    class CountCalls(Visitor):
        def __init__(self): self.n = 0
        def visit_Call(self, node):
            self.n += 1
            self.generic_visit(node)     # and the calls in its arguments

`children` yields a node's direct child nodes in field order (strings and
other plain values are skipped, tuples are entered), `descendants` every node
below some roots.
"""
from __future__ import annotations

from typing import Iterator

from transpiler.front import ast


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


class Visitor:
    """Dispatch on the node's class name; see the module docstring."""

    _dispatch: dict = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._dispatch = {}

    def visit(self, node):
        kind = type(node)
        method = self._dispatch.get(kind)
        if method is None:
            method = getattr(type(self), "visit_" + kind.__name__, None) or type(self).generic_visit
            self._dispatch[kind] = method
        return method(self, node)

    def generic_visit(self, node):
        for child in children(node):
            self.visit(child)

    def visit_all(self, nodes):
        for node in nodes:
            if node is not None:
                self.visit(node)
