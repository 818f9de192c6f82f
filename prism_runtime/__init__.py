"""Prism's Cython runtime. Generated modules `cimport` the submodules at C level;
Python users import the public objects from here."""
from prism_runtime.errors import PrismError
