"""The local provider's worker process: crashes, signals, hangs and exits never take the
program with them; the next call gets a fresh worker; batches keep their contract.

The worker, its pipes and the provider are the real ones; the model inside the worker is
`fake_engine.FakeEngine`, which kills itself with a chosen signal, hangs, or exits on
request (the real llama-cpp-python model is exercised by test_local_model.py).
"""
import asyncio
import math
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from prism_runtime.confidence import Conf
from prism_runtime.errors import PrismError
from prism_runtime.clock import ManualClock
from prism_runtime.llm import LLM
from prism_runtime.llm_config import LLMConfig
from prism_runtime.llm_local import REBUILD_COMMAND, LocalProvider, death_message

from .fake_engine import FakeEngine

ENGINE = f"{FakeEngine.__module__}:FakeEngine"
run = asyncio.run


@pytest.fixture
def make_llm(monkeypatch):
    """`make_llm(**settings)`: an LLM on the local provider with the fake engine; closed afterwards."""
    monkeypatch.setenv("PRISM_LLM_LOCAL_ENGINE", ENGINE)
    made = []

    def make(**settings):
        settings.setdefault("timeout", 30.0)
        llm = LLM(provider="local", model_path="unused.gguf", **settings)
        made.append(llm)
        return llm

    yield make
    for llm in made:
        llm.reset()                         # stops its worker


def worker_pid(llm) -> int:
    return int(str(run(llm.generate("[pid]"))))


def test_answers_stream_and_confidence_cross_the_pipe(make_llm):
    llm = make_llm()
    answer = run(llm.generate("hello there"))
    assert isinstance(answer, Conf) and str(answer) == "echo: hello there"
    assert answer.confidence == pytest.approx(math.exp(-0.1))

    async def chunks():
        return [c async for c in llm.generate_stream("one two three")]

    assert [str(c) for c in run(chunks())] == ["echo:", " one", " two", " three"]


def test_one_warm_worker_serves_every_call_and_event_loop(make_llm):
    llm = make_llm()
    first = worker_pid(llm)
    assert first != os.getpid()
    assert worker_pid(llm) == first         # a second asyncio.run: same worker, kept warm


@pytest.mark.parametrize("sig", ["SIGILL", "SIGSEGV", "SIGBUS", "SIGFPE", "SIGABRT", "SIGKILL", "SIGTERM"])
def test_worker_killed_by_a_signal_fails_the_call_and_the_next_call_gets_a_fresh_worker(make_llm, sig):
    llm = make_llm()
    before = worker_pid(llm)
    with pytest.raises(PrismError) as info:
        run(llm.generate(f"[die={sig}] hi"))
    message = info.value.message
    assert message.startswith("local model failed: the model worker")
    assert sig in message and "the next call starts a fresh worker" in message
    after = worker_pid(llm)
    assert after != before
    with pytest.raises(ProcessLookupError):
        os.kill(before, 0)                  # the dead worker was reaped, not left a zombie


def test_a_worker_killed_while_idle_is_replaced_by_the_next_call(make_llm):
    """Seen with the real model: the out-of-memory killer (here SIGKILL by hand) takes an idle
    worker, and a call made at once, before the provider has noticed (or while the worker is
    still exiting), must not be the one that fails: it goes to a fresh worker."""
    llm = make_llm()
    for _ in range(3):
        before = worker_pid(llm)
        os.kill(before, signal.SIGKILL)     # no wait: the call below races the death
        assert worker_pid(llm) != before


def test_a_call_handed_a_worker_that_died_meanwhile_goes_to_a_fresh_one(make_llm):
    """The race a loaded run lost: the provider hands out a worker that is alive, and its
    death is handled before the call is submitted to it. The call never reached it, so it
    is sent to a fresh worker instead of failing."""
    llm = make_llm()
    dead_pid = worker_pid(llm)
    provider = llm._get_provider()
    dead = provider.worker()
    dead.process.kill()
    assert dead._gone.wait(30)
    fresh = provider.worker
    handed = []

    def first_the_dead_one():
        if not handed:
            handed.append(dead)
            return dead
        return fresh()

    provider.worker = first_the_dead_one
    assert worker_pid(llm) != dead_pid and handed == [dead]


def _worker_threads() -> list:
    return [t.name for t in threading.enumerate() if t.name.startswith("prism-llm-local-")]


def _open_pipes() -> set:
    """The pipes this process holds open, by identity (`pipe:[inode]`), not by descriptor number:
    a count of descriptors also moves when the garbage collector closes another test's files."""
    pipes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue                        # closed between listing and reading
        if target.startswith("pipe:"):
            pipes.add(target)
    return pipes


