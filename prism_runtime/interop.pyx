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


def resolved(value):
    """`promise ~c e`: an awaitable already resolved to its value."""
    from prism_runtime.asyncs import Resolved
    return Resolved(value)


async def settle(value):
    """What an async Prism function returns: an awaitable result is awaited first."""
    from prism_runtime.asyncs import settle as settle_
    return await settle_(value)


def spawn(block):
    """`async ~c { }`: start the block as a task the program waits for."""
    from prism_runtime.asyncs import spawn as spawn_
    return spawn_(block)


async def join_tasks():
    from prism_runtime.asyncs import join_tasks as join_
    await join_()


def scaled(obj, c):
    """`import { f } from "m" ~c`: f's results carry c too (other values come as they are)."""
    from prism_runtime.confidence import with_conf
    import inspect
    if not callable(obj) or isinstance(obj, type):
        return obj
    if inspect.iscoroutinefunction(obj):
        async def scaled_async(*args, **kwargs):
            return with_conf(await obj(*args, **kwargs), c)
        return scaled_async

    def scaled_call(*args, **kwargs):
        result = obj(*args, **kwargs)
        if inspect.isawaitable(result):
            return _scale_later(result, c)
        return with_conf(result, c)
    scaled_call.__name__ = getattr(obj, "__name__", "imported")
    return scaled_call


async def _scale_later(awaitable, c):
    from prism_runtime.confidence import with_conf
    return with_conf(await awaitable, c)


def is_kind(value, str kind):
    """Is the other operand of an overloaded operator of the declared kind?"""
    from prism_runtime.confidence import value_of
    value = value_of(value)
    if kind == "number":
        return isinstance(value, (int, float)) and type(value) is not bool
    if kind == "int":
        return type(value) is int
    if kind == "str":
        return type(value) is str
    return type(value) is bool


def run_toplevel(coroutine_function):
    """Run a module's top level when it awaits (top-level `await`)."""
    import asyncio      # only programs that await pay for importing asyncio
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine_function())
    raise PrismError("a Prism module that awaits at its top level cannot be imported "
                     "from inside a running event loop")


def attribute(str name, *args, **kwargs):
    """`#[name(args, key: value)]` on a function: recorded (positional arguments, then a dict of
    the named ones when there are any) for `prism test`, `prism bench` and the debugger."""
    def mark(fn):
        marks = dict(getattr(fn, "__prism_attributes__", {}))
        marks[name] = args + ((kwargs,) if kwargs else ())
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
