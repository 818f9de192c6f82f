"""Metrics, MemoryTracker and PerfMonitor with real threads; time is a ManualClock moved by hand
(clock.py), so no result depends on how busy the machine is. One test runs the sampler on the
real clock and waits for samples, without timing anything."""
import threading
import time

import pytest

import prism_runtime.context as context
from prism_runtime import MemoryTracker, Metrics, PerfMonitor
from prism_runtime.clock import ManualClock
from prism_runtime.errors import PrismError

RATE = 4                    # samples per second: 1 / RATE is exact in binary, so ticks add up exactly
TICK = 1 / RATE


def started(mon, clock):
    """Start mon on clock and wait until its sampler thread waits for its first tick."""
    mon.start()
    clock.wait_for_sleepers(1)
    return mon


def test_measure_returns_result_and_runs_in_named_context():
    m = Metrics.new()
    seen = []

    def work():
        seen.append(context.current().name)
        return 42

    assert m.measure("work", work) == 42
    assert seen == ["work"]
    assert context.current() is None


def test_measure_times_each_call():
    clock = ManualClock()
    m = Metrics(clock=clock)
    for step in (0.01, 0.01, 0.01, 0.02, 0.05):
        m.measure("work", lambda: clock.advance(step))
    row = m.data()["work"]
    assert row["count"] == 5 and row["kind"] == "time"
    assert row["total"] == pytest.approx(0.10)
    assert row["mean"] == pytest.approx(0.02)
    assert row["p50"] == pytest.approx(0.01) and row["p95"] == pytest.approx(0.05)


def test_measure_on_the_real_clock():
    m = Metrics()
    m.measure("real", lambda: sum(range(1000)))
    row = m.data()["real"]
    assert row["count"] == 1 and row["total"] > 0.0


def test_measure_records_failures_and_reraises():
    m = Metrics()
    with pytest.raises(ZeroDivisionError):
        m.measure("bad", lambda: 1 / 0)
    assert m.data()["bad"]["count"] == 1
    assert context.current() is None


def test_custom_measure_sees_context_confidence_and_duration():
    clock = ManualClock()
    m = Metrics(clock=clock)
    seen = []

    def throughput(ctx):
        seen.append((ctx.name, ctx.confidence, ctx.duration))
        return ctx.confidence / ctx.duration

    class Spec:                                 # object form of the spec
        measure = staticmethod(lambda ctx: ctx.confidence)

    m.define_custom("confidence_throughput", {"measure": throughput})
    m.define_custom("conf", Spec())

    def work():
        context.report_confidence(0.4)
        context.report_confidence(0.8)
        clock.advance(0.005)

    m.measure("flow", work)
    m.measure("flow", work)
    data = m.data()
    assert [s[0] for s in seen] == ["flow", "flow"]
    assert all(c == pytest.approx(0.6) and d == pytest.approx(0.005) for _, c, d in seen)
    assert data["conf"]["kind"] == "custom"
    assert data["conf"]["count"] == 2 and data["conf"]["mean"] == pytest.approx(0.6)
    assert data["confidence_throughput"]["count"] == 2
    with pytest.raises(PrismError):
        m.define_custom("x", {"nope": 1})


def test_report_prints_table_and_returns_dict(capsys):
    m = Metrics()
    m.measure("alpha", lambda: None)
    data = m.report()
    out = capsys.readouterr().out
    assert "alpha" in out and "p95" in out and "count" in out
    assert set(data["alpha"]) >= {"count", "total", "mean", "p50", "p95"}


def test_memory_tracker(capsys):
    t = MemoryTracker.new()
    with pytest.raises(PrismError):
        MemoryTracker().report()
    t.start()
    keep = [bytearray(10_000) for _ in range(200)]
    r = t.report()
    t.stop()
    out = capsys.readouterr().out
    assert r["current"] >= 2_000_000 and r["peak"] >= r["current"]
    assert 1 <= len(r["top"]) <= 5
    assert r["top"][0]["size"] >= 2_000_000 and r["top"][0]["file"].endswith("test_metrics.py")
    assert "peak" in out
    del keep


