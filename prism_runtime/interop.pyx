# cython: language_level=3
"""Glue between generated modules and Python: imports, top-level `await`,
attributes, tensor-argument checks, calls to dtype-specialised functions,
struct equality and struct pickling.

Generated modules `import prism_runtime.interop as _rtio` and call these
Python-level functions (none is on a hot path). Talks to `core` (member
lookup, type names), `errors` (PrismError) and, for imports of `.prism`
files, `install` (the import hook).
"""
import importlib

from prism_runtime.core import get_member, type_of
from prism_runtime.errors import PrismError

def import_python(str module, attr):
    """`import { attr } from "module"` / `import module from "module"`."""
    mod = importlib.import_module(module)
    if attr is None:
        return mod
    try:
        return getattr(mod, attr)
    except AttributeError:
        try:
            return importlib.import_module(f"{module}.{attr}")
        except ImportError:
            raise PrismError(f"module '{module}' has no '{attr}'") from None


def import_prism(str importer, str spec, attr):
    """`import { attr } from "./file"`: the sibling Prism module, compiled on demand."""
    package = importer.rpartition(".")[0]
    parts = spec.split("/")
    while parts and parts[0] in (".", ".."):
        if parts.pop(0) == "..":
            package = package.rpartition(".")[0]
    from prism_runtime.install import module_name_for
    name = ".".join([p for p in [package] if p] + [module_name_for(p) for p in parts])
    try:
        mod = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        import prism_runtime.install  # noqa: F401 - the hook compiles .prism files on import
        mod = importlib.import_module(name)
    if attr is None:
        return mod
    return get_member(mod, attr) if not hasattr(mod, attr) else getattr(mod, attr)


def run_toplevel(coroutine_function):
    """Run a module's top level when it awaits (top-level `await`)."""
    import asyncio      # only programs that await pay for importing asyncio
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine_function())
    raise PrismError("a Prism module that awaits at its top level cannot be imported "
                     "from inside a running event loop")


def attribute(str name, *args):
    """`#[name(args)]` on a function: recorded for `prism test` / `prism bench`."""
    def mark(fn):
        marks = dict(getattr(fn, "__prism_attributes__", {}))
        marks[name] = args
        fn.__prism_attributes__ = marks
        return fn
    return mark


def check_tensor(value):
    """A `tensor` argument must be a 1-D float64 or float32 array (what typed code reads
    through a memoryview); the same check runs in typed and untyped builds."""
    dtype = str(getattr(value, "dtype", type_of(value)))
    if dtype not in ("float64", "float32") or getattr(value, "ndim", 1) != 1:
        shape = f"{getattr(value, 'ndim', '?')}-D " if hasattr(value, "ndim") else ""
        raise PrismError(f"expected a 1-D float64 or float32 tensor, found {shape}{dtype}")
    return value


def invoke(f, tuple tensor_params, *args, **kwargs):
    """Call f through Python: how generated code calls a function specialised per
    tensor dtype, so the specialisation is chosen from the arguments at run time.
    `tensor_params` names the tensor arguments (positions or names) to check first."""
    for p in tensor_params:
        if type(p) is int and p < len(args):
            check_tensor(args[p])
        elif type(p) is str and p in kwargs:
            check_tensor(kwargs[p])
    return f(*args, **kwargs)


def struct_reduce(obj):
    """How a struct pickles: its class (by reference) and its field values.

    Cython's automatic pickling would do, but it registers its helper at the
    end of a module's initialisation, and a `parallel` worker may hold a
    module initialised only up to its first `parallel.map`
    (`parallel_modules`); this needs nothing but the class."""
    cls = type(obj)
    return (rebuild_struct, (cls, tuple([getattr(obj, attr) for attr in cls.__prism_attrs__])))


def rebuild_struct(cls, tuple values):
    """A struct of class `cls` with these field values, without running its `__init__`."""
    obj = cls.__new__(cls)
    for attr, value in zip(cls.__prism_attrs__, values):
        setattr(obj, attr, value)
    return obj


def struct_eq(a, b):
    if type(a) is not type(b):
        return False
    return all(getattr(a, attr) == getattr(b, attr) for attr in type(a).__prism_attrs__)
