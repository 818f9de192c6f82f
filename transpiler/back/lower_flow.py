"""Lowering of control flow: `if`/`else if`, `while`, C-style `for`, `for ... in`,
`try`/`catch`/`finally` and `uncertain if`.

A mixin of `lower.Lowerer` (which gives it `body`, `stmt`, `temp`, `pre` and the
expression lowering of `lower_expr.ExprLowering`); builds `ir` statements.

    for i in 0..n { }   (typed ints)    for i in range(0, n):   (Cython makes it a C loop)
    for x in xs { }   (xs: [float])     an index loop reading C doubles (`for_in_numbers`)
    for (init; c; step) { continue }    init; while c: ... step   (`continue` runs the step)

Choices made here:
- An `else if` whose condition needs statements first is nested in the else part
  rather than flattened into an elif chain, so those statements run only there.
- Catch clauses are tried in order; inside `catch e ~c`, a `return` scales its
  value's confidence by c (`state.catch_factors`, read by `Lowerer.s_Return`).
"""
from __future__ import annotations

from transpiler.front import ast
from transpiler.back import ir
from transpiler.passes import types as T
from transpiler.passes.resolve import Symbol


class FlowLowering:
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
        return self.loop(s.cond, s.body, None, s.span.line)

    def loop(self, cond_ast, body_ast: ast.Block, step, line: int) -> list:
        """`while cond { body; step }`, with `continue` running the step."""
        saved = self.pre
        self.pre = []
        cond = self.truth(cond_ast) if cond_ast is not None else ir.Lit(True)
        cond_pre, self.pre = self.pre, saved
        self.state.loop_steps.append(step)
        try:
            body = self.body(body_ast)
            if step is not None:
                body = body + self.stmt(step)
        finally:
            self.state.loop_steps.pop()
        if cond_pre:
            exit_test = ir.If([(ir.Un("not ", cond), [ir.Break(line)])], None, line)
            return [ir.While(ir.Lit(True), cond_pre + [exit_test] + body, line)]
        return [ir.While(cond, body, line)]

    def s_CFor(self, s: ast.CFor):
        init = self.stmt(s.init) if s.init is not None else []
        return init + self.loop(s.cond, s.body, s.step, s.span.line)

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
                return [ir.ForRange(names[0], start, stop, self.loop_body(s.body), line)]
        it = self.t(s.iterable)
        iterable = self.expr(s.iterable)
        kind = T.num_array_kind(it) if self.typed else None
        if kind is not None and len(syms) == 1 and not s.is_await and self.state.node is not self.module:
            return self.for_in_numbers(syms[0], iterable, kind, s.body, line)
        if len(syms) == 2:
            iterable = ir.RtCall("_rt", "pairs", [iterable])
        elif not (self.typed and it.kind in ("array", "string") and not it.conf) and not s.is_await:
            iterable = ir.RtCall("_rt", "iterate", [iterable])
        body = self.loop_body(s.body)
        return [ir.ForIn(names, iterable, body, s.is_await, line)]

    def for_in_numbers(self, sym: Symbol, iterable: ir.Expr, kind: str, body: ast.Block, line: int) -> list:
        """`for x in xs`, xs a `[float]`/`[int]`: an index loop reading C numbers. The length is
        read on every step, as a list iterator does, so an array growing in the loop is seen."""
        seq, index = self.temp(), self.c_temp("Py_ssize_t")
        element, ctype = (T.FLOAT, "double") if kind == "d" else (T.INT, "long long")
        read = self.ar("seq_float_at" if kind == "d" else "seq_int_at", [ir.Var(seq), ir.Var(index)])
        bind = ir.Assign(ir.Var(self.py_name(sym)),
                         self.coerce(read, element, self.sym_type(sym), ctype, self.sym_ctype(sym)), line)
        step = ir.Assign(ir.Var(index), ir.Bin("+", ir.Var(index), ir.Lit(1)), line)
        loop = ir.While(ir.Bin("<", ir.Var(index), self.ar("seq_len", [ir.Var(seq)])),
                        [bind, step] + self.loop_body(body), line)
        return [ir.Assign(ir.Var(seq), iterable, line), ir.Assign(ir.Var(index), ir.Lit(0), line), loop]

    def loop_body(self, b: ast.Block) -> list:
        self.state.loop_steps.append(None)
        try:
            return self.body(b)
        finally:
            self.state.loop_steps.pop()

    def s_Try(self, s: ast.Try):
        """Clauses are tried in order: the first whose guard holds handles the error; when
        none does, it propagates (after `finally`)."""
        body = self.body(s.body)
        handler, exc = None, None
        if s.catches:
            exc = self.temp("_pe")
            error = ir.RtCall("_rt", "as_prism_error", [ir.Var(exc)])
            handler, branches = [], []
            for c in s.catches:
                line = c.span.line
                binds = self.caught_note(exc, line) if c is s.catches[0] else []
                if id(c) in self.res.targets:          # `catch TimeoutError` binds nothing
                    binds.append(ir.Assign(ir.Var(self.res.targets[id(c)].py_name), error, line))
                self.state.catch_factors.append(c.confidence) if c.confidence is not None else None
                try:
                    clause = self.body(c.body)
                finally:
                    if c.confidence is not None:
                        self.state.catch_factors.pop()
                code = self.res.catch_kinds.get(id(c))
                kind_test = ir.RtCall("_rt", "match_eq", [ir.Attr(error, "code"), ir.Lit(code)]) \
                    if code is not None else None
                if c.guard is None and kind_test is None:
                    branches.append((None, binds + clause))
                    break
                self.pre = []
                guard = self.truth(c.guard) if c.guard is not None else None
                handler.extend(binds)
                handler.extend(self.pre)
                test = kind_test if guard is None else guard if kind_test is None else ir.Bin("and", kind_test, guard)
                branches.append((test, clause))
            always = branches[-1][1] if branches[-1][0] is None else [ir.Raise(None, s.span.line)]
            tests = [(g, b) for g, b in branches if g is not None]
            handler.extend(self.branch_chain(tests, always, s.span.line))
        final = self.body(s.finalbody) if s.finalbody is not None else None
        return [ir.Try(body, exc, handler, final, s.span.line)]

    def branch_chain(self, tests: list, orelse: list, line: int) -> list:
        """if/elif/else over (condition, statements) pairs; just orelse when there are none."""
        return [ir.If(tests, orelse, line)] if tests else orelse

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
