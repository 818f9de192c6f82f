"""Prism's async pieces on asyncio: `Promise`, already-resolved awaitables, and the tasks
that `async ~c { }` blocks start.

    Promise.all([f(), g()])      awaits them concurrently; results in order (asyncio.gather)
    promise ~0.9 v               resolved(v ~> 0.9): awaiting it gives the value at once
    timeout(llm.generate(p), 5000)   the value, or the error TIMEOUT after 5 s (asyncio.wait_for)
    async ~0.8 { .. }            spawn(block): a task the program waits for (join_tasks)

Talks to `confidence` (a task's result carries the block's confidence through its
own returns) and `errors`. Loaded only by programs that use async features.
"""
import asyncio
import inspect
import math

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


async def timeout(work, ms):
    """`await timeout(work, ms)` (the built-in, and std/utils' `timeout`): the value of `work`
    (an awaitable, or a function of no arguments returning one), or the error TIMEOUT (`catch
    TimeoutError`) when it is not done within ms milliseconds; the work is then cancelled."""
    from prism_runtime.confidence import value_of
    try:
        limit = float(value_of(ms))
    except (TypeError, ValueError):
        _close(work)
        raise PrismError(f"timeout: milliseconds must be a number, not {ms!r}", code="TYPE_ERROR") from None
    if math.isnan(limit) or limit < 0:
        _close(work)
        raise PrismError(f"timeout takes a number of milliseconds >= 0, not {value_of(ms)!r}",
                         code="VALUE_ERROR")
    if callable(work) and not inspect.isawaitable(work):
        work = work()
    try:
        return await asyncio.wait_for(_as_future(work), limit / 1000.0)
    except asyncio.TimeoutError:
        raise PrismError(f"timed out after {limit:g} ms", code="TIMEOUT") from None


def _close(work):
    if asyncio.iscoroutine(work):
        work.close()                       # never started: do not leave it unawaited


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
    """Start an `async { }` block (an async function of no arguments) at once, as a JavaScript
    async function call does: it runs here until it first waits on something not yet done, and
    the rest becomes a task (returned) that the program waits for."""
    loop = asyncio.get_running_loop()
    coro = block()
    outcome = None
    try:
        waiting_on = coro.send(None)
    except StopIteration as stop:
        outcome = loop.create_future()
        outcome.set_result(stop.value)
    except Exception as exc:
        outcome = loop.create_future()
        outcome.set_exception(exc)
    if outcome is None:
        outcome = loop.create_task(_resume(coro, waiting_on))
    _tasks.setdefault(loop, []).append(outcome)
    return outcome


async def _resume(coro, waiting_on):
    """Drive a coroutine that already ran its first step (see spawn), as asyncio's Task would."""
    while True:
        try:
            if waiting_on is None or not asyncio.isfuture(waiting_on):
                await asyncio.sleep(0)          # a bare yield: give the loop one turn
            else:
                waiting_on._asyncio_future_blocking = False
                await _until_done(waiting_on)
        except asyncio.CancelledError as cancelled:
            step, arg = coro.throw, cancelled   # cancelling the task cancels the block
        else:
            step, arg = coro.send, None
        try:
            waiting_on = step(arg)
        except StopIteration as stop:
            return stop.value


async def _until_done(future):
    """Wait until future is done without taking its result (the coroutine reads it itself)."""
    if not future.done():
        done = asyncio.get_running_loop().create_future()
        future.add_done_callback(lambda _f: done.done() or done.set_result(None))
        await done


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
