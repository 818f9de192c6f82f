"""Prism's static types, as the inference pass computes them and lowering reads them.

Talks to: `infer` (computes them), `check` (compares them), `lower` (maps them
to Cython C types through `ctype_of`). A type is a small frozen value; the
`conf` flag means "this value may carry a confidence other than 1.0", which
decides whether it can travel as a plain C value.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional


@dataclass(frozen=True)
class Type:
    kind: str                       # int float bool string null any array map struct fn tensor error bottom
    element: Optional["Type"] = None   # array element
    name: Optional[str] = None      # struct name
    conf: bool = False

    def __str__(self) -> str:
        if self.kind == "array":
            return f"[{self.element}]"
        if self.kind == "struct":
            return self.name or "struct"
        return self.kind


INT = Type("int")
FLOAT = Type("float")
BOOL = Type("bool")
STRING = Type("string")
NULL = Type("null")
ANY = Type("any")
MAP = Type("map")
TENSOR = Type("tensor")
FN = Type("fn")
ERROR = Type("error")              # an error value: message, code, confidence, context
BOTTOM = Type("bottom")            # "no information yet" during fixed-point inference


def array_of(element: Type) -> Type:
    return Type("array", element=element)


def struct_type(name: str) -> Type:
    return Type("struct", name=name)


def with_conf(t: Type) -> Type:
    return t if t.conf or t.kind == "any" else replace(t, conf=True)


def plain(t: Type) -> Type:
    return replace(t, conf=False) if t.conf else t


NUMERIC = ("int", "float")
_PRIMITIVE_NAMES = {
    "int": INT, "i64": INT, "i32": INT, "integer": INT,
    "float": FLOAT, "f64": FLOAT, "f32": FLOAT, "number": FLOAT,
    "bool": BOOL, "boolean": BOOL, "string": STRING, "str": STRING, "null": NULL, "any": ANY,
    "tensor": TENSOR, "HashMap": MAP, "map": MAP, "object": MAP, "Map": MAP, "error": ERROR,
}


def primitive_named(name: str) -> Optional[Type]:
    return _PRIMITIVE_NAMES.get(name)


def join(a: Type, b: Type) -> Type:
    """The least type holding both; distinct kinds widen to `any` (never int->float,
    which would change how a value prints)."""
    if a.kind == "bottom":
        return b
    if b.kind == "bottom":
        return a
    conf = a.conf or b.conf
    if plain(a) == plain(b):
        return replace(a, conf=conf)
    if a.kind == "array" and b.kind == "array":
        return Type("array", element=join(a.element, b.element), conf=conf)
    return ANY


def accepts(declared: Type, actual: Type) -> bool:
    """May a value of type `actual` be stored where `declared` is expected?"""
    if declared.kind == "any" or actual.kind in ("any", "bottom"):
        return True
    if declared.kind in ("float", "int") and actual.kind in ("int", "bool"):
        return True                 # widening, as in Python and C: true is 1, an int a float
    if actual.kind == "null":
        return declared.kind not in ("int", "float", "bool")
    if declared.kind == "array" and actual.kind == "array":
        return accepts(declared.element, actual.element) or actual.element.kind == "any"
    if declared.kind == "map" and actual.kind == "map":
        return True
    return declared.kind == actual.kind and declared.name == actual.name


_CTYPES = {"int": "long long", "float": "double", "bool": "bint", "string": "str", "array": "list"}


def num_array_kind(t: Type) -> Optional[str]:
    """'d' for a plain `[float]`, 'q' for a plain `[int]` (arrays that may be stored unboxed,
    prism_runtime/arrays.pyx), else None."""
    if t.kind == "array" and not t.conf and t.element is not None and not t.element.conf:
        return {"float": "d", "int": "q"}.get(t.element.kind)
    return None


def ctype_of(t: Type) -> str:
    """The Cython type a value of type t is stored in. A `[float]` or `[int]` is an object:
    it may be a Python list or an unboxed NumArray."""
    if t.conf:
        return "object"
    if t.kind == "struct":
        return t.name or "object"
    if num_array_kind(t) is not None:
        return "object"
    return _CTYPES.get(t.kind, "object")


def is_c_scalar(t: Type) -> bool:
    return not t.conf and t.kind in ("int", "float", "bool")
