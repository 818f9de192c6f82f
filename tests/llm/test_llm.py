"""`prism_runtime.llm` over real HTTP on loopback: results, confidence, batch, streaming, errors, cache."""
import asyncio
import math
import traceback

import pytest

from prism_runtime import Context, LLMCache
from prism_runtime.confidence import Conf
from prism_runtime.errors import PrismError
from prism_runtime.clock import ManualClock
from prism_runtime.llm import LLM, confidence_from_logprobs

from .conftest import API_KEY, until

run = asyncio.run


# ---- generate and confidence ---------------------------------------------------------

def test_generate_returns_text_with_logprob_confidence(server, make_llm):
    server.token_logprob = -0.2
    r = run(make_llm().generate("hello world"))
    assert isinstance(r, Conf)
    assert str(r) == "echo: hello world" and r == "echo: hello world"
    assert r.confidence == pytest.approx(math.exp(-0.2))
    assert server.received[0]["logprobs"] is True


def test_confidence_is_exp_of_mean_logprob():
    assert confidence_from_logprobs([-0.1, -0.3], 1.0) == pytest.approx(math.exp(-0.2))
    assert confidence_from_logprobs([], 0.4) == 0.4
    assert confidence_from_logprobs(None, 0.4) == 0.4
    assert confidence_from_logprobs([0.0, 0.0], 0.4) == 1.0


def test_mixed_logprobs_per_prompt(server, make_llm):
    r = run(make_llm().generate("[logprob=-1.5] hi"))
    assert r.confidence == pytest.approx(math.exp(-1.5))


def test_no_logprobs_uses_default_confidence(server, make_llm):
    r = run(make_llm(default_confidence=0.7).generate("[nologprobs] hi"))
    assert isinstance(r, Conf) and r.confidence == pytest.approx(0.7)
    # certainty (the default default) gives a plain str, like every Prism value of confidence 1
    r = run(make_llm().generate("[nologprobs] hi"))
    assert type(r) is str and r == "echo: [nologprobs] hi"


def test_options_are_sent(server, make_llm):
    run(make_llm(model="m-default").generate("x", system="be brief", temperature=0.3, max_tokens=7))
    run(make_llm(model="m-default").generate("y", model="m-other"))
    a, b = server.received
    assert a["messages"] == [{"role": "system", "content": "be brief"}, {"role": "user", "content": "x"}]
    assert (a["temperature"], a["max_tokens"], a["model"]) == (0.3, 7, "m-default")
    assert b["model"] == "m-other" and "temperature" not in b and b["messages"][0]["role"] == "user"


def test_context_system_prompt_and_confidence(server, make_llm):
    llm = make_llm()
    ctx = Context("review")
    ctx.set("system", "You are terse.")

    async def main():
        with ctx:
            r = await llm.generate("inside")
        await llm.generate("outside")
        return r

    r = run(main())
    inside, outside = server.received
    assert inside["messages"][0] == {"role": "system", "content": "You are terse."}
    assert [m["role"] for m in outside["messages"]] == ["user"]
    assert ctx.confidence_count == 1
    assert ctx.confidence == pytest.approx(r.confidence)


# ---- batch ------------------------------------------------------------------------------

def test_batch_keeps_input_order_and_caps_concurrency(server, make_llm):
    # the first four are held until four are in flight at once; later prompts answer
    # faster, so completion order differs from input order
    prompts = [f"[hold=first] p{i}" for i in range(4)] + \
              [f"[latency={0.001 * (20 - i)}] p{i}" for i in range(4, 20)]

    async def main():
        batch = asyncio.ensure_future(make_llm().generate_batch(prompts, max_concurrent=4))
        await until(lambda: server.holding("first") == 4, "four requests in flight")
        assert server.requests == 4                     # the cap: no fifth request started
        server.release("first")
        return await batch

    results = run(main())
    assert [str(r) for r in results] == [f"echo: {p}" for p in prompts]
    assert server.requests == 20
    assert server.max_in_flight == 4


