"""The original Prism authors' example programs run to the end, and print what the rules say.

The programs are read from ../shared/origin-examples (beside the checkout; never copied into
the project); the tests skip, saying why, when that folder is absent, as in a fresh clone.
Every file there must pass `prism check`; each program (for `modules/`, `main.prism`) must
exit 0 under `prism run`, and its standard output must equal `expected/NAME.out`. Those files
were written from the rules of PRISM_SCOPE_V2.md and docs/language.md (traced by hand, line by
line), not from what the compiler printed. A line `re: PATTERN` matches a line by regular
expression, for values the rules leave open (a timestamp from `now()`).
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parents[2] / "shared" / "origin-examples"
EXPECTED = HERE / "expected"

if not EXAMPLES.is_dir():
    pytest.skip(f"the original authors' examples are not beside this checkout ({EXAMPLES} is missing; "
                "a fresh clone has none)", allow_module_level=True)

# name -> the program `prism run` starts (relative to the examples folder).
PROGRAMS = {path.stem: path.relative_to(EXAMPLES) for path in sorted(EXAMPLES.glob("*.prism"))}
PROGRAMS["modules"] = Path("modules") / "main.prism"
TIMEOUT = 600


def _prism(args, cwd: Path, env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "transpiler", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, encoding="utf-8", errors="replace", timeout=TIMEOUT)


@pytest.mark.parametrize("source", sorted(EXAMPLES.rglob("*.prism")), ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_every_example_passes_prism_check(source: Path, prism_env):
    proc = _prism(["check", source.name], source.parent, prism_env)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr


def _matches(expected: str, actual: str) -> bool:
    if expected.startswith("re: "):
        return re.fullmatch(expected[4:], actual) is not None
    return expected == actual


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_example_runs_and_prints_what_the_rules_say(name: str, prism_env):
    program = EXAMPLES / PROGRAMS[name]
    proc = _prism(["run", "-O0", program.name], program.parent, prism_env)
    assert proc.returncode == 0, f"{name} exited {proc.returncode}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr
    expected = (EXPECTED / f"{name}.out").read_text(encoding="utf-8").splitlines()
    actual = proc.stdout.splitlines()
    assert len(actual) == len(expected), f"{name}: {len(actual)} lines, expected {len(expected)}\n{proc.stdout}"
    for number, (want, got) in enumerate(zip(expected, actual), start=1):
        assert _matches(want, got), f"{name}, line {number}: expected {want!r}, got {got!r}"


def test_every_example_has_expected_output():
    assert sorted(p.stem for p in EXPECTED.glob("*.out")) == sorted(PROGRAMS)
