"""Build script: compiles the Cython runtime (`prism_runtime/*.pyx`) and ships the
compiler (`transpiler/`) with its grammar and Jinja templates (`templates/`).

Metadata lives in pyproject.toml; this file only declares what setuptools
cannot express declaratively: the extension modules and the templates folder,
which sits at the top of the repository but installs as `transpiler/templates`.
"""
from glob import glob
from pathlib import Path

from setuptools import Extension, setup
from Cython.Build import cythonize

runtime_extensions = [
    Extension(f"prism_runtime.{Path(source).stem}", [source])
    for source in sorted(glob("prism_runtime/*.pyx"))
]

setup(
    packages=["transpiler", "transpiler.templates", "prism_runtime"],
    package_dir={"transpiler.templates": "templates"},
    package_data={
        "transpiler": ["grammar.txt"],
        "transpiler.templates": ["*.j2"],
        "prism_runtime": ["*.pxd", "*.pyx"],
    },
    ext_modules=cythonize(
        runtime_extensions,
        compiler_directives={"language_level": 3, "embedsignature": True},
        nthreads=2,
    ),
    zip_safe=False,
)
