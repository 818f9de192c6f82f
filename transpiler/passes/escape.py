"""The one escaping path from Prism source text to generated Cython.

Every identifier and literal that comes from a `.prism` file reaches the
generated `.pyx` (and `.pyi`) through this module, called from the Jinja
filters that `render` installs (`ident`, `pylit`, `pydoc`, `attr_safe`).
Identifiers are mangled away from Python, Cython and C keywords and from the
names generated code relies on; literals are written with `repr`, which
Python and Cython parse back exactly.

    class      -> _pu_class        (Python keyword)
    cdef       -> _pu_cdef         (Cython keyword)
    total      -> total            (safe as is)
    "a\"b{{"   -> 'a"b{{'          (repr)
"""
from __future__ import annotations

import builtins
import keyword
import math

# Python keywords and soft keywords, Cython's own, C/C++ keywords that Cython
# passes through as C identifiers, and the Python builtins generated code uses.
_CYTHON_WORDS = {
    "cdef", "cpdef", "cimport", "ctypedef", "include", "nogil", "gil", "with", "struct", "union",
    "enum", "fused", "inline", "public", "readonly", "extern", "api", "DEF", "IF", "ELIF", "ELSE",
    "sizeof", "typeof", "NULL", "by", "print", "exec", "object", "bint", "Py_ssize_t", "size_t",
    "cython", "property", "noexcept", "except", "PY_LONG_LONG", "array", "self",
}
_C_WORDS = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum",
    "extern", "float", "for", "goto", "if", "int", "long", "register", "return", "short", "signed",
    "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile",
    "while", "inline", "restrict", "_Bool", "bool", "main", "errno", "stdin", "stdout", "stderr",
    "new", "delete", "this", "template", "namespace", "operator", "class", "private", "protected",
    "virtual", "asm", "typename", "friend", "catch", "throw", "try", "true", "false", "unix", "linux",
}
RESERVED = (set(keyword.kwlist) | set(getattr(keyword, "softkwlist", ())) | _CYTHON_WORDS
            | _C_WORDS | set(dir(builtins)))
# `self` stays itself inside struct methods; everywhere else it is mangled too,
# which is harmless because both sides go through this function.
_PREFIX = "_pu_"


def ident(name: str) -> str:
    """A Python/Cython/C-safe identifier for the Prism name `name` (injective)."""
    if name == "self":
        return name
    # Leading underscores are the generated code's namespace (_rt, _cf, _rtpy, _rtio, _ph1, _pu_...).
    if name.isascii() and name.isidentifier() and name not in RESERVED and not name.startswith("_"):
        return name
    if name.isascii() and name.isidentifier():
        return _PREFIX + name
    # Non-ASCII names: spell each non-ASCII code point as _uXXXX so C sees ASCII only.
    spelled = "".join(ch if ch.isascii() and (ch.isalnum() or ch == "_") else f"_u{ord(ch):04x}_"
                      for ch in name)
    return _PREFIX + "x" + spelled


def pylit(value) -> str:
    """A Python/Cython literal for a Prism literal value (str, int, float, bool, None)."""
    if value is None:
        return "None"
    if value is True:
        return "True"
    if value is False:
        return "False"
    if isinstance(value, float):
        if math.isinf(value):
            return "float('inf')" if value > 0 else "float('-inf')"
        if math.isnan(value):
            return "float('nan')"
        return repr(value)
    if isinstance(value, int):
        return repr(value)
    if isinstance(value, str):
        # repr never produces a raw line separator or a quote that would end the literal,
        # but it does keep U+2028/U+2029 and friends, which some tools treat as newlines.
        text = repr(value)
        return "".join(ch if ch.isascii() or ch.isprintable() and ch not in "\u2028\u2029\x85"
                       else f"\\u{ord(ch):04x}" if ord(ch) < 0x10000 else f"\\U{ord(ch):08x}"
                       for ch in text)
    raise TypeError(f"not a literal: {value!r}")


def pydoc(text: str) -> str:
    """A docstring literal for comment text: triple-quoted and readable where it can be,
    `pylit` (one escaped line) when the text holds what would end or bend the literal."""
    if "\\" in text or '"""' in text or text.endswith('"') or \
            any(not ch.isprintable() and ch != "\n" for ch in text):
        return pylit(text)
    return '"""' + text + '"""'


def is_plain_attribute(name: str) -> bool:
    """Can `obj.name` be written directly for a foreign (Python) object?"""
    return name.isascii() and name.isidentifier() and not keyword.iskeyword(name) \
        and name not in _CYTHON_WORDS
