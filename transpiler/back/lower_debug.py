"""Lowering for debugging: the debug macros, traced sites, and the tracing attributes.

A mixin of `lower.Lowerer`. In a **debug build** (`BuildOptions.debug`: `prism run
--debug`, `prism build --debug`, `prism inspect`, `prism profile --confidence`)
the generated module holds one `prism_runtime.trace.ModuleTrace` (`_ptrace`),
and these constructs call it with the index of a *site* (its kind, line,
function and label, registered once per module) instead of the plain runtime:

    x ~> 0.8                 _cf.with_conf(x, 0.8)      ->  _ptrace.with_conf(x, 0.8, 3)
    return v   (fn f ~0.9)   _cf.scale(v, 0.9)          ->  _ptrace.scale(v, 0.9, 4)
    a * b      (confident)   _rt.mul(a, b)              ->  _ptrace.binary(2, a, b, 5)
    in ctx { }               _cx.enter(ctx) / exit      ->  _ptrace.enter(ctx, 6) / exit
    catch e { }                                             _ptrace.caught(e, 7) first
    fn body                                                 try: ... except: _ptrace.unwinding(e, 8, locals())
    debug!("x = {}", x)                                     _ptrace.macro('debug', 9, (..,))

so values carry the trail of factors that made their confidence, and an uncaught
error knows each frame's locals. Debug builds also keep confident scalars boxed
(`lower_expr.ExprLowering.rep`), so every confident value is an object that can
carry its trail, and leave recursion unbudgeted (plain functions, one frame each).

In a **release build** the debug macros lower to nothing: a macro statement
disappears, a macro used as a value is `null`; their arguments are not evaluated
(they are still resolved and checked, so both builds accept the same programs).

In any build, a function carrying `#[confidence_break(..)]` checks each value its
`let`s and assignments bind and the value it returns, and one carrying
`#[trace_context_transitions]` or `#[trace_context(..)]` lowers its context
blocks through the tracer with logging flags; such a module gets a tracer too.

Talks to `ir` (the nodes made here), `builtins.DEBUG_MACROS`, and the runtime's
`trace.pxd` (the methods called).
"""
from __future__ import annotations

from typing import Optional

from transpiler.front import ast
from transpiler.back import ir
from transpiler.passes.builtins import DEBUG_MACROS
from transpiler.front.diagnostics import CompileError

TRACE = "_ptrace"
# `_core` op codes of trace.ModuleTrace.binary (core.pyx `_binary`).
OP_CODES = {"+": 0, "-": 1, "*": 2, "/": 3, "%": 4, "**": 5, "==": 6, "!=": 7, "<": 8, "<=": 9, ">": 10, ">=": 11}
# Site flags (trace.pyx).
LOG_TRANSITIONS, LOG_STACK, LOG_VARIABLES = 1, 2, 4
TRACE_ATTRIBUTES = ("trace_context_transitions", "trace_context")
BREAK_ATTRIBUTE = "confidence_break"


def attribute_named(fn, name: str) -> Optional[ast.Attribute]:
    for a in getattr(fn, "attributes", ()) or ():
        if a.name == name:
            return a
    return None


def needs_tracer(module: ast.Module) -> bool:
    """Does a release build of module need a tracer (a function with a tracing attribute)?"""
    from transpiler.front.walk import descendants
    return any(isinstance(n, ast.FnDecl) and any(a.name in TRACE_ATTRIBUTES + (BREAK_ATTRIBUTE,)
                                                  for a in n.attributes)
               for n in descendants(module.body))


def is_debug_macro(e) -> bool:
    return isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id in DEBUG_MACROS


