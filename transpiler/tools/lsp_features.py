"""The language server's answers, computed from an analysed `Snapshot`.

Each function takes a snapshot and a position in the snapshot's own text
(0-based line and code-point column) and returns plain data that
`transpiler.tools.lsp` turns into protocol messages: hover Markdown, the
occurrence a definition or rename starts from, completion candidates and
the document outline. What another `.prism` file declares is reached
through an `imported(snapshot, import_spec)` callback that returns that
file's snapshot.

Types print as the compiler infers them (`float`, `[int]`, `Point`), with
`~0.9` when a literal confidence is declared and `~?` when the value may carry
a confidence known only at run time.

Talks to: `transpiler.tools.lsp_index` (Snapshot, Occurrence), `transpiler.passes.types`,
`transpiler.passes.builtins` (built-ins, runtime globals), `transpiler.passes.infer`
(literal confidences), `prism_runtime` (members of the runtime objects and
of arrays, strings and maps, read by introspection so they never drift).
"""
from __future__ import annotations

import functools
import importlib
import inspect
from dataclasses import dataclass
from typing import Callable, Optional

from transpiler.front import ast
from transpiler.passes import types as T
from transpiler.passes.builtins import BUILTINS, RUNTIME_GLOBALS
from transpiler.passes.infer import literal_number
from transpiler.passes.resolve import Symbol
from transpiler.front.tokenizer import KEYWORDS, SOFT_KEYWORDS
from transpiler.tools.lsp_index import Occurrence, Snapshot, member_key

Imported = Callable[[Snapshot, str], Optional[Snapshot]]


def type_text(t: T.Type, confidence: Optional[float] = None) -> str:
    text = str(T.plain(t)) if t.kind != "bottom" else "any"
    if t.conf or confidence is not None:
        text += f" ~{_number(confidence)}" if confidence is not None else " ~?"
    return text


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and x > 1 else repr(x)


def _code(text: str) -> str:
    return f"```prism\n{text}\n```"


def _with_doc(signature: str, doc: str) -> str:
    return _code(signature) + (f"\n\n{doc}" if doc else "")


# ---------------------------------------------------------------- signatures

def fn_signature(snap: Snapshot, fn, owner: Optional[str] = None) -> str:
    info = snap.typing.functions.get(id(fn))
    params = []
    for i, p in enumerate(fn.params):
        pt = info.params[i] if info is not None and i < len(info.params) else T.ANY
        text = p.name if (p.name == "self" and i == 0) else f"{p.name}: {type_text(pt)}"
        if p.default is not None:
            text += f" = {snap.source_of(p.default)}"
        params.append(text)
    name = f"{owner}.{fn.name}" if owner else getattr(fn, "name", "")
    head = ("async " if fn.is_async else "") + f"fn {name}({', '.join(params)})"
    if info is not None:
        head += f" -> {type_text(T.plain(info.ret))}"
    confidence = getattr(fn, "confidence", None)
    if confidence is not None:
        c = literal_number(confidence)
        head += f" ~{_number(c)}" if c is not None else f" ~{snap.source_of(confidence)}"
    return head


def struct_summary(snap: Snapshot, decl: ast.StructDecl) -> str:
    info = snap.typing.structs.get(decl.name)
    lines = [f"struct {decl.name} {{"]
    fields = info.fields if info is not None else [(f.name, T.ANY, f) for f in decl.fields]
    lines += [f"    {name}: {type_text(t)}" for name, t, _ in fields]
    lines += [f"    {fn_signature(snap, m)}" for m in decl.methods]
    return "\n".join(lines + ["}"])


def _declared_confidence(decl) -> Optional[float]:
    value = getattr(decl, "value", None)
    if isinstance(value, ast.Binary) and value.op == "~>":
        return literal_number(value.right)
    return None


def _decl_line(decl) -> Optional[int]:
    if isinstance(decl, tuple):
        decl = decl[0]
    span = getattr(decl, "span", None)
    return span.line - 1 if span is not None else None


# ---------------------------------------------------------------- hover

def hover(snap: Snapshot, line: int, col: int, imported: Imported) -> Optional[str]:
    occ = snap.occurrence_at(line, col)
    if occ is not None:
        text = describe(snap, occ, imported)
        if text is not None:
            return text
    node = snap.node_at(line, col)
    if node is None:
        return None
    return _code(f"(expression) {type_text(snap.typing.of(node))}")