def test_a_slow_answer_never_holds_back_a_free_slot(server, make_llm):
    # k workers take the prompts in order: while one waits on a slow answer, the other
    # goes through every other prompt (the timing against the ideal is bench/bench_llm.py's)
    prompts = ["[hold=slow] s", "a", "b", "c", "d"]

    async def main():
        batch = asyncio.ensure_future(make_llm().generate_batch(prompts, max_concurrent=2))
        await until(lambda: server.requests == 5 and server.in_flight == 1, "the four fast answers")
        assert server.holding("slow") == 1 and not batch.done()
        server.release("slow")
        return await batch

    assert [str(r) for r in run(main())] == [f"echo: {p}" for p in prompts]


def test_batch_failure_raises_one_error_carrying_every_result(server, make_llm):
    prompts = ["a", "[status=400] b", "c", "[malformed] d"]
    with pytest.raises(PrismError) as info:
        run(make_llm().generate_batch(prompts, max_concurrent=2))
    err = info.value
    assert "2 of 4 prompts failed" in err.message and "prompt 1" in err.message
    assert [str(r) for r in (err.results[0], err.results[2])] == ["echo: a", "echo: c"]
    assert isinstance(err.results[1], PrismError) and "400" in err.results[1].message
    assert isinstance(err.results[3], PrismError) and "malformed" in err.results[3].message
    assert sorted(err.failures) == [1, 3]


def test_batch_errors_return(server, make_llm):
    results = run(make_llm().generate_batch(["a", "[status=400] b"], max_concurrent=5, errors="return"))
    assert str(results[0]) == "echo: a" and isinstance(results[1], PrismError)


def test_batch_argument_errors(server, make_llm):
    llm = make_llm()
    with pytest.raises(PrismError, match="max_concurrent"):
        run(llm.generate_batch(["a"], max_concurrent=0))
    with pytest.raises(PrismError, match="errors"):
        run(llm.generate_batch(["a"], errors="ignore"))
    assert run(llm.generate_batch([], max_concurrent=3)) == []
    assert server.requests == 0


def test_cancelling_a_batch_cancels_its_requests(server, make_llm):
    llm = make_llm()

    async def main():
        await llm.generate("warm-up")
        server.reset_counters()
        task = asyncio.ensure_future(llm.generate_batch([f"[hold=c] {i}" for i in range(10)], max_concurrent=2))
        await until(lambda: server.holding("c") == 2, "two requests in flight")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert server.holding("c") == 2                # cancelled without waiting for the answers
        server.release("c")
        await until(lambda: server.in_flight == 0, "the server's handlers to finish")
        return [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]

    leftover = run(main())
    assert leftover == []
    assert server.requests == 2                        # nothing was started after the cancel


# ---- retries, timeouts, errors -----------------------------------------------------------------

def test_500_is_retried_by_the_client(server, make_llm):
    r = run(make_llm(max_retries=2).generate("[status=500][times=2][retry_after_ms=10] x"))
    assert str(r).startswith("echo:")
    assert server.requests == 3


def test_retries_exhausted_raise(server, make_llm):
    with pytest.raises(PrismError) as info:
        run(make_llm(max_retries=1).generate("[status=500][retry_after_ms=10] x"))
    assert "HTTP 500" in info.value.message and info.value.status_code == 500
    assert server.requests == 2


def test_429_honours_retry_after(server, make_llm):
    # Retry-After 1 s; the client's own first backoff is 0.375-0.5 s. Only a lower bound is
    # checked: a busy machine can make the gap longer, never shorter than the wait.
    r = run(make_llm(max_retries=2).generate("[status=429][times=1][retry_after=1] x"))
    assert str(r).startswith("echo:")
    assert server.requests == 2
    gap = server.times[1] - server.times[0]
    assert gap >= 1.0, gap


def test_malformed_json_raises(server, make_llm):
    with pytest.raises(PrismError, match="malformed"):
        run(make_llm().generate("[malformed] x"))


def test_truncated_body_raises(server, make_llm):
    with pytest.raises(PrismError, match="connection"):
        run(make_llm().generate("[cut=1] x"))


