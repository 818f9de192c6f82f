"""`prism lsp` driven over stdio by a real LSP client (pygls's), as an editor would:
diagnostics on open, change and save; hover, definition, references, completion,
document symbols, formatting and rename; features on the last clean version
while an edit does not parse; another .prism file reached through an import.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types as lsp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lsp_client import LspClient  # noqa: E402

PROGRAM = """\
import { helper } from "./util"

// Area of a rectangle; h defaults to 1.
fn area(w: float, h: float = 1.0) -> float ~0.9 {
    w * h
}

// A point in the plane.
struct Point {
    x: float,
    y: float,
    // Squared distance from the origin.
    fn norm(self) -> float {
        self.x * self.x + self.y * self.y
    }
}

fn main() {
    let p = Point.new(x: 3.0, y: 4.0)
    let guess = 42 ~> 0.8
    let xs = [1, 2, 3]
    let total = area(2.0, h: 3.0) + p.norm() + p.x
    print(total, guess, xs, helper(1))
}
"""

UTIL = """\
// Adds one.
fn helper(n: int) -> int {
    n + 1
}
"""


def _line(text: str, needle: str) -> tuple[int, int]:
    """(line, column) of the first occurrence of `needle`."""
    for i, line in enumerate(text.split("\n")):
        if needle in line:
            return i, line.index(needle)
    raise AssertionError(needle)


def at(needle: str, offset: int = 0, text: str = PROGRAM) -> tuple[int, int]:
    line, col = _line(text, needle)
    return line, col + offset


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("lsp")
    (root / "main.prism").write_text(PROGRAM)
    (root / "util.prism").write_text(UTIL)
    return root


@pytest.fixture(scope="module")
def client(prism_env, workspace):
    c = LspClient(env=prism_env, cwd=str(workspace))
    yield c
    c.stop()


@pytest.fixture(scope="module")
def main_uri(client, workspace):
    uri = client.open(workspace / "main.prism", PROGRAM)
    assert client.diagnostics(uri) == []
    return uri


# ---------------------------------------------------------------- diagnostics

def test_diagnostics_follow_edits(client, workspace):
    uri = client.open(workspace / "scratch.prism", "let count = 1\nprint(count)\n")
    assert client.diagnostics(uri) == []
    client.change(uri, "let count: int = \"a\"\nprint(count)\n")
    [diag] = client.diagnostics(uri)
    assert diag.severity == lsp.DiagnosticSeverity.Error and diag.source == "prism"
    assert diag.message == "type mismatch: expected int, found string"
    assert diag.range == lsp.Range(lsp.Position(0, 17), lsp.Position(0, 20))
    client.change(uri, "let count = 1\nprint(count +)\n")
    [diag] = client.diagnostics(uri)
    assert diag.message.startswith("unexpected ')'\nhelp: expected") and diag.range.start == lsp.Position(1, 13)
    client.change(uri, "let count = 1\nprint(count + 1)\n")
    assert client.diagnostics(uri) == []
    client.change(uri, "let count = 1\nprint(count +)\n")
    assert client.diagnostics(uri)
    published = len(client.published[uri])
    client.close(uri)                       # closing clears the file's diagnostics
    assert list(client.publication(uri, published).diagnostics) == []


_CHECK_LINE = re.compile(r"^(?P<path>.*?):(?P<line>\d+):(?P<col>\d+): (?P<kind>error|warning): (?P<msg>.*)$")


@pytest.mark.parametrize("name, source", [
    ("typed", "fn f(a: int) -> int { a }\nlet s: string = f(1)\n"),
    # An undefined name: an error, or (Prism v2) a warning with a help line; as prism check says.
    ("undefined", "let count = 1\nprint(cuont)\n"),
])
def test_diagnostics_match_prism_check(client, workspace, prism_env, name, source):
    path = workspace / f"{name}.prism"
    path.write_text(source)
    check = subprocess.run([sys.executable, "-m", "transpiler", "check", str(path)], env=prism_env,
                           capture_output=True, text=True)
    first = _CHECK_LINE.match(next(line for line in check.stderr.splitlines() if _CHECK_LINE.match(line)))
    help_line = next((line.split("= help: ", 1)[1] for line in check.stderr.splitlines() if "= help: " in line),
                     None)
    uri = client.open(path, source)
    [diag] = client.diagnostics(uri)
    severity = {"error": lsp.DiagnosticSeverity.Error, "warning": lsp.DiagnosticSeverity.Warning}
    assert diag.severity == severity[first["kind"]]
    assert (diag.range.start.line + 1, diag.range.start.character + 1) == (int(first["line"]), int(first["col"]))
    assert diag.message == first["msg"] + (f"\nhelp: {help_line}" if help_line else "")


def test_rapid_edits_publish_the_last_version(client, workspace):
    uri = client.open(workspace / "burst.prism", "let a = 1\n")
    client.diagnostics(uri)
    for k in range(20):
        client.change(uri, f"let a = {k}\nprint(b{k})\n")
    last = client.change(uri, "let a = 2\nprint(a)\n")
    assert client.diagnostics(uri, last) == []


def test_positions_are_utf16(client, workspace):
    uri = client.open(workspace / "emoji.prism", 'let s = "\U0001F600"; print(t)\n')
    [diag] = client.diagnostics(uri)
    # The emoji is one code point but two UTF-16 units: `t` is at code point 19, unit 20.
    assert diag.range == lsp.Range(lsp.Position(0, 20), lsp.Position(0, 21))


# ---------------------------------------------------------------- hover

def test_hover_variables_and_expressions(client, main_uri):
    assert "let p: Point" in client.hover(main_uri, *at("let p", 4))
    assert "let guess: int ~0.8" in client.hover(main_uri, *at("let guess", 4))
    assert "let xs: [int]" in client.hover(main_uri, *at("let xs", 4))
    assert "(parameter) w: float" in client.hover(main_uri, *at("w * h"))
    assert "(expression) float" in client.hover(main_uri, *at("p.norm()", 7))


def test_hover_function_with_confidence_and_comment(client, main_uri):
    text = client.hover(main_uri, *at("area(2.0"))
    assert "fn area(w: float, h: float = 1.0) -> float ~0.9" in text
    assert "Area of a rectangle; h defaults to 1." in text


def test_hover_struct_fields_and_methods(client, main_uri):
    text = client.hover(main_uri, *at("Point.new", 1))
    assert "struct Point {" in text and "x: float" in text and "fn norm(self) -> float" in text
    assert "A point in the plane." in text
    assert "(field) Point.x: float" in client.hover(main_uri, *at("+ p.x", 4))
    method = client.hover(main_uri, *at("p.norm()", 2))
    assert "fn Point.norm(self) -> float" in method and "Squared distance from the origin." in method


def test_hover_imported_function(client, main_uri):
    text = client.hover(main_uri, *at("helper(1)"))
    assert 'imported from "./util"' in text and "fn helper(n: int) -> int" in text and "Adds one." in text


def test_hover_builtin_and_runtime(client, workspace):
    uri = client.open(workspace / "rt.prism", "print(len([1]))\nlet m = llm\n")
    client.diagnostics(uri)
    assert "(builtin) fn len" in client.hover(uri, 0, 7)
    assert "(runtime) llm" in client.hover(uri, 1, 9)


# ---------------------------------------------------------------- navigation

def _target(result):
    loc = result[0] if isinstance(result, list) else result
    return loc.uri, loc.range.start.line, loc.range.start.character


@pytest.mark.parametrize("use, decl", [
    (("let total", 4), ("let total", 4)),                  # a local at its declaration
    (("print(total", 6), ("let total", 4)),                # a local
    (("w * h", 0), ("w: float", 0)),                       # a parameter
    (("area(2.0", 0), ("fn area", 3)),                     # a function
    (("Point.new", 0), ("struct Point", 7)),               # a struct
    (("+ p.x", 4), ("x: float", 0)),                       # a field
    (("new(x: 3.0", 4), ("x: float", 0)),                  # a field named in Point.new
    (("p.norm()", 2), ("fn norm", 3)),                     # a method
])
def test_definition(client, main_uri, use, decl):
    uri, line, col = _target(client.definition(main_uri, *at(*use)))
    assert uri == main_uri and (line, col) == at(*decl)


def test_definition_in_imported_file(client, main_uri, workspace):
    uri, line, col = _target(client.definition(main_uri, *at("helper(1)")))
    assert uri == client.uri(workspace / "util.prism") and (line, col) == (1, 3)


def test_references(client, main_uri):
    refs = client.references(main_uri, *at("let p", 4))
    assert sorted((r.range.start.line, r.range.start.character) for r in refs) == \
        sorted([at("let p", 4), at("+ p.norm", 2), at("+ p.x", 2)])
    without = client.references(main_uri, *at("let p", 4), include_declaration=False)
    assert len(without) == 2
    fields = client.references(main_uri, *at("x: float"))
    assert len(fields) == 5          # declared, Point.new(x:), self.x twice, p.x


def test_document_symbols(client, main_uri):
    symbols = client.symbols(main_uri)
    names = [(s.name, s.kind) for s in symbols]
    assert ("area", lsp.SymbolKind.Function) in names and ("Point", lsp.SymbolKind.Struct) in names
    point = next(s for s in symbols if s.name == "Point")
    assert [(c.name, c.kind) for c in point.children] == [
        ("x", lsp.SymbolKind.Field), ("y", lsp.SymbolKind.Field), ("norm", lsp.SymbolKind.Method)]
    assert point.selection_range.start == lsp.Position(*at("struct Point", 7))


# ---------------------------------------------------------------- completion

def _labels(items) -> set:
    return {item.label for item in items}


def test_completion_names_keywords_builtins(client, main_uri):
    labels = _labels(client.completion(main_uri, *at("print(total", 6)))
    assert {"total", "xs", "guess", "p", "area", "Point", "helper", "let", "match", "print", "llm"} <= labels


def test_completion_after_dot(client, workspace):
    uri = client.open(workspace / "dot.prism", PROGRAM)
    assert client.diagnostics(uri) == []
    line = _line(PROGRAM, "print(total")[0] + 1
    for typed, expected in [("p.", {"x", "y", "norm"}), ("llm.", {"generate", "generate_batch"}),
                            ("xs.", {"push", "map", "length"}), ("Point.", {"new"})]:
        # The user has just typed `p.` at the end of main: the text does not parse.
        source = PROGRAM.replace("helper(1))\n}", f"helper(1))\n    {typed}\n}}")
        client.change(uri, source)
        assert client.diagnostics(uri)
        assert expected <= _labels(client.completion(uri, line, 4 + len(typed)))


# ---------------------------------------------------------------- after a syntax error

def test_features_survive_a_syntax_error(client, workspace):
    uri = client.open(workspace / "broken.prism", PROGRAM)
    assert client.diagnostics(uri) == []
    broken = "let oops = (\n\n" + PROGRAM             # two lines pushed in at the top
    client.change(uri, broken)
    assert client.diagnostics(uri)
    assert "let p: Point" in client.hover(uri, *at("let p", 4, broken))
    _, line, col = _target(client.definition(uri, *at("area(2.0", 0, broken)))
    assert (line, col) == at("fn area", 3, broken)
    assert "Point" in [s.name for s in client.symbols(uri)]


# ---------------------------------------------------------------- editing

def test_formatting(client, workspace):
    uri = client.open(workspace / "messy.prism", "fn  f( a:int )->int{a*2}\nprint(f(1))")
    client.diagnostics(uri)
    [edit] = client.formatting(uri)
    assert edit.new_text == "fn f(a: int) -> int { a * 2 }\nprint(f(1))\n"


def test_rename_local_and_top_level(client, workspace):
    uri = client.open(workspace / "rename.prism", PROGRAM)
    assert client.diagnostics(uri) == []
    prepared = client.prepare_rename(uri, *at("let total", 4))
    assert prepared.placeholder == "total"
    edit = client.rename(uri, *at("let total", 4), "sum")
    assert sorted((e.range.start.line, e.range.start.character) for e in edit.changes[uri]) == \
        sorted([at("let total", 4), at("print(total", 6)])
    edits = client.rename(uri, *at("fn area", 3), "surface").changes[uri]
    assert len(edits) == 2 and all(e.new_text == "surface" for e in edits)
    with pytest.raises(Exception, match="not a valid Prism name"):
        client.rename(uri, *at("let total", 4), "let")
    with pytest.raises(Exception, match="'xs' is already declared"):
        client.rename(uri, *at("let total", 4), "xs")
