"""Hoisting checked C operations out of side-effect-free statements.

Runs on IR functions after `lower`. Overflow- and zero-checked operations are
first lowered as expressions (`_rt.i_add(a, b)`, declared `except? -1`), which
makes Cython test PyErr_Occurred() whenever the result happens to be -1. In a
statement whose every other part is free of side effects, the same operations
can run first, in evaluation order, through the status-returning forms
(`except -1`), leaving the hot loop with no Python interaction at all:

    s = (s + _rt.f_div(x, y))        ->   _rt.f_div_into(&_ph1, x, y)
                                          s = (s + _ph1)

Short-circuit operators and conditional expressions are barriers: nothing is
hoisted out of their later operands, which may not run. Statements that call
functions or touch Python objects are left alone. Within a run of such
side-effect-free statements, reading the same typed-array element again
(`w[i]` twice) reuses the first read, until the list or index variable is
reassigned.
"""
from __future__ import annotations

from transpiler.back import ir

# Checked runtime operation (module alias, name) -> the C type of its result.
CHECKED = {("_rt", name): ctype for name, ctype in {
    "i_add": "long long", "i_sub": "long long", "i_mul": "long long", "i_mod": "long long",
    "i_neg": "long long", "i_abs": "long long", "i_pow": "long long",
    "i_div": "double", "f_div": "double", "f_mod": "double", "f_pow": "double",
    "check_index": "Py_ssize_t", "list_float_at": "double", "list_int_at": "long long",
}.items()}
CHECKED.update({("_ar", "seq_float_at"): "double", ("_ar", "seq_int_at"): "long long"})
_PURE_BIN = {"+", "-", "*", "/", "==", "!=", "<", "<=", ">", ">="}
# Runtime reads with no side effects and no status form: they may stay inside a hoisted statement.
_PURE_RT = {("_ar", "seq_len")}


# Stores into unboxed arrays: side effects, but their arguments may be hoisted like a pure value.
_STORES = {("_ar", "seq_push_float"), ("_ar", "seq_push_int"), ("_ar", "seq_set_float"), ("_ar", "seq_set_int")}


# Reads that may be reused by a later statement while nothing can have changed them.
_REUSABLE = {("_rt", "list_float_at"), ("_rt", "list_int_at"), ("_ar", "seq_float_at"), ("_ar", "seq_int_at")}


