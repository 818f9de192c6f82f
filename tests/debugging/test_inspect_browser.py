"""`prism inspect`: the report opened in a real headless browser (Debian's chromium driven by
Selenium), its rendered timeline and tables checked against the trace, and a screenshot kept
(`inspector.png` in the test's tmp dir). Also the served page (`--no-open`), fetched over HTTP.

Needs /usr/bin/chromium and /usr/bin/chromedriver (`apt-get install chromium chromium-driver`;
.ci/run installs them) and the `selenium` package (the test extra); skips, saying which is
missing, without them.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from test_timeout_and_llm import llm_env, server  # noqa: F401 - the loopback LLM server fixture

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

PROGRAM = """
fn validate(s: string) ~0.9 {
    return s + "!"
}

fn score(x: float) -> float ~0.8 {
    return x * 0.5
}

in context Validation {
    let v = validate("input") ~> 0.8
    in context Checks {
        let total = 0.0
        for i in 0..3 {
            total = total + score(i * 1.0)
        }
        debug!("total = {}", total)
    }
} shift to Processing {
    let answer = await llm.generate("summarise the checks")
    let r = (0.9 ~> 0.7) * (0.5 ~> 0.9)
    try {
        let z = 1 / 0
    } catch e {
        debug!("caught {}", e.message)
    }
}
print("done")
"""


def _trace_of(page: str) -> dict:
    data = re.search(r'<script type="application/json" id="prism-trace">(.*?)</script>', page, re.S).group(1)
    return json.loads(data)


@pytest.fixture
def browser():
    missing = [what for what, ok in (("chromium", Path(CHROMIUM).exists()), ("chromedriver", Path(CHROMEDRIVER).exists()))
               if not ok]
    if missing:
        pytest.skip(f"no {' and no '.join(missing)} on this machine (apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="the browser test drives chromium with selenium")
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1300,2400"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def test_report_in_a_browser_matches_the_trace(prism, server, browser, tmp_path):  # noqa: F811
    proc = prism(PROGRAM, "inspect", "--out", "report.html", env=llm_env(server))
    assert proc.returncode == 0, proc.stderr
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    trace = _trace_of(page)
    assert [(c["name"], c["depth"], c["via"]) for c in trace["contexts"]] == [
        ("Validation", 0, "enter"), ("Checks", 1, "enter"), ("Processing", 0, "shift")]
    assert "src=" not in page.split("<body>")[1].split("<script")[0]     # self-contained: nothing fetched

    browser.get((tmp_path / "report.html").as_uri())
    assert browser.execute_script("return document.body.getAttribute('data-rendered')") == "true"
    browser.save_screenshot(str(tmp_path / "inspector.png"))
    assert (tmp_path / "inspector.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # The timeline drawn: one bar per context block of the trace, at its depth and times.
    drawn = browser.execute_script("return window.prismInspector.timeline.getOption().series[0].data")
    assert [(d["name"], d["value"][0], d["value"][1], d["value"][2]) for d in drawn] == \
        [(c["name"], c["depth"], c["start_ms"], c["end_ms"]) for c in trace["contexts"]]
    labels = [t.text for t in browser.find_elements("css selector", "#timeline svg text")]
    for name in ("Validation", "Checks", "Processing", "depth 1", "depth 2"):
        assert name in labels
    bars = browser.execute_script(
        "return window.prismInspector.confidence.getOption().xAxis[0].data")
    assert bars == [r["place"] for r in trace["lines"]]

    # The tables, as rendered, against the trace.
    rows = _table(browser, "context-table")
    assert [(r[0], r[3]) for r in rows] == [("Validation", "1"), ("Checks", "2"), ("Processing", "1")]
    assert rows[2][1] == "shift from Validation"
    lines = _table(browser, "confidence-table")
    assert [r[0] for r in lines] == [r["place"] for r in trace["lines"]]
    by_place = {r[0]: r for r in lines}
    assert by_place["prog.prism:10"][2:6] == ["1", "0.72", "0.72", "0.18"]
    assert "`validate(\"input\") ~> 0.8`: 0.9 → 0.72" in by_place["prog.prism:10"][6]
    assert by_place["prog.prism:6"][2] == "3" and "lowered it 3 times" in by_place["prog.prism:6"][6]
    calls = _table(browser, "llm-table")
    assert len(calls) == len(trace["llm_calls"]) == 1
    assert calls[0][1] == "summarise the checks" and calls[0][2] == "echo: summarise the checks"
    assert calls[0][4] == "3 / 4" and calls[0][5] == "0.9048"
    errors = _table(browser, "error-table")
    assert [(e[1], e[2], e[3], e[4], e[5]) for e in errors] == [
        ("prog.prism:22", "division by zero", "DIVISION_BY_ZERO", "Processing", "caught")]
    debug = _table(browser, "debug-table")
    assert [d[3] for d in debug] == ["total = 1.5", "caught division by zero"]


def _table(browser, table_id: str) -> list:
    rows = browser.find_elements("css selector", f"#{table_id} tr")[1:]
    return [[cell.text for cell in row.find_elements("css selector", "td")] for row in rows]


def test_served_report_is_the_same_page(tmp_path, prism_env):
    (tmp_path / "prog.prism").write_text("in context A {\n    let x = 1 ~> 0.5\n}\nprint(\"ok\")\n")
    proc = subprocess.Popen([sys.executable, "-m", "transpiler", "inspect", "--no-open", "--port", "0", "prog.prism"],
                            cwd=tmp_path, env=prism_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        while line and "Prism inspector: " not in line:
            line = proc.stderr.readline()
        url = re.search(r"(http://127\.0\.0\.1:\d+/)", line).group(1)
        with urllib.request.urlopen(url, timeout=60) as response:
            page = response.read().decode("utf-8")
        assert [c["name"] for c in _trace_of(page)["contexts"]] == ["A"]
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(url + "other", timeout=60)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