def test_perfmonitor_options_forms():
    a = PerfMonitor({"confidence_threshold": 0.7, "sample_rate": 20, "metrics": ["cpu"]})
    b = PerfMonitor.new(confidence_threshold=0.7, sample_rate=20, metrics=["cpu"])
    for p in (a, b):
        assert (p.confidence_threshold, p.sample_rate, p.metrics) == (0.7, 20, ("cpu",))
    with pytest.raises(PrismError):
        PerfMonitor({"metrics": ["gpu"]})


def test_perfmonitor_samples_once_per_tick_in_background():
    clock = ManualClock(start=100.0)
    mon = PerfMonitor({"confidence_threshold": 0.8, "sample_rate": RATE,
                       "metrics": ["cpu", "memory", "confidence_flow"]}, clock=clock)
    started(mon, clock)
    assert mon.running and mon.samples == []
    for _ in range(8):
        clock.advance(TICK)
    assert [s.time for s in mon.samples] == [100.0 + TICK * i for i in range(1, 9)]
    mon.stop()
    assert not mon.running
    s = mon.samples[-1]
    assert s.memory > 1_000_000 and s["memory"] == s.memory
    assert s.cpu >= 0.0 and s.confidence_flow == 1.0
    clock.advance(10 * TICK)
    assert len(mon.samples) == 8               # stopped means stopped


def test_perfmonitor_catches_up_without_bursting():
    clock = ManualClock()
    mon = started(PerfMonitor(metrics=["memory"], sample_rate=RATE, clock=clock), clock)
    try:
        clock.advance(10 * TICK)               # a stall of ten ticks: one sample now, one to restart
        assert len(mon.samples) == 2
        clock.advance(TICK)
        assert len(mon.samples) == 3
    finally:
        mon.stop()


def test_perfmonitor_samples_on_the_real_clock():
    mon = PerfMonitor(metrics=["memory"], sample_rate=100)
    arrived = threading.Event()
    mon.alert_when({"condition": lambda s: len(mon.samples) >= 3, "action": lambda s: arrived.set()})
    mon.start()
    try:
        assert arrived.wait(60), "the sampler took no 3 samples in a minute"
    finally:
        mon.stop()
    n = len(mon.samples)
    assert n >= 3 and not mon.running
    assert len(mon.samples) == n               # joined: nothing samples after stop()


def test_perfmonitor_confidence_flow_without_context():
    mon = PerfMonitor(metrics=["confidence_flow"], confidence_threshold=0.5)
    mon.start()
    try:
        mon.sample_now()                       # drain anything earlier
        context.report_confidence(0.2)
        context.report_confidence(0.4)
        s = mon.sample_now()
        assert s.confidence_flow == pytest.approx(0.3) and s.below_threshold
        assert s.cpu is None and s.memory is None
        assert mon.sample_now().confidence_flow == 1.0
    finally:
        mon.stop()
    assert context.active_hooks() == 0


def test_alert_fires_once_per_crossing():
    clock = ManualClock()
    mon = PerfMonitor(metrics=["confidence_flow"], sample_rate=RATE, clock=clock)
    fired = []
    mon.alert_when({"condition": lambda m: m.confidence_flow < 0.5,
                    "action": lambda m: fired.append(m.confidence_flow)})
    started(mon, clock)
    try:
        def feed(c, ticks):
            for _ in range(ticks):
                context.report_confidence(c)
                context.report_confidence(c)
                clock.advance(TICK)             # one sample of the two confidences above

        feed(0.9, 2)
        assert fired == []
        feed(0.1, 3)                            # crosses below: one alert, not three
        assert fired == [pytest.approx(0.1)]
        feed(0.9, 2)                            # back above: re-armed
        feed(0.2, 3)                            # second crossing
    finally:
        mon.stop()
    assert fired == [pytest.approx(0.1), pytest.approx(0.2)]
    assert [s.below_threshold for s in mon.samples] == [False] * 2 + [True] * 3 + [False] * 2 + [True] * 3


def test_alert_errors_do_not_kill_the_sampler(capsys):
    clock = ManualClock()
    mon = PerfMonitor(metrics=["memory"], sample_rate=RATE, clock=clock)
    calls = []
    mon.alert_when({"condition": lambda m: calls.append(m) is None, "action": lambda m: 1 / 0})
    started(mon, clock)
    for _ in range(3):
        clock.advance(TICK)
    mon.stop()
    assert len(mon.samples) == 3 and len(calls) == 3
    assert capsys.readouterr().err.count("alert action failed") == 1      # fires once: always true
