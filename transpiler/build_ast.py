"""Concrete parso tree (from `transpiler.parser`) -> `transpiler.ast` nodes.

parso collapses every rule with a single child into that child, so each
builder dispatches on `node.type` (a rule name from grammar.txt, or a leaf
type such as 'name', 'number', 'keyword'). This is also where the cover
rules of the grammar are narrowed: parenthesised groups become an
expression or lambda parameters, `f(x: v)` must name a plain parameter,
and assignment targets must be names, fields or indexes.

Spans: parso positions are (line, 0-based col); ast.Span is 1-based with
`end_col` one past the last character.

Talks to: `transpiler.ast`, `transpiler.diagnostics` (CompileError),
`transpiler.tokenizer` (string decoding, template splitting) and
`transpiler.parser.parse_expression` (template `${...}` parts).
"""
from __future__ import annotations

from typing import Optional

from parso import tree

from transpiler import ast
from transpiler.diagnostics import CompileError
from transpiler.tokenizer import decode_string, split_template

_INT_MAX = 2 ** 63 - 1


# ---------------------------------------------------------------- helpers

def _last_leaf(node):
    leaf = node.get_last_leaf() if isinstance(node, tree.BaseNode) else node
    # Zero-width and real NEWLINE leaves terminate, they are not content.
    while leaf.type == "newline" and leaf.get_previous_leaf() is not None:
        leaf = leaf.get_previous_leaf()
    return leaf


def span(node, end_node=None) -> ast.Span:
    """Span from the first character of `node` to the end of `end_node` (or node)."""
    line, col = node.start_pos
    end_line, end_col = _last_leaf(end_node if end_node is not None else node).end_pos
    return ast.Span(line, col + 1, end_line, end_col + 1)


def _is(node, value: str) -> bool:
    return isinstance(node, tree.Leaf) and node.value == value and node.type != "string"


def _items(children, *skip_types):
    """Children minus separators: `,` leaves, newlines and `sep` nodes."""
    return [c for c in children
            if not (_is(c, ",") or c.type in ("newline", "sep") or c.type in skip_types)]


def _error(message: str, node, help: Optional[str] = None) -> CompileError:
    return CompileError(message, span(node), help=help)


# ---------------------------------------------------------------- module and statements

def build_module(root, path: str) -> ast.Module:
    end = root.children[-1]
    line, col = end.end_pos
    return ast.Module(_stmts(root.children[:-1]), path, ast.Span(1, 1, line, col + 1))


def _stmts(children) -> tuple:
    out = []
    for child in children:
        if child.type == "stmt":
            child = child.children[0]
        if _is(child, ";") or child.type == "newline":
            continue
        out.append(build_stmt(child))
    return tuple(out)


def _block(node) -> ast.Block:
    return ast.Block(_stmts(node.children[1:-1]), span(node))


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
    type_ = value = None
    i = 2
    if i < len(c) and _is(c[i], ":"):
        type_, i = build_type(c[i + 1]), i + 2
    if i < len(c) and _is(c[i], "="):
        value = build_expr(c[i + 1])
    return ast.Let(c[1].value, type_, value, is_const, span(n))


def _expr_stmt(n) -> ast.Assign:
    target, op, value = n.children
    t = build_expr(target)
    if not isinstance(t, (ast.Name, ast.Member, ast.Index)):
        raise _error("invalid assignment target", target,
                     help="assign to a name, a field (`a.b`) or an index (`a[i]`)")
    return ast.Assign(t, op.value, build_expr(value), span(n))


def _import(n) -> ast.Import:
    what, source = n.children[1], n.children[3]
    names, default = (), None
    if what.type == "name":
        default = what.value
    else:
        out = []
        for item in _items(what.children[1:-1]):
            if item.type == "name":
                out.append(ast.ImportName(item.value, None, span(item)))
            else:
                out.append(ast.ImportName(item.children[0].value, item.children[2].value, span(item)))
        names = tuple(out)
    return ast.Import(names, default, decode_string(source.value, source.start_pos), span(n))


def _typed_name(n):
    """`name`, `name: T`, `name = d` or `name: T = d` (a parameter or a struct field):
    (name, type or None, default or None)."""
    if n.type == "name":
        return n.value, None, None
    c = n.children
    type_ = default = None
    i = 1
    if i < len(c) and _is(c[i], ":"):
        type_, i = build_type(c[i + 1]), i + 2
    if i < len(c) and _is(c[i], "="):
        default = build_expr(c[i + 1])
    return c[0].value, type_, default


