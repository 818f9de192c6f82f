"""Concrete parso tree -> `transpiler.front.ast`: expressions, patterns and types.

The statement half is `build_ast`. parso collapses every rule with a single
child into that child, so each builder dispatches on `node.type` (a rule name
from grammar.txt, or a leaf type such as 'name', 'number', 'keyword'). The
grammar's cover rules are narrowed here: parenthesised groups become an
expression or lambda parameters, `f(x: v)` must name a plain parameter, and
trailers decide what `Name::x`, `Name<T>` and `Name { .. }` are.

Syntax sugar of PRISM_SCOPE_V2 section A is removed here, so passes see one
spelling: `e ~c` is `e ~> c`; `|x| e`, `fn(x) { }` are lambdas; `|v|` is the
unary magnitude `|`; `a . b` (spaced) is the binary operator `.`.

Talks to: `transpiler.front.ast`, `transpiler.front.diagnostics` (CompileError),
`transpiler.front.tokenizer` (string decoding, template splitting) and
`transpiler.front.parser.parse_expression` (template `${...}` parts).
"""
from __future__ import annotations

from typing import Optional

from parso import tree

from transpiler.front import ast
from transpiler.front.diagnostics import CompileError
from transpiler.front.tokenizer import decode_string, split_template

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


def is_(node, value: str) -> bool:
    return isinstance(node, tree.Leaf) and node.value == value and node.type != "string"


def items(children, *skip_types):
    """Children minus separators: `,` leaves, newlines and `sep` nodes."""
    return [c for c in children
            if not (is_(c, ",") or c.type in ("newline", "sep") or c.type in skip_types)]


def error(message: str, node, help: Optional[str] = None) -> CompileError:
    return CompileError(message, span(node), help=help)


def conf_annotation(n) -> ast.Expr:
    """The confidence expression of a `conf_annot` node (`~c` or `~> c`)."""
    return build_expr(n.children[1])


def string_value(leaf) -> str:
    return decode_string(leaf.value, leaf.start_pos)


# ---------------------------------------------------------------- types

_NO_ANNOTATION = "auto"     # `let x: auto = ..` is `let x = ..`


def annotation(n) -> Optional[ast.TypeExpr]:
    """A type annotation, or None for `auto` (inferred)."""
    t = build_type(n)
    return None if isinstance(t, ast.TypeName) and t.name == _NO_ANNOTATION and not t.args else t


def type_args(children) -> tuple:
    """The types between GENERIC_OPEN and GENERIC_CLOSE (children include both)."""
    return tuple(build_type(x) for x in items(children[1:-1]))


def build_type(n) -> ast.TypeExpr:
    if n.type in ("name", "keyword"):
        return ast.TypeName(n.value, (), span(n))
    c = n.children
    if n.type == "type":
        result = build_type(c[0])
        for i in range(1, len(c), 2):
            result = ast.ArrayType(result, span(n, c[i + 1]))
        return result
    if is_(c[0], "["):
        return ast.ArrayType(build_type(c[1]), span(n))
    if is_(c[0], "fn"):
        close = next(i for i, x in enumerate(c) if is_(x, ")"))
        params = tuple(build_type(x) for x in items(c[2:close]))
        result = build_type(c[close + 2]) if close + 1 < len(c) else None
        return ast.FnType(params, result, span(n))
    return ast.TypeName(c[0].value, type_args(c[1:]), span(n))


# ---------------------------------------------------------------- literals

def _number(leaf) -> ast.Expr:
    text = leaf.value.replace("_", "")
    if text[:2].lower() in ("0x", "0b", "0o"):
        value = int(text, 0)
    elif any(ch in text for ch in ".eE"):
        f = float(text)
        if f == float("inf"):
            raise error("float literal is out of range", leaf)
        return ast.FloatLit(f, span(leaf))
    else:
        if len(text) > 20:
            raise error("integer literal is out of range for int (64-bit)", leaf)
        value = int(text, 10)
    if value > _INT_MAX:
        raise error("integer literal is out of range for int (64-bit)", leaf)
    return ast.IntLit(value, span(leaf))


def _template(leaf) -> ast.TemplateString:
    from transpiler.front.parser import parse_expression
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
        return ast.StringLit(string_value(n), span(n))
    if t == "template":
        return _template(n)
    if n.value in ("true", "false"):
        return ast.BoolLit(n.value == "true", span(n))
    if n.value == "null":
        return ast.NullLit(span(n))
    raise error(f"unexpected '{n.value}'", n)  # pragma: no cover - grammar prevents it


