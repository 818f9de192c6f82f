"""The compiler's stages, in order. Everything that turns Prism into Cython goes through here.

    source --parser.parse_module--> ast.Module
           --resolve.resolve------> Resolution     (names)
           --infer.infer----------> Typing         (types)
           --check.check----------> warnings       (static errors raise)
           --lower.lower----------> ir.Module      (view models)
           --hoist.hoist_module---> ir.Module      (checked C ops out of pure statements)
           --render.render_module-> .pyx text      (Jinja templates)

`build` takes the .pyx from here to an extension module.
"""
from __future__ import annotations

from dataclasses import dataclass

from transpiler import ast
from transpiler.check import check
from transpiler.hoist import hoist_module
from transpiler.infer import infer
from transpiler.lower import lower
from transpiler.parser import parse_module
from transpiler.render import render_module
from transpiler.resolve import resolve


@dataclass
class Transpiled:
    module: ast.Module
    pyx: str
    warnings: list
    prism_imports: list        # import specs of other .prism files ("./util")


def analyse(source, path: str):
    """Front end and checks only: returns (module, resolution, typing, warnings)."""
    module = parse_module(source, path)
    resolution = resolve(module)
    typing = infer(module, resolution)
    warnings = check(module, resolution, typing)
    return module, resolution, typing, warnings


def transpile(source, path: str, module_name: str, *, typed: bool = True, profile: bool = False) -> Transpiled:
    module, resolution, typing, warnings = analyse(source, path)
    program = lower(module, resolution, typing, module_name, typed=typed)
    hoist_module(program)
    program.profile = profile
    pyx = render_module(program)
    return Transpiled(module, pyx, warnings, [imp.source for imp in resolution.prism_imports])
