"""`Result<T, E>` of `std/core`: `Ok(v)` and `Error(e)` values, as Rust has them.

    fn divide(a: int, b: int) -> Result<float, Error> {
        if b == 0 { return Error("Division by zero") }
        return Ok(a / b)
    }
    match divide(1, 0) { Ok(v) => v, Error(e) => -1.0 }
    divide(1, 2).unwrap()          // 0.5;  of an Error: throws (code UNWRAP_ERROR)
    divide(1, 0).unwrap_or(0.0)    // 0.0

`Ok` and `Error` are built-ins (transpiler/passes/builtins.py, module "result") and
constructor patterns (lowered through `interop.is_variant` / `variant_value`).
The payload keeps its confidence and context tag: `Ok(x ~> 0.8).unwrap()` is
`x ~> 0.8`, and so is `v` in `Ok(v) =>`. An Error whose payload is an error
value rethrows that very error from `unwrap()` (its code, confidence, context).

Talks to `core` (printing of the payload) and `errors` (PrismError).
"""
from __future__ import annotations

from prism_runtime.errors import PrismError


class Result:
    """`Ok(value)` (ok is True) or `Error(value)` (ok is False)."""
    __slots__ = ("ok", "value")

    def __init__(self, ok: bool, value):
        self.ok = bool(ok)
        self.value = value

    # -- queries --
    def is_ok(self) -> bool:
        return self.ok

    def is_error(self) -> bool:
        return not self.ok

    is_err = is_error           # Rust's spelling

    def unwrap(self):
        """The Ok value; an Error throws: its payload when that is an error value, else an
        error with code UNWRAP_ERROR naming the payload."""
        if self.ok:
            return self.value
        if isinstance(self.value, PrismError):
            raise self.value
        from prism_runtime.confidence import conf_of
        raise PrismError(f"unwrap() of an Error: {_text(self.value)}", code="UNWRAP_ERROR",
                         confidence=conf_of(self.value))

    def unwrap_or(self, default):
        return self.value if self.ok else default

    def unwrap_error(self):
        """The Error payload; an Ok throws (code UNWRAP_ERROR)."""
        if not self.ok:
            return self.value
        raise PrismError(f"unwrap_error() of an Ok: {_text(self.value)}", code="UNWRAP_ERROR")

    def error(self):
        """The Error payload, or null for an Ok."""
        return None if self.ok else self.value

    # -- Python protocol: printing, equality --
    def __str__(self):
        return f"{'Ok' if self.ok else 'Error'}({_inner(self.value)})"

    __repr__ = __str__

    def __eq__(self, other):
        if not isinstance(other, Result):
            return NotImplemented
        return self.ok == other.ok and self.value == other.value

    def __hash__(self):
        return hash((self.ok, self.value))

    def __reduce__(self):
        return (Result, (self.ok, self.value))


def Ok(value) -> Result:
    """`Ok(v)`: a successful Result."""
    return Result(True, value)


def Error(value) -> Result:
    """`Error(e)`: a failed Result (e is a message, an error value, or any value)."""
    return Result(False, value)


def is_variant(value, name: str) -> bool:
    """Does `value` match the constructor pattern `name(..)` (Ok or Error)?"""
    from prism_runtime.confidence import value_of
    value = value_of(value)
    return isinstance(value, Result) and value.ok == (name == "Ok")


def _text(value) -> str:
    from prism_runtime.core import to_str
    return to_str(value)


def _inner(value) -> str:
    """The payload as it prints inside a container (strings quoted)."""
    from prism_runtime.core import to_str
    return to_str([value])[1:-1]
