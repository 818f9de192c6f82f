"""Fuzzing: no input makes the compiler fail with anything but a Prism diagnostic.

Inputs come from `progen` (random derivations of grammar.txt, a hand-written
generator of well-scoped programs, and token-level mutations of the corpus
with odd Unicode, NUL and invalid UTF-8), drawn through hypothesis so that
failures shrink. Most cases run the whole front end, every pass and the
Cython rendering in-process, where only `CompileError` may escape (the CLI
would turn anything else into an "internal compiler error", which is still a
bug). A second group drives `prismc` itself through click, and a handful of
cases go through full builds (Cython and the C compiler) in a subprocess.

The long run lives in `bench/fuzz_long.py`; this module stays well under a
minute on two cores.
"""
from __future__ import annotations

import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))
from progen import (GrammarGen, HypothesisChooser, ProgramGen, RandomChooser, any_program,  # noqa: E402
                    corpus, mutate)

from transpiler.tools.cli import prismc_main  # noqa: E402
from transpiler.front.diagnostics import CompileError, render  # noqa: E402
from transpiler.pipeline import transpile  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
HANG_SECONDS = 20

FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])


@contextmanager
def no_hang(what: str):
    """Fail (instead of hanging the run) when one compilation takes too long."""
    def alarm(signum, frame):
        raise TimeoutError(f"compiling {what} took more than {HANG_SECONDS}s")
    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(HANG_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def compile_in_process(source: bytes, typed: bool) -> str | None:
    """Transpile `source`; return the .pyx, or None for a proper compile error.

    Anything other than CompileError propagates and fails the test."""
    with no_hang(repr(source[:80])):
        try:
            return transpile(source, "fuzz.prism", "fuzz", typed=typed).pyx
        except CompileError as exc:
            text = source.decode("utf-8", errors="replace")
            rendered = render(exc, text, "fuzz.prism")
            assert rendered.startswith("fuzz.prism"), rendered
            assert exc.message, "a compile error without a message"
            return None


@FUZZ
@given(st.data(), st.booleans())
def test_grammar_programs(data, typed):
    compile_in_process(GrammarGen(HypothesisChooser(data)).program().encode("utf-8", "surrogatepass"), typed)


@FUZZ
@given(st.data(), st.booleans())
def test_generated_programs_compile(data, typed):
    source = ProgramGen(HypothesisChooser(data)).program()
    pyx = compile_in_process(source.encode("utf-8"), typed)
    # The generator only writes well-scoped, well-typed programs: they must be accepted.
    assert pyx is not None, source


@FUZZ
@given(st.data(), st.booleans())
def test_corpus_mutations(data, typed):
    c = HypothesisChooser(data)
    compile_in_process(mutate(c, c.choice(corpus())), typed)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.binary(max_size=300))
def test_arbitrary_bytes(source):
    compile_in_process(source, typed=True)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.text(alphabet=st.sampled_from(list("let fn{}()[]=~><.:;,\"'`$\\\n x1") + ["\u2028", "\x00", "é"]),
               max_size=120))
def test_token_soup(source):
    compile_in_process(source.encode("utf-8"), typed=False)


@pytest.mark.parametrize("seed", range(12))
def test_prismc_cli_exit_status(seed, tmp_path):
    """`prismc FILE --emit pyx`: exit 0 or 1, and on 1 a diagnostic that names FILE."""
    c = RandomChooser(seed)
    source = any_program(c)
    path = tmp_path / f"odd name {seed}'s.prism"
    path.write_bytes(source)
    with no_hang(path.name):
        result = CliRunner().invoke(prismc_main, [str(path), "--emit", "pyx", "-o", str(tmp_path / "out")])
    assert result.exit_code in (0, 1), (result.exit_code, result.output, result.exception)
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert "Traceback" not in result.output
    if result.exit_code == 1:
        assert str(path) in result.output, result.output
        assert "internal compiler error" not in result.output, result.output


FULL_BUILD_SEEDS = [3, 10, 29]


@pytest.mark.parametrize("seed", FULL_BUILD_SEEDS)
def test_full_build(seed, tmp_path, prism_env):
    """A few generated programs and mutants through Cython and the C compiler."""
    c = RandomChooser(seed)
    program = ProgramGen(c).program().encode() if seed % 2 else mutate(c, c.choice(corpus()))
    path = tmp_path / f"fuzz_{seed}.prism"
    path.write_bytes(program)
    proc = subprocess.run([sys.executable, "-c", "from transpiler.tools.cli import prismc_main; prismc_main()",
                           str(path), "-O0", "-o", str(tmp_path / "out")],
                          capture_output=True, text=True, errors="replace", env=prism_env, timeout=240)
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "internal compiler error" not in proc.stderr, proc.stderr
    if proc.returncode == 1:
        assert str(path) in proc.stderr
