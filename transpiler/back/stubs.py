"""Typed stubs (`.pyi`) for a compiled Prism module, from the compiler's own inference.

Input: what `pipeline.analyse` computes (`ast.Module`, `resolve.Resolution`,
`infer.Typing`) and the source text. Output: `StubModule`, a view model that
`templates/module.pyi.j2` renders (through `render.render_stub`); no Python
text is assembled here. Called by `pipeline` (every transpile carries its
stub); written by `build` (next to a cached module), `cli` (`prismc`) and
`setuptools_ext` (`prismize`).

What Python callers get, per Prism type (`types.Type` kinds):

    int float bool string null   int float bool str None
    [T]                          list[T]
    map / object literal         dict[str, Any]
    struct S                     class S (fields, __init__, new, methods)
    fn(...) -> R                 Callable[..., Any]
    tensor                       numpy.typing.NDArray[numpy.floating[Any]]
    any, and any kind not known  Any          (so kinds added later degrade, never fail)
    a value that may carry confidence: T | Conf[T]   (Conf from prism_runtime.confidence)

Choices:
- The `//` comment block right above a declaration (above its `#[...]`
  attributes too) becomes its docstring; the block at the top of the file,
  when it documents no declaration, the module's.
- A literal default is written as itself (`b: int = 2`); any other default is
  `...`: it is evaluated when the call omits the argument.
- A top-level `const` is `Final`. Imported names are not re-exported.
- A top-level name mangled away from a reserved word (`main` -> `_pu_main`) is
  stubbed under both names, as the module publishes both, where Python can
  spell the Prism name (`main`, but not `class`).
"""
from __future__ import annotations

import builtins
import keyword
import math
from dataclasses import dataclass, field
from typing import Any, Optional

from transpiler.front import ast
from transpiler.passes.escape import ident
from transpiler.passes.structs import own_params

# What a Python caller sees for each type kind that maps to a plain name.
_NAMED_KINDS = {"int": "int", "float": "float", "bool": "bool", "string": "str", "null": "None"}
_NO_DEFAULT = object()
ELLIPSIS = object()                 # a default that is evaluated when the call omits the argument


@dataclass(frozen=True)
class PyType:
    """A Python type expression: `head` alone (`int`), `head[args]` (`list[int]`), or a union
    when head is "|". Rendered by the template's `pytype` macro."""
    head: str
    args: tuple = ()


NONE = PyType("None")


@dataclass
class StubParam:
    name: str
    type: PyType
    default: Any = _NO_DEFAULT     # a literal value, or ELLIPSIS for "evaluated when omitted"

    @property
    def has_default(self) -> bool:
        return self.default is not _NO_DEFAULT

    @property
    def literal_default(self) -> bool:
        return self.default is not ELLIPSIS and self.has_default


@dataclass
class StubFunction:
    name: str
    params: list                    # list[StubParam], without `self`
    returns: PyType
    doc: Optional[str] = None
    is_async: bool = False


@dataclass
class StubVariable:
    name: str
    type: PyType                    # `Final[T]` for a top-level const
    doc: Optional[str] = None


@dataclass
class StubClass:
    name: str
    fields: list                    # list[StubVariable]
    init_params: list               # list[StubParam]
    methods: list                   # list[StubFunction]
    doc: Optional[str] = None


@dataclass
class StubAlias:
    """`main = _pu_main`: a top-level name that Python reserves is published under both."""
    name: str
    target: str


@dataclass
class StubModule:
    source_path: str
    doc: Optional[str]
    members: list = field(default_factory=list)     # StubClass | StubFunction | StubVariable | StubAlias
    from_imports: list = field(default_factory=list)  # [(module, [(name, local name)])]
    imports: list = field(default_factory=list)       # [(module, local name)]


# ---------------------------------------------------------------- types

