"""`std/test`: `test("name", () => { .. })`, the assertions, and `mock_llm`.

    test("addition works", () => { assert_eq(1 + 1, 2) })
    #[test] fn parses() { assert_ne(parse("1"), null) }
    assert_near(0.1 + 0.2, 0.3, 1e-9)
    mock_llm({input: "What is 2+2?", output: "4", confidence: 0.95})

`prism test` (transpiler/tools/project_run.py) loads each file inside `collecting()`,
so `test(..)` calls register their bodies instead of running them, then runs
them and the `#[test]` functions, each through `run_isolated` (its own set of
LLM mocks). **Choice:** outside `prism test` (`prism run`, an import from
Python) `test(..)` runs its body at once, prints `ok NAME`, and a failure
propagates as the error it is, so the program stops at the failing line.

A failed assertion is a PrismError with code `ASSERTION_FAILED` whose message
shows both values as they print inside arrays (strings quoted) and, when they
carry one, their confidence; the runner adds the `.prism` line.

`mock_llm` makes the `llm` calls of the running test (of the program, outside
tests) answer from the mocks, without a network; a prompt no mock covers is an
error (code `UNMOCKED_PROMPT`). The mocks live in a ContextVar, so concurrent
tests and tasks never see each other's. `llm.pyx` asks `mock_answer`.

Talks to `core` (equality, printing), `confidence` (value and confidence),
`errors` (PrismError) and `perf.call_sync` (running async bodies).
"""
from __future__ import annotations

import asyncio
import contextvars
import math
import threading
from contextlib import contextmanager
from typing import Optional

from prism_runtime.errors import PrismError

# Bodies registered by `test(..)` while `prism test` loads a file (None: run them at once).
_registry: Optional[list] = None
# The running test's LLM mocks: prompt -> (output, confidence); None: llm calls are real.
_mocks: contextvars.ContextVar = contextvars.ContextVar("prism_llm_mocks", default=None)


# ---------------------------------------------------------------- tests

def test(name, body):
    """Register a test (under `prism test`) or run it now (elsewhere)."""
    from prism_runtime.confidence import value_of
    name = str(value_of(name))
    if not callable(body):
        raise PrismError(f"test({name!r}, ..) needs a function as its body, not {_show(body)}",
                         code="TYPE_ERROR")
    if _registry is not None:
        _registry.append((name, body))
        return None
    run_isolated(body)
    print(f"ok {name}", flush=True)
    return None


@contextmanager
def collecting():
    """While active, `test(..)` registers (name, body) in the list this yields."""
    global _registry
    saved, _registry = _registry, []
    try:
        yield _registry
    finally:
        _registry = saved


def run_isolated(body):
    """Run a test body (awaiting it when it is async) with no LLM mocks until it calls mock_llm."""
    from prism_runtime.perf import call_sync
    token = _mocks.set(None)
    try:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return call_sync(body)
        # Called from async code (a module whose top level awaits): its loop is busy running
        # us, so an async body runs to completion on a thread of its own, in a copy of our context.
        outcome = {}
        context = contextvars.copy_context()

        def run():
            try:
                outcome["value"] = context.run(call_sync, body)
            except BaseException as exc:   # handed to the caller below
                outcome["error"] = exc
        thread = threading.Thread(target=run, name="prism-test")
        thread.start()
        thread.join()
        if "error" in outcome:
            raise outcome["error"]
        return outcome.get("value")
    finally:
        _mocks.reset(token)


# ---------------------------------------------------------------- assertions

def assert_eq(left, right, message=None):
    """Fails unless left == right (Prism equality: values, not confidences)."""
    from prism_runtime.confidence import value_of
    from prism_runtime.core import eq
    if not value_of(eq(left, right)):
        _fail("assert_eq", f"left {_show(left)}, right {_show(right)}", message)


def assert_ne(left, right, message=None):
    """Fails when left == right."""
    from prism_runtime.confidence import value_of
    from prism_runtime.core import eq
    if value_of(eq(left, right)):
        _fail("assert_ne", f"both are {_show(left)}", message)


def assert_near(left, right, tolerance=1e-9, message=None):
    """Fails unless |left - right| <= tolerance (numbers; NaN is near nothing)."""
    from prism_runtime.confidence import value_of
    a, b, tol = (value_of(x) for x in (left, right, tolerance))
    for x in (a, b, tol):
        if isinstance(x, bool) or not isinstance(x, (int, float)):
            raise PrismError(f"assert_near compares numbers, not {_show(x)}", code="TYPE_ERROR")
    difference = abs(a - b)
    if not difference <= tol:      # also true for NaN
        _fail("assert_near", f"left {_show(left)}, right {_show(right)} differ by {difference:.6g}, "
                             f"more than {tol:g}", message)


def _fail(what: str, detail: str, message) -> None:
    from prism_runtime.confidence import value_of
    text = f"{what} failed: {detail}"
    if message is not None:
        text += f" ({value_of(message)})"
    raise PrismError(text, code="ASSERTION_FAILED")


def _show(value) -> str:
    """A value as it prints inside an array (strings quoted), with its confidence below 1."""
    from prism_runtime.confidence import conf_of
    from prism_runtime.core import to_str
    text = to_str([value])[1:-1]
    c = conf_of(value)
    return text if c >= 1.0 else f"{text} (confidence {c:g})"


# ---------------------------------------------------------------- LLM mocks

def mock_llm(spec):
    """`mock_llm({input: .., output: .., confidence: ..})` or an array of such maps: the
    running test's `llm` calls answer `output` (confidence 1.0 unless given) to `input`."""
    from prism_runtime.confidence import value_of
    spec = value_of(spec)
    entries = spec if isinstance(spec, (list, tuple)) else [spec]
    mocks = _mocks.get()
    if mocks is None:                   # the first mock of this test (outside tests: of the program)
        mocks = {}
        _mocks.set(mocks)
    for entry in entries:
        entry = value_of(entry)
        if not isinstance(entry, dict) or "input" not in entry or "output" not in entry:
            raise PrismError("mock_llm takes {input: .., output: .., confidence: ..} (confidence optional)",
                             code="TYPE_ERROR")
        confidence = float(value_of(entry.get("confidence", 1.0)))
        if not 0.0 <= confidence <= 1.0 or math.isnan(confidence):
            raise PrismError(f"confidence {confidence} is outside [0, 1]", code="CONFIDENCE_ERROR")
        mocks[str(value_of(entry["input"]))] = (value_of(entry["output"]), confidence)
    return None


def mock_answer(prompt) -> Optional[tuple]:
    """(output, confidence) for `prompt` when mocks are active, None when they are not (the
    call is real); a prompt no mock covers is an error."""
    mocks = _mocks.get()
    if mocks is None:
        return None
    key = str(prompt)
    if key in mocks:
        return mocks[key]
    known = ", ".join(repr(k) for k in mocks) or "none"
    raise PrismError(f"no mock_llm answer for the prompt {key!r} (mocked prompts: {known})",
                     code="UNMOCKED_PROMPT")


def mocking() -> bool:
    return _mocks.get() is not None


__prism_default__ = test        # `import test from "std/test"` binds the function
__all__ = ["test", "assert_eq", "assert_ne", "assert_near", "mock_llm", "collecting", "run_isolated",
           "mock_answer", "mocking"]
