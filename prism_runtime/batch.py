"""What every Prism batch shares: bounded concurrency and the results-and-failures contract.

`llm.generate_batch` and `parallel.map` (on each worker, for an async
function) run `run_bounded`: `limit` lanes take indices in order, so a slow
call never holds back a free slot, and a failing call does not stop the
others. `finish` then either returns the results or raises one PrismError
that carries `results` (failures in their slots) and `failures` (index ->
error), as the language promises for batches.

Talks to: `errors` (PrismError, as_prism_error), `confidence` (value_of).
Used by: `llm`, `parallel`, `parallel_worker`.
"""
import asyncio

from prism_runtime.confidence import value_of
from prism_runtime.errors import PrismError, as_prism_error


def positive_int(name, value):
    """`value` as an int >= 1, or a PrismError naming the option."""
    try:
        n = int(value_of(value))
    except (TypeError, ValueError):
        raise PrismError(f"{name} must be an integer, not {value!r}") from None
    if n < 1:
        raise PrismError(f"{name} must be >= 1, not {n}")
    return n


def errors_mode(errors):
    errors = value_of(errors)
    if errors not in ("raise", "return"):
        raise PrismError(f'errors must be "raise" or "return", not {errors!r}')
    return errors


async def run_bounded(call, n, limit, capture=as_prism_error, gate=None):
    """(results, failures) of `await call(i)` for i in range(n), at most `limit` at once.

    A call that raises leaves `capture(exception)` in its slot and in
    `failures`. `gate`, an asyncio.Semaphore, also bounds the calls when
    several batches share one limit. Cancelling this cancels every call in
    flight and starts no others."""
    results = [None] * n
    failures = {}
    indices = iter(range(n))

    async def lane():
        for i in indices:
            try:
                if gate is None:
                    results[i] = await call(i)
                else:
                    async with gate:
                        results[i] = await call(i)
            except Exception as e:
                err = capture(e)
                results[i] = err
                failures[i] = err

    tasks = [asyncio.ensure_future(lane()) for _ in range(min(limit, n))]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    return results, failures


def where(err):
    """`file.prism:LINE: ` when the error knows the Prism line it came from, else ''."""
    if getattr(err, "prism_file", None) and getattr(err, "prism_line", None):
        return f"{err.prism_file}:{err.prism_line}: "
    return ""


def finish(results, failures, errors, noun):
    """The results, or (errors "raise" and something failed) one PrismError carrying them."""
    if failures and errors == "raise":
        first = min(failures)
        err = PrismError(f"{len(failures)} of {len(results)} {noun}s failed; first, {noun} {first}: "
                         f"{where(failures[first])}{failures[first].message}")
        err.results = results
        err.failures = dict(sorted(failures.items()))
        raise err
    return results