def describe(snap: Snapshot, occ: Occurrence, imported: Imported) -> Optional[str]:
    key = occ.key
    if isinstance(key, Symbol):
        return describe_symbol(snap, key, imported)
    if isinstance(key, tuple):
        _, struct, name = key
        info = snap.typing.structs.get(struct)
        if info is None:
            return None
        method = info.methods.get(name)
        if method is not None:
            return _with_doc(fn_signature(snap, method, struct), snap.comment_above(_decl_line(method)))
        ftype = info.field_type(name)
        decl = next((f for n, _, f in info.fields if n == name), None)
        if ftype is None:
            return None
        doc = snap.comment_above(_decl_line(decl)) if decl is not None else ""
        return _with_doc(f"(field) {struct}.{name}: {type_text(ftype)}", doc)
    if isinstance(occ.node, ast.Member):
        doc = _runtime_member_doc(occ.node)
        return _with_doc(f"(member) {occ.node.name}: {type_text(snap.typing.of(occ.node))}", doc)
    return None


def describe_symbol(snap: Snapshot, sym: Symbol, imported: Imported) -> Optional[str]:
    decl = sym.decl
    if sym.kind == "builtin":
        b = BUILTINS[sym.name]
        arity = f"{b.min_args}.." + ("" if b.max_args is None else str(b.max_args))
        result = f" -> {b.result}" if b.result is not None else ""
        return _code(f"(builtin) fn {sym.name}(/* {arity} arguments */){result}")
    if sym.kind == "runtime":
        return _with_doc(f"(runtime) {sym.name}", _doc_of(_runtime_object(sym.name)))
    doc = snap.comment_above(_decl_line(decl)) if _decl_line(decl) is not None else ""
    if isinstance(decl, ast.FnDecl):
        return _with_doc(fn_signature(snap, decl), doc)
    if isinstance(decl, ast.StructDecl):
        return _with_doc(struct_summary(snap, decl), doc)
    t = snap.typing.sym(sym)
    if isinstance(decl, ast.Let):
        keyword = "const" if decl.is_const else "let"
        value = decl.value
        if isinstance(value, ast.Lambda):
            return _with_doc(f"{keyword} {sym.name}: {lambda_signature(snap, value)}", doc)
        return _with_doc(f"{keyword} {sym.name}: {type_text(t, _declared_confidence(decl))}", doc)
    if isinstance(decl, ast.Param):
        return _code(f"(parameter) {sym.name}: {type_text(t)}")
    if isinstance(decl, tuple):
        return _code(f"(loop variable) {sym.name}: {type_text(t)}")
    if isinstance(decl, ast.Try):
        return _code(f"(error) {sym.name}")
    if isinstance(decl, ast.Pattern):
        return _code(f"(match binding) {sym.name}: {type_text(t)}")
    if sym.kind == "import":
        return describe_import(snap, sym, imported)
    return _code(f"{sym.name}: {type_text(t)}")


def lambda_signature(snap: Snapshot, lam: ast.Lambda) -> str:
    info = snap.typing.functions.get(id(lam))
    params = ", ".join(f"{p.name}: {type_text(info.params[i]) if info else 'any'}"
                       for i, p in enumerate(lam.params))
    return ("async " if lam.is_async else "") + f"fn({params})"


def import_of(snap: Snapshot, sym: Symbol) -> Optional[ast.Import]:
    """The import statement that declares `sym`."""
    for stmt in snap.module.body:
        if isinstance(stmt, ast.Import) and (stmt is sym.decl or any(n is sym.decl for n in stmt.names)):
            return stmt
    return None


def imported_declaration(snap: Snapshot, sym: Symbol, imported: Imported):
    """(other snapshot, its top-level Symbol) for a name imported from a .prism file."""
    stmt = import_of(snap, sym)
    if stmt is None or not isinstance(sym.decl, ast.ImportName):
        return None, None
    other = imported(snap, stmt.source)
    if other is None:
        return None, None
    target = next((s for s in other.resolution.module_scope.symbols if s.name == sym.decl.name), None)
    return other, target


