"""Where `parallel.map` runs: the `[cluster]` table of Prism.toml and PRISM_CLUSTER* variables.

`load_cluster_config()` resolves, highest priority first:

1. the environment: PRISM_CLUSTER (`local`, `dask`, `ray`), PRISM_CLUSTER_ADDRESS,
   PRISM_CLUSTER_WORKERS;
2. the `[cluster]` table of the nearest Prism.toml (searched upward from the
   current directory): backend, address, workers, connect_timeout;
3. defaults: the local process pool, one worker per CPU, 10 s to connect.

An address without a backend implies one where its form is unambiguous:
`ray://host:port` and `auto` mean Ray, `tcp://host:port` (and Dask's other
schemes) mean Dask.

Used by `parallel` (at the first map); talks to `llm_config` (finding and
reading Prism.toml) and `errors`.
"""
from __future__ import annotations

import math
import os

from prism_runtime.errors import PrismError
from prism_runtime.llm_config import find_prism_toml, read_table

BACKENDS = ("local", "dask", "ray")
DEFAULT_CONNECT_TIMEOUT = 10.0
_KEYS = ("backend", "address", "workers", "connect_timeout")


class ClusterConfig:
    """Resolved settings: `backend`, `address` (None: start one here), `workers` (None:
    the backend's default), `connect_timeout` (seconds), `source` (where they came from)."""

    __slots__ = ("backend", "address", "workers", "connect_timeout", "source")

    def __init__(self, backend="local", *, address=None, workers=None,
                 connect_timeout=DEFAULT_CONNECT_TIMEOUT, source="arguments"):
        backend = str(backend or "local").strip().lower()
        if backend not in BACKENDS:
            raise PrismError(f"[cluster] backend must be one of {', '.join(BACKENDS)}, not {backend!r} "
                             f"(set by {source})")
        self.backend = backend
        self.address = str(address).strip() if address not in (None, "") else None
        if self.address is not None and backend == "local":
            raise PrismError(f"[cluster] address {self.address!r} needs backend dask or ray "
                             f"(the local backend starts its own processes; set by {source})")
        self.workers = _positive_int("workers", workers, source) if workers not in (None, "") else None
        timeout = _number("connect_timeout", connect_timeout, source)
        self.connect_timeout = timeout
        self.source = source

    def __repr__(self):
        return (f"ClusterConfig(backend={self.backend!r}, address={self.address!r}, "
                f"workers={self.workers!r}, connect_timeout={self.connect_timeout!r})")


def _positive_int(name, value, source):
    try:
        n = int(value)
    except (TypeError, ValueError):
        n = 0
    if n < 1 or isinstance(value, bool) or (isinstance(value, float) and value != n):
        raise PrismError(f"[cluster] {name} must be a positive integer, not {value!r} (set by {source})")
    return n


def _number(name, value, source):
    try:
        x = float(value)
    except (TypeError, ValueError):
        x = math.nan
    if not x > 0 or math.isinf(x):
        raise PrismError(f"[cluster] {name} must be a positive number of seconds, not {value!r} (set by {source})")
    return x


def load_cluster_config(environ=None, cwd=None) -> ClusterConfig:
    """Resolve the configuration from the environment and Prism.toml (see the module docstring)."""
    env = os.environ if environ is None else environ
    toml_path = find_prism_toml(cwd)
    table = read_table(toml_path, "cluster", _KEYS) if toml_path else {}
    values, sources = {}, []
    for key, env_name in (("backend", "PRISM_CLUSTER"), ("address", "PRISM_CLUSTER_ADDRESS"),
                          ("workers", "PRISM_CLUSTER_WORKERS"), ("connect_timeout", None)):
        if env_name and env.get(env_name):
            values[key] = env[env_name]
            sources.append(env_name)
        elif table.get(key) not in (None, ""):
            values[key] = table[key]
            sources.append(f"{toml_path} [cluster] {key}")
    backend = values.pop("backend", None) or backend_for_address(values.get("address"))
    return ClusterConfig(backend, **values, source=", ".join(sources) if sources else "defaults")


def backend_for_address(address):
    """The backend an address alone implies (`ray://...`, `auto`: ray; `tcp://...`: dask),
    so PRISM_CLUSTER_ADDRESS needs no PRISM_CLUSTER beside it; `local` for none."""
    if not address:
        return "local"
    address = str(address).strip()
    if address == "auto" or address.startswith("ray://"):
        return "ray"
    if address.startswith(("tcp://", "tls://", "ws://", "wss://", "ucx://")):
        return "dask"
    return "local"        # ambiguous (host:port): ClusterConfig asks for a backend
