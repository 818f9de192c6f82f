"""Prism's async pieces on asyncio: `Promise`, already-resolved awaitables, and the tasks
that `async ~c { }` blocks start.

    Promise.all([f(), g()])      awaits them concurrently; results in order (asyncio.gather)
    promise ~0.9 v               resolved(v ~> 0.9): awaiting it gives the value at once
    async ~0.8 { .. }            spawn(block): a task the program waits for (join_tasks)

Talks to `confidence` (a task's result carries the block's confidence through its
own returns) and `errors`. Loaded only by programs that use async features.
"""
import asyncio
import inspect

from prism_runtime.errors import PrismError


class Resolved:
    """An awaitable that is already resolved: `await` returns its value without suspending."""
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __await__(self):
        return self.value
        yield  # pragma: no cover - makes this a generator, as __await__ must return an iterator

    def __repr__(self):
        return f"Resolved({self.value!r})"


def resolved(value):
    return Resolved(value)


async def settle(value):
    """An async function's result: an awaitable it returns is awaited (as in JavaScript)."""
    while inspect.isawaitable(value):
        value = await value
    return value


class Promise:
    """`Promise.all(list)`, `Promise.race(list)`, `Promise.resolve(v)` as in JavaScript."""

    @staticmethod
    async def all(awaitables):
        return list(await asyncio.gather(*[_as_future(a) for a in awaitables]))

    @staticmethod
    async def race(awaitables):
        tasks = [asyncio.ensure_future(_as_future(a)) for a in awaitables]
        if not tasks:
            raise PrismError("Promise.race of an empty array", code="VALUE_ERROR")
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for t in pending:
            t.cancel()
        return next(iter(done)).result()

    @staticmethod
    def resolve(value):
        return Resolved(value)


def _as_future(a):
    if isinstance(a, Resolved):
        return _value_of(a)
    if inspect.isawaitable(a):
        return a
    return _value_of(Resolved(a))


async def _value_of(r):
    return r.value


# Tasks started by `async { }` blocks, per event loop: the program waits for all of them.
_tasks: dict = {}


def spawn(block):
    """Start an `async { }` block (an async function of no arguments) as a task now."""
    loop = asyncio.get_running_loop()
    task = loop.create_task(block())
    _tasks.setdefault(loop, []).append(task)
    return task


async def join_tasks():
    """Wait for every task the program started (also ones started while waiting); the first
    failure is raised once all have finished."""
    loop = asyncio.get_running_loop()
    failure = None
    while _tasks.get(loop):
        pending = _tasks.pop(loop)
        for outcome in await asyncio.gather(*pending, return_exceptions=True):
            if isinstance(outcome, BaseException) and failure is None:
                failure = outcome
    if failure is not None:
        raise failure
