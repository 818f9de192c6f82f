"""Typed stubs (`.pyi`) of compiled modules: what prismc, `--emit pyi` and the import hook's
cache write, checked by reading them, by mypy and pyright on Python code that uses the
module, and against the compiled module itself (what a stub rejects, the module rejects).

Talks to: `prismc` (`python -m transpiler.tools.cli_prismc`), the import hook, `transpiler.back.stubs`
(the type mapping, for kinds the compiler does not have yet), mypy and pyright (conftest).
"""
from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from typecheckers import error_lines, pyright, run_mypy, run_pyright  # noqa: F401 (pyright: a fixture)

REPO = Path(__file__).resolve().parents[2]

SHAPES = """\
// Shapes for the stub tests.

import { sqrt } from "math"

// A point in the plane.
struct Point {
    // Horizontal position.
    x: float,
    y: float = 0.0,

    // Distance to the origin.
    fn norm(self) -> float { sqrt(self.x * self.x + self.y * self.y) }
}

const ORIGIN_NAME = "origin"
let scale = 2

// Adds b to a.
fn add(a: int, b: int = 2) -> int { a + b }

fn guess(x: float) ~0.9 { x * 2.0 }

fn total(points: [Point]) -> float {
    let sum = 0.0
    for p in points { sum += p.norm() }
    return sum
}

fn greet(name: string = "you") -> string { "hello " + name }

fn echo(v) { v }
"""

GOOD_USE = """\
from prism_runtime.confidence import Conf
import shapes

p = shapes.Point(3.0, 4)
q = shapes.Point.new(x=1.0)
n: float = p.norm() + q.y
s: int = shapes.add(1) + shapes.add(1, b=5)
g = shapes.guess(1.5)
c: float = g.confidence if isinstance(g, Conf) else 1.0
t: float = shapes.total([p, q])
h: str = shapes.greet() + "/" + shapes.greet("me")
e = shapes.echo([1, "a"])
k: int = shapes.scale * 2
name: str = shapes.ORIGIN_NAME
print(n, s, float(g), c, t, h, e, k, name)
"""
GOOD_OUTPUT = "5.0 9 3.0 0.9 6.0 hello you/hello me [1, 'a'] 4 origin"

# Each call below is wrong; the stub says so at that line (and the module agrees at run time).
BAD_USE = """\
import shapes

shapes.add("1")
shapes.Point("x")
shapes.Point(1.0).norm(2)
shapes.total([1.0])
label: str = shapes.add(1)
shapes.nothing_here
"""
BAD_LINES = {3, 4, 5, 6, 7, 8}


def run(args, cwd, **env_extra):
    env = dict(os.environ, PRISM_CACHE_DIR=str(cwd / ".prism-cache"),
               PYTHONPATH=os.pathsep.join([str(cwd), str(REPO), os.environ.get("PYTHONPATH", "")]))
    env.update(env_extra)
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> Path:
    """A folder holding shapes.prism compiled by prismc (module and stub), good.py and bad.py."""
    folder = tmp_path_factory.mktemp("stubs")
    (folder / "shapes.prism").write_text(SHAPES)
    proc = run([sys.executable, "-m", "transpiler.tools.cli_prismc", "-O0", "shapes.prism"], folder)
    assert proc.returncode == 0, proc.stderr
    (folder / "good.py").write_text(GOOD_USE)
    (folder / "bad.py").write_text(BAD_USE)
    return folder


def test_prismc_writes_the_stub_beside_the_module(compiled):
    stub = (compiled / "shapes.pyi").read_text()
    ast.parse(stub)
    expected = [
        '"""Shapes for the stub tests."""',
        'from prism_runtime.confidence import Conf',
        'class Point:\n    """A point in the plane."""\n    x: float\n    """Horizontal position."""\n    y: float\n',
        '    def __init__(self, x: float, y: float = 0.0) -> None: ...\n',
        '    def new(cls, x: float, y: float = 0.0) -> Point: ...\n',
        '    def norm(self) -> float:\n        """Distance to the origin."""\n',
        'ORIGIN_NAME: Final[str]\nscale: int\n',
        'def add(a: int, b: int = 2) -> int:\n    """Adds b to a."""\n',
        'def guess(x: float) -> float | Conf[float]: ...\n',
        'def total(points: list[Point]) -> float: ...\n',
        "def greet(name: str = 'you') -> str: ...\n",
        'def echo(v: Any) -> Any: ...\n',
    ]
    for text in expected:
        assert text in stub, f"{text!r} not in the stub:\n{stub}"
    assert "sqrt" not in stub          # imports are the module's business, not its API


def test_the_module_behaves_as_its_stub_says(compiled):
    good = run([sys.executable, "good.py"], compiled)
    assert good.stdout.strip() == GOOD_OUTPUT, good.stderr
    # The calls the stub rejects (but the annotation-only one) fail at run time too.
    script = "import shapes\n" + "".join(
        f"try:\n    {line}\nexcept (TypeError, AttributeError) as e:\n    print(type(e).__name__)\n"
        for line in BAD_USE.splitlines()[2:] if not line.startswith("label"))
    bad = run([sys.executable, "-c", script], compiled)
    assert bad.stdout.split() == ["TypeError", "TypeError", "TypeError", "TypeError", "AttributeError"], bad.stderr


