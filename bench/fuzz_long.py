"""Long fuzz run: many generated, grammar-derived and mutated programs through the compiler.

    python bench/fuzz_long.py -n 100000            # N cases (front end + passes + .pyx)
    python bench/fuzz_long.py --minutes 10         # or for a while
    python bench/fuzz_long.py --build-every 200    # also a full build (Cython + cc) every 200th

Each case is one input from tests/hardening/progen.py (`any_program`), compiled
in-process typed and untyped; anything but a CompileError, or a case taking
longer than --timeout seconds, is a failure. Failing inputs are saved under
--save (default bench/fuzz_failures/) and listed; the last line reports how
many programs were tried. Exit status 1 when anything failed.
"""
from __future__ import annotations

import argparse
import hashlib
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "hardening"))

from progen import RandomChooser, any_program  # noqa: E402

from transpiler.front.diagnostics import CompileError  # noqa: E402
from transpiler.pipeline import transpile  # noqa: E402


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang()


def full_build(source: bytes, workdir: Path, timeout: float) -> str | None:
    """Build with prismc in a subprocess; a description of the failure, or None."""
    path = workdir / "fuzz case.prism"
    path.write_bytes(source)
    try:
        proc = subprocess.run([sys.executable, "-c", "from transpiler.tools.cli import prismc_main; prismc_main()",
                               str(path), "-O0", "-o", str(workdir / "out")], capture_output=True, text=True,
                              errors="replace", timeout=timeout * 10, cwd=str(REPO))
    except subprocess.TimeoutExpired:
        return "full build hung"
    if proc.returncode not in (0, 1) or "Traceback" in proc.stderr or "internal compiler error" in proc.stderr:
        return f"full build: exit {proc.returncode}: {proc.stderr.strip()[-400:]}"
    if proc.returncode == 1 and str(path) not in proc.stderr:
        return f"full build: diagnostic does not name the file: {proc.stderr[:200]}"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=10_000, help="number of cases (default 10000)")
    parser.add_argument("--minutes", type=float, help="run for this long instead of -n cases")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per case before it counts as a hang")
    parser.add_argument("--build-every", type=int, default=0, help="also run a full build every K-th case")
    parser.add_argument("--save", type=Path, default=REPO / "bench" / "fuzz_failures")
    args = parser.parse_args()

    signal.signal(signal.SIGALRM, _alarm)
    deadline = time.monotonic() + args.minutes * 60 if args.minutes else None
    workdir = Path(tempfile.mkdtemp(prefix="prism-fuzz-"))
    failures: dict[str, bytes] = {}
    tried = accepted = builds = 0
    start = time.monotonic()
    k = 0
    while (deadline is None and k < args.n) or (deadline is not None and time.monotonic() < deadline):
        seed = args.seed * 1_000_000_007 + k
        k += 1
        source = any_program(RandomChooser(seed))
        tried += 1
        for typed in (True, False):
            signal.setitimer(signal.ITIMER_REAL, args.timeout)
            try:
                transpile(source, "fuzz.prism", "fuzz", typed=typed)
                accepted += typed
            except CompileError:
                pass
            except Hang:
                failures.setdefault(f"hang (> {args.timeout}s)", source)
            except Exception as exc:  # noqa: BLE001 - every other exception is a compiler bug
                frame = traceback.extract_tb(exc.__traceback__)[-1]
                key = f"{type(exc).__name__} at {Path(frame.filename).name}:{frame.lineno}: {str(exc)[:120]}"
                if key not in failures:
                    print(f"FAIL seed={seed} typed={typed}: {key}", flush=True)
                failures.setdefault(key, source)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        if args.build_every and k % args.build_every == 0:
            builds += 1
            problem = full_build(source, workdir, args.timeout)
            if problem:
                print(f"FAIL seed={seed}: {problem}", flush=True)
                failures.setdefault(problem.splitlines()[0][:160], source)
        if k % 1000 == 0:
            print(f"... {tried} programs, {len(failures)} distinct failures, "
                  f"{tried / (time.monotonic() - start):.0f}/s", flush=True)

    if failures:
        args.save.mkdir(parents=True, exist_ok=True)
        print(f"\n{len(failures)} distinct failures (inputs saved in {args.save}):")
        for key, source in failures.items():
            name = hashlib.sha256(source).hexdigest()[:12] + ".prism"
            (args.save / name).write_bytes(source)
            print(f"  {name}: {key}")
    elapsed = time.monotonic() - start
    print(f"tried {tried} programs ({accepted} compiled, {builds} full builds) in {elapsed:.0f}s; "
          f"{len(failures)} distinct failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
