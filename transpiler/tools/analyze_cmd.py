"""`prism analyze --context FILE`: print the static context report (context_analysis).

Text by default; `--json` for tools and `--dot` for Graphviz (the transitions
graph). The exit status is 1 when the report finds a problem (a value used after
the context that declared it, a stray `shift to`, a syntax error), 0 otherwise,
so it can run in CI like a linter; values assigned in a context and read after it
are notes and do not fail it.

Talks to: `context_analysis`, `prism_runtime.debug` (paths as the user writes
them), click.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click


def report_text(report) -> str:
    from prism_runtime.debug import display_path
    path = display_path(report.path)
    out = [f"Context report for {path}", "", "Context transitions (which context follows which):"]
    if report.edges:
        width = max(len(f"{e.source} -> {e.target}") for e in report.edges)
        for e in report.edges:
            out.append(f"  {e.source + ' -> ' + e.target:<{width}}  {e.kind:<14} {path}:{e.line} ({e.function})")
    else:
        out.append("  (no context is entered)" if not report.syntax_error and not report.stray_shifts
                   else "  (not analysed: the file does not parse)")
    sections = [("Values declared in a context and used after it:", report.leaks),
                ("Values assigned in a context and read after it (notes):", report.escapes),
                ("`shift to` with no enclosing `in context`:", report.stray_shifts)]
    for title, findings in sections:
        out += ["", title]
        out += [f"  {path}:{f.line}: {f.message}" for f in findings] or ["  none"]
    if report.syntax_error:
        out += ["", "The file does not parse:", report.syntax_error]
    problems = report.problems
    out += ["", f"{problems} problem{'s' if problems != 1 else ''} found" if problems else "no problems found"]
    return "\n".join(out)


def report_dot(report) -> str:
    lines = ["digraph contexts {", "  rankdir=LR;"]
    for e in report.edges:
        lines.append(f"  {json.dumps(e.source)} -> {json.dumps(e.target)} [label={json.dumps(e.kind)}];")
    lines.append("}")
    return "\n".join(lines)


def register(group: click.Group) -> None:
    @group.command("analyze")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--context", "context", is_flag=True, required=True,
                  help="Report on contexts: transitions, values leaving their context, stray `shift to`.")
    @click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
    @click.option("--dot", "as_dot", is_flag=True, help="Print the transitions graph in Graphviz's dot language.")
    def analyze_cmd(file, context, as_json, as_dot):
        """Static analysis of FILE (nothing is run); `--context` is the analysis there is."""
        from transpiler.tools.context_analysis import analyse_contexts
        report = analyse_contexts(file.read_bytes(), str(file))
        if as_json:
            click.echo(json.dumps(report.as_dict(), indent=2))
        elif as_dot:
            click.echo(report_dot(report))
        else:
            click.echo(report_text(report))
        sys.exit(1 if report.problems else 0)
