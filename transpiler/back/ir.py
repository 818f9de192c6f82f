"""The typed IR: view models that `lower` builds and `templates/*.pyx.j2` render.

Nothing here holds Cython source text. Names are already safe identifiers
(made by `escape.ident` during resolution or chosen by `lower` for temps);
literal values are raw Python values that the templates escape with the
`pylit` filter. Each class has a `kind` the templates dispatch on, and each
statement a `line`: the Prism source line it came from, written into the
`.pyx` as a `# @L<line>` marker so runtime errors can name the `.prism` line.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Optional


# ---------------------------------------------------------------- expressions

class Expr:
    kind: ClassVar[str] = "expr"


@dataclass
class Lit(Expr):
    value: Any                      # int, float, str, bool or None
    kind: ClassVar[str] = "lit"


@dataclass
class Var(Expr):
    name: str
    kind: ClassVar[str] = "var"


@dataclass
class Attr(Expr):
    obj: Expr
    name: str                       # a safe identifier
    kind: ClassVar[str] = "attr"


@dataclass
class Call(Expr):
    func: Expr
    args: list = field(default_factory=list)          # list[Expr]
    kwargs: list = field(default_factory=list)        # list[(safe name, Expr)]
    dict_kwargs: list = field(default_factory=list)   # list[(str key, Expr)]: **{'class': v}
    kind: ClassVar[str] = "call"


@dataclass
class RtCall(Expr):
    """A call into the runtime: `module` is a fixed alias (_rt, _cf, _cx), `func` a runtime name."""
    module: str
    func: str
    args: list = field(default_factory=list)
    kind: ClassVar[str] = "rt"


@dataclass
class Bin(Expr):
    op: str                         # a Python/Cython operator from lower's fixed tables
    left: Expr
    right: Expr
    kind: ClassVar[str] = "bin"


@dataclass
class Un(Expr):
    op: str                         # "-", "+", "not "
    operand: Expr
    kind: ClassVar[str] = "un"


@dataclass
class Cast(Expr):
    ctype: str
    value: Expr
    checked: bool = False           # <T?>x: type-tested cast for extension types
    from_object: bool = False       # converts a Python object (may raise), not C to C
    kind: ClassVar[str] = "cast"


@dataclass
class Item(Expr):
    obj: Expr
    index: Expr
    kind: ClassVar[str] = "item"


@dataclass
class SliceItem(Expr):
    obj: Expr
    lo: Optional[Expr]
    hi: Optional[Expr]
    kind: ClassVar[str] = "slice"


@dataclass
class ListDisplay(Expr):
    items: list
    kind: ClassVar[str] = "list"


@dataclass
class TupleDisplay(Expr):
    items: list
    kind: ClassVar[str] = "tuple"


@dataclass
class ObjDisplay(Expr):
    pairs: list                     # list[(str key, Expr)]
    kind: ClassVar[str] = "obj"


@dataclass
class Cond(Expr):
    test: Expr
    then: Expr
    other: Expr
    kind: ClassVar[str] = "cond"


@dataclass
class Walrus(Expr):
    name: str
    value: Expr
    kind: ClassVar[str] = "walrus"


@dataclass
class LambdaExpr(Expr):
    params: list                    # list[str]
    body: Expr
    kind: ClassVar[str] = "lambda"


@dataclass
class AwaitExpr(Expr):
    value: Expr
    kind: ClassVar[str] = "await"


# ---------------------------------------------------------------- statements

class Stmt:
    kind: ClassVar[str] = "stmt"


@dataclass
class Assign(Stmt):
    target: Expr
    value: Expr
    line: int
    kind: ClassVar[str] = "assign"


@dataclass
class ExprStmt(Stmt):
    expr: Expr
    line: int
    kind: ClassVar[str] = "expr"


@dataclass
class Return(Stmt):
    value: Optional[Expr]
    line: int
    kind: ClassVar[str] = "return"


@dataclass
class If(Stmt):
    branches: list                  # list[(Expr, list[Stmt])]
    orelse: Optional[list]
    line: int
    kind: ClassVar[str] = "if"


@dataclass
class While(Stmt):
    cond: Expr
    body: list
    line: int
    kind: ClassVar[str] = "while"


@dataclass
class ForRange(Stmt):
    var: str
    start: Expr
    stop: Expr
    body: list
    line: int
    kind: ClassVar[str] = "for_range"


@dataclass
class ForIn(Stmt):
    targets: list                   # list[str]
    iterable: Expr
    body: list
    is_async: bool
    line: int
    kind: ClassVar[str] = "for_in"


@dataclass
class Break(Stmt):
    line: int
    kind: ClassVar[str] = "break"


@dataclass
class Continue(Stmt):
    line: int
    kind: ClassVar[str] = "continue"


@dataclass
class Raise(Stmt):
    value: Optional[Expr]           # None: re-raise the error being handled
    line: int
    kind: ClassVar[str] = "raise"


@dataclass
class Try(Stmt):
    body: list
    exc_temp: Optional[str]         # the `except Exception as <temp>` name
    handler: Optional[list]         # runs with the exception bound (see lower)
    finalbody: Optional[list]
    line: int
    kind: ClassVar[str] = "try"


@dataclass
class CheckedOp(Stmt):
    """`<module>.<func>_into(&out, args...)`: a checked C operation writing its result to a C local."""
    func: str
    out: str
    args: list
    line: int
    module: str = "_rt"
    kind: ClassVar[str] = "checked"


@dataclass
class Def(Stmt):
    """A nested function (closure) defined at this point."""
    function: "Function"
    line: int
    kind: ClassVar[str] = "def"


@dataclass
class Scope(Stmt):
    """`global` / `nonlocal` declarations at the top of a function body."""
    word: str
    names: list
    line: int
    kind: ClassVar[str] = "scope"


# ---------------------------------------------------------------- definitions

@dataclass
class Param:
    name: str
    ctype: str                      # "object" when untyped
    default: Optional[Expr]
    fresh_default: Optional[Expr] = None   # evaluated on each call when the argument is omitted (or null)


@dataclass
class Function:
    name: str
    flavor: str                     # "cpdef", "def", "async def"
    params: list                    # list[Param]
    ret_ctype: str                  # for cpdef; "object" otherwise
    locals: list                    # list[(name, ctype)] declared with cdef at the top
    body: list                      # list[Stmt]
    line: int
    decorators: list = field(default_factory=list)   # list[Expr]
    prism_name: str = ""
    inline: bool = False            # recursive cpdef: `cpdef inline` lets gcc inline the recursion (callgraph)
    static: bool = False            # a struct's function without a receiver (`Type::name(..)`)


@dataclass
class Field:
    name: str                       # safe identifier
    prism_name: str
    ctype: str
    widen_float: bool = False       # a float field stored as an object: an int given to it becomes a float


@dataclass
class OperatorDispatch:
    """A protocol method of a struct's class (`__add__`, `__prism_dot__`, ...) that calls the
    operator function whose other operand matches: cases are (check, function name), the
    check ("struct", name), ("kind", number|int|str|bool) or None (anything)."""
    method: str
    cases: list


@dataclass
class Struct:
    name: str
    prism_name: str
    fields: list                    # list[Field]
    init_params: list               # list[Param]
    methods: list                   # list[Function]
    line: int
    conf: Optional[Expr] = None     # `struct S ~c`: the confidence of its instances
    field_confs: list = field(default_factory=list)    # (field name, Expr) of `f: T ~c`
    operators: list = field(default_factory=list)      # list[OperatorDispatch]
    traits: list = field(default_factory=list)         # names of the traits it implements
    custom_new: bool = False        # declares its own `fn new` (no generated `new` classmethod)
    fast_new: bool = False          # has the C-level factory `_pnew(field values...)` (lower_calls)


@dataclass
class PyImport:
    """`alias = module` or `alias = module.attr` at module level."""
    alias: str
    module: str
    attr: Optional[str]
    line: int
    loader: str = "python"          # "python", or "prism" for a sibling .prism file
    factor: Optional[Expr] = None   # `import {..} from ".." ~c`: functions' results scaled by c


@dataclass
class Module:
    name: str
    source_path: str
    imports: list                   # list[PyImport]
    structs: list                   # list[Struct]
    functions: list                 # list[Function]
    toplevel: list                  # list[Stmt]
    toplevel_async: bool
    toplevel_globals: list          # names the async top level assigns
    main_name: Optional[str]        # safe name of `fn main`, if any
    prism_exports: list             # (prism name, safe name) for names renamed by escaping
    profile: bool = False           # compile with Cython's profiling hooks
    trace_sites: Optional[list] = None  # list[TraceSite]: the module holds a tracer (lower_debug)
    debug: bool = False             # a debug build (`--debug`): macros and factor tracking on
    uses_tensor_views: bool = False # declares the fused memoryview type (only when needed:
                                    # its support code changes how gcc optimises the module)
    uses_arrays: bool = False       # cimports prism_runtime.arrays (unboxed [float]/[int] arrays)


@dataclass
class TraceSite:
    """A place the debug tracer is told about (prism_runtime/trace.pyx, transpiler/back/lower_debug.py)."""
    kind: str                       # "~>", "fn", "op", "enter", "shift", "leave", "macro", "catch", "frame", "break"
    line: int
    function: str                   # the Prism function it is in ("<top level>", "<closure>")
    label: str                      # what to show: source text, a context name, a variable
    flags: int = 0                  # context logging flags (lower_debug.LOG_*)
    names: tuple = ()               # (py name, Prism name, line) of the function's variables (frames, breaks)
