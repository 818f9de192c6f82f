"""Concrete parso tree (from `transpiler.front.parser`) -> `transpiler.front.ast`: the module,
statements and declarations. Expressions, patterns and types are built by
`transpiler.front.build_expr`.

Sugar removed here (PRISM_SCOPE_V2 section A), so passes see one spelling:

    let x ~0.9 = v            Let(x, value = v ~> 0.9)
    let x ~ 0.9               Let(x, value = 0.9)
    let x in "ctx" = e        Let(x, value = Tagged("ctx", e))
    for i in 0:n { }          For(i, Range(0, n))
    context A { }             ContextShift([A])
    module m ~0.9 { fn f() }  Module(name m, exports); f.layers = (0.9,)

Layers: the `~c` of a module, trait or impl around a function is recorded on
the function (`FnDecl.layers`), outermost first.

Talks to: `transpiler.front.ast`, `transpiler.front.build_expr`, `transpiler.front.diagnostics`.
"""
from __future__ import annotations

import dataclasses
from typing import Optional

from transpiler.front import ast
from transpiler.front.build_expr import (annotation, build_expr, build_type, conf_annotation, error,
                                   fn_annotation, is_, items, params, span, string_value, typed_name)
from transpiler.front.diagnostics import CompileError

build_expr = build_expr     # re-exported: the parser builds template parts through this module


# ---------------------------------------------------------------- module and statements

def build_module(root, path: str) -> ast.Module:
    end = root.children[-1]
    line, col = end.end_pos
    exports: list = []
    body, name = [], None
    for child in _statement_nodes(root.children[:-1]):
        if child.type == "module_decl":
            if name is not None:
                raise error("a file holds at most one module", child)
            name, inner = _module(child, exports)
            body.extend(inner)
        else:
            body.extend(_statement(child, exports))
    return ast.Module(tuple(body), path, name, tuple(exports) if name is not None else None,
                      ast.Span(1, 1, line, col + 1))


def _statement_nodes(children):
    for child in children:
        if child.type == "stmt":
            child = child.children[0]
        if is_(child, ";") or child.type == "newline":
            continue
        yield child


def _statement(child, exports: Optional[list]) -> list:
    """The statements one node gives (an `export` records the names it declares)."""
    if child.type == "export_decl":
        if exports is None:
            raise error("'export' is only allowed at the top level of a file or module", child)
        stmt = build_stmt(child.children[1])
        exports.extend(_declared_names(stmt))
        return [stmt]
    if child.type == "module_decl":
        raise error("a module must be at the top level of its file", child)
    return [build_stmt(child)]


def _declared_names(stmt) -> list:
    if isinstance(stmt, (ast.FnDecl, ast.StructDecl, ast.TraitDecl, ast.MacroDecl, ast.Let)):
        return [stmt.name]
    return []  # pragma: no cover - the grammar only exports declarations


def _module(n, exports: list):
    c = n.children
    confidence = conf_annotation(c[2]) if c[2].type == "conf_annot" else None
    open_at = next(i for i, x in enumerate(c) if is_(x, "{"))
    body = []
    for child in _statement_nodes(c[open_at + 1:-1]):
        body.extend(_statement(child, exports))
    if confidence is not None:
        body = [_add_layer(s, confidence) for s in body]
    return c[1].value, body


def _add_layer(stmt, confidence: ast.Expr):
    """The statement with `confidence` as the outermost layer of every function it declares."""
    if isinstance(stmt, ast.FnDecl):
        return dataclasses.replace(stmt, layers=(confidence,) + stmt.layers)
    if isinstance(stmt, (ast.StructDecl, ast.TraitDecl, ast.ImplDecl)):
        return dataclasses.replace(stmt, methods=tuple(_add_layer(m, confidence) for m in stmt.methods))
    if isinstance(stmt, ast.OperatorDecl):
        return dataclasses.replace(stmt, function=_add_layer(stmt.function, confidence))
    return stmt


def stmts(children) -> tuple:
    out = []
    for child in _statement_nodes(children):
        out.extend(_statement(child, None))
    return tuple(out)


def block(node) -> ast.Block:
    return ast.Block(stmts(node.children[1:-1]), span(node))


def build_stmt(n) -> ast.Stmt:
    if n.type == "keyword":  # a rule collapsed to its only keyword
        if n.value == "return":
            return ast.Return(None, span(n))
        if n.value in ("break", "continue"):
            return (ast.Break if n.value == "break" else ast.Continue)(span(n))
    builder = _STMT_BUILDERS.get(n.type)
    if builder is not None:
        return builder(n)
    return ast.ExprStmt(build_expr(n), span(n))