def _params(children) -> tuple:
    return tuple(ast.Param(*_typed_name(p), span(p)) for p in _items(children))


def _fn(n, is_async: bool = False, attributes: tuple = (), start=None) -> ast.FnDecl:
    if n.type == "async_fn":
        return _fn(n.children[1], True, attributes, start or n)
    if n.type == "decorated":
        attrs = tuple(_attribute(a) for a in n.children[:-1])
        return _fn(n.children[-1], is_async, attrs)
    c = n.children
    close = next(i for i, x in enumerate(c) if _is(x, ")") and i > 2)
    return_type = confidence = None
    if c[close + 1].type == "fn_annot":
        a = c[close + 1].children
        for i in range(0, len(a), 2):
            if _is(a[i], "->"):
                return_type = build_type(a[i + 1])
            else:
                confidence = build_expr(a[i + 1])
    return ast.FnDecl(c[1].value, _params(c[3:close]), return_type, confidence,
                      _block(c[-1]), is_async, attributes, span(start or n, n))


def _attribute(n) -> ast.Attribute:
    c = [x for x in n.children if x.type != "newline"]
    args = ()
    if len(c) > 4:
        args = tuple(build_expr(x) for x in _items(c[4:-2]))
    return ast.Attribute(c[2].value, args, span(n))


def _struct(n) -> ast.StructDecl:
    c = n.children
    fields, methods = [], []
    for m in _items(c[3:-1]):
        if m.type in ("fn_decl", "async_fn", "decorated"):
            methods.append(_fn(m))
        else:
            fields.append(ast.Field(*_typed_name(m), span(m)))
    return ast.StructDecl(c[1].value, tuple(fields), tuple(methods), span(n))


def _if(n) -> ast.If:
    c = n.children
    orelse = None
    if len(c) > 3:
        orelse = _if(c[4]) if c[4].type == "if_stmt" else _block(c[4])
    return ast.If(build_expr(c[1]), _block(c[2]), orelse, span(n))


def _for(n) -> ast.For:
    c = n.children
    is_await = _is(c[1], "await")
    i = 2 if is_await else 1
    targets = [c[i].value]
    if _is(c[i + 1], ","):
        targets.append(c[i + 2].value)
        i += 2
    return ast.For(tuple(targets), build_expr(c[i + 2]), _block(c[i + 3]), is_await, span(n))


def _try(n) -> ast.Try:
    c = n.children
    catch_name = handler = final = None
    i = 2
    if _is(c[i], "catch"):
        if c[i + 1].type == "name":
            catch_name, i = c[i + 1].value, i + 1
        handler, i = _block(c[i + 1]), i + 2
    if i < len(c):
        final = _block(c[i + 1])
    return ast.Try(_block(c[1]), catch_name, handler, final, span(n))


def _in(n) -> ast.Stmt:
    c = n.children
    if c[1].type != "context_chain":
        return ast.InBlock(build_expr(c[1]), _block(c[2]), span(n))
    chain = c[1].children
    segments = [ast.ContextSegment(chain[1].value, _block(chain[2]), span(chain[0], chain[2]))]
    for i in range(3, len(chain), 4):
        segments.append(ast.ContextSegment(chain[i + 2].value, _block(chain[i + 3]),
                                           span(chain[i], chain[i + 3])))
    return ast.ContextShift(tuple(segments), span(n))


def _uncertain(n) -> ast.Uncertain:
    c = n.children
    medium = low = None
    for i in range(4, len(c), 2):
        if c[i].value == "medium":
            medium = _block(c[i + 1])
        else:
            low = _block(c[i + 1])
    return ast.Uncertain(build_expr(c[2]), _block(c[3]), medium, low, span(n))


_STMT_BUILDERS = {
    "let_stmt": lambda n: _let(n, False),
    "const_stmt": lambda n: _let(n, True),
    "return_stmt": lambda n: ast.Return(build_expr(n.children[1]), span(n)),
    "throw_stmt": lambda n: ast.Throw(build_expr(n.children[1]), span(n)),
    "defer_stmt": lambda n: ast.Defer(build_expr(n.children[1]), span(n)),
    "import_stmt": _import,
    "expr_stmt": _expr_stmt,
    "fn_decl": _fn, "async_fn": _fn, "decorated": _fn,
    "struct_decl": _struct,
    "if_stmt": _if,
    "while_stmt": lambda n: ast.While(build_expr(n.children[1]), _block(n.children[2]), span(n)),
    "for_stmt": _for,
    "try_stmt": _try,
    "in_stmt": _in,
    "uncertain_stmt": _uncertain,
}