def test_timeout(server, make_llm):
    with pytest.raises(PrismError, match="timed out"):
        run(make_llm(timeout=0.2).generate("[hold=t] x"))
    assert server.holding("t") == 1                    # the client gave up; the server never answered
    server.release("t")


def test_unreachable_server():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()                                           # nothing listens there now
    llm = LLM(base_url=f"http://127.0.0.1:{port}/v1", api_key=API_KEY, max_retries=0)
    with pytest.raises(PrismError, match="connection to the LLM server"):
        run(llm.generate("x"))


def test_key_never_in_errors_or_reprs(server, make_llm):
    llm = make_llm()
    with pytest.raises(PrismError) as info:
        run(llm.generate("[echo_auth] x"))        # the server's error body repeats the Authorization header
    err = info.value
    assert "401" in err.message and "***" in err.message
    text = "".join(traceback.format_exception(err)) + repr(err) + str(err)
    assert API_KEY not in text
    assert API_KEY not in repr(llm) and API_KEY not in repr(llm.config)
    with pytest.raises(PrismError) as info:
        run(llm.generate_batch(["[echo_auth] y"]))
    assert API_KEY not in str(info.value) and API_KEY not in str(info.value.results[0])


# ---- streaming ----------------------------------------------------------------------------

def test_stream_chunks_in_order_with_confidence(server, make_llm):
    server.token_logprob = -0.3

    async def main():
        stream = make_llm().generate_stream("one two three four")
        return [c async for c in stream]

    chunks = run(main())
    assert [str(c) for c in chunks] == ["echo:", " one", " two", " three", " four"]
    assert all(isinstance(c, Conf) and c.confidence == pytest.approx(math.exp(-0.3)) for c in chunks)
    assert server.received[0]["stream"] is True


@pytest.mark.parametrize("directive,match", [
    ("[cut=2]", "cut off after"),                 # connection dropped mid-body
    ("[cut_clean=2]", "before the model finished"),   # body ends without finish_reason / [DONE]
    ("[malformed]", "malformed"),
])
def test_stream_cut_or_broken_raises(server, make_llm, directive, match):
    got = []

    async def main():
        async for c in make_llm().generate_stream(f"{directive} a b c d e"):
            got.append(str(c))

    with pytest.raises(PrismError, match=match):
        run(main())
    assert len(got) < 7


def test_stream_error_status(server, make_llm):
    async def main():
        async for c in make_llm().generate_stream("[status=400] a"):
            pass

    with pytest.raises(PrismError, match="HTTP 400"):
        run(main())


# ---- LLMCache ------------------------------------------------------------------------------

def test_single_flight_cache(server, make_llm):
    server.latency = 0.1
    llm = make_llm()
    cache = LLMCache(max_size=10, ttl=60)

    async def main():
        return await asyncio.gather(*[cache.get_or_generate("same", llm.generate) for _ in range(10)])

    results = run(main())
    assert server.requests == 1
    assert all(str(r) == "echo: same" for r in results)
    assert str(run(cache.get_or_generate("same", llm.generate))) == "echo: same"
    assert server.requests == 1


def test_cache_ttl_expiry(server, make_llm):
    llm = make_llm()
    clock = ManualClock()
    cache = LLMCache(max_size=10, ttl=0.15, clock=clock)

    async def main():
        await cache.get_or_generate("p", llm.generate)
        clock.advance(0.1)
        await cache.get_or_generate("p", llm.generate)
        assert server.requests == 1
        clock.advance(0.05)
        await cache.get_or_generate("p", llm.generate)
        assert server.requests == 2

    run(main())


def test_cache_does_not_store_failures(server, make_llm):
    llm = make_llm()
    cache = LLMCache(max_size=10, ttl=60)
    with pytest.raises(PrismError):
        run(cache.get_or_generate("[status=400][times=1] p", llm.generate))
    assert str(run(cache.get_or_generate("[status=400][times=1] p", llm.generate))).startswith("echo:")
    assert server.requests == 2
