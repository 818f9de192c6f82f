"""The one table of Prism built-ins and the runtime call each lowers to.

Read by `resolve` (which names exist without a declaration), `infer` (result
types), `check` (arity) and `lower` (the runtime function to call). Runtime
functions live in `prism_runtime/core.pyx` (alias `_rt` in generated code)
unless the table names another module.

    len(xs)         -> _rt.b_len(xs)         (or len(xs) when xs is a typed array)
    Cache.new(...)  -> Cache.new(...)        (from prism_runtime.cache import Cache)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from transpiler.passes import types as T


@dataclass(frozen=True)
class Builtin:
    runtime: str                 # function in the runtime module `module`
    min_args: int
    max_args: Optional[int]      # None: variadic
    result: Optional[T.Type]     # None: computed by `infer` from the arguments
    named: tuple = ()            # named arguments it accepts (`error(m, code: c)`)
    module: str = "core"         # prism_runtime module: "core" (alias _rt), "confidence" (_cf), or
                                 # another (imported by name where used, see `runtime_source`)
    packed: bool = False         # takes its positional arguments as one tuple (variadic helpers)


BUILTINS: dict[str, Builtin] = {
    "print": Builtin("prism_print", 0, None, T.NULL, packed=True),
    "len": Builtin("b_len", 1, 1, T.INT),
    "str": Builtin("to_str", 1, 1, T.STRING),
    "int": Builtin("b_int", 1, 1, T.INT),
    "float": Builtin("b_float", 1, 1, T.FLOAT),
    "bool": Builtin("truthy", 1, 1, T.BOOL),
    "round": Builtin("b_round", 1, 2, None, packed=True),
    "abs": Builtin("b_abs", 1, 1, None),
    "min": Builtin("b_min", 1, None, None, packed=True),
    "max": Builtin("b_max", 1, None, None, packed=True),
    "sum": Builtin("b_sum", 1, 1, T.ANY),
    "range": Builtin("b_range", 1, 3, T.array_of(T.INT), packed=True),
    "error": Builtin("make_error", 1, 1, T.ERROR, named=("code", "confidence", "context")),
    "conf": Builtin("conf_of", 1, 1, T.FLOAT, module="confidence"),
    "confidence": Builtin("conf_of", 1, 1, T.FLOAT, module="confidence"),
    "type_of": Builtin("type_of", 1, 1, T.STRING),
    "typeof": Builtin("type_name", 1, 1, T.STRING),
    "now": Builtin("b_now", 0, 0, T.INT),
    "assert": Builtin("b_assert", 1, 2, T.NULL),
    "sleep": Builtin("b_sleep", 1, 1, T.ANY),
    "Some": Builtin("b_some", 1, 1, None),
    # std/core's Result values (prism_runtime/result.py); also patterns, below.
    "Ok": Builtin("Ok", 1, 1, T.ANY, module="result"),
    "Error": Builtin("Error", 1, 1, T.ANY, module="result"),
    # std/test (prism_runtime/testing.py), run by `prism test`.
    "test": Builtin("test", 2, 2, T.NULL, module="testing"),
    "assert_eq": Builtin("assert_eq", 2, 3, T.NULL, module="testing"),
    "assert_ne": Builtin("assert_ne", 2, 3, T.NULL, module="testing"),
    "assert_near": Builtin("assert_near", 2, 4, T.NULL, module="testing"),
    "mock_llm": Builtin("mock_llm", 1, 1, T.NULL, module="testing"),
    "timeout": Builtin("b_timeout", 2, 2, T.ANY),
    # The debug macros' built-ins: named with `!`, so no declaration can shadow them (a program
    # may `import debug from "std/debug"` and still write `debug!(..)`); lowered by lower_debug.
    "debug!": Builtin("macro_debug", 0, None, T.NULL),
    "debug_confidence!": Builtin("macro_debug_confidence", 1, 2, T.NULL),
    "debug_context!": Builtin("macro_debug_context", 0, None, T.NULL),
    "debug_llm!": Builtin("macro_debug_llm", 0, None, T.NULL),
}

# The debug macros (docs/debugging.md): they print in debug builds and are nothing in release ones.
DEBUG_MACROS = frozenset({"debug!", "debug_confidence!", "debug_context!", "debug_llm!"})

# Built-in error kinds: `catch TimeoutError { }` (and `catch e: TimeoutError`) catches errors
# of that kind only, by their code (docs/language.md, Errors).
ERROR_KINDS: dict[str, str] = {
    "TimeoutError": "TIMEOUT", "ValueError": "VALUE_ERROR", "TypeError": "TYPE_ERROR",
    "IndexError": "INDEX_ERROR", "KeyError": "KEY_ERROR", "DivisionByZeroError": "DIVISION_BY_ZERO",
    "OverflowError": "OVERFLOW", "AssertionError": "ASSERTION_FAILED", "RecursionError": "RECURSION_ERROR",
    "VerificationError": "VERIFICATION_FAILED", "UndefinedNameError": "UNDEFINED_NAME", "IOError": "IO_ERROR",
    "HttpError": "HTTP_ERROR", "ConfidenceError": "CONFIDENCE_ERROR",
}

# Built-in macros, invoked `name!(args)`: the built-in function each stands for. (A user's
# macro of the same name takes precedence; see transpiler/passes/macros.py.)
BUILTIN_MACROS: dict[str, str] = {"assert": "assert", "mock_llm": "mock_llm", **{m.rstrip("!"): m for m in DEBUG_MACROS}}

# Built-ins whose runtime function is a C-level call of a cimported runtime module.
CIMPORTED_MODULES = ("core", "confidence")

# Names that stand for a value: `nil` and `None` are null.
CONSTANTS: dict[str, object] = {"nil": None, "None": None}

# Constructor patterns `Some(v)`, `Ok(v)`, `Error(e)` and how many argument patterns each takes.
PATTERN_CONSTRUCTORS: dict[str, int] = {"Some": 1, "Ok": 1, "Error": 1}

# Runtime objects available everywhere without an import: name -> (module, attribute).
RUNTIME_GLOBALS: dict[str, tuple[str, str]] = {
    "Cache": ("prism_runtime.cache", "Cache"),
    "LLMCache": ("prism_runtime.cache", "LLMCache"),
    "ContextPool": ("prism_runtime.pool", "ContextPool"),
    "TensorPool": ("prism_runtime.pool", "TensorPool"),
    "HashMap": ("prism_runtime.hashmap", "HashMap"),
    "Metrics": ("prism_runtime.metrics", "Metrics"),
    "MemoryTracker": ("prism_runtime.metrics", "MemoryTracker"),
    "PerfMonitor": ("prism_runtime.metrics", "PerfMonitor"),
    "Context": ("prism_runtime.context", "Context"),
    "context": ("prism_runtime", "context"),
    "log": ("prism_runtime.log", "log"),
    "llm": ("prism_runtime.llm", "llm"),
    "Promise": ("prism_runtime.asyncs", "Promise"),
    "parallel": ("prism_runtime.parallel", "parallel"),
}

# Standard modules for `import { x } from "std/..."`: spec -> Python module.
STD_MODULES: dict[str, str] = {
    "std/perf": "prism_runtime.perf",
    "std/llm": "prism_runtime.llm",
    "std/context": "prism_runtime.context",
    "std/cache": "prism_runtime.cache",
    "std/log": "prism_runtime.log",
    "std/debug": "prism_runtime.debug",
    "std/debug/llm": "prism_runtime.debug",
    "std/parallel": "prism_runtime.parallel",
    "std/core": "prism_runtime.std_core",
    "std/utils": "prism_runtime.std_utils",
    "std/http": "prism_runtime.http",
    "std/test": "prism_runtime.testing",
}


def runtime_source(name: str) -> tuple[str, str]:
    """(Python module, attribute) that generated code imports as `_pr_NAME`: a runtime global,
    or a built-in whose function lives outside the cimported modules."""
    if name in RUNTIME_GLOBALS:
        return RUNTIME_GLOBALS[name]
    spec = BUILTINS[name]
    return "prism_runtime." + spec.module, spec.runtime

# Methods with a known result type on typed receivers: (receiver kind, method) -> result.
# `None` means "same as the receiver's element" (array pop).
METHOD_RESULTS: dict[tuple[str, str], Optional[T.Type]] = {
    ("array", "push"): T.NULL,
    ("array", "pop"): None,
    ("array", "contains"): T.BOOL,
    ("array", "join"): T.STRING,
    ("array", "index_of"): T.INT,
    ("string", "upper"): T.STRING,
    ("string", "lower"): T.STRING,
    ("string", "trim"): T.STRING,
    ("string", "split"): T.array_of(T.STRING),
    ("string", "contains"): T.BOOL,
    ("string", "starts_with"): T.BOOL,
    ("string", "ends_with"): T.BOOL,
    ("string", "replace"): T.STRING,
    ("string", "index_of"): T.INT,
    ("string", "length"): T.INT,
    ("string", "len"): T.INT,
    ("string", "to_upper"): T.STRING,
    ("string", "to_lower"): T.STRING,
    ("array", "len"): T.INT,
    ("int", "abs"): T.INT,
    ("float", "abs"): T.FLOAT,
    ("int", "sqrt"): T.FLOAT,
    ("float", "sqrt"): T.FLOAT,
    ("int", "floor"): T.INT,
    ("float", "floor"): T.FLOAT,
    ("int", "ceil"): T.INT,
    ("float", "ceil"): T.FLOAT,
    ("int", "round"): T.INT,
    ("float", "round"): T.FLOAT,
}