# ---------------------------------------------------------------- types

def build_type(n) -> ast.TypeExpr:
    if n.type in ("name", "keyword"):
        return ast.TypeName(n.value, (), span(n))
    c = n.children
    if n.type == "type":
        result = build_type(c[0])
        for i in range(1, len(c), 2):
            result = ast.ArrayType(result, span(n, c[i + 1]))
        return result
    if _is(c[0], "["):
        return ast.ArrayType(build_type(c[1]), span(n))
    if _is(c[0], "fn"):
        close = next(i for i, x in enumerate(c) if _is(x, ")"))
        params = tuple(build_type(x) for x in _items(c[2:close]))
        result = build_type(c[close + 2]) if close + 1 < len(c) else None
        return ast.FnType(params, result, span(n))
    return ast.TypeName(c[0].value, tuple(build_type(x) for x in _items(c[2:-1])), span(n))


# ---------------------------------------------------------------- expressions

def _number(leaf) -> ast.Expr:
    text = leaf.value.replace("_", "")
    if text[:2].lower() in ("0x", "0b", "0o"):
        value = int(text, 0)
    elif any(ch in text for ch in ".eE"):
        f = float(text)
        if f == float("inf"):
            raise _error("float literal is out of range", leaf)
        return ast.FloatLit(f, span(leaf))
    else:
        if len(text) > 20:
            raise _error("integer literal is out of range for int (64-bit)", leaf)
        value = int(text, 10)
    if value > _INT_MAX:
        raise _error("integer literal is out of range for int (64-bit)", leaf)
    return ast.IntLit(value, span(leaf))


def _template(leaf) -> ast.TemplateString:
    from transpiler.parser import parse_expression
    parts = []
    for part in split_template(leaf.value, leaf.start_pos):
        if isinstance(part, str):
            parts.append(part)
        else:
            source, (line, col), _ = part
            parts.append(parse_expression(source, line - 1, col))
    return ast.TemplateString(tuple(parts), span(leaf))


def _leaf_expr(n) -> ast.Expr:
    t = n.type
    if t == "name":
        return ast.Name(n.value, span(n))
    if t == "number":
        return _number(n)
    if t == "string":
        return ast.StringLit(decode_string(n.value, n.start_pos), span(n))
    if t == "template":
        return _template(n)
    if n.value in ("true", "false"):
        return ast.BoolLit(n.value == "true", span(n))
    if n.value == "null":
        return ast.NullLit(span(n))
    raise _error(f"unexpected '{n.value}'", n)  # pragma: no cover - grammar prevents it


def build_expr(n) -> ast.Expr:
    if isinstance(n, tree.Leaf):
        return _leaf_expr(n)
    builder = _EXPR_BUILDERS.get(n.type)
    if builder is None:  # pragma: no cover - every expression rule is listed
        raise _error("expected an expression", n)
    return builder(n)


def _binary_chain(n) -> ast.Expr:
    c = n.children
    result = build_expr(c[0])
    for i in range(1, len(c), 2):
        result = ast.Binary(c[i].value, result, build_expr(c[i + 1]), span(n, c[i + 1]))
    return result


def _factor(n) -> ast.Expr:
    op, operand = n.children
    if op.value == "await":
        return ast.Await(build_expr(operand), span(n))
    return ast.Unary(op.value, build_expr(operand), span(n))


def _args(children) -> tuple:
    out = []
    named_seen = None
    for a in _items(children):
        if a.type == "arg":
            key, _, value = a.children
            if key.type != "name":
                raise _error("a named argument needs a plain name before ':'", key)
            out.append(ast.Arg(key.value, build_expr(value), span(a)))
            named_seen = a
        else:
            if named_seen is not None:
                raise _error("positional argument after named argument", a)
            out.append(ast.Arg(None, build_expr(a), span(a)))
    return tuple(out)


def _postfix(n) -> ast.Expr:
    c = n.children
    result = build_expr(c[0])
    for trailer in c[1:]:
        t = trailer.children
        s = span(n, trailer)
        if _is(t[0], "("):
            result = ast.Call(result, _args(t[1:-1]), s)
        elif _is(t[0], "."):
            result = ast.Member(result, t[1].value, s)
        else:
            sub = t[1]
            if _is(sub, ":"):
                result = ast.Slice(result, None, None, s)
            elif sub.type == "subscript":
                parts = sub.children
                colon = next(i for i, x in enumerate(parts) if _is(x, ":"))
                start = build_expr(parts[0]) if colon == 1 else None
                end = build_expr(parts[colon + 1]) if colon + 1 < len(parts) else None
                result = ast.Slice(result, start, end, s)
            else:
                result = ast.Index(result, build_expr(sub), s)
    return result


