"""Build script of prism-runtime: compiles `prism_runtime/*.pyx` into extension modules.

Metadata lives in pyproject.toml beside this file; this file only declares the
extension modules. It works from any directory, so development builds in
place with `python runtime/setup.py build_ext --inplace -j 2` (or
`python setup.py build_ext --inplace` at the top, which comes here).
The `.pxd` files ship with the package: the compiler (prism-lang) compiles
modules against them; `.pyi` stubs and `py.typed` serve type checkers.
"""
import os
from glob import glob
from pathlib import Path

from Cython.Build import cythonize
from setuptools import Extension, setup

os.chdir(Path(__file__).resolve().parent)

runtime_extensions = [
    Extension(f"prism_runtime.{Path(source).stem}", [source])
    for source in sorted(glob("prism_runtime/*.pyx"))
]

setup(
    packages=["prism_runtime"],
    package_data={"prism_runtime": ["*.pxd", "*.pyx", "*.pyi", "py.typed"]},
    ext_modules=cythonize(
        runtime_extensions,
        compiler_directives={"language_level": 3, "embedsignature": True},
        nthreads=2,
    ),
    zip_safe=False,
)
