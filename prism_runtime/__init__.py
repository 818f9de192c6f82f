"""Prism's Cython runtime. Generated modules `cimport` the submodules at C level;
Python users import the public objects from here."""
from prism_runtime.errors import PrismError
from prism_runtime.context import Context
from prism_runtime.pool import ContextPool, TensorPool
from prism_runtime.cache import Cache, LLMCache
from prism_runtime.hashmap import HashMap
from prism_runtime.metrics import Metrics, MemoryTracker, PerfMonitor
from prism_runtime.log import log