def test_a_dead_worker_leaves_no_thread_or_pipe_behind(make_llm):
    """Each worker has four threads (reader, writer, stderr, watchdog) and three pipe ends;
    once its death is handled, all of them end and close, whichever way it died."""
    llm = make_llm()
    before = _open_pipes()
    worker_pid(llm)
    threads, first_worker = sorted(_worker_threads()), _open_pipes() - before
    assert len(threads) == 4 and len(first_worker) == 3
    for sig in ("SIGKILL", "SIGSEGV", "SIGTERM"):
        with pytest.raises(PrismError):
            run(llm.generate(f"[die={sig}] hi"))
        worker_pid(llm)
    deadline = time.monotonic() + 30        # a guard only: the threads end as soon as told
    while sorted(_worker_threads()) != threads and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sorted(_worker_threads()) == threads
    live_worker = _open_pipes() - before    # only the fourth worker's pipes are new
    assert len(live_worker) == 3 and not live_worker & first_worker


def test_a_call_queued_behind_the_one_that_crashed_fails_too(make_llm):
    """Only calls the dead worker had not begun while it answered none are sent again: a request
    that kills the model is not sent to one fresh worker after another."""
    llm = make_llm()

    async def both():
        return await asyncio.gather(llm.generate("[die=SIGSEGV] first"), llm.generate("second"),
                                    return_exceptions=True)

    crashed, queued = run(both())
    assert isinstance(crashed, PrismError) and "SIGSEGV" in crashed.message
    assert isinstance(queued, PrismError) and "SIGSEGV" in queued.message


def test_calls_waiting_on_a_worker_stopped_on_purpose_fail_and_start_no_worker(make_llm):
    """llm.reset() (or the program ending) stops the worker: the calls waiting on it fail and
    none is sent to a new worker, although the worker had begun none of them (it is stopped
    while it is still starting)."""
    llm = make_llm()
    provider = llm._get_provider()

    async def main():
        calls = [asyncio.ensure_future(llm.generate(f"call {n}")) for n in range(2)]
        while provider._worker is None or len(provider._worker._pending) < 2:
            await asyncio.sleep(0)
        requests = list(provider._worker._pending.values())
        llm.reset()
        return requests, await asyncio.gather(*calls, return_exceptions=True)

    requests, results = run(main())
    assert not any(r.started for r in requests)
    assert all(isinstance(r, PrismError) for r in results), results
    assert provider._worker is None         # nothing was sent to a new worker


def test_sigill_says_the_library_was_built_for_another_cpu_and_how_to_rebuild(make_llm):
    with pytest.raises(PrismError) as info:
        run(make_llm().generate("[die=SIGILL] hi"))
    message = info.value.message
    assert "illegal instruction" in message and "CPU instructions this machine cannot run" in message
    assert REBUILD_COMMAND in message
    assert '-DGGML_AMX_TILE=OFF' in REBUILD_COMMAND and "--no-binary llama-cpp-python" in REBUILD_COMMAND


def test_sigkill_names_the_out_of_memory_killer():
    assert "out-of-memory killer" in death_message(-signal.SIGKILL)
    assert "exited with status 3; its last output: boom" in death_message(3, "boom\n")


def test_death_in_the_middle_of_a_stream_raises_while_iterating(make_llm):
    llm = make_llm()
    got = []

    async def main():
        async for chunk in llm.generate_stream("[after=2][die=SIGSEGV] a b c d"):
            got.append(str(chunk))

    with pytest.raises(PrismError, match="SIGSEGV"):
        run(main())
    assert got == ["echo:", " [after=2][die=SIGSEGV]"]


def test_a_hung_worker_is_stopped_after_the_timeout(monkeypatch):
    monkeypatch.setenv("PRISM_LLM_LOCAL_ENGINE", ENGINE)
    clock = ManualClock()                   # the watchdog's time moves only when the test says
    provider = LocalProvider(LLMConfig("local", model_path="unused.gguf", timeout=5), clock=clock)
    user = lambda text: [{"role": "user", "content": text}]

    async def main():
        before = int((await provider.complete(user("[pid]"), {}))[0])
        pieces = provider.stream(user("[after=1][hang] x"), {})
        first = await pieces.__anext__()    # it answered once, then went silent
        clock.advance(4.9)                  # not yet: a slow model is not a hung one
        assert provider.worker().process.poll() is None
        clock.advance(0.1)                  # silent for [llm] timeout: killed
        with pytest.raises(PrismError) as info:
            await pieces.__anext__()
        after = int((await provider.complete(user("[pid]"), {}))[0])
        return before, first, info.value.message, after

    try:
        before, first, message, after = run(main())
    finally:
        provider.close()
    assert first == ("echo:", [-0.1])
    assert "sent nothing for 5s while a request waited ([llm] timeout), so it was stopped" in message
    assert after != before


