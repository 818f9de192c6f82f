"""Macro expansion: the pass between parsing and name resolution (see pipeline.py).

A macro's body is kept as raw text by the parser (`ast.MacroDecl.body`). Each
invocation re-lexes it, substitutes the arguments token by token and parses the
result where the invocation stood:

    macro square<x> { return $x * $x }        square(a + 1)
        -> (() => { return (a + 1) * (a + 1) })()       an expression: a block whose
                                                         `return` gives its value
    macro getter<s, f> { fn ${s}_get_${f}(p) { p.$f } }
    getter<Point, x>                           -> fn Point_get_x(p) { p.x }   (declarations)

In a body, `$p` is the argument's tokens (parenthesised when it is an expression
of several tokens), `#$p` its source text as a string, and `${p}` inside a name
pastes a name argument. `~c` on a macro multiplies the confidence of its value.

Hygiene: names the body declares (`let`, parameters, loop and catch variables,
pattern bindings) are renamed apart from the caller's, so they neither capture
the arguments' names nor leak; pasted names and a declaration macro's top-level
declarations are the exception, they are what the macro is for. Every node made
from the body carries an `ExpandedSpan`, so an error in it names the macro line
(the caret) and the invocation (the help). Expansion is bounded: a macro that
keeps expanding itself is an error naming the cycle.

Talks to `transpiler.front.tokenizer`/`layout`/`parser` (lexing and parsing the
substituted tokens), `transpiler.front.build_ast` and `transpiler.front.ast`.
"""
from __future__ import annotations

import contextlib
import dataclasses
import re
from typing import Optional

from transpiler.front import ast
from transpiler.passes.builtins import BUILTIN_MACROS
from transpiler.front.diagnostics import CompileError
from transpiler.front.tokenizer import PrismTokenTypes as T, _lex

MAX_DEPTH = 32


@dataclasses.dataclass(frozen=True, slots=True)
class ExpandedSpan(ast.Span):
    """A span inside a macro body, as expanded for the invocation at `invocation`."""
    macro: str = ""
    invocation: Optional[ast.Span] = None


def expansion_note(span) -> Optional[str]:
    """The help line naming the invocation of an error inside a macro expansion."""
    if isinstance(span, ExpandedSpan) and span.invocation is not None:
        return f"in the expansion of macro '{span.macro}' invoked at line {span.invocation.line}"
    return None


class _Source:
    def __init__(self, text: str):
        self.text = text
        self.starts = [0]
        for i, ch in enumerate(text):
            if ch == "\n":
                self.starts.append(i + 1)

    def slice(self, span: ast.Span) -> str:
        a = self.starts[span.line - 1] + span.col - 1
        b = self.starts[span.end_line - 1] + span.end_col - 1
        return self.text[a:b]


def _raw(kind, string, pos, prefix=""):
    from transpiler.front.tokenizer import _Raw
    return _Raw(kind, string, pos, prefix, -1, (0, 0))