def _let(n, is_const: bool) -> ast.Let:
    c = n.children
    type_ = value = confidence = context = None
    i = 2
    while i < len(c):
        part = c[i]
        if is_(part, "in"):
            context, i = build_expr(c[i + 1]), i + 2
        elif part.type == "conf_annot":
            confidence, i = conf_annotation(part), i + 1
        elif is_(part, ":"):
            type_, i = annotation(c[i + 1]), i + 2
        else:
            value, i = build_expr(c[i + 1]), i + 2
    if confidence is not None:
        value = confidence if value is None else ast.Binary("~>", value, confidence, span(n))
    if context is not None:
        value = ast.Tagged(context, value if value is not None else ast.NullLit(span(n)), span(n))
    return ast.Let(c[1].value, type_, value, is_const, span(n))


def _expr_stmt(n) -> ast.Assign:
    target, op, value = n.children
    t = build_expr(target)
    if not isinstance(t, (ast.Name, ast.Member, ast.Index)):
        raise error("invalid assignment target", target,
                    help="assign to a name, a field (`a.b`) or an index (`a[i]`)")
    return ast.Assign(t, op.value, build_expr(value), span(n))


def _import(n) -> ast.Import:
    c = n.children
    what, source = c[1], c[3]
    confidence = conf_annotation(c[4]) if len(c) > 4 else None
    names, default = (), None
    if what.type == "name":
        default = what.value
    else:
        out = []
        for item in items(what.children[1:-1]):
            if item.type == "name":
                out.append(ast.ImportName(item.value, None, span(item)))
            else:
                out.append(ast.ImportName(item.children[0].value, item.children[2].value, span(item)))
        names = tuple(out)
    spec = string_value(source) if source.type == "string" else source.get_code(include_prefix=False)
    if source.type != "string":
        spec = "".join(spec.split())
    return ast.Import(names, default, spec, confidence, span(n))


def type_params(n) -> tuple:
    out = []
    for p in items(n.children[1:-1]):
        if p.type == "name":
            out.append(ast.TypeParam(p.value, (), None, span(p)))
            continue
        c = p.children
        bounds, confidence = [], None
        for part in c[1:]:
            if part.type == "conf_annot":
                confidence = conf_annotation(part)
            elif not is_(part, ":") and not is_(part, "+"):
                bounds.append(build_type(part))
        out.append(ast.TypeParam(c[0].value, tuple(bounds), confidence, span(p)))
    return tuple(out)


def fn(n, is_async: bool = False, attributes: tuple = (), start=None) -> ast.FnDecl:
    if n.type == "async_fn":
        return fn(n.children[1], True, attributes, start or n)
    if n.type == "decorated":
        attrs = tuple(_attribute(a) for a in n.children[:-1])
        return fn(n.children[-1], is_async, attrs)
    c = n.children
    generics = ()
    open_at = 2
    if c[2].type == "type_params":
        generics, open_at = type_params(c[2]), 3
    close = next(i for i, x in enumerate(c) if is_(x, ")") and i > open_at)
    return_type = confidence = None
    rest = c[close + 1:]
    if rest and rest[0].type in ("fn_annot", "conf_annot"):
        return_type, confidence = fn_annotation(rest[0])
        rest = rest[1:]
    body = block(rest[0]) if rest else None
    return ast.FnDecl(c[1].value, generics, params(c[open_at + 1:close]), return_type, confidence,
                      body, is_async, attributes, (), span(start or n, n))


def _with_body(f: ast.FnDecl) -> ast.FnDecl:
    """A function outside a trait needs a body."""
    if f.body is None:
        raise CompileError(f"function '{f.name}' has no body", f.span,
                           help="only a trait's required methods are declared without a body: `fn f() { .. }`")
    return f


def _attribute(n) -> ast.Attribute:
    from transpiler.front.build_expr import _args
    c = [x for x in n.children if x.type != "newline"]
    args = _args(c[4:-2]) if len(c) > 4 else ()
    return ast.Attribute(c[2].value, args, span(n))


def _head(c, start: int) -> tuple:
    """(type params, confidence, index of the `{`) of a declaration head from c[start]."""
    generics, confidence = (), None
    i = start
    if c[i].type == "type_params":
        generics, i = type_params(c[i]), i + 1
    if c[i].type == "conf_annot":
        confidence, i = conf_annotation(c[i]), i + 1
    return generics, confidence, i


def _field(m) -> ast.Field:
    if m.type == "name":
        return ast.Field(m.value, None, None, None, span(m))
    c = m.children
    type_ = default = confidence = None
    i = 1
    while i < len(c):
        if is_(c[i], ":"):
            type_, i = annotation(c[i + 1]), i + 2
        elif c[i].type == "conf_annot":
            confidence, i = conf_annotation(c[i]), i + 1
        else:
            default, i = build_expr(c[i + 1]), i + 2
    return ast.Field(c[0].value, type_, default, confidence, span(m))