def test_a_worker_that_exits_shows_its_last_words(make_llm):
    with pytest.raises(PrismError) as info:
        run(make_llm().generate("[exit=3] x"))
    assert "exited with status 3; its last output: fake engine: exiting on purpose" in info.value.message


def test_engine_errors_are_answers_not_deaths(make_llm):
    llm = make_llm()
    before = worker_pid(llm)
    with pytest.raises(PrismError, match="local model failed: the fake model refuses"):
        run(llm.generate("[fail] x"))
    assert worker_pid(llm) == before


def test_batch_keeps_results_and_failures_across_a_crash(make_llm):
    llm = make_llm()
    prompts = ["a", "[die=SIGILL] b", "c"]
    results = run(llm.generate_batch(prompts, max_concurrent=1, errors="return"))
    assert str(results[0]) == "echo: a" and str(results[2]) == "echo: c"
    assert isinstance(results[1], PrismError) and "SIGILL" in results[1].message

    with pytest.raises(PrismError) as info:
        run(llm.generate_batch(prompts, max_concurrent=1))
    assert "1 of 3 prompts failed; first, prompt 1" in info.value.message
    assert sorted(info.value.failures) == [1]


def test_concurrent_batch_every_slot_is_an_answer_or_the_crash(make_llm):
    llm = make_llm()
    prompts = ["a", "[die=SIGKILL] b", "c", "d", "e", "f"]
    results = run(llm.generate_batch(prompts, max_concurrent=3, errors="return"))
    assert len(results) == len(prompts)
    assert isinstance(results[1], PrismError)
    for prompt, result in zip(prompts, results):
        if isinstance(result, PrismError):
            assert "SIGKILL" in result.message       # failed because it was waiting on the dead worker
        else:
            assert str(result) == f"echo: {prompt}"
    assert str(run(llm.generate("still here"))) == "echo: still here"


def test_cancelling_a_request_stops_it_in_the_worker_and_keeps_the_worker(make_llm):
    llm = make_llm()
    before = worker_pid(llm)

    async def main():
        seen = []
        started = asyncio.Event()

        async def consume():
            async for chunk in llm.generate_stream("[endless] w"):
                seen.append(chunk)
                if len(seen) == 3:
                    started.set()

        task = asyncio.ensure_future(consume())
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # The worker answers one request at a time: this answer comes only if the endless one
        # was stopped in the worker (the limit is a bound on a broken build, not a timing).
        return str(await asyncio.wait_for(llm.generate("[pid]"), 60)), len(seen)

    pid, seen = run(main())
    assert int(pid) == before and seen >= 3


def test_the_event_loop_runs_while_the_worker_generates(make_llm, tmp_path):
    llm = make_llm()
    go = tmp_path / "go"

    async def main():
        answer = asyncio.ensure_future(llm.generate(f"[wait_for={go}] a"))
        await asyncio.sleep(0)              # the request is on its way; the worker waits for `go`
        go.touch()                          # runs only because the event loop is not blocked
        return str(await asyncio.wait_for(answer, 60))

    assert run(main()) == f"echo: [wait_for={go}] a"


PROGRAM = r'''
import { llm } from "std/llm"

try {
    let a = await llm.generate("[die=SIGILL] first")
    print(a)
} catch e {
    print("caught:", e.message)
}
print(await llm.generate("second"))
let results = await llm.generate_batch(["one", "[die=SIGKILL] two", "three"], max_concurrent: 1, errors: "return")
for r in results {
    print(r)
}
'''


def test_a_prism_program_survives_its_model_crashing(tmp_path, prism_env):
    path = tmp_path / "survives.prism"
    path.write_text(PROGRAM)
    env = {k: v for k, v in prism_env.items() if not k.startswith(("PRISM_LLM_", "OPENAI_"))}
    tests_dir = str(Path(__file__).resolve().parents[1])
    env.update(PRISM_LLM_PROVIDER="local", PRISM_LLM_MODEL_PATH="unused.gguf",
               PRISM_LLM_LOCAL_ENGINE=ENGINE,
               PYTHONPATH=os.pathsep.join([tests_dir, env["PYTHONPATH"]]))
    proc = subprocess.run([sys.executable, "-m", "transpiler", "run", "-O0", str(path)], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("caught: local model failed: the model worker died from SIGILL")
    assert lines[1] == f"    {REBUILD_COMMAND}"
    assert lines[2] == "echo: second"
    assert lines[3] == "echo: one" and "SIGKILL" in lines[4] and lines[5:] == ["echo: three"]
