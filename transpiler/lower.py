"""Lowering: typed AST to the IR view models that the templates render.

Input: `ast.Module`, `resolve.Resolution`, `infer.Typing`. Output: `ir.Module`.
Expressions are lowered by the `lower_expr.ExprLowering` mixin; this module
handles statements, functions, structs and the module layout.

    fn fib(n: int) -> int {                 cpdef long long fib(long long n):
        if n < 2 { return n }                   if (n < 2):
        fib(n - 1) + fib(n - 2)                     return n
    }                                           return _rt.i_add(fib(_rt.i_sub(n, 1)), ...)

Choices made here:
- A function whose parameters and result have C types, with no closures
  inside, becomes `cpdef` (C calls inside the module, a Python wrapper for
  everyone else); one holding closures becomes `def`, `async fn` `async def`.
- `defer e` wraps the rest of its block in try/finally, so deferred calls run
  last-first, also on errors.
- Top-level code stays module-level; if it awaits, it runs inside an
  `async def` driven by the runtime's event loop helper.
"""
from __future__ import annotations

from typing import Optional

from transpiler import ast
from transpiler import ir
from transpiler import types as T
from transpiler.builtins import RUNTIME_GLOBALS, STD_MODULES
from transpiler.callgraph import DEPTH_PARAM, REC_PREFIX, guard_position, recursive_functions
from transpiler.escape import ident
from transpiler.infer import Typing
from transpiler.typerules import always_exits, arith_type
from transpiler.lower_expr import CONF_STRUCT, TENSOR_VIEW, ExprLowering
from transpiler.resolve import FunctionScope, Resolution, Symbol


class _FnState:
    def __init__(self, scope: FunctionScope, node, ret: T.Type, conf_factor, typed_locals: bool):
        self.scope = scope
        self.node = node
        self.ret = ret
        self.conf_factor = conf_factor
        self.typed_locals = typed_locals
        self.temps: list = []
        self.depth_budget = False           # has the `_depth` parameter (callgraph, Lowerer.budgeted)