# ---------------------------------------------------------------- expressions

def build_expr(n) -> ast.Expr:
    if isinstance(n, tree.Leaf):
        return _leaf_expr(n)
    builder = _EXPR_BUILDERS.get(n.type)
    if builder is None:  # pragma: no cover - every expression rule is listed
        raise error("expected an expression", n)
    return builder(n)


def _expr_rule(n) -> ast.Expr:
    c = n.children
    if is_(c[0], "promise"):
        return ast.Promise(conf_annotation(c[1]), build_expr(c[2]), span(n))
    if is_(c[0], "in"):
        return ast.Tagged(build_expr(c[1]), build_expr(c[2]), span(n))
    return _lambda(n)


_BINARY_SPELLING = {"~": "~>"}


def _binary_chain(n) -> ast.Expr:
    c = n.children
    result = build_expr(c[0])
    for i in range(1, len(c), 2):
        op = _BINARY_SPELLING.get(c[i].value, c[i].value)
        result = ast.Binary(op, result, build_expr(c[i + 1]), span(n, c[i + 1]))
    return result


def _factor(n) -> ast.Expr:
    c = n.children
    if is_(c[0], "await"):
        confidence = conf_annotation(c[1]) if len(c) == 3 else None
        return ast.Await(build_expr(c[-1]), confidence, span(n))
    op, operand = c
    return ast.Unary(op.value, build_expr(operand), span(n))


def _args(children) -> tuple:
    out = []
    named_seen = None
    for a in items(children):
        if a.type == "arg":
            key, _, value = a.children
            if key.type != "name":
                raise error("a named argument needs a plain name before ':'", key)
            out.append(ast.Arg(key.value, build_expr(value), span(a)))
            named_seen = a
        else:
            if named_seen is not None:
                raise error("positional argument after named argument", a)
            out.append(ast.Arg(None, build_expr(a), span(a)))
    return tuple(out)


def _head_name(result, trailer, what: str) -> tuple:
    """(name, type args) of the expression before a `::`, `<..>` or struct-literal trailer."""
    if isinstance(result, ast.Name):
        return result.id, ()
    if isinstance(result, ast.TypeApply):
        return result.name, result.args
    raise error(f"{what} needs a type name before it", trailer)


def _postfix(n) -> ast.Expr:
    c = n.children
    result = build_expr(c[0])
    for trailer in c[1:]:
        t = trailer.children
        s = span(n, trailer)
        opener = t[0].value
        if opener == "(":
            result = ast.Call(result, _args(t[1:-1]), s)
        elif opener == "!":
            if not isinstance(result, ast.Name):
                raise error("a macro is invoked by its name: `name!(args)`", trailer)
            result = ast.MacroCall(result.id, _args(t[2:-1]), s)
        elif opener == ".":
            result = ast.Member(result, t[1].value, s)
        elif opener == "::":
            owner, args = _head_name(result, trailer, "'::'")
            result = ast.Path(owner, args, t[1].value, s)
        elif opener == "<":
            if not isinstance(result, ast.Name):
                raise error("type arguments need a name before them", trailer)
            result = ast.TypeApply(result.id, type_args(t), s)
        elif opener == "{":
            name, args = _head_name(result, trailer, "a struct literal")
            result = ast.StructLit(name, args, _entries(t[1:-1]), result.span, s)
        else:
            result = _subscript(result, t[1], s)
    return result


def _subscript(obj, sub, s) -> ast.Expr:
    if is_(sub, ":"):
        return ast.Slice(obj, None, None, s)
    if sub.type == "subscript":
        parts = sub.children
        colon = next(i for i, x in enumerate(parts) if is_(x, ":"))
        start = build_expr(parts[0]) if colon == 1 else None
        end = build_expr(parts[colon + 1]) if colon + 1 < len(parts) else None
        return ast.Slice(obj, start, end, s)
    return ast.Index(obj, build_expr(sub), s)


def _paren(n) -> ast.Expr:
    inner = n.children[1:-1]
    if len(inner) == 1 and inner[0].type != "cover_item":
        return build_expr(inner[0])
    found = items(inner)
    if not found or any(i.type == "cover_item" for i in found):
        raise error("expected '=>' after lambda parameters", n,
                    help="a lambda is written `(a, b) => a + b` or `|a, b| a + b`")
    raise error("tuples are not supported", n, help="use an array `[a, b]` instead")


