"""std/test run by `prism test` (registered `test(..)` bodies, then `#[test]` functions) and by
`prism run` (bodies run at once), with failures that show both values and the line."""
from __future__ import annotations

SUITE = '''import test from "std/test"

test("addition works", () => {
    assert_eq(1 + 1, 2)
})

test("close enough", () => {
    assert_near(0.1 + 0.2, 0.3, 0.001)
})

test("too far", () => {
    assert_near(1.0, 1.5, 0.1)
})

#[test]
fn strings_differ() {
    assert_ne("a", "b")
    assert_eq("x" + 1, "x2")
}

#[test]
async fn awaits() {
    await sleep(1)
    assert_eq([1, 2], [1, 2])
}
'''


def test_prism_test_runs_registered_and_marked_tests(run_prism):
    proc = run_prism(SUITE, command="test")
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == ["ok main::addition works", "ok main::close enough", "ok main::awaits",
                                        "3 passed, 2 failed"]
    failures = proc.stderr.splitlines()
    assert failures[0] == "FAILED main::too far: assert_near failed: left 1.0, right 1.5 differ by 0.5, more than 0.1"
    assert failures[1].endswith("main.prism:12")
    assert failures[2] == "FAILED main::strings_differ: assert_eq failed: left 'x1', right 'x2'"
    assert failures[3].endswith("main.prism:18")


AWAITING_TOP_LEVEL = '''await sleep(1)
test("async body from an awaiting top level", async () => {
    await sleep(1)
    assert_eq(2 * 2, 4)
})
print("done")
'''


def test_prism_run_runs_an_async_test_body_from_an_awaiting_top_level(run_prism):
    proc = run_prism(AWAITING_TOP_LEVEL)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["ok async body from an awaiting top level", "done"]
