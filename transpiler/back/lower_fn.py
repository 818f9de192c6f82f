"""Lowering of functions, methods and structs: the callable half of `lower`.

A mixin of `lower.Lowerer` (which owns the state used here: `res`, `ty`,
`typed`, `stack_guard`, the call-graph sets) with `lower_expr.ExprLowering`.
Talks to `callgraph` for where the stack check goes and which functions carry
a depth budget. A function on a call cycle becomes two:

    fn fib(n: int) -> int {            cdef inline long long _rec_fib(int _depth, long long n):
        if n < 2 { return n }              if (n < 2):
        fib(n - 1) + fib(n - 2)                return n
    }                                      _rt.depth_check(_depth)
                                           return _rt.i_add(_rec_fib((_depth - 1), ...), ...)
                                       cpdef long long fib(long long n):
                                           return _rec_fib(_rt.recursion_budget(), n)

Choices made here:
- A function whose parameters and result have C types, with no closures
  inside, becomes `cpdef` (C calls inside the module, a Python wrapper for
  everyone else); one holding closures becomes `def`, `async fn` `async def`.
- A container default (`xs = []`) is made on each call (`fresh_default`).
- A non-literal default of a top-level function, method or struct field is
  evaluated on each call that omits it (`late_default`), as in TypeScript.
"""
from __future__ import annotations

from typing import Optional

from transpiler.front import ast
from transpiler.back import ir
from transpiler.passes import types as T
from transpiler.passes.callgraph import DEPTH_PARAM, REC_PREFIX, guard_position
from transpiler.passes.escape import ident
from transpiler.back.lower_expr import TENSOR_VIEW
from transpiler.passes.resolve import FunctionScope
from transpiler.passes.structs import own_params
from transpiler.passes.typerules import always_exits

# Parameter C types a caller's value converts to by itself (Conf converts to a C number).
_UNCHECKED_CTYPES = frozenset({"object", "long long", "double", "bint", TENSOR_VIEW})
_ENTRY_PREFIX = "_pa_"

# Operator spelling and arity -> the method of the struct's class that dispatches it at run time.
_PROTOCOL = {("+", 2): "__add__", ("-", 2): "__sub__", ("*", 2): "__mul__", ("/", 2): "__truediv__",
             ("%", 2): "__mod__", ("==", 2): "__eq__", ("!=", 2): "__ne__", ("<", 2): "__lt__",
             ("<=", 2): "__le__", (">", 2): "__gt__", (">=", 2): "__ge__", (".", 2): "__prism_dot__",
             ("|", 1): "__prism_magnitude__", ("-", 1): "__neg__"}
_OPERAND_CHECKS = {"float": "number", "f64": "number", "f32": "number", "number": "number", "int": "int",
                   "i64": "int", "integer": "int", "string": "str", "str": "str", "bool": "bool"}


def operand_check(t: ast.TypeExpr):
    """How a struct's operator method tells whether its other operand has the declared type:
    ("struct", name), ("kind", number|int|str|bool) or None (any value)."""
    if isinstance(t, ast.TypeName):
        kind = _OPERAND_CHECKS.get(t.name)
        if kind is not None:
            return ("kind", kind)
        if t.name not in ("any", "auto"):
            return ("struct", t.name)
    return None


class FnState:
    """What lowering tracks while inside one function body (or the module top level)."""
    def __init__(self, scope: FunctionScope, node, ret: T.Type, conf_factor, typed_locals: bool,
                 conf_exprs: tuple = (), is_async: bool = False):
        self.scope = scope
        self.node = node
        self.ret = ret
        self.conf_factor = conf_factor      # literal product of the `~c` layers (None: none)
        self.conf_exprs = conf_exprs        # computed `~c` layers, evaluated at each return
        self.is_async = is_async
        self.typed_locals = typed_locals
        self.temps: list = []
        self.c_temps: list = []             # (name, C type): temporaries typed code declares
        self.depth_budget = False           # has the `_depth` parameter (callgraph, Lowerer.budgeted)
        self.catch_factors: list = []       # `catch e ~c` clauses around the current statement
        self.renamed: dict = {}             # Symbol -> the local the body uses instead of its py_name
        self.loop_steps: list = []          # per enclosing loop: the step a `continue` runs (C-style for)
        self.trace_flags = 0                # context logging of its tracing attributes (lower_debug)
        self.break_spec = None              # its `#[confidence_break]`: (threshold, message, action) IR


