"""Expression half of the lowering pass (see `lower` for statements and modules).

Turns typed AST expressions into IR expressions. Where both operands have C
types the IR uses C operators or the checked inline helpers from
`prism_runtime/core.pxd`; otherwise it calls the generic runtime operation,
which handles confidence and Prism's printing rules.

    a + b     (int, int)       -> _rt.i_add(a, b)          overflow-checked C
    a * 0.5   (int, float)     -> (<double>a * 0.5)
    s + n     (string, int)    -> (s + _rt.to_str(n))
    x + y     (any, any)       -> _rt.add(x, y)
    x ~> 0.9                   -> _cf.with_conf(x, 0.9)
"""
from __future__ import annotations

from transpiler.front import ast
from transpiler.back import ir
from transpiler.passes import types as T
from transpiler.passes.builtins import BUILTINS, CIMPORTED_MODULES, CONSTANTS
from transpiler.passes.callgraph import DEPTH_PARAM, REC_PREFIX
from transpiler.passes.escape import ident, is_plain_attribute
from transpiler.passes.infer import literal_number

_INT_OPS = {"+": "i_add", "-": "i_sub", "*": "i_mul", "%": "i_mod", "/": "i_div"}
_FLOAT_OPS = {"+": "+", "-": "-", "*": "*"}
_GENERIC = {"+": "add", "-": "sub", "*": "mul", "/": "div", "%": "mod", "**": "pow_",
            "==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
_C_COMPARE = {"==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}

# Unboxed confident scalars (value + confidence as a C struct, see confidence.pxd).
CONF_STRUCT = {"float": "_cf.cfloat", "int": "_cf.cint", "bool": "_cf.cbool"}
STRUCTS = frozenset(CONF_STRUCT.values())
_PREFIX = {"_cf.cfloat": "cf", "_cf.cint": "ci", "_cf.cbool": "cb"}
_C_SCALAR = frozenset({"long long", "double", "bint"})
_STRUCT_ARITH = {"+": "add", "-": "sub", "*": "mul", "/": "div", "%": "mod"}
_STRUCT_CMP = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge", "==": "eq", "!=": "ne"}
TENSOR_VIEW = "_prism_tensor"       # the fused memoryview type declared by templates/module.pyx.j2
ERROR_FIELDS = frozenset({"message", "code", "confidence", "context"})
# Kinds whose values have confidence 1.0 unless their type says otherwise (`<~ x` is then 1.0);
# errors and struct instances (`struct S ~c`) carry a confidence of their own.
_PLAIN_KINDS = frozenset({"int", "float", "bool", "string", "null", "array", "map", "fn", "tensor"})


class ExprLowering:
    """Mixin for `lower.Lowerer`: needs self.ty, self.res, self.typed, self.temp(), self.pre."""

    # ------------------------------------------------------------ helpers
    def t(self, e) -> T.Type:
        return self.ty.of(e) if self.typed else T.ANY

    def is_c(self, t: T.Type) -> bool:
        return self.typed and T.is_c_scalar(t)

    def coerce(self, value: ir.Expr, have: T.Type, want: T.Type, have_rep=None, want_rep=None) -> ir.Expr:
        """Convert `value` (of type have, represented as have_rep) for a place of type want."""
        if not self.typed:
            return value
        want_c, have_c = want_rep or T.ctype_of(want), have_rep or T.ctype_of(have)
        if want_c == have_c:
            return value
        if want_c in STRUCTS:
            return self.to_struct(value, have_c, want_c)
        if have_c in STRUCTS:
            return self.coerce(ir.RtCall("_cf", "box_" + have_c[4:], [value]), have, want, "object", want_c)
        if want_c == "double" and have_c == "long long":
            return ir.Cast("double", value)
        if want_c == "object" or have.kind == "null" and want_c not in _C_SCALAR:
            return value                # null is a value of every type that is not a C scalar
        if have_c == "object":
            unwrapped = ir.RtCall("_cf", "value_of", [value])
            if want_c in ("long long", "double"):
                return ir.Cast(want_c, ir.RtCall("_rt", "as_int" if want_c == "long long" else "as_float",
                                                  [unwrapped]), from_object=True)
            if want_c == "bint":
                return ir.RtCall("_rt", "truthy", [unwrapped])
            return ir.Cast(want_c, unwrapped, checked=True, from_object=True)
        return value

    def boxed(self, e) -> ir.Expr:
        """Lower e for a place that takes any object (Cython boxes C values itself)."""
        return self.expr(e)

    def truth(self, e) -> ir.Expr:
        """Lower e as a C condition."""
        t = self.t(e)
        if self.rep(e) == "_cf.cbool":
            return ir.Attr(self.expr_raw(e), "v")
        value = self.expr(e)
        if self.typed and t.kind == "bool" and not t.conf:
            return value
        if self.typed and T.is_c_scalar(t):
            return ir.Bin("!=", value, ir.Lit(0))
        return ir.RtCall("_rt", "truthy", [value])

    # ------------------------------------------------------------ dispatch
    def expr(self, e) -> ir.Expr:
        """Lower e to a C scalar or a Python object (unboxed confident values are boxed)."""
        value = self.expr_raw(e)
        r = self.rep(e)
        if r in STRUCTS:
            return ir.RtCall("_cf", "box_" + r[4:], [value])
        if r == TENSOR_VIEW:
            return ir.Attr(value, "base")          # the array itself, not Cython's memoryview
        return value

    def expr_raw(self, e) -> ir.Expr:
        """Lower e in its own representation (`rep`), which may be a confidence struct."""
        return getattr(self, "x_" + type(e).__name__)(e)

    def rep(self, e) -> str:
        """How `expr_raw(e)` carries its value: a C type, a confidence struct, or object."""
        cached = self.reps.get(id(e))
        if cached is None:
            cached = self.reps[id(e)] = self._rep(e)
        return cached

    def _rep(self, e) -> str:
        if not self.typed:
            return "object"
        t = self.t(e)
        if isinstance(e, ast.Name):
            sym = self.res.names.get(id(e))
            if sym is not None and sym.kind == "local":
                return self.sym_ctype(sym)
            return T.ctype_of(t)
        if t.conf and t.kind in CONF_STRUCT and self.state.typed_locals and not self.debug:
            unboxed = _C_SCALAR | STRUCTS
            if isinstance(e, ast.Binary):
                if e.op == "~>" and self.rep(e.left) in unboxed and \
                        (literal_number(e.right) is not None or self.t(e.right) == T.FLOAT):
                    return CONF_STRUCT[t.kind]
                numeric = self.t(e.left).kind in T.NUMERIC and self.t(e.right).kind in T.NUMERIC
                if (e.op in _STRUCT_ARITH or e.op in _STRUCT_CMP) and numeric and \
                        self.rep(e.left) in unboxed and self.rep(e.right) in unboxed:
                    return CONF_STRUCT[t.kind]
            if isinstance(e, ast.Unary) and e.op in ("-", "+", "!") and self.rep(e.operand) in STRUCTS:
                return CONF_STRUCT[t.kind]
            return "object"
        return T.ctype_of(t)

    def to_struct(self, value: ir.Expr, have: str, struct: str) -> ir.Expr:
        """Convert a value represented as `have` into the confidence struct `struct`."""
        if have == struct:
            return value
        p = _PREFIX[struct]
        if have in _C_SCALAR:
            if struct == "_cf.cfloat" and have != "double":
                value = ir.Cast("double", value)
            return ir.RtCall("_cf", p + "_make", [value, ir.Lit(1.0)])
        if have == "_cf.cint" and struct == "_cf.cfloat":
            return ir.RtCall("_cf", "cf_from_ci", [value])
        if have in STRUCTS:
            value = ir.RtCall("_cf", "box_" + have[4:], [value])
        return ir.RtCall("_cf", "unbox_" + struct[4:], [value])

    def struct_binary(self, e) -> ir.Expr:
        struct = self.rep(e)
        p = _PREFIX[struct]
        if e.op == "~>":
            operand = self.to_struct(self.expr_raw(e.left), self.rep(e.left), struct)
            factor = literal_number(e.right)
            factor_ir = ir.Lit(factor) if factor is not None else \
                ir.RtCall("_cf", "checked_factor", [self.expr(e.right)])
            return ir.RtCall("_cf", p + "_with", [operand, factor_ir, ir.Var("_prism_hooks")])
        if e.op in _STRUCT_CMP:
            kind = "_cf.cfloat" if "float" in (self.t(e.left).kind, self.t(e.right).kind) else "_cf.cint"
            name = _PREFIX[kind] + "_" + _STRUCT_CMP[e.op]
        else:
            kind = struct
            name = p + "_" + _STRUCT_ARITH[e.op]
        left = self.to_struct(self.expr_raw(e.left), self.rep(e.left), kind)
        right = self.to_struct(self.expr_raw(e.right), self.rep(e.right), kind)
        return ir.RtCall("_cf", name, [left, right])

    def x_IntLit(self, e):
        return ir.Lit(e.value)

    def x_FloatLit(self, e):
        return ir.Lit(e.value)

    def x_StringLit(self, e):
        return ir.Lit(e.value)

    def x_BoolLit(self, e):
        return ir.Lit(e.value)

    def x_NullLit(self, e):
        return ir.Lit(None)

    def x_TemplateString(self, e):
        parts = []
        for p in e.parts:
            if isinstance(p, str):
                if p:
                    parts.append(ir.Lit(p))
            elif self.typed and self.t(p) == T.STRING:
                parts.append(self.expr(p))
            else:
                parts.append(ir.RtCall("_rt", "to_str", [self.expr(p)]))
        return ir.RtCall("_rt", "concat", [ir.TupleDisplay(parts)])

    def x_Name(self, e):
        sym = self.res.names[id(e)]
        if sym.kind == "builtin" and sym.name in CONSTANTS:
            return ir.Lit(CONSTANTS[sym.name])
        if sym.kind == "builtin" and BUILTINS[sym.name].module not in CIMPORTED_MODULES:
            return ir.Var(self.runtime_alias(sym.name))
        if sym.kind == "builtin":
            spec = BUILTINS[sym.name]
            module = "_rtpy" if spec.module == "core" else "_cfpy"
            return ir.Attr(ir.Var(module), spec.runtime)
        if sym.kind == "undefined":             # a runtime error when evaluated (the compiler warned)
            return ir.RtCall("_rt", "undefined_name", [ir.Lit(sym.name)])
        if sym.kind == "trait":
            return ir.Var(sym.py_name)
        if sym.kind == "runtime":
            return ir.Var(self.runtime_alias(sym.name))
        value = ir.Var(self.py_name(sym))
        if sym.kind == "global" and self.typed:
            # Module globals are Python objects; inside typed code read them at their type.
            t = self.ty.sym(sym)
            if T.ctype_of(t) != "object" and not (sym.owner is None and self.fn_scope is self.res.module_scope):
                return ir.Cast(T.ctype_of(t), value, checked=T.ctype_of(t) not in ("long long", "double", "bint"),
                               from_object=True)
        return value

    def runtime_alias(self, name: str) -> str:
        self.used_runtime.add(name)
        return "_pr_" + name

    def x_ArrayLit(self, e):
        kind = self.unboxed.get(id(e)) if self.typed else None
        elements = [self.boxed(x) for x in e.elements]
        if kind is not None:                # held only where it cannot escape (see unboxing)
            return self.ar("floats" if kind == "d" else "ints", [ir.TupleDisplay(elements)])
        return ir.ListDisplay(elements)

    def ar(self, func: str, args: list) -> ir.Expr:
        """A call into prism_runtime.arrays (cimported as _ar by modules that use it)."""
        self.uses_arrays = True
        return ir.RtCall("_ar", func, args)

    def x_ObjectLit(self, e):
        return ir.RtCall("_rt", "Obj", [ir.ObjDisplay([(en.key, self.boxed(en.value)) for en in e.entries])])

    def x_Unary(self, e):
        ot = self.t(e.operand)
        decl = self.ty.operators.get(id(e))
        if decl is not None:
            return self.operator_call(decl, [e.operand])
        if e.op == "|":
            if self.is_c(ot) and ot.kind in T.NUMERIC:       # `|x|` on a number is its absolute value
                return ir.RtCall("_rt", "i_abs" if ot.kind == "int" else "f_abs", [self.expr(e.operand)])
            return ir.RtCall("_rt", "magnitude", [self.expr(e.operand)])
        if e.op == "<~" and self.rep(e.operand) in STRUCTS:
            return ir.Attr(self.expr_raw(e.operand), "c")
        if self.rep(e) in STRUCTS:
            operand = self.expr_raw(e.operand)
            if e.op == "+":
                return operand
            if e.op == "!":
                return ir.RtCall("_cf", "cb_not", [self.to_struct(operand, self.rep(e.operand), "_cf.cbool")])
            return ir.RtCall("_cf", _PREFIX[self.rep(e)] + "_neg", [operand])
        if e.op == "<~":
            if self.typed and not ot.conf and ot.kind in _PLAIN_KINDS:
                return ir.Lit(1.0)
            return ir.RtCall("_cf", "conf_of", [self.expr(e.operand)])
        if e.op == "!":
            if self.typed and ot.kind == "bool" and not ot.conf:
                return ir.Un("not ", self.expr(e.operand))
            return ir.RtCall("_rt", "not_", [self.expr(e.operand)])
        if e.op == "-":
            if isinstance(e.operand, (ast.IntLit, ast.FloatLit)):
                return ir.Lit(-e.operand.value)
            if self.is_c(ot) and ot.kind == "int":
                return ir.RtCall("_rt", "i_neg", [self.expr(e.operand)])
            if self.is_c(ot):
                return ir.Un("-", self.expr(e.operand))
            return ir.RtCall("_rt", "neg", [self.expr(e.operand)])
        # unary plus
        if self.is_c(ot):
            return self.expr(e.operand)
        return ir.RtCall("_rt", "pos", [self.expr(e.operand)])

    def x_Binary(self, e):
        if self.rep(e) in STRUCTS:
            return self.struct_binary(e)
        decl = self.ty.operators.get(id(e))
        if decl is not None:
            return self.operator_call(decl, [e.left, e.right])
        op = e.op
        if op == ".":
            return ir.RtCall("_rt", "dot", [self.boxed(e.left), self.boxed(e.right)])
        lt, rt = self.t(e.left), self.t(e.right)
        if op in ("&&", "||"):
            return self.logical(e, lt, rt)
        if op == "~>":
            return self.traced_with_conf(self.boxed(e.left), self.expr(e.right), e)
        if op == "~??":
            tmp = self.temp()
            return ir.Cond(ir.Bin(">=", ir.RtCall("_cf", "conf_of", [ir.Walrus(tmp, self.boxed(e.left))]),
                                  ir.Lit(0.5)),
                           ir.Var(tmp), self.boxed(e.right))
        if op == "~||>":
            return ir.RtCall("_cf", "more_confident", [self.boxed(e.left), self.boxed(e.right)])
        if op == "~@>":
            return ir.RtCall("_cf", "at_least", [self.boxed(e.left), self.expr(e.right)])
        left, right = self.expr(e.left), self.expr(e.right)
        if op in _C_COMPARE:
            if self.is_c(lt) and self.is_c(rt):
                return ir.Bin(_C_COMPARE[op], left, right)
            if self.typed and not lt.conf and not rt.conf and lt.kind == rt.kind == "string":
                return ir.Bin(_C_COMPARE[op], left, right)
            return self.traced_generic(op, left, right, _GENERIC[op], e, lt, rt)
        return self.arith(op, left, right, lt, rt, self.t(e), e)

    def arith(self, op, left, right, lt, rt, result, e=None):
        if self.is_c(lt) and self.is_c(rt) and lt.kind in T.NUMERIC and rt.kind in T.NUMERIC:
            if lt.kind == rt.kind == "int":
                if op in _INT_OPS:
                    return ir.RtCall("_rt", _INT_OPS[op], [left, right])
                if op == "**" and result.kind == "int":
                    return ir.RtCall("_rt", "i_pow", [left, right])
            else:
                left = self.coerce(left, lt, T.FLOAT)
                right = self.coerce(right, rt, T.FLOAT)
                if op in _FLOAT_OPS:
                    return ir.Bin(_FLOAT_OPS[op], left, right)
                return ir.RtCall("_rt", {"/": "f_div", "%": "f_mod", "**": "f_pow"}[op], [left, right])
        if self.typed and op == "+" and not lt.conf and not rt.conf:
            if lt.kind == "string" and rt.kind == "string":
                return ir.Bin("+", left, right)
            if lt.kind == "string":
                return ir.Bin("+", left, ir.RtCall("_rt", "to_str", [right]))
            if rt.kind == "string":
                return ir.Bin("+", ir.RtCall("_rt", "to_str", [left]), right)
        return self.traced_generic(op, left, right, _GENERIC[op], e, lt, rt)

    def logical(self, e, lt, rt):
        if self.typed and lt == T.BOOL and rt == T.BOOL:
            return ir.Bin("and" if e.op == "&&" else "or", self.expr(e.left), self.expr(e.right))
        tmp = self.temp()
        first = ir.Walrus(tmp, self.boxed(e.left))
        if e.op == "&&":
            # The right side runs only when the left is true; confidence is the product.
            return ir.Cond(ir.RtCall("_rt", "truthy", [first]),
                           ir.RtCall("_rt", "and_tail", [ir.Var(tmp), self.boxed(e.right)]),
                           ir.RtCall("_rt", "as_bool", [ir.Var(tmp)]))
        # `||` needs the right side when the left is false or not certain (the larger confidence wins).
        return ir.Cond(ir.RtCall("_rt", "or_needs_right", [first]),
                       ir.RtCall("_rt", "or_tail", [ir.Var(tmp), self.boxed(e.right)]),
                       ir.RtCall("_rt", "as_bool", [ir.Var(tmp)]))

    def x_Range(self, e):
        stop = self.expr(e.end)
        if e.inclusive:
            stop = self.arith("+", stop, ir.Lit(1), self.t(e.end), T.INT, T.INT)
        return ir.RtCall("_rt", "b_range", [ir.TupleDisplay([self.boxed(e.start), stop])])

    def x_Member(self, e):
        if e.name == "length" and self.rep(e.obj) == TENSOR_VIEW:
            return ir.Item(ir.Attr(self.expr_raw(e.obj), "shape"), ir.Lit(0))
        ot = self.t(e.obj)
        obj = self.expr(e.obj)
        if self.typed and not ot.conf:
            if e.name == "length" and T.num_array_kind(ot):
                return self.ar("seq_len", [obj])
            if e.name == "length" and ot.kind in ("array", "string"):
                return ir.Call(ir.Var("len"), [obj])
            if ot.kind == "struct":
                return self.field_read(ot.name, obj, e.name)
            if ot.kind == "error" and e.name in ERROR_FIELDS:
                return ir.Attr(obj, e.name)
            if ot.kind == "map":
                return ir.RtCall("_rt", "get_key", [obj, ir.Lit(e.name)])
        return ir.RtCall("_rt", "get_member", [obj, ir.Lit(e.name)])

    def tensor_slot(self, obj_ast, index_ast) -> ir.Expr:
        """`t[i]` on a tensor parameter: a bounds-checked C element access."""
        view = self.expr_raw(obj_ast)
        size = ir.Item(ir.Attr(view, "shape"), ir.Lit(0))
        return ir.Item(view, ir.RtCall("_rt", "check_index", [self.expr(index_ast), size]))

    def x_Index(self, e):
        ot = self.t(e.obj)
        it = self.t(e.index)
        if self.rep(e.obj) == TENSOR_VIEW and it == T.INT:
            return ir.Cast("double", self.tensor_slot(e.obj, e.index))
        obj, index = self.expr(e.obj), self.expr(e.index)
        kind = T.num_array_kind(ot) if self.typed else None
        if kind is not None and it == T.INT:
            return self.ar("seq_float_at" if kind == "d" else "seq_int_at", [obj, index])
        if self.typed and ot.kind == "array" and not ot.conf and it == T.INT:
            item = ir.Item(obj, ir.RtCall("_rt", "check_index", [index, ir.Call(ir.Var("len"), [obj])]))
            element = T.ctype_of(ot.element)
            # A list holds objects: read a typed element straight into its C type.
            return ir.Cast(element, item, checked=element not in ("long long", "double", "bint"), from_object=True) \
                if element != "object" else item
        return ir.RtCall("_rt", "get_index", [obj, index])

    def x_Slice(self, e):
        lo = self.boxed(e.start) if e.start is not None else ir.Lit(None)
        hi = self.boxed(e.end) if e.end is not None else ir.Lit(None)
        return ir.RtCall("_rt", "slice_", [self.expr(e.obj), lo, hi])

    def x_Await(self, e):
        value = ir.AwaitExpr(self.expr(e.value))
        if e.confidence is not None:            # `await ~c e` is `(await e) ~> c`
            value = ir.RtCall("_cf", "with_conf", [value, self.expr(e.confidence)])
        return value

    def x_Promise(self, e):
        """`promise ~c e`: an awaitable that is already resolved to `e ~> c`."""
        value = ir.RtCall("_cf", "with_conf", [self.boxed(e.value), self.expr(e.confidence)])
        return ir.Call(ir.Attr(ir.Var("_rtio"), "resolved"), [value])

    def x_Tagged(self, e):
        """`in "ctx" value`: value evaluated inside the context (before the rest of its
        statement), then tagged with it."""
        line = e.span.line
        context, token, value = self.temp(), self.temp("_pc"), self.temp()
        self.pre.append(ir.Assign(ir.Var(context), self.boxed(e.context), line))
        self.pre.append(ir.Assign(ir.Var(token), ir.RtCall("_cx", "enter", [ir.Var(context)]), line))
        outer, self.pre = self.pre, []
        inner = self.boxed(e.value)
        inner_pre, self.pre = self.pre, outer
        body = inner_pre + [ir.Assign(ir.Var(value), inner, line)]
        self.pre.append(ir.Try(body, None, None, [ir.ExprStmt(ir.RtCall("_cx", "exit", [ir.Var(token)]), line)],
                               line))
        return ir.RtCall("_cf", "tag", [ir.Var(value), ir.Var(context)])

    def x_StructLit(self, e):
        sym = self.res.names[id(e)]
        if sym.kind != "struct":                # a struct imported from another module: by field names
            args, kwargs, dict_kwargs = self.plain_args(tuple(ast.Arg(en.key, en.value, en.span) for en in e.entries))
            return ir.Call(self.x_Name_symbol(sym), args, kwargs, dict_kwargs)
        args = tuple(ast.Arg(entry.key, entry.value, entry.span) for entry in e.entries)
        call = ast.Call(e, args, e.span)
        self.synthesized.append(call)
        return self.construct(e.name, call)

    def x_Path(self, e):
        sym = self.res.names.get(id(e))
        if sym is not None:                     # `Trait::value`: the value itself
            return self.x_Name_symbol(sym)
        struct = self.res.decls[id(self.res.structs[e.owner])]
        return ir.Attr(ir.Var(struct.py_name), ident(e.name))

    def x_TypeApply(self, e):
        return self.x_Name_symbol(self.res.names[id(e)])

    def x_Name_symbol(self, sym):
        probe = ast.Name(sym.name, ast.Span(0, 0, 0, 0))
        self.synthesized.append(probe)
        self.res.names[id(probe)] = sym
        return self.x_Name(probe)

    def async_task(self, node: ast.AsyncBlock):
        """`async ~c { }`: an async function of no arguments (its definition) and the call that
        starts it at once as a task the program waits for before it ends (the statement's and
        the expression's one lowering)."""
        fn = self.lower_callable(node, (), node.body, name=self.temp("_pa"), is_async=True)
        fn.flavor = "async def"
        return ir.Def(fn, node.span.line), ir.Call(ir.Attr(ir.Var("_rtio"), "spawn"), [ir.Var(fn.name)])

    def x_AsyncBlock(self, e):
        """`async ~c { }` as an expression: its value is the started task."""
        definition, start = self.async_task(e)
        self.pre.append(definition)
        return start

    def x_Lambda(self, e):
        body = e.body if isinstance(e.body, ast.Block) else ast.Block((ast.Return(e.body, e.body.span),), e.span)
        fn = self.lower_callable(e, e.params, body, name="", is_async=e.is_async)
        if not isinstance(e.body, ast.Block) and not e.is_async and all(p.default is None for p in e.params) \
                and not fn.locals and len(fn.body) == 1 and fn.body[0].kind == "return" \
                and fn.body[0].value is not None:
            # An expression body that needs no statements stays a Python lambda.
            return ir.LambdaExpr([p.name for p in fn.params], fn.body[0].value)
        fn.name = self.temp("_pl")
        self.pre.append(ir.Def(fn, e.span.line))
        return ir.Var(fn.name)

