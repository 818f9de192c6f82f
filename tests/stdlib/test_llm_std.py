"""std/llm additions against the loopback OpenAI-compatible server: classify (confidence from
first-token log-probabilities), embedding, Conversation, Model handles, the synchronous
complete_with_config, and std/test's mock_llm (no request reaches the server)."""
from __future__ import annotations

import asyncio
import math

import numpy
import pytest

from prism_runtime.confidence import Conf
from prism_runtime.context import Context
from prism_runtime.errors import PrismError
from prism_runtime.llm import LLM, Conversation, Model
from prism_runtime.llm_classify import label_scores
from prism_runtime.testing import mock_llm, run_isolated

from .conftest import openai_server


@pytest.fixture
def llm(llm_server):
    return LLM(base_url=llm_server.base_url, api_key="k", max_retries=0, timeout=10.0)


def run(coroutine):
    return asyncio.run(coroutine)


def test_classify_takes_the_confidence_from_the_label_tokens(llm, llm_server):
    r = run(llm.classify("[top=pos:0.6,neg:0.3,The:0.05] a great film", ["positive", "negative"]))
    assert isinstance(r, Conf) and r.value == "positive"
    assert r.confidence == pytest.approx(0.6 / 0.9)
    request = llm_server.received[-1]
    assert request["top_logprobs"] == 20 and request["max_tokens"] == 1 and request["logprobs"] is True
    assert "positive, negative" in request["messages"][0]["content"]


def test_a_token_that_begins_two_labels_is_shared():
    scores = label_scores([(" n", math.log(0.5)), ("Neutral", math.log(0.2)), ("x", math.log(0.3))],
                          ["negative", "neutral"])
    assert scores == pytest.approx({"negative": 0.25, "neutral": 0.45})


def test_classify_fails_when_no_label_is_likely(llm):
    with pytest.raises(PrismError) as info:
        run(llm.classify("[top=maybe:0.9] hmm", ["yes", "no"]))
    assert info.value.code == "LLM_ERROR" and "'maybe'" in info.value.message


def test_classify_without_labels_names_a_category_with_the_answer_confidence(llm, llm_server):
    r = run(llm.classify("[logprob=-0.5] the stock market fell"))
    assert r.value == "echo" and r.confidence == pytest.approx(math.exp(-0.5))
    assert "one word" in llm_server.received[-1]["messages"][0]["content"]


def test_embedding_is_a_float32_tensor(llm):
    vector = run(llm.embedding("hello"))
    assert vector.dtype == numpy.float32 and vector.shape == (8,)
    assert vector.tolist() == pytest.approx(openai_server.embedding_of("hello"))


def test_conversation_keeps_the_history(llm, llm_server):
    chat = Conversation(system="Be brief.", llm=llm)
    chat.add_message("user", "Hello!")
    first = run(chat.get_response())
    chat.add_message("user", "And again")
    second = run(chat.get_response())
    assert (str(first), str(second)) == ("echo: Hello!", "echo: And again")
    assert [m["role"] for m in llm_server.received[-1]["messages"]] == ["system", "user", "assistant", "user"]
    assert [m.role for m in chat.messages][-1] == "assistant" and chat.length == 5
    with pytest.raises(PrismError, match="role is one of"):
        chat.add_message("robot", "x")


def test_a_conversation_without_system_uses_the_context_one(llm, llm_server):
    async def main():
        chat = Conversation(llm=llm)
        chat.add_message("user", "hi")
        ctx = Context("Review")
        ctx.set("system", "Answer in one word.")
        with ctx:
            await chat.get_response()
    run(main())
    assert llm_server.received[-1]["messages"][0] == {"role": "system", "content": "Answer in one word."}


def test_a_model_handle_gives_its_settings(llm, llm_server):
    fast = Model.new("small-model", temperature=0.2, max_tokens=7, system="Terse.")
    run(llm.generate("x", model=fast))
    sent = llm_server.received[-1]
    assert (sent["model"], sent["temperature"], sent["max_tokens"]) == ("small-model", 0.2, 7)
    assert sent["messages"][0]["content"] == "Terse."
    run(llm.generate("x", model=fast, temperature=0.9))           # the call's own setting wins
    assert llm_server.received[-1]["temperature"] == 0.9


