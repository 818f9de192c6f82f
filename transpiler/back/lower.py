"""Lowering: typed AST to the IR view models that the templates render.

Input: `ast.Module`, `resolve.Resolution`, `infer.Typing`. Output: `ir.Module`.
Expressions are lowered by the `lower_expr.ExprLowering` mixin, functions,
methods and structs by `lower_fn.CallableLowering`, branches, loops and
`try` by `lower_flow.FlowLowering`, `match` by `lower_match.MatchLowering`;
this module handles the module layout, blocks, simple statements and
context blocks.

    while i < n {                       while (i < n):  # @L4
        total += xs[i]                      _rt.list_float_at_into(&_ph1, xs, i)  # @L5
        i += 1                              total = (total + _ph1)  # @L5
    }                                       _rt.i_add_into(&_ph2, i, 1)  # @L6
                                            i = _ph2  # @L6

Choices made here:
- `defer e` wraps the rest of its block in try/finally, so deferred calls run
  last-first, also on errors.
- Top-level code stays module-level; if it awaits, it runs inside an
  `async def` driven by the runtime's event loop helper.
"""
from __future__ import annotations

from typing import Optional

from transpiler.front import ast
from transpiler.back import ir
from transpiler.passes import types as T
from transpiler.passes.builtins import runtime_source
from transpiler.passes.modules import locate
from transpiler.passes.callgraph import DEPTH_PARAM, recursive_functions
from transpiler.passes.escape import ident
from transpiler.passes.infer import Typing
from transpiler.passes.typerules import arith_type
from transpiler.back.lower_calls import CallLowering
from transpiler.back.lower_expr import CONF_STRUCT, TENSOR_VIEW, ExprLowering
from transpiler.back.lower_match import MatchLowering
from transpiler.back.lower_fn import CallableLowering, FnState
from transpiler.back.lower_flow import FlowLowering
from transpiler.back.lower_debug import DebugLowering, is_debug_macro, needs_tracer
from transpiler.passes.resolve import Resolution, Symbol
from transpiler.front.walk import descendants