class Lowerer(ExprLowering):
    def __init__(self, module: ast.Module, res: Resolution, ty: Typing, module_name: str, typed: bool = True,
                 stack_guard: bool = True):
        self.module, self.res, self.ty = module, res, ty
        self.module_name = module_name
        self.typed = typed
        self.pre: list = []
        self.used_runtime: set = set()
        self.temp_counter = 0
        self.fn_scope = res.module_scope
        self.state = _FnState(res.module_scope, module, T.ANY, None, False)
        self.stack_guard = stack_guard
        # ids of FnDecls needing the stack guard, and of those on a cycle of visible calls
        self.recursive, self.cycles = recursive_functions(module, res, ty)
        self.budgeted: set = set()          # ids of functions lowered with a depth budget (see callgraph)
        self.reps: dict = {}                 # id(ast expr) -> representation (see ExprLowering.rep)
        self.tensor_params: set = set()      # tensor parameters passed as typed memoryviews
        self.synthesized: list = []          # AST nodes made here (kept alive: reps are keyed by id)

    # ------------------------------------------------------------ helpers
    def temp(self, prefix: str = "_pt") -> str:
        self.temp_counter += 1
        name = f"{prefix}{self.temp_counter}"
        self.state.temps.append(name)
        return name

    def sym_type(self, sym: Symbol) -> T.Type:
        return self.ty.sym(sym) if self.typed else T.ANY

    def sym_ctype(self, sym: Symbol) -> str:
        if sym in self.tensor_params:
            return TENSOR_VIEW
        if not self.typed or sym.kind != "local" or sym.captured or not self.state.typed_locals:
            return "object"
        t = self.ty.sym(sym)
        if t.conf and t.kind in CONF_STRUCT and isinstance(sym.decl, ast.Let):
            return CONF_STRUCT[t.kind]          # a confident scalar local travels unboxed
        return T.ctype_of(t)

    def uses_tensor_views(self, node) -> bool:
        """Does this function take `tensor` parameters as fused typed memoryviews? Only plain
        cpdef functions do (no closures, attributes or async); calls to them must then go
        through the Python-level function, which picks the dtype specialisation at run time."""
        if not self.typed or not isinstance(node, ast.FnDecl) or node.is_async or node.attributes:
            return False
        scope = self.res.functions.get(id(node))
        info = self.ty.functions.get(id(node))
        if scope is None or info is None or scope.has_closures or scope.parent is not self.res.module_scope:
            return False
        return any(pt == T.TENSOR for pt in info.params)

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
        top_stmts = [s for s in self.module.body if not isinstance(s, (ast.FnDecl, ast.StructDecl, ast.Import))]
        self.fn_scope = self.res.module_scope
        self.state = _FnState(self.res.module_scope, self.module, T.ANY, None, False)
        toplevel = self.block(top_stmts)
        is_async = _contains_await(top_stmts)
        # Names the awaiting top level assigns; never functions (cpdef names cannot be `global`).
        top_globals = sorted({s.py_name for s in self.res.module_scope.symbols if s.kind == "global"}
                             | set(self.state.temps))
        for name in sorted(self.used_runtime):
            module, attr = RUNTIME_GLOBALS[name]
            imports.append(ir.PyImport("_pr_" + name, module, attr, 0))
        main = self.res.top_functions.get("main")
        # Names mangled away from keywords are also published under their Prism spelling,
        # so Python callers can getattr(module, "class"); shadowing renames are private.
        # Only names declared by top-level statements: a `let` inside a block may never run.
        top_decls = {id(s) for s in self.module.body}
        exports = [(s.name, s.py_name) for s in self.res.module_scope.symbols
                   if s.py_name != s.name and s.py_name == ident(s.name) and s.kind in ("fn", "struct", "global")
                   and id(s.decl) in top_decls]
        return ir.Module(self.module_name, self.module.path, imports, structs, functions, toplevel,
                         is_async, top_globals, self.res.decls[id(main)].py_name if main else None, exports,
                         uses_tensor_views=bool(self.tensor_params))

    def import_(self, s: ast.Import) -> list:
        source = s.source
        if source.startswith("./") or source.startswith("../"):
            module, kind = source, "prism"
        else:
            module, kind = STD_MODULES.get(source, source), "python"
        out = []
        if s.default is not None:
            sym = self.res.decls[id(s)]
            out.append(ir.PyImport(sym.py_name, module, None, s.span.line, kind))
        for item in s.names:
            sym = self.res.decls[id(item)]
            out.append(ir.PyImport(sym.py_name, module, item.name, s.span.line, kind))
        return out

    # ------------------------------------------------------------ structs and functions
    def struct(self, s: ast.StructDecl) -> ir.Struct:
        info = self.ty.structs[s.name]
        fields, params = [], []
        saved = self.state
        for name, ftype, fdecl in info.fields:
            ctype = T.ctype_of(ftype) if self.typed else "object"
            fields.append(ir.Field(ident(name), name, ctype))
            if fdecl.default is not None and fresh_default(fdecl.default):
                params.append(ir.Param(ident(name), ctype, ir.Lit(None), self.expr(fdecl.default)))
                continue
            default = self.expr(fdecl.default) if fdecl.default is not None else None
            params.append(ir.Param(ident(name), ctype, default))
        methods = []
        for m in s.methods:
            methods.extend(self.budgeted_function(m, s) if id(m) in self.budgeted else [self.function(m, struct=s)])
        self.state = saved
        return ir.Struct(self.res.decls[id(s)].py_name, s.name, fields, params, methods, s.span.line)

    def function(self, fn: ast.FnDecl, struct: Optional[ast.StructDecl] = None) -> ir.Function:
        info = self.ty.functions[id(fn)]
        name = ident(fn.name) if struct is not None else self.res.decls[id(fn)].py_name
        return self.lower_callable(fn, fn.params, fn.body, name=name, is_async=fn.is_async,
                                   info=info, method=struct is not None, decorators=fn.attributes)

    def takes_budget(self, fn: ast.FnDecl, method: bool = False) -> bool:
        """Is this function or method lowered with a depth budget? Those on a call cycle that
        become plain cpdef functions (no closures, attributes, defaults or tensor views).
        Methods only in typed code: untyped code calls methods dynamically, through the entry."""
        if not self.stack_guard or id(fn) not in self.cycles or (method and not self.typed):
            return False
        if not method and self.res.top_functions.get(fn.name) is not fn:
            return False
        if fn.is_async or fn.attributes or any(p.default is not None for p in fn.params):
            return False
        scope = self.res.functions.get(id(fn))
        return scope is not None and not scope.has_closures and not self.uses_tensor_views(fn)

    def budgeted_function(self, fn: ast.FnDecl, struct: Optional[ast.StructDecl] = None) -> list:
        """`cdef _rec_NAME(int _depth, ...)` holding the body (inline for functions), and the
        cpdef `NAME` that Python and the rest of the module call, which starts the budget
        (see callgraph)."""
        name = ident(fn.name) if struct is not None else self.res.decls[id(fn)].py_name
        body = self.lower_callable(fn, fn.params, fn.body, name=REC_PREFIX + name, is_async=False,
                                   info=self.ty.functions[id(fn)], method=struct is not None, depth_budget=True)
        body.flavor, body.inline = "cdef", struct is None
        params = body.params[1:]
        target = ir.Var(body.name) if struct is None else ir.Attr(ir.Var("self"), body.name)
        start = ir.Call(target, [ir.RtCall("_rt", "recursion_budget")] + [ir.Var(p.name) for p in params])
        wrapper = ir.Function(name, "cpdef", params, body.ret_ctype, [], [ir.Return(start, fn.span.line)],
                              fn.span.line, [], fn.name)
        return [body, wrapper]

    def lower_callable(self, node, params, body: ast.Block, *, name: str, is_async: bool,
                       info=None, method: bool = False, decorators=(), depth_budget: bool = False) -> ir.Function:
        scope = self.res.functions[id(node)]
        info = info or self.ty.functions.get(id(node))
        param_types = info.params if info is not None and self.typed else [T.ANY] * len(params)
        ret = info.ret if info is not None and self.typed else T.ANY
        conf = info.conf_factor if info is not None else None
        if conf is None and isinstance(node, ast.FnDecl) and node.confidence is not None:
            conf = node.confidence          # computed confidence: checked at run time
        nested = self.fn_scope is not self.res.module_scope
        # cpdef cannot hold closures or take decorators (attributes such as #[test]).
        flavor = "async def" if is_async else "def" if (scope.has_closures or nested or decorators
                                                        or isinstance(node, ast.Lambda)) else "cpdef"
        # Defaults are evaluated where the function is defined, so lower them out here;
        # a fresh container default (`xs = []`) is instead made anew on every call.
        defaults = {id(p): self.coerce(self.expr(p.default), self.t(p.default), pt)
                    for p, pt in zip(params, param_types) if p.default is not None and not fresh_default(p.default)}
        saved_scope, saved_state, saved_pre = self.fn_scope, self.state, self.pre
        self.fn_scope = scope
        self.state = _FnState(scope, node, ret, conf, typed_locals=True)
        self.state.depth_budget = depth_budget
        self.pre = []
        ir_params = []
        for p, pt in zip(params, param_types):
            sym = self.res.decls[id(p)]
            ctype = "object" if sym.captured or not self.typed else T.ctype_of(pt)
            if method and p is params[0]:
                ctype = "object"
            elif ctype == "object" and self.uses_tensor_views(node) and pt == T.TENSOR and not sym.captured:
                ctype = TENSOR_VIEW                 # typed memoryview (float64 or float32)
                self.tensor_params.add(sym)
            if p.default is not None and fresh_default(p.default):
                ir_params.append(ir.Param(sym.py_name, ctype, ir.Lit(None), self.expr(p.default)))
            else:
                ir_params.append(ir.Param(sym.py_name, ctype, defaults.get(id(p))))
        if method and ir_params:
            ir_params = ir_params[1:]       # `self` is written by the template
        stmts = [ir.If([(ir.Bin("is", ir.Var(p.name), ir.Lit(None)), [ir.Assign(ir.Var(p.name), p.fresh_default,
                                                                                  body.span.line)])],
                       None, body.span.line) for p in ir_params if p.fresh_default is not None]
        # A `tensor` parameter that is not a typed memoryview is checked like one would be.
        declared = info.params if info is not None else [T.ANY] * len(params)
        stmts += [ir.ExprStmt(ir.Call(ir.Attr(ir.Var("_rtpy"), "check_tensor"), [ir.Var(p.name)]), body.span.line)
                  for p, pt in zip([q for q in ir_params], declared[1:] if method else declared)
                  if pt == T.TENSOR and p.ctype != TENSOR_VIEW]
        guarded = self.stack_guard and (nested or not isinstance(node, ast.FnDecl) or id(node) in self.recursive)
        stmts += self.block(body.body, function_body=True,
                            guard_at=guard_position(params, body.body) if guarded else None)
        if ret.kind != "any" and T.ctype_of(ret) != "object" and flavor == "cpdef" and \
                not (body.body and (always_exits(body.body[-1]) or isinstance(body.body[-1], ast.ExprStmt))):
            stmts.append(ir.Raise(ir.RtCall("_rt", "missing_return", [ir.Lit(getattr(node, "name", name))]),
                                  body.span.end_line))
        header = []
        if scope.globals_written:
            header.append(ir.Scope("global", sorted(s.py_name for s in scope.globals_written), body.span.line))
        if scope.nonlocals:
            header.append(ir.Scope("nonlocal", sorted(s.py_name for s in scope.nonlocals), body.span.line))
        param_names = {p.name for p in ir_params} | ({"self"} if method else set())
        local_decls = []
        if self.typed:
            for sym in scope.symbols:
                if sym.kind == "local" and sym.py_name not in param_names and sym not in scope.nonlocals:
                    local_decls.append((sym.py_name, self.sym_ctype(sym)))
        local_decls.extend((t, "object") for t in self.state.temps)
        ret_ctype = T.ctype_of(ret) if flavor == "cpdef" and self.typed else "object"
        if depth_budget:
            ir_params.insert(0, ir.Param(DEPTH_PARAM, "int", None))
        fn = ir.Function(name, flavor, ir_params, ret_ctype, local_decls, header + stmts,
                         getattr(node, "span").line, [self.attribute(a) for a in decorators],
                         getattr(node, "name", "<lambda>"),
                         inline=flavor == "cpdef" and not method and id(node) in self.recursive)
        self.fn_scope, self.state, self.pre = saved_scope, saved_state, saved_pre
        return fn

    def attribute(self, a: ast.Attribute) -> ir.Expr:
        return ir.Call(ir.Attr(ir.Var("_rtpy"), "attribute"), [ir.Lit(a.name)] + [self.boxed(x) for x in a.args])

    # ------------------------------------------------------------ blocks and statements
    def block(self, stmts, function_body: bool = False, guard_at: Optional[int] = None) -> list:
        """Lower a statement list; `guard_at` is where a function body checks the C stack."""
        out: list = []
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

    def stmt(self, s, implicit_return: bool = False) -> list:
        self.pre = []
        produced = getattr(self, "s_" + type(s).__name__)(s, implicit_return) \
            if isinstance(s, ast.ExprStmt) else getattr(self, "s_" + type(s).__name__)(s)
        return self.pre + produced

    def assign_to(self, sym: Symbol, value_ast, line: int) -> ir.Stmt:
        """`name = value`, converting the value's representation to the variable's."""
        want_rep = self.sym_ctype(sym)
        want = self.sym_type(sym) if want_rep != "object" else T.ANY
        value = self.expr_raw(value_ast)
        return ir.Assign(ir.Var(sym.py_name), self.coerce(value, self.t(value_ast), want,
                                                           self.rep(value_ast), want_rep), line)

    def s_Let(self, s: ast.Let):
        sym = self.res.decls[id(s)]
        if s.value is None:
            return [ir.Assign(ir.Var(sym.py_name), ir.Lit(None), s.span.line)] \
                if self.sym_ctype(sym) == "object" else []
        return [self.assign_to(sym, s.value, s.span.line)]

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
            return [self.assign_to(self.res.names[id(target)], value_ast, line)]
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
        if isinstance(s.expr, ast.Match) and not implicit_return:
            return self.match_statements(s.expr, None)
        if implicit_return and self.state.node is not self.module:
            return self.s_Return(ast.Return(s.expr, s.span))
        return [ir.ExprStmt(self.expr(s.expr), s.span.line)]

    def s_Return(self, s: ast.Return):
        st = self.state
        if s.value is None:
            value, vtype = ir.Lit(None), T.NULL
        else:
            value, vtype = self.expr(s.value), self.t(s.value)
        if st.conf_factor is not None:
            factor = st.conf_factor if isinstance(st.conf_factor, float) else self.expr(st.conf_factor)
            factor = ir.Lit(factor) if isinstance(factor, float) else factor
            value = ir.RtCall("_cf", "scale", [value, factor])
            vtype = T.with_conf(vtype)
        return [ir.Return(self.coerce(value, vtype, st.ret), s.span.line)]

    def s_Break(self, s):
        return [ir.Break(s.span.line)]

    def s_Continue(self, s):
        return [ir.Continue(s.span.line)]

    def s_Throw(self, s):
        return [ir.Raise(ir.RtCall("_rt", "to_exception", [self.boxed(s.value)]), s.span.line)]

    def s_FnDecl(self, s: ast.FnDecl):
        self.ty.functions.setdefault(id(s), None)
        fn = self.lower_callable(s, s.params, s.body, name=self.res.decls[id(s)].py_name,
                                 is_async=s.is_async, decorators=s.attributes)
        fn.flavor = "async def" if s.is_async else "def"
        return [ir.Def(fn, s.span.line)]

    def s_If(self, s: ast.If):
        branches = [(self.truth(s.cond), self.body(s.then))]
        node = s
        while isinstance(node.orelse, ast.If):
            saved, self.pre = self.pre, []
            cond = self.truth(node.orelse.cond)
            cond_pre, self.pre = self.pre, saved
            if cond_pre:
                # This `else if` needs statements before its condition: nest it in the else part.
                return [ir.If(branches, self.stmt(node.orelse), s.span.line)]
            node = node.orelse
            branches.append((cond, self.body(node.then)))
        return [ir.If(branches, self.else_part(node), s.span.line)]

    def else_part(self, node: ast.If):
        if node.orelse is None:
            return None
        if isinstance(node.orelse, ast.Block):
            return self.body(node.orelse)
        return self.stmt(node.orelse)

    def s_While(self, s: ast.While):
        saved = self.pre
        self.pre = []
        cond = self.truth(s.cond)
        cond_pre, self.pre = self.pre, saved
        body = self.body(s.body)
        if cond_pre:
            exit_test = ir.If([(ir.Un("not ", cond), [ir.Break(s.span.line)])], None, s.span.line)
            return [ir.While(ir.Lit(True), cond_pre + [exit_test] + body, s.span.line)]
        return [ir.While(cond, body, s.span.line)]

    def s_For(self, s: ast.For):
        line = s.span.line
        syms = self.res.targets[id(s)]
        names = [sym.py_name for sym in syms]
        if isinstance(s.iterable, ast.Range) and len(syms) == 1 and not s.is_await:
            start, stop = self.expr(s.iterable.start), self.expr(s.iterable.end)
            st, et = self.t(s.iterable.start), self.t(s.iterable.end)
            if self.typed and st == T.INT and et == T.INT and self.sym_ctype(syms[0]) == "long long":
                if s.iterable.inclusive:
                    stop = ir.RtCall("_rt", "i_add", [stop, ir.Lit(1)])
                return [ir.ForRange(names[0], start, stop, self.body(s.body), line)]
        it = self.t(s.iterable)
        iterable = self.expr(s.iterable)
        if len(syms) == 2:
            iterable = ir.RtCall("_rt", "pairs", [iterable])
        elif not (self.typed and it.kind in ("array", "string") and not it.conf) and not s.is_await:
            iterable = ir.RtCall("_rt", "iterate", [iterable])
        body = self.body(s.body)
        return [ir.ForIn(names, iterable, body, s.is_await, line)]

    def s_Try(self, s: ast.Try):
        body = self.body(s.body)
        handler, exc = None, None
        if s.handler is not None:
            exc = self.temp("_pe")
            handler = []
            if s.catch_name is not None:
                sym = self.res.targets[id(s)]
                handler.append(ir.Assign(ir.Var(sym.py_name), ir.RtCall("_rt", "as_prism_error", [ir.Var(exc)]),
                                         s.handler.span.line))
            handler.extend(self.body(s.handler))
        final = self.body(s.finalbody) if s.finalbody is not None else None
        return [ir.Try(body, exc, handler, final, s.span.line)]

    def s_Defer(self, s):               # only reached when a block is lowered statement by statement
        return self.block((s,))

    def context_block(self, ctx_value: ir.Expr, body: ast.Block, line: int) -> list:
        token = self.temp("_pc")
        enter = ir.Assign(ir.Var(token), ir.RtCall("_cx", "enter", [ctx_value]), line)
        leave = ir.ExprStmt(ir.RtCall("_cx", "exit", [ir.Var(token)]), line)
        return [enter, ir.Try(self.body(body), None, None, [leave], line)]

    def s_InBlock(self, s: ast.InBlock):
        return self.context_block(self.boxed(s.context), s.body, s.span.line)

    def s_ContextShift(self, s: ast.ContextShift):
        out = []
        for seg in s.segments:
            self.pre = []
            out.extend(self.context_block(ir.Lit(seg.name), seg.body, seg.span.line))
        return out

    def s_Uncertain(self, s: ast.Uncertain):
        level = self.temp()
        out = [ir.Assign(ir.Var(level), ir.RtCall("_cf", "conf_of", [self.boxed(s.subject)]), s.span.line)]
        branches = [(ir.Bin(">=", ir.Var(level), ir.Lit(0.8)), self.body(s.high))]
        if s.medium is not None:
            branches.append((ir.Bin(">=", ir.Var(level), ir.Lit(0.5)), self.body(s.medium)))
        else:
            branches.append((ir.Bin(">=", ir.Var(level), ir.Lit(0.5)), []))
        low = self.body(s.low) if s.low is not None else None
        return out + [ir.If(branches, low, s.span.line)]

    def s_Import(self, s):
        return []

    def s_StructDecl(self, s):
        return []

    # ------------------------------------------------------------ match as statements
    def match_statements(self, e: ast.Match, result: Optional[str]) -> list:
        line = e.span.line
        subject = self.temp()
        out = [ir.Assign(ir.Var(subject), self.boxed(e.subject), line)]
        branches = []
        always = None
        for arm in e.arms:
            saved = self.pre
            self.pre = []
            test, binds = self.pattern_test(arm.pattern, ir.Var(subject), self.t(e.subject))
            if arm.guard is not None:
                guard = self.seq(binds, self.truth(arm.guard))
                test = guard if test is None else ir.Bin("and", test, guard)
                binds = []
            arm_pre, self.pre = self.pre, saved
            out.extend(arm_pre)
            if isinstance(arm.body, ast.Block):
                body = self.block(arm.body.body)
            else:
                self.pre = []
                value = self.boxed(arm.body)
                body = self.pre + ([ir.Assign(ir.Var(result), value, arm.span.line)] if result
                                   else [ir.ExprStmt(value, arm.span.line)])
                self.pre = saved
            body = [ir.ExprStmt(b, arm.span.line) for b in binds] + body
            if test is None:
                always = body
                break
            branches.append((test, body))
        if result is not None:
            out.insert(0, ir.Assign(ir.Var(result), ir.Lit(None), line))
        if not branches:
            return out + (always or [])
        return out + [ir.If(branches, always, line)]


