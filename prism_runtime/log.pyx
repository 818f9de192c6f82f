# cython: language_level=3
"""Structured logging for Prism programs: the module-level `log` object.

`log.debug/info/warn/error(message, data=None)` writes one line to
`sys.stderr` (looked up at each call): `LEVEL message key=value ...`.
`data` may be a mapping, an object with `keys()`/`__getitem__` (e.g. a
PerfMonitor sample) or with `__dict__`; anything else is written as
`data=<value>`. Values containing spaces, quotes or `=` are JSON-quoted;
newlines in the message are escaped so each call stays one line.
The minimum level comes from `log.level` (default from PRISM_LOG_LEVEL,
else debug: everything is written).

Talks to: nothing (metrics.PerfMonitor uses it to report failing alerts).
"""
import json
import os
import sys

cdef dict _LEVELS = {"debug": 10, "info": 20, "warn": 30, "warning": 30, "error": 40}


cdef str _fmt_value(object v):
    cdef str s
    if v is None or v is True or v is False:
        return str(v).lower() if v is not None else "null"
    if isinstance(v, float):
        s = repr(v)
    elif isinstance(v, str):
        s = <str>v
        if s == "" or any(c in s for c in ' ="\n\t\\'):
            return json.dumps(s)
        return s
    else:
        s = str(v)
    if s == "" or any(c in s for c in ' ="\n\t\\'):
        return json.dumps(s)
    return s


cdef list _pairs(object data):
    if isinstance(data, dict):
        return list((<dict>data).items())
    if hasattr(data, "keys") and hasattr(data, "__getitem__"):
        return [(k, data[k]) for k in data.keys()]
    if hasattr(data, "__dict__") and not isinstance(data, type):
        return [(k, v) for k, v in vars(data).items() if not k.startswith("_")]
    return [("data", data)]


cdef class Logger:
    """Writes `LEVEL message key=value ...` lines to stderr."""

    def __init__(self, level=None):
        if level is None:
            level = os.environ.get("PRISM_LOG_LEVEL", "debug")
        self.set_level(level)

    @classmethod
    def new(cls, *args, **kwargs):
        return cls(*args, **kwargs)

    def set_level(self, level):
        """Minimum level written: "debug", "info", "warn", "error" or a number."""
        if isinstance(level, str):
            self.level = _LEVELS.get(level.lower(), 10)
        else:
            self.level = int(level)

    cpdef write(self, int level, str name, object message, object data=None):
        if level < self.level:
            return
        parts = [name, str(message).replace("\n", "\\n")]
        if data is not None:
            for k, v in _pairs(data):
                parts.append(f"{k}={_fmt_value(v)}")
        sys.stderr.write(" ".join(parts) + "\n")

    cpdef debug(self, object message, object data=None):
        self.write(10, "DEBUG", message, data)

    cpdef info(self, object message, object data=None):
        self.write(20, "INFO", message, data)

    cpdef warn(self, object message, object data=None):
        self.write(30, "WARN", message, data)

    def warning(self, message, data=None):
        self.write(30, "WARN", message, data)

    cpdef error(self, object message, object data=None):
        self.write(40, "ERROR", message, data)


log = Logger()
