"""Prism's runtime error type, shared by every runtime module and by generated code.

`PrismError` is what `throw error("msg")` raises and what `catch e` binds;
`e.message` is its text. Runtime modules (`cache`, `pool`, `context`, ...)
raise it for misuse such as releasing a pooled object twice. Generated code
converts any other Python exception to a PrismError at a `catch` via
`as_prism_error`.
"""


class PrismError(Exception):
    """An error raised by Prism code or the Prism runtime."""

    def __init__(self, message="error", *, cause=None, prism_file=None, prism_line=None):
        super().__init__(message)
        self.message = str(message)
        self.cause = cause
        self.prism_file = prism_file
        self.prism_line = prism_line

    def __str__(self):
        return self.message

    def __repr__(self):
        return f"PrismError({self.message!r})"


_PYTHON_MESSAGES = {
    ZeroDivisionError: "division by zero",
    OverflowError: "integer overflow",
    RecursionError: "maximum recursion depth exceeded",
}


def as_prism_error(exc):
    """The PrismError a `catch e` binds for any exception `exc`."""
    if isinstance(exc, PrismError):
        return exc
    message = _PYTHON_MESSAGES.get(type(exc))
    if message is None:
        message = str(exc)
        if isinstance(exc, KeyError) and exc.args:
            message = f"key not found: {exc.args[0]!r}"
        elif isinstance(exc, IndexError):
            message = "index out of range"
        if not message:
            message = type(exc).__name__
    err = PrismError(message, cause=exc)
    err.__cause__ = exc
    return err
