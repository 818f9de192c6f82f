"""Getting a program's compiled Prism modules onto `parallel` workers.

Driver side, `collect()` describes every Prism module loaded in this process
as a `ModuleBundle`: for each, its name, the SHA-256 of its built extension,
that extension's path, and what a worker on another platform needs to build
it again (the `.prism` source and the build options). `portable()` adds the
bytes (extension, generated `.pyx`, its `meta.json`, source) for workers
that do not share this machine's disk; the local backend sends paths only.

Worker side, `load(bundle, blob)` makes the bundle's modules importable and
unpickles `blob` (the function, or a chunk of items) against them. A module
is loaded from the driver's extension path when that file is here with the
same hash (a local pool, LocalCluster, a local Ray), else from the shipped
bytes written under `<cache>/parallel/`, else, when this interpreter or
compiler differs from the driver's, compiled from the shipped source through
the build cache (`transpiler.toolchain.build`). A process can hold several versions of
a module (one per hash); activating a bundle puts its versions in sys.modules.

Importing a module runs its top level. On a worker that must not re-run the
program, so the import happens in "worker import" mode: output is discarded
and the first `parallel.map` (or `parallel.workers()`) raises
`WorkerImportStop`, which ends the import there; everything defined before
that point (functions, structs, top-level values) is what workers use.

Talks to: `transpiler.toolchain.build` (fingerprint, cache root, compiling), `install`
(the driver's build options), `errors`.
Used by: `parallel` (collect), `parallel_worker` (load), `parallel_dask`
(register, from its worker plugin).
"""
from __future__ import annotations

import contextlib
import hashlib
import importlib.abc
import importlib.machinery
import io
import json
import os
import pickle
import sys
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional

from prism_runtime.errors import PrismError


class WorkerImportStop(BaseException):
    """Raised by `parallel.map` while a worker imports a module: the top level stops there.

    A BaseException, so a Prism `catch` (which catches Exception) lets it through."""


@dataclass(frozen=True)
class ModuleEntry:
    name: str                       # the module's name in sys.modules
    digest: str                     # SHA-256 of the extension file
    extension: str                  # where the driver loaded it from
    suffix: str                     # the driver's extension suffix (interpreter, ABI, platform)
    fingerprint: str                # the driver's compiler fingerprint (transpiler.toolchain.build)
    source_path: str                # the driver's .prism file (named in error messages)
    options: dict                   # the driver's build options, for a rebuild
    binary: Optional[bytes] = None  # portable(): the extension itself ...
    pyx: Optional[bytes] = None     # ... the generated .pyx (maps errors to Prism lines)
    source: Optional[bytes] = None  # ... and the .prism source, for a rebuild
    # A development build imports Cython's helpers from one shared module (transpiler's
    # toolchain/shared_utility.py): its [name, path] on the driver, and portable(), its bytes.
    shared_utility: Optional[tuple] = None
    shared_binary: Optional[bytes] = None


@dataclass(frozen=True)
class ModuleBundle:
    key: str                        # identifies this exact set of module versions
    entries: tuple

    def portable(self) -> "ModuleBundle":
        """The same bundle carrying the files' bytes, for workers on other machines."""
        if all(e.binary is not None for e in self.entries):
            return self
        return ModuleBundle(self.key, tuple(replace(e, binary=_read(e.extension),
                                                    pyx=_read(_pyx_beside(e.extension)),
                                                    source=_read(e.source_path),
                                                    shared_binary=_read(e.shared_utility[1])
                                                    if e.shared_utility else None)
                                            for e in self.entries))


# ---------------------------------------------------------------- driver side

_digests: dict = {}          # (path, size, mtime_ns) -> sha256, so a map does not rehash


def _digest(path) -> str:
    st = os.stat(path)
    key = (str(path), st.st_size, st.st_mtime_ns)
    found = _digests.get(key)
    if found is None:
        found = _digests[key] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return found


def _read(path) -> Optional[bytes]:
    try:
        return Path(path).read_bytes()
    except OSError:
        return None