def typed_name(n):
    """`name`, `name: T`, `name = d` or `name: T = d` (a parameter or a lambda parameter):
    (name, type or None, default or None)."""
    if n.type in ("name", "macro_var"):
        return n.value, None, None
    return _name_type_default(n.children, "a parameter")


def _name_type_default(c, what: str):
    """(name, type or None, default or None) from the children `name [: T] [= d]`."""
    if c[0].type != "name":
        raise error(f"{what} must be a name", c[0])
    type_ = default = None
    i = 1
    if i < len(c) and is_(c[i], ":"):
        type_, i = annotation(c[i + 1]), i + 2
    if i < len(c) and is_(c[i], "="):
        default = build_expr(c[i + 1])
    return c[0].value, type_, default


def params(children) -> tuple:
    return tuple(ast.Param(*typed_name(p), span(p)) for p in items(children))


def _lambda_params(paren) -> tuple:
    out = []
    for item in items(paren.children[1:-1]):
        c = item.children if item.type == "cover_item" else [item]
        out.append(ast.Param(*_name_type_default(c, "a lambda parameter"), span(item)))
    return tuple(out)


def body(n):
    from transpiler.front.build_ast import block
    return block(n) if n.type == "lambda_block" else build_expr(n)


def _lambda(n) -> ast.Lambda:
    paren, _, fn_body = n.children
    if paren.type != "paren":
        raise error("lambda parameters must be in parentheses", paren,
                    help="write `(x) => ...` or `|x| ...`")
    return ast.Lambda(_lambda_params(paren), body(fn_body), False, None, None, span(n))


def _async_block(n) -> ast.AsyncBlock:
    from transpiler.front.build_ast import block
    return ast.AsyncBlock(conf_annotation(n.children[1]) if len(n.children) == 3 else None,
                          block(n.children[-1]), span(n))


def _async_lambda(n) -> ast.Lambda:
    _, paren, _, fn_body = n.children
    return ast.Lambda(_lambda_params(paren), body(fn_body), True, None, None, span(n))


def _closure(n) -> ast.Lambda:
    c = n.children
    ps = params(c[1:-2]) if c[0].value == "|" else ()
    return ast.Lambda(ps, body(c[-1]), False, None, None, span(n))


def fn_annotation(n) -> tuple:
    """(return type, confidence) of an `fn_annot` (or a lone `conf_annot`) node."""
    if n.type == "conf_annot":
        return None, conf_annotation(n)
    return_type = confidence = None
    for part in n.children:
        if part.type == "conf_annot":
            confidence = conf_annotation(part)
        elif not is_(part, "->"):
            return_type = annotation(part)
    return return_type, confidence


def _anon_fn(n) -> ast.Lambda:
    from transpiler.front.build_ast import block
    c = n.children
    close = next(i for i, x in enumerate(c) if is_(x, ")") and i >= 2)
    return_type = confidence = None
    if c[close + 1].type in ("fn_annot", "conf_annot"):
        return_type, confidence = fn_annotation(c[close + 1])
    return ast.Lambda(params(c[2:close]), block(c[-1]), False, return_type, confidence, span(n))


def _entries(children) -> tuple:
    entries = []
    for e in items(children):
        if e.type == "name":
            entries.append(ast.ObjectEntry(e.value, ast.Name(e.value, span(e)), span(e)))
        elif e.type == "string":
            raise error("object entry needs a value", e, help="write `\"key\": value`")
        else:
            key = e.children[0]
            name = key.value if key.type == "name" else string_value(key)
            entries.append(ast.ObjectEntry(name, build_expr(e.children[2]), span(e)))
    return tuple(entries)


# ---------------------------------------------------------------- match and patterns

def _literal_pattern(n) -> ast.Pattern:
    return ast.LiteralPattern(_leaf_expr(n), span(n))


# `None` and `nil` in a pattern match null, like the literal.
_NULL_NAMES = frozenset({"None", "nil"})


