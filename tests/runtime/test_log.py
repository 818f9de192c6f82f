"""log: one structured line on stderr per call."""
from prism_runtime import log, PerfMonitor
from prism_runtime.log import Logger


def test_levels_and_format(capsys):
    log.debug("starting")
    log.info("loaded", {"n": 3, "name": "x"})
    log.warn("Low confidence flow detected", {"confidence_flow": 0.25, "note": "two words"})
    log.error("failed", {"ok": False, "missing": None})
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "DEBUG starting",
        "INFO loaded n=3 name=x",
        'WARN Low confidence flow detected confidence_flow=0.25 note="two words"',
        "ERROR failed ok=false missing=null",
    ]


def test_one_line_even_with_newlines(capsys):
    log.info("a\nb", {"k": "x\ny"})
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("INFO a\\nb k=")


def test_sample_and_object_data(capsys):
    s = PerfMonitor(metrics=["memory"]).sample_now()
    log.warn("sample", s)
    line = capsys.readouterr().err.strip()
    assert line.startswith("WARN sample time=") and "memory=" in line and "cpu=" not in line
    log.info("plain", 5)
    assert capsys.readouterr().err.strip() == "INFO plain data=5"


def test_level_filter(capsys):
    lg = Logger.new(level="warn")
    lg.info("hidden")
    lg.warn("shown")
    assert capsys.readouterr().err == "WARN shown\n"
