"""`std/utils`: JSON, files, and waiting.

    let obj = parse_json('{"name": "Prism"}')      // maps read as obj.name and obj["name"]
    let text = stringify(obj)                       // confident values as their value
    stringify(0.9 ~> 0.8, confidence: true)         // {"value": 0.9, "confidence": 0.8}
    let content = await read_file("data.txt")
    await write_file("output.txt", "Hello")         // atomic: temp file, fsync, rename
    await delay(100)                                // milliseconds
    await timeout(llm.generate(p), 5000)            // error TIMEOUT after 5 s

JSON is the standard library's `json`: objects parse to Prism maps (`core.Obj`),
and `stringify` writes arrays, maps, structs (their fields), errors (message,
code, confidence, context), Results (`{"ok": v}` / `{"error": e}`) and
tensors (arrays). **Choice:** a value carrying a confidence below 1 is written
as its value; with `confidence: true` as `{"value": v, "confidence": c}`
(values of confidence 1 stay plain either way). `indent:` pretty-prints.

Files run on a worker thread (`asyncio.to_thread`), so the event loop never
waits on the disk. `write_file` writes a temporary file beside the target,
flushes it to disk, then renames it over the target (atomic on POSIX), so a
crash or a kill leaves the old file or the new one, never half of one; the
target keeps its permission bits. Failures are errors with code `IO_ERROR`
naming the path; bad JSON is `JSON_ERROR` with its line and column.

Talks to `core` (maps, printing), `confidence`, `errors` and `result`.
"""
from __future__ import annotations

import asyncio
import json
import os
import tempfile

from prism_runtime.errors import PrismError


# ---------------------------------------------------------------- JSON

def parse_json(text):
    """The value a JSON text holds; objects are maps."""
    from prism_runtime.confidence import value_of
    from prism_runtime.core import Obj
    text = value_of(text)
    if not isinstance(text, (str, bytes)):
        raise PrismError(f"parse_json takes a string, not {_kind(text)}", code="TYPE_ERROR")
    try:
        return json.loads(text, object_hook=Obj)
    except json.JSONDecodeError as exc:
        raise PrismError(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                         code="JSON_ERROR") from None


def stringify(value, confidence=False, indent=None):
    """`value` as JSON text (see the module docstring for how each kind is written)."""
    from prism_runtime.confidence import value_of
    with_confidence = bool(value_of(confidence))
    indent = None if indent is None else int(value_of(indent))
    try:
        return json.dumps(_plain(value, with_confidence), indent=indent, ensure_ascii=False, allow_nan=False)
    except ValueError as exc:      # NaN or infinity
        raise PrismError(f"stringify: {exc} (JSON has no NaN or infinity)", code="VALUE_ERROR") from None


def _plain(value, with_confidence: bool):
    """A JSON-ready Python value."""
    from prism_runtime.confidence import conf_of, value_of
    c = conf_of(value)
    v = value_of(value)
    out = _plain_value(v, with_confidence)
    if with_confidence and c < 1.0 and not isinstance(v, PrismError):
        return {"value": out, "confidence": c}
    return out


def _plain_value(v, with_confidence: bool):
    from prism_runtime.result import Result
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return v
    if isinstance(v, dict):
        return {_key(k): _plain(x, with_confidence) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x, with_confidence) for x in v]
    if isinstance(v, PrismError):
        return {"message": v.message, "code": v.code, "confidence": v.confidence, "context": v.context}
    if isinstance(v, Result):
        return {"ok" if v.ok else "error": _plain(v.value, with_confidence)}
    fields = getattr(type(v), "__prism_fields__", None)
    if fields is not None:             # a struct: its fields by their Prism names
        return {name: _plain(getattr(v, attr), with_confidence)
                for name, attr in zip(fields, type(v).__prism_attrs__)}
    if hasattr(v, "tolist") and hasattr(v, "dtype"):       # a tensor
        return v.tolist()
    if hasattr(v, "keys") and hasattr(v, "get"):           # HashMap and other mappings
        return {_key(k): _plain(v.get(k), with_confidence) for k in v.keys()}
    raise PrismError(f"stringify cannot write {_kind(v)} as JSON", code="TYPE_ERROR")


def _key(k):
    from prism_runtime.confidence import value_of
    from prism_runtime.core import to_str
    k = value_of(k)
    return k if isinstance(k, str) else to_str(k)


def _kind(v) -> str:
    from prism_runtime.core import type_name
    return type_name(v)


# ---------------------------------------------------------------- files

async def read_file(path):
    """The text of the file at `path` (UTF-8)."""
    path = _path(path)
    return await asyncio.to_thread(_read, path)


async def write_file(path, text):
    """Replace the file at `path` with `text` (UTF-8), atomically."""
    from prism_runtime.confidence import value_of
    from prism_runtime.core import to_str
    path = _path(path)
    text = value_of(text)
    data = (text if isinstance(text, str) else to_str(text)).encode("utf-8")
    await asyncio.to_thread(write_atomic, path, data)
    return None


def _path(path) -> str:
    from prism_runtime.confidence import value_of
    path = value_of(path)
    if not isinstance(path, (str, os.PathLike)):
        raise PrismError(f"a file path is a string, not {_kind(path)}", code="TYPE_ERROR")
    return os.fspath(path)


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as exc:
        raise PrismError(f"cannot read {path}: {exc.strerror or exc}", code="IO_ERROR") from None
    except UnicodeDecodeError as exc:
        raise PrismError(f"cannot read {path}: not UTF-8 text (byte {exc.start})", code="IO_ERROR") from None


CHUNK = 1 << 20


def write_atomic(path: str, data: bytes) -> None:
    """Write `data` to a temporary file in the target's directory, fsync it, rename it over
    the target, fsync the directory. Readers see the old file or the new one, never a mix."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    except OSError as exc:
        raise PrismError(f"cannot write {path}: {exc.strerror or exc}", code="IO_ERROR") from None
    try:
        fd, temp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    except OSError as exc:
        raise PrismError(f"cannot write {path}: {exc.strerror or exc}", code="IO_ERROR") from None
    try:
        try:
            for start in range(0, len(data), CHUNK):
                view = memoryview(data)[start:start + CHUNK]
                while view:
                    view = view[os.write(fd, view):]
            os.fchmod(fd, mode)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except OSError as exc:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise PrismError(f"cannot write {path}: {exc.strerror or exc}", code="IO_ERROR") from None
    _sync_directory(directory)


def _sync_directory(directory: str) -> None:
    """Make the rename durable (a crash of the machine right after keeps the new file)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass                             # some file systems cannot sync a directory
    finally:
        os.close(fd)


# ---------------------------------------------------------------- waiting

from prism_runtime.asyncs import timeout  # noqa: E402  (the built-in `timeout`, one implementation)


async def delay(ms):
    """Wait `ms` milliseconds (as the built-in `sleep`)."""
    from prism_runtime.confidence import value_of
    await asyncio.sleep(max(0.0, float(value_of(ms))) / 1000.0)
    return None


__all__ = ["parse_json", "stringify", "read_file", "write_file", "delay", "timeout"]
