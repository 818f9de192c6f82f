"""`prism run --debug`: an uncaught error prints the Prism call stack, innermost last, with
each frame's locals; without --debug the report is the one line it always was."""
from __future__ import annotations

PROGRAM = """
fn divide(a: int, b: int) -> float {
    let ratio = a / b
    return ratio
}

fn process(data: [int], n: int) {
    let label = "process"
    let total = 0
    for x in data {
        total += x
    }
    let weight = 0.5 ~> 0.8
    return divide(total, n)
}

let scores = [1, 2, 3]
print("start")
print(process(scores, 0))
"""


def test_uncaught_error_shows_the_call_stack_with_locals(prism):
    proc = prism(PROGRAM, "run", "--debug")
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == ["start"]
    assert proc.stderr.splitlines() == [
        "prog.prism:2: error: division by zero",
        "Prism call stack (innermost last):",
        "  prog.prism:18 in <top level>",
        "  prog.prism:13 in process",
        "      data = [1, 2, 3]",
        "      n = 0",
        '      label = "process"',
        "      total = 6",
        "      x = 3",
        "      weight = 0.5 (~0.8)",
        "  prog.prism:2 in divide",
        "      a = 6",
        "      b = 0",
    ]
    assert "Traceback" not in proc.stderr


def test_without_debug_the_error_is_one_line(prism):
    proc = prism(PROGRAM, "run")
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == ["prog.prism:2: error: division by zero"]
