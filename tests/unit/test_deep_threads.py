"""`pipeline._deep` (the passes' large-stack thread) when several threads run it at once,
as the language server does: the process-wide settings it changes (recursion limit,
garbage collector, stack size of new threads) stay changed while any caller is inside
and come back exactly once the last one leaves."""
from __future__ import annotations

import gc
import sys
import threading

from transpiler import pipeline
from transpiler.front.diagnostics import CompileError

WAIT = 60


def _settings():
    return sys.getrecursionlimit(), gc.isenabled(), threading.stack_size()


def test_overlapping_callers_keep_the_settings_until_the_last_leaves():
    before = _settings()
    a_inside, a_release, b_inside, b_release = (threading.Event() for _ in range(4))
    seen = {}

    def a_work():
        a_inside.set()
        a_release.wait(WAIT)

    def b_work():
        b_inside.set()
        b_release.wait(WAIT)
        seen["b after a left"] = (sys.getrecursionlimit(), gc.isenabled())

    a = threading.Thread(target=pipeline._deep, args=(a_work,))
    b = threading.Thread(target=pipeline._deep, args=(b_work,))
    a.start()
    assert a_inside.wait(WAIT)
    b.start()
    assert b_inside.wait(WAIT)
    a_release.set()                     # A leaves first, while B is still inside
    a.join(WAIT)
    b_release.set()
    b.join(WAIT)
    assert seen["b after a left"] == (max(before[0], pipeline._PASS_RECURSION), False)
    assert _settings() == before


def test_nested_call_and_failure_restore_the_settings():
    before = _settings()

    def outer():
        return pipeline._deep(lambda: sys.getrecursionlimit()) + 1

    assert pipeline._deep(outer) == max(before[0], pipeline._PASS_RECURSION) + 1
    assert _settings() == before

    def too_deep(n):
        return too_deep(n + 1)

    try:
        pipeline._deep(too_deep, 0)
    except CompileError as err:
        assert "nested too deeply" in err.message
    else:
        raise AssertionError("expected a CompileError")
    assert _settings() == before