class DebugLowering:
    """Mixin: needs self.debug, self.traced, self.sites, self.source_lines, self.state."""

    # ------------------------------------------------------------ sites
    def site(self, kind: str, line: int, label: str = "", flags: int = 0, names: tuple = ()) -> ir.Lit:
        self.sites.append(ir.TraceSite(kind, line, self.function_label(), label, flags, names))
        return ir.Lit(len(self.sites) - 1)

    def function_label(self) -> str:
        node = self.state.node
        if node is self.module:
            return "<top level>"
        if isinstance(node, ast.FnDecl):
            return node.name
        if isinstance(node, ast.AsyncBlock):
            return "<async block>"
        return "<closure>"

    def source_text(self, span, limit: int = 60) -> str:
        """The source of span (its first line), shortened, for a site's label."""
        if span is None or not self.source_lines or span.line > len(self.source_lines):
            return ""
        line = self.source_lines[span.line - 1]
        end = span.end_col - 1 if span.end_line == span.line else len(line)
        text = line[span.col - 1:end].strip()
        return text if len(text) <= limit else text[:limit - 3] + "..."

    def trace_call(self, method: str, args: list) -> ir.Expr:
        return ir.RtCall(TRACE, method, args)

    # ------------------------------------------------------------ confidence sites
    def traced_with_conf(self, value: ir.Expr, factor: ir.Expr, e) -> ir.Expr:
        """`e ~> c`."""
        if not self.debug:
            return ir.RtCall("_cf", "with_conf", [value, factor])
        label = "`" + self.source_text(e.span) + "`"
        return self.trace_call("with_conf", [value, factor, self.site("~>", e.span.line, label)])

    def traced_scale(self, value: ir.Expr, factor: ir.Expr, line: int) -> ir.Expr:
        """A function's `~c` (and the layers around it) applied to a returned value."""
        if not self.debug:
            return ir.RtCall("_cf", "scale", [value, factor])
        factor_text = _number(factor.value) if isinstance(factor, ir.Lit) and isinstance(factor.value, (int, float)) \
            else "(computed)"
        label = f"fn {self.function_label()} ~{factor_text}"
        return self.trace_call("scale", [value, factor, self.site("fn", line, label)])

    def traced_generic(self, op: str, left: ir.Expr, right: ir.Expr, generic: str, e, lt, rt) -> ir.Expr:
        """A generic operation: traced in debug builds when an operand may carry confidence."""
        plain = ir.RtCall("_rt", generic, [left, right])
        if not self.debug or e is None or op not in OP_CODES or \
                not (lt.conf or rt.conf or lt.kind == "any" or rt.kind == "any"):
            return plain
        label = "`" + self.source_text(e.span) + "`"
        return self.trace_call("binary", [ir.Lit(OP_CODES[op]), left, right, self.site("op", e.span.line, label)])

    # ------------------------------------------------------------ debug macros
    def debug_macro(self, name: str, e) -> ir.Expr:
        if not self.debug:
            return ir.Lit(None)
        args = ir.TupleDisplay([self.boxed(a.value) for a in e.args])
        return self.trace_call("macro", [ir.Lit(name.rstrip("!")), self.site("macro", e.span.line, name), args])

    # ------------------------------------------------------------ contexts
    def context_trace_flags(self) -> int:
        """Logging flags of the function being lowered (its tracing attributes)."""
        return self.state.trace_flags

    def traced_context(self) -> bool:
        return self.debug or bool(self.context_trace_flags())

    def context_enter(self, ctx_value: ir.Expr, line: int, kind: str = "enter", label: str = "") -> ir.Expr:
        flags = self.context_trace_flags()
        return self.trace_call("enter", [ctx_value, self.site(kind, line, label, flags)])

    def context_exit(self, token: str, line: int, shifted: bool = False) -> ir.Expr:
        """Leaving a context block; `shifted`: a `shift to` follows (its line reports the leaving)."""
        kind = "shifted" if shifted else "leave"
        return self.trace_call("exit", [ir.Var(token), self.site(kind, line, "", self.context_trace_flags())])

    def context_variables(self, token: str, body: ast.Block, line: int) -> list:
        """`#[trace_context(variables: true)]`: the block's own `let`s, shown as it ends."""
        if not self.context_trace_flags() & LOG_VARIABLES:
            return []
        pairs = []
        for s in body.body:
            if isinstance(s, ast.Let) and id(s) in self.res.decls:
                sym = self.res.decls[id(s)]
                pairs.append((s.name, self.boxed_symbol(sym)))
        site = self.site("variables", line)
        return [ir.ExprStmt(self.trace_call("block_variables", [ir.Var(token), site, ir.ObjDisplay(pairs)]), line)]

    def boxed_symbol(self, sym) -> ir.Expr:
        from transpiler.back.lower_expr import STRUCTS
        value = ir.Var(self.py_name(sym))
        rep = self.sym_ctype(sym)
        return ir.RtCall("_cf", "box_" + rep[4:], [value]) if rep in STRUCTS else value

    # ------------------------------------------------------------ errors and frames
    def caught_note(self, exc: str, line: int) -> list:
        if not self.debug:
            return []
        return [ir.ExprStmt(self.trace_call("caught", [ir.Var(exc), self.site("catch", line)]), line)]

    def frame_names(self, scope) -> tuple:
        """(py name, Prism name, line declared) of a function's parameters (line 0) and variables,
        for its locals (trace.visible_locals shows those declared before the frame's line)."""
        return tuple((s.py_name, s.name, _declared_line(s.decl)) for s in scope.symbols
                     if s.kind == "local" and s.name not in ("self", "this"))

    def with_unwinding(self, py_name: str, scope, stmts: list, line: int) -> list:
        """Debug builds: a function body that, when an error leaves it, hands its locals to the
        error (the call stack printed by `prism run --debug`). py_name: the generated function's
        name (its traceback frame's), "" for a closure named later."""
        if not self.debug:
            return stmts
        head = [s for s in stmts if isinstance(s, ir.Scope)]
        body = [s for s in stmts if not isinstance(s, ir.Scope)]
        exc = self.temp("_px")
        site = self.site("frame", line, py_name, names=self.frame_names(scope))
        note = ir.ExprStmt(self.trace_call("unwinding", [ir.Var(exc), site, ir.Call(ir.Var("locals"), [])]), line)
        return head + [ir.Try(body or [ir.ExprStmt(ir.Lit(None), line)], exc, [note, ir.Raise(None, line)], None, line)]

    # ------------------------------------------------------------ #[confidence_break]
    def break_spec(self, fn) -> Optional[tuple]:
        """(threshold, message, action) IR of a function's `#[confidence_break(..)]`, or None."""
        attr = attribute_named(fn, BREAK_ATTRIBUTE)
        if attr is None:
            return None
        named = {a.name: a.value for a in attr.args if a.name is not None}
        positional = [a.value for a in attr.args if a.name is None]
        unknown = set(named) - {"threshold", "message", "action"}
        if unknown:
            raise CompileError(f"confidence_break has no argument '{sorted(unknown)[0]}'", attr.span,
                               help="its arguments are threshold, message and action (\"pause\" or \"log\")")
        threshold = named.get("threshold", positional[0] if positional else None)
        if threshold is None:
            raise CompileError("confidence_break needs a threshold", attr.span,
                               help="write #[confidence_break(0.5)] or #[confidence_break(threshold: 0.5)]")
        action = named.get("action")
        if isinstance(action, ast.StringLit) and action.value not in ("pause", "log"):
            raise CompileError(f"confidence_break action must be \"pause\" or \"log\", not \"{action.value}\"",
                               action.span)
        message = named.get("message", positional[1] if len(positional) > 1 else None)
        return (self.boxed(threshold), self.boxed(message) if message is not None else ir.Lit(None),
                self.boxed(action) if action is not None else ir.Lit("log"))

    def break_check(self, value: ir.Expr, label: str, line: int) -> list:
        """The check after a binding (or before a return) in a function with a breakpoint."""
        spec = self.state.break_spec
        if spec is None:
            return []
        threshold, message, action = spec
        frame = ir.Call(ir.Var("locals"), []) if self.debug else ir.Lit(None)
        site = self.site("break", line, label, names=self.frame_names(self.state.scope))
        return [ir.ExprStmt(self.trace_call("check_break", [value, site, threshold, message, action, frame]), line)]

    def break_after_binding(self, sym, line: int) -> list:
        if self.state.break_spec is None:
            return []
        return self.break_check(self.boxed_symbol(sym), sym.name, line)

    def setup_function_tracing(self, node) -> None:
        """Called with the new FnState of a function: its attributes' tracing and breakpoint."""
        flags = 0
        for attr in getattr(node, "attributes", ()) or ():
            if attr.name == "trace_context_transitions":
                flags |= LOG_TRANSITIONS
            elif attr.name == "trace_context":
                flags |= _trace_context_flags(attr)
        self.state.trace_flags = flags
        self.state.break_spec = self.break_spec(node) if isinstance(node, ast.FnDecl) else None


