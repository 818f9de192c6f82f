"""The Pygments lexer: no Error token on any valid program, and found by name and by
file name through the `pygments.lexers` entry point.

Valid programs: every program in tests/cases and samples/ that parses, every
```prism block of docs/, and (when ../shared is there) the original authors'
examples, which use Prism v2 syntax.
"""
from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pygments.token import Error, Keyword, Name, Operator, String

from transpiler.tools.pygments_lexer import PrismLexer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import REPO, ids, valid_programs  # noqa: E402

ORIGIN_EXAMPLES = REPO.parent / "shared" / "origin-examples"
VALID = valid_programs("tests/cases", "samples", "bench")


def _doc_blocks() -> list:
    blocks = []
    for doc in sorted((REPO / "docs").glob("*.md")):
        for k, m in enumerate(re.finditer(r"```prism\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)):
            blocks.append(pytest.param(m.group(1), id=f"{doc.name}#{k}"))
    return blocks


def _errors(text: str) -> list:
    return [value for kind, value in PrismLexer().get_tokens(text) if kind in Error]


@pytest.mark.parametrize("path", VALID, ids=ids(VALID))
def test_no_error_token_in_programs(path):
    assert _errors(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("text", _doc_blocks())
def test_no_error_token_in_doc_blocks(text):
    assert _errors(text) == []


def test_no_error_token_in_origin_examples():
    if not ORIGIN_EXAMPLES.is_dir():
        pytest.skip("../shared/origin-examples is not present beside the repository")
    files = sorted(ORIGIN_EXAMPLES.rglob("*.prism"))
    assert files
    for path in files:
        assert _errors(path.read_text(encoding="utf-8")) == [], path.name


def test_an_invalid_program_does_show_an_error():
    assert _errors('let s = "unterminated\n') == ['"']


def _kinds(text: str) -> list:
    return [(kind, value) for kind, value in PrismLexer().get_tokens(text) if value.strip()]


def test_token_classes():
    kinds = dict((v, k) for k, v in _kinds(
        "fn area(w: float) -> float ~0.9 { let t = `n=${w}`; $p #$q Type::new(w ~> 0.5, <~ w) }\n"
        "trait Shape { }\nimpl Shape for P { }"))
    assert kinds["fn"] in Keyword and kinds["area"] in Name.Function
    assert kinds["float"] in Keyword.Type and kinds["let"] in Keyword
    assert kinds["~"] in Operator and kinds["~>"] in Operator and kinds["<~"] in Operator
    assert kinds["${"] in String.Interpol and kinds["trait"] in Keyword and kinds["impl"] in Keyword
    assert kinds["Shape"] in Name
    assert kinds["::"] in Operator and kinds["$"] in String.Interpol and kinds["#$"] in String.Interpol


def test_soft_keywords_only_where_they_are_keywords():
    kinds = _kinds("let low = 1\nuncertain if x { } low { }\ncontext.current()")
    assert kinds[1] == (Name, "low")
    assert (Keyword, "uncertain") in kinds and kinds.count((Keyword, "low")) == 1
    assert (Name, "context") in kinds


def _entry_point_installed() -> bool:
    return bool(importlib.metadata.entry_points(group="pygments.lexers", name="prism"))


def test_registered_with_pygments():
    if not _entry_point_installed():
        pytest.skip("the installed package metadata predates the pygments.lexers entry point "
                    "(reinstall with pip install -e .)")
    from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
    assert isinstance(get_lexer_by_name("prism"), PrismLexer)
    assert isinstance(get_lexer_for_filename("tour.prism"), PrismLexer)


def test_pygmentize_command():
    """`pygmentize -l prism`, run as `python -m pygments` so that it is this interpreter's."""
    if not _entry_point_installed():
        pytest.skip("the installed package metadata predates the pygments.lexers entry point "
                    "(reinstall with pip install -e .)")
    out = subprocess.run([sys.executable, "-m", "pygments", "-l", "prism", "-f", "html",
                          str(REPO / "samples" / "tour.prism")],
                         capture_output=True, text=True, check=True).stdout
    assert '<span class="kd">fn</span>' in out and 'class="err"' not in out
