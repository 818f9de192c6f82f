"""Type checkers for the stub and packaging tests: mypy (from the `test` extra) and pyright.

pyright comes from the npm registry: where Node.js and npm are present it is installed
once into a cache folder (`~/.cache/prism-tests`, or `$XDG_CACHE_HOME/prism-tests`) and
reused; without Node, or when npm cannot fetch it, the pyright tests skip and say why.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PYRIGHT_VERSION = "1.1.414"
_ERROR_LINE = {"mypy": re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+): error:", re.M),
               "pyright": re.compile(r"^\s*(?P<file>/[^:\n]+):(?P<line>\d+):\d+ - error:", re.M)}


def error_lines(tool: str, output: str, file: Path) -> set:
    """The lines of `file` that a type checker's output reports errors at."""
    return {int(m["line"]) for m in _ERROR_LINE[tool].finditer(output) if Path(m["file"]).name == file.name}


def run_mypy(files, cwd: Path, python: str = None, mypy_path: Path = None) -> subprocess.CompletedProcess:
    """mypy on `files`; `python` is the interpreter whose site-packages it reads (an installed
    package's stubs), `mypy_path` a folder of stubs to add (a checkout's prism_runtime)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MYPYPATH")}
    if mypy_path is not None:
        env["MYPYPATH"] = str(mypy_path)
    args = [sys.executable, "-m", "mypy", "--no-incremental", "--show-traceback", "--no-error-summary"]
    if python:
        args += ["--python-executable", python]
    return subprocess.run(args + [str(f) for f in files], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="session")
def pyright(tmp_path_factory) -> Path:
    """The pyright command, installed from npm on first use."""
    found = shutil.which("pyright")
    if found:
        return Path(found)
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("pyright needs Node.js and npm, which this machine does not have")
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "prism-tests" / \
        f"pyright-{PYRIGHT_VERSION}"
    command = cache / "node_modules" / ".bin" / "pyright"
    if not command.exists():
        # Install beside the final folder, then move it in: xdist workers may race here.
        staging = Path(str(cache) + f".{os.getpid()}")
        proc = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(staging),
                               f"pyright@{PYRIGHT_VERSION}"], capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            pytest.skip(f"npm could not install pyright@{PYRIGHT_VERSION}: {proc.stderr.strip()[-300:]}")
        try:
            staging.rename(cache)
        except OSError:             # another worker finished first
            shutil.rmtree(staging, ignore_errors=True)
    return command


def run_pyright(pyright: Path, files, cwd: Path, python: str = None, extra_paths=()) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    config = {"extraPaths": [str(p) for p in extra_paths]}
    (cwd / "pyrightconfig.json").write_text(json.dumps(config))
    args = [str(pyright)] + (["--pythonpath", python] if python else [])
    return subprocess.run(args + [str(f) for f in files], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)
