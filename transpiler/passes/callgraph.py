"""Which functions can recurse: the static call graph of a module's Prism functions.

Used by `lower` to decide where generated code needs the C stack guard
(`_rt.stack_check()`, see prism_runtime/core.pxd). A typed call is a C call that
Python's recursion limit never sees, so a function that can reach itself again
must check the stack; one that cannot does not pay for the check (the check also
costs a little, so it is worth leaving out).

    fn fib(n: int) -> int { ... fib(n - 1) ... }     guarded (calls itself)
    fn sq(x: float) -> float { x * x }               not guarded (calls nothing)
    fn apply(f, x) { f(x) }                          guarded (calls unknown code)

Where the check goes (`guard_position`): a frame only needs room before it calls
deeper, so the check sits just before the first top-level statement of the body
that contains a call. A base case that returns first pays nothing:

    fn fib(n: int) -> int {                 fn fib(n: int) -> int {
        if n < 2 { return n }       ->          if n < 2 { return n }
        return fib(n - 1) + ...                 <check the stack>
    }                                           return fib(n - 1) + ...

A function on a cycle of visible calls also gets a depth budget (see `lower`):
its body moves to `cdef inline _rec_NAME(int _depth, ...)`, which passes
`_depth - 1` to the cycle members it calls, and `NAME` stays a cpdef wrapper
that starts the budget at Python's recursion limit. The stack check alone would
let cheap frames (a few bytes each once gcc inlines the recursion into itself)
nest millions deep, and unwinding that many frames builds a traceback entry for
each. `inline` lets gcc inline the recursion under its larger budget for
declared-inline code; with both, fib stays within ~1.5x of C (bench/run_core.py).

A function may recurse when it lies on a cycle of the call graph, or calls
anything the compiler cannot see through (a function value, a Python callable,
a method of an untyped object), since that code may call back.
"""
from __future__ import annotations

from typing import Optional

from transpiler.front import ast
from transpiler.passes.infer import Typing
from transpiler.passes.resolve import Resolution
from transpiler.front.walk import descendants

_UNKNOWN = "unknown"
REC_PREFIX = "_rec_"        # a budgeted function's body; Prism names never start with `_` (escape.ident)
DEPTH_PARAM = "_depth"


def _callees(fn: ast.FnDecl, res: Resolution, ty: Typing) -> set:
    nodes = descendants(list(fn.body.body) + [p.default for p in fn.params])
    return {_target(node, res, ty) for node in nodes if isinstance(node, ast.Call)}


def _target(call: ast.Call, res: Resolution, ty: Typing):
    f = call.func
    if isinstance(f, ast.Name):
        sym = res.names.get(id(f))
        if sym is not None and sym.kind == "fn":
            return id(res.top_functions[sym.name])
        if sym is not None and sym.kind == "builtin":
            return None
        return _UNKNOWN
    if isinstance(f, ast.Member):
        if isinstance(f.obj, ast.Name):
            sym = res.names.get(id(f.obj))
            if sym is not None and sym.kind == "struct" and f.name == "new":
                return None
        ot = ty.of(f.obj)
        if ot.kind == "struct" and not ot.conf:
            method = ty.structs[ot.name].methods.get(f.name)
            return id(method) if method is not None else _UNKNOWN
        if ot.kind in ("string",) and not ot.conf:
            return None                 # string methods never call back into Prism code
    return _UNKNOWN


def _has_call(node) -> bool:
    return any(isinstance(n, ast.Call) for n in descendants([node]))


def guard_position(params, body: list) -> Optional[int]:
    """Index of the body statement the stack check goes before, or None if no statement calls.

    A default that calls puts the check first; so does `defer` (it wraps the rest of the body)."""
    if any(p.default is not None and _has_call(p.default) for p in params):
        return 0
    for i, stmt in enumerate(body):
        if isinstance(stmt, ast.Defer) or _has_call(stmt):
            return i
    return None


def _graph(module: ast.Module, res: Resolution, ty: Typing) -> dict:
    decls = [s for s in module.body if isinstance(s, ast.FnDecl)]
    for s in module.body:
        if isinstance(s, ast.StructDecl):
            decls.extend(s.methods)
    return {id(d): _callees(d, res, ty) for d in decls}


def _on_cycles(graph: dict) -> set:
    """Nodes that reach themselves."""
    found = set()
    for start in graph:
        seen, frontier = set(), [c for c in graph[start] if c in graph]
        while frontier:
            node = frontier.pop()
            if node == start:
                found.add(start)
                break
            if node in seen:
                continue
            seen.add(node)
            frontier.extend(c for c in graph.get(node, ()) if c in graph)
    return found


def recursive_functions(module: ast.Module, res: Resolution, ty: Typing) -> tuple:
    """(ids of the FnDecls, top-level and methods, that need the stack guard;
    ids of those that lie on a cycle of visible calls, the ones a depth budget can follow)."""
    graph = _graph(module, res, ty)
    cycles = _on_cycles(graph)
    return {node for node, callees in graph.items() if _UNKNOWN in callees} | cycles, cycles
