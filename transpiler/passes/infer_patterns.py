"""Type inference of `match`: the subject, each arm's guard and value, and the names
a pattern binds (`[x, ...rest]`, `v ~{0.8, 1.0}`, `in "ctx" e`, `Some(v)`).

A mixin of `infer._Inferrer` (which gives it `expr`, `bind`, `block`, `visit`, `res`
and `ty`). A match's type joins its arms' values; without a catch-all arm
(`_` or an unguarded binding) it may also give null.
Talks to `transpiler.passes.types` and `typerules.always_exits`.
"""
from __future__ import annotations

from transpiler.front import ast
from transpiler.passes import types as T
from transpiler.passes.typerules import always_exits


class PatternInference:
    def visit_Match(self, e: ast.Match) -> T.Type:
        st = self.expr(e.subject)
        result = T.BOTTOM
        for arm in e.arms:
            self.pattern(arm.pattern, st)
            if arm.guard is not None:
                self.expr(arm.guard)
            result = T.join(result, self.arm_value(arm))
        if not any(isinstance(a.pattern, ast.WildcardPattern) or
                   isinstance(a.pattern, ast.BindingPattern) and a.guard is None for a in e.arms):
            result = T.join(result, T.NULL)
        return T.ANY if result.kind == "bottom" else result

    def arm_value(self, arm: ast.MatchArm) -> T.Type:
        """The type of the value an arm gives: its expression, a block's final expression
        statement (null when the block ends otherwise), nothing for `return`/`throw`."""
        body = arm.body
        if isinstance(body, ast.Block):
            self.block(body.body)
            last = body.body[-1] if body.body else None
            if isinstance(last, ast.ExprStmt) and id(last) not in self.res.throwing:
                return self.ty.of(last.expr)
            return T.BOTTOM if last is not None and always_exits(last, self.res.throwing) else T.NULL
        if isinstance(body, ast.Stmt):
            self.visit(body)
            return T.BOTTOM
        return self.expr(body)

    def pattern(self, p, subject: T.Type):
        """Bind the names of pattern p matched against a subject of this type."""
        plain = T.plain(subject)
        if isinstance(p, (ast.BindingPattern, ast.ConfidencePattern)):
            if isinstance(p, ast.ConfidencePattern):
                self.expr(p.low)
                self.expr(p.high)
                if p.inner is not None:
                    self.pattern(p.inner, subject)
            self.bind(self.res.decls.get(id(p)) if getattr(p, "name", None) else None, subject)
        elif isinstance(p, ast.LiteralPattern):
            self.expr(p.value)
        elif isinstance(p, ast.ArrayPattern):
            element = plain.element if plain.kind == "array" else T.ANY
            for q in p.elements:
                self.pattern(q, element)
            if p.rest:
                self.bind(self.res.decls.get(id(p)), plain if plain.kind == "array" else T.ANY)
        elif isinstance(p, (ast.AndPattern, ast.OrPattern)):
            self.pattern(p.left, subject)
            self.pattern(p.right, subject)
        elif isinstance(p, ast.ContextPattern):
            if p.tag is not None:
                self.expr(p.tag)
            if p.binding is not None:
                self.bind(self.res.decls.get(id(p)), T.ANY)
            if p.inner is not None:
                self.pattern(p.inner, subject)
        elif isinstance(p, ast.CtorPattern):
            for q in p.args:
                self.pattern(q, T.ANY)
