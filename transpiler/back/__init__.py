"""Lowering to the IR, Jinja rendering to Cython, and building extension modules (cache, C compiler)."""
