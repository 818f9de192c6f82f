"""The language server never runs user code (issue 16, part 4).

Opening and querying a file makes `prism lsp` analyse it and the .prism files it
imports, but it must not import a Python module the file names (that would run the
module's top level with the editor's rights) and must build nothing (no Cython, no
gcc, nothing written to the build cache or beside the sources). Every Python module
named here writes a marker file when imported, and the workspace is on the
server's PYTHONPATH and is its working directory, so an import would find them.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent))
from lsp_client import LspClient  # noqa: E402

MAIN = """\
import { shout } from "tripwire"
import pkg from "tripwire_pkg.sub"
import { helper } from "./util"

fn main() {
    let s = shout("hi")
    print(s, pkg.value, helper(1))
}
"""

UTIL = """\
import { other } from "tripwire_util"

fn helper(n: int) -> int {
    n + 1
}
"""

# Each writes <name>.ran in the workspace when its top level runs.
TRIPWIRE = """\
import pathlib
pathlib.Path(__file__).resolve().parent.joinpath({name!r} + ".ran").write_text("imported")
"""


def _plant(root: Path, relative: str, marker: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(TRIPWIRE.format(name=marker) + "def shout(s):\n    return s\nvalue = 1\nother = 2\n")


def _files(root: Path) -> set:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_analysing_a_file_imports_none_of_its_python_modules_and_builds_nothing(prism_env, tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "main.prism").write_text(MAIN)
    (root / "util.prism").write_text(UTIL)
    _plant(root, "tripwire.py", "tripwire")
    _plant(root, "tripwire_pkg/__init__.py", "tripwire_pkg")
    _plant(root, "tripwire_pkg/sub.py", "tripwire_pkg_sub")
    _plant(root, "tripwire_util.py", "tripwire_util")
    before = _files(root)

    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    env = dict(prism_env, PRISM_CACHE_DIR=str(cache),
               PYTHONPATH=str(root) + os.pathsep + prism_env["PYTHONPATH"])
    client = LspClient(env=env, cwd=str(root))
    try:
        uri = client.open(root / "main.prism", MAIN)
        assert client.diagnostics(uri) == []
        # Everything that reads what an import is: hover and definition on imported
        # names, completion after a Python module's dot, symbols, formatting.
        lines = MAIN.split("\n")
        row = next(i for i, line in enumerate(lines) if "let s = shout" in line)
        client.hover(uri, row, lines[row].index("shout") + 1)
        client.definition(uri, row, lines[row].index("shout") + 1)
        row = next(i for i, line in enumerate(lines) if "pkg.value" in line)
        client.hover(uri, row, lines[row].index("pkg.value") + 1)
        client.completion(uri, row, lines[row].index("pkg.value") + len("pkg."))
        client.hover(uri, row, lines[row].index("helper") + 1)
        client.definition(uri, row, lines[row].index("helper") + 1)
        client.symbols(uri)
        client.formatting(uri)
        # An edit is analysed again, still without running anything.
        edited = MAIN.replace('print(s', 'print(shout("again"), s')
        version = client.change(uri, edited)
        assert client.diagnostics(uri, version) == []
        line = edited.split("\n")[row]
        hover = client.hover(uri, row, line.index("helper") + 1)
        assert hover and "helper" in hover            # the server did analyse the files
    finally:
        client.stop()

    assert not list(root.rglob("*.ran")), "the language server imported a Python module the file names"
    assert _files(root) == before, "the language server wrote beside the sources"
    assert not any(cache.iterdir()), "the language server wrote to the build cache"


def test_the_tripwire_works(tmp_path):
    """The marker modules do write their marker when imported (so the test above can fail)."""
    _plant(tmp_path, "tripwire_check.py", "tripwire_check")
    sys.path.insert(0, str(tmp_path))
    try:
        __import__("tripwire_check")
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("tripwire_check", None)
    assert (tmp_path / "tripwire_check.ran").read_text() == "imported"
