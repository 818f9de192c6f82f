"""Clocks for the runtime's time-dependent parts, so that tests can drive time by hand.

A clock has `now()` (seconds, monotonic) and `wait(event, timeout)` (block
until the `threading.Event` is set or `timeout` seconds of this clock have
passed; True when the event is set). `Context`, `LLMCache`, `Metrics` and
`PerfMonitor` take one as `clock=`; without it they use the system's
monotonic clock (`SYSTEM`), on a faster path where it matters.

`ManualClock` moves only when told: `advance(seconds)` moves it and returns
once every thread that was waiting on it and is due has run up to its next
`wait` (or has finished), so a test that advances a `PerfMonitor`'s clock by
one sampling interval knows that exactly one sample has been taken. Nothing
sleeps and nothing depends on how busy the machine is.

Talks to: nothing else of Prism (used by `context`, `cache`, `metrics`).
"""
from __future__ import annotations

import threading
import time


class MonotonicClock:
    """The real clock: `time.monotonic`, and `Event.wait` for waiting."""

    def now(self) -> float:
        return time.monotonic()

    def wait(self, event: threading.Event, timeout: float) -> bool:
        return event.wait(timeout)

    def __repr__(self):
        return "MonotonicClock()"


SYSTEM = MonotonicClock()


class ManualClock:
    """A clock that moves only by `advance(seconds)`; safe to use from several threads."""

    # How often a waiting thread looks at its event: `Event.set()` cannot wake a wait on
    # our condition. It bounds how late a stopped thread notices, not any result.
    _EVENT_POLL = 0.005
    SETTLE_LIMIT = 30.0           # real seconds advance() waits for due threads before giving up

    def __init__(self, start: float = 0.0):
        self._now = float(start)
        self._cond = threading.Condition()
        self._sleeping = {}       # thread -> deadline, while it waits

    def now(self) -> float:
        with self._cond:
            return self._now

    def wait(self, event: threading.Event, timeout: float) -> bool:
        me = threading.current_thread()
        with self._cond:
            deadline = self._now + timeout
            try:
                while not event.is_set() and self._now < deadline:
                    self._sleeping[me] = deadline
                    self._cond.notify_all()
                    self._cond.wait(self._EVENT_POLL)
            finally:
                self._sleeping.pop(me, None)
                self._cond.notify_all()
            return event.is_set()

    def sleepers(self) -> int:
        """How many threads are waiting on this clock now."""
        with self._cond:
            return len(self._sleeping)

    def wait_for_sleepers(self, count: int = 1) -> None:
        """Block until `count` threads wait on this clock (a thread just started reaches its first wait)."""
        self._settle(lambda: len(self._sleeping) >= count, f"{count} thread(s) to wait on the clock")

    def advance(self, seconds: float) -> None:
        """Move the clock forward; return once the threads it made due are waiting again or done."""
        with self._cond:
            self._now += seconds
            due = [t for t, deadline in self._sleeping.items() if deadline <= self._now]
            self._cond.notify_all()
        self._settle(lambda: all(not t.is_alive() or self._sleeping.get(t, self._now) > self._now
                                 for t in due),
                     "the threads it woke to come back to wait()")

    def _settle(self, condition, what: str) -> None:
        limit = time.monotonic() + self.SETTLE_LIMIT
        with self._cond:
            while not condition():
                if time.monotonic() > limit:
                    raise RuntimeError(f"ManualClock: gave up waiting for {what}")
                self._cond.wait(self._EVENT_POLL)

    def __repr__(self):
        return f"ManualClock(now={self.now()!r})"
