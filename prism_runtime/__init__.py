"""Prism's Cython runtime. Generated modules `cimport` the submodules at C level;
Python users import the public objects from here:

    from prism_runtime import Context, ContextPool, Cache, LLMCache, TensorPool, HashMap, \
        Metrics, MemoryTracker, PerfMonitor, log, llm, parallel, PrismError

The names load on first use (PEP 562), so a compiled Prism module that only
needs `core` does not pay for numpy, rich or the LLM client at start-up.
"""
import importlib

from prism_runtime.errors import PrismError

# The prism-runtime distribution's version (runtime/pyproject.toml reads it from here); the
# compiler, prism-lang, depends on exactly this version, and modules it builds need it.
__version__ = "0.1.0"

_EXPORTS = {
    "Context": "prism_runtime.context",
    "ContextPool": "prism_runtime.pool",
    "TensorPool": "prism_runtime.pool",
    "Cache": "prism_runtime.cache",
    "LLMCache": "prism_runtime.cache",
    "HashMap": "prism_runtime.hashmap",
    "Metrics": "prism_runtime.metrics",
    "MemoryTracker": "prism_runtime.metrics",
    "PerfMonitor": "prism_runtime.metrics",
    "Conf": "prism_runtime.confidence",
    "llm": "prism_runtime.llm",
    "parallel": "prism_runtime.parallel",
}

__all__ = ["PrismError", "log", *_EXPORTS]


def __getattr__(name):
    if name == "log":
        # The logger object, not the submodule of the same name.
        value = importlib.import_module("prism_runtime.log").log
    elif name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    else:
        raise AttributeError(f"module 'prism_runtime' has no attribute {name!r}")
    globals()[name] = value
    return value