def test_complete_with_config_is_synchronous(llm, llm_server):
    r = llm.complete_with_config("[logprob=-0.2] sync", {"temperature": 0.1, "max_tokens": 5, "system": "S",
                                                         "model": "m"})
    assert r.value == "echo: [logprob=-0.2] sync" and r.confidence == pytest.approx(math.exp(-0.2))
    sent = llm_server.received[-1]
    assert (sent["temperature"], sent["max_tokens"], sent["model"]) == (0.1, 5, "m")
    assert sent["messages"][0] == {"role": "system", "content": "S"}

    async def from_async_code():        # blocks its caller, works on the caller's loop too
        return llm.complete_with_config("inside a loop")
    assert str(run(from_async_code())) == "echo: inside a loop"
    with pytest.raises(PrismError, match="unknown setting"):
        llm.complete_with_config("x", {"temp": 1})


def test_the_answer_is_reported_to_the_callers_context(llm):
    ctx = Context("Sync")
    with ctx:
        llm.complete_with_config("[logprob=-1.0] x")
    assert ctx.confidence == pytest.approx(math.exp(-1.0))


def test_mocks_answer_without_the_network(llm, llm_server):
    async def body():
        mock_llm({"input": "What is 2+2?", "output": "4", "confidence": 0.95})
        mock_llm([{"input": "text", "output": "positive"}, {"input": "vec", "output": [1, 2]}])
        answer = await llm.generate("What is 2+2?")
        label = await llm.classify("text", ["positive", "negative"])
        vector = await llm.embedding("vec")
        chunks = [c async for c in llm.generate_stream("What is 2+2?")]
        batch = await llm.generate_batch(["What is 2+2?", "text"])
        return answer, label, vector, chunks, batch
    answer, label, vector, chunks, batch = run_isolated(body)
    assert answer.value == "4" and answer.confidence == 0.95
    assert label == "positive" and vector.tolist() == [1.0, 2.0] and vector.dtype == numpy.float32
    assert [c.value for c in chunks] == ["4"] and [str(b) for b in batch] == ["4", "positive"]
    assert llm_server.requests == 0


def test_an_unmocked_prompt_is_an_error_and_mocks_end_with_the_test(llm, llm_server):
    def body():
        mock_llm({"input": "known", "output": "yes"})
        return run(llm.generate("unknown"))
    with pytest.raises(PrismError) as info:
        run_isolated(body)
    assert info.value.code == "UNMOCKED_PROMPT" and "'known'" in info.value.message
    assert str(run_isolated(lambda: run(llm.generate("real")))) == "echo: real"     # no mocks: the server
    assert llm_server.requests == 1


PROGRAM = '''
import { Conversation, Model } from "std/llm"
import llm from "std/llm"

async fn classify_text(text: string) -> Category {
    return await llm.classify(text)
}

let label = await llm.classify("[top=spam:0.8,ham:0.2] win money", ["spam", "ham"])
print(label, <~ label)
print(await classify_text("markets"))
let chat = Conversation.new(system: "Be brief.")
chat.add_message("user", "Hello!")
print(await chat.get_response())
let fast = Model.new("tiny", temperature: 0.0)
print(await llm.generate("hi", model: fast))
let v = await llm.embedding("hello")
print(v.length, v.dtype)
let sync = llm.complete_with_config("sync call", {temperature: 0.2, max_tokens: 20})
print(sync)
'''


def test_a_prism_program_uses_the_llm_additions(run_prism, llm_server):
    proc = run_prism(PROGRAM, llm=llm_server)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["spam 0.8", "echo", "echo: Hello!", "echo: hi", "8 float32",
                                        "echo: sync call"]


TESTS = '''
import test from "std/test"

#[test]
async fn mocked_generation() {
    mock_llm({input: "What is 2+2?", output: "4", confidence: 0.95})
    let result = await llm.generate("What is 2+2?")
    assert_eq(result, "4")
    assert_near(<~ result, 0.95, 1e-12)
}

test("a sync completion is mocked too", () => {
    mock_llm({input: "hello", output: "hi"})
    assert_eq(llm.complete_with_config("hello", {}), "hi")
})

#[test]
async fn unmocked() {
    mock_llm({input: "a", output: "b"})
    await llm.generate("something else")
}
'''


def test_prism_test_runs_mocked_tests_without_a_server(run_prism):
    proc = run_prism(TESTS, command="test")        # no LLM configured at all
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == ["ok main::a sync completion is mocked too", "ok main::mocked_generation",
                                        "2 passed, 1 failed"]
    assert "FAILED main::unmocked: no mock_llm answer for the prompt 'something else'" in proc.stderr
    assert "main.prism:20" in proc.stderr        # the unmocked call