class TypeMapper:
    """Prism types to Python type expressions; records the imports the stub needs. `taken`
    holds the module's own top-level names: an import they would shadow (a struct named
    `Any`) gets a local name with a leading underscore, which no Prism name compiles to."""

    def __init__(self, struct_names: dict, taken=frozenset()):
        self.struct_names = struct_names        # Prism struct name -> Python class name
        self.taken = set(taken)
        self.needed: dict = {}                  # (module, name or None) -> local name

    def imported(self, module: str, name: Optional[str] = None) -> str:
        """The local name of `from module import name` (or of `import module`)."""
        key = (module, name)
        if key not in self.needed:
            canonical = name or module
            clash = canonical.partition(".")[0] in self.taken
            self.needed[key] = "_" + canonical.replace(".", "_") if clash else canonical
        return self.needed[key]

    def of(self, t) -> PyType:
        plain = self._plain(t)
        if getattr(t, "conf", False) and plain.head not in (self.imported("typing", "Any"), "None"):
            return union(plain, PyType(self.imported("prism_runtime.confidence", "Conf"), (plain,)))
        return plain

    def _plain(self, t) -> PyType:
        kind = getattr(t, "kind", None)
        if kind in _NAMED_KINDS:
            return PyType(_NAMED_KINDS[kind])
        if kind == "array":
            return PyType("list", (self.of(getattr(t, "element", None)),))
        if kind == "map":
            value = getattr(t, "element", None)
            return PyType("dict", (PyType("str"), self.of(value) if value is not None else self.any()))
        if kind == "struct" and getattr(t, "name", None) in self.struct_names:
            return PyType(self.struct_names[t.name])
        if kind == "fn":
            return PyType(self.imported("typing", "Callable"), (PyType("..."), self.any()))
        if kind == "tensor":
            floating = PyType(self.imported("numpy") + ".floating", (self.any(),))
            return PyType(self.imported("numpy.typing") + ".NDArray", (floating,))
        return self.any()

    def any(self) -> PyType:
        return PyType(self.imported("typing", "Any"))

    def final(self, t: PyType) -> PyType:
        return PyType(self.imported("typing", "Final"), (t,))

    def import_lines(self):
        """(from-imports grouped by module, plain imports), in a stable order."""
        grouped: dict = {}
        plain = []
        for (module, name), local in sorted(self.needed.items(), key=lambda item: (item[0][0], item[0][1] or "")):
            if name is None:
                plain.append((module, local))
            else:
                grouped.setdefault(module, []).append((name, local))
        return sorted(grouped.items()), plain


def union(*members: PyType) -> PyType:
    return PyType("|", tuple(members))


# ---------------------------------------------------------------- docstrings

class _Comments:
    """The `//` comment blocks of a source, by the line each one documents."""

    def __init__(self, source: str):
        self.lines = source.splitlines()

    def _is_comment(self, index: int) -> bool:
        return 0 <= index < len(self.lines) and self.lines[index].lstrip().startswith("//")

    def above(self, line: int) -> Optional[str]:
        """The block ending right above 1-based `line`, skipping `#[...]` attribute lines."""
        index = line - 2
        while 0 <= index < len(self.lines) and self.lines[index].lstrip().startswith("#["):
            index -= 1
        end = index
        while self._is_comment(index):
            index -= 1
        return self._text(index + 1, end + 1)

    def leading(self, declaration_lines: set) -> Optional[str]:
        """The block at the top of the file, unless it is a declaration's own."""
        end = 0
        while self._is_comment(end):
            end += 1
        following = end + 1                     # the 1-based line after the block
        while following - 1 < len(self.lines) and self.lines[following - 1].lstrip().startswith("#["):
            following += 1
        if following in declaration_lines:
            return None
        return self._text(0, end)

    def _text(self, start: int, end: int) -> Optional[str]:
        if start >= end:
            return None
        body = []
        for raw in self.lines[start:end]:
            text = raw.lstrip()[2:]
            text = text.lstrip("/")             # `///` doc comments read the same
            body.append(text[1:] if text.startswith(" ") else text)
        doc = "\n".join(body).strip()
        return doc or None


# ---------------------------------------------------------------- module

