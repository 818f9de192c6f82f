"""Finding a finished build in the cache without the compiler: build options, build keys, entries.

`prism run` of an unchanged program and the import hook look a module up here
before anything else; this module imports only the standard library (no
parser, no AST, no Cython, no Jinja), so a cache hit costs little more than
`python -c "import mod"` of the same module (bench/bench_latency.py measures
both in one run). `build` computes its keys and entry paths with the same
functions, so a lookup and a build can never disagree about where a module is.

    key   = SHA-256(compiler fingerprint, source path, module name, options, source bytes)
    entry = CACHE_ROOT/key[:2]/key/{leaf}.cpython-3XX.so, {leaf}.pyx, {leaf}.pyi, meta.json

`lookup` is the one place a cache hit is accepted: the root must be private
(writable by us alone) and the module's recorded SHA-256 and size must match,
or it is a miss and `build` says why (`build_cache.py`).

Talks to: `build` (builds on a miss; re-exports `BuildOptions`),
`prism_runtime.install` (the hook asks `lookup` first), `project_build` (the
compiler fingerprint for its no-op check), `runner` (`prism run`).
"""
from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path
from typing import Optional

from transpiler.back.template_files import PACKAGE_DIR, templates_dir  # noqa: F401 (re-exported)

COMPILER_VERSION = "0.1.0"

# Optimisation levels of the two profiles (cargo's convention): `prism run` and `prism test`
# build for development (quick to compile), `prism run --release`, `prism build`, `prism bench`
# and `prismc` for speed (docs/toolchain.md, Profiles).
DEV_OPT_LEVEL = 0
RELEASE_OPT_LEVEL = 3


@dataclass(frozen=True)
class BuildOptions:
    opt_level: int = RELEASE_OPT_LEVEL
    lto: bool = False
    debug: bool = False                      # a debug build: -g, debug macros and tracing (lower_debug)
    typed: bool = True
    annotate: bool = False
    profile_generate: Optional[str] = None   # directory for -fprofile-generate data
    profile_use: Optional[str] = None        # directory holding profile data
    extra_cflags: tuple = ()
    profile: bool = False                    # Cython profiling hooks (cProfile sees Prism functions)
    stack_guard: bool = True                 # recursive functions check the C stack (see callgraph)
    shared_utility: bool = False             # Cython's helpers in one shared module (shared_utility.py)
    verbose: bool = False

    def key_fields(self) -> dict:
        fields = asdict(self)
        fields.pop("verbose")
        fields.pop("annotate")
        return fields


def run_options(opt_level: int, typed: bool = True) -> BuildOptions:
    """Options of `prism run`, `prism test` and the REPL: at the development level, Cython's
    helpers come from one shared module instead of being compiled into every module."""
    return BuildOptions(opt_level=opt_level, typed=typed, shared_utility=opt_level == DEV_OPT_LEVEL)


@dataclass
class CachedBuild:
    extension: Path            # the built module
    pyx: Path                  # the generated Cython source beside it
    warnings: list             # diagnostics.record() dicts of the compile warnings
    shared_utility: Optional[list] = None   # [module name, path] the module imports (shared_utility.py)


def cache_root() -> Path:
    root = os.environ.get("PRISM_CACHE_DIR")
    return Path(root) if root else Path.home() / ".cache" / "prism"


def extension_suffix() -> str:
    return EXTENSION_SUFFIXES[0]


COMPILER_PARTS = ("front", "passes", "back")                 # what decides a build's output


def _runtime_dir() -> Path:
    runtime = PACKAGE_DIR.parent / "prism_runtime"
    if runtime.is_dir():
        return runtime
    import prism_runtime
    return Path(prism_runtime.__file__).resolve().parent


def fingerprint_files() -> list:
    """What a build depends on besides its source: the compiler's modules, grammar and templates,
    and the runtime's C interfaces (.pxd)."""
    files = sorted(PACKAGE_DIR.glob("*.py"))
    for part in COMPILER_PARTS:
        files += sorted((PACKAGE_DIR / part).glob("*.py")) + sorted((PACKAGE_DIR / part).glob("*.txt"))
    return files + sorted(templates_dir().glob("*.j2")) + sorted(_runtime_dir().glob("*.pxd"))


@lru_cache(maxsize=1)
def compiler_fingerprint() -> str:
    digest = hashlib.sha256(COMPILER_VERSION.encode())
    for path in fingerprint_files():
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def build_key(source: bytes, source_path: Path, module_name: str, options: BuildOptions) -> str:
    digest = hashlib.sha256()
    for part in (compiler_fingerprint(), str(Path(source_path).resolve()), module_name,
                 json.dumps(options.key_fields(), sort_keys=True)):
        digest.update(part.encode())
        digest.update(b"\0")
    digest.update(source)
    return digest.hexdigest()[:32]