def _simple(e) -> bool:
    """Evaluating e twice is harmless and costs nothing: a name or a literal."""
    return isinstance(e, (ast.Name, ast.IntLit, ast.FloatLit, ast.StringLit, ast.BoolLit))


def fresh_default(e) -> bool:
    """Is this default a new mutable container (`[]`, `{}`, `HashMap.new()`, literal contents
    only)? Such a default is made on each call, as in TypeScript, instead of being one object
    shared by every call (Python's default-argument trap)."""
    if isinstance(e, ast.ArrayLit):
        return all(_literal_only(x) for x in e.elements)
    if isinstance(e, ast.ObjectLit):
        return all(_literal_only(entry.value) for entry in e.entries)
    if isinstance(e, ast.Call) and isinstance(e.func, ast.Member) and e.func.name == "new" \
            and isinstance(e.func.obj, ast.Name):
        return all(_literal_only(a.value) for a in e.args)
    return False


def _literal_only(e) -> bool:
    if isinstance(e, (ast.IntLit, ast.FloatLit, ast.StringLit, ast.BoolLit, ast.NullLit)):
        return True
    if isinstance(e, ast.Unary) and e.op == "-":
        return _literal_only(e.operand)
    return fresh_default(e)


def _contains_await(stmts) -> bool:
    """Does top-level code await (outside nested functions)?"""
    stack = list(stmts)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Await) or isinstance(node, ast.For) and node.is_await:
            return True
        if isinstance(node, (ast.FnDecl, ast.Lambda, ast.StructDecl)):
            continue
        for name in getattr(node, "__slots__", ()):
            child = getattr(node, name, None)
            if isinstance(child, ast.Node):
                stack.append(child)
            elif isinstance(child, tuple):
                stack.extend(c for c in child if isinstance(c, ast.Node))
    return False


def lower(module: ast.Module, res: Resolution, ty: Typing, module_name: str, typed: bool = True,
          stack_guard: bool = True) -> ir.Module:
    """Lower a checked module to IR (`typed=False` keeps every value a Python object;
    `stack_guard=False` drops the C stack check from recursive functions)."""
    return Lowerer(module, res, ty, module_name, typed, stack_guard).run()
