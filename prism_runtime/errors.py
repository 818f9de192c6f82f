"""Prism's runtime error type, shared by every runtime module and by generated code.

`PrismError` is what `throw error("msg", code: "E", confidence: 0.8)` raises and
what `catch e` binds. An error is a value with fields: `message`, `code` (a
stable upper-case name, or null), `confidence` (1.0 unless given; `e ~> c`
multiplies it) and `context` (the name of the context current when it was made,
or null). Runtime modules (`cache`, `pool`, `context`, ...) raise it for misuse
such as releasing a pooled object twice. Generated code converts any other
Python exception to a PrismError at a `catch` via `as_prism_error`, with a code
naming what went wrong (`INDEX_ERROR`, `DIVISION_BY_ZERO`, ...).

Talks to `context` (the current context's name, looked up lazily).
"""
import copy

_UNSET = object()


class PrismError(Exception):
    """An error raised by Prism code or the Prism runtime."""

    def __init__(self, message="error", *, code=_UNSET, confidence=1.0, context=_UNSET, cause=None,
                 prism_file=None, prism_line=None):
        super().__init__(message)
        self.message = str(message)
        # Errors the runtime raises by message alone get the code that names their kind.
        self.code = runtime_code(self.message) if code is _UNSET else code
        self.confidence = float(confidence)
        self.context = current_context_name() if context is _UNSET else context
        self.cause = cause
        self.prism_file = prism_file
        self.prism_line = prism_line

    def __str__(self):
        return self.message

    def __repr__(self):
        return f"PrismError({self.message!r}, code={self.code!r}, confidence={self.confidence!r})"

    def __reduce__(self):
        # Everything else an error carries (its Prism file and line, an HTTP status, the
        # results and failures of a batch...) travels as state, so an error that crosses a
        # process boundary (parallel.map's workers) arrives whole.
        state = {k: v for k, v in vars(self).items() if k not in ("message", "code", "confidence", "context")}
        return (_rebuild, (self.message, self.code, self.confidence, self.context), state)

    def with_confidence(self, factor: float) -> "PrismError":
        """A copy whose confidence is multiplied by factor (`e ~> c`, `throw e ~c`)."""
        other = copy.copy(self)
        other.confidence = self.confidence * factor
        other.__traceback__ = None
        return other


def _rebuild(message, code, confidence, context):
    return PrismError(message, code=code, confidence=confidence, context=context)


_RUNTIME_CODES = (("integer overflow", "OVERFLOW"), ("division by zero", "DIVISION_BY_ZERO"),
                  ("index out of range", "INDEX_ERROR"), ("index must be", "INDEX_ERROR"),
                  ("key not found", "KEY_ERROR"), ("invalid power", "VALUE_ERROR"),
                  ("maximum recursion depth", "RECURSION_ERROR"), ("confidence ", "CONFIDENCE_ERROR"),
                  ("cannot convert", "TYPE_ERROR"), ("expected ", "TYPE_ERROR"),
                  ("undefined name", "UNDEFINED_NAME"), ("assertion failed", "ASSERTION_FAILED"))


def runtime_code(message: str) -> str:
    """The code of an error the runtime raised with this message."""
    for start, code in _RUNTIME_CODES:
        if message.startswith(start):
            return code
    if " has no " in message:
        return "ATTRIBUTE_ERROR"
    return "RUNTIME_ERROR"


def current_context_name():
    """The name of the current context, or None (the context module loads lazily)."""
    from prism_runtime.context import current
    ctx = current()
    return None if ctx is None else ctx.name


# Python exceptions -> (message, code) of the PrismError a `catch` sees.
_PYTHON_ERRORS = {
    ZeroDivisionError: ("division by zero", "DIVISION_BY_ZERO"),
    OverflowError: ("integer overflow", "OVERFLOW"),
    RecursionError: ("maximum recursion depth exceeded", "RECURSION_ERROR"),
}
_CODES = ((IndexError, "INDEX_ERROR"), (KeyError, "KEY_ERROR"), (TypeError, "TYPE_ERROR"),
          (ValueError, "VALUE_ERROR"), (AttributeError, "ATTRIBUTE_ERROR"), (TimeoutError, "TIMEOUT"),
          (AssertionError, "ASSERTION_FAILED"), (OSError, "IO_ERROR"))


def code_for(exc) -> str:
    for kind, code in _CODES:
        if isinstance(exc, kind):
            return code
    return "PYTHON_ERROR"


def as_prism_error(exc):
    """The PrismError a `catch e` binds for any exception `exc`."""
    if isinstance(exc, PrismError):
        return exc
    known = _PYTHON_ERRORS.get(type(exc))
    if known is not None:
        message, code = known
    else:
        message, code = str(exc), code_for(exc)
        if isinstance(exc, KeyError) and exc.args:
            message = f"key not found: {exc.args[0]!r}"
        elif isinstance(exc, IndexError):
            message = "index out of range"
        if not message:
            message = type(exc).__name__
    # The context where the error happened, noted as it left that context (context.note_error).
    where = getattr(exc, "__prism_context__", _UNSET)
    err = PrismError(message, code=code, cause=exc, context=where)
    err.__cause__ = exc
    return err