def _pyx_beside(extension) -> Path:
    name = Path(extension).name
    return Path(extension).with_name(name.split(".", 1)[0] + ".pyx")


def _meta_beside(extension) -> dict:
    """The meta.json of the cache entry (or shipped copy) holding `extension`."""
    from transpiler.toolchain.cache_lookup import read_meta
    return read_meta(Path(extension).parent)


def _source_of(module) -> str:
    return _meta_beside(module.__file__).get("source") or str(module.__prism_source__)


def _shared_utility_of(module) -> Optional[tuple]:
    shared = _meta_beside(module.__file__).get("shared_utility")
    return tuple(shared) if shared else None


def prism_modules():
    """The Prism modules loaded in this process: name -> module."""
    found = {}
    for name, module in list(sys.modules.items()):
        attrs = getattr(module, "__dict__", None) or {}   # not getattr: a module __getattr__ may import
        if attrs.get("__prism_source__") is not None and attrs.get("__file__"):
            found[name] = module
    return found


def collect() -> ModuleBundle:
    """A bundle of every Prism module loaded here (workers import only what they use)."""
    from dataclasses import asdict
    from prism_runtime.install import current_options
    from transpiler.toolchain.build import compiler_fingerprint, extension_suffix
    options = asdict(current_options())
    fingerprint, suffix = compiler_fingerprint(), extension_suffix()
    entries = tuple(ModuleEntry(name, _digest(m.__file__), m.__file__, suffix, fingerprint,
                                _source_of(m), options, shared_utility=_shared_utility_of(m))
                    for name, m in sorted(prism_modules().items()))
    key = hashlib.sha256("\0".join(f"{e.name}={e.digest}" for e in entries).encode()).hexdigest()[:24]
    return ModuleBundle(key, entries)


# ---------------------------------------------------------------- worker side

_lock = threading.RLock()            # bundle activation swaps sys.modules entries
_registry: dict = {}                 # bundle key -> bundle (shipped ahead, e.g. by a Dask plugin)
_loaded: dict = {}                   # extension digest -> module object
_source_alias: dict = {}             # a rebuilt module's local .prism copy -> the driver's path
_guard = threading.local()


def register(bundle: ModuleBundle) -> None:
    """Remember `bundle` under its key (what the Dask worker plugin calls)."""
    _registry[bundle.key] = bundle


def lookup(bundle_or_key) -> ModuleBundle:
    if isinstance(bundle_or_key, ModuleBundle):
        return bundle_or_key
    try:
        return _registry[bundle_or_key]
    except KeyError:
        raise PrismError(f"this worker ({os.getpid()}) never received the program's modules "
                         f"(bundle {bundle_or_key})") from None


def importing_for_worker() -> bool:
    """True while this thread imports a module for a worker (its top level must stop at a map)."""
    return getattr(_guard, "depth", 0) > 0


def driver_source(path):
    """The driver's name for a .prism file that a worker compiled from a local copy."""
    return _source_alias.get(str(path), path)


@contextlib.contextmanager
def _worker_import():
    _guard.depth = getattr(_guard, "depth", 0) + 1
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        _guard.depth -= 1


class _BundleLoader(importlib.abc.Loader):
    def __init__(self, entry: ModuleEntry):
        self.entry = entry
        self._extension_loader = None

    def create_module(self, spec):
        spec.origin = str(_local_extension(self.entry))
        from transpiler.toolchain.cache_lookup import load_shared_utility
        load_shared_utility(_meta_beside(spec.origin).get("shared_utility"))
        self._extension_loader = importlib.machinery.ExtensionFileLoader(spec.name, spec.origin)
        return self._extension_loader.create_module(spec)

    def exec_module(self, module):
        with _worker_import():
            try:
                self._extension_loader.exec_module(module)
            except WorkerImportStop:
                pass
        _loaded[self.entry.digest] = module