class _Hoister:
    def __init__(self, fn: ir.Function):
        self.fn = fn
        self.counter = 0
        # (func, arg names) -> temp holding that element read, valid until a statement
        # with side effects runs or one of the named variables is reassigned.
        self.available: dict = {}

    def temp(self, ctype: str) -> str:
        self.counter += 1
        name = f"_ph{self.counter}"
        self.fn.locals.append((name, ctype))
        return name

    # ------------------------------------------------------------ purity
    def pure(self, e) -> bool:
        k = e.kind
        if k in ("lit", "var"):
            return True
        if k == "bin":
            return e.op in _PURE_BIN and self.pure(e.left) and self.pure(e.right)
        if k == "un":
            return self.pure(e.operand)
        if k == "cast":
            if e.from_object:
                return e.value.kind == "item" and self.pure(e.value)
            return self.pure(e.value)
        if k == "rt":
            return ((e.module, e.func) in CHECKED or (e.module, e.func) in _PURE_RT) and \
                all(self.pure(a) for a in e.args)
        if k == "item":
            return (e.obj.kind == "var" or self.pure(e.obj)) and self.pure(e.index)
        if k == "attr":
            return e.obj.kind == "var" and e.name == "shape"      # a tensor view's shape: a C read
        if k == "call":
            return e.func.kind == "var" and e.func.name == "len" and len(e.args) == 1 \
                and not e.kwargs and not e.dict_kwargs and e.args[0].kind == "var"
        return False

    # ------------------------------------------------------------ extraction
    def extract(self, e, pre: list, line: int):
        """Rewrite e, moving checked operations (in evaluation order) into pre."""
        k = e.kind
        if k == "bin":
            e.left = self.extract(e.left, pre, line)
            e.right = self.extract(e.right, pre, line)
            return e
        if k == "un":
            e.operand = self.extract(e.operand, pre, line)
            return e
        if k == "cast":
            e.value = self.extract(e.value, pre, line)
            if e.from_object:
                out = self.temp(e.ctype)
                pre.append(ir.Assign(ir.Var(out), e, line))
                return ir.Var(out)
            return e
        if k == "item":
            e.obj = self.extract(e.obj, pre, line)
            e.index = self.extract(e.index, pre, line)
            return e
        if k == "rt":
            e.args = [self.extract(a, pre, line) for a in e.args]
            op = (e.module, e.func)
            if op not in CHECKED:
                return e
            key = None
            if op in _REUSABLE and all(a.kind == "var" for a in e.args):
                key = (op,) + tuple(a.name for a in e.args)
                if key in self.available:
                    return ir.Var(self.available[key])
            out = self.temp(CHECKED[op])
            pre.append(ir.CheckedOp(e.func, out, e.args, line, e.module))
            if key is not None:
                self.available[key] = out
            return ir.Var(out)
        return e

    def forget(self, name: str) -> None:
        """`name` was reassigned: reads that used it are stale."""
        self.available = {k: v for k, v in self.available.items() if name not in k[1:]}

    def statement(self, s, out: list) -> None:
        k = s.kind
        if k == "assign" and s.target.kind == "var" and self.pure(s.value):
            pre: list = []
            if _has_checked(s.value):
                s.value = self.extract(s.value, pre, s.line)
            out.extend(pre)
            self.forget(s.target.name)
            out.append(s)
            return
        if k == "assign" and s.target.kind == "item" and s.target.obj.kind == "var" \
                and self.pure(s.target.index) and self.pure(s.value):
            # A tensor element store `t[i] = v`: the value runs first, then the slot.
            pre = []
            s.value = self.extract(s.value, pre, s.line)
            s.target.index = self.extract(s.target.index, pre, s.line)
            out.extend(pre)
            out.append(s)
            return
        if k == "expr" and s.expr.kind == "rt" and (s.expr.module, s.expr.func) in _STORES \
                and all(self.pure(a) for a in s.expr.args):
            # `xs.push(a / b)`: the checked operations of the stored value run first
            pre = []
            s.expr.args = [self.extract(a, pre, s.line) for a in s.expr.args]
            out.extend(pre)
            self.available = {}
            out.append(s)
            return
        self.available = {}             # anything else may have side effects
        if k in ("expr", "return") and getattr(s, "value" if k == "return" else "expr", None) is not None:
            field = "value" if k == "return" else "expr"
            value = getattr(s, field)
            if self.pure(value) and _has_checked(value):
                pre = []
                setattr(s, field, self.extract(value, pre, s.line))
                out.extend(pre)
        elif k == "if":
            s.branches = [(cond, self.block(body)) for cond, body in s.branches]
            if s.orelse is not None:
                s.orelse = self.block(s.orelse)
        elif k in ("while", "for_range", "for_in"):
            s.body = self.block(s.body)
            self.available = {}
        elif k == "try":
            s.body = self.block(s.body)
            if s.handler is not None:
                s.handler = self.block(s.handler)
            if s.finalbody is not None:
                s.finalbody = self.block(s.finalbody)
        elif k == "def":
            hoist_function(s.function)
        out.append(s)

    def block(self, stmts: list) -> list:
        self.available = {}             # a block may be entered from anywhere (loops, branches)
        out: list = []
        for s in stmts:
            self.statement(s, out)
        self.available = {}
        return out


def _has_checked(e) -> bool:
    if e.kind == "rt" and (e.module, e.func) in CHECKED:
        return True
    if e.kind == "cast" and e.from_object:
        return True
    return any(_has_checked(child) for child in _children(e))


def _children(e):
    for name in ("left", "right", "operand", "value", "obj", "index"):
        child = getattr(e, name, None)
        if isinstance(child, ir.Expr):
            yield child
    for a in getattr(e, "args", ()) or ():
        if isinstance(a, ir.Expr):
            yield a


def hoist_function(fn: ir.Function) -> None:
    """Rewrite fn's body in place (see the module docstring)."""
    fn.body = _Hoister(fn).block(fn.body)


def hoist_module(module: ir.Module) -> None:
    for fn in module.functions:
        hoist_function(fn)
    for struct in module.structs:
        for method in struct.methods:
            hoist_function(method)