class CallableLowering:
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

    # ------------------------------------------------------------ structs and functions
    def struct(self, s: ast.StructDecl) -> ir.Struct:
        info = self.ty.structs[s.name]
        fields, params = [], []
        saved = self.state
        for name, ftype, fdecl in info.fields:
            ctype = T.ctype_of(ftype) if self.typed else "object"
            fields.append(ir.Field(ident(name), name, ctype, widen_float=ctype == "object" and ftype.kind == "float"))
            param = self.per_call_param(ident(name), ctype, fdecl.default, late_allowed=True)
            if param is None:           # a literal (or no) default, fixed when the struct is defined
                param = ir.Param(ident(name), ctype, self.expr(fdecl.default) if fdecl.default is not None else None)
            params.append(param)
        methods = []
        # Its own methods, its impls', and the provided methods of the traits it implements.
        for m in info.methods.values():
            methods.extend(self.budgeted_function(m, s) if id(m) in self.budgeted else [self.function(m, struct=s)])
        self.state = FnState(self.res.module_scope, self.module, T.ANY, None, False)
        conf = self.boxed(s.confidence) if s.confidence is not None else None
        field_confs = [(f.name, self.boxed(f.confidence)) for f in s.fields if f.confidence is not None]
        self.state = saved
        return ir.Struct(self.res.decls[id(s)].py_name, s.name, fields, params, methods, s.span.line,
                         conf=conf, field_confs=field_confs, operators=self.operator_dispatch(s.name),
                         traits=list(self.res.types.traits_of.get(s.name, [])),
                         custom_new="new" in info.methods, fast_new=self.typed and self.struct_fast_new(s.name))

    def operator_dispatch(self, struct: str) -> list:
        """The Python protocol methods of a struct's class that dispatch its overloaded operators,
        for operands whose types are known only at run time: (method, [(operand check, function)])."""
        from transpiler.back.lower_calls import operator_function_name
        by_method: dict = {}
        for decl in self.res.types.operators_for(struct):
            method = _PROTOCOL[(decl.op, len(decl.operands))]
            check = operand_check(decl.operands[1]) if len(decl.operands) == 2 else None
            by_method.setdefault(method, []).append((check, operator_function_name(decl)))
        return [ir.OperatorDispatch(method, cases) for method, cases in by_method.items()]

    def operator_function(self, decl: ast.OperatorDecl) -> ir.Function:
        from transpiler.back.lower_calls import operator_function_name
        fn = decl.function
        return self.lower_callable(fn, fn.params, fn.body, name=operator_function_name(decl), is_async=False,
                                   info=self.ty.functions[id(fn)], always_guarded=True)

    def function(self, fn: ast.FnDecl, struct: Optional[ast.StructDecl] = None) -> ir.Function:
        info = self.ty.functions[id(fn)]
        name = ident(fn.name) if struct is not None else self.res.decls[id(fn)].py_name
        if struct is not None and self.res.types.is_static(fn):
            lowered = self.lower_callable(fn, own_params(fn), fn.body, name=name, is_async=fn.is_async,
                                          info=info, decorators=fn.attributes)
            lowered.flavor = "async def" if fn.is_async else "def"
            lowered.static = True
            return lowered
        params = own_params(fn) if struct is not None else fn.params
        return self.lower_callable(fn, params, fn.body, name=name, is_async=fn.is_async,
                                   info=info, method=struct is not None, decorators=fn.attributes)

    def takes_budget(self, fn: ast.FnDecl, method: bool = False) -> bool:
        """Is this function or method lowered with a depth budget? Those on a call cycle that
        become plain cpdef functions (no closures, attributes, async or tensor views). Methods
        only in typed code: untyped code calls methods dynamically, through the entry."""
        if not self.stack_guard or id(fn) not in self.cycles or (method and not self.typed) or self.debug:
            return False
        if not method and self.res.top_functions.get(fn.name) is not fn:
            return False
        if fn.is_async or fn.attributes:
            return False
        scope = self.res.functions.get(id(fn))
        return scope is not None and not scope.has_closures and not self.uses_tensor_views(fn)

    def budgeted_function(self, fn: ast.FnDecl, struct: Optional[ast.StructDecl] = None) -> list:
        """`cdef _rec_NAME(int _depth, ...)` holding the body (inline for functions), and the
        cpdef `NAME` that Python and the rest of the module call, which starts the budget
        (see callgraph)."""
        name = ident(fn.name) if struct is not None else self.res.decls[id(fn)].py_name
        params = own_params(fn) if struct is not None else fn.params
        body = self.lower_callable(fn, params, fn.body, name=REC_PREFIX + name, is_async=False,
                                   info=self.ty.functions[id(fn)], method=struct is not None, depth_budget=True)
        body.flavor, body.inline = "cdef", struct is None
        params = body.params[1:]            # the entry point keeps the defaults; the body gets every argument
        body.params = body.params[:1] + [ir.Param(p.name, p.ctype, None) for p in params]
        target = ir.Var(body.name) if struct is None else ir.Attr(ir.Var("self"), body.name)
        start = ir.Call(target, [ir.RtCall("_rt", "recursion_budget")] + [ir.Var(p.name) for p in params])
        wrapper = ir.Function(name, "cpdef", params, body.ret_ctype, [], [ir.Return(start, fn.span.line)],
                              fn.span.line, [], fn.name)
        return [body, wrapper]

    def per_call_param(self, name: str, ctype: str, default, late_allowed: bool) -> Optional[ir.Param]:
        """The parameter for a default evaluated on each call that omits it, or None: a fresh
        container keeps its type; a late default (see late_default) gets an object slot, as
        None stands for "omitted". Lowered here, inside the function or `__init__`."""
        if default is not None and fresh_default(default):
            return ir.Param(name, ctype, ir.Lit(None), self.expr(default))
        if late_allowed and late_default(default):
            return ir.Param(name, "object", ir.Lit(None), self.boxed(default))
        return None

    def omitted_argument(self, param: ast.Param, ptype: T.Type) -> ir.Expr:
        """What a call into a budgeted body passes for an omitted argument (see takes_budget)."""
        if fresh_default(param.default) or late_default(param.default):
            return ir.Lit(None)             # the body evaluates the default
        return self.coerce(self.expr(param.default), self.t(param.default), ptype)

    def lower_callable(self, node, params, body: ast.Block, *, name: str, is_async: bool,
                       info=None, method: bool = False, decorators=(), depth_budget: bool = False,
                       always_guarded: bool = False) -> ir.Function:
        """A function of the generated code; `params` are its own (a method's receiver is
        the template's `self`)."""
        scope = self.res.functions[id(node)]
        info = info or self.ty.functions.get(id(node))
        param_types = info.params if info is not None and self.typed else [T.ANY] * len(params)
        ret = info.ret if info is not None and self.typed else T.ANY
        conf = info.conf_factor if info is not None else None
        conf_exprs = info.conf_exprs if info is not None else ()
        nested = self.fn_scope is not self.res.module_scope
        # cpdef cannot hold closures or take decorators (attributes such as #[test]).
        flavor = "async def" if is_async else "def" if (scope.has_closures or nested or decorators
                                                        or isinstance(node, ast.Lambda)) else "cpdef"
        # Defaults are evaluated where the function is defined, so lower them out here;
        # a fresh container default (`xs = []`) is instead made anew on every call, and so
        # is any other non-literal default of a top-level function or method (see late_default).
        defaults = {id(p): self.coerce(self.expr(p.default), self.t(p.default), pt)
                    for p, pt in zip(params, param_types)
                    if p.default is not None and not fresh_default(p.default)
                    and (nested or not late_default(p.default))}
        saved_scope, saved_state, saved_pre = self.fn_scope, self.state, self.pre
        self.fn_scope = scope
        self.state = FnState(scope, node, ret, conf, True, conf_exprs, is_async)
        self.state.depth_budget = depth_budget
        self.setup_function_tracing(node)
        self.pre = []
        ir_params = []
        for p, pt in zip(params, param_types):
            sym = self.res.decls[id(p)]
            ctype = "object" if sym.captured or not self.typed else T.ctype_of(pt)
            if ctype == "object" and self.uses_tensor_views(node) and pt == T.TENSOR and not sym.captured:
                ctype = TENSOR_VIEW                 # typed memoryview (float64 or float32)
                self.tensor_params.add(sym)
            per_call = self.per_call_param(sym.py_name, ctype, p.default, late_allowed=not nested)
            ir_params.append(per_call or ir.Param(sym.py_name, ctype, defaults.get(id(p))))
        # An array, string or struct parameter may be passed a value with confidence by a caller
        # the compiler cannot see (Python, or a method called on an untyped receiver): it takes
        # any object and keeps the value, as a float parameter does (docs/language.md, §6).
        entry_conversions = []
        if not depth_budget:
            for p, param, pt in zip(params, ir_params, param_types):
                # (a `[float]` is held as an object, and loses a caller's confidence the same way)
                if param.ctype not in _UNCHECKED_CTYPES or \
                        param.ctype == "object" and not self.res.decls[id(p)].captured and T.num_array_kind(pt):
                    # The parameter keeps its name for callers; the body reads a typed local.
                    sym = self.res.decls[id(p)]
                    local = self.state.renamed[sym] = _ENTRY_PREFIX + param.name
                    entry_conversions.append((local, param.ctype, param.name))
                    param.ctype = "object"
        stmts = [ir.If([(ir.Bin("is", ir.Var(p.name), ir.Lit(None)), [ir.Assign(ir.Var(p.name), p.fresh_default,
                                                                                  body.span.line)])],
                       None, body.span.line) for p in ir_params if p.fresh_default is not None]
        # A `tensor` parameter that is not a typed memoryview is checked like one would be.
        declared = info.params if info is not None else [T.ANY] * len(params)
        stmts += [ir.ExprStmt(ir.Call(ir.Attr(ir.Var("_rtio"), "check_tensor"), [ir.Var(p.name)]), body.span.line)
                  for p, pt in zip(ir_params, declared) if pt == T.TENSOR and p.ctype != TENSOR_VIEW]
        # A float parameter given an int holds a float, in untyped builds as in typed ones.
        declared = info.params if info is not None else []
        stmts += [ir.Assign(ir.Var(p.name), ir.RtCall("_rt", "to_float", [ir.Var(p.name)]), body.span.line)
                  for p, pt in zip(ir_params, declared) if p.ctype == "object" and pt.kind == "float"]
        # A plain assignment: Cython checks the type and, like the language, lets null through.
        stmts += [ir.Assign(ir.Var(name), ir.RtCall("_cf", "value_of", [ir.Var(given)]), body.span.line)
                  for name, ctype, given in entry_conversions]
        guarded = self.stack_guard and (nested or always_guarded or not isinstance(node, ast.FnDecl)
                                        or id(node) in self.recursive)
        stmts += self.block(body.body, function_body=True,
                            guard_at=guard_position(params, body.body) if guarded else None)
        # Falling off the end of a function whose result is a C value is an error; decided
        # from the inferred type even in untyped builds, so both builds behave the same.
        inferred_ret = info.ret if info is not None else T.ANY
        if inferred_ret.kind != "any" and T.ctype_of(inferred_ret) != "object" and flavor == "cpdef" and \
                not (body.body and (always_exits(body.body[-1], self.res.throwing)
                                    or isinstance(body.body[-1], ast.ExprStmt))):
            stmts.append(ir.Raise(ir.RtCall("_rt", "missing_return", [ir.Lit(getattr(node, "name", name))]),
                                  body.span.end_line))
        stmts = self.with_unwinding(name, scope, stmts, body.span.line)
        header = []
        if scope.globals_written:
            header.append(ir.Scope("global", sorted(s.py_name for s in scope.globals_written), body.span.line))
        if scope.nonlocals:
            header.append(ir.Scope("nonlocal", sorted(s.py_name for s in scope.nonlocals), body.span.line))
        param_names = {p.name for p in ir_params} | {name for name, _, _ in entry_conversions} | \
            ({"self"} if method else set())
        local_decls = []
        if self.typed:
            for sym in scope.symbols:
                if sym.kind == "local" and sym.py_name not in param_names and sym not in scope.nonlocals:
                    local_decls.append((sym.py_name, self.sym_ctype(sym)))
        local_decls.extend((name, ctype) for name, ctype, _ in entry_conversions)
        local_decls.extend((t, "object") for t in self.state.temps)
        local_decls.extend(self.state.c_temps)
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
        args, kwargs, dict_kwargs = self.plain_args(a.args)
        return ir.Call(ir.Attr(ir.Var("_rtio"), "attribute"), [ir.Lit(a.name)] + args, kwargs, dict_kwargs)


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


def late_default(e) -> bool:
    """Is this default of a top-level function, method or struct field evaluated on each
    call that omits it (as in TypeScript)? Any default but a literal or a fresh container.
    Top-level functions and structs are defined before the top level runs, so a default
    naming a top-level `let` could not be evaluated at definition."""
    return e is not None and not _literal_only(e)


def _literal_only(e) -> bool:
    if isinstance(e, (ast.IntLit, ast.FloatLit, ast.StringLit, ast.BoolLit, ast.NullLit)):
        return True
    if isinstance(e, ast.Unary) and e.op == "-":
        return _literal_only(e.operand)
    return fresh_default(e)
