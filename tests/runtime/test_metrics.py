"""Metrics, MemoryTracker and PerfMonitor with real threads and time."""
import time

import pytest

import prism_runtime.context as context
from prism_runtime import MemoryTracker, Metrics, PerfMonitor
from prism_runtime.errors import PrismError


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
    m = Metrics()
    for _ in range(5):
        m.measure("sleep", lambda: time.sleep(0.01))
    row = m.data()["sleep"]
    assert row["count"] == 5 and row["kind"] == "time"
    assert row["total"] >= 0.05
    assert row["mean"] == pytest.approx(row["total"] / 5)
    assert 0.01 <= row["p50"] <= row["p95"]


def test_measure_records_failures_and_reraises():
    m = Metrics()
    with pytest.raises(ZeroDivisionError):
        m.measure("bad", lambda: 1 / 0)
    assert m.data()["bad"]["count"] == 1
    assert context.current() is None


def test_custom_measure_sees_context_confidence_and_duration():
    m = Metrics()
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
        time.sleep(0.005)

    m.measure("flow", work)
    m.measure("flow", work)
    data = m.data()
    assert [s[0] for s in seen] == ["flow", "flow"]
    assert all(c == pytest.approx(0.6) and d >= 0.005 for _, c, d in seen)
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


def test_perfmonitor_samples_in_background():
    mon = PerfMonitor({"confidence_threshold": 0.8, "sample_rate": 100,
                       "metrics": ["cpu", "memory", "confidence_flow"]})
    mon.start()
    assert mon.running
    deadline = time.monotonic() + 0.3
    while time.monotonic() < deadline:
        sum(range(1000))
    mon.stop()
    assert not mon.running
    samples = mon.samples
    assert 10 <= len(samples) <= 40
    s = samples[-1]
    assert s.memory > 1_000_000 and s["memory"] == s.memory
    assert s.cpu >= 0.0 and s.confidence_flow == 1.0
    n = len(mon.samples)
    time.sleep(0.05)
    assert len(mon.samples) == n               # stopped means stopped


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
    mon = PerfMonitor(metrics=["confidence_flow"], sample_rate=200)
    fired = []
    mon.alert_when({"condition": lambda m: m.confidence_flow < 0.5,
                    "action": lambda m: fired.append(m.confidence_flow)})
    mon.start()
    try:
        def feed(c, seconds):
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                context.report_confidence(c)
                time.sleep(0.001)

        feed(0.9, 0.05)
        assert fired == []
        feed(0.1, 0.1)                          # crosses below: one alert
        assert len(fired) == 1
        feed(0.9, 0.05)                         # back above: re-armed
        feed(0.2, 0.1)                          # second crossing
    finally:
        mon.stop()
    assert len(fired) == 2
    assert all(f < 0.5 for f in fired)


def test_alert_errors_do_not_kill_the_sampler(capsys):
    mon = PerfMonitor(metrics=["memory"], sample_rate=100)
    mon.alert_when({"condition": lambda m: True, "action": lambda m: 1 / 0})
    mon.start()
    time.sleep(0.1)
    mon.stop()
    assert len(mon.samples) >= 3
    assert "alert action failed" in capsys.readouterr().err
