"""Renders an `ir.Module` to Cython source with the Jinja templates in `templates/`.

Talks to: `ir` (the view models it receives), `stubs` (the `.pyi` view
model, rendered by `module.pyi.j2`), `escape` (installed as the `pylit` and
`pydoc` filters: the only way a Prism literal or comment reaches the output). Templates
get view models only; no Cython text is assembled in Python.
"""
from __future__ import annotations

from functools import lru_cache

import jinja2

from transpiler.back import ir
from transpiler.back.template_files import templates_dir
from transpiler.passes.escape import pydoc, pylit


class _Unknown(Exception):
    pass


def _raise_unknown(node):
    raise _Unknown(f"template cannot render IR node {node!r}")


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined, autoescape=False,
    )
    env.filters["pylit"] = pylit
    env.filters["pydoc"] = pydoc
    env.globals["raise_unknown"] = _raise_unknown
    return env


def render_module(module: ir.Module) -> str:
    return environment().get_template("module.pyx.j2").render(module=module)


def render_stub(stub) -> str:
    """The `.pyi` text of a `stubs.StubModule`."""
    return environment().get_template("module.pyi.j2").render(module=stub)
