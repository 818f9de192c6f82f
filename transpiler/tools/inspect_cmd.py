"""`prism inspect FILE`: run a program with tracing and show what happened in a browser.

The program runs as a debug build with the tracer recording
(`recorded_run.record_run`); `inspect_report` turns the recording into one
self-contained HTML page. With `--out report.html` the page is written there;
otherwise it is served on 127.0.0.1 (standard library `http.server`, serving that
one page and nothing else) and opened in the default browser, until Ctrl-C.

Talks to: `recorded_run`, `inspect_report`, click.
"""
from __future__ import annotations

import sys
import webbrowser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Optional

import click


def report_page(file: Path, typed: bool = True):
    """(html, RecordedRun) for file; html is None when it does not build."""
    from transpiler.tools.inspect_report import render_html, summarise
    from transpiler.tools.recorded_run import record_run
    run = record_run(file, typed=typed)
    if run.compile_error is not None:
        return None, run
    return render_html(summarise(run)), run


def _handler_for(page: bytes):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.split("?")[0] not in ("/", "/index.html"):
                self.send_error(404, "the inspector serves one page: /")
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, format, *args):       # the terminal is the program's
            pass
    return Handler


def serve(page: str, port: int, open_browser: bool) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(page.encode("utf-8")))
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    click.echo(f"Prism inspector: {url} (Ctrl-C to stop)", err=True)
    if open_browser:
        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def inspect_file(file: Path, out: Optional[Path], port: int, open_browser: bool, typed: bool = True) -> int:
    page, run = report_page(file, typed)
    if page is None:
        click.echo(run.compile_error, err=True)
        return 1
    if run.error is not None:
        click.echo(f"{run.error['file']}:{run.error['line']}: error: {run.error['message']} "
                   "(the report shows where)", err=True)
    if out is not None:
        out.write_text(page, encoding="utf-8")
        click.echo(f"wrote {out}", err=True)
        return run.exit_status
    sys.stdout.flush()
    serve(page, port, open_browser)
    return run.exit_status


def register(group: click.Group) -> None:
    @group.command("inspect")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
                  help="Write the report to this one self-contained HTML file instead of serving it.")
    @click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
                  help="Port on 127.0.0.1 to serve the report on (0: any free one).")
    @click.option("--no-open", is_flag=True, help="Serve the report without opening a browser.")
    def inspect_cmd(file, out, port, no_open):
        """Run FILE as a debug build with tracing and show a report in the browser: a timeline of its
        contexts, confidence by source line, every LLM call and every error."""
        sys.exit(inspect_file(file, out, port, not no_open))