def build_pattern(n) -> ast.Pattern:
    if isinstance(n, tree.Leaf):
        if n.type == "name":
            if n.value == "_":
                return ast.WildcardPattern(span(n))
            if n.value in _NULL_NAMES:
                return ast.LiteralPattern(ast.NullLit(span(n)), span(n))
            return ast.BindingPattern(n.value, span(n))
        return _literal_pattern(n)
    c = n.children
    kind = n.type
    if kind in ("pattern", "and_pattern"):
        node = ast.OrPattern if kind == "pattern" else ast.AndPattern
        result = build_pattern(c[0])
        for i in range(2, len(c), 2):
            result = node(result, build_pattern(c[i]), span(n, c[i]))
        return result
    if is_(c[0], "-"):
        return ast.LiteralPattern(ast.Unary("-", _number(c[1]), span(n)), span(n))
    if is_(c[0], "["):
        return _array_pattern(n)
    if is_(c[0], "in"):
        tag_node = c[1]
        tag = binding = None
        if tag_node.type == "string":
            tag = ast.StringLit(string_value(tag_node), span(tag_node))
        else:
            binding = tag_node.value
        inner = build_pattern(c[2]) if len(c) > 2 else None
        return ast.ContextPattern(tag, binding, inner, span(n))
    rng = c[-1] if c[-1].type == "conf_range" else None
    inner = None
    name = None
    if len(c) >= 3 and is_(c[1], "("):
        close = next(i for i, x in enumerate(c) if is_(x, ")"))
        inner = ast.CtorPattern(c[0].value, tuple(build_pattern(x) for x in items(c[2:close])),
                                span(c[0], c[close]))
        if rng is None:
            return inner
    elif c[0].type == "name" and c[0].value != "_":
        name = c[0].value
    r = rng.children
    return ast.ConfidencePattern(name, build_expr(r[1]), build_expr(r[3]), inner, span(n))


def _array_pattern(n) -> ast.ArrayPattern:
    elements, rest = [], None
    parts = items(n.children[1:-1])
    for i, part in enumerate(parts):
        is_rest = is_(part, "...") or (part.type == "pattern_item" and is_(part.children[0], "..."))
        if is_rest:
            if i != len(parts) - 1:
                raise error("'...' must come last in an array pattern", part)
            rest = part.children[1].value if part.type == "pattern_item" else ""
        else:
            elements.append(build_pattern(part))
    return ast.ArrayPattern(tuple(elements), rest, span(n))


def _arm_body(n):
    from transpiler.front.build_ast import block
    if n.type == "lambda_block":
        return block(n)
    if n.type == "keyword" and n.value in ("return", "break", "continue"):
        return {"return": lambda s: ast.Return(None, s), "break": ast.Break,
                "continue": ast.Continue}[n.value](span(n))
    if n.type == "arm_body":
        word, value = n.children
        value = build_expr(value)
        return ast.Return(value, span(n)) if word.value == "return" else ast.Throw(value, span(n))
    return build_expr(n)


def _match(n) -> ast.Match:
    c = n.children
    arms = []
    for arm in items(c[3:-1]):
        a = arm.children
        guard = build_expr(a[2]) if is_(a[1], "if") else None
        arms.append(ast.MatchArm(build_pattern(a[0]), guard, _arm_body(a[-1]), span(arm)))
    return ast.Match(build_expr(c[1]), tuple(arms), span(n))


_EXPR_BUILDERS = {
    "expr": _expr_rule,
    "conf_expr": _binary_chain, "or_expr": _binary_chain, "and_expr": _binary_chain,
    "comparison": _binary_chain, "arith": _binary_chain, "term": _binary_chain,
    "range_expr": lambda n: ast.Range(build_expr(n.children[0]), build_expr(n.children[2]),
                                      n.children[1].value == "..=", span(n)),
    "factor": _factor,
    "power": lambda n: ast.Binary("**", build_expr(n.children[0]), build_expr(n.children[2]),
                                  span(n)),
    "postfix": _postfix,
    "paren": _paren,
    "array": lambda n: ast.ArrayLit(tuple(build_expr(x) for x in items(n.children[1:-1])),
                                    span(n)),
    "object": lambda n: ast.ObjectLit(_entries(n.children[1:-1]), span(n)),
    "match_expr": _match,
    "async_lambda": _async_lambda,
    "async_block": _async_block,
    "closure": _closure,
    "magnitude": lambda n: ast.Unary("|", build_expr(n.children[1]), span(n)),
    "anon_fn": _anon_fn,
}
