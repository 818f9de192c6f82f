"""`prism profile --confidence` (tables and the SVG chart) and `prism analyze --context`."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

PROFILED = """
fn validate(s: string) ~0.9 {
    return s + "!"
}

fn score(x: float) -> float ~0.8 {
    return x * 0.5
}

let v = validate("input") ~> 0.8
let total = 0.0
for i in 0..4 {
    total = total + score(i * 1.0)
}
print(total)
"""


def test_profile_confidence_tables_and_chart(prism, tmp_path):
    proc = prism(PROFILED, "profile", "--confidence", "-o", "conf.svg")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.splitlines()
    assert out[0] == "3.0"                                  # the program's own output first
    functions = out[out.index("Confidence by function (worst first):") + 2:out.index("")]
    # score loses 0.2 four times (0.8); the top level 0.18 at line 9 and 0.39 in the sum at line 12.
    assert [row.split()[:2] for row in functions] == [["prog.prism:", "score"], ["prog.prism:", "<top"],
                                                      ["prog.prism:", "validate"]]
    by_line = out[out.index("Confidence by line (worst first):") + 2:]
    rows = {row.split()[0]: row.split()[1:] for row in by_line}
    assert rows["prog.prism:6"] == ["4", "0.8000", "0.8000", "0.8000"]      # 4 results x 0.2 lost
    assert rows["prog.prism:9"] == ["1", "0.7200", "0.7200", "0.1800"]
    assert rows["prog.prism:2"] == ["1", "0.9000", "0.9000", "0.1000"]
    assert rows["prog.prism:12"][0] == "4"
    svg = ET.parse(tmp_path / "conf.svg").getroot()
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text") if t.text]
    for label in ("confidence lost", "mean confidence", "prog.prism:6", "prog.prism:9"):
        assert label in texts


ANALYZED = """
fn process_data() {
    in context Inner {
        print("working")
    }
}

let y = 0
in context A {
    let x = 1
    y = 2
    process_data()
} shift to B {
    in context C {
        print(1)
    }
}
print(x)
print(y)
"""


def test_analyze_context_report(prism):
    proc = prism(ANALYZED, "analyze", "--context", "--json")
    assert proc.returncode == 1                             # a value used after its context: a problem
    report = json.loads(proc.stdout)
    assert [(e["source"], e["target"], e["kind"], e["line"]) for e in report["edges"]] == [
        ("(start)", "A", "start", 8), ("A", "Inner", "call process_data", 11), ("A", "B", "shift", 12),
        ("B", "C", "nested", 13), ("(caller of process_data)", "Inner", "entry", 2)]
    assert [(f["line"], f["message"]) for f in report["leaks"]] == [
        (17, "`x` is declared in context A (line 9) and used after that block ends; it is undefined there")]
    assert [f["line"] for f in report["escapes"]] == [18]
    assert report["stray_shifts"] == []
    text = prism(ANALYZED, "analyze", "--context")
    assert "  A -> B" in text.stdout and "1 problem found" in text.stdout
    dot = prism(ANALYZED, "analyze", "--context", "--dot")
    assert '"A" -> "B" [label="shift"];' in dot.stdout


def test_analyze_context_names_a_stray_shift(prism):
    proc = prism("in context A {\n    print(1)\n}\nlet z = 1\nshift to B {\n    print(2)\n}\n", "analyze", "--context")
    assert proc.returncode == 1
    assert "prog.prism:5: `shift to B` has no enclosing `in context`" in proc.stdout


def test_analyze_context_clean_program(prism):
    proc = prism("in context A {\n    print(1)\n} shift to B {\n    print(2)\n}\n", "analyze", "--context")
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.rstrip().endswith("no problems found")
