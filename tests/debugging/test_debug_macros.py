"""The debug macros: what they print in a debug build, and that a release build has none of them.

`debug!`, `debug_confidence!` (with the chain of factors that made a confidence),
`debug_context!` and `debug_llm!` print to stderr with `file:line` in a debug build
(`prism run --debug`); in a release build they compile to nothing: no tracer, no
call, their arguments not evaluated (docs/debugging.md).
"""
from __future__ import annotations

from conftest import lines_tagged

from transpiler.pipeline import transpile

PROGRAM = """
import debug from "std/debug"

fn validate(s: string) ~0.9 {
    return s + "!"
}

fn loud(label: string) {
    print("evaluated " + label)
    return label
}

let x = 42
debug!("Value of x: {}, twice {}", x, x * 2)
debug!({ level: "error", context: "validation", confidence: 0.8, message: "Validation failed" })
debug!(loud("argument"))
let checked = validate("input") ~> 0.8
let both = checked + (" more" ~> 0.5)
debug_confidence!("Validation confidence", checked)
debug_confidence!("both", both)
in context DataProcessing {
    in context Inner {
        debug_context!("Variable x scope", x)
    }
}
debug_context!()
debug_llm!("Starting generation")
print("done")
"""


def test_debug_build_prints_each_macro_with_its_place(prism):
    proc = prism(PROGRAM, "run", "--debug")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["evaluated argument", "done"]
    records = lines_tagged(proc.stderr, "debug")
    assert records[0] == "[debug] prog.prism:13: Value of x: 42, twice 84"
    assert records[1] == ('[debug] prog.prism:14: level=error context=validation confidence=0.8 '
                          'message="Validation failed"')
    assert records[2] == "[debug] prog.prism:15: argument"      # a string first: the message itself
    # The factor chain: which `~c` function and which `~>` lowered it, with their lines.
    assert records[3].splitlines() == [
        '[debug] prog.prism:18: Validation confidence: confidence 0.72 (value "input!")',
        "    x 0.9  fn validate ~0.9  at prog.prism:4",
        "    x 0.8  `validate(\"input\") ~> 0.8`  at prog.prism:16",
    ]
    # An operation keeps both operands' steps.
    assert records[4].splitlines() == [
        '[debug] prog.prism:19: both: confidence 0.36 (value "input! more")',
        "    x 0.9  fn validate ~0.9  at prog.prism:4",
        "    x 0.8  `validate(\"input\") ~> 0.8`  at prog.prism:16",
        "    x 0.5  `\" more\" ~> 0.5`  at prog.prism:17",
    ]
    stack = records[5].splitlines()
    assert stack[0] == "[debug] prog.prism:22: Variable x scope: context stack (innermost last):"
    assert stack[1].startswith("    DataProcessing  confidence 1  for ") and stack[1].endswith("prog.prism:20")
    assert stack[2].startswith("    Inner  confidence 1  for ") and stack[2].endswith("prog.prism:21")
    assert stack[3] == "    value 42 in context Inner"
    assert records[6] == "[debug] prog.prism:25: no context is current"
    assert records[7] == "[debug] prog.prism:26: Starting generation: no LLM call yet"
    assert len(records) == 8


def test_release_build_has_no_debug_macro(prism):
    proc = prism(PROGRAM, "run")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["done"]          # loud("argument") never ran
    assert "[debug]" not in proc.stderr


def test_release_code_holds_no_tracer_and_no_macro_call():
    release = transpile(PROGRAM.encode(), "prog.prism", "prog").pyx
    debug = transpile(PROGRAM.encode(), "prog.prism", "prog", debug=True).pyx
    for word in ("prism_runtime.trace", "_ptrace", "macro(", "loud(u'argument')", "loud('argument')"):
        assert word not in release
    assert "cimport prism_runtime.trace as _tr" in debug
    assert "_ptrace.macro('debug_confidence', " in debug


def test_a_debug_macro_is_null_where_a_value_is_expected(prism):
    proc = prism("""
        let a = debug!("inside")
        print(a)
    """, "run", "--debug")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["null"]
    assert lines_tagged(proc.stderr, "debug") == ["[debug] prog.prism:1: inside"]
