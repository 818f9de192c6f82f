"""Types of the `prism_runtime` package for type checkers and editors.

`Conf` and `PrismError` are typed precisely; the other runtime objects are
compiled Cython classes typed `Any` here (their methods are documented in the
runtime modules' docstrings and docs/language.md).
"""
from typing import Any

from prism_runtime.confidence import Conf as Conf
from prism_runtime.errors import PrismError as PrismError

__version__: str
Context: Any
ContextPool: Any
TensorPool: Any
Cache: Any
LLMCache: Any
HashMap: Any
Metrics: Any
MemoryTracker: Any
PerfMonitor: Any
llm: Any
log: Any

def __getattr__(name: str) -> Any: ...