def _paren(n) -> ast.Expr:
    inner = n.children[1:-1]
    if len(inner) == 1 and inner[0].type != "cover_item":
        return build_expr(inner[0])
    items = _items(inner)
    if not items or any(i.type == "cover_item" for i in items):
        raise _error("expected '=>' after lambda parameters", n,
                     help="a lambda is written `(a, b) => a + b`")
    raise _error("tuples are not supported", n, help="use an array `[a, b]` instead")


def _lambda_params(paren) -> tuple:
    out = []
    for item in _items(paren.children[1:-1]):
        c = item.children if item.type == "cover_item" else [item]
        if c[0].type != "name":
            raise _error("a lambda parameter must be a name", c[0])
        type_ = default = None
        i = 1
        if i < len(c) and _is(c[i], ":"):
            type_, i = build_type(c[i + 1]), i + 2
        if i < len(c) and _is(c[i], "="):
            default = build_expr(c[i + 1])
        out.append(ast.Param(c[0].value, type_, default, span(item)))
    return tuple(out)


def _body(n):
    return _block(n) if n.type == "lambda_block" else build_expr(n)


def _lambda(n) -> ast.Lambda:
    params, _, body = n.children
    if params.type != "paren":
        raise _error("lambda parameters must be in parentheses", params,
                     help="write `(x) => ...`")
    return ast.Lambda(_lambda_params(params), _body(body), False, span(n))


def _async_lambda(n) -> ast.Lambda:
    _, params, _, body = n.children
    return ast.Lambda(_lambda_params(params), _body(body), True, span(n))


def _object(n) -> ast.ObjectLit:
    entries = []
    for e in _items(n.children[1:-1]):
        if e.type == "name":
            entries.append(ast.ObjectEntry(e.value, ast.Name(e.value, span(e)), span(e)))
        elif e.type == "string":
            raise _error("object entry needs a value", e, help="write `\"key\": value`")
        else:
            key = e.children[0]
            name = key.value if key.type == "name" else decode_string(key.value, key.start_pos)
            entries.append(ast.ObjectEntry(name, build_expr(e.children[2]), span(e)))
    return ast.ObjectLit(tuple(entries), span(n))


def _pattern(n) -> ast.Pattern:
    if isinstance(n, tree.Leaf):
        if n.type == "name":
            if n.value == "_":
                return ast.WildcardPattern(span(n))
            return ast.BindingPattern(n.value, span(n))
        return ast.LiteralPattern(_leaf_expr(n), span(n))
    c = n.children
    if _is(c[0], "-"):
        return ast.LiteralPattern(ast.Unary("-", _number(c[1]), span(n)), span(n))
    name = None
    if c[0].type == "name" and c[0].value != "_":
        name = c[0].value
    rng = c[-1].children
    return ast.ConfidencePattern(name, build_expr(rng[1]), build_expr(rng[3]), span(n))


def _match(n) -> ast.Match:
    c = n.children
    arms = []
    for arm in _items(c[3:-1]):
        a = arm.children
        guard = build_expr(a[2]) if _is(a[1], "if") else None
        arms.append(ast.MatchArm(_pattern(a[0]), guard, _body(a[-1]), span(arm)))
    return ast.Match(build_expr(c[1]), tuple(arms), span(n))


_EXPR_BUILDERS = {
    "expr": _lambda,
    "conf_expr": _binary_chain, "or_expr": _binary_chain, "and_expr": _binary_chain,
    "comparison": _binary_chain, "arith": _binary_chain, "term": _binary_chain,
    "range_expr": lambda n: ast.Range(build_expr(n.children[0]), build_expr(n.children[2]),
                                      n.children[1].value == "..=", span(n)),
    "factor": _factor,
    "power": lambda n: ast.Binary("**", build_expr(n.children[0]), build_expr(n.children[2]),
                                  span(n)),
    "postfix": _postfix,
    "paren": _paren,
    "array": lambda n: ast.ArrayLit(tuple(build_expr(x) for x in _items(n.children[1:-1])),
                                    span(n)),
    "object": _object,
    "match_expr": _match,
    "async_lambda": _async_lambda,
}