def entry_dir(key: str) -> Path:
    return cache_root() / key[:2] / key


def entry_files(key: str, module_name: str) -> tuple:
    """(extension, pyx) paths of the entry for `key`."""
    leaf = module_name.rpartition(".")[2]
    out_dir = entry_dir(key)
    return out_dir / (leaf + extension_suffix()), out_dir / (leaf + ".pyx")


# ---------------------------------------------------------------- is an entry ours and whole
# (build_cache.py, which creates and refuses roots, uses these too; they live here so that a
# cache hit checks them without importing anything beyond the standard library)

def root_problem(root: Path) -> Optional[str]:
    """Why another user could write into `root` (an existing directory), or None when only we can."""
    try:
        st = root.stat()
    except OSError as exc:
        return f"it cannot be read ({exc.strerror})"
    if not stat.S_ISDIR(st.st_mode):
        return "it is not a directory"
    me = os.geteuid()
    if st.st_uid != me:
        return f"it is owned by {_user(st.st_uid)}, not by you ({_user(me)})"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        who = "group and others" if st.st_mode & stat.S_IWGRP and st.st_mode & stat.S_IWOTH else \
            "its group" if st.st_mode & stat.S_IWGRP else "others"
        return f"it is writable by {who} (mode {stat.S_IMODE(st.st_mode):04o})"
    for parent in root.resolve().parents:
        try:
            pst = parent.stat()
        except OSError:
            continue
        if pst.st_uid not in (me, 0):
            return f"its parent {parent} is owned by {_user(pst.st_uid)}, who could replace it"
        if pst.st_mode & stat.S_IWOTH and not pst.st_mode & stat.S_ISVTX:
            return (f"its parent {parent} is writable by others without the sticky bit "
                    f"(mode {stat.S_IMODE(pst.st_mode):04o}), so anyone could replace it")
    return None


def _user(uid: int) -> str:
    try:
        import pwd
        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except (ImportError, KeyError):
        return f"uid {uid}"


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_meta(entry: Path) -> dict:
    try:
        meta = json.loads((entry / "meta.json").read_text())
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def damage(entry: Path, so_name: str) -> Optional[str]:
    """What is wrong with the cached module entry/so_name, or None when it is the one we built."""
    meta = read_meta(entry)
    expected, size = meta.get("sha256"), meta.get("size")
    if not isinstance(expected, str) or not isinstance(size, int):
        return "it has no checksum"
    so_path = entry / so_name
    try:
        actual_size = so_path.stat().st_size
    except OSError:
        return "its module is missing"
    if actual_size < size:
        return (f"its module is not the one Prism built: {actual_size} of {size} bytes "
                f"(truncated, or replaced by another file)")
    if actual_size > size:
        return f"its module is not the one Prism built: {actual_size} bytes, built {size}"
    if file_digest(so_path) != expected:
        return "its module is not the one Prism built (SHA-256 mismatch)"
    return None


@lru_cache(maxsize=4)
def _root_is_private(root: str) -> bool:
    return root_problem(Path(root)) is None


def lookup_key(key: str, module_name: str, verify: bool = True) -> Optional[CachedBuild]:
    """The finished entry for `key`, or None: never built, still being built, or (when `verify`)
    not certainly ours and whole, which the build path then reports, or refuses, with the reason."""
    so_path, pyx_path = entry_files(key, module_name)
    if not so_path.is_file():
        return None
    if verify and (not _root_is_private(str(cache_root())) or damage(so_path.parent, so_path.name)):
        return None
    meta = read_meta(so_path.parent)
    shared = meta.get("shared_utility")
    if shared and not Path(shared[1]).is_file():
        return None                 # the shared utility module it needs is gone: build it again
    warnings = [w for w in meta.get("warnings", []) if isinstance(w, dict)]
    return CachedBuild(so_path, pyx_path, warnings, shared)


def load_shared_utility(shared: Optional[list]) -> None:
    """Put the shared utility module a development build imports into sys.modules (it lives in
    the build cache, not on sys.path)."""
    if not shared or shared[0] in sys.modules:
        return
    import importlib.util
    spec = importlib.util.spec_from_file_location(shared[0], shared[1])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[shared[0]] = module


def lookup(source_path: Path, module_name: str, options: BuildOptions) -> Optional[CachedBuild]:
    """The cached build of the .prism file at source_path with these options, or None."""
    if options.annotate:
        return None                 # the HTML annotation is written only by a fresh build
    try:
        source = Path(source_path).read_bytes()
    except OSError:
        return None
    return lookup_key(build_key(source, Path(source_path), module_name, options), module_name)