def _struct(n) -> ast.StructDecl:
    c = n.children
    generics, confidence, open_at = _head(c, 2)
    fields, methods, macros = [], [], []
    for m in items(c[open_at + 1:-1]):
        if m.type in ("fn_decl", "async_fn", "decorated"):
            methods.append(_with_body(fn(m)))
        elif m.type == "field" and is_(m.children[1], "<"):
            macros.append(_macro_member(m))
        else:
            fields.append(_field(m))
    return ast.StructDecl(c[1].value, generics, confidence, tuple(fields), tuple(methods), tuple(macros),
                          span(n))


def _macro_member(m) -> ast.TypeApply:
    """`name<A, B>` among struct members: a declaration macro (transpiler.passes.macros expands it)."""
    c = m.children
    if not is_(c[-1], ">"):
        raise error("a struct member with type arguments must be a macro invocation `name<A, B>`", m)
    return ast.TypeApply(c[0].value, tuple(build_type(x) for x in items(c[2:-1])), span(m))


def _methods(children) -> tuple:
    """The functions of a trait or impl body."""
    out = []
    for m in children:
        if m.type == "trait_member":
            m = m.children[0]
        if m.type in ("fn_decl", "async_fn", "decorated"):
            out.append(fn(m))
    return tuple(out)


def _trait(n) -> ast.TraitDecl:
    c = n.children
    generics, confidence, open_at = _head(c, 2)
    methods = _methods(c[open_at + 1:-1])
    if confidence is not None:
        methods = tuple(_add_layer(m, confidence) for m in methods)
    return ast.TraitDecl(c[1].value, generics, confidence, methods, span(n))


def _impl(n) -> ast.ImplDecl:
    c = n.children
    i = 1
    generics = ()
    if c[i].type == "type_params":
        generics, i = type_params(c[i]), i + 1
    first = build_type(c[i])
    trait, target = None, first
    i += 1
    if is_(c[i], "for"):
        trait, target, i = first, build_type(c[i + 1]), i + 2
    confidence = None
    if c[i].type == "conf_annot":
        confidence, i = conf_annotation(c[i]), i + 1
    methods = _methods(c[i + 1:-1])
    if confidence is not None:
        methods = tuple(_add_layer(m, confidence) for m in methods)
    return ast.ImplDecl(trait, target, generics, confidence, methods, span(n))


_OPERATOR_PARAMS = {1: ("value",), 2: ("lhs", "rhs")}


def _operator(n) -> ast.OperatorDecl:
    c = n.children
    op = c[1].value
    i = 3
    operands = []
    while i < len(c) and not is_(c[i], "->") and c[i].type not in ("conf_annot", "block"):
        operands.append(build_type(c[i]))
        i += 1
    result = confidence = None
    if is_(c[i], "->"):
        result, i = annotation(c[i + 1]), i + 2
    if c[i].type == "conf_annot":
        confidence, i = conf_annotation(c[i]), i + 1
    if len(operands) == 1 and op not in ast.UNARY_OPERATORS or len(operands) == 2 and op not in ast.BINARY_OPERATORS:
        kind = "unary" if len(operands) == 1 else "binary"
        raise error(f"'{op}' cannot be overloaded as a {kind} operator", n,
                    help="binary: + - * / % == != < <= > >= . (two operand types); unary: | - (one)")
    names = _OPERATOR_PARAMS[len(operands)]
    ps = tuple(ast.Param(name, t, None, t.span) for name, t in zip(names, operands))
    function = ast.FnDecl(f"operator {op}", (), ps, result, confidence, block(c[i]), False, (), (), span(n))
    return ast.OperatorDecl(op, tuple(operands), function, span(n))


def _macro(n) -> ast.MacroDecl:
    c = n.children
    names: list = []
    i = 2
    if is_(c[i], "<"):
        close = next(j for j, x in enumerate(c) if is_(x, ">") and j > i)
        names = [x.value for x in items(c[i + 1:close])]
        i = close + 1
    confidence = None
    if c[i].type == "conf_annot":
        confidence, i = conf_annotation(c[i]), i + 1
    if len(set(names)) != len(names):
        raise error("a macro parameter is named twice", n)
    body = c[i]
    return ast.MacroDecl(c[1].value, tuple(names), confidence, body.value, body.start_pos, span(n))


def _if(n) -> ast.If:
    c = n.children
    orelse = None
    if len(c) > 3:
        orelse = _if(c[4]) if c[4].type == "if_stmt" else block(c[4])
    return ast.If(build_expr(c[1]), block(c[2]), orelse, span(n))


