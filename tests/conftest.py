"""Shared pytest configuration for the Prism test suite.

The data-driven corpus lives in `tests/cases/` (see `tests/test_cases.py`):

- `name.prism` + `name.out`: a run case; `prism run -O0 name.prism` must print
  exactly `name.out` (plus `exit status N` and stderr when it fails).
- `name.prism` + `name.err`: an expected-compile-error case; `prism check`
  must fail with the single `LINE:COL: MESSAGE` line held in `name.err`.
- `name.prism` + `name.lib`: a library imported by other cases; not run.

`pytest --update-expected` rewrites `.out`/`.err` files from what the
compiler actually does instead of comparing, and lists the files it changed.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

# No compile server behind the tests' builds (transpiler/toolchain/compile_server.py): a test run must not leave
# background processes. Its own tests turn it on for the processes they start.
os.environ.setdefault("PRISM_COMPILE_SERVER", "0")

REPO_ROOT = Path(__file__).resolve().parent.parent
CASES_DIR = Path(__file__).resolve().parent / "cases"

# Key under which a test records an expected-output file it rewrote; stored in
# the report's `user_properties`, which pytest-xdist ships back to the
# controller process, so the summary also works with `-n 2`.
UPDATED_PROPERTY = "prism_updated_expected"

_updated_files: list[str] = []


def pytest_addoption(parser):
    parser.addoption(
        "--update-expected",
        action="store_true",
        default=False,
        help="rewrite tests/cases/*.out and *.err from actual results instead of comparing",
    )


@pytest.fixture(scope="session")
def update_expected(request) -> bool:
    return bool(request.config.getoption("--update-expected"))


@pytest.fixture(scope="session")
def prism_cache_dir(tmp_path_factory) -> Path:
    """A build cache shared by every xdist worker of this session.

    `PRISM_CACHE_DIR` from the environment wins (e.g. to keep builds across
    sessions); otherwise a directory next to the workers' base temp dirs:
    under xdist each worker's basetemp is `.../pytest-N/popen-gwK`, so their
    common parent is shared by the session's workers.
    """
    configured = os.environ.get("PRISM_CACHE_DIR")
    if configured:
        path = Path(configured)
    else:
        base = tmp_path_factory.getbasetemp()
        if os.environ.get("PYTEST_XDIST_WORKER"):
            base = base.parent
        path = base / "prism-cache"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)   # a group-writable root is refused
    return path


@pytest.fixture(scope="session")
def prism_env(prism_cache_dir) -> dict:
    """Environment for running the compiler as a subprocess from any cwd."""
    env = dict(os.environ)
    env["PRISM_CACHE_DIR"] = str(prism_cache_dir)
    pythonpath = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(REPO_ROOT) + (os.pathsep + pythonpath if pythonpath else "")
    env.setdefault("PYTHONIOENCODING", "utf-8")
    return env


def pytest_runtest_logreport(report):
    # Runs in the controller (and in a non-xdist run) for every report.
    if report.when != "call":
        return
    for key, value in getattr(report, "user_properties", ()):
        if key == UPDATED_PROPERTY and value not in _updated_files:
            _updated_files.append(value)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not config.getoption("--update-expected", default=False):
        return
    terminalreporter.section("updated expected files")
    if _updated_files:
        for name in sorted(_updated_files):
            terminalreporter.write_line(f"updated {name}")
    else:
        terminalreporter.write_line("no expected file changed")