def test_mypy_accepts_correct_uses_and_reports_wrong_ones_at_their_line(compiled):
    good = run_mypy(["good.py"], compiled, mypy_path=REPO)
    assert good.returncode == 0, good.stdout + good.stderr
    bad = run_mypy(["bad.py"], compiled, mypy_path=REPO)
    assert error_lines("mypy", bad.stdout, compiled / "bad.py") == BAD_LINES, bad.stdout + bad.stderr
    assert 'Argument 1 to "add" has incompatible type "str"; expected "int"' in bad.stdout


def test_pyright_accepts_correct_uses_and_reports_wrong_ones_at_their_line(compiled, pyright):
    good = run_pyright(pyright, ["good.py"], compiled, python=sys.executable, extra_paths=[REPO])
    assert good.returncode == 0, good.stdout + good.stderr
    bad = run_pyright(pyright, ["bad.py"], compiled, python=sys.executable, extra_paths=[REPO])
    assert error_lines("pyright", bad.stdout, compiled / "bad.py") == BAD_LINES, bad.stdout + bad.stderr


def test_emit_pyi_writes_only_the_stub_with_comment_docstrings(tmp_path):
    (tmp_path / "docs.prism").write_text(textwrap.dedent('''\
        // Belongs to `first`, not to the module: no blank line between.
        fn first() -> int { 1 }

        /// Triple-slash comments read the same.
        // A quote """ and a backslash \\ stay as written.
        #[test]
        fn second() { print(2) }

        // Detached by the blank line below.

        fn third() -> bool { true }

        fn fourth(name: string = null, n: int = -3, xs: [int] = []) { name }
    '''))
    proc = run([sys.executable, "-m", "transpiler.tools.cli_prismc", "docs.prism", "--emit", "pyi"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(tmp_path / "docs.pyi")
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == ["docs.prism", "docs.pyi"]
    tree = ast.parse((tmp_path / "docs.pyi").read_text())
    docs = {node.name: ast.get_docstring(node) for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert ast.get_docstring(tree) is None
    assert docs == {"first": "Belongs to `first`, not to the module: no blank line between.",
                    "second": 'Triple-slash comments read the same.\nA quote """ and a backslash \\ stay as written.',
                    "third": None, "fourth": None}
    # A null default lets Python pass None; a default that is not a literal is `...`.
    fourth = next(node for node in tree.body if getattr(node, "name", None) == "fourth")
    assert ast.unparse(fourth.args) == "name: str | None=None, n: int=-3, xs: list[int]=..."


def test_reserved_and_shadowing_names_stay_usable(tmp_path):
    (tmp_path / "names.prism").write_text(textwrap.dedent("""\
        struct Any { v: float }
        fn main() -> int { 1 }
        fn class() -> int { 2 }
        fn wrap(x) -> Any { Any.new(1.0) }
    """))
    proc = run([sys.executable, "-m", "transpiler.tools.cli_prismc", "names.prism", "--emit", "pyi"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    stub = (tmp_path / "names.pyi").read_text()
    assert "from typing import Any as _Any\n" in stub and "def wrap(x: _Any) -> Any: ..." in stub
    assert "main = _pu_main\n" in stub and "def _pu_class() -> int: ..." in stub
    (tmp_path / "use.py").write_text("import names\na: names.Any = names.wrap(0)\nn: int = names.main() + names._pu_class()\n")
    checked = run_mypy(["names.pyi", "use.py"], tmp_path, mypy_path=REPO)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_import_hook_keeps_the_stub_beside_the_cached_module(tmp_path):
    (tmp_path / "area.prism").write_text("fn area(w: float, h: float) -> float { w * h }\n")
    proc = run([sys.executable, "-c", "import prism_runtime.install, area; print(area.__file__)"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    built = Path(proc.stdout.strip())
    assert built.parent.is_relative_to(tmp_path / ".prism-cache")
    assert "def area(w: float, h: float) -> float: ..." in (built.parent / "area.pyi").read_text()


def test_kinds_the_stubs_do_not_know_degrade_to_any():
    from transpiler.passes import types as T
    from transpiler.back.stubs import TypeMapper
    mapper = TypeMapper({})
    assert mapper.of(T.Type("trait_object", name="Show")) == mapper.of(T.ANY)
    assert mapper.of(T.Type("generic", conf=True)).head == "Any"          # never Any | Conf[Any]
    assert mapper.of(T.array_of(T.Type("closure"))).args == (mapper.of(T.ANY),)
    assert mapper.of(T.struct_type("Elsewhere")).head == "Any"            # a struct this module lacks
    assert mapper.of(object()).head == "Any"                              # not even a Type
