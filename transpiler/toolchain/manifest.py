"""Where a project's manifest is: the name `Prism.toml` and the search for it upwards.

Kept apart from `tools/project.py` (which reads and checks the manifest for the
`prism` commands) because the build cache needs it too, for its opt-out
(`build_cache.opted_out`), and the toolchain sits below the commands.
"""
from __future__ import annotations

from pathlib import Path

MANIFEST = "Prism.toml"


def find_root(start: Path):
    """The nearest directory at or above start holding Prism.toml, or None."""
    start = start.resolve()
    for directory in (start, *start.parents):
        if (directory / MANIFEST).is_file():
            return directory
    return None
