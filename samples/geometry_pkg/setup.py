"""A Python package with Prism modules, built the way Cython users call cythonize.

`prismize` compiles the .prism files (and writes their typed stubs beside them);
`runtime_requirement()` is the runtime the modules are compiled against
("prism-runtime==X.Y.Z"), the one dependency they have at run time.
"""
from setuptools import setup

from transpiler.tools.setuptools_ext import prismize, runtime_requirement

setup(
    packages=["geometry_pkg"],
    ext_modules=prismize(["geometry_pkg/*.prism"]),
    install_requires=[runtime_requirement()],
)
