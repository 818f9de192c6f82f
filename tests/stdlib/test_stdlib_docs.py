"""Every example of docs/stdlib.md runs and prints what the page says, and every function of
the standard library has one.

Each ```prism block is a whole program, run (`prism run -O0`, or `prism test` when an HTML
comment `<!-- command: test -->` precedes it) in a fresh directory holding `data.txt`, with
the loopback LLM server configured and `http://localhost:8000` replaced by the loopback HTTP
server's address. The ```text block after it is the expected stdout, and a ```stderr block
after that the expected stderr (the directory's path removed).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "stdlib.md"
_BLOCK = re.compile(r"^(?:<!-- command: (\w+) -->\n)?```(\w*)\n(.*?)^```\n", re.M | re.S)


def doc_examples() -> list:
    """(heading, command, program, stdout, stderr or None) for each prism block, in order."""
    text = DOC.read_text()
    examples, heading = [], None
    blocks = []
    for m in re.finditer(r"^(#+ [^\n]*)$|" + _BLOCK.pattern, text, re.M | re.S):
        if m.group(1):
            heading = m.group(1).lstrip("#").strip()
        else:
            blocks.append((heading, m.group(2) or "run", m.group(3), m.group(4)))
    for i, (heading, command, lang, body) in enumerate(blocks):
        if lang != "prism":
            continue
        following = blocks[i + 1:i + 3]
        assert following and following[0][2] == "text", f"the example under {heading!r} has no output block"
        stderr = following[1][3] if len(following) > 1 and following[1][2] == "stderr" else None
        examples.append((heading, command, body, following[0][3], stderr))
    return examples


EXAMPLES = doc_examples()

# Every public function and method of the standard library, and where it lives.
FUNCTIONS = {
    "std/core": ["Ok(", "Error(", ".is_ok(", ".is_error(", ".unwrap(", ".unwrap_or(", ".unwrap_error(",
                 ".error(", "List.new(", "Map.new(", "string(", "int(", "float(", "bool("],
    "std/utils": ["parse_json(", "stringify(", "read_file(", "write_file(", "delay(", "timeout("],
    "std/http": ["http.get(", "http.post(", "http.put(", "http.delete(", "http.request(", ".json(", ".status",
                 ".headers", ".text", ".ok"],
    "std/llm": ["llm.classify(", "llm.embedding(", "Conversation.new(", ".add_message(", ".get_response(",
                ".messages", ".clear(", "Model.new(", "llm.complete_with_config("],
    "std/test": ["test(", "#[test]", "assert_eq(", "assert_ne(", "assert_near(", "mock_llm("],
}


def test_every_function_has_an_example():
    programs = "\n".join(program for _, _, program, _, _ in EXAMPLES)
    missing = [f"{module}: {name}" for module, names in FUNCTIONS.items() for name in names if name not in programs]
    assert not missing, "no example in docs/stdlib.md uses " + ", ".join(missing)


@pytest.mark.parametrize("heading, command, program, stdout, stderr", EXAMPLES,
                         ids=[f"{i:02d}-{e[0]}" for i, e in enumerate(EXAMPLES)])
def test_example_prints_what_the_page_says(heading, command, program, stdout, stderr, tmp_path, run_prism,
                                           http_server, llm_server):
    (tmp_path / "data.txt").write_text("some data\n")
    proc = run_prism(program.replace("http://localhost:8000", http_server.url), command=command, llm=llm_server)
    assert proc.stdout == stdout, proc.stderr
    if stderr is not None:
        assert proc.stderr.replace(str(tmp_path) + "/", "") == stderr
    else:
        assert proc.returncode == 0, proc.stderr
