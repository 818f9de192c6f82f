# cython: language_level=3
"""Measurement tools: `Metrics` (timed calls + custom measures), `MemoryTracker`
(tracemalloc) and `PerfMonitor` (background sampler with alerts).

`Metrics.measure(name, fn)` runs fn inside a fresh `context.Context` called
`name`, times it on the monotonic clock, then evaluates each custom measure
(`define_custom`) against that context. `PerfMonitor` samples process CPU
and RSS (psutil) and the confidence flow (mean of the confidences noted via
`context.note_confidence` since the previous sample) on a daemon thread;
while it runs it registers itself with `context.watch_flow` so confidences
are counted even outside any context. Both take `clock=` (see clock.py), so
tests drive time and the sampler by hand.

Talks to: `context` (Context, enter/exit, flow accumulator, clock_ns), `clock`
(the sampler's clock), `log` (reports failing alert callbacks), `errors`
(PrismError); psutil, rich.
"""
from libc.math cimport ceil

from prism_runtime.context cimport Context, clock_ns, enter, exit, watch_flow, flow_sum, flow_count

import collections
import random
import sys
import threading
import tracemalloc

from prism_runtime.clock import SYSTEM
from prism_runtime.errors import PrismError
from prism_runtime.log import log

cdef Py_ssize_t _MAX_SAMPLES = 100_000      # per series, reservoir-sampled beyond


cdef object _field(object spec, str name, object default=None):
    """`spec[name]` for mappings, `spec.name` for objects."""
    if isinstance(spec, dict) or hasattr(spec, "keys"):
        try:
            return spec[name]
        except KeyError:
            return default
    return getattr(spec, name, default)


cdef class _Series:
    """count/total exact; quantiles from up to _MAX_SAMPLES values (reservoir)."""

    def __cinit__(self):
        self._samples = []

    cdef void add(self, double v):
        self.count += 1
        self.total += v
        if len(self._samples) < _MAX_SAMPLES:
            self._samples.append(v)
        else:
            j = random.randrange(self.count)
            if j < _MAX_SAMPLES:
                self._samples[j] = v

    def row(self):
        s = sorted(self._samples)
        def q(p):
            if not s:
                return 0.0
            return s[min(len(s) - 1, max(0, <Py_ssize_t>ceil(p * len(s)) - 1))]
        return {"count": self.count, "total": self.total,
                "mean": self.total / self.count if self.count else 0.0,
                "p50": q(0.5), "p95": q(0.95)}


cdef class Metrics:
    """Timings of named calls plus custom per-call measures.

    `measure(name, fn)` returns fn(); durations are in seconds.
    `define_custom(name, {"measure": (ctx) => number})`: evaluated after each
    successful `measure()` call against that call's Context (which has
    `.name`, `.confidence`, `.duration` and the store), aggregated like
    timings. `report()` prints a table and returns
    {name: {"kind": "time"|"custom", count, total, mean, p50, p95}}.
    `Metrics(clock=c)` times calls (and their contexts) on clock `c` (clock.py).
    """

    def __init__(self, clock=None):
        self._clock = clock
        self._series = {}
        self._custom = {}
        self._custom_series = {}

    @classmethod
    def new(cls, *args, **kwargs):
        return cls(*args, **kwargs)

    def define_custom(self, name, spec):
        fn = _field(spec, "measure") if not callable(spec) else spec
        if not callable(fn):
            raise PrismError(f"custom metric {name!r} needs a callable 'measure'")
        self._custom[str(name)] = fn

    cpdef object measure(self, str name, object fn):
        cdef Context ctx = Context(name, clock=self._clock)
        cdef _Series series
        cdef bint ok = False
        t0 = clock_ns(self._clock)
        token = enter(ctx)
        try:
            result = fn()
            ok = True
        finally:
            exit(token)
            elapsed = clock_ns(self._clock) - t0
            series = self._series.get(name)
            if series is None:
                series = self._series[name] = _Series()
            series.add(elapsed / 1e9)
        for cname, cfn in self._custom.items():
            v = cfn(ctx)
            if v is None:
                continue
            series = self._custom_series.get(cname)
            if series is None:
                series = self._custom_series[cname] = _Series()
            series.add(float(v))
        return result

    def data(self):
        """The report data without printing."""
        out = {}
        for name, s in self._series.items():
            out[name] = dict(kind="time", **s.row())
        for name, s in self._custom_series.items():
            out[name] = dict(kind="custom", **s.row())
        return out

    def report(self):
        """Print a table (name, count, total, mean, p50, p95) to stdout and return the data."""
        data = self.data()
        rows = []
        for name, r in data.items():
            if r["kind"] == "time":
                cells = [_fmt_s(r[k]) for k in ("total", "mean", "p50", "p95")]
            else:
                cells = [f"{r[k]:.6g}" for k in ("total", "mean", "p50", "p95")]
            rows.append([name, str(r["count"])] + cells)
        _print_table("Prism metrics", ["name", "count", "total", "mean", "p50", "p95"], rows)
        return data

    def reset(self):
        self._series.clear()
        self._custom_series.clear()


