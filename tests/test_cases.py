"""Data-driven corpus: every `tests/cases/*.prism` is a test.

- Run case (`name.out` exists): `python -m transpiler run -O0 name.prism`
  (cwd = the cases directory). Actual output = stdout; if the exit status is
  not 0, a line `exit status N` and then stderr follow. Every occurrence of the
  cases directory path + separator is removed, so messages read
  `name.prism:3: error: ...`. Must equal `name.out` exactly.
- Error case (`name.err` exists): `python -m transpiler check name.prism` must
  exit with status 1 and no Python traceback; the first stderr line,
  `/path/name.prism:LINE:COL: error: MESSAGE`, reduced to `LINE:COL: MESSAGE`,
  must equal the single line in `name.err`.
- Library (`name.lib` exists): imported by other cases, not run by itself.

`pytest --update-expected` rewrites the expected files instead of comparing.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

CASES_DIR = Path(__file__).resolve().parent / "cases"
# Must match conftest.UPDATED_PROPERTY.
UPDATED_PROPERTY = "prism_updated_expected"

TIMEOUT = 300

MIN_RUN_CASES = 40
MIN_ERROR_CASES = 20

_ERROR_LINE = re.compile(r"^(?P<file>.*?\.prism):(?P<line>\d+):(?P<col>\d+): error: (?P<msg>.*)$")


def _all_sources() -> list[Path]:
    return sorted(CASES_DIR.glob("*.prism"))


def _kind(source: Path) -> str:
    if source.with_suffix(".lib").exists():
        return "lib"
    if source.with_suffix(".err").exists():
        return "err"
    return "run"  # `.out` may be missing: that fails, or is created by --update-expected


def _cases(kind: str) -> list[Path]:
    return [p for p in _all_sources() if _kind(p) == kind]


def _strip_dir(text: str) -> str:
    prefixes = {str(CASES_DIR) + os.sep, os.path.realpath(CASES_DIR) + os.sep}
    for prefix in sorted(prefixes, key=len, reverse=True):
        text = text.replace(prefix, "")
    return text


def _read_expected(path: Path) -> str | None:
    if not path.exists():
        return None
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


def _write_expected(request, path: Path, text: str) -> None:
    old = _read_expected(path)
    if old == text:
        return
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    request.node.user_properties.append((UPDATED_PROPERTY, path.name))
    print(f"updated {path.name}")


def _run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(
            [sys.executable, "-m", "transpiler", *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=TIMEOUT,
            cwd=str(CASES_DIR),
            env=env,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"`transpiler {' '.join(args)}` timed out after {TIMEOUT}s")


def _run_actual(proc: subprocess.CompletedProcess) -> str:
    out = proc.stdout
    if proc.returncode != 0:
        if out and not out.endswith("\n"):
            out += "\n"
        out += f"exit status {proc.returncode}\n" + proc.stderr
    return _strip_dir(out)


@pytest.mark.parametrize("source", _cases("run"), ids=lambda p: p.stem)
def test_run_case(source: Path, prism_env, update_expected, request):
    proc = _run(["run", "-O0", str(source)], prism_env)
    actual = _run_actual(proc)
    expected_path = source.with_suffix(".out")
    if update_expected:
        _write_expected(request, expected_path, actual)
        return
    expected = _read_expected(expected_path)
    assert expected is not None, f"missing {expected_path.name} (run with --update-expected to create it)"
    assert actual == expected, (
        f"{source.name}: output differs from {expected_path.name}\n"
        f"--- expected ---\n{expected}--- actual ---\n{actual}--- stderr ---\n{_strip_dir(proc.stderr)}"
    )


@pytest.mark.parametrize("source", _cases("err"), ids=lambda p: p.stem)
def test_error_case(source: Path, prism_env, update_expected, request):
    proc = _run(["check", str(source)], prism_env)
    stderr = _strip_dir(proc.stderr)
    assert "Traceback" not in proc.stderr, f"{source.name}: internal error\n{stderr}"
    first = proc.stderr.splitlines()[0] if proc.stderr.strip() else ""
    m = _ERROR_LINE.match(first)
    actual = f"{m['line']}:{m['col']}: {m['msg']}" if m else _strip_dir(first)
    expected_path = source.with_suffix(".err")
    if update_expected:
        if proc.returncode == 1 and m:
            _write_expected(request, expected_path, actual + "\n")
            return
    expected = (_read_expected(expected_path) or "").strip()
    assert proc.returncode == 1, (
        f"{source.name}: expected exit status 1, got {proc.returncode}\n"
        f"--- stdout ---\n{proc.stdout}--- stderr ---\n{stderr}"
    )
    assert m, f"{source.name}: first stderr line is not `FILE:LINE:COL: error: MESSAGE`: {first!r}"
    assert actual == expected, f"{source.name}: expected `{expected}`, got `{actual}`\n{stderr}"


def test_corpus_size():
    run_cases = [p for p in _cases("run") if p.with_suffix(".out").exists()]
    error_cases = _cases("err")
    assert len(run_cases) >= MIN_RUN_CASES, f"only {len(run_cases)} run cases"
    assert len(error_cases) >= MIN_ERROR_CASES, f"only {len(error_cases)} error cases"


def test_libraries_are_imported():
    """Every `.lib` library is imported by at least one case."""
    sources = {p: p.read_text(encoding="utf-8", errors="replace") for p in _all_sources()}
    for lib in _cases("lib"):
        spec = f'"./{lib.stem}"'
        users = [p.name for p, text in sources.items() if p != lib and spec in text]
        assert users, f"{lib.name} is marked as a library but no case imports it"
