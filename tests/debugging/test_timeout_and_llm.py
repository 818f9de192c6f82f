"""`timeout(awaitable, ms)`, `catch TimeoutError`, and `debug_llm!` after real calls to the
loopback OpenAI-compatible server (tests/llm/openai_server.py), which holds a request until
the test releases it, so the timeout fires for certain, however loaded the machine is."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import lines_tagged

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "llm"))
from openai_server import FakeOpenAIServer  # noqa: E402


@pytest.fixture
def server():
    with FakeOpenAIServer() as srv:
        srv.token_logprob = -0.1
        yield srv


def llm_env(server) -> dict:
    return {"PRISM_LLM_BASE_URL": server.base_url, "PRISM_LLM_API_KEY": "test", "PRISM_LLM_MAX_RETRIES": "0"}


PROGRAM = """
async fn generate_text() {
    debug_llm!("Starting generation")
    let response = await llm.generate("three words here")
    debug_llm!("Generation complete")
    return response
}

print(await generate_text())
try {
    let response = await timeout(llm.generate("[hold=never] slow prompt"), 50)
    print(response)
} catch TimeoutError {
    print("timed out")
}
try {
    await timeout(llm.generate("[hold=never] slow again"), 50)
} catch e: TimeoutError {
    print(e.code, e.message)
}
try {
    throw error("not a timeout", code: "VALUE_ERROR")
} catch TimeoutError {
    print("wrong clause")
} catch e {
    print("other:", e.message)
}
print(await timeout(llm.generate("quick"), 60000))
"""


def test_timeout_and_catch_by_kind(prism, server):
    try:
        proc = prism(PROGRAM, "run", "--debug", env=llm_env(server))
    finally:
        server.release("never")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["echo: three words here", "timed out", "TIMEOUT timed out after 50 ms",
                                        "other: not a timeout", "echo: quick"]
    records = lines_tagged(proc.stderr, "debug")
    assert records[0] == "[debug] prog.prism:2: Starting generation: no LLM call yet"
    last = records[1].splitlines()
    assert last[0] == "[debug] prog.prism:4: Generation complete: last LLM call:"
    assert last[1] == '    prompt: "three words here"'
    assert last[2] == '    answer: "echo: three words here"'
    assert last[3].startswith("    latency ") and " ms, tokens 3 in, 4 out, confidence 0.9048, model " in last[3]