cdef str _fmt_s(double s):
    if s >= 1.0:
        return f"{s:.3f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.3f} ms"
    if s >= 1e-6:
        return f"{s * 1e6:.3f} µs"
    return f"{s * 1e9:.0f} ns"


def _print_table(title, headers, rows):
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
        print(title)
        print("  ".join(h.ljust(w) for h, w in zip(headers, widths)))
        for r in rows:
            print("  ".join(c.ljust(w) for c, w in zip(r, widths)))
        return
    table = Table(title=title)
    for i, h in enumerate(headers):
        table.add_column(h, justify="left" if i == 0 else "right")
    for r in rows:
        table.add_row(*r)
    Console(file=sys.stdout).print(table)


def _fmt_bytes(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{n} B"
        n /= 1024


cdef class MemoryTracker:
    """tracemalloc wrapper: `start()`, `report()` (current/peak bytes, top 5 sites), `stop()`."""

    @classmethod
    def new(cls, *args, **kwargs):
        return cls(*args, **kwargs)

    def start(self):
        if not tracemalloc.is_tracing():
            tracemalloc.start()
            self._started_tracing = True
        tracemalloc.reset_peak()
        self.running = True

    def report(self, limit=5):
        """Print and return {"current", "peak", "top": [{file, line, size, count}]}."""
        if not tracemalloc.is_tracing():
            raise PrismError("MemoryTracker.report() called before start()")
        current, peak = tracemalloc.get_traced_memory()
        snap = tracemalloc.take_snapshot().filter_traces(
            (tracemalloc.Filter(False, tracemalloc.__file__),))
        top = []
        for stat in snap.statistics("lineno")[:limit]:
            frame = stat.traceback[0]
            top.append({"file": frame.filename, "line": frame.lineno,
                        "size": stat.size, "count": stat.count})
        rows = [[f"{t['file']}:{t['line']}", _fmt_bytes(t["size"]), str(t["count"])] for t in top]
        print(f"memory: current {_fmt_bytes(current)}, peak {_fmt_bytes(peak)}")
        _print_table("Top allocation sites", ["site", "size", "blocks"], rows)
        return {"current": current, "peak": peak, "top": top}

    def stop(self):
        if self._started_tracing and tracemalloc.is_tracing():
            tracemalloc.stop()
        self._started_tracing = False
        self.running = False


cdef class Sample:
    """One PerfMonitor sample: attributes and mapping access (`s.cpu`, `s["cpu"]`).

    Metrics not requested are None. `below_threshold` is True when the
    confidence flow is under the monitor's confidence_threshold.
    """

    _KEYS = ("time", "cpu", "memory", "confidence_flow")

    def keys(self):
        return [k for k in Sample._KEYS if getattr(self, k) is not None]

    def __getitem__(self, key):
        if key not in Sample._KEYS and key != "below_threshold":
            raise KeyError(key)
        return getattr(self, key)

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def to_dict(self):
        return {k: self[k] for k in self.keys()}

    def __repr__(self):
        return f"Sample({', '.join(f'{k}={self[k]!r}' for k in self.keys())})"


cdef class PerfMonitor:
    """Background sampler. `PerfMonitor({"confidence_threshold": 0.8, "sample_rate": 100,
    "metrics": ["cpu", "memory", "confidence_flow"]})` (keyword arguments work too).

    `start()` launches a daemon thread taking `sample_rate` samples per
    second; `samples` holds the last 10_000. `alert_when({"condition": f,
    "action": g})`: g(sample) runs once each time f(sample) goes from false
    to true. `stop()` joins the thread. `sample_now()` takes one sample on
    the calling thread (alerts included). `clock=` (clock.py) replaces the
    monotonic clock that schedules samples and stamps them: with a
    `ManualClock`, each `advance(1 / sample_rate)` takes exactly one sample.
    """

    def __init__(self, options=None, *, clock=None, **kwargs):
        self._clock = clock if clock is not None else SYSTEM
        opts = {}
        if options is not None:
            for k in ("confidence_threshold", "sample_rate", "metrics"):
                v = _field(options, k)
                if v is not None:
                    opts[k] = v
        opts.update(kwargs)
        unknown = set(opts) - {"confidence_threshold", "sample_rate", "metrics"}
        if unknown:
            raise PrismError(f"unknown PerfMonitor options: {sorted(unknown)}")
        self.confidence_threshold = opts.get("confidence_threshold", 0.8)
        self.sample_rate = opts.get("sample_rate", 10)
        if self.sample_rate <= 0:
            raise PrismError("sample_rate must be > 0")
        self.metrics = tuple(opts.get("metrics", ("cpu", "memory", "confidence_flow")))
        bad = set(self.metrics) - {"cpu", "memory", "confidence_flow"}
        if bad:
            raise PrismError(f"unknown PerfMonitor metrics: {sorted(bad)}")
        self._samples = collections.deque(maxlen=10_000)
        self._alerts = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._last_sum = flow_sum()
        self._last_count = flow_count()

    @classmethod
    def new(cls, *args, **kwargs):
        return cls(*args, **kwargs)

    @property
    def samples(self):
        return list(self._samples)

    @property
    def running(self):
        return self._thread is not None and self._thread.is_alive()

    def alert_when(self, spec):
        condition = _field(spec, "condition")
        action = _field(spec, "action")
        if not callable(condition) or not callable(action):
            raise PrismError("alert_when needs callable 'condition' and 'action'")
        self._alerts.append([condition, action, False])

    def start(self):
        if self.running:
            return
        import psutil
        self._proc = psutil.Process()
        if "cpu" in self.metrics:
            self._proc.cpu_percent(None)          # primes the CPU% baseline
        self._last_sum = flow_sum()
        self._last_count = flow_count()
        if not self._watching:
            watch_flow(1)
            self._watching = True
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="prism-perfmonitor", daemon=True)
        self._thread.start()

    def _run(self):
        clock = self._clock
        interval = 1.0 / self.sample_rate
        next_t = clock.now()
        while True:
            next_t += interval
            delay = next_t - clock.now()
            if delay < 0:                         # fell behind: do not burst
                next_t = clock.now()
                delay = 0
            if clock.wait(self._stop, delay):
                return
            try:
                self.sample_now()
            except Exception as e:                # never let the sampler die silently
                log.error("PerfMonitor sample failed", {"error": repr(e)})

    cpdef Sample sample_now(self):
        cdef Sample s = Sample.__new__(Sample)
        cdef double fs
        cdef long long fc
        s.time = self._clock.now()
        if "cpu" in self.metrics:
            if self._proc is None:
                import psutil
                self._proc = psutil.Process()
            s.cpu = self._proc.cpu_percent(None)
        if "memory" in self.metrics:
            if self._proc is None:
                import psutil
                self._proc = psutil.Process()
            s.memory = self._proc.memory_info().rss
        with self._lock:
            fs = flow_sum()
            fc = flow_count()
            if "confidence_flow" in self.metrics:
                n = fc - self._last_count
                s.confidence_flow = (fs - self._last_sum) / n if n > 0 else 1.0
                s.below_threshold = s.confidence_flow < self.confidence_threshold
            self._last_sum = fs
            self._last_count = fc
            self._samples.append(s)
            for alert in self._alerts:
                try:
                    hit = bool(alert[0](s))
                except Exception as e:
                    log.error("PerfMonitor alert condition failed", {"error": repr(e)})
                    continue
                if hit and not alert[2]:
                    try:
                        alert[1](s)
                    except Exception as e:
                        log.error("PerfMonitor alert action failed", {"error": repr(e)})
                alert[2] = hit
        return s

    def stop(self):
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        self._thread = None
        if self._watching:
            watch_flow(-1)
            self._watching = False

    def __dealloc__(self):
        if self._watching:
            watch_flow(-1)