def describe_import(snap: Snapshot, sym: Symbol, imported: Imported) -> str:
    stmt = import_of(snap, sym)
    source = stmt.source if stmt is not None else "?"
    other, target = imported_declaration(snap, sym, imported)
    if target is not None:
        inner = describe_symbol(other, target, imported)
        return f"(imported from \"{source}\")\n\n{inner}" if inner else _code(f"(import) {sym.name}")
    return _code(f"(import) {sym.name} from \"{source}\"")


# ---------------------------------------------------------------- runtime objects

@functools.lru_cache(maxsize=None)
def _runtime_object(name: str):
    module, attr = RUNTIME_GLOBALS[name]
    try:
        return getattr(importlib.import_module(module), attr)
    except Exception:  # noqa: BLE001 - an unbuilt runtime only loses completions
        return None


def _doc_of(obj) -> str:
    doc = inspect.getdoc(obj) if obj is not None else None
    return doc.split("\n\n")[0] if doc else ""


def _runtime_member_doc(node: ast.Member) -> str:
    if isinstance(node.obj, ast.Name) and node.obj.id in RUNTIME_GLOBALS:
        obj = _runtime_object(node.obj.id)
        return _doc_of(_static_member(obj, node.name)) if obj is not None else ""
    return ""


def _static_member(obj, name: str):
    """A member without running it: `llm.config` is a property that reads the configuration."""
    try:
        return inspect.getattr_static(obj, name)
    except AttributeError:
        return None


@functools.lru_cache(maxsize=None)
def runtime_members(name: str) -> tuple:
    """Public members of a runtime global (`llm`, `context`, `Cache`...): (name, first doc line)."""
    obj = _runtime_object(name)
    if obj is None:
        return ()
    out = []
    for attr in dir(obj):
        value = _static_member(obj, attr)
        if attr.startswith("_") or inspect.ismodule(value):
            continue
        out.append((attr, _doc_of(value).split("\n")[0]))
    return tuple(out)


@functools.lru_cache(maxsize=None)
def builtin_methods(kind: str) -> tuple:
    """Methods the runtime gives arrays, strings and maps (prism_runtime.methods' tables)."""
    table = {"array": "LIST_METHODS", "string": "STR_METHODS", "map": "MAP_METHODS"}.get(kind)
    try:
        methods_module = importlib.import_module("prism_runtime.methods")
    except ImportError:
        return ()
    methods = tuple(sorted(getattr(methods_module, table, {}))) if table else ()
    return (("length",) if kind in ("array", "string", "map") else ()) + methods


# ---------------------------------------------------------------- completion

@dataclass(frozen=True)
class Candidate:
    label: str
    kind: str           # keyword variable function struct field method module constant
    detail: str = ""


def _symbol_candidate(snap: Snapshot, sym: Symbol) -> Candidate:
    decl = sym.decl
    if isinstance(decl, ast.FnDecl):
        return Candidate(sym.name, "function", fn_signature(snap, decl))
    if isinstance(decl, ast.StructDecl):
        return Candidate(sym.name, "struct", f"struct {sym.name}")
    if sym.kind == "import":
        return Candidate(sym.name, "module", "import")
    kind = "constant" if sym.is_const else "variable"
    return Candidate(sym.name, kind, type_text(snap.typing.sym(sym)))


def complete_names(snap: Optional[Snapshot], line: int, col: int) -> list:
    out = [Candidate(k, "keyword") for k in sorted(KEYWORDS | SOFT_KEYWORDS)]
    out += [Candidate(name, "function", "builtin") for name in BUILTINS]
    out += [Candidate(name, "module", "runtime") for name in RUNTIME_GLOBALS]
    if snap is not None:
        out += [_symbol_candidate(snap, sym) for sym in snap.visible(line, col).values()
                if sym.kind not in ("builtin", "runtime")]
    return out


def complete_members(snap: Optional[Snapshot], line: int, col: int, chain: list) -> list:
    """Candidates after `a.b.` (chain = ["a", "b"]), from the receiver's inferred type."""
    head, rest = chain[0], chain[1:]
    sym = snap.visible(line, col).get(head) if snap is not None else None
    if sym is None and head in RUNTIME_GLOBALS and not rest:
        return [Candidate(n, "method", d) for n, d in runtime_members(head)]
    if sym is None:
        return []
    if sym.kind == "runtime" and not rest:
        return [Candidate(n, "method", d) for n, d in runtime_members(head)]
    if sym.kind == "struct" and not rest:
        return [Candidate("new", "method", f"fn {head}.new(...) -> {head}")]
    t = snap.typing.sym(sym)
    for name in rest:
        t = _member_type(snap, t, name)
    if t.conf:
        t = T.plain(t)
    if t.kind == "struct":
        info = snap.typing.structs.get(t.name)
        if info is None:
            return []
        return ([Candidate(n, "field", type_text(ft)) for n, ft, _ in info.fields] +
                [Candidate(n, "method", fn_signature(snap, m, t.name)) for n, m in info.methods.items()])
    return [Candidate(n, "field" if n == "length" else "method", t.kind) for n in builtin_methods(t.kind)]


