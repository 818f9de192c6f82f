"""The same Prism program, run unchanged by `prism run` on the local pool, Dask and Ray.

Its top level calls `parallel.map`, so workers import it only up to there
(their output discarded); the mapped function uses a top-level value and
calls into another `.prism` file.
"""
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.xdist_group("cluster")

LIB = """
fn weight(n: int) -> int { return n % 4 + 1 }
"""

PROGRAM = """
import { parallel } from "std/parallel"
import { getpid } from "os"
import { weight } from "./prog_lib"

print("start")
let factor = 3
struct Tally { n: int, total: int }

fn score(n: int) -> Tally {
    let total = 0
    for i in range(n) { total = total + weight(i) * factor }
    return Tally.new(n, total)
}
fn pid(n: int) -> int { return getpid() }
fn check(n: int) -> float { return 1 / (n - 2) }

let tallies = await parallel.map(score, range(30), chunk_size: 4)
print(tallies[29], len(tallies))
let pids = await parallel.map(pid, range(6), chunk_size: 1)
print("driver pid among workers:", pids.contains(getpid()))
print("workers:", parallel.workers())
let checked = await parallel.map(check, range(4), errors: "return")
print(checked)
try {
    await parallel.map(check, range(4))
} catch e {
    print("caught:", e.message)
}
print("done")
"""


def expected_output(directory):
    def score(n):
        return sum((i % 4 + 1) * 3 for i in range(n))
    return "\n".join([
        "start",
        f"Tally {{ n: 29, total: {score(29)} }} 30",
        "driver pid among workers: false",
        "workers: 2",
        "[-0.5, -1.0, division by zero, 1.0]",
        f"caught: 1 of 4 items failed; first, item 2: {directory / 'prog_parallel.prism'}:16: division by zero",
        "done",
    ]) + "\n"


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    directory = tmp_path_factory.mktemp("program")
    (directory / "prog_lib.prism").write_text(LIB)
    (directory / "prog_parallel.prism").write_text(PROGRAM)
    return directory


@pytest.mark.parametrize("name", ["local", "dask", "ray"])
def test_the_same_program_runs_on_every_engine(name, program, prism_env, request):
    env = {k: v for k, v in prism_env.items() if not k.startswith("PRISM_CLUSTER")}
    env["PRISM_CLUSTER"] = name
    if name == "local":
        env["PRISM_CLUSTER_WORKERS"] = "2"
    elif name == "dask":
        env["PRISM_CLUSTER_ADDRESS"] = request.getfixturevalue("dask_cluster").scheduler_address
    else:
        env["PRISM_CLUSTER_ADDRESS"] = request.getfixturevalue("ray_address")
        # ray.init put its authentication mode (RAY_AUTH_MODE=token) in our environment; a
        # second driver needs it to connect.
        env.update({k: v for k, v in os.environ.items() if k.startswith("RAY_")})
    proc = subprocess.run([sys.executable, "-m", "transpiler", "run", "-O0", "prog_parallel.prism"],
                          cwd=program, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == expected_output(program)


DRIVER = """
import asyncio, sys
sys.path.insert(0, {directory!r})
import prism_runtime.install
from prism_runtime.parallel import parallel
import prog_lib

if __name__ == "__main__":
    # Two maps in two asyncio.run calls: the engine this process started must outlive the
    # first call's event loop and its executor threads.
    print(asyncio.run(parallel.map(prog_lib.weight, range(6))))
    print(asyncio.run(parallel.map(prog_lib.weight, range(6, 12))), parallel.workers())
    parallel.close()
"""


@pytest.mark.parametrize("name", ["dask", "ray"])
def test_a_python_driver_starts_its_own_engine(name, program, prism_env, tmp_path):
    pytest.importorskip("distributed" if name == "dask" else "ray", reason="needs '.[cluster]'")
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER.format(directory=str(program)))
    env = {k: v for k, v in prism_env.items() if not k.startswith(("PRISM_CLUSTER", "RAY_"))}
    env.update(PRISM_CLUSTER=name, PRISM_CLUSTER_WORKERS="2")
    proc = subprocess.run([sys.executable, str(driver)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "[1, 2, 3, 4, 1, 2]\n[3, 4, 1, 2, 3, 4] 2\n"
