"""The two distributions and a package built from Prism, as a user ships and deploys them.

Builds the prism-runtime and prism-lang wheels from this checkout, builds
samples/geometry_pkg with plain `pip wheel .` (build isolation: the build environment gets
prism-lang from those wheels through --find-links, everything else from the package
index), installs the geometry wheel with the runtime wheel only into a fresh virtual
environment, uses it there, checks that the compiler's dependencies are absent, and
type-checks a caller against the installed stubs with mypy (and pyright where Node is).

Slow (about a minute, mostly C compilation and pip): marked `slow` and `packaging`, and
one xdist group, so that under `pytest -n 2` one worker builds the wheels and the
environment once for all of them. The runtime wheel is compiled at -O0 (CFLAGS): these
tests check packaging, not speed.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from typecheckers import error_lines, pyright, run_mypy, run_pyright  # noqa: F401 (pyright: a fixture)

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "samples" / "geometry_pkg"

USE = """\
from geometry_pkg import Point, distance, perimeter

square = [Point(0.0, 0.0), Point(1.0, 0.0), Point(1.0, 1.0), Point.new(0.0, 1.0)]
d: float = distance(Point(0.0, 0.0), Point(3.0, 4.0))
print(d, perimeter(square), Point(1.5, 2))
"""
MISUSE = """\
from geometry_pkg import Point, distance

distance(Point(0.0, 0.0), "origin")
Point(1.0, 2.0).dist()
"""


def _clean_env(**extra) -> dict:
    """The environment without this checkout on PYTHONPATH: what runs here must use what
    the wheels installed, not the repository's sources."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PIP_REQUIRE_VIRTUALENV")}
    env.update(extra)
    return env


def _run(args, cwd, env=None, timeout=600):
    proc = subprocess.run(args, cwd=cwd, env=env or _clean_env(), capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(map(str, args))}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def _pip_wheel(project: Path, out: Path, *options, env=None):
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), *options, str(project)],
         project, env=env)


def _copy_project(files, into: Path) -> Path:
    """A copy of the checkout's files a distribution is built from. Building from a copy
    keeps this test's -O0 objects out of the checkout's build/ folders (a later release
    build would pick them up) and stale files there out of the test's wheels. Generated
    .c files come along with their times, so Cython skips what is up to date."""
    for source, target in files:
        dest = into / target
        if source.is_dir():
            shutil.copytree(source, dest, ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.html"))
        else:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest)
    return into


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> Path:
    """prism-runtime and prism-lang wheels built from this checkout."""
    out = tmp_path_factory.mktemp("wheels")
    env = dict(os.environ, CFLAGS="-O0 -g0")
    runtime = _copy_project([(REPO / "runtime" / name, name) for name in ("pyproject.toml", "setup.py", "README.md")]
                            + [(REPO / "prism_runtime", "prism_runtime")], tmp_path_factory.mktemp("runtime"))
    _pip_wheel(runtime, out, "--no-build-isolation", env=env)
    compiler = _copy_project([(REPO / name, name) for name in ("pyproject.toml", "setup.py", "README.md",
                                                               "transpiler", "templates")],
                             tmp_path_factory.mktemp("compiler"))
    _pip_wheel(compiler, out, "--no-build-isolation", env=env)
    return out


@pytest.fixture(scope="module")
def geometry_wheel(wheels, tmp_path_factory) -> Path:
    """samples/geometry_pkg built with build isolation (`pip wheel .`) against those wheels."""
    project = tmp_path_factory.mktemp("geometry") / "geometry_pkg"
    shutil.copytree(SAMPLE, project, ignore=shutil.ignore_patterns("build", "*.egg-info", "*.pyi", "*.so"))
    out = tmp_path_factory.mktemp("geometry-wheel")
    _pip_wheel(project, out, "--find-links", str(wheels),
               env=_clean_env(PRISM_CACHE_DIR=str(project / ".prism-cache")))
    (wheel,) = out.glob("geometry_pkg-*.whl")
    return wheel


@pytest.fixture(scope="module")
def deployed(wheels, geometry_wheel, tmp_path_factory) -> Path:
    """A fresh virtual environment with the geometry wheel and the runtime wheel only;
    returns its python."""
    venv = tmp_path_factory.mktemp("deployed") / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], venv.parent)
    python = venv / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "-q", "--find-links", str(wheels), str(geometry_wheel)], venv.parent)
    return python


def _version() -> str:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]


