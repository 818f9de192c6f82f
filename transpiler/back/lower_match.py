"""Lowering of `match`: patterns become tests with walrus bindings.

A mixin of `lower.Lowerer` (statement form: `match_statements`). A
match whose arms are all expressions becomes one conditional expression;
one with block or statement arms runs as statements into a temporary.

    match x { [a, ...r] if a > 0 => a, in "prod" e ~{0.8, 1.0} => e, _ => 0 }
      -> (_t := x,
          (a if (_rt.array_fits(_t, 1, True) and (a := _t[0], r := _rt.slice_(_t, 1, None), True)[2])
                  and a > 0 else
           (e if _rt.match_eq(_cf.context_tag(_t), 'prod') and _cf.in_range(_t, 0.8, 1.0) ... else 0)))[1]

`Some(v)` matches any value that is not null; `Ok(v)` / `Error(e)` a std/core `Result` of
that variant, whose payload (`_rtio.variant_value`) the inner pattern matches.

Choices: `~{lo, hi}` tests the subject's confidence when it carries one (a value
with confidence below 1, an error), else a plain number itself (`_cf.in_range`);
a context pattern's tag is a tagged value's context, an error's `context`, or
the current context's name (`_cf.context_tag`).
"""
from __future__ import annotations

from typing import Optional

from transpiler.front import ast
from transpiler.back import ir
from transpiler.passes import types as T


class MatchLowering:
    def x_Match(self, e):
        if any(isinstance(arm.body, (ast.Block, ast.Stmt)) for arm in e.arms):
            # Block and statement arms cannot be expressions: run the match as statements into a temp.
            result = self.temp()
            statements = self.match_statements(e, result)
            self.pre.extend(statements)
            return ir.Var(result)
        subject = self.temp()
        chain: ir.Expr = ir.Lit(None)
        for arm in reversed(e.arms):
            test, binds = self.pattern_test(arm.pattern, ir.Var(subject), self.t(e.subject))
            value = self.boxed(arm.body)
            if arm.guard is not None:
                test = self.seq(binds, self.truth(arm.guard)) if test is None else \
                    ir.Bin("and", test, self.seq(binds, self.truth(arm.guard)))
            elif binds:
                value = self.seq(binds, value)
            chain = value if test is None else ir.Cond(test, value, chain)
        return ir.Item(ir.TupleDisplay([ir.Walrus(subject, self.boxed(e.subject)), chain]), ir.Lit(1))

    def seq(self, binds, value):
        """Evaluate the walrus bindings, then value (a tuple's last item)."""
        if not binds:
            return value
        return ir.Item(ir.TupleDisplay(binds + [value]), ir.Lit(len(binds)))

    def conjunction(self, parts: list):
        """`a and b and ...` over tests (None: always true) and walrus bindings (lists)."""
        terms = []
        for part in parts:
            if isinstance(part, list):
                if part:
                    terms.append(self.seq(part, ir.Lit(True)))
            elif part is not None:
                terms.append(part)
        if not terms:
            return None
        result = terms[0]
        for t in terms[1:]:
            result = ir.Bin("and", result, t)
        return result

    def bind_pattern(self, decl, subject: ir.Expr) -> list:
        sym = self.res.decls[id(decl)]
        return [ir.Walrus(sym.py_name, self.coerce(subject, T.ANY, self.sym_type(sym), "object",
                                                   self.sym_ctype(sym)))]

    def pattern_test(self, pat, subject: ir.Expr, subject_type: T.Type):
        """(test or None for always, [walrus binds]) for one pattern against the subject temp."""
        if isinstance(pat, ast.WildcardPattern):
            return None, []
        if isinstance(pat, ast.BindingPattern):
            return None, self.bind_pattern(pat, subject)
        if isinstance(pat, ast.LiteralPattern):
            return ir.RtCall("_rt", "match_eq", [subject, self.expr(pat.value)]), []
        if isinstance(pat, ast.ConfidencePattern):
            # Choice: the subject's confidence when it carries one, else a plain number itself.
            test = ir.RtCall("_cf", "in_range", [subject, self.boxed(pat.low), self.boxed(pat.high)])
            parts = [test]
            if pat.inner is not None:
                parts.append(self.conjunction(list(self.pattern_test(pat.inner, subject, subject_type))))
            binds = self.bind_pattern(pat, subject) if pat.name not in (None, "_") else []
            return self.conjunction(parts), binds
        if isinstance(pat, ast.ArrayPattern):
            n = len(pat.elements)
            parts = [ir.RtCall("_rt", "array_fits", [subject, ir.Lit(n), ir.Lit(pat.rest is not None)])]
            for i, element in enumerate(pat.elements):
                test, binds = self.pattern_test(element, ir.Item(subject, ir.Lit(i)), T.ANY)
                parts.extend([test, binds])
            if pat.rest:
                parts.append(self.bind_pattern(pat, ir.RtCall("_rt", "slice_", [subject, ir.Lit(n), ir.Lit(None)])))
            return self.conjunction(parts), []
        if isinstance(pat, ast.AndPattern):
            left, right = (self.pattern_test(p, subject, subject_type) for p in (pat.left, pat.right))
            return self.conjunction([left[0], left[1], right[0], right[1]]), []
        if isinstance(pat, ast.OrPattern):
            sides = [self.conjunction(list(self.pattern_test(p, subject, subject_type)))
                     for p in (pat.left, pat.right)]
            if any(side is None for side in sides):
                return None, []
            return ir.Bin("or", sides[0], sides[1]), []
        if isinstance(pat, ast.ContextPattern):
            tag = ir.RtCall("_cf", "context_tag", [subject])
            parts = []
            if pat.tag is not None:
                parts.append(ir.RtCall("_rt", "match_eq", [tag, self.expr(pat.tag)]))
            if pat.binding is not None:
                parts.append(self.bind_pattern(pat, tag))
            if pat.inner is not None:
                parts.extend(self.pattern_test(pat.inner, subject, subject_type))
            return self.conjunction(parts), []
        if pat.name == "Some":       # any value that is not null, itself
            test = ir.Un("not ", ir.Bin("is", ir.RtCall("_cf", "value_of", [subject]), ir.Lit(None)))
            inner = self.pattern_test(pat.args[0], subject, subject_type)
            return self.conjunction([test, inner[0], inner[1]]), []
        # Ok(v) / Error(e): a Result of that variant (std/core), its payload matched by the inner pattern
        test = ir.Call(ir.Attr(ir.Var("_rtio"), "is_variant"), [subject, ir.Lit(pat.name)])
        payload = ir.Call(ir.Attr(ir.Var("_rtio"), "variant_value"), [subject])
        inner = self.pattern_test(pat.args[0], payload, T.ANY)
        return self.conjunction([test, inner[0], inner[1]]), []

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
                # A block arm's value is its final expression statement.
                body = self.block(arm.body.body, result=result)
            elif isinstance(arm.body, ast.Stmt):
                body = self.stmt(arm.body)       # `=> return v`, `=> throw e`, `=> break`
                self.pre = saved
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