class Lowerer(FlowLowering, CallableLowering, CallLowering, MatchLowering, DebugLowering, ExprLowering):
    def __init__(self, module: ast.Module, res: Resolution, ty: Typing, module_name: str, typed: bool = True,
                 stack_guard: bool = True, debug: bool = False, source: Optional[str] = None):
        self.module, self.res, self.ty = module, res, ty
        self.debug = debug                   # a debug build: macros, traced sites (lower_debug)
        self.sites: list = []                # ir.TraceSite, indexed by the generated code
        self.source_lines = source.splitlines() if source is not None else []
        self.module_name = module_name
        self.typed = typed
        self.pre: list = []
        self.used_runtime: set = set()
        self.temp_counter = 0
        self.fn_scope = res.module_scope
        self.state = FnState(res.module_scope, module, T.ANY, None, False)
        self.stack_guard = stack_guard
        # ids of FnDecls needing the stack guard, and of those on a cycle of visible calls
        self.recursive, self.cycles = recursive_functions(module, res, ty)
        self.budgeted: set = set()          # ids of functions lowered with a depth budget (see callgraph)
        self.reps: dict = {}                 # id(ast expr) -> representation (see ExprLowering.rep)
        self.tensor_params: set = set()      # tensor parameters passed as typed memoryviews
        self.synthesized: list = []          # AST nodes made here (kept alive: reps are keyed by id)
        self.uses_arrays = False             # generated code calls prism_runtime.arrays (_ar)
        self.unboxed: dict = {}              # id(ArrayLit) -> 'd'/'q': built as a NumArray (unboxing)

    # ------------------------------------------------------------ helpers
    def temp(self, prefix: str = "_pt") -> str:
        self.temp_counter += 1
        name = f"{prefix}{self.temp_counter}"
        self.state.temps.append(name)
        return name

    def c_temp(self, ctype: str) -> str:
        """A temporary of a C type (only inside typed functions, which declare their locals)."""
        self.temp_counter += 1
        name = f"_pt{self.temp_counter}"
        self.state.c_temps.append((name, ctype))
        return name

    def py_name(self, sym: Symbol) -> str:
        """The name generated code uses for sym here (a converted parameter's typed local)."""
        return self.state.renamed.get(sym, sym.py_name)

    def sym_type(self, sym: Symbol) -> T.Type:
        return self.ty.sym(sym) if self.typed else T.ANY

    def sym_ctype(self, sym: Symbol) -> str:
        if sym in self.tensor_params:
            return TENSOR_VIEW
        if not self.typed or sym.kind != "local" or sym.captured or not self.state.typed_locals:
            return "object"
        t = self.ty.sym(sym)
        if t.conf and t.kind in CONF_STRUCT and isinstance(sym.decl, ast.Let) and not self.debug:
            return CONF_STRUCT[t.kind]          # a confident scalar local travels unboxed (debug builds box it)
        return T.ctype_of(t)

    # ------------------------------------------------------------ module
    def run(self) -> ir.Module:
        imports, structs, functions = [], [], []
        self.budgeted = {id(s) for s in self.module.body if isinstance(s, ast.FnDecl) and self.takes_budget(s)}
        self.budgeted |= {id(m) for s in self.module.body if isinstance(s, ast.StructDecl)
                          for m in s.methods if self.takes_budget(m, method=True)}
        for stmt in self.module.body:
            if isinstance(stmt, ast.Import):
                imports.extend(self.import_(stmt))
        for stmt in self.module.body:
            if isinstance(stmt, ast.StructDecl):
                structs.append(self.struct(stmt))
            elif isinstance(stmt, ast.FnDecl) and id(stmt) in self.budgeted:
                functions.extend(self.budgeted_function(stmt))
            elif isinstance(stmt, ast.FnDecl):
                functions.append(self.function(stmt))
            elif isinstance(stmt, ast.OperatorDecl):
                functions.append(self.operator_function(stmt))
        top_stmts = [s for s in self.module.body if not isinstance(s, _DECLARATIONS)]
        self.fn_scope = self.res.module_scope
        self.state = FnState(self.res.module_scope, self.module, T.ANY, None, False)
        toplevel = self.block(top_stmts, result=RESULT_NAME)
        is_async = _contains_await(top_stmts)
        # Names the awaiting top level assigns; never functions (cpdef names cannot be `global`).
        top_globals = sorted({s.py_name for s in self.res.module_scope.symbols if s.kind == "global"}
                             | set(self.state.temps))
        for name in sorted(self.used_runtime):
            module, attr = runtime_source(name)
            imports.append(ir.PyImport("_pr_" + name, module, attr, 0))
        main = self.res.top_functions.get("main")
        # Names mangled away from keywords are also published under their Prism spelling,
        # so Python callers can getattr(module, "class"); shadowing renames are private.
        # Only names declared by top-level statements: a `let` inside a block may never run.
        top_decls = {id(s) for s in self.module.body}
        exports = [(s.name, s.py_name) for s in self.res.module_scope.symbols
                   if s.py_name != s.name and s.py_name == ident(s.name) and s.kind in ("fn", "struct", "global")
                   and id(s.decl) in top_decls]
        traced = self.debug or bool(self.sites) or needs_tracer(self.module)
        return ir.Module(self.module_name, self.module.path, imports, structs, functions, toplevel,
                         is_async, top_globals, self.res.decls[id(main)].py_name if main else None, exports,
                         uses_tensor_views=bool(self.tensor_params), trace_sites=self.sites if traced else None,
                         debug=self.debug, uses_arrays=self.uses_arrays)

    def import_(self, s: ast.Import) -> list:
        info = self.res.imports.get(id(s))
        if info is None:
            info = locate(self.module.path, s.source)
        kind = "prism" if info.kind == "prism" else "python"
        # `import {..} from ".." ~c`: the imported functions' results carry c too (literal only
        # here; a computed factor is applied by the import itself at run time).
        factor = self.boxed(s.confidence) if s.confidence is not None else None
        out = []
        if s.default is not None:
            sym = self.res.decls[id(s)]
            out.append(ir.PyImport(sym.py_name, info.target, None, s.span.line, kind, factor))
        for item in s.names:
            sym = self.res.decls[id(item)]
            out.append(ir.PyImport(sym.py_name, info.target, item.name, s.span.line, kind, factor))
        return out

    # ------------------------------------------------------------ blocks and statements
    def block(self, stmts, function_body: bool = False, guard_at: Optional[int] = None,
              result: Optional[str] = None) -> list:
        """Lower a statement list; `guard_at` is where a function body checks the C stack;
        `result` names a variable that receives the value of a final expression statement
        (a block arm of a `match` used as a value, or the program's result)."""
        out: list = []
        if result is not None and stmts and self.gives_value(stmts[-1]):
            last = stmts[-1]
            body = self.block(stmts[:-1], function_body, guard_at)
            saved, self.pre = self.pre, []
            value = self.boxed(last.expr)
            value_pre, self.pre = self.pre, saved
            return body + value_pre + [ir.Assign(ir.Var(result), value, last.span.line)]
        for i, s in enumerate(stmts):
            if i == guard_at:
                check = ir.RtCall("_rt", "depth_check", [ir.Var(DEPTH_PARAM)]) if self.state.depth_budget \
                    else ir.RtCall("_rt", "stack_check")
                out.append(ir.ExprStmt(check, s.span.line))
            if isinstance(s, ast.Defer):
                rest = self.block(stmts[i + 1:], function_body)
                self.pre = []
                deferred = ir.ExprStmt(self.boxed(s.expr), s.span.line)
                out.extend(self.pre)
                out.append(ir.Try(rest or [], None, None, [deferred], s.span.line))
                return out
            is_last = function_body and i == len(stmts) - 1
            out.extend(self.stmt(s, implicit_return=is_last))
        return out

    def body(self, b: ast.Block) -> list:
        return self.block(b.body)

    def gives_value(self, s) -> bool:
        """Is s an expression statement whose value a block passes on (not an `error(..)` that
        throws; defer and friends are statements)?"""
        return isinstance(s, ast.ExprStmt) and id(s) not in self.res.throwing

    def stmt(self, s, implicit_return: bool = False) -> list:
        """Lower one statement: the statements its expressions need first, then its own.
        The caller's pending `pre` statements are kept (a statement may be lowered while an
        expression of an enclosing one is, as the arms of a `match` used as a value are)."""
        saved, self.pre = self.pre, []
        try:
            produced = getattr(self, "s_" + type(s).__name__)(s, implicit_return) \
                if isinstance(s, ast.ExprStmt) else getattr(self, "s_" + type(s).__name__)(s)
            return self.pre + produced
        finally:
            self.pre = saved

    def assign_to(self, sym: Symbol, value_ast, line: int) -> ir.Stmt:
        """`name = value`, converting the value's representation to the variable's."""
        want_rep = self.sym_ctype(sym)
        want = self.sym_type(sym) if want_rep != "object" else T.ANY
        if want_rep == "object" and self.int_into_float(sym, value_ast):
            # `let x: float = 2` holds 2.0 wherever x lives (a global, an untyped build).
            return ir.Assign(ir.Var(self.py_name(sym)), ir.RtCall("_rt", "to_float", [self.boxed(value_ast)]),
                             line)
        value = self.expr_raw(value_ast)
        return ir.Assign(ir.Var(self.py_name(sym)), self.coerce(value, self.t(value_ast), want,
                                                           self.rep(value_ast), want_rep), line)

    def int_into_float(self, sym: Symbol, value_ast) -> bool:
        """Is an int assigned to a variable annotated float (which widens it)?"""
        declared = self.ty.declared.get(sym)
        return declared is not None and declared.kind == "float" and self.ty.of(value_ast).kind == "int"

    def s_Let(self, s: ast.Let):
        sym = self.res.decls[id(s)]
        if s.value is None:
            return [ir.Assign(ir.Var(sym.py_name), ir.Lit(None), s.span.line)] \
                if self.sym_ctype(sym) == "object" else []
        return [self.assign_to(sym, s.value, s.span.line)] + self.break_after_binding(sym, s.span.line)

    def s_Assign(self, s: ast.Assign):
        line = s.span.line
        target = s.target
        if isinstance(target, ast.Name):
            value_ast = s.value
            if s.op != "=":
                # `x op= v` is `x = x op v`, lowered like any binary expression.
                value_ast = ast.Binary(s.op[0], target, s.value, s.span)
                self.synthesized.append(value_ast)
                self.ty.exprs[id(value_ast)] = arith_type(s.op[0], self.ty.of(target), self.ty.of(s.value))
            sym = self.res.names[id(target)]
            return [self.assign_to(sym, value_ast, line)] + \
                (self.break_after_binding(sym, line) if sym.kind == "local" else [])
        if s.op != "=" and not (_simple(target.obj) and (isinstance(target, ast.Member) or _simple(target.index))):
            return self.compound_to_slot(s)
        if s.op == "=":
            value, vtype = self.expr(s.value), self.t(s.value)
        else:
            vtype = arith_type(s.op[0], self.t(target), self.t(s.value))
            value = self.arith(s.op[0], self.expr(target), self.expr(s.value), self.t(target),
                               self.t(s.value), vtype)
        if isinstance(target, ast.Member):
            ot = self.t(target.obj)
            obj = self.expr(target.obj)
            if self.typed and ot.kind == "struct" and not ot.conf:
                ftype = self.ty.structs[ot.name].field_type(target.name) or T.ANY
                return [ir.Assign(ir.Attr(obj, ident(target.name)), self.coerce(value, vtype, ftype), line)]
            return [ir.ExprStmt(ir.RtCall("_rt", "set_member", [obj, ir.Lit(target.name), value]), line)]
        if self.rep(target.obj) == TENSOR_VIEW and self.t(target.index) == T.INT:
            slot = self.tensor_slot(target.obj, target.index)
            return [ir.Assign(slot, self.coerce(value, vtype, T.FLOAT), line)]
        obj, index = self.expr(target.obj), self.expr(target.index)
        kind = T.num_array_kind(self.t(target.obj)) if self.typed else None
        if kind is not None and self.t(target.index) == T.INT and vtype == (T.FLOAT if kind == "d" else T.INT):
            return [ir.ExprStmt(self.ar("seq_set_float" if kind == "d" else "seq_set_int", [obj, index, value]),
                                line)]
        return [ir.ExprStmt(ir.RtCall("_rt", "set_index", [obj, index, value]), line)]

    def compound_to_slot(self, s: ast.Assign) -> list:
        """`f().x += v` / `xs[g()] += v`: the object and index are evaluated once, into
        temporaries, then read, combined and written back through the runtime."""
        target, line = s.target, s.span.line
        obj = ir.Var(self.temp())
        out = [ir.Assign(obj, self.expr(target.obj), line)]
        if isinstance(target, ast.Member):
            key = ir.Lit(target.name)
            read, write = "get_member", "set_member"
        else:
            key = ir.Var(self.temp())
            out.append(ir.Assign(key, self.expr(target.index), line))
            read, write = "get_index", "set_index"
        vtype = arith_type(s.op[0], self.t(target), self.t(s.value))
        current = ir.RtCall("_rt", read, [obj, key])
        value = self.arith(s.op[0], current, self.expr(s.value), T.ANY, T.ANY, vtype)
        return out + [ir.ExprStmt(ir.RtCall("_rt", write, [obj, key, value]), line)]

    def s_ExprStmt(self, s: ast.ExprStmt, implicit_return: bool = False):
        if is_debug_macro(s.expr) and not self.debug:
            return []                           # release builds: a debug macro is nothing at all
        if id(s) in self.res.throwing:          # `error("..") ~> 0.9` standing alone throws it
            return [ir.Raise(ir.RtCall("_rt", "to_exception", [self.boxed(s.expr)]), s.span.line)]
        if isinstance(s.expr, ast.Match) and not implicit_return:
            return self.match_statements(s.expr, None)
        if implicit_return and self.state.node is not self.module:
            return self.s_Return(ast.Return(s.expr, s.span))
        push = self.unboxed_push(s.expr)
        if push is not None:
            return [ir.ExprStmt(push, s.span.line)]
        return [ir.ExprStmt(self.expr(s.expr), s.span.line)]

    def unboxed_push(self, e) -> Optional[ir.Expr]:
        """`xs.push(v)` as a statement, v a plain float (int) and xs a `[float]` (`[int]`):
        stored as a C number when xs is unboxed (a push used as a value is null, so only here)."""
        if not (self.typed and isinstance(e, ast.Call) and isinstance(e.func, ast.Member)
                and e.func.name == "push" and len(e.args) == 1 and e.args[0].name is None):
            return None
        kind = T.num_array_kind(self.t(e.func.obj))
        if kind is None or self.ty.operators.get(id(e)) is not None or \
                self.t(e.args[0].value) != (T.FLOAT if kind == "d" else T.INT):
            return None
        return self.ar("seq_push_float" if kind == "d" else "seq_push_int",
                       [self.expr(e.func.obj), self.expr(e.args[0].value)])

    def s_Return(self, s: ast.Return):
        st = self.state
        if s.value is None:
            value, vtype = ir.Lit(None), T.NULL
        else:
            value, vtype = self.expr(s.value), self.t(s.value)
        if st.is_async:
            # JavaScript's rule: an async function returning an awaitable resolves to its value.
            value, vtype = ir.AwaitExpr(ir.Call(ir.Attr(ir.Var("_rtio"), "settle"), [value])), T.ANY
        factors = ([ir.Lit(st.conf_factor)] if st.conf_factor is not None else []) + \
            [self.boxed(e) for e in st.conf_exprs] + [self.boxed(c) for c in st.catch_factors]
        for factor in factors:
            value = self.traced_scale(value, factor, s.span.line)
            vtype = T.with_conf(vtype)
        if st.break_spec is not None:
            result = self.temp()
            return [ir.Assign(ir.Var(result), value, s.span.line)] + \
                self.break_check(ir.Var(result), "its result", s.span.line) + \
                [ir.Return(self.coerce(ir.Var(result), vtype, st.ret), s.span.line)]
        return [ir.Return(self.coerce(value, vtype, st.ret), s.span.line)]

    def s_Break(self, s):
        return [ir.Break(s.span.line)]

    def s_Continue(self, s):
        step = self.state.loop_steps[-1] if self.state.loop_steps else None
        # In `for (init; cond; step)`, `continue` runs the step first.
        return (self.stmt(step) if step is not None else []) + [ir.Continue(s.span.line)]

    def s_Throw(self, s):
        return [ir.Raise(ir.RtCall("_rt", "to_exception", [self.boxed(s.value)]), s.span.line)]

    def s_FnDecl(self, s: ast.FnDecl):
        self.ty.functions.setdefault(id(s), None)
        fn = self.lower_callable(s, s.params, s.body, name=self.res.decls[id(s)].py_name,
                                 is_async=s.is_async, decorators=s.attributes)
        fn.flavor = "async def" if s.is_async else "def"
        return [ir.Def(fn, s.span.line)]

    def s_Defer(self, s):               # only reached when a block is lowered statement by statement
        return self.block((s,))

    def context_block(self, ctx_value: ir.Expr, body: ast.Block, line: int, enter_fn: str = "enter",
                      failure: Optional[str] = None, kind: str = "enter", label: str = "",
                      shifted: bool = False) -> list:
        """Run body with a context entered; an error leaving it records that context (an
        error's `context` is where it happened), or becomes the `failure` error. Traced
        (debug builds, tracing attributes) through the module's tracer (lower_debug)."""
        token = self.temp("_pc")
        exc = self.temp("_pe")
        traced = enter_fn == "enter" and self.traced_context()
        entered = self.context_enter(ctx_value, line, kind, label) if traced else \
            ir.RtCall("_cx", enter_fn, [ctx_value])
        enter = ir.Assign(ir.Var(token), entered, line)
        leave = ir.ExprStmt(self.context_exit(token, body.span.end_line, shifted) if traced else
                            ir.RtCall("_cx", "exit", [ir.Var(token)]), line)
        note = ir.RtCall("_cx", failure or "note_error", [ir.Var(exc)])
        handler = [ir.Raise(note, line)] if failure else [ir.ExprStmt(note, line), ir.Raise(None, line)]
        inner_body = self.body(body) + (self.context_variables(token, body, body.span.end_line) if traced else [])
        inner = ir.Try(inner_body, exc, handler, None, line)
        return [enter, ir.Try([inner], None, None, [leave], line)]

    def s_Verify(self, s: ast.Verify):
        return self.context_block(self.boxed(s.sources), s.body, s.span.line, "enter_verify", "verification_failed")

    def s_AsyncBlock(self, s: ast.AsyncBlock):
        """`async ~c { }` as a statement: the task is started and not kept."""
        definition, start = self.async_task(s)
        return [definition, ir.ExprStmt(start, s.span.line)]

    def s_InBlock(self, s: ast.InBlock):
        return self.context_block(self.boxed(s.context), s.body, s.span.line)

    def s_ContextShift(self, s: ast.ContextShift):
        out = []
        previous = None
        for i, seg in enumerate(s.segments):
            self.pre = []
            out.extend(self.context_block(ir.Lit(seg.name), seg.body, seg.span.line,
                                          kind="shift" if previous is not None else "enter", label=previous or "",
                                          shifted=i + 1 < len(s.segments)))
            previous = seg.name
        return out

    def s_Import(self, s):
        return []

    def s_StructDecl(self, s):
        return []

    s_TraitDecl = s_ImplDecl = s_OperatorDecl = s_MacroDecl = s_StructDecl


