"""`prism profile --confidence FILE`: where a program's confidence is produced and lost.

The program runs as a debug build with the tracer recording (`recorded_run`);
`inspect_report.summarise` groups the traced confidence steps by function and
by source line. For each: how many confident values were produced there, their
mean and lowest confidence, and the confidence *lost* there: the sum, over its
steps, of the confidence before the step minus after it (a `~> 0.8` applied to
a certain value loses 0.2; `a * b` with 0.9 and 0.8 loses 0.08 against its
weaker operand). Two tables go to standard output, worst first, and an SVG bar
chart of the same (drawn by pygal) to `confidence.svg` (`-o PATH`).

Talks to: `recorded_run`, `inspect_report`, pygal.
"""
from __future__ import annotations

from pathlib import Path

import click

TABLE_ROWS = 20


def _table(title: str, rows: list, first: str) -> list:
    out = [title, f"  {first:<34} {'values':>7} {'mean':>8} {'lowest':>8} {'lost':>9}"]
    for r in rows[:TABLE_ROWS]:
        name = r["place"]
        out.append(f"  {name:<34} {r['count']:>7} {r['mean']:>8.4f} {r['lowest']:>8.4f} {r['lost']:>9.4f}")
    if len(rows) > TABLE_ROWS:
        out.append(f"  ... and {len(rows) - TABLE_ROWS} more")
    if not rows:
        out.append("  (no confident value was produced)")
    return out


def chart_svg(lines: list, title: str) -> bytes:
    """A bar chart per source line: confidence lost there and the mean confidence produced."""
    import pygal
    chart = pygal.Bar(title=title, x_title="source line", y_title="confidence", x_label_rotation=30,
                      legend_at_bottom=True, show_legend=True, print_values=False)
    chart.x_labels = [r["place"] for r in lines]
    chart.add("confidence lost", [round(r["lost"], 6) for r in lines])
    chart.add("mean confidence", [round(r["mean"], 6) for r in lines])
    chart.add("lowest confidence", [round(r["lowest"], 6) for r in lines])
    return chart.render()


def profile_confidence(file: Path, output: Path, typed: bool = True) -> int:
    from transpiler.tools.inspect_report import summarise
    from transpiler.tools.recorded_run import record_run
    run = record_run(file, typed=typed)
    if run.compile_error is not None:
        click.echo(run.compile_error, err=True)
        return 1
    if run.error is not None:
        click.echo(f"{run.error['file']}:{run.error['line']}: error: {run.error['message']} "
                   "(the profile covers the run until then)", err=True)
    summary = summarise(run)
    by_loss = lambda r: (-r["lost"], r["file"], r["line"])   # noqa: E731 - a sort key
    text = _table("Confidence by function (worst first):", sorted(summary["functions"], key=by_loss), "function")
    text += [""] + _table("Confidence by line (worst first):", sorted(summary["lines"], key=by_loss), "line")
    click.echo("\n".join(text))
    output.write_bytes(chart_svg(summary["lines"], f"Confidence by source line: {file.name}"))
    click.echo(f"wrote {output}", err=True)
    return run.exit_status
