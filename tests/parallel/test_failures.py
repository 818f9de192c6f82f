"""What `parallel.map` must not lose: killed workers, cancellation, unreachable clusters."""
import asyncio
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from prism_runtime.errors import PrismError
from prism_runtime.parallel import Parallel

pytestmark = pytest.mark.xdist_group("cluster")

CRASHY = """
import { getpid, kill, mkdir } from "os"
import { sleep } from "time"

// The first process to take item 5 kills itself (SIGKILL) mid-chunk; a retry finds the marker.
fn crash_once(item: [string]) -> int {
    let n = int(item[0])
    if n == 5 {
        try {
            mkdir(item[1])
            kill(getpid(), 9)
        } catch e { }
    }
    return n * n
}

// Marks that it started, then takes a while.
fn slow(item: [string]) -> int {
    mkdir(item[1] + "/" + item[0])
    sleep(0.3)
    return int(item[0])
}
"""


@pytest.fixture(scope="module")
def crashy(prism_module):
    return prism_module("par_crashy", CRASHY)


@pytest.mark.parametrize("name", ["local", "dask", "ray"])
def test_a_killed_worker_loses_and_duplicates_nothing(name, engines, crashy, tmp_path):
    engine = engines(name)
    marker = tmp_path / "killed"
    items = [[str(n), str(marker)] for n in range(12)]
    results = asyncio.run(engine.map(crashy.crash_once, items, chunk_size=3))
    assert marker.is_dir()                            # a worker really died mid-run
    assert results == [n * n for n in range(12)]


def started_count(directory):
    return len(os.listdir(directory))


@pytest.mark.parametrize("name", ["local", "dask"])
def test_cancelling_the_map_cancels_outstanding_chunks(name, engines, crashy, tmp_path):
    engine = engines(name)
    items = [[str(n), str(tmp_path)] for n in range(40)]

    async def scenario():
        task = asyncio.ensure_future(engine.map(crashy.slow, items, chunk_size=1))
        while started_count(tmp_path) == 0:
            await asyncio.sleep(0.02)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    if name == "dask":
        client = engine._get_backend().client
        deadline = time.monotonic() + 30
        while client.run_on_scheduler(_prism_tasks) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert client.run_on_scheduler(_prism_tasks) == []     # nothing queued or running any more
    else:
        assert engine._get_backend()._pool is None             # the pool's processes were killed
    assert started_count(tmp_path) < len(items)
    # The engine still works after a cancellation.
    assert asyncio.run(engine.map(crashy.crash_once, [["1", str(tmp_path / "m")]])) == [1]


def _prism_tasks(dask_scheduler):
    return [key for key in dask_scheduler.tasks if str(key).startswith("prism-chunk")]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("backend,address", [("dask", "tcp://127.0.0.1:{port}"), ("ray", "127.0.0.1:{port}")])
def test_an_unreachable_address_fails_within_the_timeout_naming_it(backend, address, session_env, crashy):
    pytest.importorskip("distributed" if backend == "dask" else "ray", reason="needs '.[cluster]'")
    address = address.format(port=free_port())
    engine = Parallel(backend=backend, address=address, connect_timeout=1)
    with pytest.raises(PrismError, match=f"cannot reach the .* at {address} within 1 s"):
        asyncio.run(engine.map(crashy.crash_once, [["1", "x"]]))


SLOW_PROGRAM = """
import { mkdir } from "os"
import { sleep } from "time"
fn slow(n: int) -> int {
    mkdir("STARTED/" + str(n))
    sleep(0.3)
    return n
}
print(await parallel.map(slow, range(40), chunk_size: 1))
"""


def settle(directory, quiet=1.5, limit=30):
    """The number of started items once it has not changed for `quiet` seconds: if chunks
    were still being handed out, a new item would start every ~0.15 s."""
    count, since, deadline = started_count(directory), time.monotonic(), time.monotonic() + limit
    while time.monotonic() - since < quiet and time.monotonic() < deadline:
        time.sleep(0.1)
        now = started_count(directory)
        if now != count:
            count, since = now, time.monotonic()
    return count


@pytest.mark.parametrize("name", ["local", "dask", "ray"])
def test_ctrl_c_in_prism_run_stops_the_outstanding_chunks(name, request, prism_env, tmp_path):
    started = tmp_path / "started"
    started.mkdir()
    (tmp_path / "slow_prog.prism").write_text(SLOW_PROGRAM.replace("STARTED", str(started)))
    env = {k: v for k, v in prism_env.items() if not k.startswith("PRISM_CLUSTER")}
    env.update(PRISM_CLUSTER=name, PRISM_CLUSTER_WORKERS="2")
    if name == "dask":
        env["PRISM_CLUSTER_ADDRESS"] = request.getfixturevalue("dask_cluster").scheduler_address
    elif name == "ray":
        env["PRISM_CLUSTER_ADDRESS"] = request.getfixturevalue("ray_address")
        env.update({k: v for k, v in os.environ.items() if k.startswith("RAY_")})
    proc = subprocess.Popen([sys.executable, "-m", "transpiler", "run", "-O0", "slow_prog.prism"], cwd=tmp_path,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while started_count(started) == 0 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert settle(started) < 40