class _StubBuilder:
    def __init__(self, module: ast.Module, resolution, typing, source: str):
        self.module = module
        self.res = resolution
        self.ty = typing
        self.comments = _Comments(source)
        struct_names = {name: self._py_name(decl, name) for name, decl in getattr(resolution, "structs", {}).items()}
        top_level = getattr(getattr(resolution, "module_scope", None), "symbols", ())
        self.types = TypeMapper(struct_names, {s.py_name for s in top_level} | {s.name for s in top_level})

    def _py_name(self, decl, fallback: str) -> str:
        symbol = self.res.decls.get(id(decl))
        return getattr(symbol, "py_name", None) or ident(fallback)

    def build(self) -> StubModule:
        members, seen = [], set()
        for stmt in self.module.body:
            member = self.member(stmt)
            if member is None or member.name in seen:
                continue                        # a redeclared `let` is one variable (its widened type)
            seen.add(member.name)
            members.append(member)
            alias = self.alias(stmt.name, member)
            if alias is not None and alias.name not in seen:
                seen.add(alias.name)
                members.append(alias)
        declaration_lines = {stmt.span.line for stmt in self.module.body
                             if isinstance(stmt, (ast.FnDecl, ast.StructDecl, ast.Let))}
        stub = StubModule(self.module.path, self.comments.leading(declaration_lines), members)
        stub.from_imports, stub.imports = self.types.import_lines()
        return stub

    def member(self, stmt):
        if isinstance(stmt, ast.FnDecl):
            if self.res.top_functions.get(stmt.name) is not stmt:
                return None                     # a later declaration of the same name wins
            return self.function(stmt, self._py_name(stmt, stmt.name), method=False)
        if isinstance(stmt, ast.StructDecl):
            return self.struct(stmt)
        if isinstance(stmt, ast.Let):
            symbol = self.res.decls.get(id(stmt))
            if symbol is None:
                return None
            vtype = self.types.of(self.ty.sym(symbol))
            return StubVariable(symbol.py_name, self.types.final(vtype) if stmt.is_const else vtype,
                                self.comments.above(stmt.span.line))
        return None

    def alias(self, prism_name: str, member):
        """The Prism spelling of a top-level name mangled away from a reserved word, which the
        module also publishes (lower.py's exports), when Python can spell it (`main`, not `class`)
        and it does not shadow a builtin that the stub's annotations name (`int`, `list`)."""
        if member.name == prism_name or member.name != ident(prism_name) or not prism_name.isidentifier() \
                or keyword.iskeyword(prism_name) or hasattr(builtins, prism_name):
            return None
        if isinstance(member, StubVariable):
            return StubVariable(prism_name, member.type, member.doc)
        return StubAlias(prism_name, member.name)

    def function(self, fn: ast.FnDecl, name: str, method: bool) -> StubFunction:
        info = self.ty.functions.get(id(fn))
        param_types = list(getattr(info, "params", None) or [])
        params = []
        own = own_params(fn) if method else fn.params        # a method's `self` is the class's
        for index, param in enumerate(own):
            ptype = param_types[index] if index < len(param_types) else None
            params.append(self.param(self._py_name(param, param.name), ptype, param.default))
        returns = self.types.of(info.ret) if info is not None and not fn.is_async else self.types.any()
        return StubFunction(name, params, returns, self.comments.above(fn.span.line), fn.is_async)

    def param(self, name: str, ptype, default) -> StubParam:
        pytype = self.types.of(ptype)
        if default is None:
            return StubParam(name, pytype)
        value = _literal_value(default)
        if value is _NOT_LITERAL:
            return StubParam(name, pytype, ELLIPSIS)
        if value is None and pytype.head not in (self.types.imported("typing", "Any"), "None"):
            pytype = union(pytype, NONE)         # `s: string = null` takes None from Python too
        return StubParam(name, pytype, value)

    def struct(self, decl: ast.StructDecl) -> StubClass:
        name = self._py_name(decl, decl.name)
        info = self.ty.structs.get(decl.name)
        field_types = {fname: ftype for fname, ftype, _ in getattr(info, "fields", ())}
        fields, init_params = [], []
        for fdecl in decl.fields:
            pyname = ident(fdecl.name)
            fields.append(StubVariable(pyname, self.types.of(field_types.get(fdecl.name)),
                                       self.comments.above(fdecl.span.line)))
            init_params.append(self.param(pyname, field_types.get(fdecl.name), fdecl.default))
        # Its own methods, its impls' and its traits' provided ones (structs.TypeTable).
        table = getattr(info, "methods", None) or {m.name: m for m in decl.methods}
        methods = [self.function(m, ident(m.name), method=True) for m in table.values()]
        return StubClass(name, fields, init_params, methods, self.comments.above(decl.span.line))


_NOT_LITERAL = object()


def _literal_value(e):
    """The Python value of a literal default (None for `null`), else _NOT_LITERAL. Infinities
    and NaN are not literals in a stub."""
    if isinstance(e, ast.NullLit):
        return None
    if isinstance(e, (ast.IntLit, ast.StringLit, ast.BoolLit)):
        return e.value
    if isinstance(e, ast.FloatLit):
        return e.value if math.isfinite(e.value) else _NOT_LITERAL
    if isinstance(e, ast.Unary) and e.op == "-" and isinstance(e.operand, (ast.IntLit, ast.FloatLit)):
        inner = _literal_value(e.operand)
        return -inner if inner is not _NOT_LITERAL else _NOT_LITERAL
    return _NOT_LITERAL


def stub_module(module: ast.Module, resolution, typing, source: str) -> StubModule:
    """The stub view model of one analysed module (see the module docstring)."""
    return _StubBuilder(module, resolution, typing, source).build()
