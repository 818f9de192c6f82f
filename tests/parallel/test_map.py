"""`parallel.map` on each engine (local pool, Dask LocalCluster, local Ray) against the serial loop."""
import asyncio
import math
import os
import posixpath

import pytest

from prism_runtime.confidence import Conf
from prism_runtime.context import Context
from prism_runtime.errors import PrismError

pytestmark = pytest.mark.xdist_group("cluster")

HELPER = """
fn scale(n: int) -> float { return n * 1.5 }
"""

MAIN = """
import { getpid, listdir, mkdir } from "os"
import { sleep } from "time"
import { scale } from "./par_helper"

struct Scored { n: int, score: any, tags: [string] }
let offset = 3

fn square(n: int) -> int { return n * n + offset }
fn scaled(n: int) -> float { return scale(n) }
fn sure(n: int) { return scale(n) ~> 0.5 }
fn scored(n: int) -> Scored { return Scored.new(n, n ~> 0.25, ["t" + str(n)]) }
fn risky(n: int) -> float { return 10 / (n - 3) }
fn thrower(n: int) -> int {
    if n % 2 == 1 { throw error("odd item " + str(n)) }
    return n
}
async fn ask(prompt: string) { return await llm.generate(prompt) }
let inc = (x) => x + 1

// Waits (at most 30 s) until two processes have taken items: proves the work is spread.
fn rendezvous(dir: string) -> int {
    let me = getpid()
    try { mkdir(dir + "/" + str(me)) } catch e { }
    let waited = 0
    while len(listdir(dir)) < 2 && waited < 300 {
        sleep(0.1)
        waited = waited + 1
    }
    return me
}
"""


@pytest.fixture(scope="module")
def prog(prism_module):
    return prism_module("par_main", MAIN, par_helper=HELPER)


def run(coro):
    return asyncio.run(coro)


def test_results_equal_the_serial_loop(engine, prog):
    items = list(range(50))
    assert run(engine.map(prog.square, items)) == [prog.square(i) for i in items]
    assert run(engine.map(prog.square, items, chunk_size=7)) == [prog.square(i) for i in items]
    assert run(engine.map(prog.square, [])) == []


def test_a_function_that_imports_another_prism_file(engine, prog):
    assert run(engine.map(prog.scaled, range(10), chunk_size=3)) == [i * 1.5 for i in range(10)]


def test_an_importable_python_function(engine):
    assert run(engine.map(math.sqrt, [1.0, 4.0, 9.0])) == [1.0, 2.0, 3.0]
    assert run(engine.map(posixpath.basename, ["/a/b.prism", "c/d"])) == ["b.prism", "d"]


def test_work_runs_in_other_processes(engine, prog, tmp_path):
    pids = run(engine.map(prog.rendezvous, [str(tmp_path)] * 4, chunk_size=1))
    assert os.getpid() not in pids
    assert len(set(pids)) >= 2
    assert engine.workers() == 2


def test_values_keep_confidence_and_structs(engine, prog):
    sure = run(engine.map(prog.sure, range(4)))
    assert all(type(v) is Conf and v.confidence == 0.5 for v in sure)
    assert [v.value for v in sure] == [i * 1.5 for i in range(4)]
    scored = run(engine.map(prog.scored, range(3)))
    assert [type(s) for s in scored] == [prog.Scored] * 3
    assert scored == [prog.scored(i) for i in range(3)]
    assert scored[2].score.confidence == 0.25 and scored[2].tags == ["t2"]


def test_a_failing_item_does_not_stop_the_others(engine, prog):
    with pytest.raises(PrismError) as caught:
        run(engine.map(prog.risky, range(6), chunk_size=2))
    err = caught.value
    assert err.message.startswith("1 of 6 items failed; first, item 3: ")
    assert err.message.endswith("par_main.prism:13: division by zero")
    assert set(err.failures) == {3} and err.failures[3].prism_line == 13
    assert err.results[:3] == [10 / (n - 3) for n in range(3)] and err.results[4:] == [10.0, 5.0]
    returned = run(engine.map(prog.thrower, range(5), errors="return"))
    assert [r if not isinstance(r, PrismError) else r.message for r in returned] == \
        [0, "odd item 1", 2, "odd item 3", 4]


def test_async_llm_map_caps_calls_per_worker_and_carries_the_context(engine, prog, session_env):
    server = session_env
    server.reset_counters()
    prompts = [f"[latency=0.05] question {i}" for i in range(24)]
    ctx = Context("review", store={"system": "Answer tersely."})
    with ctx:
        answers = run(engine.map(prog.ask, prompts, max_concurrent=3))
    assert [a.value for a in answers] == [f"echo: {p}" for p in prompts]
    assert all(type(a) is Conf and 0 < a.confidence < 1 for a in answers)
    assert 1 < server.max_in_flight <= engine.workers() * 3
    systems = [body["messages"][0] for body in server.received]
    assert all(m == {"role": "system", "content": "Answer tersely."} for m in systems)
    assert ctx.confidence_count == len(prompts)          # what the workers noted came back


def test_a_lambda_cannot_be_sent(engine, prog):
    with pytest.raises(PrismError, match="cannot send .*lambda.* to workers: it must be a top-level function"):
        run(engine.map(prog.inc, [1]))
    with pytest.raises(PrismError, match="cannot send .*lambda.* to workers"):
        run(engine.map(lambda n: n, [1]))


def test_an_item_that_does_not_pickle_is_named(engine, prog):
    with pytest.raises(PrismError, match=r"cannot send item 1 \(generator\)"):
        run(engine.map(prog.square, [1, (x for x in [])]))
