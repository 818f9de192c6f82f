"""std/http benchmark: `http.get` from compiled Prism vs plain httpx, over loopback, one run.

Usage: python bench/bench_http.py [--quick]

A loopback HTTP server runs in a process of its own (tests/stdlib/http_server.py).
The same process times N sequential GETs of one small JSON response two ways, in
alternating rounds so that load on the machine hits both alike:

- Prism: `get_many(url, n)` of bench/kernels/http_kernels.prism (built at -O3,
  release), each call `await http.get(url)` and reading `r.text`;
- baseline: a loop over one `httpx.AsyncClient` (the library std/http uses:
  `httpx2` where installed, else `httpx`), `await client.get(url)` and `r.text`.

Both reuse one keep-alive connection. Prints the median time per request of
each and their ratio (goal: <= 1.1x, issue 18). The server's own time is in
both figures, as it is in every real request.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _kernels import load_kernels  # noqa: E402

from prism_runtime.http import httpx  # noqa: E402  - the library std/http runs on


async def plain_httpx(url: str, n: int) -> int:
    total = 0
    async with httpx.AsyncClient() as client:
        for _ in range(n):
            r = await client.get(url)
            total += len(r.text)
    return total


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    quick = parser.parse_args().quick
    n, rounds = (200, 5) if quick else (1000, 9)
    server = subprocess.Popen([sys.executable, str(HERE.parent / "tests" / "stdlib" / "http_server.py")],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().strip() + "/json"
        kernels = load_kernels("http_kernels")
        assert asyncio.run(kernels.get_many(url, 3)) == asyncio.run(plain_httpx(url, 3))   # warm both up
        prism_times, httpx_times = [], []
        for _ in range(rounds):
            start = time.perf_counter()
            asyncio.run(kernels.get_many(url, n))
            prism_times.append((time.perf_counter() - start) / n)
            start = time.perf_counter()
            asyncio.run(plain_httpx(url, n))
            httpx_times.append((time.perf_counter() - start) / n)
    finally:
        server.stdin.close()
        server.wait()
    prism, plain = statistics.median(prism_times), statistics.median(httpx_times)
    print(f"plain {httpx.__name__:<6} AsyncClient.get : {plain * 1e6:8.1f} us/request (median of {rounds} x {n})")
    print(f"Prism http.get              : {prism * 1e6:8.1f} us/request")
    print(f"ratio                       : {prism / plain:8.3f}x (goal <= 1.1x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