def _for(n) -> ast.Stmt:
    c = n.children
    if c[1].type == "c_for":
        return _c_for(c[1], n)
    is_await = is_(c[1], "await")
    i = 2 if is_await else 1
    targets = [c[i].value]
    if is_(c[i + 1], ","):
        targets.append(c[i + 2].value)
        i += 2
    iterable = build_expr(c[i + 2])
    if is_(c[i + 3], ":"):          # `for i in a:b` is `for i in a..b`
        iterable = ast.Range(iterable, build_expr(c[i + 4]), False, span(c[i + 2], c[i + 4]))
        i += 2
    return ast.For(tuple(targets), iterable, block(c[i + 3]), is_await, span(n))


def _c_for(n, whole) -> ast.CFor:
    c = n.children
    parts: list = [None, None, None]
    slot = 0
    for x in c[1:-2]:
        if is_(x, ";"):
            slot += 1
        elif slot == 1:
            parts[1] = build_expr(x)
        else:
            parts[slot] = build_stmt(x)
    for part in (parts[0], parts[2]):
        if part is not None and not isinstance(part, (ast.Let, ast.Assign, ast.ExprStmt)):
            raise CompileError("expected a `let`, an assignment or an expression", part.span)
    return ast.CFor(parts[0], parts[1], parts[2], block(c[-1]), span(whole))


def _try(n) -> ast.Try:
    c = n.children
    catches, final = [], None
    i = 2
    while i < len(c):
        if is_(c[i], "finally"):
            final = block(c[i + 1])
            break
        catches.append(_catch(c[i]))
        i += 1
    return ast.Try(block(c[1]), tuple(catches), final, span(n))


def _catch(n) -> ast.CatchClause:
    c = n.children
    name = kind = confidence = guard = None
    for i, part in enumerate(c[1:-1], start=1):
        if part.type == "name" and is_(c[i - 1], ":"):
            kind = part.value
        elif part.type == "name" and not is_(c[i - 1], "if"):
            name = part.value
        elif part.type == "conf_annot":
            confidence = conf_annotation(part)
        elif is_(c[i - 1], "if"):
            guard = build_expr(part)
    return ast.CatchClause(name, kind, confidence, guard, block(c[-1]), span(n))


def _segment_name(leaf) -> str:
    return string_value(leaf) if leaf.type == "string" else leaf.value


def _in(n) -> ast.Stmt:
    c = n.children
    if c[1].type != "context_chain":
        return ast.InBlock(build_expr(c[1]), block(c[2]), span(n))
    chain = c[1].children
    segments = [ast.ContextSegment(_segment_name(chain[1]), block(chain[2]), span(chain[0], chain[2]))]
    for i in range(3, len(chain), 4):
        segments.append(ast.ContextSegment(_segment_name(chain[i + 2]), block(chain[i + 3]),
                                           span(chain[i], chain[i + 3])))
    return ast.ContextShift(tuple(segments), span(n))


def _uncertain(n) -> ast.Uncertain:
    c = n.children
    medium = low = None
    for i in range(4, len(c), 2):
        if c[i].value == "medium":
            medium = block(c[i + 1])
        else:
            low = block(c[i + 1])
    return ast.Uncertain(build_expr(c[2]), block(c[3]), medium, low, span(n))


_STMT_BUILDERS = {
    "let_stmt": lambda n: _let(n, False),
    "const_stmt": lambda n: _let(n, True),
    "return_stmt": lambda n: ast.Return(build_expr(n.children[1]), span(n)),
    "throw_stmt": lambda n: ast.Throw(build_expr(n.children[1]), span(n)),
    "defer_stmt": lambda n: ast.Defer(build_expr(n.children[1]), span(n)),
    "import_stmt": _import,
    "expr_stmt": _expr_stmt,
    "fn_decl": lambda n: _with_body(fn(n)), "async_fn": lambda n: _with_body(fn(n)),
    "decorated": lambda n: _with_body(fn(n)),
    "struct_decl": _struct,
    "trait_decl": _trait,
    "impl_decl": _impl,
    "operator_decl": _operator,
    "macro_decl": _macro,
    "if_stmt": _if,
    "while_stmt": lambda n: ast.While(build_expr(n.children[1]), block(n.children[2]), span(n)),
    "for_stmt": _for,
    "try_stmt": _try,
    "in_stmt": _in,
    "context_stmt": lambda n: ast.ContextShift(
        (ast.ContextSegment(_segment_name(n.children[1]), block(n.children[2]), span(n)),), span(n)),
    "verify_stmt": lambda n: ast.Verify(build_expr(n.children[-2]), block(n.children[-1]), span(n)),
    "async_block": lambda n: ast.AsyncBlock(conf_annotation(n.children[1]) if len(n.children) == 3 else None,
                                            block(n.children[-1]), span(n)),
    "uncertain_stmt": _uncertain,
}