class _BundleFinder(importlib.abc.MetaPathFinder):
    """Finds the modules of the active bundle (ahead of the `.prism` import hook)."""

    def __init__(self):
        self.entries = {}

    def find_spec(self, fullname, path, target=None):
        entry = self.entries.get(fullname)
        if entry is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _BundleLoader(entry), origin=entry.extension)


_finder = _BundleFinder()


def activate(bundle: ModuleBundle) -> None:
    """Make sys.modules hold this bundle's version of each of its modules (imported on use)."""
    if not sys.meta_path or sys.meta_path[0] is not _finder:
        # First, also ahead of the `.prism` import hook should something install it later: the
        # hook would build the module again from a source it finds on sys.path.
        if _finder in sys.meta_path:
            sys.meta_path.remove(_finder)
        sys.meta_path.insert(0, _finder)
    _finder.entries = {e.name: e for e in bundle.entries}
    for e in bundle.entries:
        held = _loaded.get(e.digest)
        if held is not None:
            sys.modules[e.name] = held
        elif e.name in sys.modules:
            del sys.modules[e.name]          # another version: the next import loads this one


def load(bundle_or_key, blob: bytes):
    """Unpickle `blob` on a worker with the bundle's modules importable."""
    with _lock:
        activate(lookup(bundle_or_key))
        return pickle.loads(blob)


def _local_extension(entry: ModuleEntry) -> Path:
    """A file this interpreter can load for `entry`: the driver's, the shipped bytes, or a rebuild."""
    try:
        from transpiler.toolchain.build import cache_root, compiler_fingerprint
    except ModuleNotFoundError as exc:
        if exc.name != "transpiler":
            raise
        raise PrismError("parallel workers need the Prism compiler installed (pip install prism-lang, "
                         "the driver's version); this worker has the runtime only") from None
    compatible = (entry.suffix in importlib.machinery.EXTENSION_SUFFIXES
                  and entry.fingerprint == compiler_fingerprint())
    if compatible:
        if os.path.isfile(entry.extension) and _digest(entry.extension) == entry.digest:
            return Path(entry.extension)
        if entry.binary is not None:
            return _write_shipped(entry, cache_root() / "parallel" / entry.digest[:2] / entry.digest)
    return _rebuild(entry, cache_root() / "parallel" / "src")


def _write_shipped(entry: ModuleEntry, directory: Path) -> Path:
    leaf = entry.name.rpartition(".")[2]
    target = directory / (leaf + entry.suffix)
    if target.is_file() and _digest(target) == entry.digest:
        return target
    directory.mkdir(parents=True, exist_ok=True)
    meta = {"source": entry.source_path, "module": entry.name}
    files = {target.name: entry.binary}
    if entry.shared_utility and entry.shared_binary is not None:
        shared_name = Path(entry.shared_utility[1]).name
        files[shared_name] = entry.shared_binary
        meta["shared_utility"] = [entry.shared_utility[0], str(directory / shared_name)]
    files["meta.json"] = json.dumps(meta).encode()
    if entry.pyx is not None:
        files[leaf + ".pyx"] = entry.pyx            # beside the extension: runner.prism_location reads it
    for name, data in files.items():
        tmp = directory / f".{name}.{os.getpid()}.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, directory / name)           # concurrent workers never see half a file
    return target


def _rebuild(entry: ModuleEntry, root: Path) -> Path:
    from transpiler.toolchain.build import BuildOptions, build_module
    source = entry.source if entry.source is not None else _read(entry.source_path)
    if source is None:
        raise PrismError(f"cannot load {entry.source_path} on this worker: it was built for another "
                         f"platform or compiler and its source was not shipped")
    copy = root / hashlib.sha256(source).hexdigest()[:24] / Path(entry.source_path).name
    if not copy.is_file():
        copy.parent.mkdir(parents=True, exist_ok=True)
        tmp = copy.with_name(f".{copy.name}.{os.getpid()}.tmp")
        tmp.write_bytes(source)
        os.replace(tmp, copy)
    _source_alias[str(copy)] = entry.source_path
    return build_module(copy, entry.name, BuildOptions(**entry.options)).extension
