"""Language server latency on generated 1k- and 5k-line files, against the front end.

    python bench/bench_lsp.py [--sizes 1000 5000] [--edits 7] [--hovers 60]

For each size, in one run:
- front end: `pipeline.analyse` in this process (parse, resolve, infer, check;
  the work behind the diagnostics), median of 5, and `prism check FILE` as a
  subprocess (the same plus Python start-up), median of 3;
- diagnostics: `prism lsp` is started over stdio with pygls's client
  (tests/tools/lsp_client.py); each of --edits incremental edits (a comment line
  added at the end, as typing does) is timed from sending `didChange` to the
  arrival of `publishDiagnostics` for that version; median reported. It includes
  the server's debounce (its default, 50 ms);
- hover: --hovers requests on names spread over the file, round trip; median and
  95th percentile; then the same while an analysis of the file is running, which
  shows whether analysis blocks the server.

Goals (issue 13): hover under 50 ms; diagnostics under 2x the front end's own time.
The programs are bench_compile.py's (tests/hardening/progen.py, fixed seeds).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "tests" / "hardening"))
sys.path.insert(0, str(REPO / "tests" / "tools"))

from bench_compile import source_of  # noqa: E402
from lsp_client import LspClient  # noqa: E402

from transpiler.pipeline import analyse  # noqa: E402
from transpiler.front.tokenizer import PrismTokenTypes as T, tokens_for_parser  # noqa: E402


def median_time(fn, repeats: int) -> float:
    """Median of timed calls: compared with the median of the server's latencies."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def prism_check(path: Path, env: dict) -> None:
    subprocess.run([sys.executable, "-m", "transpiler", "check", str(path)], env=env, check=True,
                   capture_output=True)


def hover_points(text: str, count: int) -> list:
    names = [t.start_pos for t in tokens_for_parser(text) if t.type is T.NAME]
    step = max(1, len(names) // count)
    return [(line - 1, col) for line, col in names[::step][:count]]


def percentile(values: list, q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def time_hovers(client: LspClient, uri: str, points: list) -> list:
    out = []
    for line, col in points:
        t0 = time.perf_counter()
        client.hover(uri, line, col)
        out.append(time.perf_counter() - t0)
    return out


def bench_size(size: int, edits: int, hovers: int, workdir: Path, env: dict) -> dict:
    text = source_of(size)
    lines = text.count("\n")
    path = workdir / f"gen_{size}.prism"
    path.write_text(text)
    front = median_time(lambda: analyse(text, str(path)), repeats=5)
    check = median_time(lambda: prism_check(path, env), repeats=3)

    client = LspClient(env=env, cwd=str(workdir))
    try:
        uri = client.open(path, text)
        assert client.diagnostics(uri) == [], "the generated program should analyse cleanly"
        latencies = []
        end_line = lines
        for k in range(edits):
            t0 = time.perf_counter()
            version = client.edit(uri, end_line, 0, end_line, 0, f"// edit {k}\n")
            end_line += 1
            client.diagnostics(uri, version)
            latencies.append(client.arrival[uri] - t0)
        points = hover_points(text, hovers)
        quiet = time_hovers(client, uri, points)
        # Hover while the server analyses the file: the analysis must not hold requests up.
        client.edit(uri, end_line, 0, end_line, 0, "// busy\n")
        time.sleep(0.1)
        busy = time_hovers(client, uri, points[: max(5, hovers // 6)])
    finally:
        client.stop()
    return {"lines": lines, "front": front, "check": check, "diag": statistics.median(latencies),
            "hover": statistics.median(quiet), "hover95": percentile(quiet, 0.95),
            "busy": statistics.median(busy)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--edits", type=int, default=7)
    parser.add_argument("--hovers", type=int, default=60)
    args = parser.parse_args()
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    print(f"{'lines':>6} {'front end':>10} {'prism check':>12} {'didChange->diag':>16} {'ratio':>6} "
          f"{'hover p50':>10} {'hover p95':>10} {'hover busy':>11}")
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            r = bench_size(size, args.edits, args.hovers, Path(tmp), env)
            ms = {k: v * 1000 for k, v in r.items() if k != "lines"}
            print(f"{r['lines']:>6} {ms['front']:>8.0f}ms {ms['check']:>10.0f}ms {ms['diag']:>14.0f}ms "
                  f"{r['diag'] / r['front']:>5.2f}x {ms['hover']:>8.1f}ms {ms['hover95']:>8.1f}ms "
                  f"{ms['busy']:>9.1f}ms", flush=True)
    print("ratio = didChange->publishDiagnostics / front end in-process (goal < 2.0); hover goal < 50 ms")


if __name__ == "__main__":
    main()
