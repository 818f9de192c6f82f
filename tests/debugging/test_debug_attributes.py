"""`#[confidence_break(..)]` (log, and pause in a pseudo-terminal) and the context tracing
attributes `#[trace_context_transitions]`, `#[trace_context(..)]`."""
from __future__ import annotations

import sys

import pytest
from conftest import lines_tagged

BREAK = """
fn risky(x: float) ~0.7 {
    return x
}

#[confidence_break(threshold: 0.5, message: "Low confidence detected", action: "ACTION")]
fn process(v: float) {
    let a = risky(v) ~> 0.9
    let b = a ~> 0.6
    let fine = 1.0
    return b
}

print(process(2.0))
print("after")
"""


def test_confidence_break_logs_each_value_below_the_threshold(prism):
    proc = prism(BREAK.replace("ACTION", "log"), "run")         # a release build: log works there too
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["2.0", "after"]
    assert lines_tagged(proc.stderr, "break") == [
        "[break] prog.prism:8: confidence 0.378 < 0.5 in process: b = 2.0 (~0.378): Low confidence detected",
        "[break] prog.prism:10: confidence 0.378 < 0.5 in process: its result = 2.0 (~0.378): "
        "Low confidence detected",
    ]


def test_pause_without_a_terminal_writes_the_record_and_goes_on(prism):
    proc = prism(BREAK.replace("ACTION", "pause"), "run", "--debug")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["2.0", "after"]
    assert len(lines_tagged(proc.stderr, "break")) == 2


def test_pause_opens_a_prompt_in_the_frame_in_a_pseudo_terminal(tmp_path, prism_env):
    pexpect = pytest.importorskip("pexpect", reason="the pseudo-terminal test drives the program with pexpect")
    (tmp_path / "prog.prism").write_text(BREAK.lstrip().replace("ACTION", "pause"))
    child = pexpect.spawn(sys.executable, ["-m", "transpiler", "run", "--debug", "prog.prism"], cwd=str(tmp_path),
                          env=prism_env, encoding="utf-8", timeout=240)
    try:
        child.expect(r"\(prism pause\) ")
        assert "paused at prog.prism:8: confidence 0.378 < 0.5 in process: b = 2.0 (~0.378)" in child.before
        child.sendline("a")
        child.expect(r"\(prism pause\) ")
        assert "2.0 (~0.63)" in child.before
        child.sendline(":locals")
        child.expect(r"\(prism pause\) ")
        assert "v = 2.0" in child.before and "a = 2.0 (~0.63)" in child.before and "b = 2.0 (~0.378)" in child.before
        assert "fine =" not in child.before                # declared after the breakpoint's line
        child.sendline(":continue")
        child.expect(r"\(prism pause\) ")                 # the second value below: the result
        assert "its result" in child.before
        child.sendeof()
        child.expect(pexpect.EOF)
        assert "2.0\r\nafter" in child.before
    finally:
        child.close(force=True)
    assert child.exitstatus == 0


TRACED = """
#[trace_context(transitions: true, stack: true, variables: true)]
fn workflow() {
    in context Validation {
        let checked = 0.9 ~> 0.9
        in context Inner {
            let y = 1
        }
    } shift to Processing {
        let done = true
    }
}

#[trace_context_transitions]
fn process_workflow() {
    in context A {
        print("in A")
    } shift to B {
        print("in B")
    }
}

workflow()
process_workflow()
"""


def test_context_tracing_attributes_log_every_transition(prism):
    proc = prism(TRACED, "run")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["in A", "in B"]
    lines = [_without_times(line) for line in lines_tagged(proc.stderr, "trace")]
    assert lines == [
        "[trace] prog.prism:3 (workflow): enter Validation (depth 1, confidence 1); stack: Validation",
        "[trace] prog.prism:5 (workflow): enter Inner (depth 2, confidence 1); stack: Validation > Inner",
        "[trace] prog.prism:7 (workflow): variables of Inner as it ends: y = 1",
        "[trace] prog.prism:7 (workflow): leave Inner after T ms, confidence 1; stack: Validation",
        "[trace] prog.prism:8 (workflow): variables of Validation as it ends: checked = 0.9 (~0.9)",
        "[trace] prog.prism:8 (workflow): shift Validation -> Processing (depth 1); Validation lasted T ms, "
        "confidence 0.9; stack: Processing",
        "[trace] prog.prism:10 (workflow): variables of Processing as it ends: done = true",
        "[trace] prog.prism:10 (workflow): leave Processing after T ms, confidence 1; stack: (empty)",
        "[trace] prog.prism:15 (process_workflow): enter A (depth 1, confidence 1)",
        "[trace] prog.prism:17 (process_workflow): shift A -> B (depth 1); A lasted T ms, confidence 1",
        "[trace] prog.prism:19 (process_workflow): leave B after T ms, confidence 1",
    ]


def _without_times(line: str) -> str:
    import re
    return re.sub(r"\d+\.\d{3} ms", "T ms", line)


@pytest.mark.parametrize("attribute, message", [
    ("#[confidence_break(message: \"m\")]", "confidence_break needs a threshold"),
    ("#[confidence_break(0.5, action: \"stop\")]", "confidence_break action must be \"pause\" or \"log\""),
    ("#[confidence_break(limit: 0.5)]", "confidence_break has no argument 'limit'"),
    ("#[trace_context(colour: true)]", "trace_context has no argument 'colour'"),
])
def test_attribute_mistakes_are_compile_errors(prism, attribute, message):
    proc = prism(f"{attribute}\nfn f() {{\n    return 1\n}}\nf()\n", "run")
    assert proc.returncode == 1
    assert f"prog.prism:1:" in proc.stderr and message in proc.stderr
    assert "Traceback" not in proc.stderr