def _trace_context_flags(attr: ast.Attribute) -> int:
    """`#[trace_context(transitions: true, stack: true, variables: true)]` (no arguments: transitions)."""
    if not attr.args:
        return LOG_TRANSITIONS
    bits = {"transitions": LOG_TRANSITIONS, "stack": LOG_STACK, "variables": LOG_VARIABLES}
    flags = 0
    for a in attr.args:
        if a.name not in bits:
            raise CompileError(f"trace_context has no argument '{a.name}'" if a.name else
                               "trace_context takes named arguments", a.span,
                               help="write #[trace_context(transitions: true, stack: true, variables: true)]")
        if not isinstance(a.value, ast.BoolLit):
            raise CompileError(f"trace_context: '{a.name}' must be true or false", a.value.span)
        if a.value.value:
            flags |= bits[a.name]
    # Stack and variables are reported at transitions, so asking for them logs those too.
    return flags | LOG_TRANSITIONS if flags else 0


def _number(x) -> str:
    return f"{x:.6g}"


def _declared_line(decl) -> int:
    """Where a variable is declared; 0 for a parameter (visible from the function's start)."""
    node = decl[0] if isinstance(decl, tuple) and decl else decl
    span = getattr(node, "span", None)
    return 0 if isinstance(node, ast.Param) or span is None else span.line
