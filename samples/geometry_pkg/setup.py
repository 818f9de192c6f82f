"""A Python package with Prism modules, built the way Cython users call cythonize."""
from setuptools import setup

from transpiler.setuptools_ext import prismize

setup(
    packages=["geometry_pkg"],
    ext_modules=prismize(["geometry_pkg/*.prism"]),
)