def test_prism_lang_depends_on_prism_runtime_at_its_own_version():
    import prism_runtime
    from transpiler.toolchain.build import COMPILER_VERSION
    compiler = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    runtime = tomllib.loads((REPO / "runtime" / "pyproject.toml").read_text())
    assert runtime["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "prism_runtime.__version__"}
    assert compiler["version"] == prism_runtime.__version__ == COMPILER_VERSION
    pins = [d for d in compiler["dependencies"] if d.startswith("prism-runtime")]
    assert pins == [f"prism-runtime[llm]=={compiler['version']}"]
    assert all(d.startswith("prism-runtime[") and d.endswith(f"=={compiler['version']}")
               for d in compiler["optional-dependencies"]["llm"] + compiler["optional-dependencies"]["local"])
    # The symlinked package folder is the one the compiler compiles against.
    assert (REPO / "runtime" / "prism_runtime").resolve() == (REPO / "prism_runtime").resolve()


@pytest.mark.slow
@pytest.mark.packaging
@pytest.mark.xdist_group("packaging")
def test_wheels_split_the_compiler_from_the_runtime(wheels):
    (runtime,) = wheels.glob("prism_runtime-*.whl")
    (compiler,) = wheels.glob("prism_lang-*.whl")
    runtime_files = zipfile.ZipFile(runtime).namelist()
    compiler_files = zipfile.ZipFile(compiler).namelist()
    assert {"prism_runtime/core.pxd", "prism_runtime/py.typed", "prism_runtime/confidence.pyi"} <= set(runtime_files)
    assert any(re.fullmatch(r"prism_runtime/core\..*\.so", f) for f in runtime_files)
    assert not [f for f in runtime_files if f.endswith(".c") or f.startswith("transpiler/")]
    assert "transpiler/templates/module.pyi.j2" in compiler_files and compiler.name.endswith("-py3-none-any.whl")
    assert not [f for f in compiler_files if f.startswith("prism_runtime/")]
    metadata = zipfile.ZipFile(compiler).read(f"prism_lang-{_version()}.dist-info/METADATA").decode()
    assert f"Requires-Dist: prism-runtime[llm]=={_version()}" in metadata


@pytest.mark.slow
@pytest.mark.packaging
@pytest.mark.xdist_group("packaging")
def test_geometry_wheel_built_in_isolation_carries_stubs_and_needs_the_runtime_only(geometry_wheel):
    files = set(zipfile.ZipFile(geometry_wheel).namelist())
    assert {"geometry_pkg/shapes.pyi", "geometry_pkg/vectors.pyi", "geometry_pkg/py.typed"} <= files
    assert any(re.fullmatch(r"geometry_pkg/shapes\..*\.so", f) for f in files)
    assert not [f for f in files if f.endswith((".prism", ".pyx", ".c"))]
    metadata = zipfile.ZipFile(geometry_wheel).read(f"geometry_pkg-0.1.0.dist-info/METADATA").decode()
    assert re.findall(r"^Requires-Dist: (.*)$", metadata, re.M) == [f"prism-runtime=={_version()}"]


@pytest.mark.slow
@pytest.mark.packaging
@pytest.mark.xdist_group("packaging")
def test_deployed_package_runs_without_the_compiler(deployed, tmp_path):
    (tmp_path / "use.py").write_text(USE)
    proc = _run([str(deployed), "use.py"], tmp_path)
    assert proc.stdout.strip() == "5.0 4.0 Point { x: 1.5, y: 2.0 }"
    probe = ("import importlib.util as u; print(sorted(m for m in ('Cython', 'parso', 'jinja2', 'transpiler', "
             "'click', 'openai') if u.find_spec(m)))")
    assert _run([str(deployed), "-c", probe], tmp_path).stdout.strip() == "[]"
    installed = _run([str(deployed), "-m", "pip", "list", "--format=freeze"], tmp_path).stdout.lower()
    assert "prism-runtime==" in installed and "prism-lang" not in installed
    # Importing a .prism file there asks for the compiler by name.
    (tmp_path / "extra.prism").write_text("fn f() -> int { 1 }\n")
    hook = subprocess.run([str(deployed), "-c", "import prism_runtime.install, extra"], cwd=tmp_path,
                          env=_clean_env(), capture_output=True, text=True, timeout=120)
    assert hook.returncode == 1 and "needs the Prism compiler (pip install prism-lang)" in hook.stderr


@pytest.mark.slow
@pytest.mark.packaging
@pytest.mark.xdist_group("packaging")
def test_mypy_sees_the_installed_stubs(deployed, tmp_path):
    (tmp_path / "use.py").write_text(USE)
    (tmp_path / "misuse.py").write_text(MISUSE)
    good = run_mypy(["use.py"], tmp_path, python=str(deployed))
    assert good.returncode == 0, good.stdout + good.stderr
    bad = run_mypy(["misuse.py"], tmp_path, python=str(deployed))
    assert error_lines("mypy", bad.stdout, tmp_path / "misuse.py") == {3, 4}, bad.stdout + bad.stderr
    assert 'Argument 2 to "distance" has incompatible type "str"; expected "Point"' in bad.stdout


@pytest.mark.slow
@pytest.mark.packaging
@pytest.mark.xdist_group("packaging")
def test_pyright_sees_the_installed_stubs(deployed, tmp_path, pyright):
    (tmp_path / "use.py").write_text(USE)
    (tmp_path / "misuse.py").write_text(MISUSE)
    good = run_pyright(pyright, ["use.py"], tmp_path, python=str(deployed))
    assert good.returncode == 0, good.stdout + good.stderr
    bad = run_pyright(pyright, ["misuse.py"], tmp_path, python=str(deployed))
    assert error_lines("pyright", bad.stdout, tmp_path / "misuse.py") == {3, 4}, bad.stdout + bad.stderr
