"""End-to-end tests of the compiler's entry points: prismc, prism run/check, the import
hook, the content-hash build cache, and setuptools (`prismize`) on samples/geometry_pkg.
Everything here runs real builds (Cython + the C compiler at -O0)."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent


def run(args, cwd, env_extra=None, **kw):
    env = dict(os.environ)
    env.setdefault("PRISM_CACHE_DIR", str(cwd / ".prism-cache"))
    env.update(env_extra or {})
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, **kw)


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def test_prismc_writes_an_importable_module_next_to_the_file(tmp_path):
    write(tmp_path / "geom.prism", """
        fn area(w: float, h: float) -> float { w * h }
        fn label(n: int) -> string { "n=" + n }
    """)
    proc = run([sys.executable, "-m", "transpiler.tools.cli_prismc", "geom.prism", "-O0"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    built = list(tmp_path.glob("geom*.so"))
    assert len(built) == 1
    # A plain import, no hook: the extension stands on its own.
    check = run([sys.executable, "-c", "import geom; print(geom.area(2.0, 3.5), geom.label(4))"], tmp_path)
    assert check.stdout.strip() == "7.0 n=4", check.stderr


def test_emit_pyx_stops_at_cython_source(tmp_path):
    write(tmp_path / "m.prism", "fn f(n: int) -> int { n * 2 }\n")
    proc = run([sys.executable, "-m", "transpiler.tools.cli_prismc", "m.prism", "--emit", "pyx"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "cpdef long long f(long long n):" in (tmp_path / "m.pyx").read_text()
    assert not list(tmp_path.glob("m*.so"))


def test_compile_error_shows_location_source_line_and_caret(tmp_path):
    write(tmp_path / "bad.prism", """
        fn total(n: int) -> int { n }
        print(total(1, 2))
    """)
    proc = run([sys.executable, "-m", "transpiler.tools.cli_prismc", "bad.prism"], tmp_path)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[0] == "bad.prism:2:7: error: 'total' takes 1 argument but 2 were given"
    assert lines[2] == "2 | print(total(1, 2))"
    assert lines[3] == "  |       ^^^^^^^^^^^"


def test_warning_shows_location_source_line_caret_and_help(tmp_path):
    write(tmp_path / "typo.prism", """
        let total = 1
        print(totl + 2)
    """)
    proc = run([sys.executable, "-m", "transpiler.tools.cli_prismc", "typo.prism"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[0] == "typo.prism:2:7: warning: undefined name 'totl'"
    assert lines[2] == "2 | print(totl + 2)"
    assert lines[3] == "  |       ^^^^"
    assert lines[4] == "  = help: did you mean 'total'?"


def test_runtime_error_names_the_prism_line_and_exits_1(tmp_path):
    write(tmp_path / "boom.prism", """
        fn divide(a: int, b: int) -> float {
            return a / b
        }
        print("before")
        print(divide(1, 0))
    """)
    proc = run([sys.executable, "-m", "transpiler", "run", "-O0", "boom.prism"], tmp_path)
    assert proc.returncode == 1
    assert proc.stdout == "before\n"
    assert proc.stderr.strip() == "boom.prism:2: error: division by zero"


def test_unchanged_module_is_a_cache_hit_without_cython_or_cc(tmp_path):
    write(tmp_path / "hot.prism", "print(40 + 2)\n")
    script = textwrap.dedent("""
        import sys
        from pathlib import Path
        from transpiler.toolchain.build import BuildOptions, build_module
        r = build_module(Path("hot.prism"), "hot", BuildOptions(opt_level=0))
        print(r.cached, "Cython" in sys.modules)
    """)
    first = run([sys.executable, "-c", script], tmp_path)
    second = run([sys.executable, "-c", script], tmp_path)
    assert first.stdout.split() == ["False", "True"], first.stderr
    assert second.stdout.split() == ["True", "False"], second.stderr
    (tmp_path / "hot.prism").write_text("print(40 + 3)\n")
    third = run([sys.executable, "-c", script], tmp_path)
    assert third.stdout.split() == ["False", "True"]


def test_import_hook_compiles_on_first_import_and_caches(tmp_path):
    write(tmp_path / "shapes.prism", """
        import { sq } from "./helpers"
        struct Square { side: float, fn area(self) -> float { sq(self.side) } }
        fn make(s: float) -> Square { Square.new(s) }
    """)
    write(tmp_path / "helpers.prism", "fn sq(x: float) -> float { x * x }\n")
    script = textwrap.dedent("""
        import sys
        import prism_runtime.install
        import shapes
        print(shapes.make(3.0).area(), shapes.Square(side=2.0).area(), "Cython" in sys.modules)
    """)
    first = run([sys.executable, "-c", script], tmp_path)
    assert first.stdout.split() == ["9.0", "4.0", "True"], first.stderr
    second = run([sys.executable, "-c", script], tmp_path)
    assert second.stdout.split() == ["9.0", "4.0", "False"], second.stderr


def test_import_hook_reports_compile_errors_as_import_errors(tmp_path):
    write(tmp_path / "broken.prism", "let x = \n")
    script = "import prism_runtime.install\ntry:\n    import broken\nexcept ImportError as e:\n    print(e)\n"
    proc = run([sys.executable, "-c", script], tmp_path)
    assert "broken.prism:2:1: error: unexpected end of file" in proc.stdout


def test_setuptools_sample_package_builds_and_imports(tmp_path):
    target = tmp_path / "site"
    proc = run([sys.executable, "-m", "pip", "install", "--no-build-isolation", "--no-deps", "-q",
                "--target", str(target), str(ROOT / "samples" / "geometry_pkg")], tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    check = run([sys.executable, "-c", textwrap.dedent("""
        from geometry_pkg import Point, distance, perimeter
        square = [Point(0.0, 0.0), Point(1.0, 0.0), Point(1.0, 1.0), Point.new(0.0, 1.0)]
        print(distance(Point(0.0, 0.0), Point(3.0, 4.0)), perimeter(square), Point(1.5, 2))
    """)], tmp_path, env_extra={"PYTHONPATH": str(target)})
    assert check.stdout.strip() == "5.0 4.0 Point { x: 1.5, y: 2.0 }", check.stderr
    # Typed stubs and the PEP 561 marker are installed beside the modules.
    assert "def perimeter(points: list[Point]) -> float: ..." in (target / "geometry_pkg" / "shapes.pyi").read_text()
    assert (target / "geometry_pkg" / "vectors.pyi").is_file() and (target / "geometry_pkg" / "py.typed").is_file()


def test_no_stack_guard_option_removes_the_guard_from_recursive_functions(tmp_path):
    write(tmp_path / "rec.prism", "fn down(n: int) -> int { if n == 0 { return 0 }\n down(n - 1) }\n")
    guarded = run([sys.executable, "-m", "transpiler.tools.cli_prismc", "rec.prism", "--emit", "pyx"], tmp_path)
    assert guarded.returncode == 0 and "_rt.depth_check(_depth)" in (tmp_path / "rec.pyx").read_text()
    plain = run([sys.executable, "-m", "transpiler.tools.cli_prismc", "rec.prism", "--emit", "pyx", "--no-stack-guard"],
                tmp_path)
    pyx = (tmp_path / "rec.pyx").read_text()
    assert plain.returncode == 0 and "_check(" not in pyx and "_depth" not in pyx