def _quoted(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return '"' + escaped.replace("\r", "\\r") + '"'


class _Expander:
    def __init__(self, module: ast.Module, source: str):
        self.module = module
        self.source = _Source(source)
        self.macros = {s.name: s for s in module.body if isinstance(s, ast.MacroDecl)}
        self.counter = 0
        self.stack: list = []           # names of the macros being expanded (for the cycle)

    # ------------------------------------------------------------ driving
    def run(self) -> ast.Module:
        body = []
        for s in self.module.body:
            if isinstance(s, ast.MacroDecl):
                continue
            if isinstance(s, ast.ExprStmt) and isinstance(s.expr, ast.TypeApply) and s.expr.name in self.macros:
                body.extend(self.declarations(s.expr))
            else:
                body.append(self.rewrite(s))
        return dataclasses.replace(self.module, body=tuple(body))

    def rewrite(self, node):
        """node with every macro invocation inside it expanded."""
        if isinstance(node, ast.MacroCall):
            node = self.bang_call(node)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in self.macros:
            return self.rewrite(self.expression(node))
        if isinstance(node, ast.StructDecl) and node.macros:
            extra = [m for inv in node.macros for m in self.members(inv)]
            fields = node.fields + tuple(m for m in extra if isinstance(m, ast.Field))
            methods = node.methods + tuple(m for m in extra if isinstance(m, ast.FnDecl))
            node = dataclasses.replace(node, fields=fields, methods=methods, macros=())
        if isinstance(node, ast.Block):
            out = []
            for s in node.body:
                if isinstance(s, ast.ExprStmt) and isinstance(s.expr, ast.TypeApply) and s.expr.name in self.macros:
                    raise CompileError(f"macro '{s.expr.name}' declares things; invoke it at the top level",
                                       s.span, help="inside a block, invoke a macro as `name(args)`")
                out.append(self.rewrite(s))
            return dataclasses.replace(node, body=tuple(out))
        return _map_children(node, self.rewrite)

    def bang_call(self, node: ast.MacroCall) -> ast.Call:
        """`name!(args)`: the user's macro `name`, else the built-in macro of that name (a call of
        the built-in function it stands for)."""
        if node.name in self.macros:
            target = node.name
        elif node.name in BUILTIN_MACROS:
            target = BUILTIN_MACROS[node.name]
        else:
            raise CompileError(f"no macro named '{node.name}'", node.span,
                               help="declare it with `macro " + node.name + "<..> { .. }`; built-in macros are "
                                    + ", ".join(f"{m}!" for m in sorted(BUILTIN_MACROS)))
        return ast.Call(ast.Name(target, node.span), node.args, node.span)

    # ------------------------------------------------------------ the three invocation forms
    def expression(self, call: ast.Call) -> ast.Expr:
        decl = self.macros[call.func.id]
        if any(a.name is not None for a in call.args):
            raise CompileError(f"macro '{decl.name}' takes its arguments by position", call.span)
        stmts = self.expand(decl, [a.value.span for a in call.args], call.span, parenthesise=True)
        with self.inside(decl, call.span):
            stmts = tuple(self.rewrite(s) for s in stmts)
        block = ast.Block(stmts, call.span)
        is_async = any(isinstance(n, ast.Await) for n in _nodes(stmts))
        value: ast.Expr = ast.Call(ast.Lambda((), block, is_async, None, None, call.span), (), call.span)
        if is_async:
            value = ast.Await(value, None, call.span)
        if decl.confidence is not None:
            value = ast.Binary("~>", value, decl.confidence, call.span)
        return value

    def declarations(self, inv: ast.TypeApply) -> list:
        decl = self.macros[inv.name]
        stmts = self.expand(decl, [a.span for a in inv.args], inv.span, parenthesise=False, declaration=True)
        out = []
        with self.inside(decl, inv.span):
            for s in stmts:
                if isinstance(s, ast.ExprStmt) and isinstance(s.expr, ast.TypeApply) and s.expr.name in self.macros:
                    out.extend(self.declarations(s.expr))
                else:
                    out.append(self.rewrite(s))
        return out

    @contextlib.contextmanager
    def inside(self, decl: ast.MacroDecl, where: ast.Span):
        """Expanding what decl's expansion contains: bounded, so a macro cannot expand itself forever."""
        if len(self.stack) >= MAX_DEPTH:
            cycle = " -> ".join(self.stack[-3:] + [decl.name])
            raise CompileError(f"macro '{decl.name}' keeps expanding itself (... -> {cycle} -> ...)", where,
                               help=f"macro '{decl.name}' is declared at line {decl.span.line}; "
                                    "a macro's expansion cannot invoke it again without end")
        self.stack.append(decl.name)
        try:
            yield
        finally:
            self.stack.pop()

    def members(self, inv: ast.TypeApply) -> list:
        """Struct members from a declaration macro invoked among them."""
        decl = self.macros.get(inv.name)
        if decl is None:
            raise CompileError(f"'{inv.name}' is not a macro", inv.span,
                               help="a member `name<A, B>` invokes a declaration macro")
        members = self.expand(decl, [a.span for a in inv.args], inv.span, parenthesise=False,
                              declaration=True, struct_body=True)
        with self.inside(decl, inv.span):
            return [self.rewrite(m) for m in members]

    # ------------------------------------------------------------ substitution
    def expand(self, decl: ast.MacroDecl, arg_spans: list, where: ast.Span, *, parenthesise: bool,
               declaration: bool = False, struct_body: bool = False) -> tuple:
        if len(arg_spans) != len(decl.params):
            n = len(decl.params)
            raise CompileError(f"macro '{decl.name}' takes {n} argument{'s' if n != 1 else ''} but "
                               f"{len(arg_spans)} {'was' if len(arg_spans) == 1 else 'were'} given", where,
                               help=f"declared at line {decl.span.line}: macro {decl.name}<"
                                    + ", ".join(decl.params) + ">")
        args = {p: (self.source.slice(s), s) for p, s in zip(decl.params, arg_spans)}
        tokens, pasted = self.substitute(decl, args, parenthesise)
        if struct_body:
            tokens = [_raw(T.NAME, "struct", (0, 0)), _raw(T.NAME, "_macro_", (0, 0), " "),
                      _raw(T.OP, "{", (0, 0), " ")] + tokens[:-1] + [_raw(T.OP, "}", (0, 0)), tokens[-1]]
        self.counter += 1
        suffix = f"__m{self.counter}"
        try:
            stmts = _parse_tokens(tokens)
        except CompileError as e:
            note = f"in the expansion of macro '{decl.name}' (line {decl.span.line}) invoked at line {where.line}"
            e.help = note if e.help is None else f"{e.help}; {note}"
            raise
        if struct_body:
            struct = stmts[0]
            stmts = tuple(struct.fields) + tuple(struct.methods)
        body_range = (decl.body_start[0], decl.body_start[1] + 1, decl.span.end_line, decl.span.end_col)
        keep = set(pasted)
        if declaration:
            keep.update(getattr(s, "name", None) for s in stmts)
        renames = {name: name + suffix for name in _declared(stmts, body_range) if name not in keep}
        return tuple(_relocate(s, body_range, renames, decl.name, where) for s in stmts)

    def substitute(self, decl: ast.MacroDecl, args: dict, parenthesise: bool) -> tuple:
        raw = _lex(decl.body, decl.body_start)
        if raw[-1].type is T.ERRORTOKEN:
            raise raw[-1].error
        body = raw[1:-2]                      # without the body's own `{` `}` and the ENDMARKER
        out, pasted = [], []
        for t in body:
            if t.type in (T.MACRO_VAR, T.MACRO_STR, T.PASTE_NAME):
                out.extend(self.argument(t, decl, args, parenthesise, pasted))
            else:
                out.append(t)
        end = raw[-2]
        out.append(_raw(T.ENDMARKER, "", end.start_pos, end.prefix))
        return out, pasted

    def argument(self, t, decl, args: dict, parenthesise: bool, pasted: list) -> list:
        from transpiler.front.tokenizer import span_at
        if t.type is T.PASTE_NAME:
            def paste(m):
                text, _ = self.arg(m.group(1), decl, args, t)
                if not text.strip().isidentifier():
                    raise CompileError(f"'${{{m.group(1)}}}' pastes a name, but its argument is `{text.strip()}`",
                                       span_at(t.start_pos, len(t.string)))
                return text.strip()
            name = re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", paste, t.string)
            pasted.append(name)
            return [t._replace(type=T.NAME, string=name)]
        text, span = self.arg(t.string.lstrip("#$"), decl, args, t)
        if t.type is T.MACRO_STR:
            return [t._replace(type=T.STRING, string=_quoted(text.strip()))]
        tokens = _lex(text, (span.line, span.col - 1))[:-1]
        if tokens and tokens[-1].type is T.ERRORTOKEN:
            raise tokens[-1].error
        if tokens:
            tokens[0] = tokens[0]._replace(prefix=t.prefix, newline_at=t.newline_at, newline_pos=t.newline_pos)
        if parenthesise and len(tokens) > 1:
            return [_raw(T.OP, "(", t.start_pos, t.prefix)] + \
                [tokens[0]._replace(prefix="", newline_at=-1)] + tokens[1:] + [_raw(T.OP, ")", t.start_pos)]
        return tokens

    def arg(self, name: str, decl, args: dict, t):
        from transpiler.front.tokenizer import span_at
        if name not in args:
            raise CompileError(f"macro '{decl.name}' has no parameter '{name}'", span_at(t.start_pos, len(t.string)),
                               help="its parameters are " + ", ".join(decl.params) if decl.params else None)
        return args[name]


def _parse_tokens(tokens: list) -> tuple:
    from transpiler.front.build_ast import stmts
    from transpiler.front.layout import layout
    from transpiler.front.parser import _parse
    tree = _parse(layout(tokens, False), "file_input")
    return stmts(tree.children[:-1])


def _nodes(stmts):
    from transpiler.front.walk import descendants
    return descendants(stmts, skip=(ast.Lambda, ast.FnDecl))


def _inside(span, rng) -> bool:
    line, col, end_line, end_col = rng
    return span is not None and (line, col) <= (span.line, span.col) and (span.line, span.col) < (end_line, end_col)


_BINDERS = {ast.Let: "name", ast.Param: "name", ast.CatchClause: "name", ast.BindingPattern: "name",
            ast.ConfidencePattern: "name", ast.ArrayPattern: "rest", ast.ContextPattern: "binding",
            ast.FnDecl: "name"}


def _declared(stmts, rng) -> set:
    """Names the macro body itself declares (their nodes start inside the body)."""
    from transpiler.front.walk import descendants
    names = set()
    for node in descendants(stmts):
        attr = _BINDERS.get(type(node))
        if attr and _inside(node.span, rng) and getattr(node, attr):
            names.add(getattr(node, attr))
        if isinstance(node, ast.For) and _inside(node.span, rng):
            names.update(node.targets)
    return names


def _relocate(node, rng, renames: dict, macro: str, where: ast.Span):
    """node with the body's own names renamed and its spans marked as expanded."""
    def fix(n):
        if not isinstance(n, ast.Node):
            return n
        n = _map_children(n, fix)
        changes = {}
        span = getattr(n, "span", None)
        if _inside(span, rng):
            changes["span"] = ExpandedSpan(span.line, span.col, span.end_line, span.end_col, macro, where)
            if isinstance(n, ast.Name) and n.id in renames:
                changes["id"] = renames[n.id]
            attr = _BINDERS.get(type(n))
            if attr and getattr(n, attr) in renames:
                changes[attr] = renames[getattr(n, attr)]
            if isinstance(n, ast.For):
                changes["targets"] = tuple(renames.get(t, t) for t in n.targets)
        return dataclasses.replace(n, **changes) if changes else n
    return fix(node)


def _map_children(node, fn):
    """A copy of a frozen node with fn applied to every child node (tuples entered)."""
    if not isinstance(node, ast.Node) or not dataclasses.is_dataclass(node):
        return node
    changes = {}
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        if isinstance(value, ast.Node):
            new = fn(value)
        elif isinstance(value, tuple) and any(isinstance(v, ast.Node) for v in value):
            new = tuple(fn(v) if isinstance(v, ast.Node) else v for v in value)
        else:
            continue
        if new is not value:
            changes[f.name] = new
    return dataclasses.replace(node, **changes) if changes else node


def expand_macros(module: ast.Module, source: str) -> ast.Module:
    """`module` with every macro invocation expanded and the macro declarations removed."""
    from transpiler.front.walk import descendants
    if not any(isinstance(s, ast.MacroDecl) for s in module.body) and \
            not any(isinstance(n, ast.MacroCall) for n in descendants(module.body)):
        return module
    return _Expander(module, source).run()
