"""What a recorded run says, summarised: the model of `prism inspect`'s page and of
`prism profile --confidence`'s tables.

From the events of `recorded_run.record_run` (trace.events_as_dicts records):

- `contexts`: one interval per context block (enter or shift .. leave), with its
  nesting depth, duration and the context's confidence when it was left;
- `lines`: the confidence flow by source line: how many confident values were
  produced there, the lowest and mean confidence, the confidence lost there
  (the sum of the drops, a drop being the confidence before the step minus
  after it) and the steps where it dropped most;
- `functions`: the same per function;
- `llm_calls`, `errors`, `debug` (macro records and breakpoints).

`render_html` turns the summary into one self-contained HTML page: the data as
JSON, the page's script and the vendored Apache ECharts (templates/vendor/,
Apache-2.0, its licence beside it) inline, so the file opens anywhere without a
network. The timeline and the confidence chart are drawn by ECharts (SVG
renderer); the tables are plain HTML.

Talks to: `recorded_run` (RecordedRun), `render.templates_dir` (the page
template and the vendored library), jinja2.
"""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

TOP_DROPS = 3


def _place(record) -> str:
    from prism_runtime.debug import display_path
    return f"{display_path(record['file'])}:{record['line']}"


def summarise(run) -> dict:
    """The page's data (JSON-ready) for a RecordedRun."""
    events = run.events
    end_ms = max((e["t_ms"] for e in events), default=0.0)
    return {
        "program": run.program,
        "exit_status": run.exit_status,
        "wall_ms": run.wall_ms,
        "error": run.error,
        "contexts": _contexts(events, end_ms),
        "lines": _flow(events, key=lambda e: (e["file"], e["line"])),
        "functions": _flow(events, key=lambda e: (e["file"], e["function"])),
        "llm_calls": [_llm(e) for e in events if e["kind"] == "llm"],
        "errors": [_error(e) for e in events if e["kind"] == "error"],
        "debug": [_debug(e) for e in events if e["kind"] in ("debug", "break")],
    }


def _contexts(events, end_ms: float) -> list:
    open_blocks, intervals = {}, []
    for e in events:
        if e["kind"] != "ctx":
            continue
        if e["action"] in ("enter", "shift"):
            open_blocks[e["block"]] = e
            continue
        start = open_blocks.pop(e["block"], None)
        if start is not None:
            intervals.append(_interval(start, e["t_ms"], e["confidence"], closed=True))
    for start in open_blocks.values():        # left by an uncaught error: open until the end
        intervals.append(_interval(start, end_ms, start["confidence"], closed=False))
    intervals.sort(key=lambda i: (i["start_ms"], i["depth"]))
    return intervals


def _interval(start: dict, end_ms: float, confidence: float, closed: bool) -> dict:
    return {"name": start["context"], "depth": start["depth"], "start_ms": start["t_ms"], "end_ms": end_ms,
            "duration_ms": end_ms - start["t_ms"], "confidence": confidence, "via": start["action"],
            "from": start["label"] if start["action"] == "shift" else None, "place": _place(start),
            "function": start["function"], "closed": closed}


def _flow(events, key) -> list:
    groups = defaultdict(list)
    for e in events:
        if e["kind"] == "conf":
            groups[key(e)].append(e)
    rows = []
    for (file, where), items in groups.items():
        confidences = [e["after"] for e in items]
        first = items[0]
        rows.append({
            "place": _place(first) if isinstance(where, int) else f"{_short_file(file)}: {where}",
            "file": file, "line": first["line"], "function": first["function"],
            "count": len(items), "lowest": min(confidences), "mean": sum(confidences) / len(confidences),
            "lost": sum(max(0.0, e["before"] - e["after"]) for e in items),
            "drops": _largest_drops(items),
        })
    rows.sort(key=lambda r: (r["file"], r["line"]))
    return rows


def _largest_drops(items) -> list:
    """The steps that lowered confidence most, each step once (a step in a loop runs many
    times): its largest drop, and how many times it lowered confidence."""
    by_step = {}
    for e in items:
        drop = e["before"] - e["after"]
        if drop <= 0:
            continue
        step = (e["label"], e["line"], e["file"])
        best = by_step.get(step)
        if best is None:
            by_step[step] = {"label": e["label"], "place": _place(e), "before": e["before"], "after": e["after"],
                             "drop": drop, "times": 1}
        else:
            best["times"] += 1
            if drop > best["drop"]:
                best.update(before=e["before"], after=e["after"], drop=drop)
    return sorted(by_step.values(), key=lambda d: d["drop"], reverse=True)[:TOP_DROPS]


def _short_file(file: str) -> str:
    from prism_runtime.debug import display_path
    return display_path(file)


def _llm(e) -> dict:
    return {k: e.get(k) for k in ("t_ms", "prompt", "system", "answer", "latency_ms", "prompt_tokens",
                                  "completion_tokens", "confidence", "model", "error")}


def _error(e) -> dict:
    from prism_runtime.debug import display_path
    place = f"{display_path(e['file'])}:{e['line']}" if e.get("line") else display_path(e.get("file") or "")
    return {"t_ms": e["t_ms"], "message": e.get("message"), "code": e.get("code"), "place": place,
            "context": e.get("context"), "caught": bool(e.get("caught")), "stack": e.get("stack") or []}


def _debug(e) -> dict:
    if e["kind"] == "break":
        text = f"confidence {e['confidence']:.4g} < {e['threshold']:.4g} ({e['label']})" + \
            (f": {e['message']}" if e.get("message") else "")
        return {"t_ms": e["t_ms"], "what": "breakpoint", "place": _place(e), "text": text}
    return {"t_ms": e["t_ms"], "what": e["label"], "place": _place(e), "text": e["text"]}


# ---------------------------------------------------------------- the page

def vendor_dir() -> Path:
    from transpiler.back.render import templates_dir
    return templates_dir() / "vendor"


def render_html(summary: dict) -> str:
    """One self-contained HTML page for the summary."""
    import jinja2
    from transpiler.back.render import templates_dir
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir())), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    # JSON inside <script>: `<` escaped so no string in the trace can close the element.
    data = json.dumps(summary, default=str).replace("<", "\\u003c")
    library = (vendor_dir() / "echarts.min.js").read_text(encoding="utf-8")
    return env.get_template("inspect.html.j2").render(s=summary, data=data, library=library)
