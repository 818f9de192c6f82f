"""The build cache's safety: where it lives, who may write there, and whether an entry is intact.

A cached entry is a directory `ROOT/ab/abcdef...` (the build key) holding the
extension module, its generated `.pyx`/`.c` and `meta.json`. `prism run` and
the import hook load the module from there, so the cache is code that will be
executed; this module makes sure that code is ours and whole:

- `prepare_root(root, project_dir)`: creates the root with mode 0700 (and a
  `CACHEDIR.TAG`, so backup tools skip it), or refuses an existing one that
  another user could write to: not owned by us, writable by group or others,
  or inside a directory that others can write to (without the sticky bit) or
  that another user owns. `[build] unsafe-shared-cache = true` in the nearest
  Prism.toml above `project_dir` accepts such a root (CI machines that share
  one cache between jobs of one user).
- `seal(work_dir, so_path)` records the SHA-256 and size of the shared object
  in `meta.json`; `damage(entry, so_name)` checks them before the module is
  loaded and says what is wrong (truncated, different bytes, no checksum).
- `publish(work_dir, entry)` renames a finished build into place in one step,
  so a concurrent builder or loader never sees half an entry; `discard(entry)`
  moves a damaged entry out of the way the same way before deleting it.
- `describe(root)` and `clean(root)` back `prism cache info|clean`.

Talks to: `build` (which calls these around every build and cache hit),
`cache_lookup` (which holds the entry and root checks, so a warm start makes
them without importing the compiler),
`manifest` (`find_root`, only when a root is refused, to look for the opt-out),
`diagnostics` (`UnsafeCacheError` is a `CompileError`, so every command that
reports compile errors reports this one the same way, with no traceback).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from transpiler.toolchain.cache_lookup import cache_root, damage, file_digest, read_meta, root_problem  # noqa: F401
from transpiler.front.diagnostics import CompileError

OPT_OUT_KEY = "unsafe-shared-cache"           # [build] key of Prism.toml
_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
        "# This file is a cache directory tag created by Prism (prism cache info|clean).\n")
_SHARD = re.compile(r"[0-9a-f]{2}")
_ENTRY = re.compile(r"[0-9a-f]{32}")
_LEFTOVER = re.compile(r"\.[0-9a-f]{32}-")     # a builder's work dir or a discarded entry


class UnsafeCacheError(CompileError):
    """The build cache root could be written by someone else; nothing is built or loaded from it."""

    def __init__(self, message: str, help: str):
        super().__init__(message, None, help=help)


# ---------------------------------------------------------------- the root

def opted_out(project_dir: Optional[Path]) -> bool:
    """True when the nearest Prism.toml above project_dir sets `[build] unsafe-shared-cache = true`."""
    from transpiler.toolchain.manifest import MANIFEST, find_root
    import tomllib
    project = find_root(project_dir or Path.cwd())
    if project is None:
        return False
    try:
        data = tomllib.loads((project / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False                    # `prism build` reports a broken Prism.toml with its line
    build = data.get("build")
    return isinstance(build, dict) and build.get(OPT_OUT_KEY) is True


def prepare_root(root: Path, project_dir: Optional[Path] = None) -> Path:
    """Create `root` (0700) or check it; raises UnsafeCacheError for a root others could write to."""
    if not root.exists():
        root.parent.mkdir(parents=True, exist_ok=True)
        try:
            root.mkdir(mode=0o700)
            (root / "CACHEDIR.TAG").write_text(_TAG)
        except FileExistsError:
            pass                        # another builder made it first: check it like any root
    problem = root_problem(root)
    if problem is not None and not opted_out(project_dir):
        raise UnsafeCacheError(
            f"refusing to use the build cache {root}: {problem}, so whoever can write there could "
            f"plant a module that Prism would run",
            help=f"use a directory of your own (PRISM_CACHE_DIR; the default ~/.cache/prism is "
                 f"created with mode 0700), or `chmod 700 {root}` if it is yours; to share it on "
                 f"purpose, set `{OPT_OUT_KEY} = true` under [build] in Prism.toml")
    return root


# ---------------------------------------------------------------- entries

def seal(work_dir: Path, so_path: Path, meta: dict) -> None:
    """Write work_dir/meta.json: `meta` plus the SHA-256 and size of the built module."""
    sealed = dict(meta, sha256=file_digest(so_path), size=so_path.stat().st_size)
    (work_dir / "meta.json").write_text(json.dumps(sealed))


def publish(work_dir: Path, entry: Path) -> bool:
    """Move a finished build into place atomically; False (work_dir left as it is) when an entry
    is already there, e.g. from another builder that finished first."""
    try:
        os.rename(work_dir, entry)      # fails on an existing, non-empty entry: never half-replaced
        return True
    except OSError:
        return False


def discard(entry: Path) -> None:
    """Remove a damaged entry: renamed aside first, so no loader finds it half-deleted."""
    aside = Path(tempfile.mkdtemp(prefix=f".{entry.name}-discarded-", dir=entry.parent))
    try:
        os.rename(entry, aside / entry.name)
    except OSError:
        pass                            # another process discarded it already
    shutil.rmtree(aside, ignore_errors=True)


def report_damage(entry: Path, reason: str) -> None:
    source = read_meta(entry).get("source") or entry.name
    print(f"warning: discarded the cached build of {source} ({entry}): {reason}; rebuilding it",
          file=sys.stderr)


# ---------------------------------------------------------------- prism cache info|clean

@dataclass
class CacheSummary:
    root: Path
    exists: bool
    problem: Optional[str]
    entries: int = 0
    damaged: int = 0
    bytes: int = 0


def _entries(root: Path):
    for shard in sorted(root.iterdir()) if root.is_dir() else ():
        if shard.is_dir() and not shard.is_symlink() and _SHARD.fullmatch(shard.name):
            yield shard


def describe(root: Path) -> CacheSummary:
    """Size, entry count and damaged entries of the cache at root (nothing is changed)."""
    if not root.is_dir():
        return CacheSummary(root, False, None)
    summary = CacheSummary(root, True, root_problem(root))
    for name in SHARED_PARTS:
        part = root / name
        if part.is_dir() and not part.is_symlink():
            summary.bytes += sum(p.stat().st_size for p in part.rglob("*") if p.is_file() and not p.is_symlink())
    for shard in _entries(root):
        for entry in shard.iterdir():
            if entry.is_symlink():
                continue
            for path in entry.rglob("*") if entry.is_dir() else (entry,):
                if path.is_file() and not path.is_symlink():
                    summary.bytes += path.stat().st_size
            if entry.is_dir() and _ENTRY.fullmatch(entry.name):
                summary.entries += 1
                so = next((p.name for p in entry.iterdir() if p.suffix == ".so"), None)
                if so is None or damage(entry, so) is not None:
                    summary.damaged += 1
    return summary


# Directories of the cache that hold no entries but what builds share, all rebuilt on demand:
# Cython's shared utility module and the precompiled headers of development builds
# (toolchain/shared_utility.py, pch.py), and modules shipped to parallel workers.
SHARED_PARTS = ("cyutility", "pch", "parallel")


def clean(root: Path) -> CacheSummary:
    """Delete every entry (and builders' leftovers) under root, and the parts builds share;
    other files there are left alone."""
    summary = describe(root)
    for name in SHARED_PARTS:
        part = root / name
        if part.is_dir() and not part.is_symlink():
            shutil.rmtree(part, ignore_errors=True)
    for shard in _entries(root):
        for entry in shard.iterdir():
            if entry.is_dir() and not entry.is_symlink() and (_ENTRY.fullmatch(entry.name)
                                                              or _LEFTOVER.match(entry.name)):
                shutil.rmtree(entry, ignore_errors=True)
        try:
            shard.rmdir()
        except OSError:
            pass                        # something else lives there: not ours to delete
    return summary
