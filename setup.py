"""Build script of prism-lang, the compiler: ships `transpiler/` with its grammar and
the Jinja templates (`templates/`, installed as `transpiler/templates`).

Metadata lives in pyproject.toml; this file only declares what setuptools
cannot express declaratively: the templates folder, which sits at the top of
the repository. The runtime (`prism_runtime/`, compiled Cython) is its own
distribution, built by runtime/setup.py; `python setup.py build_ext --inplace`
here still builds it in place for development, by handing over to that file.
"""
import subprocess
import sys
from pathlib import Path

from setuptools import setup

if sys.argv[1:2] == ["build_ext"]:
    runtime_setup = Path(__file__).resolve().parent / "runtime" / "setup.py"
    sys.exit(subprocess.call([sys.executable, str(runtime_setup), *sys.argv[1:]]))

setup(
    packages=["transpiler", "transpiler.front", "transpiler.passes", "transpiler.back", "transpiler.toolchain",
              "transpiler.tools",
              "transpiler.templates"],
    package_dir={"transpiler.templates": "templates"},
    package_data={
        "transpiler.front": ["grammar.txt"],
        "transpiler.templates": ["*.j2", "vendor/*"],
    },
    zip_safe=False,
)