def _member_type(snap: Snapshot, t: T.Type, name: str) -> T.Type:
    if t.kind == "struct" and not t.conf:
        info = snap.typing.structs.get(t.name)
        if info is not None:
            if name in info.methods:
                fn = snap.typing.functions.get(id(info.methods[name]))
                return fn.ret if fn is not None else T.ANY
            return info.field_type(name) or T.ANY
    return T.INT if name == "length" else T.ANY


# ---------------------------------------------------------------- outline

@dataclass
class Outline:
    name: str
    kind: str           # function struct field method variable constant module interface impl operator macro
    detail: str
    node: object
    selection: Optional[Occurrence]
    children: list


def outline(snap: Snapshot) -> list:
    decls = {id(o.node): o for o in snap.occurrences if o.is_decl}
    by_key = {o.key: o for o in snap.occurrences if o.is_decl and isinstance(o.key, tuple)}

    def of_stmt(stmt) -> list:
        if isinstance(stmt, ast.FnDecl):
            inner = [x for s in stmt.body.body if isinstance(s, (ast.FnDecl, ast.Let)) for x in of_stmt(s)]
            return [Outline(stmt.name, "function", fn_signature(snap, stmt), stmt, decls.get(id(stmt)), inner)]
        if isinstance(stmt, ast.StructDecl):
            kids = [Outline(f.name, "field", "", f, by_key.get(member_key(stmt.name, f.name)), [])
                    for f in stmt.fields]
            kids += [Outline(m.name, "method", fn_signature(snap, m, stmt.name), m,
                             by_key.get(member_key(stmt.name, m.name)), []) for m in stmt.methods]
            return [Outline(stmt.name, "struct", "", stmt, decls.get(id(stmt)), kids)]
        if isinstance(stmt, ast.Let):
            sym = snap.resolution.decls.get(id(stmt))
            detail = type_text(snap.typing.sym(sym)) if sym is not None else ""
            return [Outline(stmt.name, "constant" if stmt.is_const else "variable", detail, stmt,
                            decls.get(id(stmt)), [])]
        if isinstance(stmt, ast.Import):
            names = [n.alias or n.name for n in stmt.names] + ([stmt.default] if stmt.default else [])
            return [Outline(name, "module", f"from \"{stmt.source}\"", stmt, None, []) for name in names]
        return of_v2_declaration(stmt)

    def of_v2_declaration(stmt) -> list:
        """Prism v2's traits, impls, operators and macros, read by their fields so that this
        also runs on an AST without them."""
        methods = getattr(stmt, "methods", None)
        if isinstance(methods, tuple):
            kids = [Outline(m.name, "method", fn_signature(snap, m), m, decls.get(id(m)), []) for m in methods]
            if isinstance(getattr(stmt, "name", None), str):
                return [Outline(stmt.name, "interface", "trait", stmt, decls.get(id(stmt)), kids)]
            trait, target = getattr(stmt, "trait", None), getattr(stmt, "target", None)
            name = "impl " + (f"{getattr(trait, 'name', '?')} for " if trait is not None else "") \
                + getattr(target, "name", "?")
            return [Outline(name, "impl", "", stmt, None, kids)]
        function = getattr(stmt, "function", None)
        if isinstance(function, ast.FnDecl) and isinstance(getattr(stmt, "op", None), str):
            return [Outline(f"operator {stmt.op}", "operator", fn_signature(snap, function), stmt, None, [])]
        if isinstance(getattr(stmt, "name", None), str) and isinstance(getattr(stmt, "body", None), str):
            return [Outline(stmt.name, "macro", "macro", stmt, None, [])]
        return []

    return [x for stmt in snap.module.body for x in of_stmt(stmt)]
