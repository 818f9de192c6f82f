"""The calls of the original documentation's standard-library page (shared/origin-docs/stdlib.md)
that issue 18 lists compile and run.

Each ```prism block becomes a program: the block verbatim, then, where it only declares
functions or leaves its values unused, a driver that calls them and prints what they give,
checked against what the page's own words promise. LLM and HTTP calls go to loopback servers.
One adjustment: the "Medical Module Example" imports a module the page does not provide
(`./examples/medical`) and the issue does not list it, so it is skipped. (The "Async
Utilities" block's `timeout(async { .. }, 5000)` runs as written: `async { }` is an
expression whose value is the started task.)
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The original documentation sits beside the checkout; a fresh clone has none.
DOC = ROOT.parent / "shared" / "origin-docs" / "stdlib.md"
if not DOC.is_file():
    pytest.skip(f"the original documentation is not beside this checkout ({DOC} is missing; a fresh clone "
                "has none), so its snippets cannot be run", allow_module_level=True)

SKIPPED = {"Medical Module Example": "imports ./examples/medical, which the page does not provide; "
                                     "issue 18 does not list it"}

# heading -> (driver appended to the snippet, lines its output must contain, in order)
DRIVERS = {
    "Basic Types and Operations": ('print(length, upper, sum, product)', ["5 HELLO 3 6.28"]),
    "Collections": ('print(list, map)', ["[1, 2, 3] {'key': 'value'}"]),
    "JSON Handling": ('print(obj.name, str)', ['Prism {"name": "Prism"}']),
    "File Operations": ('print(content.trim())\nprint(await read_file("output.txt"))', ["some data", "Hello"]),
    "Basic LLM Operations": ('print(await generate_text("Hello"))\nprint(await classify_text("stocks fell"))',
                             ["echo: Hello", "echo"]),
    "Advanced LLM Features": ('print(response)\nprint(chat.length)', ["echo: Hello!", "2"]),
    "HTTP Module": ('let r = await fetch_data("BASE/json")\nprint(r.status, r.json().name)\n'
                    'let p = await post_data("BASE/echo", {a: 1})\nprint(p.json().body)',
                    ["200 Prism", '{"a": 1}']),
    "Error Handling": ('print(divide(1, 2), divide(1, 0))\n'
                       'match divide(3, 0) {\n    Ok(v) => print(v),\n    Error(e) => print("error:", e),\n}',
                       ["Ok(0.5) Error('Division by zero')", "error: Division by zero"]),
    "Async Utilities": ('await with_timeout()\nprint("finished in time")', ["finished in time"]),
    "Testing Module": ("", ["ok addition works"]),
}


def origin_snippets() -> list:
    text = DOC.read_text()
    snippets, heading = [], None
    for m in re.finditer(r"^(#+ [^\n]*)$|^```(\w*)\n(.*?)^```", text, re.M | re.S):
        if m.group(1):
            heading = m.group(1).lstrip("#").strip()
        elif m.group(2) == "prism":
            snippets.append((heading, m.group(3)))
    return snippets


SNIPPETS = origin_snippets()


def test_the_page_has_the_snippets_we_expect():
    assert sorted(h for h, _ in SNIPPETS) == sorted(list(DRIVERS) + list(SKIPPED))


@pytest.mark.parametrize("heading, code", SNIPPETS, ids=[h for h, _ in SNIPPETS])
def test_origin_snippet_runs(heading, code, tmp_path, run_prism, http_server, llm_server):
    if heading in SKIPPED:
        pytest.skip(SKIPPED[heading])
    driver, expected = DRIVERS[heading]
    (tmp_path / "data.txt").write_text("some data\n")
    program = code + "\n// ---- driver\n" + driver.replace("BASE", http_server.url) + "\n"
    proc = run_prism(program, llm=llm_server)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    positions = [lines.index(line) if line in lines else -1 for line in expected]
    assert -1 not in positions and positions == sorted(positions), proc.stdout


def test_the_testing_snippet_runs_under_prism_test(run_prism):
    code = dict(SNIPPETS)["Testing Module"]
    proc = run_prism(code, command="test")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["ok main::addition works", "1 passed, 0 failed"]