RESULT_NAME = "__prism_result__"       # the program's result: its final expression statement's value
_DECLARATIONS = (ast.FnDecl, ast.StructDecl, ast.TraitDecl, ast.ImplDecl, ast.OperatorDecl, ast.Import,
                 ast.MacroDecl)


def _simple(e) -> bool:
    """Evaluating e twice is harmless and costs nothing: a name or a literal."""
    return isinstance(e, (ast.Name, ast.IntLit, ast.FloatLit, ast.StringLit, ast.BoolLit))


def _contains_await(stmts) -> bool:
    """Does top-level code await (outside nested functions), or start tasks it must wait for?"""
    return any(isinstance(node, (ast.Await, ast.AsyncBlock)) or isinstance(node, ast.For) and node.is_await
               for node in descendants(stmts, skip=(ast.FnDecl, ast.Lambda, ast.StructDecl)))


def lower(module: ast.Module, res: Resolution, ty: Typing, module_name: str, typed: bool = True,
          stack_guard: bool = True, unboxed: Optional[dict] = None, debug: bool = False,
          source: Optional[str] = None) -> ir.Module:
    """Lower a checked module to IR (`typed=False` keeps every value a Python object;
    `stack_guard=False` drops the C stack check from recursive functions; `unboxed` says
    which array literals are built as NumArrays, see unboxing.py; `debug=True` makes a
    debug build, see lower_debug; `source` gives traced sites their labels)."""
    lowerer = Lowerer(module, res, ty, module_name, typed, stack_guard, debug, source)
    lowerer.unboxed = unboxed or {}
    return lowerer.run()
